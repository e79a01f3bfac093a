//! The audit log through the API: every change writes a row with actor, action, entity and
//! before/after; the hash chain verifies, and a row altered in the database is named.

use serde_json::{json, Value};

use crate::app::{partner_body, TestApp};

on_both_databases!(
    every_change_writes_one_audit_row_naming_actor_entity_and_states,
    the_chain_verifies_and_names_a_row_altered_in_the_database,
    staff_read_one_entitys_history,
);

/// The newest `n` audit rows, oldest first.
async fn newest(app: &TestApp, n: usize) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/audit?limit={n}"), &app.admin.token)
        .await;
    r.expect(200);
    let mut rows = r.body.as_array().unwrap().clone();
    rows.reverse();
    rows
}

async fn every_change_writes_one_audit_row_naming_actor_entity_and_states(app: &TestApp) {
    let start = app.writes().await;
    let id = app
        .create_partner(&partner_body(
            "Red Hat",
            "platform_kubernetes",
            "redhat.com",
        ))
        .await;
    let path = format!("/api/v1/partners/{id}");
    app.patch(&path, &app.alliances.token, &json!({"status": "active"}))
        .await
        .expect(200);
    let doc = app
        .post(
            &format!("{path}/documents"),
            &app.alliances.token,
            &json!({"title": "Red Hat and GitLab", "url": "https://docs.example.com/rh",
                "audience": "partner_shared", "sharing": "anyone_with_link", "folder": "Red Hat"}),
        )
        .await;
    doc.expect(201);
    let doc_id = doc.body["id"].as_i64().unwrap();
    app.delete(&format!("{path}/documents/{doc_id}"), &app.admin.token)
        .await
        .expect(204);
    app.delete(&path, &app.alliances.token).await.expect(204);

    let end = app.writes().await;
    assert_eq!(end.audit_rows - start.audit_rows, 5, "one row per change");
    let rows = newest(app, 5).await;
    let summary: Vec<(&str, &str, String, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap(),
                r["entity_type"].as_str().unwrap(),
                r["entity_id"].as_str().unwrap().to_string(),
                r["actor"].as_str().unwrap(),
            )
        })
        .collect();
    let (pid, did) = (id.to_string(), doc_id.to_string());
    let alliances = app.alliances.email.as_str();
    let admin = app.admin.email.as_str();
    assert_eq!(
        summary,
        [
            ("partner.create", "partner", pid.clone(), alliances),
            ("partner.update", "partner", pid.clone(), alliances),
            ("document.create", "document", did.clone(), alliances),
            ("document.delete", "document", did, admin),
            ("partner.delete", "partner", pid, alliances),
        ]
    );
    assert_eq!(rows[0]["actor_id"], app.alliances.id);
    assert_eq!(rows[0]["before"], json!(null));
    assert_eq!(rows[0]["after"]["name"], "Red Hat");
    assert_eq!(rows[1]["before"]["status"], "prospect");
    assert_eq!(rows[1]["after"]["status"], "active");
    assert_eq!(rows[2]["after"]["title"], "Red Hat and GitLab");
    assert_eq!(rows[3]["after"], json!(null));
    assert_eq!(rows[4]["before"]["status"], "active");
    assert_eq!(rows[4]["after"], json!(null));
    for r in &rows {
        assert_eq!(r["org_id"], id);
        assert!(r["at"].as_str().unwrap().contains('T'));
        assert_eq!(r["hash"].as_str().unwrap().len(), 64);
    }

    let v = app.get("/api/v1/audit/verify", &app.admin.token).await;
    v.expect(200);
    assert_eq!(v.body["ok"], true, "{}", v.text);
    assert_eq!(v.body["rows_checked"], end.audit_rows);
    assert_eq!(v.body["broken_row"], json!(null));
}

async fn the_chain_verifies_and_names_a_row_altered_in_the_database(app: &TestApp) {
    let path = format!("/api/v1/partners/{}", app.orgs.rancher);
    app.patch(&path, &app.alliances.token, &json!({"status": "active"}))
        .await
        .expect(200);
    app.patch(&path, &app.alliances.token, &json!({"track": "select"}))
        .await
        .expect(200);
    let v = app.get("/api/v1/audit/verify", &app.admin.token).await;
    assert_eq!(v.body["ok"], true, "{}", v.text);

    let rows = newest(app, 2).await;
    let altered = rows[0]["id"].as_i64().unwrap();
    assert_eq!(rows[0]["after"]["status"], "active");
    let n = app
        .execute(&format!(
            "UPDATE audit_log SET after_json = '{{\"status\":\"inactive\"}}' WHERE id = {altered}"
        ))
        .await;
    assert_eq!(n, 1);

    let v = app.get("/api/v1/audit/verify", &app.admin.token).await;
    v.expect(200);
    assert_eq!(v.body["ok"], false, "{}", v.text);
    assert_eq!(v.body["broken_row"], altered, "{}", v.text);
    assert!(v.body["message"]
        .as_str()
        .unwrap()
        .contains(&altered.to_string()));
}

async fn staff_read_one_entitys_history(app: &TestApp) {
    let id = app.orgs.jenkins;
    app.patch(
        &format!("/api/v1/partners/{id}"),
        &app.alliances.token,
        &json!({"description": "Automation server."}),
    )
    .await
    .expect(200);
    let history = format!("/api/v1/audit?entity_type=partner&entity_id={id}");
    for staff in [&app.support, &app.finance, &app.alliances, &app.admin] {
        let r = app.get(&history, &staff.token).await;
        r.expect(200);
        let actions: Vec<&str> = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            ["partner.update", "partner.create"],
            "{}",
            staff.email
        );
        assert_eq!(r.body[0]["after"]["description"], "Automation server.");
    }
}
