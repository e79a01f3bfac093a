//! The frame around every page (top bar, navigation, signed-in user), rendering, the stylesheet,
//! and the friendly error pages that stand in for API errors.

use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use partnerhub_domain::access::Action;

use crate::auth::Session;
use crate::error::ApiError;
use crate::state::AppState;

/// The stylesheet, compiled in so the binary serves its own UI.
const STYLESHEET: &str = include_str!("../../static/app.css");

/// Which navigation entry a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Partners,
    DeliveryModels,
    Tokens,
    Users,
    Audit,
    Security,
    Inbound,
    Outbox,
    Webhooks,
}

/// What the frame of a page shows: who is signed in, what they may open, and the form token.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub vendor: String,
    pub user_name: String,
    pub user_email: String,
    pub role: &'static str,
    pub csrf: String,
    pub section: Section,
    pub show_users: bool,
    pub show_audit: bool,
    pub show_security: bool,
    pub show_inbound: bool,
    pub show_outbox: bool,
    pub show_webhooks: bool,
    /// A one-line confirmation of what just happened ("Partner saved").
    pub notice: Option<&'static str>,
}

impl Chrome {
    pub fn new(state: &AppState, session: &Session, section: Section) -> Self {
        Self {
            vendor: state.config().vendor_name.clone(),
            user_name: session.user.name.clone(),
            user_email: session.user.email.clone(),
            role: session.user.role.label(),
            csrf: session.csrf().to_string(),
            section,
            show_users: session.may(Action::ManageUsers),
            show_audit: session.may(Action::ReadFullAudit),
            show_security: session.may(Action::ReadSecurityLog),
            show_inbound: session.may(Action::ReadInboundRequests),
            show_outbox: session.may(Action::ManageOutbox),
            show_webhooks: session.may(Action::ManageWebhooks),
            notice: None,
        }
    }

    /// The same frame with a confirmation from a `?done=` code (never text from the URL).
    pub fn with_notice(mut self, done: Option<&str>) -> Self {
        self.notice = done.and_then(notice);
        self
    }

    /// Whether the page belongs to the navigation entry `name` (for `aria-current`).
    pub fn at(&self, name: &str) -> bool {
        let current = match self.section {
            Section::Partners => "partners",
            Section::DeliveryModels => "delivery-models",
            Section::Tokens => "tokens",
            Section::Users => "users",
            Section::Audit => "audit",
            Section::Security => "security",
            Section::Inbound => "inbound",
            Section::Outbox => "outbox",
            Section::Webhooks => "webhooks",
        };
        current == name
    }
}

/// Confirmations a redirect can ask for; unknown codes show nothing.
fn notice(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "Partner created.",
        "saved" => "Changes saved.",
        "document-added" => "Document added to the registry.",
        "document-deleted" => "Document removed from the registry.",
        "partner-deleted" => "Partner deleted.",
        "token-revoked" => "Token revoked.",
        "user-created" => "User created.",
        "user-deactivated" => {
            "User deactivated: their sessions ended and their API tokens were revoked."
        }
        "user-activated" => "User reactivated.",
        "user-moved" => "User moved to the other organization.",
        "claimed" => "You lead this request now; the alliances channel is told.",
        "handed-over" => "The lead was handed over.",
        "step-added" => "Next step recorded.",
        "declined" => "Request declined.",
        "spam" => "Request marked as spam: it is hidden from the list.",
        "logged" => "Request logged; the alliances channel is told.",
        "model-saved" => "Delivery model saved.",
        "delivery-retried" => "Delivery put back in line: it goes out with the next run.",
        "delivery-discarded" => "Delivery discarded.",
        "webhook-deleted" => "Subscription deleted.",
        "webhook-tested" => "Test event queued: it shows in the delivery log below.",
        _ => return None,
    })
}

/// Renders a template, turning a template failure into a logged 500.
pub fn render<T: Template>(template: &T) -> Result<Html<String>, ViewError> {
    template.render().map(Html).map_err(|e| {
        tracing::error!(error = %e, "template rendering failed");
        ViewError::from(ApiError::internal())
    })
}

/// Renders a template with a status other than 200.
pub fn render_status<T: Template>(status: StatusCode, template: &T) -> Response {
    match render(template) {
        Ok(html) => (status, html).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A page that could not be shown, as the person sees it.
#[derive(Debug, Clone)]
pub struct ViewError {
    pub status: StatusCode,
    pub message: String,
}

impl ViewError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl From<ApiError> for ViewError {
    fn from(e: ApiError) -> Self {
        // The API's wording is for programs; pages get sentences (and a 5xx reveals nothing).
        let message = match e.status {
            StatusCode::FORBIDDEN => {
                "Your role is not allowed to do this. Ask an administrator if you need access."
                    .to_string()
            }
            StatusCode::NOT_FOUND => {
                "There is nothing here: the page does not exist, or it is not yours to see."
                    .to_string()
            }
            s if s.is_server_error() => {
                "Something went wrong on our side. The cause has been logged; please try again."
                    .to_string()
            }
            _ => e.message,
        };
        Self::new(e.status, message)
    }
}

impl From<partnerhub_app::AppError> for ViewError {
    fn from(e: partnerhub_app::AppError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<partnerhub_store::StoreError> for ViewError {
    fn from(e: partnerhub_store::StoreError) -> Self {
        ApiError::from(e).into()
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    code: u16,
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for ViewError {
    fn into_response(self) -> Response {
        let title = match self.status {
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::TOO_MANY_REQUESTS => "Too many requests",
            s if s.is_server_error() => "Something went wrong",
            _ => "That did not work",
        };
        let page = ErrorPage {
            code: self.status.as_u16(),
            title,
            message: &self.message,
        };
        match page.render() {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page rendering failed");
                (self.status, self.message).into_response()
            }
        }
    }
}

/// What a page handler returns.
pub type PageResult = Result<Response, ViewError>;

/// The stylesheet's URL, named by a fingerprint of its content (`/static/app.1a2b3c4d5e6f.css`),
/// so it is cached for good and a new release is fetched at once.
pub fn stylesheet_url() -> &'static str {
    static URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    URL.get_or_init(|| {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(STYLESHEET.as_bytes());
        format!("/static/app.{}.css", &hex::encode(digest)[..12])
    })
}

/// `GET /static/{file}`: the stylesheet under its fingerprinted name, cached immutably; under
/// its plain name (`app.css`, for links from before the fingerprint), revalidated each time.
pub async fn stylesheet(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let cache = if format!("/static/{file}") == stylesheet_url() {
        "public, max-age=31536000, immutable"
    } else if file == "app.css" {
        "no-cache"
    } else {
        return ViewError::from(ApiError::not_found()).into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, cache),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// Any path no route claims: JSON for API clients, a page for people.
pub async fn not_found(State(_state): State<AppState>, uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return ApiError::not_found().into_response();
    }
    ViewError::from(ApiError::not_found()).into_response()
}
