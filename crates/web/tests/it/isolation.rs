//! Isolation: a partner or customer user reaches only its own organization's data, whatever
//! the route or id; each vendor role does only what its role allows; revoked tokens and
//! browser sessions without their CSRF token change nothing.

use reqwest::Method;
use serde_json::json;

use crate::app::{partner_body, Account, TestApp};

on_both_databases!(
    a_partner_user_never_reads_another_organizations_data,
    a_partner_user_changes_nothing_not_even_its_own_partner,
    guessing_ids_never_reaches_another_organization,
    internal_documents_are_hidden_from_the_partners_own_users,
    a_customer_user_never_reads_the_partner_registry,
    support_and_finance_read_everything_and_change_nothing,
    only_admins_read_the_whole_audit_log_and_manage_users,
    requests_without_a_valid_token_are_unauthorized,
    a_revoked_token_is_refused_and_only_its_owner_can_revoke_it,
    a_browser_session_must_send_its_csrf_token_to_write,
);

/// The names of every organization but the AWS partner's (and the vendor's, which document
/// warnings legitimately quote).
const NOT_AWS: [&str; 5] = [
    "Google Cloud",
    "Rancher",
    "Jenkins",
    "Accenture",
    "Acme Corp",
];

#[track_caller]
fn assert_mentions_no_other_org(text: &str, context: &str) {
    for name in NOT_AWS {
        assert!(
            !text.contains(name),
            "{context}: the reply mentions {name}: {text}"
        );
    }
}

async fn a_partner_user_never_reads_another_organizations_data(app: &TestApp) {
    let t = &app.aws_user.token;
    let o = app.orgs;

    let r = app.get("/api/v1/partners", t).await;
    r.expect(200);
    assert_eq!(r.names(), ["AWS"]);
    assert_eq!(r.body["total"], 1);
    // The scorecard is the vendor's own assessment: hidden from the partner, shown to staff.
    assert_eq!(r.body["items"][0]["scorecard"], serde_json::Value::Null);
    let own = app.get(&format!("/api/v1/partners/{}", o.aws), t).await;
    assert_eq!(own.body["scorecard"], serde_json::Value::Null);
    let staff = app
        .get(&format!("/api/v1/partners/{}", o.aws), &app.support.token)
        .await;
    assert!(staff.body["scorecard"]["criteria"].is_array());
    for query in [
        "category=global_si",
        "q=accenture",
        "family=services",
        "per_page=200",
    ] {
        let r = app.get(&format!("/api/v1/partners?{query}"), t).await;
        r.expect(200);
        assert_mentions_no_other_org(&r.text, query);
    }

    let r = app.get(&format!("/api/v1/partners/{}", o.aws), t).await;
    r.expect(200);
    assert_eq!(r.body["name"], "AWS");

    for other in [o.google, o.accenture, o.acme, o.vendor] {
        for path in [
            format!("/api/v1/partners/{other}"),
            format!("/api/v1/partners/{other}/documents"),
            format!("/api/v1/organizations/{other}"),
        ] {
            app.get(&path, t).await.expect_error(404, None);
        }
    }

    let r = app.get("/api/v1/organizations", t).await;
    r.expect(200);
    assert_eq!(r.names(), ["AWS"]);
    assert_eq!(r.body["total"], 1);
    let r = app.get("/api/v1/organizations?kind=customer", t).await;
    assert_eq!(r.body["total"], 0);
    let r = app
        .get(&format!("/api/v1/organizations/{}", o.aws), t)
        .await;
    r.expect(200);
    assert_eq!(r.body["kind"], "partner");

    for path in [
        "/api/v1/audit",
        "/api/v1/audit/verify",
        "/api/v1/users",
        "/api/v1/partners/export.csv",
    ] {
        app.get(path, t).await.expect_error(403, None);
    }
    let own_history = format!("/api/v1/audit?entity_type=partner&entity_id={}", o.aws);
    app.get(&own_history, t).await.expect_error(403, None);

    let r = app.get("/api/v1/me", t).await;
    r.expect(200);
    assert_eq!(r.body["email"], app.aws_user.email);
    assert_eq!(r.body["org_id"], o.aws);
    // The tokens list holds only the caller's own tokens.
    let r = app.get("/api/v1/tokens", t).await;
    r.expect(200);
    assert_eq!(r.body.as_array().unwrap().len(), 1);
}

