//! A movie takes up a new poster or video only once S3 has the file: never a link before its
//! file, nothing changed by an abandoned upload, the newest arrival winning.

use cinema_shared::{auth::Role, email::EmailQueue, uploads};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{TestApp, users::TestUser};

/// Starts an upload of `bytes` as the movie's `kind` (`poster`: PNG, `video`: MP4).
async fn start(
    app: &TestApp,
    moderator: &TestUser,
    movie: Uuid,
    kind: &str,
    bytes: &[u8],
) -> Value {
    let content_type = if kind == "poster" {
        "image/png"
    } else {
        "video/mp4"
    };
    let response = app
        .post(&format!("/movies/{movie}/media"))
        .bearer_auth(&moderator.token)
        .json(&json!({"kind": kind, "content_type": content_type, "content_length": bytes.len()}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The client's PUT to S3, with the headers the answer named.
async fn put(app: &TestApp, upload: &Value, bytes: &[u8]) {
    let mut request = app.http.put(upload["upload_url"].as_str().unwrap());
    for (name, value) in upload["headers"].as_object().unwrap() {
        request = request.header(name, value.as_str().unwrap());
    }
    let status = request.body(bytes.to_vec()).send().await.unwrap().status();
    assert_eq!(status, 200);
}

/// The bytes behind the movie's poster link, or None when it shows no poster.
async fn poster_shown(app: &TestApp, movie: Uuid) -> Option<Vec<u8>> {
    let detail = app.list_as(&format!("/movies/{movie}"), None).await;
    let link = detail["poster_url"].as_str()?;
    let fetched = app.http.get(link).send().await.unwrap();
    assert_eq!(fetched.status(), 200, "a poster link that works");
    Some(fetched.bytes().await.unwrap().to_vec())
}

/// The bytes an owner streams.
async fn streamed(app: &TestApp, owner: &TestUser, movie: Uuid) -> Vec<u8> {
    let link: Value = app
        .get(&format!("/movies/{movie}/stream"))
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = link["url"].as_str().expect("a stream link");
    app.http
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

async fn pending_for(db: &PgPool, movie: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM pending_uploads WHERE movie_id = $1")
        .bind(movie)
        .fetch_one(db)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_movie_keeps_its_file_until_a_newer_one_arrives(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let movie = c.movie("A");

    // The first poster shows once it is in S3.
    let first = start(&app, &moderator, movie, "poster", b"poster-1").await;
    assert_eq!(
        poster_shown(&app, movie).await,
        None,
        "no link before the file"
    );
    put(&app, &first, b"poster-1").await;
    assert_eq!(app.sweep_uploads().await, 1);
    assert_eq!(
        poster_shown(&app, movie).await.as_deref(),
        Some(&b"poster-1"[..])
    );

    // An upload started and abandoned changes nothing.
    start(&app, &moderator, movie, "poster", b"abandoned").await;
    assert_eq!(app.sweep_uploads().await, 0);
    assert_eq!(
        poster_shown(&app, movie).await.as_deref(),
        Some(&b"poster-1"[..])
    );

    // Two arrive together: the newer one wins, and the abandoned one before it is dropped.
    let older = start(&app, &moderator, movie, "poster", b"poster-2").await;
    let newer = start(&app, &moderator, movie, "poster", b"poster-3").await;
    put(&app, &newer, b"poster-3").await;
    put(&app, &older, b"poster-2").await;
    assert_eq!(app.sweep_uploads().await, 1);
    assert_eq!(
        poster_shown(&app, movie).await.as_deref(),
        Some(&b"poster-3"[..])
    );
    assert_eq!(pending_for(&db, movie).await, 0);

    // An older upload that lands after a newer one was taken up does not replace it.
    let older = start(&app, &moderator, movie, "poster", b"poster-4").await;
    let newer = start(&app, &moderator, movie, "poster", b"poster-5").await;
    put(&app, &newer, b"poster-5").await;
    assert_eq!(app.sweep_uploads().await, 1);
    put(&app, &older, b"poster-4").await;
    assert_eq!(app.sweep_uploads().await, 0);
    assert_eq!(
        poster_shown(&app, movie).await.as_deref(),
        Some(&b"poster-5"[..])
    );

    // Nobody piles up pending uploads: a movie's slot keeps its three newest.
    for _ in 0..5 {
        start(&app, &moderator, movie, "poster", b"never").await;
    }
    assert_eq!(pending_for(&db, movie).await, 3);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_poster_and_a_video_arriving_together_are_both_taken_up(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let owner = app.make_user(Role::User).await;
    let movie = c.movie("B");
    sqlx::query("INSERT INTO purchases (user_id, movie_id) VALUES ($1, $2)")
        .bind(owner.id)
        .bind(movie)
        .execute(&db)
        .await
        .unwrap();

    let poster = start(&app, &moderator, movie, "poster", b"the poster").await;
    let video = start(&app, &moderator, movie, "video", b"the whole movie").await;
    put(&app, &poster, b"the poster").await;
    put(&app, &video, b"the whole movie").await;
    // Two sweeps at once (a redelivered event, two janitors) take each file up once.
    let (a, b) = tokio::join!(app.sweep_uploads(), app.sweep_uploads());
    assert_eq!(a + b, 2);
    assert_eq!(
        poster_shown(&app, movie).await.as_deref(),
        Some(&b"the poster"[..])
    );
    assert_eq!(streamed(&app, &owner, movie).await, b"the whole movie");
    // Another movie's files are its own.
    assert_eq!(poster_shown(&app, c.movie("A")).await, None);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_newest_upload_wins_however_the_promotions_interleave(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let movie = c.movie("A");
    for round in 0..10 {
        let older = start(&app, &moderator, movie, "poster", b"older").await;
        let newer = start(&app, &moderator, movie, "poster", b"newer").await;
        put(&app, &older, b"older").await;
        put(&app, &newer, b"newer").await;
        let key = |upload: &Value| vec![upload["key"].as_str().unwrap().to_owned()];
        let (older_key, newer_key) = (key(&older), key(&newer));
        // The two S3 events, handled at once by two janitors.
        let (a, b) = tokio::join!(
            uploads::promote(&db, &older_key),
            uploads::promote(&db, &newer_key)
        );
        assert!(a.unwrap() + b.unwrap() >= 1);
        let shown: Option<String> =
            sqlx::query_scalar("SELECT poster_key FROM movies WHERE id = $1")
                .bind(movie)
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(shown, Some(newer_key[0].clone()), "round {round}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn uploads_are_taken_up_while_the_mail_queue_is_down(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let movie = c.movie("A");
    let poster = start(&app, &moderator, movie, "poster", b"in time").await;
    put(&app, &poster, b"in time").await;
    // An email a queue outage left, and the queue still down when the minutely job runs.
    sqlx::query(
        "INSERT INTO email_outbox (message, created_at)
         VALUES ($1, now() - interval '5 minutes')",
    )
    .bind(json!({"to": "outage@example.com", "kind": "welcome", "data": {}}))
    .execute(&db)
    .await
    .unwrap();
    let gone = EmailQueue::new(
        app.state.mail.client().clone(),
        format!("{}-gone", app.state.mail.queue_url()),
    );
    let minutely = cinema_janitor::every_minute(&db, &gone, &app.state.storage).await;
    assert!(minutely.is_err(), "the relay's failure is reported");
    assert_eq!(
        poster_shown(&app, movie).await.as_deref(),
        Some(&b"in time"[..])
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn refused_uploads_leave_nothing_pending(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let c = app.fixture_catalog().await;
    let movie = c.movie("A");
    let ask = |who: &TestUser, content_type: String| {
        app.post(&format!("/movies/{movie}/media"))
            .bearer_auth(&who.token)
            .json(&json!({"kind": "poster", "content_type": content_type, "content_length": 8}))
            .send()
    };

    // Hostile types: a 422 naming the field.
    let moderator = app.make_user(Role::Moderator).await;
    for hostile in [
        "image/png\0".to_owned(),
        "x".repeat(3000),
        "image/☃🎬".to_owned(),
    ] {
        let body = crate::support::problem(ask(&moderator, hostile).await.unwrap(), 422).await;
        assert_eq!(body["errors"][0]["field"], "content_type", "{body}");
    }

    // A moderator demoted, deactivated or signed out is refused at once.
    for ended in [
        "UPDATE users SET role = 'user' WHERE id = $1",
        "UPDATE users SET deactivated_at = now(), is_active = false WHERE id = $1",
        "UPDATE login_sessions SET revoked_at = now() WHERE user_id = $1",
    ] {
        let former = app.make_user(Role::Moderator).await;
        sqlx::query(ended)
            .bind(former.id)
            .execute(&db)
            .await
            .unwrap();
        let status = if ended.contains("role") { 403 } else { 401 };
        let refused = ask(&former, "image/png".into()).await.unwrap();
        crate::support::problem(refused, status).await;
    }
    assert_eq!(pending_for(&db, movie).await, 0);
}
