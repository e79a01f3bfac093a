//! Download logs → downloads by method per month: access-log lines (combined format or JSON)
//! whose request was a successful GET of a product artifact, a ranged file once per client.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use serde::Deserialize;

use crate::download_path::{classify_path, Artifact, Method};
use crate::input::{read_lines, BadLines, InputError, LineAt, LineSink, Malformed};
use crate::month::{parse_iso8601, parse_log_time, Instant, Month};
use crate::report::{Cell, Table};

/// A column that splits download rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitBy {
    Edition,
    Version,
    Os,
}

impl SplitBy {
    pub fn name(self) -> &'static str {
        match self {
            Self::Edition => "edition",
            Self::Version => "version",
            Self::Os => "os",
        }
    }

    fn value(self, a: &Artifact<'_>) -> String {
        let v = match self {
            Self::Edition => a.edition.map(str::to_owned),
            Self::Version => a.version.map(|v| v.to_string()),
            Self::Os => a.os.map(|(d, r)| format!("{d}/{r}")),
        };
        v.unwrap_or_else(|| "-".to_owned())
    }
}

/// One request of an access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    pub client: &'a [u8],
    pub at: Instant,
    pub method: &'a [u8],
    /// Path and query as sent (an absolute URI keeps its scheme and host).
    pub target: &'a [u8],
    pub status: u16,
}

/// Parses a combined-format line:
/// `IP - USER [DD/Mon/YYYY:HH:MM:SS +ZZZZ] "METHOD TARGET PROTO" STATUS BYTES "REFERER" "AGENT"`.
/// Works on bytes with vectorised searches: only the client and the request need to be text.
pub fn parse_combined(line: &[u8]) -> Result<Request<'_>, Malformed> {
    let sp = memchr::memchr(b' ', line).ok_or(Malformed("no client address"))?;
    let client = &line[..sp];
    let open = sp + memchr::memchr(b'[', &line[sp..]).ok_or(Malformed("no [time]"))?;
    let close = open + memchr::memchr(b']', &line[open..]).ok_or(Malformed("no [time]"))?;
    let at = parse_log_time(&line[open + 1..close]).ok_or(Malformed("invalid time"))?;
    let rest = line[close + 1..]
        .strip_prefix(b" \"")
        .ok_or(Malformed("no \"request\""))?;
    // Servers escape quotes inside the request line, so the next quote closes it.
    let end = memchr::memchr(b'"', rest).ok_or(Malformed("unterminated \"request\""))?;
    let request = &rest[..end];
    let rest = rest[end + 1..]
        .strip_prefix(b" ")
        .ok_or(Malformed("no status"))?;
    let status = match rest.get(..3) {
        Some(&[a, b, c])
            if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() && a != b'0' =>
        {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        _ => return Err(Malformed("invalid status")),
    };
    let (method, target) = match memchr::memchr(b' ', request) {
        Some(i) => {
            let after = &request[i + 1..];
            let t_end = memchr::memchr(b' ', after).unwrap_or(after.len());
            (&request[..i], &after[..t_end])
        }
        None => (request, &b""[..]),
    };
    // Junk request lines (TLS handshakes on the plain port) are requests, just not downloads;
    // text is checked only for the requests that are counted.
    Ok(Request {
        client,
        at,
        method,
        target,
        status,
    })
}

fn parse_status(s: &str) -> Option<u16> {
    let n: u16 = s.parse().ok()?;
    (100..=999).contains(&n).then_some(n)
}

/// `https://host/path` → `/path`.
fn strip_origin(target: &str) -> &str {
    for scheme in ["https://", "http://"] {
        if let Some(rest) = target.strip_prefix(scheme) {
            return rest.find('/').map_or("/", |i| &rest[i..]);
        }
    }
    target
}

