//! The test application: the real server on a free loopback port, over SQLite in a temporary
//! directory or a fresh PostgreSQL database, seeded with a user of every role and a few
//! organizations, and a client that speaks its API.

use std::sync::OnceLock;

use partnerhub_app::secrets::{new_api_token, new_secret, secret_hash};
use partnerhub_app::{App, AppConfig};
use partnerhub_domain::audit::ChainKey;
use partnerhub_domain::documents::{DocumentInput, SharedDocument};
use partnerhub_domain::organization::{EmailAddress, OrgKind, OrgName, Role};
use partnerhub_domain::partner::{PartnerDraft, PartnerInput};
use partnerhub_store::{Db, NewOrganization, NewUser, Store, Who};
use partnerhub_web::{AppState, WebConfig};
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The variable naming the PostgreSQL server the tests create their databases on.
pub const POSTGRES_ENV: &str = "PARTNERHUB_TEST_POSTGRES_URL";

/// The password of every seeded account.
pub const PASSWORD: &str = "correct horse battery staple";

/// The vendor's name, as the default configuration has it.
pub const VENDOR: &str = "GitLab";

/// Whether this run is the CI run, where a missing prerequisite is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Says loudly that a test did not run; in CI, fails it instead.
pub fn skip(reason: &str) {
    assert!(!in_ci(), "CI=true but {reason}");
    eprintln!("SKIPPED: {reason}");
}

/// One seeded account and its API token.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub token: String,
}

/// The organizations the seed creates, by id.
#[derive(Debug, Clone, Copy)]
pub struct Orgs {
    pub vendor: i64,
    /// Platform: cloud, select, active; holds a partner user and two documents.
    pub aws: i64,
    /// Platform: cloud, select, active.
    pub google: i64,
    /// Platform: Kubernetes, open, prospect.
    pub rancher: i64,
    /// Integrated outbound (core set), open, active.
    pub jenkins: i64,
    /// Global SI, select, inactive; holds a partner user.
    pub accenture: i64,
    /// A customer organization with a customer user.
    pub acme: i64,
}

impl Orgs {
    /// Every seeded partner's name, in list order (platform partners first, then by name).
    pub const PARTNER_NAMES: [&'static str; 5] =
        ["AWS", "Google Cloud", "Rancher", "Jenkins", "Accenture"];
}

/// Ids of the two documents seeded on AWS.
#[derive(Debug, Clone, Copy)]
pub struct AwsDocs {
    pub shared: i64,
    pub internal: i64,
}

/// A running server with its seed.
pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub orgs: Orgs,
    pub aws_docs: AwsDocs,
    pub admin: Account,
    pub alliances: Account,
    pub support: Account,
    pub finance: Account,
    /// A partner user of AWS.
    pub aws_user: Account,
    /// A partner user of Accenture.
    pub accenture_user: Account,
    /// A customer user of Acme Corp.
    pub customer: Account,
    http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
    pg: Option<PgDatabase>,
}

/// A database created for one test on the PostgreSQL server.
struct PgDatabase {
    admin_url: String,
    name: String,
}

/// Sends a request, to any server, and reads the whole reply.
pub async fn send(req: RequestBuilder) -> Reply {
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        text,
        body,
    }
}

/// An HTTP response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: Value,
}

