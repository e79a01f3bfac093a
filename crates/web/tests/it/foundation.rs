//! The foundation's defects that an attacker, a fuzzer and a reviewer found, each held by a
//! test: control characters at every edge, histories readable only with the entity, lookalike
//! names, CSV separators, the sign-in limits, cookie security behind a proxy, passwords, user
//! deactivation and moves, the security log, and the smaller contract fixes.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::app::{browser, partner_body, sign_in_at, test_config, Instance, TestApp, PASSWORD};

on_both_databases!(
    a_control_character_anywhere_is_a_400_naming_the_parameter_and_changes_nothing,
    an_entitys_history_takes_the_right_to_read_the_entity,
    names_a_reader_cannot_tell_apart_are_one_name,
    an_exported_cell_holding_any_separator_is_quoted,
    passwords_must_not_be_blank_or_common,
    a_deactivated_user_loses_sessions_and_tokens_and_comes_back_without_them,
    a_user_moves_only_to_an_organization_of_its_kind,
    sign_ins_sign_outs_and_refusals_go_to_the_security_log,
    one_address_spraying_many_accounts_is_refused_across_them,
    smaller_contract_fixes_hold,
);

async fn a_control_character_anywhere_is_a_400_naming_the_parameter_and_changes_nothing(
    app: &TestApp,
) {
    let before = app.writes().await;
    let t = &app.alliances.token;
    for (path, field) in [
        ("/api/v1/partners?q=%00", "q"),
        ("/api/v1/partners?q=a%1bb", "q"),
        ("/api/v1/partners/export.csv?q=%00", "q"),
        ("/api/v1/audit?entity_type=%00", "entity_type"),
        (
            "/api/v1/audit?entity_type=partner&entity_id=a%00b",
            "entity_id",
        ),
        ("/api/v1/partners/%00", "id"),
        ("/api/v1/partners/1/documents/%7f", "doc_id"),
    ] {
        let token = if path.starts_with("/api/v1/audit") {
            &app.admin.token
        } else {
            t
        };
        let r = app.get(path, token).await;
        let err = r.expect_error(400, Some(field));
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .contains("control character"),
            "{path}: {}",
            r.text
        );
    }
    // Refused before authentication too: nothing reaches the store.
    let r = app
        .send(app.request(Method::GET, "/api/v1/partners?q=%00"))
        .await;
    r.expect_error(400, Some("q"));
    // The page and the sign-in form.
    let r = app.send(app.request(Method::GET, "/partners?q=%00")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("control character"));
    let client = browser();
    let res = sign_in_at(&client, &app.base, "x\u{0}@gitlab.com", PASSWORD, &[]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("email contains a control character"));
    // JSON bodies, at any depth, and keys.
    for (body, field) in [
        (json!({"name": "Null\u{0}Corp", "category": "msp"}), "name"),
        (
            json!({"name": "Ok", "category": "msp", "contacts": [{"name": "A\u{1}", "email": "a@b.com"}]}),
            "contacts[0].name",
        ),
        (
            json!({"name": "Ok", "category": "msp", "description": "bell\u{7}"}),
            "description",
        ),
    ] {
        app.post("/api/v1/partners", t, &body)
            .await
            .expect_error(400, Some(field));
    }
    // A CSV cell, whether or not its column is read.
    let r = app
        .import_csv(t, "name,category,id\nNul Inc,msp,1\u{0}\n")
        .await;
    r.expect_error(400, Some("line 2: id"));
    assert_eq!(
        app.writes().await,
        before,
        "a refused request wrote something"
    );
    // Line breaks and tabs are text.
    let ok = json!({"name": "Multi Line", "category": "msp", "description": "one\r\ntwo\tthree"});
    app.post("/api/v1/partners", t, &ok).await.expect(201);
}

