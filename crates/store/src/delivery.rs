//! The delivery-models reference table.

use partnerhub_domain::delivery::{DeliveryModel, ATTRIBUTES};

use crate::audit::{self, Who};
use crate::db::{on_pool, on_tx, Store};
use crate::error::StoreError;

/// A stored delivery model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryModelRecord {
    pub id: i64,
    pub position: i64,
    pub model: DeliveryModel,
}

/// A model's attributes as a JSON object, as stored and as the audit log records them.
fn attributes(m: &DeliveryModel) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = ATTRIBUTES
        .iter()
        .zip(&m.values)
        .map(|((code, _), v)| ((*code).to_string(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::Value::Object(map)
}

fn parse(id: i64, name: &str, attributes: &str) -> Result<DeliveryModel, StoreError> {
    let corrupt = |m: String| StoreError::Corrupt(format!("delivery model {id}: {m}"));
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(attributes).map_err(|e| corrupt(e.to_string()))?;
    let values: Vec<(String, String)> = map
        .into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
        .collect();
    DeliveryModel::parse(name, &values).map_err(|e| corrupt(e.to_string()))
}

/// A delivery_models row: id, position, name, attributes.
type Row = (i64, i64, String, String);
/// The columns of a [`Row`].
const SELECT: &str = "SELECT id, position, name, attributes FROM delivery_models";

fn record((id, position, name, attrs): Row) -> Result<DeliveryModelRecord, StoreError> {
    Ok(DeliveryModelRecord {
        id,
        position,
        model: parse(id, &name, &attrs)?,
    })
}

impl Store {
    /// The table, in order.
    pub async fn delivery_models(&self) -> Result<Vec<DeliveryModelRecord>, StoreError> {
        let sql = format!("{SELECT} ORDER BY position, id");
        let rows: Vec<Row> = on_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await)?;
        rows.into_iter().map(record).collect()
    }

    /// Fills an empty table with `models` (first start).
    pub async fn seed_delivery_models(
        &self,
        who: &Who,
        models: &[DeliveryModel],
    ) -> Result<(), StoreError> {
        if !self.delivery_models().await?.is_empty() {
            return Ok(());
        }
        for (i, m) in models.iter().enumerate() {
            self.upsert_delivery_model(who, None, i as i64, m).await?;
        }
        Ok(())
    }

    /// Creates (`id = None`) or replaces a delivery model (audited).
    pub async fn upsert_delivery_model(
        &self,
        who: &Who,
        id: Option<i64>,
        position: i64,
        model: &DeliveryModel,
    ) -> Result<DeliveryModelRecord, StoreError> {
        let mut tx = self.begin().await?;
        // The "before" is read in the transaction that changes it, the row locked.
        let before = match id {
            Some(id) => {
                tx.lock(
                    "SELECT 1 FROM delivery_models WHERE id = $1 FOR NO KEY UPDATE",
                    id,
                )
                .await?;
                let sql = format!("{SELECT} WHERE id = $1");
                let row: Option<Row> = on_tx!(&mut tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(&mut *c).await)?;
                Some(record(row.ok_or(StoreError::NotFound)?)?)
            }
            None => None,
        };
        let attrs = attributes(model).to_string();
        let result: Result<i64, sqlx::Error> = match id {
            Some(id) => on_tx!(&mut tx, c => sqlx::query_scalar(
                "UPDATE delivery_models SET name = $1, position = $2, attributes = $3 WHERE id = $4 RETURNING id",
            )
            .bind(&model.name)
            .bind(position)
            .bind(&attrs)
            .bind(id)
            .fetch_one(&mut *c)
            .await),
            None => on_tx!(&mut tx, c => sqlx::query_scalar(
                "INSERT INTO delivery_models (name, position, attributes) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(&model.name)
            .bind(position)
            .bind(&attrs)
            .fetch_one(&mut *c)
            .await),
        };
        let new_id = match result {
            Ok(id) => id,
            Err(e) if StoreError::is_unique_violation(&e) => {
                return Err(StoreError::conflict(
                    "name",
                    format!("a delivery model named {:?} exists", model.name),
                ))
            }
            Err(e) => return Err(e.into()),
        };
        let json = |m: &DeliveryModel| {
            serde_json::json!({"name": m.name, "attributes": attributes(m)}).to_string()
        };
        let action = if before.is_some() {
            "delivery_model.update"
        } else {
            "delivery_model.create"
        };
        audit::record(
            &mut tx,
            who,
            action,
            "delivery_model",
            &new_id.to_string(),
            None,
            before.as_ref().map(|b| json(&b.model)),
            Some(json(model)),
        )
        .await?;
        tx.commit().await?;
        Ok(DeliveryModelRecord {
            id: new_id,
            position,
            model: model.clone(),
        })
    }
}
