//! The policy, route by route: every route of the router (read from the OpenAPI document, which
//! another test holds to the router) is called by every role and by nobody, on a record of the
//! caller's own organization, of another organization, or on no record, and the answer is held
//! to what `PERMISSIONS` and `ROUTES` say. A route the table lacks fails the test. The same
//! tables render `docs/permissions.md`, which must be current.

use std::path::PathBuf;

use partnerhub_app::clock::ManualClock;
use partnerhub_app::outbox::{delivery, Subject};
use partnerhub_app::secrets::Sealer;
use partnerhub_app::AppConfig;
use partnerhub_domain::access::{reach, Reach};
use partnerhub_domain::organization::Role;
use partnerhub_outbound::Message;
use partnerhub_outbound::OutboundPolicy;
use partnerhub_store::NewJob;
use partnerhub_web::permissions::{
    page_rule_for, render_markdown, rule_for, Access, RouteRule, Target,
};
use reqwest::Method;
use serde_json::{json, Value};

use crate::app::{
    chain_key, csrf_field, partner_body, test_config, Account, Instance, Reply, TestApp,
};

on_both_databases!(
    every_route_answers_every_role_as_the_policy_says,
    every_page_answers_every_role_as_the_policy_says,
);

/// `docs/permissions.md`, from the workspace root.
fn permissions_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/permissions.md")
}

#[test]
fn docs_permissions_md_is_generated_from_the_tables() {
    let want = render_markdown();
    let path = permissions_file();
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    if have != want {
        if std::env::var("PARTNERHUB_UPDATE_DOCS").is_ok() {
            std::fs::write(&path, &want).unwrap();
        } else {
            panic!(
                "{} is stale: run `PARTNERHUB_UPDATE_DOCS=1 cargo test -p partnerhub-web --test it permissions` and commit it",
                path.display()
            );
        }
    }
}

/// Whose record a call acts on, relative to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// A record of the caller's own organization (their own, for tokens).
    Own,
    /// A record of another organization (another user's, for tokens).
    Other,
    /// No organization's record: a list, a creation, or a record of the vendor's process (a
    /// request led by the caller when the caller is the alliances account).
    Unowned,
    /// A request another alliances member leads.
    LedByOther,
    /// A request nobody leads yet.
    Unclaimed,
}

/// What the table says a call must get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The operation runs: any answer but 401, 403, 404 or a server error.
    Runs,
    Refused(u16),
}

fn expected(rule: &RouteRule, role: Option<Role>, case: Case) -> Outcome {
    let action = match (rule.access, role) {
        (Access::Public, _) => return Outcome::Runs,
        (_, None) => return Outcome::Refused(401),
        (Access::SignedIn, Some(_)) => return Outcome::Runs,
        (Access::Act(a), Some(_)) => a,
    };
    let role = role.unwrap_or(Role::Customer);
    let hidden = case == Case::Other && rule.target.is_owned();
    match reach(role, action) {
        Reach::No if hidden && !role.is_staff() => Outcome::Refused(404),
        Reach::No => Outcome::Refused(403),
        Reach::Own if hidden => Outcome::Refused(404),
        Reach::Lead => match case {
            Case::LedByOther => Outcome::Refused(403),
            // Declining a new request is triage, open to whoever may claim it.
            Case::Unclaimed if rule.path.ends_with("/decline") => Outcome::Runs,
            Case::Unclaimed => Outcome::Refused(409),
            _ => Outcome::Runs,
        },
        Reach::Own | Reach::All => Outcome::Runs,
    }
}

fn holds(outcome: Outcome, status: u16) -> bool {
    match outcome {
        Outcome::Runs => !matches!(status, 401 | 403 | 404) && status < 500,
        Outcome::Refused(s) => status == s,
    }
}

/// The records of one call: the path with its ids filled in.
struct Fixture<'a> {
    app: &'a TestApp,
    /// A second alliances member, who leads the `LedByOther` requests.
    other_lead: Account,
    server: Instance,
    http: reqwest::Client,
    n: std::cell::Cell<u32>,
}

impl<'a> Fixture<'a> {
    fn unique(&self, stem: &str) -> String {
        self.n.set(self.n.get() + 1);
        format!("{stem} {}", self.n.get())
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, self.server.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if path.ends_with("/import") {
            req = req
                .header("content-type", "text/csv")
                .body("name,category\n");
        } else if let Some(b) = body {
            req = req.json(&b);
        }
        crate::app::send(req).await
    }

