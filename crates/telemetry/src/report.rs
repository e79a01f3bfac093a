//! Report tables and their three renderings: an aligned text table for people, CSV with a
//! header row for spreadsheets and tools, and JSON (an array of objects) for programs.

use std::fmt::Write as _;

/// A cell: text, or a count (right-aligned, a JSON number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Count(u64),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Count(n) => n.to_string(),
        }
    }
}

/// Output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Csv,
    Json,
}

/// Rows under named columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Table => self.aligned(),
            Format::Csv => self.csv(),
            Format::Json => self.json(),
        }
    }

    fn aligned(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.text().chars().count());
            }
        }
        let mut out = String::new();
        let line = |out: &mut String, cells: Vec<(String, bool)>| {
            let parts: Vec<String> = cells
                .into_iter()
                .zip(&widths)
                .map(|((t, right), &w)| {
                    if right {
                        format!("{t:>w$}")
                    } else {
                        format!("{t:<w$}")
                    }
                })
                .collect();
            out.push_str(parts.join("  ").trim_end());
            out.push('\n');
        };
        line(
            &mut out,
            self.headers.iter().map(|h| (h.clone(), false)).collect(),
        );
        for row in &self.rows {
            line(
                &mut out,
                row.iter()
                    .map(|c| (c.text(), matches!(c, Cell::Count(_))))
                    .collect(),
            );
        }
        out
    }

    fn csv(&self) -> String {
        let mut out = String::new();
        let field = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_owned()
            }
        };
        let header: Vec<String> = self.headers.iter().map(|h| field(h)).collect();
        out.push_str(&header.join(","));
        out.push('\n');
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|c| field(&c.text())).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }

    fn json(&self) -> String {
        let rows: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|row| {
                let mut obj = serde_json::Map::new();
                for (h, c) in self.headers.iter().zip(row) {
                    let v = match c {
                        Cell::Text(t) => serde_json::Value::from(t.as_str()),
                        Cell::Count(n) => serde_json::Value::from(*n),
                    };
                    obj.insert(h.clone(), v);
                }
                serde_json::Value::Object(obj)
            })
            .collect();
        let mut out = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".to_owned());
        let _ = writeln!(out);
        out
    }
}
