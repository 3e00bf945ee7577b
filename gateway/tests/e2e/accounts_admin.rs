//! User administration, for admins only.

use cinema_shared::auth::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::support::{TestApp, problem};

#[sqlx::test(migrations = "../migrations")]
async fn only_admins_administer_users(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let user = app.make_user(Role::User).await;
    let moderator = app.make_user(Role::Moderator).await;
    problem(app.get("/admin/users").send().await.unwrap(), 401).await;
    for caller in [&user, &moderator] {
        let list = app
            .get("/admin/users")
            .bearer_auth(&caller.token)
            .send()
            .await
            .unwrap();
        problem(list, 403).await;
        let change = app
            .patch(&format!("/admin/users/{}", caller.id))
            .bearer_auth(&caller.token)
            .json(&json!({"role": "admin"}))
            .send()
            .await
            .unwrap();
        problem(change, 403).await;
    }
    // A moderator still has every right of a user.
    assert_eq!(app.me(&moderator.token).await.status(), 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn admins_list_users_with_filters_and_pages(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let admin = app.make_user(Role::Admin).await;
    let mut users = Vec::new();
    for _ in 0..5 {
        users.push(app.make_user(Role::User).await);
    }
    let moderator = app.make_user(Role::Moderator).await;
    let pending = app.signed_up().await;
    sqlx::query("UPDATE users SET is_active = false WHERE email = $1")
        .bind(&pending)
        .execute(&app.state.db)
        .await
        .unwrap();
    let list = |query: &str| {
        app.get(&format!("/admin/users{query}"))
            .bearer_auth(&admin.token)
            .send()
    };

    let all: serde_json::Value = list("").await.unwrap().json().await.unwrap();
    assert_eq!(all["total"], 8);
    let moderators: serde_json::Value =
        list("?role=moderator").await.unwrap().json().await.unwrap();
    assert_eq!(moderators["total"], 1);
    assert_eq!(moderators["items"][0]["email"], moderator.email);
    let inactive: serde_json::Value = list("?is_active=false")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inactive["total"], 1);
    assert_eq!(inactive["items"][0]["email"], pending);
    let by_email: serde_json::Value =
        list(&format!("?email={}", &users[2].email[..12].to_uppercase()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(by_email["total"], 1);
    assert_eq!(by_email["items"][0]["id"], users[2].id.to_string());
    let wildcard: serde_json::Value = list("?email=%25").await.unwrap().json().await.unwrap();
    assert_eq!(wildcard["total"], 0, "% is matched literally");

    let mut seen = Vec::new();
    for page in 1..=3 {
        let body: serde_json::Value = list(&format!("?per_page=3&page={page}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["pages"], 3);
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].clone()),
        );
    }
    seen.sort_by_key(|id| id.to_string());
    seen.dedup();
    assert_eq!(seen.len(), 8, "pages neither repeat nor skip");

    for query in [
        "?role=root",
        "?is_active=maybe",
        "?email=a%00b",
        "?per_page=101",
        "?page=0",
        "?colour=red",
    ] {
        problem(list(query).await.unwrap(), 422).await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn admins_change_roles_and_activate_by_hand(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let admin = app.make_user(Role::Admin).await;
    let pending = app.signed_up().await;
    let id: uuid::Uuid =
        sqlx::query_scalar("UPDATE users SET is_active = false WHERE email = $1 RETURNING id")
            .bind(&pending)
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    let change = |id: String, body: serde_json::Value| {
        app.patch(&format!("/admin/users/{id}"))
            .bearer_auth(&admin.token)
            .json(&body)
            .send()
    };

    let promoted = change(
        id.to_string(),
        json!({"role": "moderator", "is_active": true}),
    )
    .await
    .unwrap();
    assert_eq!(promoted.status(), 200);
    let body: serde_json::Value = promoted.json().await.unwrap();
    assert_eq!(
        (body["role"].as_str(), body["is_active"].as_bool()),
        (Some("moderator"), Some(true))
    );
    let pair = app
        .tokens(&pending, crate::support::accounts::STRONG_PASSWORD)
        .await;
    let me: serde_json::Value = app
        .me(pair["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "moderator");

    problem(
        change(uuid::Uuid::new_v4().to_string(), json!({"role": "user"}))
            .await
            .unwrap(),
        404,
    )
    .await;
    problem(
        change("not-a-uuid".into(), json!({"role": "user"}))
            .await
            .unwrap(),
        404,
    )
    .await;
    problem(
        change(id.to_string(), json!({"role": "root"}))
            .await
            .unwrap(),
        422,
    )
    .await;
    problem(
        change(admin.id.to_string(), json!({"role": "user"}))
            .await
            .unwrap(),
        409,
    )
    .await;
    problem(
        change(admin.id.to_string(), json!({"is_active": false}))
            .await
            .unwrap(),
        409,
    )
    .await;
}