    async fn admin(&self, method: &str, path: &str, body: Value) -> Value {
        let r = self
            .call(method, path, Some(&self.app.admin.token), Some(body))
            .await;
        assert!(
            r.status.is_success(),
            "fixture {method} {path}: {} {}",
            r.status,
            r.text
        );
        r.body
    }

    /// The organization of `role`'s seeded account.
    fn org_of(&self, role: Role) -> i64 {
        let o = &self.app.orgs;
        match role {
            Role::Partner => o.aws,
            Role::Customer => o.acme,
            _ => o.vendor,
        }
    }

    async fn fresh_partner(&self) -> i64 {
        let name = self.unique("Matrix Partner");
        let domain = format!("{}.example", name.replace(' ', "-").to_lowercase());
        self.admin(
            "POST",
            "/api/v1/partners",
            partner_body(&name, "boutique_si", &domain),
        )
        .await["id"]
            .as_i64()
            .unwrap()
    }

    async fn fresh_document(&self, partner: i64) -> i64 {
        let title = self.unique("Matrix Doc");
        let body = json!({"title": title, "url": "https://docs.example.com/d/x", "audience": "partner_shared", "sharing": "anyone_with_link", "folder": "Partners"});
        self.admin(
            "POST",
            &format!("/api/v1/partners/{partner}/documents"),
            body,
        )
        .await["id"]
            .as_i64()
            .unwrap()
    }

    async fn fresh_user(&self, org: i64, role: Role) -> i64 {
        let name = self.unique("matrix");
        let email = format!(
            "{}@{}",
            name.replace(' ', "."),
            if role.is_staff() {
                "gitlab.com"
            } else {
                "acme.example"
            }
        );
        let body = json!({"email": email, "name": name, "role": role.code(), "org_id": org});
        self.admin("POST", "/api/v1/users", body).await["id"]
            .as_i64()
            .unwrap()
    }

    async fn fresh_token(&self, account: &Account) -> i64 {
        let body = json!({"label": self.unique("matrix")});
        let r = self
            .call("POST", "/api/v1/tokens", Some(&account.token), Some(body))
            .await;
        r.expect(201);
        r.body["id"].as_i64().unwrap()
    }

    /// A request logged by the admin and claimed by `lead` (nobody, when `None`).
    async fn fresh_request(&self, lead: Option<&Account>) -> i64 {
        let mut body = intake(&self.unique("Matrix Co"));
        body["received_via"] = json!("email");
        let id = self.admin("POST", "/api/v1/inbound-requests", body).await["id"]
            .as_i64()
            .unwrap();
        if let Some(lead) = lead {
            let path = format!("/api/v1/inbound-requests/{id}/claim");
            self.call("POST", &path, Some(&lead.token), None)
                .await
                .expect(200);
        }
        id
    }

    /// Who leads the request of `case`.
    fn lead_of(&self, case: Case) -> Option<&Account> {
        match case {
            Case::Unclaimed => None,
            Case::LedByOther => Some(&self.other_lead),
            _ => Some(&self.app.alliances),
        }
    }

