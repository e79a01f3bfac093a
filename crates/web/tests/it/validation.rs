//! Bad input gets a 4xx in the API's error shape naming the field, and writes nothing: no
//! partner, no organization, no document, no audit row.

use reqwest::Method;
use serde_json::{json, Value};

use crate::app::TestApp;

on_both_databases!(
    a_bad_partner_body_names_the_field_and_writes_nothing,
    a_top_level_unknown_field_is_refused_naming_it,
    a_bad_patch_names_the_field_and_changes_nothing,
    a_body_that_is_not_json_is_refused_and_writes_nothing,
    a_bad_list_filter_is_a_400_naming_the_parameter,
    a_csv_file_with_one_bad_row_imports_nothing_and_names_line_and_field,
    a_bad_document_or_organization_names_the_field_and_writes_nothing,
    a_duplicate_name_or_domain_is_a_conflict_naming_the_field,
    a_malformed_json_body_is_a_400_naming_no_field,
    a_malformed_number_in_the_query_or_path_gets_the_json_error_shape,
);

/// One bad request body and what the API must answer.
struct Case {
    what: &'static str,
    body: Value,
    status: u16,
    field: Option<&'static str>,
    code: Option<&'static str>,
}

fn case(
    what: &'static str,
    body: Value,
    status: u16,
    field: Option<&'static str>,
    code: Option<&'static str>,
) -> Case {
    Case {
        what,
        body,
        status,
        field,
        code,
    }
}

/// Sends every case and checks the reply and that nothing was written.
async fn refuse_all(app: &TestApp, method: Method, path: &str, cases: &[Case]) {
    for c in cases {
        let before = app.writes().await;
        let r = app
            .call(method.clone(), path, &app.alliances.token, Some(&c.body))
            .await;
        assert_eq!(
            r.status.as_u16(),
            c.status,
            "{}: {} {path} {}: {}",
            c.what,
            method,
            c.body,
            r.text
        );
        let err = r.expect_error(c.status, c.field);
        if let Some(code) = c.code {
            assert_eq!(err["code"], code, "{}: {}", c.what, r.text);
        }
        assert_eq!(
            app.writes().await,
            before,
            "{}: something was written",
            c.what
        );
    }
}

fn valid() -> Value {
    json!({"name": "Codeship", "category": "integrated", "integration_direction": "inbound"})
}

fn with(field: &str, value: Value) -> Value {
    let mut body = valid();
    body[field] = value;
    body
}

fn without(field: &str) -> Value {
    let mut body = valid();
    body.as_object_mut().unwrap().remove(field);
    body
}

