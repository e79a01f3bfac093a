//! The registry of documents shared with partners, and the handbook's conventions for them.
//!
//! A document breaking a convention is still recorded: the breach is reported as a warning so the
//! team can fix the document where it lives.

use crate::field::{self, FieldError, FieldErrors};
use crate::taxonomy::coded_enum;

/// Longest document title.
pub const MAX_TITLE: usize = 300;
/// Longest URL.
pub const MAX_URL: usize = 2000;
/// Longest folder path.
pub const MAX_FOLDER: usize = 500;

coded_enum! {
    /// Who a document is for.
    Audience {
        /// Shared with the partner.
        PartnerShared = ("partner_shared", "Shared with the partner"),
        /// The vendor's own notes about the partner.
        Internal = ("internal", "Internal"),
    }
}

coded_enum! {
    /// How the document is shared where it lives.
    Sharing {
        AnyoneWithLink = ("anyone_with_link", "Anyone with the link"),
        VendorOnly = ("vendor_only", "Vendor only"),
    }
}

/// A validated document entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedDocument {
    pub title: String,
    pub url: String,
    pub audience: Audience,
    pub sharing: Sharing,
    pub folder: String,
}

/// The raw fields of a document as a client sent them.
#[derive(Debug, Clone, Default)]
pub struct DocumentInput<'a> {
    pub title: &'a str,
    pub url: &'a str,
    pub audience: &'a str,
    pub sharing: &'a str,
    pub folder: &'a str,
}

impl SharedDocument {
    /// Parses every field, reporting all bad ones.
    pub fn parse(input: &DocumentInput<'_>) -> Result<Self, FieldErrors> {
        let mut errs = FieldErrors::default();
        let title = errs.take(crate::text::identifier("title", input.title, MAX_TITLE));
        let url = errs.take(parse_url("url", input.url));
        let audience = errs.take(Audience::parse("audience", input.audience));
        let sharing = errs.take(Sharing::parse("sharing", input.sharing));
        let folder = errs.take(field::text("folder", input.folder, MAX_FOLDER));
        match (title, url, audience, sharing, folder) {
            (Some(title), Some(url), Some(audience), Some(sharing), Some(folder))
                if errs.is_empty() =>
            {
                Ok(Self {
                    title,
                    url,
                    audience,
                    sharing,
                    folder,
                })
            }
            _ => Err(errs),
        }
    }

    /// Every breach of the handbook's conventions, for a document of `partner` at `vendor`.
    pub fn warnings(&self, partner: &str, vendor: &str) -> Vec<DocumentWarning> {
        let mut out = Vec::new();
        let expected = expected_title(partner, vendor);
        if !title_follows_convention(&self.title, &expected) {
            out.push(DocumentWarning::Title { expected });
        }
        match (self.audience, self.sharing) {
            (Audience::PartnerShared, Sharing::VendorOnly) => {
                out.push(DocumentWarning::PartnerSharedNotOpen)
            }
            (Audience::Internal, Sharing::AnyoneWithLink) => {
                out.push(DocumentWarning::InternalNotVendorOnly {
                    vendor: vendor.to_string(),
                })
            }
            _ => {}
        }
        let last = self
            .folder
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .trim();
        if !last.eq_ignore_ascii_case(partner.trim()) {
            out.push(DocumentWarning::Folder {
                expected: partner.trim().to_string(),
            });
        }
        out
    }
}

/// The handbook's document name: "PARTNER NAME and VENDOR".
pub fn expected_title(partner: &str, vendor: &str) -> String {
    format!("{} and {}", partner.trim(), vendor.trim())
}

/// The exact name, or the name followed by a separator and a subject ("AWS and GitLab - GTM plan").
fn title_follows_convention(title: &str, expected: &str) -> bool {
    let t = title.trim();
    if t.len() < expected.len() || !t.is_char_boundary(expected.len()) {
        return false;
    }
    let (head, rest) = t.split_at(expected.len());
    head.eq_ignore_ascii_case(expected)
        && (rest.is_empty()
            || [" - ", " – ", " — ", ": "]
                .iter()
                .any(|sep| rest.starts_with(sep)))
}

/// One breach of the document conventions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentWarning {
    Title { expected: String },
    PartnerSharedNotOpen,
    InternalNotVendorOnly { vendor: String },
    Folder { expected: String },
}

