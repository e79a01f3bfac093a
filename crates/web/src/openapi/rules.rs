//! What the OpenAPI document says beyond the handlers' annotations, taken from the domain's own
//! rules so the two cannot drift: the codes of every coded field, the lengths and patterns of
//! every text (the one rule for client text; identifiers, email addresses, domains, URLs), and
//! the error statuses every route can answer in the error shape.
//!
//! The patterns are written so that a value matches exactly when the domain accepts it: a
//! client that follows the document is never refused for a rule it could not read, and one
//! that breaks it is always refused.

use partnerhub_domain::audit::AuditEntity;
use partnerhub_domain::delivery::{ATTRIBUTES, MAX_CELL};
use partnerhub_domain::documents::{Audience, Sharing, MAX_FOLDER, MAX_TITLE, MAX_URL};
use partnerhub_domain::inbound::{self, Interest, ReceivedVia, RequestState};
use partnerhub_domain::notify::Event;
use partnerhub_domain::organization::{OrgKind, Role, MAX_EMAIL, MAX_NAME};
use partnerhub_domain::partner::{MAX_CONTACTS, MAX_DESCRIPTION};
use partnerhub_domain::scorecard::{Criterion, MAX_NOTE, MAX_SCORE};
use partnerhub_domain::security::SecurityEvent;
use partnerhub_domain::taxonomy::{Category, Family, IntegrationDirection, PartnerStatus, Track};
use partnerhub_domain::text::{BIDI_CONTROLS, CONTROLS, DEFAULT_IGNORABLE, WHITE_SPACE};
use partnerhub_domain::{credentials, partner_csv};
use serde_json::{json, Map, Value};

/// What a value must be.
#[derive(Clone)]
enum Rule {
    /// One of these codes; `blank` also admits `""` (which means "none" or "any").
    Codes(&'static [&'static str], bool),
    /// An identifying text (a name): one line, no bidirectional control, something visible.
    Identifier(usize),
    /// Free text: anything but a control character other than tab and line breaks.
    Text(usize),
    /// Free text with something besides spaces in it.
    RequiredText(usize),
    Email,
    Domain,
    /// An http(s) URL; `blank` also admits `""` (which clears it).
    Url(bool),
    /// A new password: its length and something besides spaces (the common-password list is
    /// the one rule a pattern cannot carry; its refusal is a 422).
    Password,
    /// An integer within bounds.
    Int(i64, i64),
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A list of at most this many items, each under the rule (`None`: items are references).
    Items(usize, Option<Box<Rule>>),
    /// A list of at least one and at most this many items, each under the rule.
    SomeItems(usize, Box<Rule>),
    /// An object holding exactly these properties, each required text.
    Attributes(&'static [(&'static str, &'static str)], usize),
}

/// `[…]`-class contents for code point ranges (the Basic Multilingual Plane's only: the
/// patterns are read by engines that spell astral code points differently).
fn ranges(sets: &[&[(u32, u32)]], except: &[(u32, u32)]) -> String {
    let mut out = String::new();
    for set in sets {
        for &(lo, hi) in *set {
            for (a, b) in subtract(lo, hi.min(0xFFFF), except) {
                if a > b {
                    continue;
                }
                if a == b {
                    out.push_str(&format!("\\u{a:04X}"));
                } else {
                    out.push_str(&format!("\\u{a:04X}-\\u{b:04X}"));
                }
            }
        }
    }
    out
}

/// `lo..=hi` without the code points of `except`.
fn subtract(lo: u32, hi: u32, except: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut parts = vec![(lo, hi)];
    for &(elo, ehi) in except {
        parts = parts
            .into_iter()
            .flat_map(|(a, b)| {
                if ehi < a || elo > b {
                    vec![(a, b)]
                } else {
                    let mut v = Vec::new();
                    if elo > a {
                        v.push((a, elo - 1));
                    }
                    if ehi < b {
                        v.push((ehi + 1, b));
                    }
                    v
                }
            })
            .collect();
    }
    parts
}

/// Tab, line feed and carriage return: the controls multi-line text may hold.
const LINE_BREAKS: &[(u32, u32)] = &[(0x09, 0x0A), (0x0D, 0x0D)];
/// The label of a domain name.
const LABEL: &str = "[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?";

fn text_pattern() -> String {
    format!("^[^{}]*$", ranges(&[CONTROLS], LINE_BREAKS))
}

