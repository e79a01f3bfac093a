//! The outbox across a crash: a request acknowledged with 201, the server killed with SIGKILL
//! before its channel message went out, and the message delivered after the restart, once.
//! On SQLite, and on PostgreSQL when `PARTNERHUB_TEST_POSTGRES_URL` is set.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::{text, Server};

/// A chat channel on 127.0.0.1 that answers 200 to every POST and keeps the bodies.
struct Sink {
    bodies: Arc<Mutex<Vec<String>>>,
}

impl Sink {
    fn listen(listener: TcpListener) -> Sink {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = bodies.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                kept.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&body).into_owned());
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
            }
        });
        Sink { bodies }
    }

    fn bodies(&self) -> Vec<String> {
        self.bodies.lock().unwrap().clone()
    }
}

/// A port nothing listens on yet.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn intake() -> serde_json::Value {
    serde_json::json!({
        "company": "Crashproof Ltd",
        "website": "https://crashproof.example",
        "contact_name": "Grace Hopper",
        "contact_email": "grace@crashproof.example",
        "interest": "technology",
        "integration": "A deployment gate",
        "benefits": "Safer releases",
        "relationship": "A listed integration",
    })
}

fn a_request_acknowledged_before_a_crash_reaches_the_channel_after_it(
    dir: &Path,
    database: &[(&str, &str)],
) {
    let port = free_port();
    let channel = format!("http://127.0.0.1:{port}/hook");
    let mut env: Vec<(&str, &str)> = vec![
        ("PARTNERHUB_ALLIANCES_CHANNEL", channel.as_str()),
        ("PARTNERHUB_OUTBOUND_ALLOW_HOSTS", "127.0.0.1"),
    ];
    env.extend_from_slice(database);
    // No worker: the delivery cannot have happened when the server dies.
    let server = Server::start_with(dir, &["--no-worker"], &env);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/api/v1/inbound-requests", server.url))
            .json(&intake())
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 201);
    let mut server = server;
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    drop(server);

    let cli = |args: &[&str]| {
        let mut cmd = super::partnerhub(dir);
        cmd.args(args).envs(env.iter().copied());
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    let pending = cli(&["outbox", "list", "--state", "pending"]);
    assert!(
        pending.contains("chat") && pending.contains("inbound_request"),
        "{pending}"
    );

    // The channel comes up; the restarted worker delivers, once.
    let sink = Sink::listen(TcpListener::bind(("127.0.0.1", port)).unwrap());
    let ran = cli(&["worker", "--once"]);
    assert!(ran.contains("ran"), "{ran}");
    let got = sink.bodies();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains("Crashproof Ltd"), "{}", got[0]);
    cli(&["worker", "--once"]);
    assert_eq!(
        sink.bodies().len(),
        1,
        "a delivery recorded as done is not sent again"
    );
    let left = cli(&["outbox", "list"]);
    assert!(left.contains("no deliveries"), "{left}");
}

#[test]
fn a_request_acknowledged_before_a_crash_is_delivered_after_it_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_request_acknowledged_before_a_crash_reaches_the_channel_after_it(dir.path(), &[]);
}

#[test]
fn a_request_acknowledged_before_a_crash_is_delivered_after_it_postgres() {
    let Ok(admin_url) = std::env::var("PARTNERHUB_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI needs PARTNERHUB_TEST_POSTGRES_URL"
        );
        eprintln!("SKIPPED: PostgreSQL tests need PARTNERHUB_TEST_POSTGRES_URL");
        return;
    };
    let name = format!("ph_cli_{:016x}", std::process::id() as u64 * 7919 + 17);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let admin = rt.block_on(sqlx::PgPool::connect(&admin_url)).unwrap();
    rt.block_on(sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&admin))
        .unwrap();
    rt.block_on(sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin))
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    let dir = tempfile::tempdir().unwrap();
    a_request_acknowledged_before_a_crash_reaches_the_channel_after_it(
        dir.path(),
        &[("DATABASE_URL", url.as_str())],
    );
    rt.block_on(
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&admin),
    )
    .unwrap();
}

#[test]
fn a_channel_inside_the_network_is_refused_at_start_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/hook",
        "http://[::1]:8080/hook",
        "http://localhost:9/hook",
    ] {
        for command in [
            &["serve", "--addr", "127.0.0.1:0"][..],
            &["worker", "--once"][..],
        ] {
            let out = super::partnerhub(dir.path())
                .args(command)
                .env("PARTNERHUB_ALLIANCES_CHANNEL", url)
                .env_remove("PARTNERHUB_OUTBOUND_ALLOW_HOSTS")
                .output()
                .unwrap();
            let err = text(&out.stderr);
            assert!(!out.status.success(), "{command:?} started with {url}");
            assert!(
                err.contains("notifications.alliances_channel") && err.contains("internal address"),
                "{url}: {err}"
            );
        }
    }
}