async fn a_bad_partner_body_names_the_field_and_writes_nothing(app: &TestApp) {
    let cases = [
        case(
            "name of the wrong type",
            with("name", json!(5)),
            400,
            Some("name"),
            Some("invalid"),
        ),
        case(
            "domains not a list",
            with("domains", json!("a.com")),
            400,
            Some("domains"),
            None,
        ),
        case(
            "a score of the wrong type",
            with(
                "scorecard",
                json!([{"criterion": "revenue", "score": "high"}]),
            ),
            400,
            Some("scorecard[0].score"),
            None,
        ),
        case(
            "unknown category",
            with("category", json!("platform_moon")),
            422,
            Some("category"),
            Some("unknown_code"),
        ),
        case(
            "unknown family",
            with("family", json!("hardware")),
            422,
            Some("family"),
            Some("unknown_code"),
        ),
        case(
            "unknown track",
            with("track", json!("gold")),
            422,
            Some("track"),
            Some("unknown_code"),
        ),
        case(
            "unknown status",
            with("status", json!("paused")),
            422,
            Some("status"),
            Some("unknown_code"),
        ),
        case(
            "unknown direction",
            with("integration_direction", json!("sideways")),
            422,
            Some("integration_direction"),
            Some("unknown_code"),
        ),
        case(
            "unknown criterion",
            with("scorecard", json!([{"criterion": "luck", "score": 3}])),
            422,
            Some("scorecard.criterion"),
            Some("unknown_code"),
        ),
        case(
            "score out of range",
            with("scorecard", json!([{"criterion": "revenue", "score": 6}])),
            422,
            Some("scorecard.revenue.score"),
            Some("out_of_range"),
        ),
        case(
            "name of 300 characters",
            with("name", json!("n".repeat(300))),
            422,
            Some("name"),
            Some("too_long"),
        ),
        case(
            "description over 5000 characters",
            with("description", json!("d".repeat(5001))),
            422,
            Some("description"),
            Some("too_long"),
        ),
        case(
            "no name",
            without("name"),
            422,
            Some("name"),
            Some("required"),
        ),
        case(
            "blank name",
            with("name", json!("   ")),
            422,
            Some("name"),
            Some("required"),
        ),
        case(
            "no category",
            without("category"),
            422,
            Some("category"),
            Some("required"),
        ),
        case(
            "family and category of different families",
            json!({"name": "Codeship", "family": "services", "category": "platform_cloud"}),
            422,
            Some("category"),
            Some("conflict"),
        ),
        case(
            "a direction outside the integrated category",
            json!({"name": "Codeship", "category": "msp", "integration_direction": "inbound"}),
            422,
            Some("integration_direction"),
            Some("conflict"),
        ),
        case(
            "bad contact email",
            with("contacts", json!([{"name": "Ann", "email": "ann@"}])),
            422,
            Some("contacts[0].email"),
            Some("invalid"),
        ),
        case(
            "contact without a name",
            with(
                "contacts",
                json!([{"name": "", "email": "ann@codeship.com"}]),
            ),
            422,
            Some("contacts[0].name"),
            Some("required"),
        ),
        case(
            "bad domain",
            with("domains", json!(["codeship.com", "not a domain"])),
            422,
            Some("domains[1]"),
            Some("invalid"),
        ),
        case(
            "website not http",
            with("website", json!("ftp://x")),
            422,
            Some("website"),
            Some("invalid"),
        ),
        case(
            "manager not a vendor user",
            with("partner_manager_id", json!(app.aws_user.id)),
            409,
            Some("partner_manager_id"),
            None,
        ),
        case(
            "version on create",
            with("version", json!(1)),
            400,
            Some("version"),
            None,
        ),
        case(
            "unknown field in a contact",
            with(
                "contacts",
                json!([{"name": "Ann", "email": "ann@codeship.com", "fax": "1"}]),
            ),
            400,
            Some("contacts[0].fax"),
            None,
        ),
    ];
    refuse_all(app, Method::POST, "/api/v1/partners", &cases).await;

    // Several bad fields: the first is *the* field, and all are listed.
    let r = app
        .post(
            "/api/v1/partners",
            &app.alliances.token,
            &json!({"name": "", "category": "platform_moon", "track": "gold"}),
        )
        .await;
    let err = r.expect_error(422, Some("name"));
    let fields: Vec<&str> = err["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "category", "track"]);

    // The valid body itself is accepted: the cases failed for the reason they name.
    app.create_partner(&valid()).await;
}

async fn a_top_level_unknown_field_is_refused_naming_it(app: &TestApp) {
    let before = app.writes().await;
    let r = app
        .post(
            "/api/v1/partners",
            &app.alliances.token,
            &with("colour", json!("red")),
        )
        .await;
    r.expect_error(400, Some("colour"));
    assert_eq!(app.writes().await, before);
}

async fn a_bad_patch_names_the_field_and_changes_nothing(app: &TestApp) {
    let path = format!("/api/v1/partners/{}", app.orgs.jenkins);
    let before = app.get(&path, &app.alliances.token).await.body;
    let cases = [
        case(
            "name of the wrong type",
            json!({"name": 5}),
            400,
            Some("name"),
            None,
        ),
        case(
            "blank name",
            json!({"name": ""}),
            422,
            Some("name"),
            Some("required"),
        ),
        case(
            "unknown category",
            json!({"category": "platform_moon"}),
            422,
            Some("category"),
            Some("unknown_code"),
        ),
        case(
            "unknown track",
            json!({"track": "gold"}),
            422,
            Some("track"),
            Some("unknown_code"),
        ),
        case(
            "a family that does not fit the stored category",
            json!({"family": "reseller"}),
            422,
            Some("category"),
            Some("conflict"),
        ),
        case(
            "a direction on a category without one",
            json!({"category": "sell_to", "integration_direction": "inbound"}),
            422,
            Some("integration_direction"),
            Some("conflict"),
        ),
        case(
            "over-long description",
            json!({"description": "x".repeat(5001)}),
            422,
            Some("description"),
            Some("too_long"),
        ),
        case(
            "website not http",
            json!({"website": "javascript:alert(1)"}),
            422,
            Some("website"),
            Some("invalid"),
        ),
        case(
            "version of the wrong type",
            json!({"version": "one"}),
            400,
            Some("version"),
            None,
        ),
        case(
            "bad contact email",
            json!({"contacts": [{"name": "Kohsuke", "email": "kk at jenkins.io"}]}),
            422,
            Some("contacts[0].email"),
            Some("invalid"),
        ),
    ];
    refuse_all(app, Method::PATCH, &path, &cases).await;
    let after = app.get(&path, &app.alliances.token).await.body;
    assert_eq!(after, before, "the partner is unchanged");
}

async fn a_body_that_is_not_json_is_refused_and_writes_nothing(app: &TestApp) {
    let before = app.writes().await;
    let bodies = [
        ("text/plain", "name=Codeship", 415),
        (
            "application/x-www-form-urlencoded",
            "name=Codeship&category=integrated",
            415,
        ),
    ];
    for (content_type, body, status) in bodies {
        let req = app
            .request(Method::POST, "/api/v1/partners")
            .bearer_auth(&app.alliances.token)
            .header("content-type", content_type)
            .body(body);
        let r = app.send(req).await;
        let err = r.expect_error(status, None);
        if status == 415 {
            assert_eq!(err["code"], "unsupported_media_type");
        }
    }
    let req = app
        .request(Method::POST, "/api/v1/partners")
        .bearer_auth(&app.alliances.token)
        .body(valid().to_string());
    app.send(req).await.expect_error(415, None);
    assert_eq!(app.writes().await, before);
}

async fn a_malformed_json_body_is_a_400_naming_no_field(app: &TestApp) {
    let before = app.writes().await;
    for body in [
        "{\"name\": \"Codeship\",",
        "[1, 2]",
        "",
        "{\"name\": \"Code",
    ] {
        let req = app
            .request(Method::POST, "/api/v1/partners")
            .bearer_auth(&app.alliances.token)
            .header("content-type", "application/json")
            .body(body);
        app.send(req).await.expect_error(400, None);
    }
    assert_eq!(app.writes().await, before);
}

async fn a_bad_list_filter_is_a_400_naming_the_parameter(app: &TestApp) {
    let cases = [
        ("category=nope", "category"),
        ("family=hardware", "family"),
        ("track=gold", "track"),
        ("status=paused", "status"),
        ("per_page=0", "per_page"),
        ("per_page=201", "per_page"),
        ("page=0", "page"),
    ];
    for (query, field) in cases {
        let r = app
            .get(&format!("/api/v1/partners?{query}"), &app.alliances.token)
            .await;
        r.expect_error(400, Some(field));
    }
    let q = format!("/api/v1/partners?q={}", "x".repeat(201));
    app.get(&q, &app.alliances.token)
        .await
        .expect_error(400, Some("q"));
    app.get("/api/v1/organizations?kind=planet", &app.admin.token)
        .await
        .expect_error(400, Some("kind"));
    app.get("/api/v1/audit?limit=0", &app.admin.token)
        .await
        .expect_error(400, Some("limit"));
}

async fn a_malformed_number_in_the_query_or_path_gets_the_json_error_shape(app: &TestApp) {
    app.get("/api/v1/partners?page=abc", &app.alliances.token)
        .await
        .expect_error(400, Some("page"));
    let r = app.get("/api/v1/partners/abc", &app.alliances.token).await;
    assert!(r.status.is_client_error(), "{}", r.text);
    assert!(
        r.body["error"]["code"].is_string(),
        "not the error shape: {}",
        r.text
    );
}

async fn a_csv_file_with_one_bad_row_imports_nothing_and_names_line_and_field(app: &TestApp) {
    let files: &[(&str, &str, u16, &str)] = &[
        (
            "bad category on line 3",
            "name,category,track\nAlpha Partner,msp,open\nBeta Partner,platform_moon,open\nGamma Partner,dmr,select\n",
            422,
            "line 3: category",
        ),
        (
            "bad website on line 4",
            "name,category,website\nAlpha Partner,msp,\nBeta Partner,dmr,https://beta.example\nGamma Partner,dmr,ftp://gamma\n",
            422,
            "line 4: website",
        ),
        (
            "missing name on line 2",
            "name,category\n,msp\nBeta Partner,dmr\n",
            422,
            "line 2: name",
        ),
        (
            "a row with too few fields",
            "name,category,track\nAlpha Partner,msp,open\nBeta Partner,dmr\n",
            422,
            "line 3",
        ),
        (
            "the same name twice",
            "name,category\nAlpha Partner,msp\nBeta Partner,dmr\nalpha partner,training\n",
            422,
            "line 4: name",
        ),
        (
            "an unknown column",
            "name,category,colour\nAlpha Partner,msp,red\n",
            422,
            "line 1: column 3",
        ),
        (
            "no category column",
            "name,track\nAlpha Partner,open\n",
            422,
            "line 1",
        ),
        (
            "an unknown partner manager",
            "name,category,partner_manager_email\nAlpha Partner,msp,\nBeta Partner,dmr,partner@aws.amazon.com\n",
            422,
            "line 3: partner_manager_email",
        ),
        ("no rows", "name,category\n", 422, "file"),
        (
            "a name that exists already, found only when writing",
            "name,category\nAlpha Partner,msp\nBeta Partner,dmr\naws,training\n",
            409,
            "line 4: name",
        ),
    ];
    for (what, csv, status, field) in files {
        let before = app.writes().await;
        let r = app.import_csv(&app.alliances.token, csv).await;
        r.expect_error(*status, Some(field));
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(field.split(':').next().unwrap()),
            "{what}: the message names the line: {}",
            r.text
        );
        assert_eq!(app.writes().await, before, "{what}: something was written");
        let found = app
            .get("/api/v1/partners?q=partner", &app.alliances.token)
            .await;
        assert_eq!(found.body["total"], 0, "{what}: rows were imported");
    }
}