    /// The path of `rule` for a caller of `role` (`None`: nobody) on a record of `case`.
    async fn path(&self, rule: &RouteRule, role: Option<Role>, case: Case) -> Option<String> {
        let own_org = role.map(|r| self.org_of(r));
        let staff = role.is_none_or(|r| r.is_staff());
        let p = rule.path;
        Some(match rule.target {
            Target::Nothing => p.to_string(),
            Target::Partner => {
                let id = match case {
                    // Only partner users have an organization that is a partner.
                    Case::Own if role == Some(Role::Partner) => self.app.orgs.aws,
                    Case::Own => return None,
                    _ => self.fresh_partner().await,
                };
                p.replace("{id}", &id.to_string())
            }
            Target::Document => {
                let partner = match case {
                    Case::Own if role == Some(Role::Partner) => self.app.orgs.aws,
                    Case::Own => return None,
                    _ => self.fresh_partner().await,
                };
                let doc = self.fresh_document(partner).await;
                p.replace("{id}", &partner.to_string())
                    .replace("{doc_id}", &doc.to_string())
            }
            Target::Organization => {
                let id = match (case, own_org) {
                    (Case::Own, Some(o)) => o,
                    (Case::Own, None) => return None,
                    _ => self.app.orgs.google,
                };
                p.replace("{id}", &id.to_string())
            }
            Target::User => {
                let id = match (case, role) {
                    (Case::Own, Some(r)) => self.fresh_user(self.org_of(r), r).await,
                    (Case::Own, None) => return None,
                    _ if staff => self.fresh_user(self.app.orgs.acme, Role::Customer).await,
                    _ => self.fresh_user(self.app.orgs.vendor, Role::Support).await,
                };
                p.replace("{id}", &id.to_string())
            }
            Target::Token => {
                let account = match (case, role) {
                    (Case::Own, Some(r)) => self.account(r),
                    (Case::Own, None) => return None,
                    (_, Some(Role::Admin)) => &self.app.customer,
                    _ => &self.app.admin,
                };
                let id = self.fresh_token(account).await;
                p.replace("{id}", &id.to_string())
            }
            Target::InboundRequest => p.replace(
                "{id}",
                &self.fresh_request(self.lead_of(case)).await.to_string(),
            ),
            Target::NextStep => {
                let lead = self.lead_of(case).unwrap_or(&self.app.alliances);
                let id = self.fresh_request(Some(lead)).await;
                let path = format!("/api/v1/inbound-requests/{id}/next-steps");
                let r = self
                    .call(
                        "POST",
                        &path,
                        Some(&lead.token),
                        Some(json!({"text": "Call"})),
                    )
                    .await;
                r.expect(201);
                let step = r.body["next_steps"][0]["id"].as_i64().unwrap();
                p.replace("{id}", &id.to_string())
                    .replace("{step_id}", &step.to_string())
            }
            Target::Webhook => {
                let body = json!({"name": self.unique("Matrix hook"), "url": "http://127.0.0.1:9/hook", "events": ["inbound_request.created"]});
                let id = self.admin("POST", "/api/v1/webhooks", body).await["id"]
                    .as_i64()
                    .unwrap();
                p.replace("{id}", &id.to_string())
            }
            Target::Delivery => {
                let message = Message::Chat {
                    target: "alliances".into(),
                    text: "Matrix".into(),
                    link: None,
                };
                let subject = Subject {
                    kind: "test",
                    id: "1".into(),
                };
                let job = NewJob {
                    run_at: i64::MAX / 2,
                    ..delivery(&message, &subject, 0)
                };
                let id = self.app.store.enqueue(&job, 0).await.unwrap().unwrap();
                p.replace("{id}", &id.to_string())
            }
            Target::DeliveryModel => {
                let r = self
                    .call(
                        "GET",
                        "/api/v1/delivery-models",
                        Some(&self.app.admin.token),
                        None,
                    )
                    .await;
                let id = r.body["items"][0]["id"]
                    .as_i64()
                    .or(r.body[0]["id"].as_i64())
                    .unwrap();
                p.replace("{id}", &id.to_string())
            }
        })
    }

    fn account(&self, role: Role) -> &Account {
        let a = self.app;
        match role {
            Role::Admin => &a.admin,
            Role::Alliances => &a.alliances,
            Role::Support => &a.support,
            Role::Finance => &a.finance,
            Role::Partner => &a.aws_user,
            Role::Customer => &a.customer,
        }
    }
}

fn intake(company: &str) -> Value {
    json!({
        "company": company,
        "website": "https://matrix.example",
        "contact_name": "Ada Lovelace",
        "contact_email": "ada@matrix.example",
        "interest": "services",
        "integration": "None yet",
        "benefits": "Faster rollouts",
        "relationship": "Referrals",
    })
}

/// A body the route's schema accepts, so that the policy, not the parser, answers.
fn body_for(f: &Fixture<'_>, method: &str, path: &str) -> Option<Value> {
    if method == "GET" || method == "DELETE" {
        return None;
    }
    let tail = path.rsplit('/').next().unwrap_or("");
    Some(match (method, path) {
        ("POST", "/api/v1/partners") => {
            let name = f.unique("Created Partner");
            let domain = format!("{}.example", name.replace(' ', "-").to_lowercase());
            partner_body(&name, "boutique_si", &domain)
        }
        ("PATCH", p) if p.starts_with("/api/v1/partners/") => json!({"description": "Changed"}),
        ("POST", p) if p.ends_with("/documents") => {
            json!({"title": f.unique("Doc"), "url": "https://docs.example.com/d/y", "audience": "partner_shared", "sharing": "anyone_with_link", "folder": "Partners"})
        }
        ("POST", "/api/v1/organizations") => {
            json!({"name": f.unique("Matrix Org"), "kind": "customer"})
        }
        ("POST", "/api/v1/users") => {
            let name = f.unique("created");
            json!({"email": format!("{}@gitlab.com", name.replace(' ', ".")), "name": name, "role": "support"})
        }
        ("POST", p) if p.ends_with("/move") => json!({"org_id": f.app.orgs.vendor}),
        ("POST", "/api/v1/tokens") => json!({"label": f.unique("created")}),
        ("POST", "/api/v1/delivery-models") | ("PUT", _) => {
            json!({"name": f.unique("Matrix model"), "attributes": {}})
        }
        ("POST", "/api/v1/inbound-requests") => intake(&f.unique("Intake Co")),
        ("PATCH", p) if p.contains("/next-steps/") => json!({"done": true}),
        ("PATCH", _) => json!({"notes": "Spoke on the phone"}),
        ("POST", _) if tail == "accept" => json!({"family": "services", "category": "boutique_si"}),
        ("POST", _) if tail == "decline" => json!({"reason": "Not a fit", "notify": false}),
        ("POST", _) if tail == "handover" => json!({"lead_id": f.app.alliances.id}),
        ("POST", _) if tail == "next-steps" => json!({"text": "Call"}),
        ("POST", "/api/v1/webhooks") => {
            json!({"name": f.unique("Created hook"), "url": "http://127.0.0.1:9/hook", "events": ["inbound_request.created"]})
        }
        _ => return None,
    })
}