/// A JSON access-log line. Field names follow nginx's variables, with common aliases:
/// `time` (`time_iso8601`, `time_local`, `timestamp`), `remote_addr` (`client_ip`),
/// `method` (`request_method`), `path` (`request_uri`, `uri`) or `request`
/// (`"GET /path HTTP/1.1"`), and `status` (number or text).
#[derive(Debug, Deserialize)]
struct JsonLine {
    #[serde(alias = "time_iso8601", alias = "time_local", alias = "timestamp")]
    time: Option<String>,
    #[serde(alias = "client_ip")]
    remote_addr: Option<String>,
    #[serde(alias = "request_method")]
    method: Option<String>,
    #[serde(alias = "request_uri", alias = "uri")]
    path: Option<String>,
    request: Option<String>,
    status: Option<serde_json::Value>,
}

/// An owned request from a JSON line.
struct OwnedRequest {
    client: String,
    at: Instant,
    method: String,
    target: String,
    status: u16,
}

fn parse_json_line(line: &[u8]) -> Result<OwnedRequest, Malformed> {
    let j: JsonLine =
        serde_json::from_slice(line).map_err(|_| Malformed("invalid JSON log line"))?;
    let time = j.time.ok_or(Malformed("no time"))?;
    let at = parse_iso8601(time.as_bytes())
        .or_else(|| parse_log_time(time.as_bytes()))
        .ok_or(Malformed("invalid time"))?;
    let status = match j.status {
        Some(serde_json::Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Some(serde_json::Value::String(s)) => parse_status(&s),
        _ => None,
    }
    .ok_or(Malformed("no or invalid status"))?;
    let (method, target) = match (j.method, j.path, j.request) {
        (Some(m), Some(p), _) => (m, p),
        (_, _, Some(r)) => {
            let mut parts = r.split(' ');
            let m = parts.next().unwrap_or_default().to_owned();
            let p = parts.next().unwrap_or_default().to_owned();
            (m, p)
        }
        _ => return Err(Malformed("no method and path, nor request")),
    };
    Ok(OwnedRequest {
        client: j.remote_addr.unwrap_or_default(),
        at,
        method,
        target: strip_origin(&target).to_owned(),
        status,
    })
}

/// What one log line counts as: `Ok(None)` for a request that is not a download (a ranged
/// request counts here each time; the report counts it once per client and file).
pub fn parse_line(line: &[u8]) -> Result<Option<(Month, Method)>, Malformed> {
    let owned;
    let r = if line.first() == Some(&b'{') {
        owned = parse_json_line(line)?;
        Request {
            client: owned.client.as_bytes(),
            at: owned.at,
            method: owned.method.as_bytes(),
            target: owned.target.as_bytes(),
            status: owned.status,
        }
    } else {
        parse_combined(line)?
    };
    Ok(download_of(&r).map(|a| (r.at.month(), a.method)))
}

/// The artifact a request downloaded, if it was a successful GET of one.
fn download_of<'r>(r: &Request<'r>) -> Option<Artifact<'r>> {
    if r.method != b"GET" || !(200..300).contains(&r.status) {
        return None;
    }
    classify_path(strip_origin(std::str::from_utf8(r.target).ok()?))
}

type RowKey = (Month, Method, String);

struct DownloadCounts {
    split: Option<SplitBy>,
    counts: HashMap<RowKey, u64>,
    /// Ranged (206) requests: one download per client and file and month.
    ranged: HashSet<(RowKey, String, String)>,
}

impl DownloadCounts {
    fn count(&mut self, r: &Request<'_>) {
        let Some(artifact) = download_of(r) else {
            return;
        };
        let split = self.split.map_or_else(String::new, |s| s.value(&artifact));
        let key = (r.at.month(), artifact.method, split);
        if r.status == 206 {
            let target = strip_origin(std::str::from_utf8(r.target).unwrap_or_default());
            let path = target.split('?').next().unwrap_or_default();
            let client = String::from_utf8_lossy(r.client).into_owned();
            self.ranged.insert((key, client, path.to_owned()));
        } else {
            *self.counts.entry(key).or_insert(0) += 1;
        }
    }
}

