//! What the OpenAPI document states, the server holds to: requests the schema refuses are
//! refused, and requests it admits are taken (the fuzz stage, `make fuzz`, checks the rest).

use cinema_shared::auth::Role;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{TestApp, problem, users::TestUser};

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    who: &TestUser,
    path: &str,
    body: Value,
) -> reqwest::Response {
    app.request(method, path)
        .header("authorization", who.bearer())
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn field_of(response: reqwest::Response) -> String {
    let body = problem(response, 422).await;
    body["errors"][0]["field"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_body_must_be_a_json_object(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let admin = app.make_user(Role::Admin).await;
    let user = app.make_user(Role::User).await;
    // serde reads a struct from an array too: `[null, null]` was an empty change, answered 200.
    for (path, body) in [
        ("/users/me/profile".to_owned(), json!([null, null])),
        (format!("/admin/users/{}", user.id), json!([null, null])),
        ("/users/me/profile".to_owned(), json!(null)),
        (format!("/admin/users/{}", user.id), json!("user")),
    ] {
        let response = send(&app, reqwest::Method::PATCH, &admin, &path, body.clone()).await;
        assert_eq!(field_of(response).await, "body", "{path} {body}");
    }
    // A key given twice is named, rather than the last one silently winning.
    let response = app
        .patch(&format!("/admin/users/{}", user.id))
        .header("authorization", admin.bearer())
        .header("content-type", "application/json")
        .body(r#"{"role": "user", "role": "admin"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(field_of(response).await, "role");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_whole_number_may_be_written_with_a_fraction(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let me = app.make_user(Role::User).await;
    let path = format!("/movies/{}/rating", c.movie("D"));
    // JSON Schema's `integer` admits 5.0, and so does the API: it is the number 5.
    let response = send(
        &app,
        reqwest::Method::PUT,
        &me,
        &path,
        json!({"score": 5.0}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let state: Value = response.json().await.unwrap();
    assert_eq!(state["score"], 5);
    for score in [json!(5.5), json!(11.0), json!("5")] {
        let response = send(
            &app,
            reqwest::Method::PUT,
            &me,
            &path,
            json!({"score": score}),
        )
        .await;
        assert_eq!(field_of(response).await, "score", "{score}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn an_empty_query_value_counts_as_left_out_only_for_text(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let admin = app.make_user(Role::Admin).await;
    // `?page=` used to read as no page at all; the schema says a page is an integer.
    for (path, field) in [
        ("/genres?page=", "page"),
        ("/stars?per_page=", "per_page"),
        ("/movies?sort=", "sort"),
        ("/movies?year=", "year"),
        ("/admin/users?role=", "role"),
        ("/admin/users?is_active=", "is_active"),
        ("/admin/orders?user_id=", "user_id"),
        ("/admin/orders?from=", "from"),
    ] {
        let response = app
            .get(path)
            .header("authorization", admin.bearer())
            .send()
            .await
            .unwrap();
        assert_eq!(field_of(response).await, field, "{path}");
    }
    for path in ["/genres?name=", "/movies?search=", "/admin/users?email="] {
        let response = app
            .get(path)
            .header("authorization", admin.bearer())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn text_is_checked_as_sent_before_it_is_trimmed(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let moderator = app.make_user(Role::Moderator).await;
    // White space around a value is trimmed, but a control character is refused wherever it is,
    // and a length is counted as sent: what the schema's pattern and maxLength say.
    for name in [
        "\tFilm-Noir",
        "Film-Noir\n",
        &format!(" {}", "n".repeat(100)),
    ] {
        let response = send(
            &app,
            reqwest::Method::POST,
            &moderator,
            "/genres",
            json!({"name": name}),
        )
        .await;
        assert_eq!(field_of(response).await, "name", "{name:?}");
    }
    let response = send(
        &app,
        reqwest::Method::POST,
        &moderator,
        "/genres",
        json!({"name": "  Film-Noir "}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let genre: Value = response.json().await.unwrap();
    assert_eq!(genre["name"], "Film-Noir");

    for name in ["\tAnn", "Ann\u{a0}", "Ann2"] {
        let response = send(
            &app,
            reqwest::Method::PATCH,
            &moderator,
            "/users/me/profile",
            json!({"first_name": name}),
        )
        .await;
        assert_eq!(field_of(response).await, "first_name", "{name:?}");
    }
    let response = send(
        &app,
        reqwest::Method::PATCH,
        &moderator,
        "/users/me/profile",
        json!({"first_name": " Zoë ", "last_name": "प्रिया"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["profile"]["first_name"], "Zoë");
    assert_eq!(me["profile"]["last_name"], "प्रिया");

    let response = app
        .post("/auth/login")
        .json(&json!({"email": "\tann@example.com", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_of(response).await, "email");
}

#[sqlx::test(migrations = "../migrations")]
async fn amounts_and_scores_take_one_plain_decimal_shape(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let path = format!("/movies/{}", c.movie("D"));
    // A decimal parser alone also takes signs, underscores and trailing places.
    for price in ["9.990", "+9.99", "1_000", "09.99", " 9.99", "123456789"] {
        let response = send(
            &app,
            reqwest::Method::PATCH,
            &moderator,
            &path,
            json!({"price": price}),
        )
        .await;
        assert_eq!(field_of(response).await, "price", "{price:?}");
    }
    let response = send(
        &app,
        reqwest::Method::PATCH,
        &moderator,
        &path,
        json!({"price": "12", "gross": "0.5"}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let movie: Value = response.json().await.unwrap();
    assert_eq!(movie["price"], "12.00");
    assert_eq!(movie["gross"], "0.50");

    for (query, field) in [
        ("imdb_min=7.55", "imdb_min"),
        ("imdb_max=+7", "imdb_max"),
        ("price_min=1_0", "price_min"),
        ("price_max=-0", "price_max"),
    ] {
        let response = app.get(&format!("/movies?{query}")).send().await.unwrap();
        assert_eq!(field_of(response).await, field, "{query}");
    }
    let response = app
        .get("/movies?imdb_min=7&imdb_max=10.0&price_max=99999999.99")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