async fn an_entitys_history_takes_the_right_to_read_the_entity(app: &TestApp) {
    let token_id = app.scalar("SELECT MIN(id) FROM api_tokens").await;
    let model_id = app.scalar("SELECT MIN(id) FROM delivery_models").await;
    let o = app.orgs;
    // entity type, id, and whether each role (admin, alliances, support, finance, partner,
    // customer) may read its history.
    let cases: [(&str, String, [bool; 6]); 6] = [
        (
            "partner",
            o.aws.to_string(),
            [true, true, true, true, false, false],
        ),
        (
            "document",
            app.aws_docs.internal.to_string(),
            [true, true, true, true, false, false],
        ),
        (
            "organization",
            o.acme.to_string(),
            [true, true, true, true, false, false],
        ),
        (
            "user",
            app.admin.id.to_string(),
            [true, false, false, false, false, false],
        ),
        (
            "api_token",
            token_id.to_string(),
            [true, false, false, false, false, false],
        ),
        (
            "delivery_model",
            model_id.to_string(),
            [true, true, true, true, false, false],
        ),
    ];
    let roles = [
        &app.admin,
        &app.alliances,
        &app.support,
        &app.finance,
        &app.aws_user,
        &app.customer,
    ];
    for (entity, id, allowed) in &cases {
        for (who, may) in roles.iter().zip(allowed) {
            let r = app
                .get(
                    &format!("/api/v1/audit?entity_type={entity}&entity_id={id}"),
                    &who.token,
                )
                .await;
            if *may {
                r.expect(200);
            } else {
                r.expect_error(403, None);
                assert!(!r.text.contains("@"), "{entity}: {}", r.text);
            }
        }
    }
    // Naming only a type is reading the whole log: admins only.
    app.get("/api/v1/audit?entity_type=user", &app.finance.token)
        .await
        .expect_error(403, None);
    app.get(
        "/api/v1/audit?entity_type=wizard&entity_id=1",
        &app.admin.token,
    )
    .await
    .expect_error(400, Some("entity_type"));
    // The partner page shows the history by the same decision.
    let (secret, _) = app.open_session(&app.finance, 3600).await;
    let page = app
        .send(
            app.request(Method::GET, &format!("/partners/{}", o.aws))
                .header("cookie", format!("partnerhub_session={secret}")),
        )
        .await;
    page.expect(200);
    assert!(
        page.text.contains("partner.create"),
        "finance sees the history"
    );
    let (secret, _) = app.open_session(&app.aws_user, 3600).await;
    let page = app
        .send(
            app.request(Method::GET, &format!("/partners/{}", o.aws))
                .header("cookie", format!("partnerhub_session={secret}")),
        )
        .await;
    page.expect(200);
    assert!(
        !page.text.contains("partner.create"),
        "a partner user does not"
    );
}

async fn names_a_reader_cannot_tell_apart_are_one_name(app: &TestApp) {
    let before = app.writes().await;
    for lookalike in [
        "AWS\u{200b}",
        "\u{200b}AWS",
        "A\u{ad}WS",
        "AWS\u{2060}",
        "aws",
    ] {
        let r = app
            .post(
                "/api/v1/partners",
                &app.alliances.token,
                &partner_body(lookalike, "platform_cloud", "lookalike.example"),
            )
            .await;
        r.expect_error(409, Some("name"));
        let r = app
            .post(
                "/api/v1/organizations",
                &app.support.token,
                &json!({"name": lookalike, "kind": "customer"}),
            )
            .await;
        r.expect_error(409, Some("name"));
    }
    for reversed in ["AWS\u{202e}", "\u{202e}SWA"] {
        let r = app
            .post(
                "/api/v1/partners",
                &app.alliances.token,
                &partner_body(reversed, "platform_cloud", "reversed.example"),
            )
            .await;
        let err = r.expect_error(422, Some("name"));
        assert!(err["message"].as_str().unwrap().contains("bidirectional"));
    }
    let r = app
        .post(
            "/api/v1/users",
            &app.admin.token,
            &json!({"email": "admin\u{200b}@gitlab.com", "name": "Twin", "role": "support"}),
        )
        .await;
    // An address is never silently changed: one with an invisible character is refused.
    r.expect_error(422, Some("email"));
    assert_eq!(app.writes().await, before);
    // Search folds the same way.
    let r = app
        .get("/api/v1/partners?q=a%E2%80%8Bws", &app.alliances.token)
        .await;
    assert_eq!(r.names(), ["AWS"]);
    // A name is stored in its canonical form.
    let id = app
        .create_partner(&partner_body("Zero\u{200b}Width Inc", "msp", "zw.example"))
        .await;
    let r = app
        .get(&format!("/api/v1/partners/{id}"), &app.alliances.token)
        .await;
    assert_eq!(r.body["name"], "ZeroWidth Inc");
}

