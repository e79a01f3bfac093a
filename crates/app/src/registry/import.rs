//! The CSV import of partners: every row validated first (the header, each cell's characters,
//! each row, a manager by email, names repeated within the file), then all written in one
//! transaction, or nothing; an error names its line and field.

use std::collections::HashMap;

use partnerhub_domain::access::Action;
use partnerhub_domain::partner::PartnerDraft;
use partnerhub_domain::{field, partner_csv, FieldError};
use partnerhub_store::StoreError;

use crate::error::AppError;
use crate::{App, Caller};

fn invalid(field: String, message: String) -> AppError {
    FieldError::new(field, "invalid", message).into()
}

impl App {
    /// Validates and imports a CSV file (UTF-8, header row first); returns the new partners'
    /// ids in file order.
    pub async fn import_partners(
        &self,
        caller: &Caller,
        body: &[u8],
    ) -> Result<Vec<i64>, AppError> {
        caller.authorize(Action::ImportPartners, None)?;
        let text = std::str::from_utf8(body)
            .map_err(|e| invalid("file".into(), format!("the file is not UTF-8 text: {e}")))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| invalid("line 1".into(), format!("line 1: {e}")))?
            .iter()
            .map(str::to_string)
            .collect();
        partner_csv::check_header(&header)?;
        let staff = self.store().staff_users().await?;
        let mut rows: Vec<(usize, PartnerDraft)> = Vec::new();
        let mut first_line_of: HashMap<String, usize> = HashMap::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            if rows.len() >= partner_csv::MAX_IMPORT_ROWS {
                return Err(invalid(
                    format!("line {line}"),
                    format!("at most {} rows per import", partner_csv::MAX_IMPORT_ROWS),
                ));
            }
            let record =
                record.map_err(|e| invalid(format!("line {line}"), format!("line {line}: {e}")))?;
            let values: Vec<String> = record.iter().map(str::to_string).collect();
            // The one rule for client text, on every cell, whether or not its column is read.
            for (column, cell) in header.iter().zip(&values) {
                let at = format!("line {line}: {}", column.trim());
                field::check_controls(&at, cell).map_err(|e| {
                    AppError::Malformed(FieldError::new(
                        at.clone(),
                        "invalid",
                        format!("line {line}: {}", e.message),
                    ))
                })?;
            }
            let mut row = partner_csv::parse_row(line, &header, &values)?;
            if let Some(email) = &row.partner_manager_email {
                let manager = staff
                    .iter()
                    .find(|u| u.email.eq_ignore_ascii_case(email.trim()))
                    .ok_or_else(|| {
                        invalid(
                            format!("line {line}: partner_manager_email"),
                            format!("line {line}: {email} is not an active vendor user"),
                        )
                    })?;
                row.draft.partner_manager_id = Some(manager.id);
            }
            let name = row.draft.name.as_str().to_lowercase();
            if let Some(first) = first_line_of.get(&name) {
                return Err(invalid(
                    format!("line {line}: name"),
                    format!(
                        "line {line}: {} already appears on line {first}",
                        row.draft.name.as_str()
                    ),
                ));
            }
            first_line_of.insert(name, line);
            rows.push((line, row.draft));
        }
        if rows.is_empty() {
            return Err(invalid(
                "file".into(),
                "the file holds no partner rows".into(),
            ));
        }
        match self.store().import_partners(&caller.who(), &rows).await {
            Ok(ids) => Ok(ids),
            Err((line, StoreError::Conflict(f))) => Err(AppError::Conflict(FieldError::new(
                format!("line {line}: {}", f.field),
                f.code,
                format!("line {line}: {}", f.message),
            ))),
            Err((_, e)) => Err(e.into()),
        }
    }
}
