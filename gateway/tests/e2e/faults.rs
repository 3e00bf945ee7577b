//! The servers behind the API going away and coming back. A database outage costs quick 503
//! problems (never a 500, never a wait past the acquire timeout), writes are whole or absent,
//! and the pools heal on their own once it is back. S3 and SQS down cost no request at all:
//! files go to S3 by presigned URL and emails wait in the outbox.

use std::time::{Duration, Instant};

use cinema_shared::{AppState, auth::Role, config::DatabaseConfig, db};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::support::{
    TestApp, TestConfig, accounts::STRONG_PASSWORD, postgres::PrivatePostgres, problem,
    unique_email,
};

const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Every answer while the database is down: a 503 problem, well within the acquire timeout.
async fn assert_quick_503(response: impl Future<Output = reqwest::Response>, what: &str) {
    let started = Instant::now();
    let response = response.await;
    let took = started.elapsed();
    let body = problem(response, 503).await;
    assert!(body["detail"].is_string(), "{what}: {body}");
    assert!(
        took < ACQUIRE_TIMEOUT + Duration::from_secs(2),
        "{what} took {took:?}: a request must not wait out the outage"
    );
}

#[tokio::test]
async fn a_restarted_database_costs_quick_503s_and_the_pools_heal_alone() {
    let postgres = PrivatePostgres::start();
    let database = DatabaseConfig {
        url: SecretString::from(postgres.url("cinema")),
        max_connections: 4,
        acquire_timeout: ACQUIRE_TIMEOUT,
        statement_timeout: Duration::from_secs(5),
    };
    let db = db::lazy_pool(&database).unwrap();
    sqlx::migrate!("../migrations").run(&db).await.unwrap();
    let app = TestApp::spawn_with(db.clone(), |config| config.api.database = database).await;
    let catalog = app.fixture_catalog().await;
    let detail = format!("/movies/{}", catalog.movie("A"));
    let register = |email: String| {
        app.post("/auth/register")
            .json(&json!({"email": email, "password": STRONG_PASSWORD}))
            .send()
    };
    // Both pools hold open connections when the database goes.
    assert_eq!(app.get("/health").send().await.unwrap().status(), 200);
    assert_eq!(app.get("/movies").send().await.unwrap().status(), 200);
    assert_eq!(app.get(&detail).send().await.unwrap().status(), 200);
    assert_eq!(
        register(unique_email("before")).await.unwrap().status(),
        201
    );

    postgres.stop_server();
    let lost = unique_email("during");
    for _ in 0..2 {
        // The first round meets broken pooled connections, the second refused new ones.
        assert_quick_503(async { app.get("/health").send().await.unwrap() }, "health").await;
        assert_quick_503(async { app.get("/movies").send().await.unwrap() }, "list").await;
        assert_quick_503(async { app.get(&detail).send().await.unwrap() }, "detail").await;
        assert_quick_503(async { register(lost.clone()).await.unwrap() }, "sign-up").await;
        assert_quick_503(
            async {
                app.post("/auth/login")
                    .json(&json!({"email": lost, "password": STRONG_PASSWORD}))
                    .send()
                    .await
                    .unwrap()
            },
            "login",
        )
        .await;
    }

    postgres.start_server();
    let back = Instant::now();
    loop {
        let health = app.get("/health").send().await.unwrap().status();
        let list = app.get("/movies").send().await.unwrap().status();
        assert!(
            [200, 503].contains(&health.as_u16()) && [200, 503].contains(&list.as_u16()),
            "recovering answers are 200 or 503, got {health} and {list}"
        );
        if health == 200 && list == 200 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(20),
            "the pools did not heal within 20 s of the database's return"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.get(&detail).send().await.unwrap().status(), 200);
    assert_eq!(register(unique_email("after")).await.unwrap().status(), 201);

    // Nothing half-written: the refused sign-up left no account, and every account has the
    // activation token its sign-up wrote in the same transaction.
    let lost_accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE email = $1")
        .bind(&lost)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(lost_accounts, 0);
    let without_token: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users u WHERE NOT u.is_active AND NOT EXISTS
           (SELECT 1 FROM account_tokens t WHERE t.user_id = u.id AND t.purpose = 'activation')",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(without_token, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn with_s3_and_sqs_down_every_route_still_answers(db: sqlx::PgPool) {
    let config = TestConfig::from_env();
    // Nothing listens on port 1: every S3 or SQS call is refused.
    let dead = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url("http://127.0.0.1:1")
        .load()
        .await;
    let app = TestApp::serve(
        AppState::with_sdk(config.api.clone(), db.clone(), &dead),
        &config.mailer,
    )
    .await;
    let catalog = app.fixture_catalog().await;

    // A sign-up commits and answers at once; its email waits in the outbox for the janitor.
    let email = unique_email("queue-down");
    let response = app
        .post("/auth/register")
        .json(&json!({"email": email, "password": STRONG_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    // The request's own relay tries the queue in the background (or, the queue resting after
    // an earlier failure, leaves it alone) and the email stays for the janitor.
    app.outbox_settled().await;
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM email_outbox WHERE message->>'to' = $1 AND claimed_until IS NULL",
    )
    .bind(&email)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(waiting, 1, "the activation email stays staged, not lost");
    // Old enough for the janitor's relay, which must fail loudly and keep it.
    sqlx::query("UPDATE email_outbox SET created_at = now() - interval '5 minutes'")
        .execute(&db)
        .await
        .unwrap();
    let relay = cinema_janitor::relay_outbox(&db, &app.state.mail).await;
    assert!(
        relay.is_err(),
        "the janitor reports the queue it cannot reach"
    );
    let kept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE message->>'to' = $1")
            .bind(&email)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(kept, 1, "a failed relay keeps the email for the next one");

    // Uploads are presigned here and go to S3 from the client: nothing here calls S3.
    let user = app.make_user(Role::User).await;
    let upload = app
        .post("/users/me/avatar")
        .bearer_auth(&user.token)
        .json(&json!({"content_type": "image/png", "content_length": 2048}))
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 200);
    let list: Value = app
        .get("/movies")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], catalog.movies.len());
}