async fn an_exported_cell_holding_any_separator_is_quoted(app: &TestApp) {
    app.create_partner(&partner_body("Semi;=1+1", "msp", "semi.example"))
        .await;
    let mut tabbed = partner_body("Tab Co", "msp", "tab.example");
    tabbed["description"] = json!("one\ttwo");
    app.create_partner(&tabbed).await;
    let export = app
        .get("/api/v1/partners/export.csv?q=semi", &app.alliances.token)
        .await;
    export.expect(200);
    assert!(export.text.contains(",\"Semi;=1+1\","), "{}", export.text);
    let export = app
        .get("/api/v1/partners/export.csv?q=tab", &app.alliances.token)
        .await;
    assert!(export.text.contains(",\"one\ttwo\","), "{}", export.text);
    // Read back by a CSV reader, the cell is the description.
    let mut reader = csv_reader(&export.text);
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[13], "one\ttwo");
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::Reader::from_reader(text.as_bytes())
}

async fn passwords_must_not_be_blank_or_common(app: &TestApp) {
    let before = app.writes().await;
    for (password, says) in [
        ("            ", "only spaces"),
        ("short", "at least 12"),
        ("123456789012", "choose another"),
        ("1qaz2wsx3edc", "most common"),
        ("Baseballbaseball", "repeats a common password"),
    ] {
        let r = app
            .post(
                "/api/v1/users",
                &app.admin.token,
                &json!({"email": "new@gitlab.com", "name": "New", "role": "support", "password": password}),
            )
            .await;
        let err = r.expect_error(422, Some("password"));
        assert!(
            err["message"].as_str().unwrap().contains(says),
            "{password:?}: {}",
            r.text
        );
    }
    assert_eq!(app.writes().await, before);
    app.post(
        "/api/v1/users",
        &app.admin.token,
        &json!({"email": "new@gitlab.com", "name": "New", "role": "support", "password": "a long and unusual passphrase"}),
    )
    .await
    .expect(201);
}

async fn a_deactivated_user_loses_sessions_and_tokens_and_comes_back_without_them(app: &TestApp) {
    let u = &app.accenture_user;
    let (secret, _) = app.open_session(u, 3600).await;
    let cookie = format!("partnerhub_session={secret}");
    let me = || {
        app.send(
            app.request(Method::GET, "/api/v1/me")
                .header("cookie", cookie.clone()),
        )
    };
    me().await.expect(200);
    app.get("/api/v1/me", &u.token).await.expect(200);

    // Only admins; nobody deactivates themselves.
    let path = format!("/api/v1/users/{}/deactivate", u.id);
    app.post(&path, &app.alliances.token, &json!({}))
        .await
        .expect_error(403, None);
    app.post(
        &format!("/api/v1/users/{}/deactivate", app.admin.id),
        &app.admin.token,
        &json!({}),
    )
    .await
    .expect_error(409, Some("id"));
    let r = app.post(&path, &app.admin.token, &json!({})).await;
    r.expect(200);
    assert_eq!(r.body["active"], false);
    me().await.expect_error(401, None);
    app.get("/api/v1/me", &u.token)
        .await
        .expect_error(401, None);
    let sessions = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM sessions WHERE user_id = {}",
            u.id
        ))
        .await;
    assert_eq!(sessions, 0);

    let r = app
        .post(
            &format!("/api/v1/users/{}/activate", u.id),
            &app.admin.token,
            &json!({}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["active"], true);
    // Its old token stays revoked.
    app.get("/api/v1/me", &u.token)
        .await
        .expect_error(401, None);
    let r = app
        .get(
            &format!("/api/v1/audit?entity_type=user&entity_id={}", u.id),
            &app.admin.token,
        )
        .await;
    let actions: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["user.activate", "user.deactivate", "user.create"]);
    assert_eq!(r.body[1]["after"]["tokens_revoked"], 1);
    // The refusal to delete a partner with users counts them and says what to do.
    let r = app
        .delete(
            &format!("/api/v1/partners/{}", app.orgs.accenture),
            &app.alliances.token,
        )
        .await;
    let err = r.expect_error(409, Some("id"));
    assert!(err["message"]
        .as_str()
        .unwrap()
        .contains("deactivate or move"));
}