impl Reply {
    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts an error reply in the API's shape `{"error":{"code","message","field"}}` with the
    /// given status and field; returns the error object.
    #[track_caller]
    pub fn expect_error(&self, status: u16, field: Option<&str>) -> &Value {
        self.expect(status);
        let err = &self.body["error"];
        assert!(
            err["code"].as_str().is_some_and(|c| !c.is_empty()),
            "error without a code: {}",
            self.text
        );
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "error without a message: {}",
            self.text
        );
        assert_eq!(
            err["field"].as_str(),
            field,
            "error names the wrong field: {}",
            self.text
        );
        err
    }

    /// The `name` of every item of a page.
    pub fn names(&self) -> Vec<String> {
        self.body["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|p| p["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// What a request could have written: the newest audit row and the row counts it guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Writes {
    pub newest_audit_id: i64,
    pub audit_rows: i64,
    pub partners: i64,
    pub organizations: i64,
    pub documents: i64,
}

/// The audit key of every test database.
pub fn chain_key() -> ChainKey {
    ChainKey::from_bytes([42; 32])
}

/// The web settings of the test server: plain HTTP on loopback.
pub fn test_config() -> WebConfig {
    WebConfig {
        cookie_secure: Some(false),
        ..Default::default()
    }
}

/// A server state over `store` with `config`.
pub fn app_state(store: &Store, config: WebConfig) -> AppState {
    AppState::new(App::new(store.clone(), AppConfig::default()), config)
}

/// One Argon2 hash shared by every seeded account, so seeding stays fast.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| partnerhub_app::passwords::hash_blocking(PASSWORD).unwrap())
        .clone()
}

/// A partner profile from a few fields.
pub fn draft(
    name: &str,
    category: &str,
    direction: Option<&str>,
    track: &str,
    status: &str,
    domain: &str,
) -> PartnerDraft {
    PartnerDraft::parse(&PartnerInput {
        name: Some(name.into()),
        domains: Some(vec![domain.into()]),
        category: Some(category.into()),
        integration_direction: direction.map(str::to_string),
        track: Some(track.into()),
        status: Some(status.into()),
        ..Default::default()
    })
    .unwrap()
}

impl TestApp {
    /// A server over a new SQLite database.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(&dir.path().join("partnerhub.db"))
            .await
            .unwrap();
        Self::start(store, Some(dir), None).await
    }

    /// A server over a new PostgreSQL database, or `None` (after saying so) when no server is
    /// configured outside CI.
    pub async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
            skip(&format!("PostgreSQL tests need {POSTGRES_ENV}"));
            return None;
        };
        let name = format!("ph_test_{:016x}", rand::random::<u64>());
        let admin = sqlx::PgPool::connect(&admin_url).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&format!("/{name}"));
        let store = Store::connect(url.as_str()).await.unwrap();
        Some(Self::start(store, None, Some(PgDatabase { admin_url, name })).await)
    }

    async fn start(store: Store, dir: Option<tempfile::TempDir>, pg: Option<PgDatabase>) -> Self {
        store.migrate().await.unwrap();
        let store = store.with_chain_key(chain_key());
        store.prepare_chain(false).await.unwrap();
        let (orgs, aws_docs, accounts) = seed(&store).await;
        let state = app_state(&store, test_config());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(partnerhub_web::serve(listener, state, async move {
            let _ = rx.await;
        }));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let [admin, alliances, support, finance, aws_user, accenture_user, customer] = accounts;
        Self {
            base: format!("http://{addr}"),
            store,
            orgs,
            aws_docs,
            admin,
            alliances,
            support,
            finance,
            aws_user,
            accenture_user,
            customer,
            http,
            shutdown: Some(tx),
            server: Some(server),
            _dir: dir,
            pg,
        }
    }

    /// Stops the server, closes the store and removes a PostgreSQL database.
    pub async fn finish(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
        self.store.close().await;
        if let Some(pg) = self.pg.take() {
            drop_database(&pg).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request without credentials.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// Sends a request and reads the whole reply.
    pub async fn send(&self, req: RequestBuilder) -> Reply {
        send(req).await
    }

    /// A request with a bearer token and an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Reply {
        let mut req = self.request(method, path).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(body);
        }
        self.send(req).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Posts a CSV file to the import endpoint.
    pub async fn import_csv(&self, token: &str, csv: &str) -> Reply {
        let req = self
            .request(Method::POST, "/api/v1/partners/import")
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(csv.to_string());
        self.send(req).await
    }

    /// Creates a partner through the API as the alliances user and returns its id.
    pub async fn create_partner(&self, body: &Value) -> i64 {
        let r = self
            .post("/api/v1/partners", &self.alliances.token, body)
            .await;
        r.expect(201);
        r.body["id"].as_i64().unwrap()
    }

    /// Counts what a request could have written, straight from the database.
    pub async fn writes(&self) -> Writes {
        let q = |sql: &'static str| async move { self.scalar(sql).await };
        Writes {
            newest_audit_id: q("SELECT COALESCE(MAX(id), 0) FROM audit_log").await,
            audit_rows: q("SELECT COUNT(*) FROM audit_log").await,
            partners: q("SELECT COUNT(*) FROM partners").await,
            organizations: q("SELECT COUNT(*) FROM organizations").await,
            documents: q("SELECT COUNT(*) FROM shared_documents").await,
        }
    }

    /// One integer from the database.
    pub async fn scalar(&self, sql: &str) -> i64 {
        match self.store.db() {
            Db::Sqlite { read, .. } => sqlx::query_scalar(sql).fetch_one(read).await.unwrap(),
            Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        }
    }

    /// Runs a statement directly on the database, behind the application's back.
    pub async fn execute(&self, sql: &str) -> u64 {
        match self.store.db() {
            Db::Sqlite { write, .. } => sqlx::query(sql)
                .execute(write)
                .await
                .unwrap()
                .rows_affected(),
            Db::Postgres(pool) => sqlx::query(sql)
                .execute(pool)
                .await
                .unwrap()
                .rows_affected(),
        }
    }

    /// Opens a browser session for `user` the way signing in does; returns the cookie secret
    /// and the session's CSRF token.
    pub async fn open_session(&self, user: &Account, expires_in_secs: i64) -> (String, String) {
        let secret = new_secret();
        let csrf = new_secret();
        let expires = time::OffsetDateTime::now_utc().unix_timestamp() + expires_in_secs;
        self.store
            .create_session(user.id, &secret_hash(&secret), &csrf, expires)
            .await
            .unwrap();
        (secret, csrf)
    }
}

