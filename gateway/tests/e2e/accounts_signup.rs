//! Registration and activation, through the mail queue and the catcher.

use serde_json::json;
use sqlx::PgPool;

use crate::support::{TestApp, accounts::STRONG_PASSWORD, mail::emails_to, problem, unique_email};

#[sqlx::test(migrations = "../migrations")]
async fn register_activate_and_welcome(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let email = unique_email("ann");

    let response = app
        .register(&format!("  {}  ", email.to_uppercase()), STRONG_PASSWORD)
        .await;
    assert_eq!(response.status(), 201);
    let account: serde_json::Value = response.json().await.unwrap();
    assert_eq!(account["email"], email, "stored trimmed and lower-cased");
    assert_eq!(account["is_active"], false);
    assert!(account.get("password").is_none() && account.get("password_hash").is_none());

    app.deliver_mail().await;
    let activation = &emails_to(&email).await[0];
    assert_eq!(activation.subject, "Activate your Cinema account");
    let link_start = format!("{}/activate?email=", app.state.config.frontend_url);
    assert!(activation.text.contains(&link_start), "{}", activation.text);
    assert!(activation.html.contains("Activate my account"));
    let token = crate::support::accounts::token_in(&activation.text);

    let too_early = app.login(&email, STRONG_PASSWORD).await;
    problem(too_early, 403).await;

    let activated = app
        .post("/auth/activate")
        .json(&json!({"email": email, "token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(activated.status(), 200);
    let body: serde_json::Value = activated.json().await.unwrap();
    assert_eq!(body["is_active"], true);

    app.deliver_mail().await;
    let subjects: Vec<String> = emails_to(&email)
        .await
        .into_iter()
        .map(|e| e.subject)
        .collect();
    assert_eq!(
        subjects,
        ["Activate your Cinema account", "Welcome to Cinema"]
    );
    assert_eq!(app.login(&email, STRONG_PASSWORD).await.status(), 200);

    let reused = app
        .post("/auth/activate")
        .json(&json!({"email": email, "token": token}))
        .send()
        .await
        .unwrap();
    problem(reused, 400).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_email_registers_once_whatever_its_case(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let email = unique_email("twice");
    assert_eq!(app.register(&email, STRONG_PASSWORD).await.status(), 201);
    let again = app.register(&email.to_uppercase(), STRONG_PASSWORD).await;
    problem(again, 409).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn weak_passwords_name_each_broken_rule(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let cases = [
        ("Sh0rt!", "must be at least 8 characters"),
        ("alllower-123", "must contain an upper-case letter"),
        ("ALLUPPER-123", "must contain a lower-case letter"),
        ("No-Digits-Here", "must contain a digit"),
        ("NoSpecial1234", "must contain a special character"),
    ];
    for (password, rule) in cases {
        let body = problem(app.register(&unique_email("weak"), password).await, 422).await;
        let errors = body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{password}: {errors:?}");
        assert_eq!(errors[0]["field"], "password");
        assert_eq!(errors[0]["message"], rule);
    }
    let all_broken = problem(app.register(&unique_email("weak"), "abc").await, 422).await;
    assert_eq!(all_broken["errors"].as_array().unwrap().len(), 4);
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_request_bodies_get_clear_problems(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let not_an_email = problem(app.register("not-an-email", STRONG_PASSWORD).await, 422).await;
    assert_eq!(not_an_email["errors"][0]["field"], "email");

    let missing = app
        .post("/auth/register")
        .json(&json!({"email": unique_email("x")}))
        .send()
        .await
        .unwrap();
    let missing = problem(missing, 422).await;
    assert_eq!(missing["errors"][0]["field"], "password");

    let wrong_type = app
        .post("/auth/register")
        .json(&json!({"email": 42, "password": STRONG_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(wrong_type, 422).await["errors"][0]["field"],
        "email"
    );

    let malformed = app
        .post("/auth/register")
        .header("content-type", "application/json")
        .body(r#"{"email": "a@b.c", "password": "#)
        .send()
        .await
        .unwrap();
    problem(malformed, 400).await;

    let form = app
        .post("/auth/register")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=a%40b.c&password=x")
        .send()
        .await
        .unwrap();
    problem(form, 415).await;

    let huge = app
        .post("/auth/register")
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"email": "a@b.c", "password": "{}"}}"#,
            "x".repeat(app.state.config.body_limit_bytes)
        ))
        .send()
        .await
        .unwrap();
    problem(huge, 413).await;

    // Nothing of the refused requests was written.
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(users, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_expired_token_is_refused_and_a_resend_replaces_it(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let email = unique_email("late");
    app.register(&email, STRONG_PASSWORD).await;
    let first = app
        .token_from_email(&email, "Activate your Cinema account")
        .await;
    sqlx::query("UPDATE account_tokens SET expires_at = now() - interval '1 second'")
        .execute(&app.state.db)
        .await
        .unwrap();
    let activate = |token: String| {
        app.post("/auth/activate")
            .json(&json!({"email": email, "token": token}))
            .send()
    };
    problem(activate(first.clone()).await.unwrap(), 400).await;

    let resend = app
        .post("/auth/activation/resend")
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(resend.status(), 202);
    let second = app
        .token_from_email(&email, "Activate your Cinema account")
        .await;
    assert_ne!(first, second);
    let lifetime: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM expires_at - now())::float8 FROM account_tokens",
    )
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert!(
        (86_000.0..=86_400.0).contains(&lifetime),
        "fresh 24 h token: {lifetime}"
    );

    problem(activate(first).await.unwrap(), 400).await;
    assert_eq!(activate(second).await.unwrap().status(), 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn resend_reveals_nothing_and_mails_only_inactive_accounts(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let active = app.signed_up().await;
    let unknown = unique_email("nobody");
    for email in [&active, &unknown] {
        let response = app
            .post("/auth/activation/resend")
            .json(&json!({"email": email}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
    }
    app.deliver_mail().await;
    assert!(emails_to(&unknown).await.is_empty());
    let activations = emails_to(&active)
        .await
        .into_iter()
        .filter(|e| e.subject == "Activate your Cinema account")
        .count();
    assert_eq!(
        activations, 1,
        "no new activation email for an active account"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_wrong_token_or_another_accounts_token_does_not_activate(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let ann = unique_email("ann");
    let bob = unique_email("bob");
    app.register(&ann, STRONG_PASSWORD).await;
    app.register(&bob, STRONG_PASSWORD).await;
    let anns_token = app
        .token_from_email(&ann, "Activate your Cinema account")
        .await;
    for (email, token) in [(&bob, anns_token.as_str()), (&ann, "made-up-token")] {
        let response = app
            .post("/auth/activate")
            .json(&json!({"email": email, "token": token}))
            .send()
            .await
            .unwrap();
        problem(response, 400).await;
    }
}
