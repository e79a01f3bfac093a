//! The OpenAPI document: version 3.1, every route of the router in it, and the whole document
//! kept in a snapshot so any change to the API shows up in review.

use std::collections::BTreeSet;

use reqwest::Method;

use crate::app::TestApp;

/// The sources of the API's routers, read from `src/api/` at test time (so a new resource
/// module is read without anyone listing it) and the operations endpoints.
fn router_sources() -> Vec<String> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files: Vec<_> = std::fs::read_dir(src.join("api"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.push(src.join("health.rs"));
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// `(method, path)` of every `.route("PATH", …)` in the bodies of a source's `pub fn router`
/// and `pub fn routes`.
pub fn routes_in(source: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    // Only the bodies of the router functions, so no other code is read as a route.
    let bodies = source
        .split("pub fn route")
        .skip(1)
        .filter_map(|rest| rest.split("\n}\n").next());
    for chunk in bodies.flat_map(|b| b.split(".route(").skip(1)) {
        let Some(rest) = chunk.trim_start().strip_prefix('"') else {
            continue;
        };
        let Some((path, handlers)) = rest.split_once('"') else {
            continue;
        };
        // Up to the end of this route call: the next route starts a new chunk.
        for method in ["get", "post", "put", "patch", "delete"] {
            let called = handlers.match_indices(&format!("{method}(")).any(|(i, _)| {
                i == 0
                    || !handlers.as_bytes()[i - 1].is_ascii_alphanumeric()
                        && handlers.as_bytes()[i - 1] != b'_'
            });
            if called {
                out.insert((method.to_string(), path.to_string()));
            }
        }
    }
    out
}

async fn document(app: &TestApp) -> serde_json::Value {
    let r = app
        .send(app.request(Method::GET, "/api/openapi.json"))
        .await;
    r.expect(200);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    r.body
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_covers_every_route() {
    let app = TestApp::sqlite().await;
    let doc = document(&app).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "openapi = {}",
        doc["openapi"]
    );

    let mut routes = BTreeSet::new();
    for source in router_sources() {
        routes.extend(routes_in(&source));
    }
    assert!(
        routes.len() >= 25,
        "the route scan found too little: {routes:?}"
    );
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let undocumented: Vec<_> = routes.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    let phantom: Vec<_> = documented.difference(&routes).collect();
    assert!(
        phantom.is_empty(),
        "documented routes the router lacks: {phantom:?}"
    );

    // Every operation of the API proper declares bearer security and its error shape.
    for (method, path) in &documented {
        let op = &doc["paths"][path][method];
        if path.starts_with("/api/v1/") {
            assert!(
                op["security"].is_array(),
                "{method} {path} declares no security"
            );
        }
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // Every operation of the API proper documents the errors every route can answer, and
    // operation ids are unique.
    let mut ids = BTreeSet::new();
    for (method, path) in &documented {
        let op = &doc["paths"][path][method];
        assert!(
            ids.insert(op["operationId"].as_str().unwrap().to_string()),
            "{method} {path}: duplicate operationId"
        );
        if path.starts_with("/api/v1/") {
            for status in ["400", "401", "414", "431", "500"] {
                assert!(
                    op["responses"][status]["content"]["application/json"].is_object(),
                    "{method} {path} does not document {status}"
                );
            }
        }
    }
    // The domain's rules are in the schema: codes, lengths, patterns.
    let body = &doc["components"]["schemas"]["PartnerBody"]["properties"];
    assert!(body["category"]["enum"].as_array().unwrap().len() >= 12);
    assert_eq!(body["name"]["maxLength"], 200);
    assert!(body["name"]["pattern"].is_string());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    app.finish().await;
}

#[tokio::test]
async fn the_openapi_document_matches_its_snapshot() {
    let app = TestApp::sqlite().await;
    let doc = document(&app).await;
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_json_snapshot!("openapi", doc);
    });
    app.finish().await;
}
