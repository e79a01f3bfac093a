//! The partner registry through `/api/v1/partners` with a bearer token: create, read, list with
//! the handbook's filters and paging, patch, delete, documents and CSV.

use serde_json::json;

use crate::app::{partner_body, Orgs, TestApp};

on_both_databases!(
    creating_a_partner_returns_201_its_location_and_the_derived_fields,
    the_list_filters_by_every_taxonomy_code_and_searches_names_and_domains,
    the_list_pages_with_platform_partners_first,
    a_patch_changes_only_the_fields_it_carries_and_null_clears_them,
    a_patch_based_on_an_old_version_is_a_conflict,
    deleting_a_partner_removes_it_and_is_refused_while_users_belong,
    documents_carry_the_handbooks_convention_warnings,
    a_csv_import_creates_every_row_and_the_export_lists_them,
);

async fn creating_a_partner_returns_201_its_location_and_the_derived_fields(app: &TestApp) {
    let body = json!({
        "name": "DigitalOcean",
        "domains": ["digitalocean.com", "DO.example.com"],
        "family": "technology",
        "category": "platform_cloud",
        "track": "open",
        "status": "active",
        "partner_manager_id": app.alliances.id,
        "website": "https://www.digitalocean.com",
        "description": "Developer cloud.",
        "contacts": [{"name": "Sam Lee", "email": "Sam@DigitalOcean.com", "title": "Alliances lead"}],
        "scorecard": [
            {"criterion": "revenue", "score": 4, "note": "growing"},
            {"criterion": "exposure", "score": 2}
        ]
    });
    let r = app
        .post("/api/v1/partners", &app.alliances.token, &body)
        .await;
    r.expect(201);
    let id = r.body["id"].as_i64().unwrap();
    let location = r.headers["location"].to_str().unwrap();
    assert_eq!(location, format!("/api/v1/partners/{id}"));

    let p = &r.body;
    assert_eq!(p["name"], "DigitalOcean");
    assert_eq!(p["domains"], json!(["digitalocean.com", "do.example.com"]));
    assert_eq!(p["family"], "technology");
    assert_eq!(p["monetization"], "licensing_support_sales");
    assert_eq!(p["priority"], 1, "platform partners come first");
    assert_eq!(p["core_outbound"], false);
    assert_eq!(p["integration_direction"], json!(null));
    assert_eq!(p["partner_manager"]["email"], app.alliances.email);
    assert_eq!(p["contacts"][0]["email"], "sam@digitalocean.com");
    assert_eq!(p["scorecard"]["criteria"].as_array().unwrap().len(), 6);
    assert_eq!(p["scorecard"]["scored"], 2);
    assert_eq!(p["scorecard"]["weighted"], 6.0);
    assert_eq!(p["version"], 1);

    let got = app.get(location, &app.support.token).await;
    got.expect(200);
    assert_eq!(got.body, r.body, "GET returns what POST returned");

    // Derived fields follow the category: an integrated outbound partner of the core set.
    let r = app
        .post(
            "/api/v1/partners",
            &app.alliances.token,
            &json!({"name": "GitHub", "category": "integrated", "integration_direction": "outbound"}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["core_outbound"], true);
    assert_eq!(r.body["priority"], 2);
    assert_eq!(r.body["track"], "open", "track defaults to open");
    assert_eq!(r.body["status"], "prospect", "status defaults to prospect");
    let r = app
        .post(
            "/api/v1/partners",
            &app.admin.token,
            &partner_body("Deloitte", "global_si", "deloitte.com"),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["family"], "services");
    assert_eq!(r.body["monetization"], "services_sales");
    assert_eq!(r.body["priority"], 3);
}

async fn the_list_filters_by_every_taxonomy_code_and_searches_names_and_domains(app: &TestApp) {
    let cases: &[(&str, &[&str])] = &[
        ("", &Orgs::PARTNER_NAMES),
        ("category=platform_cloud", &["AWS", "Google Cloud"]),
        ("category=platform_kubernetes", &["Rancher"]),
        ("category=integrated", &["Jenkins"]),
        ("category=msp", &[]),
        (
            "family=technology",
            &["AWS", "Google Cloud", "Rancher", "Jenkins"],
        ),
        ("family=services", &["Accenture"]),
        ("family=reseller", &[]),
        ("track=select", &["AWS", "Google Cloud", "Accenture"]),
        ("track=open", &["Rancher", "Jenkins"]),
        ("status=active", &["AWS", "Google Cloud", "Jenkins"]),
        ("status=prospect", &["Rancher"]),
        ("status=inactive", &["Accenture"]),
        ("q=goo", &["Google Cloud"]),
        ("q=RANCHER", &["Rancher"]),
        ("q=amazon.com", &["AWS"]),
        ("q=%25", &[]),
        ("q=_", &[]),
        (
            "category=platform_cloud&track=select&status=active",
            &["AWS", "Google Cloud"],
        ),
        ("family=technology&status=active&q=j", &["Jenkins"]),
        ("category=platform_cloud&status=prospect", &[]),
    ];
    for (query, expected) in cases {
        let r = app
            .get(&format!("/api/v1/partners?{query}"), &app.alliances.token)
            .await;
        r.expect(200);
        assert_eq!(&r.names(), expected, "?{query}");
        assert_eq!(r.body["total"], expected.len(), "?{query}");
    }
    // Every item of a category filter has that category.
    let r = app
        .get(
            "/api/v1/partners?category=platform_cloud",
            &app.finance.token,
        )
        .await;
    for p in r.body["items"].as_array().unwrap() {
        assert_eq!(p["category"], "platform_cloud");
    }
}

async fn the_list_pages_with_platform_partners_first(app: &TestApp) {
    let pages: &[(i64, &[&str])] = &[
        (1, &["AWS", "Google Cloud"]),
        (2, &["Rancher", "Jenkins"]),
        (3, &["Accenture"]),
        (4, &[]),
    ];
    for (page, expected) in pages {
        let r = app
            .get(
                &format!("/api/v1/partners?per_page=2&page={page}"),
                &app.alliances.token,
            )
            .await;
        r.expect(200);
        assert_eq!(&r.names(), expected, "page {page}");
        assert_eq!(r.body["page"], *page);
        assert_eq!(r.body["per_page"], 2);
        assert_eq!(r.body["total"], 5);
    }
    let r = app.get("/api/v1/partners", &app.alliances.token).await;
    assert_eq!(r.body["per_page"], 50, "50 per page by default");
    assert_eq!(r.body["page"], 1);
}

async fn a_patch_changes_only_the_fields_it_carries_and_null_clears_them(app: &TestApp) {
    let id = app
        .create_partner(&json!({
            "name": "Flux7",
            "domains": ["flux7.com"],
            "category": "boutique_si",
            "website": "https://flux7.com",
            "description": "DevOps consultancy.",
            "contacts": [{"name": "Ali Khan", "email": "ali@flux7.com"}],
        }))
        .await;
    let path = format!("/api/v1/partners/{id}");

    let r = app
        .patch(&path, &app.alliances.token, &json!({"status": "active"}))
        .await;
    r.expect(200);
    assert_eq!(r.body["status"], "active");
    assert_eq!(r.body["version"], 2);
    for (field, value) in [
        ("name", json!("Flux7")),
        ("website", json!("https://flux7.com")),
        ("description", json!("DevOps consultancy.")),
        ("category", json!("boutique_si")),
        ("track", json!("open")),
        ("domains", json!(["flux7.com"])),
    ] {
        assert_eq!(
            r.body[field], value,
            "{field} unchanged by a patch without it"
        );
    }
    assert_eq!(r.body["contacts"].as_array().unwrap().len(), 1);

    let r = app
        .patch(
            &path,
            &app.alliances.token,
            &json!({"website": null, "description": null, "track": "select"}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["website"], json!(null));
    assert_eq!(r.body["description"], json!(null));
    assert_eq!(r.body["track"], "select");
    assert_eq!(r.body["status"], "active");

    // A manager is assigned by id and unassigned with null.
    let manager = app.alliances.id;
    let r = app
        .patch(
            &path,
            &app.alliances.token,
            &json!({"partner_manager_id": manager}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["partner_manager"]["id"], manager);
    let r = app
        .patch(
            &path,
            &app.alliances.token,
            &json!({"partner_manager_id": null}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["partner_manager"], json!(null));

    // A category change within another family: the family follows the category.
    let r = app
        .patch(&path, &app.alliances.token, &json!({"category": "var_vad"}))
        .await;
    r.expect(200);
    assert_eq!(r.body["family"], "reseller");
    assert_eq!(r.body["monetization"], "resale");

    let got = app.get(&path, &app.alliances.token).await;
    assert_eq!(got.body, r.body, "the patch was stored");
}

async fn a_patch_based_on_an_old_version_is_a_conflict(app: &TestApp) {
    let path = format!("/api/v1/partners/{}", app.orgs.rancher);
    let r = app
        .patch(
            &path,
            &app.alliances.token,
            &json!({"status": "active", "version": 1}),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["version"], 2);

    let before = app.writes().await;
    let r = app
        .patch(
            &path,
            &app.admin.token,
            &json!({"status": "inactive", "version": 1}),
        )
        .await;
    r.expect_error(409, Some("version"));
    assert_eq!(app.writes().await, before, "a conflict writes nothing");
    let got = app.get(&path, &app.alliances.token).await;
    assert_eq!(got.body["status"], "active");
    assert_eq!(got.body["version"], 2);
}

async fn deleting_a_partner_removes_it_and_is_refused_while_users_belong(app: &TestApp) {
    let id = app
        .create_partner(&partner_body("CloudReach", "regional_si", "cloudreach.com"))
        .await;
    let path = format!("/api/v1/partners/{id}");
    app.post(
        &format!("{path}/documents"),
        &app.alliances.token,
        &json!({"title": "CloudReach and GitLab", "url": "https://docs.example.com/cr",
                "audience": "internal", "sharing": "vendor_only", "folder": "CloudReach"}),
    )
    .await
    .expect(201);

    let r = app.delete(&path, &app.alliances.token).await;
    r.expect(204);
    assert!(r.text.is_empty());
    app.get(&path, &app.alliances.token)
        .await
        .expect_error(404, None);
    app.get(&format!("{path}/documents"), &app.alliances.token)
        .await
        .expect(404);
    app.delete(&path, &app.alliances.token)
        .await
        .expect_error(404, None);
    let r = app
        .get("/api/v1/partners?q=cloudreach", &app.alliances.token)
        .await;
    assert_eq!(r.body["total"], 0);
    // Its domain is free again.
    app.create_partner(&partner_body("CloudReach", "regional_si", "cloudreach.com"))
        .await;

    // AWS still has a partner user: refused, and nothing changes.
    let before = app.writes().await;
    let aws = format!("/api/v1/partners/{}", app.orgs.aws);
    app.delete(&aws, &app.admin.token)
        .await
        .expect_error(409, Some("id"));
    assert_eq!(app.writes().await, before);
    app.get(&aws, &app.alliances.token).await.expect(200);
}

async fn documents_carry_the_handbooks_convention_warnings(app: &TestApp) {
    let path = format!("/api/v1/partners/{}/documents", app.orgs.google);
    let cases = [
        (
            json!({"title": "Roadmap notes", "audience": "partner_shared", "sharing": "anyone_with_link", "folder": "Google Cloud"}),
            vec!["title_convention"],
        ),
        (
            json!({"title": "Google Cloud and GitLab - GTM plan", "audience": "internal", "sharing": "vendor_only", "folder": "Alliances/Google Cloud"}),
            vec![],
        ),
        (
            json!({"title": "Google Cloud and GitLab", "audience": "internal", "sharing": "anyone_with_link", "folder": "Google Cloud"}),
            vec!["internal_not_vendor_only"],
        ),
        (
            json!({"title": "Google Cloud and GitLab", "audience": "partner_shared", "sharing": "vendor_only", "folder": "Shared/AWS"}),
            vec!["partner_shared_not_open", "folder_convention"],
        ),
    ];
    let mut ids = Vec::new();
    for (mut body, expected) in cases {
        body["url"] = json!("https://docs.example.com/d/1");
        let r = app.post(&path, &app.alliances.token, &body).await;
        r.expect(201);
        let codes: Vec<&str> = r.body["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, expected, "{body}");
        ids.push(r.body["id"].as_i64().unwrap());
    }
    let listed = app.get(&path, &app.alliances.token).await;
    listed.expect(200);
    let first = &listed.body[0];
    assert_eq!(first["title"], "Roadmap notes");
    assert!(first["warnings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Google Cloud and GitLab"));
    assert_eq!(listed.body.as_array().unwrap().len(), 4);

    app.delete(&format!("{path}/{}", ids[0]), &app.alliances.token)
        .await
        .expect(204);
    let listed = app.get(&path, &app.alliances.token).await;
    let titles: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert!(!titles.contains(&"Roadmap notes"));
    assert_eq!(titles.len(), 3);
    // A document of another partner is not found under this one.
    app.delete(
        &format!("{path}/{}", app.aws_docs.shared),
        &app.alliances.token,
    )
    .await
    .expect(404);
}

async fn a_csv_import_creates_every_row_and_the_export_lists_them(app: &TestApp) {
    let csv = "name,domains,category,integration_direction,track,status,partner_manager_email,website,description\n\
               Bitbucket,bitbucket.org,integrated,outbound,select,active,alliances@gitlab.com,https://bitbucket.org,\"=HYPERLINK(\"\"http://x.example\"\")\"\n\
               Rackspace,rackspace.com;rackspace.co.uk,msp,,open,prospect,,,\n";
    let r = app.import_csv(&app.alliances.token, csv).await;
    r.expect(201);
    assert_eq!(r.body["imported"], 2);
    let r = app
        .get("/api/v1/partners?q=rack", &app.alliances.token)
        .await;
    assert_eq!(r.names(), ["Rackspace"]);
    let mut domains: Vec<&str> = r.body["items"][0]["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    domains.sort_unstable();
    assert_eq!(domains, ["rackspace.co.uk", "rackspace.com"]);
    let r = app
        .get("/api/v1/partners?q=bitbucket", &app.alliances.token)
        .await;
    assert_eq!(r.body["items"][0]["core_outbound"], true);
    assert_eq!(
        r.body["items"][0]["partner_manager"]["email"],
        "alliances@gitlab.com"
    );

    let export = app
        .get("/api/v1/partners/export.csv", &app.support.token)
        .await;
    export.expect(200);
    assert!(export.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let mut lines = export.text.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("id,name,domains,family,category"));
    assert_eq!(lines.count(), 7);
    assert!(export.text.contains("Rackspace"));
    // A cell a spreadsheet would run as a formula is exported marked as text.
    assert!(export
        .text
        .contains(r#""'=HYPERLINK(""http://x.example"")""#));

    // An export imports back into another registry unchanged; here, re-importing it is refused
    // because every name exists already, naming the first line.
    let r = app.import_csv(&app.alliances.token, &export.text).await;
    r.expect_error(409, Some("line 2: name"));
}