impl LineSink for DownloadCounts {
    fn line(&mut self, line: &[u8], _at: LineAt) -> Result<(), Malformed> {
        if line.first() == Some(&b'{') {
            let r = parse_json_line(line)?;
            self.count(&Request {
                client: r.client.as_bytes(),
                at: r.at,
                method: r.method.as_bytes(),
                target: r.target.as_bytes(),
                status: r.status,
            });
        } else {
            let r = parse_combined(line)?;
            self.count(&r);
        }
        Ok(())
    }

    fn merge(&mut self, other: Self) {
        for (k, n) in other.counts {
            *self.counts.entry(k).or_insert(0) += n;
        }
        self.ranged.extend(other.ranged);
    }
}

/// One row of downloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRow {
    pub month: Month,
    pub method: Method,
    /// The split column's value when rows are split (`-` when unknown).
    pub split: Option<String>,
    pub downloads: u64,
}

/// Downloads per method and month.
#[derive(Debug, Clone)]
pub struct DownloadReport {
    pub split: Option<SplitBy>,
    pub rows: Vec<DownloadRow>,
}

/// Computes downloads from access-log files.
pub fn download_report(
    files: &[PathBuf],
    split: Option<SplitBy>,
) -> Result<(DownloadReport, BadLines), InputError> {
    let (sink, bad) = read_lines(files, || DownloadCounts {
        split,
        counts: HashMap::new(),
        ranged: HashSet::new(),
    })?;
    let mut sums: BTreeMap<(Month, &'static str, String), (Method, u64)> = BTreeMap::new();
    let ranged = sink.ranged.into_iter().map(|(k, _, _)| (k, 1));
    for ((month, method, value), n) in sink.counts.into_iter().chain(ranged) {
        sums.entry((month, method.name(), value))
            .or_insert((method, 0))
            .1 += n;
    }
    let rows = sums
        .into_iter()
        .map(|((month, _, value), (method, downloads))| DownloadRow {
            month,
            method,
            split: split.map(|_| value),
            downloads,
        })
        .collect();
    Ok((DownloadReport { split, rows }, bad))
}

impl DownloadReport {
    /// `month, method, [edition|version|os,] downloads`.
    pub fn table(&self) -> Table {
        let mut headers = vec!["month".to_owned(), "method".to_owned()];
        if let Some(s) = self.split {
            headers.push(s.name().to_owned());
        }
        headers.push("downloads".to_owned());
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![
                    Cell::Text(r.month.to_string()),
                    Cell::Text(r.method.name().to_owned()),
                ];
                if let Some(v) = &r.split {
                    row.push(Cell::Text(v.clone()));
                }
                row.push(Cell::Count(r.downloads));
                row
            })
            .collect();
        Table { headers, rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_combined_line() {
        let r = parse_combined(br#"203.0.113.7 - - [04/Oct/2026:12:00:00 +0000] "GET /gitlab-7.9.0.tgz HTTP/1.1" 200 81234 "-" "Helm/3.14.0""#).unwrap();
        assert_eq!(
            (r.client, r.method, r.target, r.status),
            (
                &b"203.0.113.7"[..],
                &b"GET"[..],
                &b"/gitlab-7.9.0.tgz"[..],
                200
            )
        );
        assert_eq!(r.at.month().to_string(), "2026-10");
    }

    #[test]
    fn junk_requests_are_lines_but_not_downloads() {
        let r = parse_combined(
            br#"198.51.100.2 - - [04/Oct/2026:12:00:00 +0000] "\x16\x03\x01" 400 157 "-" "-""#,
        )
        .unwrap();
        assert_eq!(r.status, 400);
        assert!(parse_combined(b"garbage").is_err());
        assert!(parse_combined(
            br#"1.2.3.4 - - [04/Oct/2026:12:00:00 +0000] "GET / HTTP/1.1" abc"#
        )
        .is_err());
    }
}