/// The controls no text may hold: all but tab and line breaks.
fn forbidden_controls() -> Vec<(u32, u32)> {
    CONTROLS
        .iter()
        .flat_map(|&(lo, hi)| subtract(lo, hi, LINE_BREAKS))
        .collect()
}

fn required_text_pattern() -> String {
    let forbidden = ranges(&[CONTROLS], LINE_BREAKS);
    let spaces = ranges(&[WHITE_SPACE], &forbidden_controls());
    let blank_or_forbidden = ranges(&[WHITE_SPACE, CONTROLS], &[]);
    format!("^[{spaces}]*[^{blank_or_forbidden}][^{forbidden}]*$")
}

fn identifier_pattern() -> String {
    let never: Vec<(u32, u32)> = CONTROLS.iter().chain(BIDI_CONTROLS).copied().collect();
    let leading = ranges(&[WHITE_SPACE, DEFAULT_IGNORABLE], &never);
    let visible_not = ranges(
        &[WHITE_SPACE, CONTROLS, BIDI_CONTROLS, DEFAULT_IGNORABLE],
        &[],
    );
    let forbidden = ranges(&[CONTROLS, BIDI_CONTROLS], &[]);
    format!("^[{leading}]*[^{visible_not}][^{forbidden}]*$")
}

fn email_pattern() -> String {
    let local_not = ranges(
        &[WHITE_SPACE, CONTROLS, BIDI_CONTROLS, DEFAULT_IGNORABLE],
        &[],
    );
    format!("^[^{local_not}@<>]+@({LABEL}\\.)+{LABEL}$")
}

fn url_pattern() -> String {
    let not = ranges(&[WHITE_SPACE, CONTROLS], &[]);
    format!("https?://[^{not}/?#]+([/?#][^{not}]*)?")
}

/// Sets `rule` on the schema `s` (a property or parameter schema).
fn apply(s: &mut Value, rule: &Rule) {
    let nullable = s["type"]
        .as_array()
        .is_some_and(|t| t.iter().any(|v| v == "null"));
    let set = |s: &mut Value, key: &str, value: Value| {
        if let Some(obj) = s.as_object_mut() {
            obj.insert(key.to_string(), value);
        }
    };
    match rule {
        Rule::Codes(codes, blank) => {
            let mut values: Vec<Value> = codes.iter().map(|c| json!(c)).collect();
            if *blank {
                values.push(json!(""));
            }
            if nullable {
                values.push(Value::Null);
            }
            set(s, "enum", Value::Array(values));
        }
        Rule::Identifier(max) => {
            set(s, "maxLength", json!(max));
            set(s, "pattern", json!(identifier_pattern()));
        }
        Rule::Text(max) => {
            set(s, "maxLength", json!(max));
            set(s, "pattern", json!(text_pattern()));
        }
        Rule::RequiredText(max) => {
            set(s, "maxLength", json!(max));
            set(s, "pattern", json!(required_text_pattern()));
        }
        Rule::Email => {
            set(s, "maxLength", json!(MAX_EMAIL));
            set(s, "pattern", json!(email_pattern()));
        }
        Rule::Domain => {
            set(s, "maxLength", json!(253));
            set(s, "pattern", json!(format!("^@?({LABEL}\\.)+{LABEL}$")));
        }
        Rule::Url(blank) => {
            set(s, "maxLength", json!(MAX_URL));
            let url = url_pattern();
            let pattern = if *blank {
                format!("^({url})?$")
            } else {
                format!("^{url}$")
            };
            set(s, "pattern", json!(pattern));
        }
        Rule::Password => {
            set(s, "minLength", json!(credentials::MIN_PASSWORD));
            set(s, "maxLength", json!(credentials::MAX_PASSWORD));
            set(s, "pattern", json!(required_text_pattern()));
        }
        Rule::Date => {
            set(s, "format", json!("date"));
            set(s, "pattern", json!("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"));
        }
        Rule::Int(min, max) => {
            set(s, "minimum", json!(min));
            set(s, "maximum", json!(max));
        }
        Rule::SomeItems(max, items) => {
            set(s, "minItems", json!(1));
            apply(s, &Rule::Items(*max, Some(items.clone())));
        }
        Rule::Items(max, items) => {
            set(s, "maxItems", json!(max));
            if let (Some(rule), Some(item)) = (items, s.get_mut("items")) {
                apply(item, rule);
            }
        }
        Rule::Attributes(attributes, max) => {
            let properties: Map<String, Value> = attributes
                .iter()
                .map(|(code, label)| {
                    let mut p = json!({"type": "string", "description": label});
                    apply(&mut p, &Rule::RequiredText(*max));
                    ((*code).to_string(), p)
                })
                .collect();
            let required: Vec<Value> = attributes.iter().map(|(c, _)| json!(c)).collect();
            if let Some(obj) = s.as_object_mut() {
                obj.remove("propertyNames");
                obj.insert("properties".into(), Value::Object(properties));
                obj.insert("required".into(), Value::Array(required));
                obj.insert("additionalProperties".into(), json!(false));
            }
        }
    }
}

