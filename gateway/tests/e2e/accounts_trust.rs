//! The trust boundaries of accounts, tried the way an attacker would: a deactivated account
//! trying to come back, a demoted admin still holding an admin token, password guesses through
//! the side doors, a refresh racing a revocation, hostile emails, and the mail queue down.

use cinema_shared::{auth::Role, email::EmailQueue};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{
    TestApp, TestConfig,
    accounts::{STRONG_PASSWORD, token_in},
    mail::emails_to,
    problem, unique_email,
    users::TestUser,
};

async fn account_id(app: &TestApp, email: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.state.db)
        .await
        .unwrap()
}

async fn admin_change(app: &TestApp, admin: &TestUser, id: Uuid, body: Value) -> reqwest::Response {
    app.patch(&format!("/admin/users/{id}"))
        .bearer_auth(&admin.token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn post_email(app: &TestApp, path: &str, email: &str) -> reqwest::Response {
    app.post(path)
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_deactivated_account_cannot_reactivate_itself(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let admin = app.make_user(Role::Admin).await;
    let email = app.signed_up().await;
    let id = account_id(&app, &email).await;
    assert_eq!(
        admin_change(&app, &admin, id, json!({"is_active": false}))
            .await
            .status(),
        200
    );

    // The old road back: ask for a fresh activation link.
    app.deliver_mail().await;
    let activations_before = emails_to(&email).await.len();
    assert_eq!(
        post_email(&app, "/auth/activation/resend", &email)
            .await
            .status(),
        202
    );
    app.deliver_mail().await;
    assert_eq!(
        emails_to(&email).await.len(),
        activations_before,
        "a deactivated account gets no activation link"
    );
    // Even with a token planted for it, activation refuses a deactivated account.
    let (token, digest) = cinema_shared::tokens::generate();
    sqlx::query(
        "INSERT INTO account_tokens (user_id, purpose, token_hash, expires_at)
         VALUES ($1, 'activation', $2, now() + interval '1 hour')",
    )
    .bind(id)
    .bind(digest)
    .execute(&app.state.db)
    .await
    .unwrap();
    let activated = app
        .post("/auth/activate")
        .json(&json!({"email": email, "token": token}))
        .send()
        .await
        .unwrap();
    problem(activated, 400).await;

    let login = problem(app.login(&email, STRONG_PASSWORD).await, 403).await;
    let detail = login["detail"].as_str().unwrap();
    assert!(detail.contains("deactivated"), "{detail}");
    assert!(
        !detail.contains("activation"),
        "no pointer to activation: {detail}"
    );
    // A password reset is no way back either.
    assert_eq!(
        post_email(&app, "/auth/password/forgot", &email)
            .await
            .status(),
        202
    );
    app.deliver_mail().await;
    assert_eq!(emails_to(&email).await.len(), activations_before);

    // Only an admin undoes it.
    assert_eq!(
        admin_change(&app, &admin, id, json!({"is_active": true}))
            .await
            .status(),
        200
    );
    assert_eq!(app.login(&email, STRONG_PASSWORD).await.status(), 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn deactivating_a_pending_account_voids_its_activation_link(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let admin = app.make_user(Role::Admin).await;
    let email = unique_email("pending");
    assert_eq!(app.register(&email, STRONG_PASSWORD).await.status(), 201);
    let token = app
        .token_from_email(&email, "Activate your Cinema account")
        .await;
    let id = account_id(&app, &email).await;
    assert_eq!(
        admin_change(&app, &admin, id, json!({"is_active": false}))
            .await
            .status(),
        200
    );
    let activated = app
        .post("/auth/activate")
        .json(&json!({"email": email, "token": token}))
        .send()
        .await
        .unwrap();
    problem(activated, 400).await;
    problem(app.login(&email, STRONG_PASSWORD).await, 403).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_demoted_or_deactivated_admin_loses_its_rights_at_once(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let first = app.make_user(Role::Admin).await;
    let second = app.make_user(Role::Admin).await;
    let users = |admin: &TestUser| app.get("/admin/users").bearer_auth(&admin.token).send();
    assert_eq!(users(&first).await.unwrap().status(), 200);

    assert_eq!(
        admin_change(&app, &second, first.id, json!({"role": "user"}))
            .await
            .status(),
        200
    );
    // The token still says admin; the account does not.
    problem(users(&first).await.unwrap(), 403).await;
    problem(
        admin_change(&app, &first, first.id, json!({"role": "admin"})).await,
        403,
    )
    .await;
    problem(
        admin_change(&app, &first, second.id, json!({"role": "user"})).await,
        403,
    )
    .await;

    // A moderator demoted to user can no longer write the catalog.
    let moderator = app.make_user(Role::Moderator).await;
    assert_eq!(
        admin_change(&app, &second, moderator.id, json!({"role": "user"}))
            .await
            .status(),
        200
    );
    let create = app
        .post("/genres")
        .bearer_auth(&moderator.token)
        .json(&json!({"name": "Noir"}))
        .send()
        .await
        .unwrap();
    problem(create, 403).await;

    // A deactivated account's access token stops at once, whatever its role.
    let third = app.make_user(Role::Admin).await;
    assert_eq!(
        admin_change(&app, &second, third.id, json!({"is_active": false}))
            .await
            .status(),
        200
    );
    let refused = users(&third).await.unwrap();
    assert_eq!(refused.headers()["www-authenticate"], "Bearer");
    problem(refused, 401).await;
    problem(app.me(&third.token).await, 401).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_admin_cannot_change_their_own_role_or_activity(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let admin = app.make_user(Role::Admin).await;
    for body in [
        json!({"role": "admin"}),
        json!({"role": "moderator"}),
        json!({"is_active": true}),
        json!({"is_active": false}),
    ] {
        problem(
            admin_change(&app, &admin, admin.id, body.clone()).await,
            409,
        )
        .await;
    }
    let role: String = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(admin.id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(role, "admin");
}

#[sqlx::test(migrations = "../migrations")]
async fn two_admins_demoting_each_other_at_once_leave_one_admin(db: PgPool) {
    let app = TestApp::spawn(db).await;
    for _ in 0..5 {
        let a = app.make_user(Role::Admin).await;
        let b = app.make_user(Role::Admin).await;
        let (first, second) = tokio::join!(
            admin_change(&app, &a, b.id, json!({"role": "user"})),
            admin_change(&app, &b, a.id, json!({"role": "user"})),
        );
        let mut statuses = [first.status().as_u16(), second.status().as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 403], "exactly one demotion wins");
        let admins: i64 =
            sqlx::query_scalar("SELECT count(*) FROM users WHERE id = ANY($1) AND role = 'admin'")
                .bind(&[a.id, b.id][..])
                .fetch_one(&app.state.db)
                .await
                .unwrap();
        assert_eq!(admins, 1);
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn password_guesses_through_the_docs_and_password_change_are_limited(db: PgPool) {
    let app = TestApp::spawn_with(db, |config| {
        config.api.accounts.login_per_email = 3;
    })
    .await;
    let docs_user = app.make_user(Role::User).await;
    for _ in 0..3 {
        let wrong = app
            .get("/openapi.json")
            .basic_auth(&docs_user.email, Some("Wr0ng-Passw0rd!"))
            .send()
            .await
            .unwrap();
        problem(wrong, 401).await;
    }
    let limited = app
        .get("/openapi.json")
        .basic_auth(&docs_user.email, Some(crate::support::users::PASSWORD))
        .send()
        .await
        .unwrap();
    assert!(limited.headers().contains_key("retry-after"));
    problem(limited, 429).await;

    let changer = app.make_user(Role::User).await;
    let change = |old: &'static str| {
        app.post("/auth/password/change")
            .bearer_auth(&changer.token)
            .json(&json!({"old_password": old, "new_password": "N3w-Passw0rd!!"}))
            .send()
    };
    for _ in 0..3 {
        problem(change("Wr0ng-Passw0rd!").await.unwrap(), 400).await;
    }
    let limited = change(crate::support::users::PASSWORD).await.unwrap();
    assert!(limited.headers().contains_key("retry-after"));
    problem(limited, 429).await;
    // Guesses on one route count on the others: the login of that account is held back too.
    problem(
        app.login(&changer.email, crate::support::users::PASSWORD)
            .await,
        429,
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_client_over_its_limit_does_not_spend_the_emails_it_tries(db: PgPool) {
    let app = TestApp::spawn_with(db, |config| {
        config.api.accounts.login_per_client = 2;
        config.api.accounts.login_per_email = 5;
    })
    .await;
    let victim = app.signed_up().await;
    for _ in 0..2 {
        problem(app.login(&victim, "Wr0ng-Passw0rd!").await, 401).await;
    }
    for _ in 0..3 {
        problem(app.login(&victim, "Wr0ng-Passw0rd!").await, 429).await;
    }
    let victim_hits: i32 = sqlx::query_scalar(
        "SELECT hits FROM rate_limit_hits
         WHERE bucket = sha256(convert_to('password:email:' || $1, 'UTF8'))",
    )
    .bind(&victim)
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert_eq!(
        victim_hits, 2,
        "refused attempts are not counted for the email"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn hostile_emails_are_422s_naming_the_field(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let nul = "ann\u{0}@example.com".to_owned();
    let long = format!("{}@example.com", "x".repeat(3000));
    for email in [&nul, &long] {
        for (path, body) in [
            (
                "/auth/register",
                json!({"email": email, "password": STRONG_PASSWORD}),
            ),
            (
                "/auth/login",
                json!({"email": email, "password": STRONG_PASSWORD}),
            ),
            ("/auth/activate", json!({"email": email, "token": "x"})),
            ("/auth/activation/resend", json!({"email": email})),
            ("/auth/password/forgot", json!({"email": email})),
            (
                "/auth/password/reset",
                json!({"email": email, "token": "x", "new_password": STRONG_PASSWORD}),
            ),
        ] {
            let response = app.post(path).json(&body).send().await.unwrap();
            let body = problem(response, 422).await;
            assert_eq!(body["errors"][0]["field"], "email", "{path}");
        }
        let docs = app
            .get("/openapi.json")
            .basic_auth(email, Some(STRONG_PASSWORD))
            .send()
            .await
            .unwrap();
        let body = problem(docs, 422).await;
        assert_eq!(body["errors"][0]["field"], "email");
    }
    // The longest address there can be still fits: its rate-limit keys are fixed-width digests.
    let longest = format!("{}@example.com", "y".repeat(242));
    problem(app.login(&longest, STRONG_PASSWORD).await, 401).await;
    let widths: Vec<i32> =
        sqlx::query_scalar("SELECT DISTINCT octet_length(bucket) FROM rate_limit_hits")
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    assert_eq!(widths, [32]);
}

/// A refresh loop racing a password reset: whatever interleaving happens, once the reset has
/// answered, the newest pair the loop holds is dead.
#[sqlx::test(migrations = "../migrations")]
async fn a_refresh_in_flight_does_not_survive_a_password_reset(db: PgPool) {
    let app = TestApp::spawn_with(db, |config| {
        config.api.accounts.email_per_email = 100;
    })
    .await;
    let email = app.signed_up().await;
    for round in 0..10 {
        let pair = app.tokens(&email, STRONG_PASSWORD).await;
        assert_eq!(
            post_email(&app, "/auth/password/forgot", &email)
                .await
                .status(),
            202
        );
        let reset_token = app
            .token_from_email(&email, "Reset your Cinema password")
            .await;
        let stop = std::sync::atomic::AtomicBool::new(false);
        let refresher = async {
            let mut newest = pair.clone();
            loop {
                let response = app.refresh(newest["refresh_token"].as_str().unwrap()).await;
                if response.status() != 200 {
                    return newest;
                }
                newest = response.json().await.unwrap();
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    return newest;
                }
            }
        };
        let resetter = async {
            tokio::time::sleep(std::time::Duration::from_millis(5 * round)).await;
            let reset = app
                .post("/auth/password/reset")
                .json(&json!({"email": email, "token": reset_token,
                              "new_password": STRONG_PASSWORD}))
                .send()
                .await
                .unwrap();
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            reset.status()
        };
        let (newest, reset) = tokio::join!(refresher, resetter);
        assert_eq!(reset, 200);
        problem(
            app.refresh(newest["refresh_token"].as_str().unwrap()).await,
            401,
        )
        .await;
        problem(app.me(newest["access_token"].as_str().unwrap()).await, 401).await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn resend_and_forgot_answer_the_same_with_the_queue_down(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let active = app.signed_up().await;
    let pending = unique_email("pending");
    assert_eq!(app.register(&pending, STRONG_PASSWORD).await.status(), 201);
    app.deliver_mail().await;

    let cut_off = app.state.clone().with_mail(EmailQueue::new(
        app.state.mail.client().clone(),
        format!("{}-gone", app.state.mail.queue_url()),
    ));
    let outage = TestApp::serve(cut_off, &TestConfig::from_env().mailer).await;
    let nobody = unique_email("nobody");
    for (path, registered) in [
        ("/auth/activation/resend", &pending),
        ("/auth/password/forgot", &active),
    ] {
        for email in [registered, &nobody] {
            let response = post_email(&outage, path, email).await;
            assert_eq!(response.status(), 202, "{path} for {email}");
            assert_eq!(response.content_length(), Some(0));
        }
    }
    outage.outbox_settled().await;
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM email_outbox")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(waiting, 2, "both emails kept for later");

    // The queue is back: the janitor relays them, and each arrives once.
    sqlx::query("UPDATE email_outbox SET created_at = now() - interval '2 minutes'")
        .execute(&app.state.db)
        .await
        .unwrap();
    let report = cinema_janitor::run_all(
        &app.state.db,
        &app.state.mail,
        &crate::support::stale_orders(),
    )
    .await
    .unwrap();
    assert_eq!(report.emails_relayed, 2);
    app.deliver_mail().await;
    let reset = emails_to(&active)
        .await
        .into_iter()
        .filter(|email| email.subject == "Reset your Cinema password")
        .count();
    assert_eq!(reset, 1);
    let activations: Vec<String> = emails_to(&pending)
        .await
        .into_iter()
        .filter(|email| email.subject == "Activate your Cinema account")
        .map(|email| token_in(&email.text))
        .collect();
    assert_eq!(activations.len(), 2, "the sign-up's and the resend's");
    assert!(emails_to(&nobody).await.is_empty());
}