async fn a_partner_user_changes_nothing_not_even_its_own_partner(app: &TestApp) {
    let t = &app.aws_user.token;
    let o = app.orgs;
    let before = app.writes().await;
    let patch = json!({"status": "inactive"});
    let doc = json!({"title": "X and GitLab", "url": "https://x.example", "audience": "partner_shared",
        "sharing": "anyone_with_link", "folder": "X"});

    for (id, status) in [
        (o.aws, 403),
        (o.google, 404),
        (o.accenture, 404),
        (o.acme, 404),
    ] {
        let path = format!("/api/v1/partners/{id}");
        app.patch(&path, t, &patch).await.expect_error(status, None);
        app.delete(&path, t).await.expect_error(status, None);
        app.post(&format!("{path}/documents"), t, &doc)
            .await
            .expect_error(status, None);
    }
    app.delete(
        &format!(
            "/api/v1/partners/{}/documents/{}",
            o.aws, app.aws_docs.shared
        ),
        t,
    )
    .await
    .expect_error(403, None);
    app.post(
        "/api/v1/partners",
        t,
        &partner_body("Evil Corp", "dmr", "evil.example"),
    )
    .await
    .expect_error(403, None);
    app.import_csv(t, "name,category\nEvil Corp,dmr\n")
        .await
        .expect_error(403, None);
    app.post(
        "/api/v1/organizations",
        t,
        &json!({"name": "Evil Customer", "kind": "customer"}),
    )
    .await
    .expect_error(403, None);
    app.post(
        "/api/v1/users",
        t,
        &json!({"email": "mole@aws.amazon.com", "name": "Mole", "role": "admin"}),
    )
    .await
    .expect_error(403, None);
    app.post(
        "/api/v1/delivery-models",
        t,
        &json!({"name": "Self-hosted", "attributes": {}}),
    )
    .await
    .expect_error(403, None);
    assert_eq!(
        app.writes().await,
        before,
        "a refused request wrote something"
    );
}

async fn guessing_ids_never_reaches_another_organization(app: &TestApp) {
    let before = app.writes().await;
    for (user, own) in [
        (&app.aws_user, app.orgs.aws),
        (&app.accenture_user, app.orgs.accenture),
        (&app.customer, app.orgs.acme),
    ] {
        let t = &user.token;
        for id in 1..=50 {
            let paths = [
                format!("/api/v1/partners/{id}"),
                format!("/api/v1/partners/{id}/documents"),
                format!("/api/v1/organizations/{id}"),
            ];
            for path in &paths {
                let r = app.get(path, t).await;
                if id == own {
                    assert_ne!(r.status.as_u16(), 404, "{}: {path}", user.email);
                } else {
                    r.expect_error(404, None);
                }
            }
            let p = format!("/api/v1/partners/{id}");
            for method in [Method::PATCH, Method::DELETE] {
                let body = json!({"name": "Taken Over"});
                let body = (method == Method::PATCH).then_some(&body);
                let r = app.call(method.clone(), &p, t, body).await;
                let expected = if id == own { 403 } else { 404 };
                assert_eq!(r.status.as_u16(), expected, "{} {method} {p}", user.email);
            }
            let doc = format!("/api/v1/partners/{id}/documents/{}", app.aws_docs.internal);
            let r = app.delete(&doc, t).await;
            let expected = if id == own { 403 } else { 404 };
            assert_eq!(r.status.as_u16(), expected, "{} DELETE {doc}", user.email);
        }
    }
    assert_eq!(app.writes().await, before);
    let docs = format!("/api/v1/partners/{}/documents", app.orgs.aws);
    let r = app.get(&docs, &app.alliances.token).await;
    assert_eq!(
        r.body.as_array().unwrap().len(),
        2,
        "no document was removed"
    );
}

async fn internal_documents_are_hidden_from_the_partners_own_users(app: &TestApp) {
    let path = format!("/api/v1/partners/{}/documents", app.orgs.aws);
    let titles = |r: &crate::app::Reply| -> Vec<String> {
        r.body
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["title"].as_str().unwrap().to_string())
            .collect()
    };
    let r = app.get(&path, &app.aws_user.token).await;
    r.expect(200);
    assert_eq!(titles(&r), ["AWS and GitLab"]);
    assert!(!r.text.contains("account plan"));
    assert!(!r.text.contains("\"internal\""));

    for staff in [&app.alliances, &app.support, &app.finance, &app.admin] {
        let r = app.get(&path, &staff.token).await;
        r.expect(200);
        assert_eq!(
            titles(&r),
            ["AWS and GitLab", "AWS and GitLab - account plan"],
            "{}",
            staff.email
        );
    }
}

