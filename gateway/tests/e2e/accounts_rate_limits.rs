//! Login, resend and forgot-password are rate-limited per email and per client.

use serde_json::json;
use sqlx::PgPool;

use crate::support::{TestApp, accounts::STRONG_PASSWORD, problem, unique_email};

#[sqlx::test(migrations = "../migrations")]
async fn logins_are_limited_per_email(db: PgPool) {
    let app = TestApp::spawn_with(db, |config| {
        config.api.accounts.login_per_email = 3;
    })
    .await;
    let email = app.signed_up().await;
    for _ in 0..3 {
        assert_eq!(app.login(&email, "Wr0ng-Password!").await.status(), 401);
    }
    let limited = app.login(&email, STRONG_PASSWORD).await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after));
    problem(limited, 429).await;
    // Another email from the same client is not held back by this one's limit.
    let other = app.signed_up().await;
    assert_eq!(app.login(&other, STRONG_PASSWORD).await.status(), 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn logins_are_limited_per_client(db: PgPool) {
    let app = TestApp::spawn_with(db, |config| {
        config.api.accounts.login_per_client = 4;
    })
    .await;
    for _ in 0..4 {
        let response = app.login(&unique_email("spray"), STRONG_PASSWORD).await;
        assert_eq!(response.status(), 401);
    }
    problem(
        app.login(&unique_email("spray"), STRONG_PASSWORD).await,
        429,
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn resend_and_forgot_are_limited_whether_or_not_the_email_exists(db: PgPool) {
    let app = TestApp::spawn_with(db, |config| {
        config.api.accounts.email_per_email = 2;
    })
    .await;
    let nobody = unique_email("nobody");
    for path in ["/auth/activation/resend", "/auth/password/forgot"] {
        for _ in 0..2 {
            let response = app
                .post(path)
                .json(&json!({"email": nobody}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 202);
        }
        let limited = app
            .post(path)
            .json(&json!({"email": nobody}))
            .send()
            .await
            .unwrap();
        assert!(limited.headers().contains_key("retry-after"));
        problem(limited, 429).await;
    }
}
