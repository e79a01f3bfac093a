//! The handbook's delivery-models reference table: the ways the product is installed and run,
//! and the trade-offs of each. Reference data, editable by admins.

use crate::field::{self, FieldErrors};

/// Longest value of one cell.
pub const MAX_CELL: usize = 200;

/// The table's rows, in the handbook's order: `(code, label)`.
pub const ATTRIBUTES: &[(&str, &str)] = &[
    ("state", "State"),
    ("tenants", "Tenants"),
    ("installation_package", "Installation package"),
    ("managed", "Managed"),
    ("billing_ownership", "Billing ownership"),
    ("infrastructure_included", "Infrastructure incl."),
    ("partners", "Partners"),
    ("sales_focus", "Sales focus"),
    ("pricing", "Pricing"),
];

/// One delivery model: a column of the handbook's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryModel {
    pub name: String,
    /// One value per entry of [`ATTRIBUTES`], in that order.
    pub values: Vec<String>,
}

impl DeliveryModel {
    /// Validates a model from its name and attribute values (keyed by attribute code).
    pub fn parse(name: &str, values: &[(String, String)]) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let name = errs.take(crate::text::identifier("name", name, MAX_CELL));
        for (code, _) in values {
            if !ATTRIBUTES.iter().any(|(c, _)| c == code) {
                let codes: Vec<&str> = ATTRIBUTES.iter().map(|(c, _)| *c).collect();
                errs.push(crate::FieldError::unknown_code(code.as_str(), code, &codes));
            }
        }
        let mut out = Vec::with_capacity(ATTRIBUTES.len());
        for (code, _) in ATTRIBUTES {
            let raw = values
                .iter()
                .find(|(c, _)| c == code)
                .map(|(_, v)| v.as_str())
                .unwrap_or("");
            if let Some(v) = errs.take(field::text(code, raw, MAX_CELL)) {
                out.push(v);
            }
        }
        match name {
            Some(name) if errs.is_empty() => Ok(Self { name, values: out }),
            _ => Err(errs),
        }
    }

    /// The value of one attribute by code.
    pub fn value(&self, code: &str) -> Option<&str> {
        let i = ATTRIBUTES.iter().position(|(c, _)| *c == code)?;
        self.values.get(i).map(String::as_str)
    }
}

/// The table as the handbook publishes it.
pub fn handbook_delivery_models() -> Vec<DeliveryModel> {
    let columns: [(&str, [&str; 9]); 5] = [
        (
            "Self-Managed",
            [
                "Active",
                "Single",
                "Omnibus/Helm",
                "Self",
                "Vendor/Partner",
                "no",
                "SI's/VAR's",
                "Hybrid/Multi-Cloud",
                "user/yr",
            ],
        ),
        (
            "Vendor Hosted",
            [
                "Deprecated",
                "Single",
                "Omnibus/Helm",
                "Partner",
                "Partner",
                "yes",
                "MSP's",
                "Partner",
                "user/yr",
            ],
        ),
        (
            "Marketplace",
            [
                "Soon",
                "Single",
                "Omnibus/Helm",
                "Self",
                "GCP, AWS, DO, etc",
                "yes",
                "Clouds",
                "Self-service",
                "user/month or hour",
            ],
        ),
        (
            "GLaaS",
            [
                "Future",
                "Single",
                "Helm",
                "Cloud",
                "Cloud",
                "yes",
                "Clouds",
                "Self-service",
                "user/yr",
            ],
        ),
        (
            "TS",
            [
                "Active",
                "Multi",
                "Moving to Helm",
                "Vendor",
                "Vendor",
                "yes",
                "Vendor/Partner",
                "Self-service",
                "user/yr",
            ],
        ),
    ];
    columns
        .iter()
        .map(|(name, values)| DeliveryModel {
            name: (*name).to_string(),
            values: values.iter().map(|v| (*v).to_string()).collect(),
        })
        .collect()
}

/// The handbook's table with the vendor's name in place of the word "Vendor".
pub fn handbook_delivery_models_for(vendor: &str) -> Vec<DeliveryModel> {
    handbook_delivery_models()
        .into_iter()
        .map(|m| DeliveryModel {
            name: m.name.replace("Vendor", vendor),
            values: m
                .values
                .into_iter()
                .map(|v| v.replace("Vendor", vendor))
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handbook_table_has_five_models_with_every_attribute() {
        let models = handbook_delivery_models_for("GitLab");
        let names: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Self-Managed",
                "GitLab Hosted",
                "Marketplace",
                "GLaaS",
                "TS"
            ]
        );
        assert!(models.iter().all(|m| m.values.len() == ATTRIBUTES.len()));
        assert_eq!(models[2].value("pricing"), Some("user/month or hour"));
        assert_eq!(models[4].value("tenants"), Some("Multi"));
        assert_eq!(models[0].value("billing_ownership"), Some("GitLab/Partner"));
    }

    #[test]
    fn an_edit_names_the_missing_or_unknown_attribute() {
        let mut values: Vec<(String, String)> = ATTRIBUTES
            .iter()
            .map(|(c, _)| ((*c).to_string(), "x".to_string()))
            .collect();
        assert!(DeliveryModel::parse("Edge", &values).is_ok());
        values[3].1 = String::new();
        let err = DeliveryModel::parse("Edge", &values).unwrap_err();
        assert_eq!(err.first().unwrap().field, "managed");
        values[3].1 = "Self".into();
        values.push(("colour".into(), "red".into()));
        assert_eq!(
            DeliveryModel::parse("Edge", &values)
                .unwrap_err()
                .first()
                .unwrap()
                .field,
            "colour"
        );
    }
}