impl Drop for TestApp {
    /// A failed test skips `finish`; its PostgreSQL database is removed all the same.
    fn drop(&mut self) {
        if let Some(pg) = self.pg.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(drop_database(&pg));
            })
            .join();
        }
    }
}

async fn drop_database(pg: &PgDatabase) {
    if let Ok(admin) = sqlx::PgPool::connect(&pg.admin_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", pg.name))
            .execute(&admin)
            .await;
        admin.close().await;
    }
}

/// Seeds the vendor, five partners, a customer, a user of every role with a token each, and
/// two documents on AWS (one shared with the partner, one internal).
async fn seed(store: &Store) -> (Orgs, AwsDocs, [Account; 7]) {
    let who = Who::system("test seed");
    let vendor = store
        .ensure_vendor(&OrgName::parse("vendor", VENDOR).unwrap())
        .await
        .unwrap();
    store
        .seed_delivery_models(
            &who,
            &partnerhub_domain::delivery::handbook_delivery_models_for(VENDOR),
        )
        .await
        .unwrap();
    let partner = |d: PartnerDraft| {
        let store = store.clone();
        let who = who.clone();
        async move { store.create_partner(&who, &d).await.unwrap().id }
    };
    let aws = partner(draft(
        "AWS",
        "platform_cloud",
        None,
        "select",
        "active",
        "aws.amazon.com",
    ))
    .await;
    let google = partner(draft(
        "Google Cloud",
        "platform_cloud",
        None,
        "select",
        "active",
        "cloud.google.com",
    ))
    .await;
    let rancher = partner(draft(
        "Rancher",
        "platform_kubernetes",
        None,
        "open",
        "prospect",
        "rancher.com",
    ))
    .await;
    let jenkins = partner(draft(
        "Jenkins",
        "integrated",
        Some("outbound"),
        "open",
        "active",
        "jenkins.io",
    ))
    .await;
    let accenture = partner(draft(
        "Accenture",
        "global_si",
        None,
        "select",
        "inactive",
        "accenture.com",
    ))
    .await;
    let acme = store
        .create_organization(
            &who,
            &NewOrganization {
                kind: OrgKind::Customer,
                name: OrgName::parse("name", "Acme Corp").unwrap(),
                domains: vec![],
            },
        )
        .await
        .unwrap()
        .id;
    let orgs = Orgs {
        vendor,
        aws,
        google,
        rancher,
        jenkins,
        accenture,
        acme,
    };

    let people = [
        ("admin@gitlab.com", Role::Admin, vendor),
        ("alliances@gitlab.com", Role::Alliances, vendor),
        ("support@gitlab.com", Role::Support, vendor),
        ("finance@gitlab.com", Role::Finance, vendor),
        ("partner@aws.amazon.com", Role::Partner, aws),
        ("partner@accenture.com", Role::Partner, accenture),
        ("it@acme.example", Role::Customer, acme),
    ];
    let mut accounts = Vec::new();
    for (email, role, org_id) in people {
        let user = store
            .create_user(
                &who,
                &NewUser {
                    email: EmailAddress::parse("email", email).unwrap(),
                    name: format!("{} user", role.label()),
                    role,
                    org_id,
                    password_hash: Some(password_hash()),
                },
            )
            .await
            .unwrap();
        let token = new_api_token();
        store
            .create_token(&who, user.id, "tests", &secret_hash(&token), None)
            .await
            .unwrap();
        accounts.push(Account {
            id: user.id,
            email: email.to_string(),
            token,
        });
    }

    let doc = |title: &str, audience: &str, sharing: &str| {
        SharedDocument::parse(&DocumentInput {
            title,
            url: "https://docs.example.com/d/aws",
            audience,
            sharing,
            folder: "Alliances/AWS",
        })
        .unwrap()
    };
    let shared = store
        .add_document(
            &who,
            aws,
            &doc("AWS and GitLab", "partner_shared", "anyone_with_link"),
        )
        .await
        .unwrap()
        .id;
    let internal = store
        .add_document(
            &who,
            aws,
            &doc("AWS and GitLab - account plan", "internal", "vendor_only"),
        )
        .await
        .unwrap()
        .id;
    let accounts: [Account; 7] = accounts.try_into().unwrap();
    (orgs, AwsDocs { shared, internal }, accounts)
}