async fn a_customer_user_never_reads_the_partner_registry(app: &TestApp) {
    let t = &app.customer.token;
    let o = app.orgs;
    app.get("/api/v1/partners", t).await.expect_error(403, None);
    app.get(&format!("/api/v1/partners/{}", o.acme), t)
        .await
        .expect_error(403, None);
    app.get(&format!("/api/v1/partners/{}", o.aws), t)
        .await
        .expect_error(404, None);
    app.get("/api/v1/partners/export.csv", t)
        .await
        .expect_error(403, None);
    let r = app.get("/api/v1/organizations", t).await;
    r.expect(200);
    assert_eq!(r.names(), ["Acme Corp"]);
    app.get(&format!("/api/v1/organizations/{}", o.acme), t)
        .await
        .expect(200);
    for other in [o.vendor, o.aws, o.accenture] {
        app.get(&format!("/api/v1/organizations/{other}"), t)
            .await
            .expect_error(404, None);
    }
    for path in ["/api/v1/audit", "/api/v1/users"] {
        app.get(path, t).await.expect_error(403, None);
    }
    app.get("/api/v1/delivery-models", t).await.expect(200);
}

async fn support_and_finance_read_everything_and_change_nothing(app: &TestApp) {
    let aws = format!("/api/v1/partners/{}", app.orgs.aws);
    for staff in [&app.support, &app.finance] {
        let t = &staff.token;
        let r = app.get("/api/v1/partners", t).await;
        r.expect(200);
        assert_eq!(r.body["total"], 5, "{}", staff.email);
        app.get(&aws, t).await.expect(200);
        app.get("/api/v1/partners/export.csv", t).await.expect(200);
        let r = app.get("/api/v1/organizations", t).await;
        assert_eq!(
            r.body["total"], 7,
            "the vendor, five partners and a customer"
        );
        let history = format!(
            "/api/v1/audit?entity_type=partner&entity_id={}",
            app.orgs.aws
        );
        let r = app.get(&history, t).await;
        r.expect(200);
        assert_eq!(r.body[0]["action"], "partner.create");

        let before = app.writes().await;
        app.post(
            "/api/v1/partners",
            t,
            &partner_body("Azure", "platform_cloud", "azure.com"),
        )
        .await
        .expect_error(403, None);
        app.patch(&aws, t, &json!({"status": "inactive"}))
            .await
            .expect_error(403, None);
        app.delete(&aws, t).await.expect_error(403, None);
        app.post(
            &format!("{aws}/documents"),
            t,
            &json!({"title": "AWS and GitLab", "url": "https://x.example", "audience": "internal",
                "sharing": "vendor_only", "folder": "AWS"}),
        )
        .await
        .expect_error(403, None);
        app.import_csv(t, "name,category\nAzure,platform_cloud\n")
            .await
            .expect_error(403, None);
        if staff.email == app.finance.email {
            // Support registers customer organizations; finance does not.
            app.post(
                "/api/v1/organizations",
                t,
                &json!({"name": "Hooli", "kind": "customer", "domains": ["hooli.example"]}),
            )
            .await
            .expect_error(403, None);
        }
        for path in ["/api/v1/audit", "/api/v1/audit/verify", "/api/v1/users"] {
            app.get(path, t).await.expect_error(403, None);
        }
        assert_eq!(app.writes().await, before, "{}", staff.email);
    }
}

async fn only_admins_read_the_whole_audit_log_and_manage_users(app: &TestApp) {
    for path in ["/api/v1/audit", "/api/v1/audit/verify", "/api/v1/users"] {
        app.get(path, &app.alliances.token)
            .await
            .expect_error(403, None);
        app.get(path, &app.admin.token).await.expect(200);
    }
    let r = app.get("/api/v1/users", &app.admin.token).await;
    assert_eq!(r.body["total"], 7);
    let body = json!({"email": "new@gitlab.com", "name": "New Hire", "role": "support"});
    app.post("/api/v1/users", &app.alliances.token, &body)
        .await
        .expect_error(403, None);
    let r = app.post("/api/v1/users", &app.admin.token, &body).await;
    r.expect(201);
    assert_eq!(r.body["org_id"], app.orgs.vendor);
    // A partner user must belong to a partner organization.
    let r = app
        .post(
            "/api/v1/users",
            &app.admin.token,
            &json!({"email": "p@acme.example", "name": "P", "role": "partner", "org_id": app.orgs.acme}),
        )
        .await;
    r.expect_error(409, Some("org_id"));
}