async fn a_user_moves_only_to_an_organization_of_its_kind(app: &TestApp) {
    let u = &app.aws_user;
    let path = format!("/api/v1/users/{}/move", u.id);
    for (org, field) in [
        (app.orgs.acme, "org_id"),
        (app.orgs.vendor, "org_id"),
        (app.orgs.aws, "org_id"),
    ] {
        app.post(&path, &app.admin.token, &json!({"org_id": org}))
            .await
            .expect_error(409, Some(field));
    }
    app.post(
        &format!("/api/v1/users/{}/move", app.support.id),
        &app.admin.token,
        &json!({"org_id": app.orgs.aws}),
    )
    .await
    .expect_error(409, Some("org_id"));
    app.post(
        &path,
        &app.alliances.token,
        &json!({"org_id": app.orgs.google}),
    )
    .await
    .expect_error(403, None);
    let r = app
        .post(&path, &app.admin.token, &json!({"org_id": app.orgs.google}))
        .await;
    r.expect(200);
    assert_eq!(r.body["org_name"], "Google Cloud");
    // Its token now sees the new organization only.
    let r = app.get("/api/v1/partners", &u.token).await;
    assert_eq!(r.names(), ["Google Cloud"]);
    let r = app
        .get(&format!("/api/v1/users/{}", u.id), &app.admin.token)
        .await;
    assert_eq!(r.body["org_id"], app.orgs.google);
}

