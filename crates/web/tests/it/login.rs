//! Signing in through the HTML form: the form's CSRF token, wrong passwords, the session
//! cookie's flags, signing out, and the limit on failed sign-ins.

use reqwest::{Method, StatusCode};

use crate::app::{browser, csrf_field, TestApp, PASSWORD};

on_both_databases!(
    signing_in_sets_a_session_cookie_that_the_api_accepts_and_sign_out_ends,
    a_sign_in_without_the_forms_token_or_with_a_wrong_password_opens_no_session,
    too_many_failed_sign_ins_lock_the_account_out_even_with_the_right_password,
);

async fn login_form(app: &TestApp, client: &reqwest::Client) -> String {
    let res = client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    csrf_field(&res.text().await.unwrap())
}

async fn sign_in(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let token = login_form(app, client).await;
    client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/partners"),
        ])
        .send()
        .await
        .unwrap()
}

async fn sessions(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM sessions").await
}

async fn signing_in_sets_a_session_cookie_that_the_api_accepts_and_sign_out_ends(app: &TestApp) {
    let client = browser();
    let res = sign_in(app, &client, &app.alliances.email, PASSWORD).await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(res.headers()["location"], "/partners");
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("partnerhub_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert_eq!(sessions(app).await, 1);

    let me = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["email"], app.alliances.email);

    // The API refuses the session's writes without the CSRF token of its pages.
    let res = client
        .post(app.url("/api/v1/partners"))
        .json(&crate::app::partner_body(
            "Azure",
            "platform_cloud",
            "azure.com",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Signing out needs the page's token, then ends the session everywhere.
    let page = client.get(app.url("/partners")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let token = csrf_field(&page.text().await.unwrap());
    let res = client
        .post(app.url("/logout"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    assert_eq!(sessions(app).await, 1);
    let res = client
        .post(app.url("/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(sessions(app).await, 0);
    let me = client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}

async fn a_sign_in_without_the_forms_token_or_with_a_wrong_password_opens_no_session(
    app: &TestApp,
) {
    let client = browser();
    // No form token (a cross-site post).
    let res = client
        .post(app.url("/login"))
        .form(&[
            ("email", app.alliances.email.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let cases = [
        (app.alliances.email.as_str(), "wrong password!"),
        ("nobody@gitlab.com", PASSWORD),
        ("", ""),
    ];
    for (email, password) in cases {
        let res = sign_in(app, &client, email, password).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{email}");
        assert!(res
            .headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("partnerhub_session=")));
        let html = res.text().await.unwrap();
        assert!(html.contains("Wrong email or password."), "{email}");
    }
    assert_eq!(sessions(app).await, 0);
    let req = app.request(Method::GET, "/partners");
    let r = app.send(req).await;
    assert!(r.status.is_redirection(), "pages send strangers to sign in");
    assert!(r.headers["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
}

async fn too_many_failed_sign_ins_lock_the_account_out_even_with_the_right_password(app: &TestApp) {
    let client = browser();
    let email = app.support.email.as_str();
    for attempt in 1..=10 {
        let res = sign_in(app, &client, email, "not the password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let res = sign_in(app, &client, email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sessions(app).await, 0);
    // Another account from the same address is not locked out.
    let res = sign_in(app, &client, &app.finance.email, PASSWORD).await;
    assert!(res.status().is_redirection(), "{}", res.status());
}
