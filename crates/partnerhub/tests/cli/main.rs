//! The `partnerhub` command line as scripts and operators use it: first start, demo, accounts,
//! tokens, the audit chain, and commands running beside a live server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn partnerhub(data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_partnerhub"));
    cmd.arg("--data-dir").arg(data_dir);
    cmd.env_remove("DATABASE_URL")
        .env_remove("PARTNERHUB_CONFIG")
        .env_remove("PARTNERHUB_ADDR");
    cmd
}

fn run(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = partnerhub(data_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A running `serve --demo`, stopped with SIGTERM on drop.
struct Server {
    child: Child,
    url: String,
    stdout: Vec<String>,
}

impl Server {
    fn start(data_dir: &Path) -> Server {
        let mut child = partnerhub(data_dir)
            .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut stdout = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        let url = loop {
            assert!(
                Instant::now() < deadline,
                "server did not become ready: {stdout:?}"
            );
            let line = lines
                .next()
                .expect("server exited before it was ready")
                .unwrap();
            if let Some(rest) = line.strip_prefix("Partnerhub is ready at ") {
                break rest.trim().trim_end_matches('/').to_string();
            }
            stdout.push(line);
        };
        Server { child, url, stdout }
    }

    fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[test]
fn first_start_user_add_token_issue_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "Ada@Example.com",
            "--name",
            "Ada",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("a long enough password\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ada@example.com"));

    let out = run(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "bob@example.com",
            "--name",
            "Bob",
            "--role",
            "wizard",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--role"),
        "{}",
        text(&out.stderr)
    );

    let out = run(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "eve@example.com",
            "--name",
            "Eve",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("at least 12"),
        "{}",
        text(&out.stderr)
    );

    let out = run(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "ada@example.com",
            "--name",
            "Ada again",
            "--role",
            "support",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );

    let out = run(
        dir.path(),
        &[
            "token",
            "issue",
            "--email",
            "ada@example.com",
            "--label",
            "scripts",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout);
    assert!(token.trim().starts_with("phk_") && token.trim().len() > 40);

    let out = run(
        dir.path(),
        &["token", "issue", "--email", "nobody@example.com"],
        None,
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no user"));
}

#[test]
fn audit_verify_passes_and_then_names_the_altered_row() {
    let dir = tempfile::tempdir().unwrap();
    for (email, role) in [
        ("a@example.com", "admin"),
        ("b@example.com", "alliances"),
        ("c@example.com", "support"),
    ] {
        let out = run(
            dir.path(),
            &[
                "user", "add", "--email", email, "--name", "N", "--role", role,
            ],
            None,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = run(dir.path(), &["audit", "verify"], None);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("verified"));

    let db = dir.path().join("partnerhub.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let altered: i64 = rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let id: i64 = sqlx::query_scalar(
            "SELECT id FROM audit_log WHERE action = 'user.create' ORDER BY id DESC LIMIT 1",
        )
        .fetch_one(&mut c)
        .await
        .unwrap();
        sqlx::query("UPDATE audit_log SET actor_label = 'someone else' WHERE id = $1")
            .bind(id)
            .execute(&mut c)
            .await
            .unwrap();
        id
    });
    let out = run(dir.path(), &["audit", "verify"], None);
    assert!(!out.status.success());
    assert!(
        text(&out.stdout).contains(&format!("broken at row {altered}")),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn serve_demo_seeds_once_answers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert!(
        server
            .stdout
            .iter()
            .any(|l| l.contains("Demo program created")),
        "{:?}",
        server.stdout
    );
    for role in [
        "admin",
        "alliances",
        "support",
        "finance",
        "partner",
        "customer",
    ] {
        assert!(
            server
                .stdout
                .iter()
                .any(|l| l.split_whitespace().nth(1) == Some(role)),
            "no {role} account printed"
        );
    }

    // A CLI command runs beside the live server on the same data directory.
    let out = run(
        dir.path(),
        &["token", "issue", "--email", "alliances@gitlab.com"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_string();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let get = |path: String| {
            http.get(format!("{}{path}", server.url))
                .bearer_auth(&token)
                .send()
        };
        assert_eq!(
            http.get(format!("{}/healthz", server.url))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(
            http.get(format!("{}/readyz", server.url))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        let metrics = http
            .get(format!("{}/metrics", server.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(metrics.contains("partnerhub_http_requests_total"));

        let all: serde_json::Value = get("/api/v1/partners?per_page=200".into())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(all["total"].as_i64().unwrap() >= 30);
        let categories: std::collections::BTreeSet<&str> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["category"].as_str().unwrap())
            .collect();
        for c in partnerhub_domain::taxonomy::Category::CODES {
            assert!(categories.contains(c), "the demo lacks a {c} partner");
        }
        let names: Vec<&str> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for named in [
            "AWS",
            "Red Hat",
            "Rancher",
            "VMware",
            "Jenkins",
            "GitHub",
            "JetBrains",
            "Accenture",
            "CloudReach",
            "Rackspace",
        ] {
            assert!(names.contains(&named), "the demo lacks {named}");
        }

        let cloud: serde_json::Value = get("/api/v1/partners?category=platform_cloud".into())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let cloud_names: Vec<&str> = cloud["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert!(
            cloud_names.contains(&"AWS") && cloud_names.contains(&"DigitalOcean"),
            "{cloud_names:?}"
        );
        assert!(cloud["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["category"] == "platform_cloud"));
    });
    assert!(
        server.stop().success(),
        "serve did not exit cleanly on SIGTERM"
    );

    let out = run(dir.path(), &["audit", "verify"], None);
    assert!(out.status.success(), "{}", text(&out.stdout));

    // Run again: nothing is seeded twice.
    let again = Server::start(dir.path());
    assert!(
        again
            .stdout
            .iter()
            .any(|l| l.contains("already holds data")),
        "{:?}",
        again.stdout
    );
    assert!(again.stop().success());
}