async fn sign_ins_sign_outs_and_refusals_go_to_the_security_log(app: &TestApp) {
    let client = browser();
    let res = sign_in_at(
        &client,
        &app.base,
        &app.support.email,
        "not the password",
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = sign_in_at(&client, &app.base, "nobody@gitlab.com", PASSWORD, &[]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = sign_in_at(&client, &app.base, &app.support.email, PASSWORD, &[]).await;
    assert!(res.status().is_redirection());
    let page = client.get(app.url("/partners")).send().await.unwrap();
    let token = crate::app::csrf_field(&page.text().await.unwrap());
    client
        .post(app.url("/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();

    let r = app.get("/api/v1/security-events", &app.admin.token).await;
    r.expect(200);
    let events: Vec<(String, String)> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_string(),
                e["email"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let support = app.support.email.clone();
    assert_eq!(
        events,
        [
            ("sign_out".to_string(), support.clone()),
            ("sign_in".to_string(), support.clone()),
            (
                "sign_in_refused".to_string(),
                "nobody@gitlab.com".to_string()
            ),
            ("sign_in_refused".to_string(), support),
        ]
    );
    assert_eq!(r.body[1]["user_id"], app.support.id);
    assert_eq!(r.body[0]["ip"], "127.0.0.1");
    // Admins only; the user's page lists its last sign-in.
    for who in [&app.alliances, &app.support, &app.aws_user] {
        app.get("/api/v1/security-events", &who.token)
            .await
            .expect_error(403, None);
    }
    let r = app
        .get(
            &format!("/api/v1/users/{}", app.support.id),
            &app.admin.token,
        )
        .await;
    assert!(r.body["last_login_at"].as_str().unwrap().contains('T'));
    // The security log is not program data: it neither enters the audit chain nor moves the
    // cache marker.
    let marker = app.scalar("SELECT seq FROM audit_head").await;
    sign_in_at(&client, &app.base, &app.finance.email, "wrong again!", &[]).await;
    assert_eq!(app.scalar("SELECT seq FROM audit_head").await, marker);
}

async fn one_address_spraying_many_accounts_is_refused_across_them(app: &TestApp) {
    let config = partnerhub_app::AppConfig {
        login_attempts_per_address: 3,
        ..Default::default()
    };
    let other = Instance::start(&app.store, config, test_config()).await;
    let client = browser();
    for i in 0..3 {
        let res = sign_in_at(
            &client,
            &other.base,
            &format!("spray{i}@gitlab.com"),
            "guess guess guess",
            &[],
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // A fourth account from the same address, even with the right password, is refused.
    let res = sign_in_at(&client, &other.base, &app.alliances.email, PASSWORD, &[]).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let limited = app
        .scalar("SELECT COUNT(*) FROM security_log WHERE event = 'sign_in_limited'")
        .await;
    assert_eq!(limited, 1);
    other.stop().await;
}

async fn smaller_contract_fixes_hold(app: &TestApp) {
    // Token times are RFC 3339, like every other time.
    let r = app
        .post(
            "/api/v1/tokens",
            &app.alliances.token,
            &json!({"label": "dated", "expires_in_days": 30}),
        )
        .await;
    r.expect(201);
    let expires = r.body["expires_at"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{expires}"
    );
    // A delivery model's attributes are an object in its audit row, not a string inside it.
    let r = app.get("/api/v1/delivery-models", &app.admin.token).await;
    let model = &r.body[0];
    let mut attributes = model["attributes"].clone();
    attributes["pricing"] = json!("Per seat");
    app.call(
        Method::PUT,
        &format!("/api/v1/delivery-models/{}", model["id"]),
        &app.admin.token,
        Some(&json!({"name": model["name"], "attributes": attributes})),
    )
    .await
    .expect(200);
    let r = app
        .get(
            &format!(
                "/api/v1/audit?entity_type=delivery_model&entity_id={}",
                model["id"]
            ),
            &app.admin.token,
        )
        .await;
    assert!(r.body[0]["after"]["attributes"].is_object(), "{}", r.text);
    assert_eq!(r.body[0]["after"]["attributes"]["pricing"], "Per seat");
    // Unknown query parameters are refused, naming them.
    app.get("/api/v1/partners?colour=red", &app.alliances.token)
        .await
        .expect_error(400, Some("colour"));
    // Every page, the sign-in and error pages included, links the fingerprinted stylesheet,
    // which is cached for good.
    let login = app.send(app.request(Method::GET, "/login")).await;
    let missing = app.send(app.request(Method::GET, "/no-such-page")).await;
    let href = |html: &str| -> String {
        let start = html.find("rel=\"stylesheet\" href=\"").unwrap() + 23;
        html[start..].split('"').next().unwrap().to_string()
    };
    let css = href(&login.text);
    assert_eq!(href(&missing.text), css);
    assert!(css.starts_with("/static/app.") && css.len() > "/static/app.css".len());
    let r = app.send(app.request(Method::GET, &css)).await;
    r.expect(200);
    assert!(r.headers["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    // The users page pages instead of stopping.
    for i in 0..60 {
        app.post(
            "/api/v1/users",
            &app.admin.token,
            &json!({"email": format!("bulk{i:02}@gitlab.com"), "name": format!("Bulk {i}"), "role": "support"}),
        )
        .await
        .expect(201);
    }
    let (secret, _) = app.open_session(&app.admin, 3600).await;
    let cookie = format!("partnerhub_session={secret}");
    let page = |path: &str| {
        app.send(
            app.request(Method::GET, path)
                .header("cookie", cookie.clone()),
        )
    };
    let first = page("/admin/users").await;
    first.expect(200);
    assert!(first.text.contains("1–50 of 67"), "{}", first.text);
    assert!(first.text.contains("id=\"next-page\""));
    let second = page("/admin/users?page=2").await;
    assert!(second.text.contains("51–67 of 67"));
}
