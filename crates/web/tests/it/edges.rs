//! The HTTP edge: cookie security behind a TLS proxy or under a public HTTPS address, and the
//! error shape of refusals that lower layers produce (405, 413, 414, 415, 431).

use reqwest::{Method, StatusCode};

use crate::app::{Instance, TestApp, PASSWORD};

on_both_databases!(
    cookies_are_secure_behind_a_tls_proxy_and_under_a_public_https_url,
    refusals_under_the_api_carry_the_json_error_shape,
);

async fn cookies_are_secure_behind_a_tls_proxy_and_under_a_public_https_url(app: &TestApp) {
    let set_cookies = |res: &reqwest::Response| -> Vec<String> {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    };
    // A TLS-terminating proxy on loopback, trusted, saying the client came over HTTPS.
    let behind_proxy = partnerhub_web::WebConfig {
        loopback_only: true,
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..Default::default()
    };
    // The public URL alone decides.
    let public = partnerhub_web::WebConfig {
        loopback_only: true,
        public_url: Some("https://partners.example.com".parse().unwrap()),
        ..Default::default()
    };
    for (config, headers) in [
        (behind_proxy.clone(), vec![("x-forwarded-proto", "https")]),
        (public, vec![]),
    ] {
        let server = Instance::start(&app.store, Default::default(), config).await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut get = client.get(server.url("/login"));
        for (k, v) in &headers {
            get = get.header(*k, *v);
        }
        let page = get.send().await.unwrap();
        let login_cookie = set_cookies(&page)
            .into_iter()
            .find(|c| c.starts_with("__Secure-partnerhub_login_csrf="))
            .expect("the form's cookie, prefixed");
        assert!(login_cookie.contains("; Secure"), "{login_cookie}");
        let value = login_cookie
            .split(';')
            .next()
            .unwrap()
            .split_once('=')
            .unwrap()
            .1
            .to_string();
        let mut post = client
            .post(server.url("/login"))
            .header("cookie", format!("__Secure-partnerhub_login_csrf={value}"))
            .form(&[
                ("csrf_token", value.as_str()),
                ("email", app.alliances.email.as_str()),
                ("password", PASSWORD),
            ]);
        for (k, v) in &headers {
            post = post.header(*k, *v);
        }
        let res = post.send().await.unwrap();
        assert!(res.status().is_redirection(), "{}", res.status());
        let cookies = set_cookies(&res);
        let session = cookies
            .iter()
            .find(|c| c.starts_with("__Host-partnerhub_session="))
            .expect("a __Host- session cookie");
        assert!(
            session.contains("; Secure") && session.contains("Path=/;"),
            "{session}"
        );
        let cleared = cookies
            .iter()
            .find(|c| c.starts_with("__Secure-partnerhub_login_csrf=;"))
            .expect("the form's cookie cleared");
        assert!(
            cleared.contains("; Secure") && cleared.contains("Max-Age=0"),
            "{cleared}"
        );
        server.stop().await;
    }
    // The same proxy saying plain HTTP: no Secure, no prefix.
    let server = Instance::start(&app.store, Default::default(), behind_proxy).await;
    let res = reqwest::Client::new()
        .get(server.url("/login"))
        .header("x-forwarded-proto", "http")
        .send()
        .await
        .unwrap();
    let cookie = set_cookies(&res).remove(0);
    assert!(
        cookie.starts_with("partnerhub_login_csrf=") && !cookie.contains("Secure"),
        "{cookie}"
    );
    server.stop().await;
}

async fn refusals_under_the_api_carry_the_json_error_shape(app: &TestApp) {
    let t = &app.alliances.token;
    let json_error = |r: &crate::app::Reply, status: u16, code: &str| {
        r.expect(status);
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{status}: {:?}",
            r.headers
        );
        assert_eq!(r.body["error"]["code"], code, "{}", r.text);
    };
    // 405, keeping the Allow header.
    let r = app.call(Method::PUT, "/api/v1/me", t, None).await;
    json_error(&r, 405, "method_not_allowed");
    assert!(r.headers.contains_key("allow"));
    // 413: a body announced over the limit is refused before it is read.
    let answer = raw_exchange(
        app,
        &format!(
            "POST /api/v1/partners/import HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {t}\r\n\
             content-type: text/csv\r\ncontent-length: {}\r\n\r\n",
            5 * 1024 * 1024
        ),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{answer}"
    );
    assert!(answer.contains("\"code\":\"too_large\""), "{answer}");
    // 414 and 431.
    let long = format!("/api/v1/partners?q={}", "a".repeat(9000));
    json_error(&app.get(&long, t).await, 414, "uri_too_long");
    let mut req = app.request(Method::GET, "/api/v1/partners").bearer_auth(t);
    for i in 0..110 {
        req = req.header(format!("x-filler-{i}"), "y");
    }
    json_error(&app.send(req).await, 431, "headers_too_large");
    let req = app
        .request(Method::GET, "/api/v1/partners")
        .bearer_auth(t)
        .header("x-big", "z".repeat(20_000));
    json_error(&app.send(req).await, 431, "headers_too_large");
    // 415.
    let r = app
        .send(
            app.request(Method::POST, "/api/v1/partners")
                .bearer_auth(t)
                .header("content-type", "text/plain")
                .body("{}"),
        )
        .await;
    json_error(&r, 415, "unsupported_media_type");
    // A page gets a page.
    let r = app.send(app.request(Method::PUT, "/login")).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

/// Sends `head` on a new connection and reads what the server answers until it closes or a
/// second passes.
async fn raw_exchange(app: &TestApp, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(Ok(n)) =
        tokio::time::timeout(std::time::Duration::from_secs(1), stream.read(&mut buf)).await
    {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&out).into_owned()
}
