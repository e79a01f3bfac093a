//! The partner CSV layout: which columns an export writes and an import reads.
//!
//! Reading the CSV syntax is the caller's job; this module turns one record into a
//! [`PartnerInput`] and names the line and column of anything wrong.
//!
//! Exports are opened in spreadsheets, which run a cell starting with `=`, `+`, `-`, `@`, a tab
//! or a carriage return as a formula. A text cell starting so (or with `'`) is therefore written
//! with a leading `'`, the spreadsheets' own mark for "text, not a formula", and an import drops
//! one leading `'`, as a spreadsheet does: an export imports back unchanged. A spreadsheet may
//! also split cells on `;` or tab (the default in many locales), so a cell holding any of `,`
//! `;` tab, a quote or a line break is quoted ([`write_record`]): no separator a reader may
//! choose starts a new cell inside it.

use crate::field::FieldError;
use crate::partner::{PartnerDraft, PartnerInput};

/// Columns an import understands. Derived columns of an export (monetization, priority, ...)
/// are accepted and ignored, so an export imports back unchanged.
pub const IMPORT_COLUMNS: &[&str] = &[
    "name",
    "domains",
    "family",
    "category",
    "integration_direction",
    "track",
    "status",
    "partner_manager_email",
    "website",
    "description",
];

/// Columns an export writes, in order.
pub const EXPORT_COLUMNS: &[&str] = &[
    "id",
    "name",
    "domains",
    "family",
    "category",
    "integration_direction",
    "core_outbound",
    "track",
    "status",
    "monetization",
    "priority",
    "partner_manager_email",
    "website",
    "description",
    "score_percent",
];

/// Most rows one import may carry.
pub const MAX_IMPORT_ROWS: usize = 10_000;

/// Most rows one export may carry: a larger match is refused, not cut.
pub const MAX_EXPORT_ROWS: i64 = 100_000;

/// A validated import row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// The line of the file it came from (the header is line 1).
    pub line: usize,
    pub draft: PartnerDraft,
    /// The partner manager to look up, by email.
    pub partner_manager_email: Option<String>,
}

/// Checks a header: every column known, `name` and `category` present, none twice.
pub fn check_header(header: &[String]) -> Result<(), FieldError> {
    let derived = [
        "id",
        "core_outbound",
        "monetization",
        "priority",
        "score_percent",
    ];
    for (i, col) in header.iter().enumerate() {
        let col = col.trim();
        if !IMPORT_COLUMNS.contains(&col) && !derived.contains(&col) {
            return Err(FieldError::unknown_code(
                format!("line 1: column {}", i + 1),
                col,
                IMPORT_COLUMNS,
            ));
        }
        if header[..i].iter().any(|c| c.trim() == col) {
            return Err(FieldError::new(
                format!("line 1: {col}"),
                "conflict",
                format!("line 1: column {col} appears twice"),
            ));
        }
    }
    for required in ["name", "category"] {
        if !header.iter().any(|c| c.trim() == required) {
            return Err(FieldError::new(
                "line 1",
                "required",
                format!("line 1: the header lacks the {required} column"),
            ));
        }
    }
    Ok(())
}

/// Parses one record at `line` under `header` (already checked).
pub fn parse_row(
    line: usize,
    header: &[String],
    record: &[String],
) -> Result<ImportRow, FieldError> {
    let at = |field: &str| format!("line {line}: {field}");
    if record.len() != header.len() {
        return Err(FieldError::new(
            format!("line {line}"),
            "invalid",
            format!(
                "line {line}: {} fields where the header has {}",
                record.len(),
                header.len()
            ),
        ));
    }
    let get = |col: &str| -> Option<String> {
        header
            .iter()
            .position(|h| h.trim() == col)
            .map(|i| {
                let value = record[i].trim();
                unmark_text(value).trim().to_string()
            })
            .filter(|v| !v.is_empty())
    };
    let input = PartnerInput {
        name: get("name"),
        domains: get("domains").map(|d| {
            d.split([';', ' '])
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        }),
        family: get("family"),
        category: get("category"),
        integration_direction: get("integration_direction"),
        track: get("track"),
        status: get("status"),
        partner_manager_id: None,
        website: get("website"),
        description: get("description"),
        contacts: None,
        scorecard: None,
    };
    let draft = PartnerDraft::parse(&input).map_err(|errs| {
        let first = errs
            .0
            .into_iter()
            .next()
            .unwrap_or_else(|| FieldError::required("name"));
        FieldError {
            field: at(&first.field),
            code: first.code,
            message: format!("line {line}: {}", first.message),
        }
    })?;
    Ok(ImportRow {
        line,
        draft,
        partner_manager_email: get("partner_manager_email"),
    })
}

/// First characters that make a spreadsheet run a cell as a formula, and the text mark itself.
const MARKED: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// A text cell as exported: marked as text when a spreadsheet would run it as a formula.
pub fn text_cell(value: &str) -> String {
    if value.starts_with(MARKED) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

/// An imported cell without the mark [`text_cell`] adds; any other leading `'` is the value's
/// own (`'t Hart`).
fn unmark_text(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(MARKED) => rest,
        _ => value,
    }
}

/// Characters that make a cell quoted: every separator a spreadsheet may split on, the quote
/// and line breaks.
const QUOTED: [char; 6] = [',', ';', '\t', '"', '\n', '\r'];