/// The rules of request body properties: `(schema, property, rule)`.
fn body_rules() -> Vec<(&'static str, &'static str, Rule)> {
    use Rule::*;
    vec![
        ("PartnerBody", "name", Identifier(MAX_NAME)),
        ("PartnerBody", "domains", Items(50, Some(Box::new(Domain)))),
        ("PartnerBody", "family", Codes(Family::CODES, true)),
        ("PartnerBody", "category", Codes(Category::CODES, false)),
        (
            "PartnerBody",
            "integration_direction",
            Codes(IntegrationDirection::CODES, true),
        ),
        ("PartnerBody", "track", Codes(Track::CODES, false)),
        ("PartnerBody", "status", Codes(PartnerStatus::CODES, false)),
        ("PartnerBody", "partner_manager_id", Int(1, i64::MAX)),
        ("PartnerBody", "website", Url(true)),
        ("PartnerBody", "description", Text(MAX_DESCRIPTION)),
        ("PartnerBody", "contacts", Items(MAX_CONTACTS, None)),
        (
            "PartnerBody",
            "scorecard",
            Items(Criterion::CODES.len(), None),
        ),
        ("ContactBody", "name", Identifier(MAX_NAME)),
        ("ContactBody", "email", Email),
        ("ContactBody", "title", Text(200)),
        ("ContactBody", "phone", Text(50)),
        ("ScoreBody", "criterion", Codes(Criterion::CODES, false)),
        ("ScoreBody", "score", Int(0, i64::from(MAX_SCORE))),
        ("ScoreBody", "note", Text(MAX_NOTE)),
        ("DocumentBody", "title", Identifier(MAX_TITLE)),
        ("DocumentBody", "url", Url(false)),
        ("DocumentBody", "audience", Codes(Audience::CODES, false)),
        ("DocumentBody", "sharing", Codes(Sharing::CODES, false)),
        ("DocumentBody", "folder", RequiredText(MAX_FOLDER)),
        ("OrganizationBody", "name", Identifier(MAX_NAME)),
        // Only customer organizations are created here (partners through /api/v1/partners).
        ("OrganizationBody", "kind", Codes(&["customer"], false)),
        (
            "OrganizationBody",
            "domains",
            Items(50, Some(Box::new(Domain))),
        ),
        ("UserBody", "email", Email),
        ("UserBody", "name", Identifier(MAX_NAME)),
        ("UserBody", "role", Codes(Role::CODES, false)),
        ("UserBody", "password", Password),
        (
            "TokenBody",
            "label",
            RequiredText(credentials::MAX_TOKEN_LABEL),
        ),
        (
            "TokenBody",
            "expires_in_days",
            Int(1, credentials::MAX_TOKEN_DAYS),
        ),
        ("DeliveryModelBody", "name", Identifier(MAX_CELL)),
        (
            "DeliveryModelBody",
            "attributes",
            Attributes(ATTRIBUTES, MAX_CELL),
        ),
        ("WebhookBody", "name", Identifier(200)),
        ("WebhookBody", "url", Url(false)),
        (
            "WebhookBody",
            "events",
            SomeItems(Event::CODES.len(), Box::new(Codes(Event::CODES, false))),
        ),
        ("StepBody", "text", RequiredText(inbound::MAX_STEP)),
        ("StepBody", "owner_id", Int(1, i64::MAX)),
        ("StepBody", "due_on", Date),
        ("StepPatchBody", "text", RequiredText(inbound::MAX_STEP)),
        ("StepPatchBody", "owner_id", Int(1, i64::MAX)),
        ("StepPatchBody", "due_on", Date),
        ("AcceptBody", "family", Codes(Family::CODES, true)),
        ("AcceptBody", "category", Codes(Category::CODES, false)),
        (
            "AcceptBody",
            "integration_direction",
            Codes(IntegrationDirection::CODES, true),
        ),
        ("AcceptBody", "track", Codes(Track::CODES, false)),
        ("DeclineBody", "reason", RequiredText(inbound::MAX_STEP)),
        ("HandoverBody", "lead_id", Int(1, i64::MAX)),
    ]
    .into_iter()
    .chain(inbound_rules("InboundBody"))
    .chain(inbound_rules("InboundPatchBody"))
    .chain([("InboundPatchBody", "notes", Text(inbound::MAX_ANSWER))])
    .collect()
}