/// A server over the test app's database whose secrets can be sealed, whose guard lets
/// webhooks point at 127.0.0.1, and whose intake takes every fixture.
async fn fixture(app: &TestApp) -> Fixture<'_> {
    let config = AppConfig {
        clock: ManualClock::starting_now(),
        sealer: Some(Sealer::new(chain_key().derive("sealed secrets"))),
        intake_per_hour: 100_000,
        outbox: partnerhub_app::outbox::OutboxConfig {
            policy: OutboundPolicy::new(vec!["127.0.0.1".into()]),
            ..Default::default()
        },
        ..Default::default()
    };
    Fixture {
        app,
        other_lead: second_lead(app).await,
        server: Instance::start(&app.store, config, test_config()).await,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        n: std::cell::Cell::new(0),
    }
}

/// Nobody, then every role.
fn callers() -> Vec<Option<Role>> {
    std::iter::once(None)
        .chain(Role::ALL.iter().copied().map(Some))
        .collect()
}

fn cases(rule: &RouteRule) -> &'static [Case] {
    let leads = rule.access == Access::Act(partnerhub_domain::access::Action::LeadInboundRequest);
    match rule.target {
        t if t.is_owned() => &[Case::Own, Case::Other],
        Target::InboundRequest if leads => &[Case::Unowned, Case::LedByOther, Case::Unclaimed],
        Target::NextStep if leads => &[Case::Unowned, Case::LedByOther],
        _ => &[Case::Unowned],
    }
}

/// A second alliances member with a token.
async fn second_lead(app: &TestApp) -> Account {
    let r = app
        .post(
            "/api/v1/users",
            &app.admin.token,
            &json!({"email": "alliances.two@gitlab.com", "name": "Second Lead", "role": "alliances"}),
        )
        .await;
    r.expect(201);
    let id = r.body["id"].as_i64().unwrap();
    let token = partnerhub_app::secrets::new_api_token();
    app.store
        .create_token(
            &partnerhub_store::Who::system("test"),
            id,
            "matrix",
            &partnerhub_app::secrets::secret_hash(&token),
            None,
        )
        .await
        .unwrap();
    Account {
        id,
        email: "alliances.two@gitlab.com".into(),
        token,
    }
}

