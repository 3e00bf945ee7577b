//! The caller's own account, profile and avatar.

use cinema_shared::auth::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::support::{TestApp, problem};

#[sqlx::test(migrations = "../migrations")]
async fn a_profile_is_updated_field_by_field_and_cleared_with_null(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let user = app.make_user(Role::User).await;
    let patch = |body: serde_json::Value| {
        app.patch("/users/me/profile")
            .bearer_auth(&user.token)
            .json(&body)
            .send()
    };
    let updated = patch(json!({
        "first_name": "  Anne-Marie ",
        "last_name": "Ōta Lee",
        "gender": "female",
        "date_of_birth": "1990-04-01",
        "info": "Likes noir."
    }))
    .await
    .unwrap();
    assert_eq!(updated.status(), 200);
    let me: serde_json::Value = updated.json().await.unwrap();
    assert_eq!(me["profile"]["first_name"], "Anne-Marie");
    assert_eq!(me["profile"]["last_name"], "Ōta Lee");
    assert_eq!(me["profile"]["gender"], "female");
    assert_eq!(me["profile"]["date_of_birth"], "1990-04-01");
    assert_eq!(me["email"], user.email);
    assert!(me["avatar_url"].is_null());

    let partial = patch(json!({"info": null, "last_name": "Lee"}))
        .await
        .unwrap();
    let me: serde_json::Value = partial.json().await.unwrap();
    assert_eq!(
        me["profile"]["first_name"], "Anne-Marie",
        "absent fields stay"
    );
    assert_eq!(me["profile"]["last_name"], "Lee");
    assert!(me["profile"]["info"].is_null(), "null clears");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_account_shows_only_its_owner(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let ann = app.make_user(Role::User).await;
    let bob = app.make_user(Role::User).await;
    let me: serde_json::Value = app.me(&ann.token).await.json().await.unwrap();
    assert_eq!(me["id"], ann.id.to_string());
    // There is no route that takes another user's id, for any role below admin.
    for path in [
        format!("/users/{}", bob.id),
        format!("/users/{}/profile", bob.id),
    ] {
        let response = app.get(&path).bearer_auth(&ann.token).send().await.unwrap();
        problem(response, 404).await;
    }
    let patched = app
        .patch("/users/me/profile")
        .bearer_auth(&ann.token)
        .json(&json!({"first_name": "Ann"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let bobs: serde_json::Value = app.me(&bob.token).await.json().await.unwrap();
    assert!(bobs["profile"]["first_name"].is_null());
}

#[sqlx::test(migrations = "../migrations")]
async fn invalid_profile_fields_are_each_named(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let user = app.make_user(Role::User).await;
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let cases = [
        (json!({"first_name": "R2-D2"}), "first_name"),
        (json!({"last_name": ""}), "last_name"),
        (json!({"last_name": "x".repeat(51)}), "last_name"),
        (json!({"gender": "robot"}), "gender"),
        (json!({"date_of_birth": tomorrow}), "date_of_birth"),
        (json!({"date_of_birth": "1850-01-01"}), "date_of_birth"),
        (json!({"date_of_birth": "yesterday"}), "date_of_birth"),
        (json!({"info": "x".repeat(2001)}), "info"),
        (json!({"info": "line\u{0}break"}), "info"),
        (json!({"nickname": "ann"}), "nickname"),
    ];
    for (body, field) in cases {
        let response = app
            .patch("/users/me/profile")
            .bearer_auth(&user.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = problem(response, 422).await;
        let named = problem["errors"][0]["field"].as_str().unwrap_or_default();
        assert!(named.contains(field), "{body}: named {named:?}");
    }
    let unchanged: Option<String> =
        sqlx::query_scalar("SELECT last_name FROM profiles WHERE user_id = $1")
            .bind(user.id)
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert!(unchanged.is_none());
}

#[sqlx::test(migrations = "../migrations")]
async fn an_avatar_goes_straight_to_s3_and_only_as_announced(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let user = app.make_user(Role::User).await;
    let picture = vec![0x89u8; 2048];
    let response = app
        .post("/users/me/avatar")
        .bearer_auth(&user.token)
        .json(&json!({"content_type": "image/png", "content_length": picture.len()}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let upload: serde_json::Value = response.json().await.unwrap();
    let key = upload["key"].as_str().unwrap();
    assert!(key.starts_with(&format!("avatars/{}/", user.id)));
    assert!(
        key.len() > format!("avatars/{}/", user.id).len() + 40,
        "unguessable"
    );
    let url = upload["upload_url"].as_str().unwrap();

    let put = |content_type: &'static str, body: Vec<u8>| {
        app.http
            .put(url)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    assert_eq!(
        put("image/png", vec![0u8; 4096]).await.unwrap().status(),
        403,
        "other size"
    );
    assert_eq!(
        put("image/jpeg", picture.clone()).await.unwrap().status(),
        403,
        "other type"
    );
    // Refused files leave nothing to take up.
    assert_eq!(app.sweep_uploads().await, 0);
    let me: serde_json::Value = app.me(&user.token).await.json().await.unwrap();
    assert!(me["avatar_url"].is_null(), "no link before the file: {me}");
    assert_eq!(
        put("image/png", picture.clone()).await.unwrap().status(),
        200
    );

    // The profile takes the avatar up once S3 has it (on AWS, at S3's event).
    assert_eq!(app.sweep_uploads().await, 1);
    let me: serde_json::Value = app.me(&user.token).await.json().await.unwrap();
    let avatar_url = me["avatar_url"].as_str().expect("an avatar link");
    let fetched = app.http.get(avatar_url).send().await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), picture.as_slice());
}

#[sqlx::test(migrations = "../migrations")]
async fn avatars_must_be_small_images(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let user = app.make_user(Role::User).await;
    let cases = [
        (
            json!({"content_type": "image/gif", "content_length": 100}),
            "content_type",
        ),
        (
            json!({"content_type": "image/png", "content_length": 1_048_577}),
            "content_length",
        ),
        (
            json!({"content_type": "image/png", "content_length": 0}),
            "content_length",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .post("/users/me/avatar")
            .bearer_auth(&user.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(problem(response, 422).await["errors"][0]["field"], field);
    }
    let anonymous = app
        .post("/users/me/avatar")
        .json(&json!({"content_type": "image/png", "content_length": 10}))
        .send()
        .await
        .unwrap();
    problem(anonymous, 401).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_newer_avatar_replaces_the_older_and_uploads_are_rate_limited(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let user = app.make_user(Role::User).await;
    let start = || {
        app.post("/users/me/avatar")
            .bearer_auth(&user.token)
            .json(&json!({"content_type": "image/png", "content_length": 4}))
            .send()
    };
    let put = |upload: &serde_json::Value, body: &'static [u8]| {
        app.http
            .put(upload["upload_url"].as_str().unwrap())
            .header("content-type", "image/png")
            .body(body)
            .send()
    };
    let first: serde_json::Value = start().await.unwrap().json().await.unwrap();
    let second: serde_json::Value = start().await.unwrap().json().await.unwrap();
    assert_eq!(put(&second, b"new!").await.unwrap().status(), 200);
    assert_eq!(put(&first, b"old!").await.unwrap().status(), 200);
    assert_eq!(app.sweep_uploads().await, 1);
    let me: serde_json::Value = app.me(&user.token).await.json().await.unwrap();
    let link = me["avatar_url"].as_str().expect("an avatar link");
    let shown = app
        .http
        .get(link)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(shown.as_ref(), b"new!");

    // Every upload handed out can be PUT until it expires: a user starts only so many.
    let limit = cinema_accounts::AVATAR_UPLOADS_PER_WINDOW as usize;
    for _ in 2..limit {
        assert_eq!(start().await.unwrap().status(), 200);
    }
    let refused = start().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert!(refused.headers().contains_key("retry-after"));
}