/// The rules of a request's answers, in the body that creates one and the one that changes it.
fn inbound_rules(schema: &'static str) -> Vec<(&'static str, &'static str, Rule)> {
    use Rule::*;
    vec![
        (schema, "company", Identifier(MAX_NAME)),
        (schema, "website", Url(true)),
        (schema, "contact_name", Identifier(MAX_NAME)),
        (schema, "contact_email", Email),
        (schema, "interest", Codes(Interest::CODES, false)),
        (schema, "integration", RequiredText(inbound::MAX_ANSWER)),
        (schema, "benefits", RequiredText(inbound::MAX_ANSWER)),
        (schema, "relationship", RequiredText(inbound::MAX_ANSWER)),
        (schema, "document_url", Url(true)),
        (schema, "received_via", Codes(ReceivedVia::CODES, false)),
    ]
}

/// The rules of query parameters: `(path, name, rule)`, the path `None` for every path where
/// the name appears.
fn parameter_rules() -> Vec<(Option<&'static str>, &'static str, Rule)> {
    use Rule::*;
    vec![
        (None, "family", Codes(Family::CODES, true)),
        (None, "category", Codes(Category::CODES, true)),
        (None, "track", Codes(Track::CODES, true)),
        (None, "status", Codes(PartnerStatus::CODES, true)),
        (None, "kind", Codes(OrgKind::CODES, true)),
        (None, "role", Codes(Role::CODES, true)),
        (None, "event", Codes(SecurityEvent::CODES, true)),
        (None, "entity_type", Codes(AuditEntity::CODES, true)),
        (None, "q", Text(200)),
        (None, "entity_id", Text(100)),
        (
            Some("/api/v1/inbound-requests"),
            "state",
            Codes(RequestState::CODES, true),
        ),
        (Some("/api/v1/outbox"), "state", Codes(OUTBOX_STATES, true)),
    ]
}

/// The states a delivery may be listed by.
const OUTBOX_STATES: &[&str] = &["pending", "failed", "running", "done", "dead", "discarded"];

/// The error statuses any operation can answer, and when.
fn error_statuses(method: &str, has_body: bool) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![
        (
            "400",
            "A parameter or the body is malformed or holds a control character; the error names it",
        ),
        ("401", "No valid bearer token or session"),
        ("414", "The request target is too long"),
        ("431", "The request headers are too large"),
        (
            "500",
            "An error of ours; the cause is logged, none of it shown",
        ),
    ];
    if method != "get" {
        out.push((
            "403",
            "The role may not do this, or a browser session's CSRF token is missing",
        ));
    }
    if has_body {
        out.push(("413", "The request body is too large"));
        out.push(("415", "The body is not of the documented content type"));
    }
    out
}

/// A new partner's body: the patch body without `version`, with `name` and `category`
/// required and not null.
fn new_partner_body(doc: &mut Value) {
    let Some(mut body) = doc.pointer("/components/schemas/PartnerBody").cloned() else {
        return;
    };
    if let Some(props) = body["properties"].as_object_mut() {
        props.remove("version");
        for required in ["name", "category"] {
            if let Some(p) = props.get_mut(required) {
                p["type"] = json!("string");
                if let Some(values) = p.get_mut("enum").and_then(Value::as_array_mut) {
                    values.retain(|v| !v.is_null());
                }
            }
        }
    }
    body["required"] = json!(["name", "category"]);
    body["description"] = json!("A partner to create.");
    doc["components"]["schemas"]["NewPartnerBody"] = body;
    if let Some(schema) = doc
        .pointer_mut("/paths/~1api~1v1~1partners/post/requestBody/content/application~1json/schema")
    {
        *schema = json!({"$ref": "#/components/schemas/NewPartnerBody"});
    }
}

