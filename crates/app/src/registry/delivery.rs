//! The delivery models of the taxonomy: the table, one row, adding and replacing one (admins).

use partnerhub_domain::access::Action;
use partnerhub_domain::delivery::DeliveryModel;
use partnerhub_domain::FieldErrors;
use partnerhub_store::DeliveryModelRecord;

use crate::error::AppError;
use crate::{App, Caller};

/// Where a model added without a position goes: last.
const LAST: i64 = u16::MAX as i64;

impl App {
    /// The table, in order.
    pub async fn delivery_models(
        &self,
        caller: &Caller,
    ) -> Result<Vec<DeliveryModelRecord>, AppError> {
        caller.authorize(Action::ReadDeliveryModels, None)?;
        Ok(self.store().delivery_models().await?)
    }

    /// One row.
    pub async fn delivery_model(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<DeliveryModelRecord, AppError> {
        self.delivery_models(caller)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(AppError::NotFound)
    }

    /// Adds the model `parse` reads at `position` (last when absent).
    pub async fn add_delivery_model(
        &self,
        caller: &Caller,
        parse: impl FnOnce() -> Result<DeliveryModel, FieldErrors>,
        position: Option<i64>,
    ) -> Result<DeliveryModelRecord, AppError> {
        caller.authorize(Action::EditDeliveryModels, None)?;
        let model = parse()?;
        Ok(self
            .store()
            .upsert_delivery_model(&caller.who(), None, position.unwrap_or(LAST), &model)
            .await?)
    }

    /// Replaces a model with the one `parse` reads, keeping its position unless another is
    /// given.
    pub async fn replace_delivery_model(
        &self,
        caller: &Caller,
        id: i64,
        parse: impl FnOnce() -> Result<DeliveryModel, FieldErrors>,
        position: Option<i64>,
    ) -> Result<DeliveryModelRecord, AppError> {
        caller.authorize(Action::EditDeliveryModels, None)?;
        let current = self.delivery_model(caller, id).await?;
        let model = &parse()?;
        Ok(self
            .store()
            .upsert_delivery_model(
                &caller.who(),
                Some(id),
                position.unwrap_or(current.position),
                model,
            )
            .await?)
    }
}