/// A valid partner body for `POST /api/v1/partners`.
pub fn partner_body(name: &str, category: &str, domain: &str) -> Value {
    json!({
        "name": name,
        "domains": [domain],
        "category": category,
        "track": "open",
        "status": "prospect",
    })
}

/// Another server over the test app's database, with its own settings and caches.
pub struct Instance {
    pub base: String,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl Instance {
    pub async fn start(store: &Store, app: AppConfig, web: WebConfig) -> Self {
        let state = AppState::new(App::new(store.clone(), app), web);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(partnerhub_web::serve(listener, state, async move {
            let _ = rx.await;
        }));
        Self {
            base,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of the first hidden `csrf_token` field of a page.
pub fn csrf_field(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("a csrf_token field") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Signs in through the form at `base` with a browser-like `client`; returns the reply.
pub async fn sign_in_at(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut get = client.get(format!("{base}/login"));
    for (k, v) in headers {
        get = get.header(*k, *v);
    }
    let page = get.send().await.unwrap();
    let token = csrf_field(&page.text().await.unwrap());
    let mut post = client.post(format!("{base}/login")).form(&[
        ("csrf_token", token.as_str()),
        ("email", email),
        ("password", password),
        ("next", "/partners"),
    ]);
    for (k, v) in headers {
        post = post.header(*k, *v);
    }
    post.send().await.unwrap()
}