fn report(wrong: &[String], calls: usize, floor: usize) {
    assert!(calls > floor, "the matrix made only {calls} calls");
    assert!(
        wrong.is_empty(),
        "{} of {calls} calls disagree with the policy:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

async fn every_route_answers_every_role_as_the_policy_says(app: &TestApp) {
    let f = fixture(app).await;
    // Every documented operation, which the OpenAPI test holds equal to the router's routes.
    let doc = f.call("GET", "/api/openapi.json", None, None).await.body;
    let mut routes = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    let missing: Vec<_> = routes
        .iter()
        .filter(|(m, p)| rule_for(m, p).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "routes missing from ROUTES in crates/web/src/permissions.rs: {missing:?}"
    );
    let mut wrong = Vec::new();
    let mut calls = 0;
    for (method, path) in &routes {
        let rule = rule_for(method, path).unwrap();
        for role in callers() {
            for &case in cases(rule) {
                let Some(concrete) = f.path(rule, role, case).await else {
                    continue;
                };
                let token = role.map(|r| f.account(r).token.clone());
                let body = body_for(&f, method, path);
                let r = f.call(method, &concrete, token.as_deref(), body).await;
                calls += 1;
                let want = expected(rule, role, case);
                // A list a user of one organization may read holds that organization's alone.
                let listed = ["/api/v1/partners", "/api/v1/organizations"];
                if let (Some(r_), true) = (
                    role.filter(|r| !r.is_staff()),
                    listed.contains(&path.as_str()),
                ) {
                    if method == "GET" && r.status == 200 {
                        let own = f.org_of(r_);
                        let foreign: Vec<&Value> = r.body["items"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .filter(|i| i["id"].as_i64() != Some(own))
                            .collect();
                        if !foreign.is_empty() {
                            wrong.push(format!(
                                "GET {path} by {}: lists another organization's {foreign:?}",
                                r_.code()
                            ));
                        }
                    }
                }
                if !holds(want, r.status.as_u16()) {
                    let who = role.map_or("nobody", |r| r.code());
                    wrong.push(format!(
                        "{method} {concrete} by {who} ({case:?}): want {want:?}, got {} {}",
                        r.status,
                        r.text.chars().take(160).collect::<String>()
                    ));
                }
            }
        }
    }
    report(&wrong, calls, 300);
    f.server.stop().await;
}

/// The pages' router source, read at test time.
fn page_routes() -> Vec<(String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/views/mod.rs");
    let source = std::fs::read_to_string(src).unwrap();
    crate::openapi::routes_in(&source)
        .into_iter()
        .map(|(m, p)| (m.to_uppercase(), p))
        .collect()
}

impl Fixture<'_> {
    /// A page as a browser of `role` (`None`: nobody) opens or posts it: a fresh session and
    /// its form token; a public form is opened first for its own token. Returns the status and
    /// where a redirect points.
    async fn page(
        &self,
        method: &str,
        path: &str,
        role: Option<Role>,
        public: bool,
    ) -> (u16, String, String) {
        let url = self.server.url(path);
        let res = if method == "GET" {
            let mut req = self.http.get(&url);
            if let Some(r) = role {
                let (secret, _) = self.app.open_session(self.account(r), 3600).await;
                req = req.header("cookie", format!("partnerhub_session={secret}"));
            }
            req.send().await.unwrap()
        } else if public {
            // A public form carries its own token, in a cookie and a hidden field.
            let jar = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let html = jar.get(&url).send().await.unwrap().text().await.unwrap();
            jar.post(&url)
                .form(&[("csrf_token", csrf_field(&html))])
                .send()
                .await
                .unwrap()
        } else {
            let mut req = self.http.post(&url);
            let mut csrf = String::new();
            if let Some(r) = role {
                let (secret, token) = self.app.open_session(self.account(r), 3600).await;
                req = req.header("cookie", format!("partnerhub_session={secret}"));
                csrf = token;
            }
            req.form(&[("csrf_token", csrf)]).send().await.unwrap()
        };
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let text = res.text().await.unwrap_or_default();
        (status, location, text)
    }
}

async fn every_page_answers_every_role_as_the_policy_says(app: &TestApp) {
    let f = fixture(app).await;
    let routes = page_routes();
    assert!(
        routes.len() >= 40,
        "the page scan found too little: {routes:?}"
    );
    let missing: Vec<_> = routes
        .iter()
        .filter(|(m, p)| page_rule_for(m, p).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "pages missing from PAGES in crates/web/src/permissions.rs: {missing:?}"
    );
    let mut wrong = Vec::new();
    let mut calls = 0;
    for (method, path) in &routes {
        let rule = page_rule_for(method, path).unwrap();
        let public = rule.access == Access::Public;
        for role in callers() {
            for &case in cases(rule) {
                let Some(concrete) = f.path(rule, role, case).await else {
                    continue;
                };
                let concrete = concrete.replace("{file}", "app.css");
                let (status, location, text) = f.page(method, &concrete, role, public).await;
                calls += 1;
                // A refusal sends to the sign-in page and back (`?next=`); signing out, there.
                let to_login = matches!(status, 302 | 303) && location.starts_with("/login?next=");
                let want = expected(rule, role, case);
                let ok = match want {
                    // Nobody signed in is sent to the sign-in page.
                    Outcome::Refused(401) => to_login,
                    // A public form runs for anyone; the sign-in form's own 401 is its answer
                    // to wrong credentials.
                    Outcome::Runs if public => !matches!(status, 403 | 404) && status < 500,
                    Outcome::Runs => !to_login && holds(want, status),
                    Outcome::Refused(s) => status == s,
                };
                if !ok {
                    let who = role.map_or("nobody", |r| r.code());
                    wrong.push(format!(
                        "{method} {concrete} by {who} ({case:?}): want {want:?}, got {status} {location} {}",
                        text.chars().take(120).collect::<String>()
                    ));
                }
            }
        }
    }
    report(&wrong, calls, 300);
    f.server.stop().await;
}
