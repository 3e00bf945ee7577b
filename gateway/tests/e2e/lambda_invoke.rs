//! The fixtures in `events/` sent to the functions' debug builds the way Lambda sends them: HTTP
//! functions through the API Gateway v2 payload, the mailer with an SQS batch, the janitor with
//! EventBridge's scheduled events (see support::lambda).

use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{
    TestApp,
    lambda::{HttpAnswer, LocalLambda, database_url},
    mail::emails_to,
};

const FIXTURE_EMAIL: &str = "lambda.fixture@example.com";
const MAIL_FIXTURE_RECIPIENT: &str = "lambda.fixture.mail@example.com";
const UPLOAD_FIXTURE_KEY: &str =
    "movies/lambda-fixture/poster/b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2.png";
const POISONED_MESSAGE_ID: &str = "9e4b1d7c-3a2f-4e8b-b6c0-7f5a2d1e9c44";

#[sqlx::test(migrations = "../migrations")]
async fn every_fixture_gets_the_answer_a_client_would_get(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let catalog = app.fixture_catalog().await;
    let database_url = database_url(&db);
    let queue_url = app.state.mail.queue_url().to_owned();
    let mut lambda = LocalLambda::start(
        &[
            "platform",
            "catalog",
            "accounts",
            "engagement",
            "commerce",
            "mailer",
            "janitor",
        ],
        &[
            ("DATABASE_URL", &database_url),
            ("MAIL_QUEUE_URL", &queue_url),
        ],
    )
    .await;

    // Health: the function reached its database.
    let answer = lambda.invoke("platform", "http/health.json").await;
    let health = HttpAnswer(&answer);
    assert_eq!(health.status(), 200);
    assert_eq!(health.header("content-type"), Some("application/json"));
    assert_eq!(health.json(), json!({"status": "ok", "database": "up"}));

    // A list with repeated and sorted query parameters: the same page the gateway serves.
    let answer = lambda.invoke("catalog", "http/movies-list.json").await;
    let list = HttpAnswer(&answer);
    assert_eq!(list.status(), 200);
    let via_gateway: Value = app
        .get("/movies?genre=2&genre=3&year_min=1990&sort=-year&per_page=5")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.json(), via_gateway);
    let items = via_gateway["items"].as_array().expect("items");
    assert!(
        !items.is_empty(),
        "the fixture's filters match movies of the fixture catalog"
    );
    assert!(items.len() <= 5, "per_page=5 reached the function");

    // A sign-up whose JSON body API Gateway passed base64-encoded.
    let answer = lambda.invoke("accounts", "http/register-base64.json").await;
    let signup = HttpAnswer(&answer);
    assert_eq!(signup.status(), 201, "{answer}");
    assert_eq!(signup.json()["email"], FIXTURE_EMAIL);

    // The login fixture: refused until the account is activated, then a working token pair.
    let answer = lambda.invoke("accounts", "http/login.json").await;
    let refused = HttpAnswer(&answer);
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    sqlx::query("UPDATE users SET is_active = true WHERE email = $1")
        .bind(FIXTURE_EMAIL)
        .execute(&db)
        .await
        .unwrap();
    let answer = lambda.invoke("accounts", "http/login.json").await;
    let login = HttpAnswer(&answer);
    assert_eq!(login.status(), 200, "{answer}");
    let access_token = login.json()["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned();
    let me: Value = app
        .get("/users/me")
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        me["email"], FIXTURE_EMAIL,
        "the token is the fixture user's"
    );

    // The comments of a movie nobody has: the engagement function's problem, not a crash.
    let answer = lambda.invoke("engagement", "http/comments-list.json").await;
    let missing = HttpAnswer(&answer);
    assert_eq!(missing.status(), 404, "{answer}");
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json")
    );

    // A webhook whose signature does not verify is refused before anything is read or written.
    let answer = lambda.invoke("commerce", "http/webhook-forged.json").await;
    let forged = HttpAnswer(&answer);
    assert_eq!(forged.status(), 400, "{answer}");
    assert_eq!(
        forged.header("content-type"),
        Some("application/problem+json")
    );

    // An SQS batch: the good message is sent, only the poisoned one goes back for a retry.
    let caught_before = emails_to(MAIL_FIXTURE_RECIPIENT).await.len();
    let batch = lambda.invoke("mailer", "sqs/mail-batch.json").await;
    assert_eq!(
        batch,
        json!({"batchItemFailures": [{"itemIdentifier": POISONED_MESSAGE_ID}]})
    );
    assert_eq!(
        emails_to(MAIL_FIXTURE_RECIPIENT).await.len(),
        caught_before + 1,
        "the good message reached the SMTP catcher once"
    );

    // The hourly schedule: what expired is purged, and the report says how much.
    sqlx::query(
        "INSERT INTO mail_deliveries (message_id, state, sent_at)
         SELECT 'lambda-old-' || n, 'sent', now() - interval '30 days' FROM generate_series(1, 7) n",
    )
    .execute(&db)
    .await
    .unwrap();
    let report = lambda
        .invoke("janitor", "schedule/janitor-hourly.json")
        .await;
    assert_eq!(report["deleted"]["mail_deliveries"], 7, "{report}");
    assert_eq!(report["stale_orders_canceled"], 0);
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM mail_deliveries WHERE message_id LIKE 'lambda-old-%'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(left, 0);

    // The minutely schedule's constant input: an email a queue outage left is relayed.
    sqlx::query(
        "INSERT INTO email_outbox (message, created_at)
         VALUES ($1, now() - interval '5 minutes')",
    )
    .bind(json!({"to": "lambda.relay@example.com", "kind": "welcome", "data": {}}))
    .execute(&db)
    .await
    .unwrap();
    let report = lambda
        .invoke("janitor", "schedule/janitor-every-minute.json")
        .await;
    assert_eq!(report["emails_relayed"], 1, "{report}");
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM email_outbox WHERE message->>'to' = 'lambda.relay@example.com'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(waiting, 0, "the relayed email left the outbox");
    assert_eq!(
        report["deleted"],
        json!({}),
        "the minutely job purges nothing"
    );

    // The minutely job also takes up an upload whose S3 event went missing: it asks S3.
    let video_key = "movies/lambda-fixture/video/minutely.mp4";
    pend(&db, video_key, "video", catalog.movie("B")).await;
    app.state
        .storage
        .client()
        .put_object()
        .bucket(app.state.storage.bucket())
        .key(video_key)
        .body(b"a movie".to_vec().into())
        .send()
        .await
        .unwrap();
    let report = lambda
        .invoke("janitor", "schedule/janitor-every-minute.json")
        .await;
    assert_eq!(report["uploads_promoted"], 1, "{report}");
    assert_eq!(
        movie_file(&db, "video_key", catalog.movie("B"))
            .await
            .as_deref(),
        Some(video_key)
    );

    // S3's "Object Created" event through EventBridge: the movie takes up the upload it names,
    // once (a redelivered event changes nothing).
    pend(&db, UPLOAD_FIXTURE_KEY, "poster", catalog.movie("A")).await;
    let event = "eventbridge/media-object-created.json";
    let report = lambda.invoke("janitor", event).await;
    assert_eq!(report["uploads_promoted"], 1, "{report}");
    assert_eq!(
        movie_file(&db, "poster_key", catalog.movie("A"))
            .await
            .as_deref(),
        Some(UPLOAD_FIXTURE_KEY)
    );
    let report = lambda.invoke("janitor", event).await;
    assert_eq!(report["uploads_promoted"], 0, "{report}");
}

/// An upload of `key` handed out for the movie's `slot`.
async fn pend(db: &PgPool, key: &str, slot: &str, movie: uuid::Uuid) {
    sqlx::query(
        "INSERT INTO pending_uploads (key, slot, movie_id, expires_at)
         VALUES ($1, $2, $3, now() + interval '1 hour')",
    )
    .bind(key)
    .bind(slot)
    .bind(movie)
    .execute(db)
    .await
    .unwrap();
}

/// The key a movie's `column` (`poster_key`, `video_key`) points at.
async fn movie_file(db: &PgPool, column: &str, movie: uuid::Uuid) -> Option<String> {
    sqlx::query_scalar(&format!("SELECT {column} FROM movies WHERE id = $1"))
        .bind(movie)
        .fetch_one(db)
        .await
        .unwrap()
}
