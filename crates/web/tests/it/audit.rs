//! The audit log through the API: every change writes a row with actor, action, entity and
//! before/after; the hash chain verifies, and a row altered in the database is named.

use partnerhub_domain::audit::{AuditEntry, ChainKey, ChainRow, GENESIS};
use partnerhub_store::{ChainStart, Db, Who};
use serde_json::{json, Value};

use crate::app::{partner_body, TestApp};

on_both_databases!(
    every_change_writes_one_audit_row_naming_actor_entity_and_states,
    the_chain_verifies_and_names_a_row_altered_in_the_database,
    staff_read_one_entitys_history,
    a_chain_recomputed_without_the_key_still_names_the_altered_row,
    removing_the_tail_and_moving_the_head_back_is_caught,
    a_chain_from_before_keying_is_rekeyed_once_and_records_it,
    a_broken_chain_from_before_keying_is_rekeyed_only_when_told,
    a_store_with_another_key_or_none_writes_nothing,
);

/// Every audit row, in id order, as the verifier reads it.
async fn rows(app: &TestApp) -> Vec<ChainRow> {
    let r = app.get("/api/v1/audit?limit=500", &app.admin.token).await;
    let mut out: Vec<ChainRow> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let text = |k: &str| v[k].as_str().map(str::to_string);
            let json = |k: &str| (!v[k].is_null()).then(|| v[k].to_string());
            ChainRow {
                id: v["id"].as_i64().unwrap(),
                prev_hash: String::new(),
                hash: text("hash").unwrap(),
                entry: AuditEntry {
                    at: text("at").unwrap(),
                    actor_id: v["actor_id"].as_i64(),
                    actor_label: text("actor").unwrap(),
                    action: text("action").unwrap(),
                    entity_type: text("entity_type").unwrap(),
                    entity_id: text("entity_id").unwrap(),
                    org_id: v["org_id"].as_i64(),
                    before: json("before"),
                    after: json("after"),
                },
            }
        })
        .collect();
    out.reverse();
    out
}

/// Rewrites the stored chain from scratch, as someone who can write the database but lacks
/// the key would: every row re-hashed with `hash`, the head moved to the last row.
async fn rechain(app: &TestApp, hash: impl Fn(&AuditEntry, &str) -> String) {
    // The stored JSON text, not the API's re-serialised form, is what is hashed.
    let ids: Vec<i64> = rows(app).await.iter().map(|r| r.id).collect();
    let mut prev = GENESIS.to_string();
    let mut last = 0;
    for id in ids {
        let entry = stored_entry(app, id).await;
        let h = hash(&entry, &prev);
        app.execute(&format!(
            "UPDATE audit_log SET prev_hash = '{prev}', hash = '{h}' WHERE id = {id}"
        ))
        .await;
        prev = h;
        last = id;
    }
    app.execute(&format!(
        "UPDATE audit_head SET hash = '{prev}', last_id = {last}"
    ))
    .await;
}

/// One row's content exactly as stored.
async fn stored_entry(app: &TestApp, id: i64) -> AuditEntry {
    type Row = (
        String,
        Option<i64>,
        String,
        String,
        String,
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
    );
    let sql = format!("SELECT at, actor_id, actor_label, action, entity_type, entity_id, org_id, before_json, after_json FROM audit_log WHERE id = {id}");
    let r: Row = match app.store.db() {
        Db::Sqlite { read, .. } => sqlx::query_as(&sql).fetch_one(read).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_as(&sql).fetch_one(pool).await.unwrap(),
    };
    AuditEntry {
        at: r.0,
        actor_id: r.1,
        actor_label: r.2,
        action: r.3,
        entity_type: r.4,
        entity_id: r.5,
        org_id: r.6,
        before: r.7,
        after: r.8,
    }
}

async fn verify(app: &TestApp) -> Value {
    let v = app.get("/api/v1/audit/verify", &app.admin.token).await;
    v.expect(200);
    v.body
}