impl DocumentWarning {
    /// A stable code for the breach.
    pub fn code(&self) -> &'static str {
        match self {
            DocumentWarning::Title { .. } => "title_convention",
            DocumentWarning::PartnerSharedNotOpen => "partner_shared_not_open",
            DocumentWarning::InternalNotVendorOnly { .. } => "internal_not_vendor_only",
            DocumentWarning::Folder { .. } => "folder_convention",
        }
    }

    /// What is wrong and how to fix it.
    pub fn message(&self) -> String {
        match self {
            DocumentWarning::Title { expected } => {
                format!("Title should follow the convention \"{expected}\"")
            }
            DocumentWarning::PartnerSharedNotOpen => {
                "Documents shared with the partner should be open to anyone with the link"
                    .to_string()
            }
            DocumentWarning::InternalNotVendorOnly { vendor } => {
                format!("Internal documents should be shared with {vendor} only")
            }
            DocumentWarning::Folder { expected } => {
                format!("Document should live in the partner's own folder \"{expected}\"")
            }
        }
    }
}

/// An absolute `http`/`https` URL with a host and no spaces (not even around it).
pub fn parse_url(field_name: &str, raw: &str) -> Result<String, FieldError> {
    let value = field::text(field_name, raw, MAX_URL)?;
    if value.len() != raw.len() {
        return Err(FieldError::new(
            field_name,
            "invalid",
            format!("{field_name} must be an http(s) URL"),
        ));
    }
    let invalid = || {
        FieldError::new(
            field_name,
            "invalid",
            format!("{field_name} must be an http(s) URL"),
        )
    };
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(invalid)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || value.chars().any(char::is_whitespace) {
        return Err(invalid());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(title: &str, audience: &str, sharing: &str, folder: &str) -> SharedDocument {
        SharedDocument::parse(&DocumentInput {
            title,
            url: "https://docs.example.com/d/1",
            audience,
            sharing,
            folder,
        })
        .unwrap()
    }

    #[test]
    fn a_document_following_every_convention_has_no_warning() {
        let d = doc(
            "AWS and GitLab",
            "partner_shared",
            "anyone_with_link",
            "Alliances/AWS",
        );
        assert!(d.warnings("AWS", "GitLab").is_empty());
        let d = doc(
            "AWS and GitLab - Joint GTM plan",
            "internal",
            "vendor_only",
            "AWS",
        );
        assert!(d.warnings("AWS", "GitLab").is_empty());
    }

    #[test]
    fn a_misnamed_document_is_flagged_with_the_expected_name() {
        let d = doc("GTM plan", "partner_shared", "anyone_with_link", "AWS");
        let w = d.warnings("AWS", "GitLab");
        assert_eq!(
            w,
            vec![DocumentWarning::Title {
                expected: "AWS and GitLab".into()
            }]
        );
        assert!(w[0].message().contains("AWS and GitLab"));
        // A longer partner name that merely starts the same is not the convention.
        assert!(!doc("AWS and GitLabs", "internal", "vendor_only", "AWS")
            .warnings("AWS", "GitLab")
            .is_empty());
    }

    #[test]
    fn sharing_must_match_the_audience() {
        let shared_closed = doc("AWS and GitLab", "partner_shared", "vendor_only", "AWS");
        assert_eq!(
            shared_closed.warnings("AWS", "GitLab"),
            vec![DocumentWarning::PartnerSharedNotOpen]
        );
        let internal_open = doc("AWS and GitLab", "internal", "anyone_with_link", "AWS");
        assert_eq!(
            internal_open.warnings("AWS", "GitLab")[0].code(),
            "internal_not_vendor_only"
        );
    }

    #[test]
    fn documents_live_in_the_partners_folder() {
        let d = doc(
            "AWS and GitLab",
            "internal",
            "vendor_only",
            "Alliances/Google",
        );
        assert_eq!(
            d.warnings("AWS", "GitLab"),
            vec![DocumentWarning::Folder {
                expected: "AWS".into()
            }]
        );
    }

    #[test]
    fn bad_fields_are_all_named() {
        let err = SharedDocument::parse(&DocumentInput {
            title: "",
            url: "javascript:alert(1)",
            audience: "everyone",
            sharing: "anyone_with_link",
            folder: "AWS",
        })
        .unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "url", "audience"]);
    }
}
