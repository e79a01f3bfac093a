//! Organizations, their email domains, users and roles.
//!
//! The vendor is one organization; partners and customers are the others. A role fixes which
//! kind of organization its user belongs to.

use crate::field::{self, FieldError};
use crate::taxonomy::coded_enum;
use crate::text;

/// Longest organization or person name accepted.
pub const MAX_NAME: usize = 200;
/// Longest email address accepted (RFC 5321 path limit).
pub const MAX_EMAIL: usize = 254;

coded_enum! {
    /// The three kinds of organization.
    OrgKind {
        Vendor = ("vendor", "Vendor"),
        Partner = ("partner", "Partner"),
        Customer = ("customer", "Customer"),
    }
}

coded_enum! {
    /// What a user does in Partnerhub.
    Role {
        Admin = ("admin", "Administrator"),
        Alliances = ("alliances", "Alliances team"),
        Support = ("support", "Support agent"),
        Finance = ("finance", "Production team lead / finance"),
        Partner = ("partner", "Partner user"),
        Customer = ("customer", "Customer user"),
    }
}

impl Role {
    /// The kind of organization a user of this role belongs to.
    pub fn org_kind(self) -> OrgKind {
        match self {
            Role::Admin | Role::Alliances | Role::Support | Role::Finance => OrgKind::Vendor,
            Role::Partner => OrgKind::Partner,
            Role::Customer => OrgKind::Customer,
        }
    }

    /// Vendor staff see every organization; the others only their own.
    pub fn is_staff(self) -> bool {
        self.org_kind() == OrgKind::Vendor
    }
}

/// A validated organization name, in canonical form (see [`text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName(String);

impl OrgName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        text::identifier(field, raw, MAX_NAME).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// What no two organizations may share: the name case-folded.
    pub fn key(&self) -> String {
        text::identity_key(&self.0)
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A lowercase email address with one `@`, a local part and a dotted domain, in canonical form
/// (see [`text`]): the stored address is also what no two users may share.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address as sent: no spaces (not even around it), control, bidirectional or
    /// invisible characters, which could make two addresses that read alike differ.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        if raw.is_empty() {
            return Err(FieldError::required(field));
        }
        text::check_bidi(field, raw)?;
        field::check_controls(field, raw)?;
        if raw.chars().count() > MAX_EMAIL {
            return Err(FieldError::too_long(field, MAX_EMAIL));
        }
        let invalid = |why: &str| {
            FieldError::new(
                field,
                "invalid",
                format!("{field} is not a valid email address: {why}"),
            )
        };
        if raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || text::is_default_ignorable(c))
        {
            return Err(invalid("it holds spaces or invisible characters"));
        }
        let value = text::canonical(raw).to_lowercase();
        let (local, domain) = value
            .split_once('@')
            .ok_or_else(|| invalid("it has no @"))?;
        if local.is_empty() || local.chars().any(|c| c == '<' || c == '>') {
            return Err(invalid("the part before @ is empty or holds < or >"));
        }
        if domain.contains('@') {
            return Err(invalid("it has more than one @"));
        }
        EmailDomain::parse(field, domain)
            .map_err(|_| invalid("the part after @ is not a domain name"))?;
        Ok(Self(value))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

/// A lowercase DNS domain such as `example.com`, by which users join an organization.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailDomain(String);

impl EmailDomain {
    /// Parses a domain as sent (an `@` before it is dropped): dotted labels of letters, digits
    /// and inner hyphens.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        if raw.is_empty() {
            return Err(FieldError::required(field));
        }
        if raw.chars().count() > 253 {
            return Err(FieldError::too_long(field, 253));
        }
        let value = raw.to_lowercase();
        let value = value.strip_prefix('@').unwrap_or(&value).to_string();
        let labels: Vec<&str> = value.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(FieldError::new(
                field,
                "invalid",
                format!("{field}: {value:?} is not a domain name"),
            ));
        }
        Ok(Self(value))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses a list of domains, naming the index of the first bad one; duplicates are dropped.
pub fn parse_domains(field: &str, raw: &[String]) -> Result<Vec<EmailDomain>, FieldError> {
    if raw.len() > 50 {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("{field} holds at most 50 domains"),
        ));
    }
    let mut out: Vec<EmailDomain> = Vec::with_capacity(raw.len());
    for (i, d) in raw.iter().enumerate() {
        let domain = EmailDomain::parse(&format!("{field}[{i}]"), d)?;
        if !out.contains(&domain) {
            out.push(domain);
        }
    }
    Ok(out)
}

/// A validated person's name, in canonical form (see [`text`]).
pub fn person_name(field: &str, raw: &str) -> Result<String, FieldError> {
    text::identifier(field, raw, MAX_NAME)
}

/// How an email address a person typed is looked up: canonical and lowercase, as
/// [`EmailAddress::parse`] stores it, without refusing anything.
pub fn email_lookup_key(raw: &str) -> String {
    text::canonical(raw).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_belong_to_the_organization_kind_of_their_work() {
        assert_eq!(Role::Admin.org_kind(), OrgKind::Vendor);
        assert_eq!(Role::Finance.org_kind(), OrgKind::Vendor);
        assert_eq!(Role::Partner.org_kind(), OrgKind::Partner);
        assert_eq!(Role::Customer.org_kind(), OrgKind::Customer);
        assert!(Role::Support.is_staff());
        assert!(!Role::Partner.is_staff());
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        let e = EmailAddress::parse("email", "Ada@Example.COM").unwrap();
        assert_eq!(e.as_str(), "ada@example.com");
        assert_eq!(e.domain(), "example.com");
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@-x.com",
            " ada@example.com",
            "ada@example.com\u{200b}",
            "ada\u{202e}@example.com",
            "ada@@example.com",
        ] {
            let err = EmailAddress::parse("email", bad).unwrap_err();
            assert_eq!(err.field, "email", "{bad}");
        }
    }

    #[test]
    fn lookalike_names_and_emails_are_one() {
        let a = OrgName::parse("name", "AWS").unwrap();
        let b = OrgName::parse("name", "\u{200b}aws").unwrap();
        assert_eq!(b.as_str(), "aws");
        assert_eq!(a.key(), b.key());
        assert!(OrgName::parse("name", "AWS\u{202e}").is_err());
        // An address with an invisible character is refused rather than silently changed.
        assert!(EmailAddress::parse("email", "Ada\u{200b}@Example.com").is_err());
        assert_eq!(
            email_lookup_key(" ADA@example.com\u{ad}"),
            "ada@example.com"
        );
        assert!(person_name("name", "\u{202e}Ada").is_err());
    }

    #[test]
    fn domain_lists_name_the_bad_entry() {
        let ok = parse_domains(
            "domains",
            &[
                "aws.amazon.com".into(),
                "@Amazon.com".into(),
                "amazon.com".into(),
            ],
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        let err = parse_domains("domains", &["ok.com".into(), "not a domain".into()]).unwrap_err();
        assert_eq!(err.field, "domains[1]");
    }
}