async fn a_chain_recomputed_without_the_key_still_names_the_altered_row(app: &TestApp) {
    let altered = rows(app).await[3].id;
    app.execute(&format!(
        "UPDATE audit_log SET actor_label = 'someone else' WHERE id = {altered}"
    ))
    .await;
    // Recomputed with the unkeyed hash of before, and with a key of the forger's own.
    let forged = ChainKey::from_bytes([1; 32]);
    for pass in 0..2 {
        if pass == 0 {
            rechain(app, |e, prev| e.legacy_hash(prev)).await;
        } else {
            rechain(app, |e, prev| e.chain_hash(&forged, prev)).await;
        }
        let v = verify(app).await;
        assert_eq!(v["ok"], false, "{v}");
        // Every row fails its keyed hash now; the first is named.
        assert_eq!(v["broken_row"], rows(app).await[0].id, "{v}");
    }
}

async fn removing_the_tail_and_moving_the_head_back_is_caught(app: &TestApp) {
    let all = rows(app).await;
    let keep = &all[all.len() - 3];
    app.execute(&format!("DELETE FROM audit_log WHERE id > {}", keep.id))
        .await;
    app.execute(&format!(
        "UPDATE audit_head SET hash = '{}', last_id = {}",
        keep.hash, keep.id
    ))
    .await;
    let v = verify(app).await;
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(v["broken_row"], keep.id, "{v}");
    assert!(v["message"].as_str().unwrap().contains("head"), "{v}");
}

/// Turns the test database into one chained before keying: rows hashed with plain SHA-256
/// and no key recorded.
async fn make_legacy(app: &TestApp) {
    rechain(app, |e, prev| e.legacy_hash(prev)).await;
    app.execute("UPDATE audit_head SET key_id = NULL, head_mac = NULL")
        .await;
}

async fn a_chain_from_before_keying_is_rekeyed_once_and_records_it(app: &TestApp) {
    let before = rows(app).await.len() as u64;
    make_legacy(app).await;
    let store = app.store.clone();
    assert_eq!(
        store.prepare_chain(false).await.unwrap(),
        ChainStart::Rekeyed { rows: before }
    );
    let v = verify(app).await;
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["rows_checked"], before + 1);
    let all = rows(app).await;
    let last = all.last().unwrap();
    assert_eq!(last.entry.action, "audit.rekey");
    let after: Value = serde_json::from_str(last.entry.after.as_deref().unwrap()).unwrap();
    assert_eq!(after["rows"], before);
    assert_eq!(after["legacy_break"], Value::Null);
    // Once.
    assert_eq!(store.prepare_chain(false).await.unwrap(), ChainStart::Keyed);
    app.patch(
        &format!("/api/v1/partners/{}", app.orgs.rancher),
        &app.alliances.token,
        &json!({"status": "active"}),
    )
    .await
    .expect(200);
    assert_eq!(verify(app).await["ok"], true);
}

async fn a_broken_chain_from_before_keying_is_rekeyed_only_when_told(app: &TestApp) {
    make_legacy(app).await;
    let altered = rows(app).await[2].id;
    app.execute(&format!(
        "UPDATE audit_log SET actor_label = 'someone else' WHERE id = {altered}"
    ))
    .await;
    let err = app
        .store
        .prepare_chain(false)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("row {altered}")) && err.contains("accept-break"),
        "{err}"
    );
    // Writes wait for the chain to be keyed.
    app.patch(
        &format!("/api/v1/partners/{}", app.orgs.rancher),
        &app.alliances.token,
        &json!({"status": "active"}),
    )
    .await
    .expect(500);
    assert!(matches!(
        app.store.prepare_chain(true).await.unwrap(),
        ChainStart::Rekeyed { .. }
    ));
    let all = rows(app).await;
    let after: Value =
        serde_json::from_str(all.last().unwrap().entry.after.as_deref().unwrap()).unwrap();
    assert!(after["legacy_break"]
        .as_str()
        .unwrap()
        .contains(&altered.to_string()));
}

async fn a_store_with_another_key_or_none_writes_nothing(app: &TestApp) {
    let writes = app.writes().await;
    let other = app
        .store
        .clone()
        .with_chain_key(ChainKey::from_bytes([7; 32]));
    let err = other.prepare_chain(false).await.unwrap_err().to_string();
    assert!(err.contains("keyed with key"), "{err}");
    let draft = crate::app::draft("Evil", "msp", None, "open", "prospect", "evil.example");
    assert!(other
        .create_partner(&Who::system("x"), &draft)
        .await
        .is_err());
    assert_eq!(app.writes().await, writes);
}

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