async fn requests_without_a_valid_token_are_unauthorized(app: &TestApp) {
    let paths = ["/api/v1/partners", "/api/v1/me", "/api/v1/organizations"];
    for path in paths {
        let r = app.send(app.request(Method::GET, path)).await;
        let err = r.expect_error(401, None);
        assert_eq!(err["code"], "unauthorized");
        for header in [
            "Bearer phk_not_a_token",
            "Bearer ",
            "Basic YWRtaW46YWRtaW4=",
            app.admin.token.as_str(),
        ] {
            let req = app
                .request(Method::GET, path)
                .header("authorization", header);
            app.send(req).await.expect_error(401, None);
        }
    }
    let before = app.writes().await;
    let req = app
        .request(Method::POST, "/api/v1/partners")
        .json(&partner_body("Azure", "platform_cloud", "azure.com"));
    app.send(req).await.expect_error(401, None);
    assert_eq!(app.writes().await, before);
}

async fn a_revoked_token_is_refused_and_only_its_owner_can_revoke_it(app: &TestApp) {
    let r = app
        .post(
            "/api/v1/tokens",
            &app.aws_user.token,
            &json!({"label": "laptop"}),
        )
        .await;
    r.expect(201);
    let token = r.body["token"].as_str().unwrap().to_string();
    let id = r.body["id"].as_i64().unwrap();
    let laptop = Account {
        token,
        ..app.aws_user.clone()
    };
    app.get("/api/v1/me", &laptop.token).await.expect(200);

    for other in [&app.accenture_user, &app.admin] {
        app.delete(&format!("/api/v1/tokens/{id}"), &other.token)
            .await
            .expect_error(404, None);
    }
    app.get("/api/v1/me", &laptop.token).await.expect(200);

    app.delete(&format!("/api/v1/tokens/{id}"), &app.aws_user.token)
        .await
        .expect(204);
    for path in ["/api/v1/me", "/api/v1/partners"] {
        let r = app.get(path, &laptop.token).await;
        assert_eq!(r.expect_error(401, None)["code"], "unauthorized");
    }
    let r = app.get("/api/v1/tokens", &app.aws_user.token).await;
    let revoked: Vec<bool> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["id"] == id)
        .map(|t| t["revoked"].as_bool().unwrap())
        .collect();
    assert_eq!(revoked, [true]);
    assert!(!r.text.contains(&laptop.token), "secrets are never listed");
    // The seeded token of the same user still works.
    app.get("/api/v1/me", &app.aws_user.token).await.expect(200);
}

async fn a_browser_session_must_send_its_csrf_token_to_write(app: &TestApp) {
    let (secret, csrf) = app.open_session(&app.alliances, 3600).await;
    let cookie = format!("partnerhub_session={secret}");
    let r = app
        .send(
            app.request(Method::GET, "/api/v1/me")
                .header("cookie", &cookie),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["email"], app.alliances.email);

    let body = partner_body("Azure", "platform_cloud", "azure.com");
    let before = app.writes().await;
    for submitted in [None, Some("wrong"), Some("")] {
        let mut req = app
            .request(Method::POST, "/api/v1/partners")
            .header("cookie", &cookie)
            .json(&body);
        if let Some(s) = submitted {
            req = req.header("x-csrf-token", s);
        }
        let r = app.send(req).await;
        r.expect_error(403, Some("csrf_token"));
    }
    let aws = format!("/api/v1/partners/{}", app.orgs.aws);
    for method in [Method::PATCH, Method::DELETE] {
        let req = app
            .request(method, &aws)
            .header("cookie", &cookie)
            .json(&json!({"status": "inactive"}));
        app.send(req).await.expect_error(403, Some("csrf_token"));
    }
    assert_eq!(app.writes().await, before);

    let req = app
        .request(Method::POST, "/api/v1/partners")
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&body);
    app.send(req).await.expect(201);

    // Another session's CSRF token does not fit this one.
    let (_, other_csrf) = app.open_session(&app.admin, 3600).await;
    let req = app
        .request(Method::PATCH, &aws)
        .header("cookie", &cookie)
        .header("x-csrf-token", &other_csrf)
        .json(&json!({"status": "inactive"}));
    app.send(req).await.expect_error(403, Some("csrf_token"));

    // An expired session authenticates nothing.
    let (expired, _) = app.open_session(&app.alliances, -60).await;
    let req = app
        .request(Method::GET, "/api/v1/me")
        .header("cookie", format!("partnerhub_session={expired}"));
    app.send(req).await.expect_error(401, None);
}
