//! The providers' native range formats: AWS, Google, Azure and Oracle JSON, RFC 8805 geofeeds
//! and plain CIDR lists, read as operators download them (BOM, CRLF, comments, old fields).

use serde::Deserialize;
use serde_json::Value;

use crate::address::Prefix;

/// A native format of published address ranges, as named in `sources.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RangeFormat {
    /// AWS `ip-ranges.json`: `prefixes[].ip_prefix`, `ipv6_prefixes[].ipv6_prefix`.
    AwsJson,
    /// Google `cloud.json` / `goog.json`: `prefixes[].ipv4Prefix` / `ipv6Prefix`.
    GcpJson,
    /// Azure Service Tags: `values[].properties.addressPrefixes[]`.
    AzureServiceTags,
    /// Oracle `public_ip_ranges.json`: `regions[].cidrs[].cidr`.
    OracleJson,
    /// RFC 8805 geofeed CSV: `prefix,country,region,city,postal`, `#` comments.
    GeofeedCsv,
    /// One prefix a line, `#` comments.
    CidrList,
}

impl RangeFormat {
    pub fn name(self) -> &'static str {
        match self {
            Self::AwsJson => "aws-json",
            Self::GcpJson => "gcp-json",
            Self::AzureServiceTags => "azure-service-tags",
            Self::OracleJson => "oracle-json",
            Self::GeofeedCsv => "geofeed-csv",
            Self::CidrList => "cidr-list",
        }
    }
}

/// Why a range file could not be read; `where_` names the line or JSON entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("{where_}: {text:?} is not a CIDR prefix")]
    BadPrefix { where_: String, text: String },
    #[error("{0}")]
    Shape(String),
}

/// Reads every prefix of a range file in the given format.
pub fn parse_ranges(format: RangeFormat, text: &str) -> Result<Vec<Prefix>, FormatError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        RangeFormat::CidrList => parse_lines(text, false),
        RangeFormat::GeofeedCsv => parse_lines(text, true),
        RangeFormat::AwsJson => {
            let doc = json(text)?;
            let mut out = Vec::new();
            collect(&doc, &["prefixes"], &["ip_prefix"], &mut out)?;
            collect(&doc, &["ipv6_prefixes"], &["ipv6_prefix"], &mut out)?;
            require_list(&doc, "prefixes")?;
            Ok(out)
        }
        RangeFormat::GcpJson => {
            let doc = json(text)?;
            require_list(&doc, "prefixes")?;
            let mut out = Vec::new();
            collect(&doc, &["prefixes"], &["ipv4Prefix", "ipv6Prefix"], &mut out)?;
            Ok(out)
        }
        RangeFormat::AzureServiceTags => {
            let doc = json(text)?;
            require_list(&doc, "values")?;
            let mut out = Vec::new();
            for (i, tag) in list(&doc, "values").iter().enumerate() {
                let prefixes = tag
                    .get("properties")
                    .and_then(|p| p.get("addressPrefixes"))
                    .and_then(Value::as_array);
                for (j, p) in prefixes.into_iter().flatten().enumerate() {
                    let where_ = format!("values[{i}].properties.addressPrefixes[{j}]");
                    out.push(prefix_value(p, &where_)?);
                }
            }
            Ok(out)
        }
        RangeFormat::OracleJson => {
            let doc = json(text)?;
            require_list(&doc, "regions")?;
            let mut out = Vec::new();
            for (i, region) in list(&doc, "regions").iter().enumerate() {
                let cidrs = region.get("cidrs").and_then(Value::as_array);
                for (j, c) in cidrs.into_iter().flatten().enumerate() {
                    if let Some(p) = c.get("cidr") {
                        out.push(prefix_value(p, &format!("regions[{i}].cidrs[{j}].cidr"))?);
                    }
                }
            }
            Ok(out)
        }
    }
}

fn json(text: &str) -> Result<Value, FormatError> {
    serde_json::from_str(text).map_err(|e| FormatError::Json(e.to_string()))
}

fn list<'v>(doc: &'v Value, key: &str) -> &'v [Value] {
    doc.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A file of the wrong format would otherwise read as an empty list without complaint.
fn require_list(doc: &Value, key: &str) -> Result<(), FormatError> {
    match doc.get(key) {
        Some(Value::Array(_)) => Ok(()),
        _ => Err(FormatError::Shape(format!(
            "no {key:?} list at the top level"
        ))),
    }
}

fn collect(
    doc: &Value,
    path: &[&str],
    fields: &[&str],
    out: &mut Vec<Prefix>,
) -> Result<(), FormatError> {
    let Some(key) = path.first() else {
        return Ok(());
    };
    for (i, entry) in list(doc, key).iter().enumerate() {
        for field in fields {
            if let Some(p) = entry.get(*field) {
                out.push(prefix_value(p, &format!("{key}[{i}].{field}"))?);
            }
        }
    }
    Ok(())
}

fn prefix_value(v: &Value, where_: &str) -> Result<Prefix, FormatError> {
    let text = v.as_str().unwrap_or_default();
    Prefix::parse(text).map_err(|_| FormatError::BadPrefix {
        where_: where_.to_owned(),
        text: v.to_string(),
    })
}

fn parse_lines(text: &str, csv: bool) -> Result<Vec<Prefix>, FormatError> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        let content = line.split('#').next().unwrap_or_default();
        let field = if csv {
            content.split(',').next().unwrap_or_default()
        } else {
            content
        };
        let field = field.trim();
        if field.is_empty() {
            continue;
        }
        let prefix = Prefix::parse(field).map_err(|_| FormatError::BadPrefix {
            where_: format!("line {}", n + 1),
            text: field.to_owned(),
        })?;
        out.push(prefix);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: Vec<Prefix>) -> Vec<String> {
        v.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn cidr_list_with_bom_crlf_comments_and_no_final_newline() {
        let text = "\u{feff}# IBM Cloud (AS36351)\r\n169.44.0.0/14\r\n\r\n2607:f0d0::/32 # Dallas\r\n50.22.0.0/15";
        assert_eq!(
            names(parse_ranges(RangeFormat::CidrList, text).unwrap()),
            ["169.44.0.0/14", "2607:f0d0::/32", "50.22.0.0/15"]
        );
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = parse_ranges(RangeFormat::CidrList, "1.2.3.0/24\nnot-a-prefix\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: \"not-a-prefix\" is not a CIDR prefix"
        );
    }

    #[test]
    fn wrong_json_shape_is_an_error() {
        assert!(parse_ranges(RangeFormat::AwsJson, r#"{"values":[]}"#).is_err());
        assert!(parse_ranges(RangeFormat::OracleJson, "[]").is_err());
    }
}