/// Completes the generated document in place.
pub fn complete(doc: &mut Value) {
    // Bodies.
    for (schema, property, rule) in body_rules() {
        if let Some(p) = doc.pointer_mut(&format!(
            "/components/schemas/{schema}/properties/{property}"
        )) {
            apply(p, &rule);
        }
    }
    new_partner_body(doc);
    let params = parameter_rules();
    let text = text_pattern();
    let error_ref = json!({"$ref": "#/components/schemas/ErrorBody"});
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            // Operation ids unique across the document: the handler's name within its tag.
            if let (Some(tag), Some(id)) = (op["tags"][0].as_str(), op["operationId"].as_str()) {
                let unique = format!("{}_{id}", tag.replace(' ', "_"));
                op["operationId"] = json!(unique);
            }
            // Parameters: codes and texts; every other string at least plain text.
            if let Some(list) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                for param in list {
                    let name = param["name"].as_str().unwrap_or_default().to_string();
                    let Some(schema) = param.get_mut("schema") else {
                        continue;
                    };
                    let rule = params
                        .iter()
                        .find(|(p, n, _)| *n == name && p.is_some_and(|p| p == path))
                        .or_else(|| params.iter().find(|(p, n, _)| *n == name && p.is_none()));
                    if let Some((_, _, rule)) = rule {
                        apply(schema, rule);
                    } else if schema["type"] == "string" && schema.get("pattern").is_none() {
                        schema["pattern"] = json!(text);
                    }
                }
            }
            if !path.starts_with("/api/v1/") {
                continue;
            }
            let has_body = op.get("requestBody").is_some();
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            for (status, description) in error_statuses(method, has_body) {
                responses.entry(status.to_string()).or_insert_with(|| {
                    json!({
                        "description": description,
                        "content": {"application/json": {"schema": error_ref.clone()}},
                    })
                });
            }
        }
    }
    // The CSV import's body is plain text too.
    if let Some(csv) = doc
        .pointer_mut("/paths/~1api~1v1~1partners~1import/post/requestBody/content/text~1csv/schema")
    {
        csv["pattern"] = json!(text);
        csv["description"] = json!(format!(
            "A header line naming columns of {}, then one partner a line (at most {}).",
            partner_csv::IMPORT_COLUMNS.join(", "),
            partner_csv::MAX_IMPORT_ROWS
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use partnerhub_domain::documents::parse_url;
    use partnerhub_domain::organization::{EmailAddress, EmailDomain};
    use partnerhub_domain::{field, text};

    #[test]
    fn ranges_skip_the_excepted_code_points() {
        assert_eq!(subtract(0, 10, &[(3, 4)]), vec![(0, 2), (5, 10)]);
        assert_eq!(ranges(&[&[(0x09, 0x0D)]], LINE_BREAKS), "\\u000B-\\u000C");
    }

    /// Strings built from characters each rule treats differently, in every short combination
    /// and many longer random ones.
    fn samples() -> Vec<String> {
        let alphabet = [
            "a", "Z", "0", "-", ".", "@", "<", " ", "\t", "\n", "\u{0}", "\u{7f}", "\u{85}",
            "\u{a0}", "\u{ad}", "\u{200b}", "\u{202e}", "\u{2066}", "\u{3000}", "é", "/", "?", "#",
            ":", "https://", "http://", "x.com", "ß",
        ];
        let mut out = vec![String::new()];
        for a in alphabet {
            for b in alphabet {
                out.push(format!("{a}{b}"));
                for c in ["a", " ", "@x.com", ".com", "\u{200b}"] {
                    out.push(format!("{a}{b}{c}"));
                    out.push(format!("{c}{a}{b}"));
                }
            }
        }
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            let mut s = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let n = (seed % 7) as usize;
            for i in 0..n {
                let k = ((seed >> (i * 5)) % alphabet.len() as u64) as usize;
                s.push_str(alphabet[k]);
            }
            out.push(s);
        }
        out
    }

    fn agree(pattern: &str, accepts: impl Fn(&str) -> bool) {
        let re = regex::Regex::new(pattern).unwrap();
        for s in samples() {
            assert_eq!(re.is_match(&s), accepts(&s), "{pattern} on {s:?}");
        }
    }

    #[test]
    fn each_pattern_matches_exactly_what_the_domain_accepts() {
        agree(&text_pattern(), |s| {
            field::optional_text("f", s, 1000).is_ok()
        });
        agree(&required_text_pattern(), |s| {
            field::text("f", s, 1000).is_ok()
        });
        agree(&identifier_pattern(), |s| {
            text::identifier("f", s, 1000).is_ok()
        });
        agree(&email_pattern(), |s| EmailAddress::parse("f", s).is_ok());
        agree(&format!("^@?({LABEL}\\.)+{LABEL}$"), |s| {
            EmailDomain::parse("f", s).is_ok()
        });
        agree(&format!("^{}$", url_pattern()), |s| {
            parse_url("f", s).is_ok()
        });
    }
}
