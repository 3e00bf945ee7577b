//! What every route shares: problem+json for unknown routes and wrong methods, request ids.

use cinema_shared::http::{
    CORS_ALLOWED_HEADERS, CORS_ALLOWED_METHODS, CORS_EXPOSED_HEADERS, CORS_MAX_AGE,
};
use sqlx::PgPool;

use crate::support::{TestApp, problem};

#[sqlx::test(migrations = "../migrations")]
async fn an_unknown_route_is_a_404_problem(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let response = app.get("/no/such/route").send().await.unwrap();
    problem(response, 404).await;
    let outside = app
        .http
        .get(format!("{}/elsewhere", app.base_url))
        .send()
        .await
        .unwrap();
    problem(outside, 404).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_wrong_method_is_a_405_problem(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let response = app.post("/health").send().await.unwrap();
    problem(response, 405).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_request_id_is_echoed_or_made(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let echoed = app
        .get("/health")
        .header("x-request-id", "client-chose-this-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "client-chose-this-42");

    let made = app.get("/no/such/route").send().await.unwrap();
    let id = made.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id} is not a uuid");
    let again = app.get("/no/such/route").send().await.unwrap();
    assert_ne!(again.headers()["x-request-id"].to_str().unwrap(), id);
}

#[sqlx::test(migrations = "../migrations")]
async fn cors_allows_only_configured_origins(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let allowed = app.state.config.cors_allowed_origins[0].clone();
    let preflight = |origin: String| {
        app.request(reqwest::Method::OPTIONS, "/health")
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    let ok = preflight(allowed.clone()).await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        allowed.as_str()
    );
    let refused = preflight("https://evil.example".into()).await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

/// A header's comma-separated names, lower-cased and sorted.
fn header_names(response: &reqwest::Response, name: &str) -> Vec<String> {
    let value = response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_str()
        .unwrap();
    let mut names: Vec<String> = value
        .split(',')
        .map(|name| name.trim().to_lowercase())
        .collect();
    names.sort();
    names
}

fn sorted<T: ToString>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    let mut names: Vec<String> = items
        .into_iter()
        .map(|item| item.to_string().to_lowercase())
        .collect();
    names.sort();
    names
}

#[sqlx::test(migrations = "../migrations")]
async fn cors_answers_with_the_shared_lists(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let origin = app.state.config.cors_allowed_origins[0].clone();

    let preflight = app
        .request(reqwest::Method::OPTIONS, "/auth/login")
        .header("origin", &origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, x-request-id",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        origin.as_str()
    );
    assert_eq!(
        header_names(&preflight, "access-control-allow-methods"),
        sorted(CORS_ALLOWED_METHODS)
    );
    assert_eq!(
        header_names(&preflight, "access-control-allow-headers"),
        sorted(CORS_ALLOWED_HEADERS)
    );
    assert_eq!(
        preflight.headers()["access-control-max-age"],
        CORS_MAX_AGE.as_secs().to_string().as_str()
    );

    // What the browser lets the client read is named on the answers themselves: a 401 here.
    let answer = app
        .get("/openapi.json")
        .header("origin", &origin)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    assert_eq!(
        answer.headers()["access-control-allow-origin"],
        origin.as_str()
    );
    let exposed = header_names(&answer, "access-control-expose-headers");
    assert_eq!(exposed, sorted(CORS_EXPOSED_HEADERS));
    assert!(exposed.contains(&"retry-after".to_owned()));
}
