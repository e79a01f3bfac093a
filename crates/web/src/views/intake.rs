//! The public partner-with-us page: no sign-in, no JavaScript. It asks what the handbook asks
//! and explains the shared document it wants; its form is protected by a double-submit token
//! (there is no session) and a honeypot field people never see.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::Response;
use partnerhub_app::secrets::{constant_time_eq, new_secret};
use partnerhub_app::AppError;
use partnerhub_domain::inbound::{InboundInput, Interest};

use super::forms::{choices, read_fields, Choice, Errors, Fields, Rejected};
use super::layout::{render_status, PageResult, ViewError};
use crate::auth::CookieSpec;
use crate::client::Client;
use crate::state::AppState;

/// The form's double-submit token, sent only to this page.
pub const INTAKE_CSRF_COOKIE: CookieSpec =
    CookieSpec::new("partnerhub_intake_csrf", "/partner-with-us", "Strict");

/// The honeypot: a field hidden from people, which bots fill in.
pub const HONEYPOT: &str = "homepage";

/// The one-line fields: name, label, input type, placeholder.
pub const INPUTS: &[(&str, &str, &str, &str)] = &[
    ("company", "Company", "text", ""),
    ("website", "Website", "url", "https://…"),
    ("contact_name", "Your name", "text", ""),
    ("contact_email", "Your email", "email", ""),
];

/// The handbook's three questions: name and label.
pub const ANSWERS: &[(&str, &str)] = &[
    ("integration", "The technical integration"),
    ("benefits", "The benefits for end users"),
    ("relationship", "The business relationship you would like"),
];

#[derive(Template)]
#[template(path = "partner_with_us.html")]
struct IntakePage {
    vendor: String,
    csrf: String,
    fields: Fields,
    interests: Vec<Choice>,
    errors: Errors,
    done: Option<String>,
    honeypot: &'static str,
}

impl IntakePage {
    fn value(&self, name: &str) -> &str {
        self.fields.get(name)
    }
}

fn page(
    state: &AppState,
    client: &Client,
    status: StatusCode,
    fields: Fields,
    errors: Errors,
    done: Option<String>,
) -> Response {
    let csrf = new_secret();
    let cookie = INTAKE_CSRF_COOKIE.set(client.secure, &csrf, 3600);
    let interest = fields.get("interest").to_string();
    let page = IntakePage {
        vendor: state.config().vendor_name.clone(),
        csrf,
        interests: choices(
            Interest::ALL.iter().map(|i| (i.code(), i.label())),
            &interest,
        ),
        fields,
        errors,
        done,
        honeypot: HONEYPOT,
    };
    let mut res = render_status(status, &page);
    if let Ok(v) = cookie.parse() {
        res.headers_mut().append(SET_COOKIE, v);
    }
    res
}

/// `GET /partner-with-us`.
pub async fn form(State(state): State<AppState>, client: Client) -> Response {
    page(
        &state,
        &client,
        StatusCode::OK,
        Fields::default(),
        Errors::default(),
        None,
    )
}

/// A blank optional field is none.
fn optional(f: &Fields, name: &str) -> Option<String> {
    f.non_blank(name).map(|v| v.trim().to_string())
}

/// `POST /partner-with-us`.
pub async fn submit(State(state): State<AppState>, req: Request) -> PageResult {
    let (parts, body) = req.into_parts();
    let client = Client::of(&parts, &state);
    let cookie = INTAKE_CSRF_COOKIE
        .read(&parts, client.secure)
        .map(str::to_string);
    let fields = match read_fields(Request::from_parts(parts, body), &state).await {
        Ok(f) => f,
        Err(res) => return Ok(res),
    };
    let token_ok = match (cookie.as_deref(), fields.opt("csrf_token")) {
        (Some(c), Some(f)) => !c.is_empty() && constant_time_eq(c, f),
        _ => false,
    };
    if !token_ok {
        let errors = Errors(vec![partnerhub_domain::FieldError::new(
            "form",
            "expired",
            "The form expired. Please send it again.",
        )]);
        return Ok(page(
            &state,
            &client,
            StatusCode::FORBIDDEN,
            fields,
            errors,
            None,
        ));
    }
    let input = InboundInput {
        company: fields.get("company").trim().to_string(),
        website: optional(&fields, "website"),
        contact_name: fields.get("contact_name").trim().to_string(),
        contact_email: fields.get("contact_email").trim().to_string(),
        interest: fields.get("interest").trim().to_string(),
        integration: fields.get("integration").to_string(),
        benefits: fields.get("benefits").to_string(),
        relationship: fields.get("relationship").to_string(),
        document_url: optional(&fields, "document_url"),
        received_via: None,
    };
    match state
        .app()
        .submit_inbound(&client.ip, &input, fields.opt(HONEYPOT))
        .await
    {
        Ok(record) => {
            let done = format!(
                "Thank you. We received the request of {} and will come back to {}.",
                record.draft.company.as_str(),
                record.draft.contact_email.as_str()
            );
            Ok(page(
                &state,
                &client,
                StatusCode::CREATED,
                Fields::default(),
                Errors::default(),
                Some(done),
            ))
        }
        Err(AppError::Limited(message)) => {
            Err(ViewError::new(StatusCode::TOO_MANY_REQUESTS, message))
        }
        Err(e) => match Rejected::from(e) {
            Rejected::Fields(status, errors) => {
                Ok(page(&state, &client, status, fields, errors, None))
            }
            Rejected::Page(e) => Err(e),
        },
    }
}
