//! The `partnerhub` command line as scripts and operators use it: first start, demo, accounts,
//! tokens, the audit chain, and commands running beside a live server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod outbox;

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
        Self::start_with(data_dir, &["--demo"], &[])
    }

    /// `serve --addr 127.0.0.1:0` with more arguments and environment variables.
    fn start_with(data_dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Server {
        let mut child = partnerhub(data_dir)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .envs(envs.iter().copied())
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

        // Inbound requests in every state, a lead, next steps, one overdue.
        let mut states = std::collections::BTreeSet::new();
        let mut steps = Vec::new();
        let mut leads = 0;
        for state in [
            "new",
            "claimed",
            "in_discussion",
            "accepted",
            "declined",
            "spam",
        ] {
            let page: serde_json::Value = get(format!("/api/v1/inbound-requests?state={state}"))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            for r in page["items"].as_array().unwrap() {
                states.insert(r["state"].as_str().unwrap().to_string());
                leads += usize::from(!r["lead"].is_null());
                steps.extend(r["next_steps"].as_array().unwrap().iter().cloned());
            }
        }
        assert_eq!(states.len(), 6, "{states:?}");
        assert!(leads >= 3);
        let today = time::OffsetDateTime::now_utc().date().to_string();
        let overdue = steps
            .iter()
            .filter(|s| {
                s["done"] == false && s["due_on"].as_str().is_some_and(|d| d < today.as_str())
            })
            .count();
        assert_eq!(overdue, 1, "{steps:?}");
        assert!(steps.iter().any(|s| s["done"] == true));
        let accepted: serde_json::Value = get("/api/v1/inbound-requests?state=accepted".into())
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let partner = accepted["items"][0]["partner_id"].as_i64().unwrap();
        let docs: serde_json::Value = get(format!("/api/v1/partners/{partner}/documents"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(docs.to_string().contains("1HelmsmanDeploy"), "{docs}");
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

#[test]
#[cfg(unix)]
fn the_data_directory_and_its_files_are_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let out = run(
        &dir,
        &[
            "user",
            "add",
            "--email",
            "a@example.com",
            "--name",
            "A",
            "--role",
            "admin",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "the data directory");
    let mut files = vec!["partnerhub.db".to_string(), "audit.key".to_string()];
    for extra in ["partnerhub.db-wal", "partnerhub.db-shm"] {
        if dir.join(extra).exists() {
            files.push(extra.to_string());
        }
    }
    for f in &files {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
    // An existing directory left open by an older version is narrowed.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        dir.join("partnerhub.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let out = run(&dir, &["audit", "verify"], None);
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("partnerhub.db")), 0o600);
}

#[test]
fn the_audit_key_stays_outside_the_database_and_its_absence_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "a@example.com",
            "--name",
            "A",
            "--role",
            "admin",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key = std::fs::read_to_string(dir.path().join("audit.key")).unwrap();
    assert_eq!(key.trim().len(), 64);
    // The key is not in the database.
    let db = std::fs::read(dir.path().join("partnerhub.db")).unwrap();
    let hex = key.trim().as_bytes();
    assert!(!db.windows(hex.len()).any(|w| w == hex));

    std::fs::rename(dir.path().join("audit.key"), dir.path().join("kept.key")).unwrap();
    let out = run(dir.path(), &["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("audit key is missing"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("links verified"));
    // Nothing changes without it: a new key would never verify what the old one chained.
    let out = run(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "b@example.com",
            "--name",
            "B",
            "--role",
            "support",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no key was found"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !dir.path().join("audit.key").exists(),
        "no new key was made"
    );

    // The key from the environment works as the file did.
    let mut cmd = partnerhub(dir.path());
    let out = cmd
        .env("PARTNERHUB_AUDIT_KEY", key.trim())
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("audit chain verified"));
}

#[test]
fn users_are_deactivated_reactivated_and_moved_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let ok = |args: &[&str]| {
        let out = run(dir.path(), args, None);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let partner = server
        .stdout
        .iter()
        .find(|l| l.split_whitespace().nth(1) == Some("partner"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    assert!(ok(&["user", "deactivate", "--email", &partner]).contains("deactivated"));
    let out = run(dir.path(), &["token", "issue", "--email", &partner], None);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("deactivated"),
        "{}",
        text(&out.stderr)
    );
    assert!(ok(&["user", "activate", "--email", &partner]).contains("reactivated"));
    let shown = ok(&["user", "show", "--email", &partner]);
    assert!(
        shown.contains("active:        true") && shown.contains("last sign-in:  never"),
        "{shown}"
    );
    assert!(ok(&["user", "move", "--email", &partner, "--org", "Rackspace"]).contains("Rackspace"));
    let out = run(
        dir.path(),
        &["user", "move", "--email", &partner, "--org", "Globex"],
        None,
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--org"), "{}", text(&out.stderr));
    let out = run(
        dir.path(),
        &["user", "deactivate", "--email", "nobody@example.com"],
        None,
    );
    assert!(
        text(&out.stderr).contains("--email: no user"),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "s@example.com",
            "--name",
            "S",
            "--role",
            "support",
            "--password-stdin",
        ],
        Some("            \n"),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("only spaces"),
        "{}",
        text(&out.stderr)
    );
    assert!(server.stop().success());
}
