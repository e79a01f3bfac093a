//! The UI in headless Chromium through chromedriver: sign in, create a partner with an invalid
//! field and see the error beside it, fix it, find the partner in the list, and add a misnamed
//! document to see the handbook's warning; and an inbound request from the public form through
//! the lead's claim and next step to the partner it becomes.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::app::{TestApp, PASSWORD, VENDOR};

/// An executable on `PATH` or in `/usr/bin`.
fn executable(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A running chromedriver, killed when dropped.
struct Driver {
    child: tokio::process::Child,
    url: String,
}

impl Driver {
    async fn start(chromedriver: &Path) -> Self {
        // A free port: bind, read it, release it for chromedriver.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        // Readiness, not timing: poll /status until it answers (at most about 30 s).
        for _ in 0..300 {
            if let Ok(r) = http.get(format!("{url}/status")).send().await {
                if r.status().is_success() {
                    return Self { child, url };
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start on port {port}");
    }

    async fn browser(&self, chromium: &Path, profile: &Path) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

async fn fill(c: &Client, name: &str, value: &str) {
    let input = c
        .find(Locator::Css(&format!("[name='{name}']")))
        .await
        .unwrap();
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
}

async fn choose(c: &Client, name: &str, value: &str) {
    c.find(Locator::Css(&format!("select[name='{name}']")))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

/// Signs in as the alliances account and waits for the partner list.
async fn sign_in(app: &TestApp, c: &Client) -> Result<(), String> {
    c.goto(&app.url("/login")).await.unwrap();
    fill(c, "email", &app.alliances.email).await;
    fill(c, "password", PASSWORD).await;
    click(c, "button[type='submit']").await;
    c.wait()
        .for_element(Locator::Id("new-partner"))
        .await
        .map(|_| ())
        .map_err(|e| format!("not signed in: {e}"))
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_is_created_found_and_warned_about_in_the_browser() {
    let (Some(chromedriver), Some(chromium)) = (executable("chromedriver"), executable("chromium"))
    else {
        crate::app::skip("the browser test needs chromedriver and chromium");
        return;
    };
    let app = TestApp::sqlite().await;
    let driver = Driver::start(&chromedriver).await;
    let profile = tempfile::tempdir().unwrap();
    let c = driver.browser(&chromium, profile.path()).await;
    let outcome = walk(&app, &c).await;
    // The second walk starts signed out: a visitor of the public page.
    let outcome = match outcome {
        Ok(()) => match c.delete_all_cookies().await {
            Ok(()) => inbound_walk(&app, &c).await,
            Err(e) => Err(format!("clearing cookies: {e}")),
        },
        e => e,
    };
    c.close().await.unwrap();
    drop(driver);
    app.finish().await;
    outcome.unwrap();
}

/// A visitor asks to partner; an alliances member claims the request, records a next step and
/// accepts it; the partner's page shows the request's document with its warnings.
async fn inbound_walk(app: &TestApp, c: &Client) -> Result<(), String> {
    let company = "Orbit CI";
    c.goto(&app.url("/partner-with-us")).await.unwrap();
    for (name, value) in [
        ("company", company),
        ("website", "https://orbit-ci.example"),
        ("contact_name", "Nia Brooks"),
        ("contact_email", "nia@orbit-ci.example"),
        ("integration", "Runners that autoscale on spot instances"),
        ("benefits", "Cheaper pipelines"),
        ("relationship", "A technology partnership"),
        ("document_url", "https://docs.example.com/orbit-proposal"),
    ] {
        fill(c, name, value).await;
    }
    choose(c, "interest", "technology").await;
    click(c, "#send-request").await;
    c.wait()
        .for_element(Locator::Id("intake-done"))
        .await
        .map_err(|e| format!("the form did not confirm: {e}"))?;

    // The alliances member signs in and finds it in the triage list.
    sign_in(app, c).await?;
    c.goto(&app.url("/inbound")).await.unwrap();
    c.wait()
        .for_element(Locator::LinkText(company))
        .await
        .map_err(|e| format!("not in the triage list: {e}"))?
        .click()
        .await
        .unwrap();
    click(c, "#claim").await;
    let lead = c
        .wait()
        .for_element(Locator::Id("request-lead"))
        .await
        .map_err(|e| format!("no lead after claiming: {e}"))?;
    assert_eq!(lead.text().await.unwrap(), "Alliances team user");

    // A next step, then acceptance.
    fill(c, "text", "Technical call").await;
    c.execute(
        "document.getElementById('step-due').value = '2030-01-15';",
        vec![],
    )
    .await
    .map_err(|e| format!("setting the due date: {e}"))?;
    click(c, "#save-step").await;
    let step = c
        .wait()
        .for_element(Locator::Css("#steps li"))
        .await
        .map_err(|e| format!("no step listed: {e}"))?;
    let step_text = step.text().await.unwrap();
    assert!(step_text.contains("Technical call"), "{step_text}");
    assert!(step_text.contains("2030-01-15"), "{step_text}");
    let state = c.find(Locator::Id("request-state")).await.unwrap();
    assert_eq!(state.text().await.unwrap(), "In discussion");
    choose(c, "category", "integrated").await;
    choose(c, "integration_direction", "inbound").await;
    click(c, "#accept").await;
    let heading = c
        .wait()
        .for_element(Locator::Id("partner-name"))
        .await
        .map_err(|e| format!("not on the partner's page after accepting: {e}"))?;
    assert_eq!(heading.text().await.unwrap(), company);
    let body = c
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let title = format!("{company} and {VENDOR}");
    assert!(
        body.contains(&title),
        "the document {title:?} is not on the page"
    );
    let warnings = c.find_all(Locator::Css("li.doc-warning")).await.unwrap();
    assert!(
        !warnings.is_empty(),
        "the document's warnings are not shown"
    );
    let r = app
        .get(
            "/api/v1/inbound-requests?state=accepted",
            &app.alliances.token,
        )
        .await;
    assert_eq!(r.body["items"][0]["company"], company);
    assert_eq!(
        r.body["items"][0]["next_steps"][0]["text"],
        "Technical call"
    );
    Ok(())
}

/// The walk itself; errors come back so the browser is closed either way.
async fn walk(app: &TestApp, c: &Client) -> Result<(), String> {
    let partner = "Flux Labs";

    sign_in(app, c).await?;

    // A partner with an invalid website: the error shows beside the field, input is kept.
    c.goto(&app.url("/partners/new")).await.unwrap();
    fill(c, "name", partner).await;
    fill(c, "domains", "fluxlabs.example").await;
    choose(c, "category", "platform_kubernetes").await;
    choose(c, "track", "select").await;
    fill(c, "website", "ftp://x").await;
    fill(c, "description", "GitOps platform.").await;
    click(c, "#save").await;
    let error = c
        .wait()
        .for_element(Locator::Id("error-website"))
        .await
        .map_err(|e| format!("no error beside the website: {e}"))?;
    let message = error.text().await.unwrap();
    assert!(message.contains("website"), "error text: {message}");
    let kept = c
        .find(Locator::Css("[name='name']"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        kept.as_deref(),
        Some(partner),
        "the form keeps what was typed"
    );
    let r = app
        .get("/api/v1/partners?q=flux", &app.alliances.token)
        .await;
    assert_eq!(r.body["total"], 0, "an invalid form saved a partner");

    // Fixed, it saves and lands on the partner's page.
    fill(c, "website", "https://fluxlabs.example").await;
    click(c, "#save").await;
    let heading = c
        .wait()
        .for_element(Locator::Id("partner-name"))
        .await
        .map_err(|e| format!("not on the partner page after saving: {e}"))?;
    assert_eq!(heading.text().await.unwrap(), partner);
    let page = c.current_url().await.unwrap();
    let r = app
        .get("/api/v1/partners?q=flux", &app.alliances.token)
        .await;
    assert_eq!(r.names(), [partner]);
    let id = r.body["items"][0]["id"].as_i64().unwrap();
    assert_eq!(page.path(), format!("/partners/{id}"));
    assert_eq!(r.body["items"][0]["website"], "https://fluxlabs.example");
    assert_eq!(r.body["items"][0]["track"], "select");

    // The list finds it by search.
    c.goto(&app.url("/partners?q=flux")).await.unwrap();
    let link = c
        .wait()
        .for_element(Locator::LinkText(partner))
        .await
        .map_err(|e| format!("not in the list: {e}"))?;
    let rows = c
        .find_all(Locator::Css("table#partners tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "the search shows only the match");
    link.click().await.unwrap();
    c.wait()
        .for_element(Locator::Id("partner-name"))
        .await
        .map_err(|e| format!("the list link does not open the partner: {e}"))?;

    // A misnamed document gets the naming convention's warning.
    fill(c, "title", "Roadmap notes").await;
    fill(c, "url", "https://docs.example.com/flux-roadmap").await;
    choose(c, "audience", "partner_shared").await;
    choose(c, "sharing", "anyone_with_link").await;
    fill(c, "folder", partner).await;
    click(c, "#add-document").await;
    let warning = c
        .wait()
        .for_element(Locator::Css("li.doc-warning"))
        .await
        .map_err(|e| format!("no document warning: {e}"))?;
    let text = warning.text().await.unwrap();
    let expected = format!("{partner} and {VENDOR}");
    assert!(
        text.contains(&expected),
        "warning {text:?} lacks {expected:?}"
    );
    let warnings = c.find_all(Locator::Css("li.doc-warning")).await.unwrap();
    assert_eq!(warnings.len(), 1, "only the title breaks a convention");
    let docs = app
        .get(
            &format!("/api/v1/partners/{id}/documents"),
            &app.alliances.token,
        )
        .await;
    assert_eq!(docs.body[0]["title"], "Roadmap notes");
    Ok(())
}