async fn a_bad_document_or_organization_names_the_field_and_writes_nothing(app: &TestApp) {
    let doc = |field: &str, value: Value| {
        let mut body = json!({"title": "Jenkins and GitLab", "url": "https://docs.example.com/j",
            "audience": "partner_shared", "sharing": "anyone_with_link", "folder": "Jenkins"});
        body[field] = value;
        body
    };
    let cases = [
        case(
            "blank title",
            doc("title", json!("")),
            422,
            Some("title"),
            Some("required"),
        ),
        case(
            "over-long title",
            doc("title", json!("t".repeat(301))),
            422,
            Some("title"),
            Some("too_long"),
        ),
        case(
            "url not http",
            doc("url", json!("javascript:alert(1)")),
            422,
            Some("url"),
            Some("invalid"),
        ),
        case(
            "unknown audience",
            doc("audience", json!("everyone")),
            422,
            Some("audience"),
            Some("unknown_code"),
        ),
        case(
            "unknown sharing",
            doc("sharing", json!("public")),
            422,
            Some("sharing"),
            Some("unknown_code"),
        ),
        case(
            "title of the wrong type",
            doc("title", json!(["a"])),
            400,
            Some("title"),
            None,
        ),
    ];
    let path = format!("/api/v1/partners/{}/documents", app.orgs.jenkins);
    refuse_all(app, Method::POST, &path, &cases).await;

    let org = |field: &str, value: Value| {
        let mut body =
            json!({"name": "Initech", "kind": "customer", "domains": ["initech.example"]});
        body[field] = value;
        body
    };
    let cases = [
        case(
            "blank name",
            org("name", json!("")),
            422,
            Some("name"),
            Some("required"),
        ),
        case(
            "unknown kind",
            org("kind", json!("planet")),
            422,
            Some("kind"),
            Some("unknown_code"),
        ),
        case(
            "a partner kind",
            org("kind", json!("partner")),
            422,
            Some("kind"),
            None,
        ),
        case(
            "bad domain",
            org("domains", json!(["-bad-.example"])),
            422,
            Some("domains[0]"),
            None,
        ),
        case(
            "name taken",
            org("name", json!("acme corp")),
            409,
            Some("name"),
            Some("conflict"),
        ),
    ];
    let before = app.writes().await;
    for c in &cases {
        let r = app
            .post("/api/v1/organizations", &app.support.token, &c.body)
            .await;
        let err = r.expect_error(c.status, c.field);
        if let Some(code) = c.code {
            assert_eq!(err["code"], code, "{}", c.what);
        }
    }
    assert_eq!(app.writes().await, before);
}

async fn a_duplicate_name_or_domain_is_a_conflict_naming_the_field(app: &TestApp) {
    let cases = [
        case(
            "a partner name in another case",
            json!({"name": "aws", "category": "platform_cloud"}),
            409,
            Some("name"),
            Some("conflict"),
        ),
        case(
            "a customer's name",
            json!({"name": "Acme Corp", "category": "dmr"}),
            409,
            Some("name"),
            Some("conflict"),
        ),
        case(
            "another partner's domain",
            json!({"name": "Amazon", "category": "platform_cloud", "domains": ["AWS.amazon.com"]}),
            409,
            Some("domains"),
            Some("conflict"),
        ),
    ];
    refuse_all(app, Method::POST, "/api/v1/partners", &cases).await;
    let path = format!("/api/v1/partners/{}", app.orgs.rancher);
    let cases = [case(
        "renaming onto another partner",
        json!({"name": "Jenkins"}),
        409,
        Some("name"),
        Some("conflict"),
    )];
    refuse_all(app, Method::PATCH, &path, &cases).await;
}
