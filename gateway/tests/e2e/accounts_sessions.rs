//! Login, refresh rotation with reuse detection, logout, and deactivation.

use cinema_shared::auth::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::support::{TestApp, accounts::STRONG_PASSWORD, problem, unique_email};

#[sqlx::test(migrations = "../migrations")]
async fn login_gives_a_bearer_pair_that_opens_the_account(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let email = app.signed_up().await;
    let pair = app.tokens(&email.to_uppercase(), STRONG_PASSWORD).await;
    assert_eq!(pair["token_type"], "bearer");
    assert_eq!(pair["expires_in"], 900);
    let me: serde_json::Value = app
        .me(pair["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], email);
    assert_eq!(me["role"], "user");
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_credentials_are_401_without_saying_which(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let email = app.signed_up().await;
    let wrong_password = problem(app.login(&email, "Wr0ng-Password!").await, 401).await;
    let unknown_email = problem(
        app.login(&unique_email("nobody"), STRONG_PASSWORD).await,
        401,
    )
    .await;
    assert_eq!(wrong_password["detail"], unknown_email["detail"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn refresh_rotates_and_a_spent_token_revokes_the_session(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let email = app.signed_up().await;
    let first = app.tokens(&email, STRONG_PASSWORD).await;
    let first_refresh = first["refresh_token"].as_str().unwrap();

    let rotated = app.refresh(first_refresh).await;
    assert_eq!(rotated.status(), 200);
    let second: serde_json::Value = rotated.json().await.unwrap();
    let second_refresh = second["refresh_token"].as_str().unwrap();
    assert_ne!(first_refresh, second_refresh);
    assert_eq!(
        app.me(second["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );

    // The spent token comes back (stolen?): refused, and the whole session with it.
    problem(app.refresh(first_refresh).await, 401).await;
    problem(app.refresh(second_refresh).await, 401).await;

    // Another login session is untouched.
    let other = app.tokens(&email, STRONG_PASSWORD).await;
    assert_eq!(
        app.refresh(other["refresh_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn two_refreshes_at_once_yield_exactly_one_pair(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let email = app.signed_up().await;
    let pair = app.tokens(&email, STRONG_PASSWORD).await;
    let token = pair["refresh_token"].as_str().unwrap();
    let attempts = futures::future::join_all((0..6).map(|_| app.refresh(token))).await;
    let successes = attempts.iter().filter(|r| r.status() == 200).count();
    assert_eq!(successes, 1, "{successes} pairs from one refresh token");
    assert!(
        attempts
            .iter()
            .all(|r| r.status() == 200 || r.status() == 401)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn logout_ends_the_session(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let email = app.signed_up().await;
    let pair = app.tokens(&email, STRONG_PASSWORD).await;
    let refresh = pair["refresh_token"].as_str().unwrap();

    let anonymous = app
        .post("/auth/logout")
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    problem(anonymous, 401).await;

    let logout = app
        .post("/auth/logout")
        .bearer_auth(pair["access_token"].as_str().unwrap())
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    problem(app.refresh(refresh).await, 401).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn nobody_can_log_out_someone_elses_session(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let victim = app.signed_up().await;
    let victims_pair = app.tokens(&victim, STRONG_PASSWORD).await;
    let attacker = app.make_user(Role::User).await;
    let response = app
        .post("/auth/logout")
        .bearer_auth(&attacker.token)
        .json(&json!({"refresh_token": victims_pair["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let still_valid = app
        .refresh(victims_pair["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(still_valid.status(), 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_deactivated_user_cannot_refresh(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let email = app.signed_up().await;
    let pair = app.tokens(&email, STRONG_PASSWORD).await;
    let admin = app.make_user(Role::Admin).await;
    let id = pair_owner(&app, &email).await;
    let deactivated = app
        .patch(&format!("/admin/users/{id}"))
        .bearer_auth(&admin.token)
        .json(&json!({"is_active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(deactivated.status(), 200);
    problem(
        app.refresh(pair["refresh_token"].as_str().unwrap()).await,
        401,
    )
    .await;
    problem(app.login(&email, STRONG_PASSWORD).await, 403).await;
}

async fn pair_owner(app: &TestApp, email: &str) -> uuid::Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.state.db)
        .await
        .unwrap()
}