/// Appends one CSV record (RFC 4180, `\n`-terminated) to `out`, quoting every cell that holds
/// a separator (`,` `;` tab), a quote or a line break, quotes doubled.
pub fn write_record<S: AsRef<str>>(out: &mut String, cells: &[S]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let cell = cell.as_ref();
        if cell.contains(QUOTED) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }
    out.push('\n');
}

/// The values of an export row, in [`EXPORT_COLUMNS`] order.
pub fn export_row(
    id: i64,
    draft: &PartnerDraft,
    manager_email: Option<&str>,
    score_percent: f64,
) -> Vec<String> {
    vec![
        id.to_string(),
        text_cell(draft.name.as_str()),
        draft
            .domains
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>()
            .join(";"),
        draft.family().code().to_string(),
        draft.classification.category.code().to_string(),
        draft
            .classification
            .direction
            .map(|d| d.code().to_string())
            .unwrap_or_default(),
        draft.core_outbound().to_string(),
        draft.track.code().to_string(),
        draft.status.code().to_string(),
        draft.monetization().code().to_string(),
        draft.priority().to_string(),
        text_cell(manager_email.unwrap_or_default()),
        text_cell(draft.website.as_deref().unwrap_or_default()),
        text_cell(draft.description.as_deref().unwrap_or_default()),
        format!("{score_percent:.1}"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn a_good_row_parses_and_an_export_imports_back() {
        let header = strings(&["name", "domains", "category", "track"]);
        check_header(&header).unwrap();
        let row = parse_row(
            2,
            &header,
            &strings(&["Rackspace", "rackspace.com", "msp", "select"]),
        )
        .unwrap();
        assert_eq!(row.draft.name.as_str(), "Rackspace");

        let export_header = strings(EXPORT_COLUMNS);
        check_header(&export_header).unwrap();
        let values = export_row(4, &row.draft, Some("mgr@gitlab.com"), 0.0);
        let again = parse_row(2, &export_header, &values).unwrap();
        assert_eq!(again.draft, row.draft);
        assert_eq!(
            again.partner_manager_email.as_deref(),
            Some("mgr@gitlab.com")
        );
    }

    #[test]
    fn cells_a_spreadsheet_would_run_are_exported_as_text_and_import_back() {
        assert_eq!(
            text_cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(text_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text_cell("-2+3"), "'-2+3");
        assert_eq!(text_cell("'quoted"), "''quoted");
        assert_eq!(text_cell("Rackspace"), "Rackspace");

        let header = strings(&["name", "category", "description"]);
        let row = parse_row(
            2,
            &header,
            &strings(&["=cmd|' /C calc'!A0", "msp", "+ fast, - cheap"]),
        )
        .unwrap();
        let export_header = strings(EXPORT_COLUMNS);
        let values = export_row(9, &row.draft, None, 0.0);
        assert_eq!(values[1], "'=cmd|' /C calc'!A0");
        assert_eq!(values[13], "'+ fast, - cheap");
        let again = parse_row(2, &export_header, &values).unwrap();
        assert_eq!(again.draft, row.draft);

        // An apostrophe that is no mark stays.
        let own = parse_row(2, &header, &strings(&["'t Hart Consultancy", "msp", ""])).unwrap();
        assert_eq!(own.draft.name.as_str(), "'t Hart Consultancy");
        let values = export_row(9, &own.draft, None, 0.0);
        assert_eq!(values[1], "''t Hart Consultancy");
        let again = parse_row(2, &export_header, &values).unwrap();
        assert_eq!(again.draft.name.as_str(), "'t Hart Consultancy");
    }

    #[test]
    fn cells_holding_any_separator_are_quoted() {
        let mut out = String::new();
        write_record(
            &mut out,
            &[
                "Semi;=1+1",
                "tab\there",
                "a,b",
                "say \"hi\"",
                "two\nlines",
                "plain",
            ],
        );
        assert_eq!(
            out,
            "\"Semi;=1+1\",\"tab\there\",\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",plain\n"
        );
        // What is written reads back cell for cell.
        let mut reader = csv_cells(&out);
        assert_eq!(reader.remove(0), "Semi;=1+1");
        assert_eq!(reader.len(), 5);
    }

    /// A minimal RFC 4180 reader for the test above (the import uses the csv crate).
    fn csv_cells(line: &str) -> Vec<String> {
        let mut cells = vec![String::new()];
        let mut quoted = false;
        let mut chars = line.trim_end_matches('\n').chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', false) => quoted = true,
                ('"', true) if chars.peek() == Some(&'"') => {
                    chars.next();
                    cells.last_mut().unwrap().push('"');
                }
                ('"', true) => quoted = false,
                (',', false) => cells.push(String::new()),
                (c, _) => cells.last_mut().unwrap().push(c),
            }
        }
        cells
    }

    #[test]
    fn a_bad_row_names_its_line_and_field() {
        let header = strings(&["name", "category"]);
        let err = parse_row(7, &header, &strings(&["Acme", "platform_moon"])).unwrap_err();
        assert_eq!(err.field, "line 7: category");
        assert!(err.message.starts_with("line 7: "));
        let err = parse_row(3, &header, &strings(&["Acme"])).unwrap_err();
        assert_eq!(err.field, "line 3");
    }

    #[test]
    fn a_bad_header_is_refused() {
        assert!(check_header(&strings(&["name", "colour", "category"]))
            .unwrap_err()
            .field
            .contains("column 2"));
        assert!(check_header(&strings(&["name"])).is_err());
        assert!(check_header(&strings(&["name", "category", "name"])).is_err());
    }
}
