use cinema_shared::AppState;
use sqlx::{PgPool, postgres::PgPoolOptions};

use crate::support::{TestApp, TestConfig, problem};

#[sqlx::test(migrations = "../migrations")]
async fn health_is_ok_while_the_database_answers(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let response = app.get("/health").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "up");
}

#[tokio::test]
async fn health_is_503_when_the_database_is_down() {
    let config = TestConfig::from_env();
    // Nothing listens on port 1: every connection attempt is refused.
    let dead = PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_secs(2))
        .connect_lazy("postgres://postgres@127.0.0.1:1/cinema")
        .unwrap();
    let app = TestApp::serve(
        AppState::build(config.api.clone(), dead).await,
        &config.mailer,
    )
    .await;
    let body = problem(app.get("/health").send().await.unwrap(), 503).await;
    assert_eq!(body["detail"], "the database is not answering");
}
