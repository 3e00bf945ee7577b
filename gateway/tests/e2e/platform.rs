//! What every route shares: problem+json for unknown routes and wrong methods, request ids.

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
