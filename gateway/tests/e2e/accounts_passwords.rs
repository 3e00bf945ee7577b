//! Forgotten, reset and changed passwords.

use serde_json::json;
use sqlx::PgPool;

use crate::support::{TestApp, accounts::STRONG_PASSWORD, mail::emails_to, problem, unique_email};

const NEW_PASSWORD: &str = "N3w-Passw0rd!!";

#[sqlx::test(migrations = "../migrations")]
async fn forgot_reset_revokes_sessions_and_tells_the_user(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let email = app.signed_up().await;
    let session = app.tokens(&email, STRONG_PASSWORD).await;

    let forgot = app
        .post("/auth/password/forgot")
        .json(&json!({"email": email.to_uppercase()}))
        .send()
        .await
        .unwrap();
    assert_eq!(forgot.status(), 202);
    let token = app
        .token_from_email(&email, "Reset your Cinema password")
        .await;

    let weak = app
        .post("/auth/password/reset")
        .json(&json!({"email": email, "token": token, "new_password": "weak"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(weak, 422).await["errors"][0]["field"],
        "new_password"
    );

    let reset = app
        .post("/auth/password/reset")
        .json(&json!({"email": email, "token": token, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);

    problem(
        app.refresh(session["refresh_token"].as_str().unwrap())
            .await,
        401,
    )
    .await;
    problem(app.login(&email, STRONG_PASSWORD).await, 401).await;
    assert_eq!(app.login(&email, NEW_PASSWORD).await.status(), 200);

    let again = app
        .post("/auth/password/reset")
        .json(&json!({"email": email, "token": token, "new_password": "An0ther-Passw0rd"}))
        .send()
        .await
        .unwrap();
    problem(again, 400).await;

    app.deliver_mail().await;
    assert!(
        emails_to(&email)
            .await
            .iter()
            .any(|e| e.subject == "Your Cinema password was changed")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_reset_token_expires(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let email = app.signed_up().await;
    app.post("/auth/password/forgot")
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    let token = app
        .token_from_email(&email, "Reset your Cinema password")
        .await;
    let lifetime: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - now())::float8 FROM account_tokens
         WHERE purpose = 'password_reset'",
    )
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert!(
        (3500.0..=3600.0).contains(&lifetime),
        "1 h token: {lifetime}"
    );
    sqlx::query("UPDATE account_tokens SET expires_at = now() - interval '1 second'")
        .execute(&app.state.db)
        .await
        .unwrap();
    let late = app
        .post("/auth/password/reset")
        .json(&json!({"email": email, "token": token, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    problem(late, 400).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn forgot_mails_only_registered_active_accounts(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let inactive = unique_email("inactive");
    app.register(&inactive, STRONG_PASSWORD).await;
    let unknown = unique_email("unknown");
    for email in [&inactive, &unknown] {
        let response = app
            .post("/auth/password/forgot")
            .json(&json!({"email": email}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
    }
    app.deliver_mail().await;
    assert!(emails_to(&unknown).await.is_empty());
    assert!(
        emails_to(&inactive)
            .await
            .iter()
            .all(|e| e.subject != "Reset your Cinema password")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn change_password_keeps_this_session_and_ends_the_others(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let email = app.signed_up().await;
    let this = app.tokens(&email, STRONG_PASSWORD).await;
    let other = app.tokens(&email, STRONG_PASSWORD).await;
    let access = this["access_token"].as_str().unwrap();
    let change = |old: &str, new: &str| {
        app.post("/auth/password/change")
            .bearer_auth(access)
            .json(&json!({"old_password": old, "new_password": new}))
            .send()
    };

    problem(change("Wr0ng-Password!", NEW_PASSWORD).await.unwrap(), 400).await;
    problem(change(STRONG_PASSWORD, "weak").await.unwrap(), 422).await;
    let anonymous = app
        .post("/auth/password/change")
        .json(&json!({"old_password": STRONG_PASSWORD, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    problem(anonymous, 401).await;

    assert_eq!(
        change(STRONG_PASSWORD, NEW_PASSWORD)
            .await
            .unwrap()
            .status(),
        200
    );
    problem(
        app.refresh(other["refresh_token"].as_str().unwrap()).await,
        401,
    )
    .await;
    assert_eq!(
        app.refresh(this["refresh_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    assert_eq!(app.login(&email, NEW_PASSWORD).await.status(), 200);

    app.deliver_mail().await;
    assert!(
        emails_to(&email)
            .await
            .iter()
            .any(|e| e.subject == "Your Cinema password was changed")
    );
}
