//! Movie files (a moderator's upload, an owner's stream with HTTP ranges), the moderators'
//! payment list and the sales report.

use cinema_shared::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{TestApp, problem, users::TestUser};

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "unexpected status: {body}");
    body
}

async fn media(app: &TestApp, who: &TestUser, movie: Uuid, body: Value) -> reqwest::Response {
    app.post(&format!("/movies/{movie}/media"))
        .bearer_auth(&who.token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn stream(app: &TestApp, who: &TestUser, movie: Uuid) -> reqwest::Response {
    app.get(&format!("/movies/{movie}/stream"))
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap()
}

/// Records that `who` paid for `movies` at `paid_at`, as the webhook would.
async fn paid(app: &TestApp, who: &TestUser, movies: &[Uuid], paid_at: &str, refunded: bool) {
    let order: Uuid = sqlx::query_scalar(
        "WITH o AS (
             INSERT INTO orders (user_id, total, currency, status, created_at)
             SELECT $1, sum(price), 'USD', 'paid', $3::timestamptz FROM movies WHERE id = ANY($2)
             RETURNING id),
         items AS (
             INSERT INTO order_items (order_id, user_id, movie_id, name, price_at_order, position)
             SELECT o.id, $1, m.id, m.name, m.price, row_number() OVER (ORDER BY m.id)
             FROM o, movies m WHERE m.id = ANY($2))
         SELECT id FROM o",
    )
    .bind(who.id)
    .bind(movies)
    .bind(paid_at)
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    sqlx::query(
        "WITH p AS (
             INSERT INTO payments (order_id, user_id, amount, currency, status, created_at)
             SELECT id, user_id, total, currency,
                    CASE WHEN $3 THEN 'refunded' ELSE 'successful' END::payment_status,
                    $2::timestamptz
             FROM orders WHERE id = $1 RETURNING id, created_at)
         INSERT INTO payment_items (payment_id, position, movie_id, name, price, paid_at, refunded)
         SELECT p.id, oi.position, oi.movie_id, oi.name, oi.price_at_order, p.created_at, $3
         FROM p, order_items oi WHERE oi.order_id = $1",
    )
    .bind(order)
    .bind(paid_at)
    .bind(refunded)
    .execute(&app.state.db)
    .await
    .unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn moderators_upload_and_owners_stream(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let ann = app.make_user(Role::User).await;
    let bob = app.make_user(Role::User).await;
    let movie = c.movie("A");

    // Nobody streams a movie with no video; a non-owner is refused first.
    sqlx::query("INSERT INTO purchases (user_id, movie_id) VALUES ($1, $2)")
        .bind(ann.id)
        .bind(movie)
        .execute(&app.state.db)
        .await
        .unwrap();
    problem(stream(&app, &ann, movie).await, 404).await;
    problem(stream(&app, &bob, movie).await, 403).await;

    // Only moderators upload, only the allowed types and sizes.
    let video = json!({"kind": "video", "content_type": "video/mp4", "content_length": 64});
    problem(media(&app, &ann, movie, video.clone()).await, 403).await;
    problem(
        media(&app, &moderator, Uuid::new_v4(), video.clone()).await,
        404,
    )
    .await;
    for (bad, field) in [
        (
            json!({"kind": "video", "content_type": "image/png", "content_length": 64}),
            "content_type",
        ),
        (
            json!({"kind": "poster", "content_type": "video/mp4", "content_length": 64}),
            "content_type",
        ),
        (
            json!({"kind": "poster", "content_type": "image/png", "content_length": 5 * 1024 * 1024 + 1}),
            "content_length",
        ),
        (
            json!({"kind": "video", "content_type": "video/mp4", "content_length": 0}),
            "content_length",
        ),
    ] {
        let body = problem(media(&app, &moderator, movie, bad).await, 422).await;
        assert_eq!(body["errors"][0]["field"], field, "{body}");
    }
    problem(
        media(
            &app,
            &moderator,
            movie,
            json!({"kind": "audio", "content_type": "video/mp4", "content_length": 1}),
        )
        .await,
        422,
    )
    .await;

    let upload = json_of(media(&app, &moderator, movie, video).await, 200).await;
    let key = upload["key"].as_str().unwrap();
    assert!(key.starts_with(&format!("movies/{movie}/video/")));
    let file: Vec<u8> = (0..64u8).collect();
    let mut put = app.http.put(upload["upload_url"].as_str().unwrap());
    for (name, value) in upload["headers"].as_object().unwrap() {
        put = put.header(name, value.as_str().unwrap());
    }
    assert_eq!(put.body(file.clone()).send().await.unwrap().status(), 200);

    // The owner gets a link that serves ranges; others still do not.
    let link = json_of(stream(&app, &ann, movie).await, 200).await;
    let url = link["url"].as_str().unwrap();
    let whole = app.http.get(url).send().await.unwrap();
    assert_eq!(whole.bytes().await.unwrap().as_ref(), file.as_slice());
    let part = app
        .http
        .get(url)
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.bytes().await.unwrap().as_ref(), &file[10..20]);
    problem(stream(&app, &bob, movie).await, 403).await;
    let anonymous = app
        .get(&format!("/movies/{movie}/stream"))
        .send()
        .await
        .unwrap();
    problem(anonymous, 401).await;
    // Ownership revoked (a refund): no more links.
    sqlx::query("DELETE FROM purchases WHERE user_id = $1")
        .bind(ann.id)
        .execute(&app.state.db)
        .await
        .unwrap();
    problem(stream(&app, &ann, movie).await, 403).await;

    // A poster: the detail and the lists link to it once it is uploaded; others show none.
    let detail = app.list_as(&format!("/movies/{movie}"), None).await;
    assert!(detail["poster_url"].is_null());
    let poster = json!({"kind": "poster", "content_type": "image/png", "content_length": 8});
    let upload = json_of(media(&app, &moderator, movie, poster).await, 200).await;
    let mut put = app.http.put(upload["upload_url"].as_str().unwrap());
    for (name, value) in upload["headers"].as_object().unwrap() {
        put = put.header(name, value.as_str().unwrap());
    }
    let image = vec![9u8; 8];
    assert_eq!(put.body(image.clone()).send().await.unwrap().status(), 200);
    let detail = app.list_as(&format!("/movies/{movie}"), None).await;
    let link = detail["poster_url"].as_str().expect("a poster link");
    let fetched = app.http.get(link).send().await.unwrap();
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), image.as_slice());
    assert!(detail.get("poster_key").is_none(), "the key stays inside");
    let list = app.list_as("/movies?per_page=100", None).await;
    for item in list["items"].as_array().unwrap() {
        let has_poster = item["id"] == movie.to_string();
        assert_eq!(item["poster_url"].is_string(), has_poster, "{item}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn moderators_see_payments_and_sales(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let ann = app.make_user(Role::User).await;
    let bob = app.make_user(Role::User).await;
    let (a, b, d) = (c.movie("A"), c.movie("B"), c.movie("D"));
    paid(&app, &ann, &[a, b], "2026-11-01T10:00:00Z", false).await;
    paid(&app, &bob, &[a], "2026-11-02T10:00:00Z", true).await;
    paid(&app, &bob, &[d], "2026-12-05T10:00:00Z", false).await;
    let price = |id: Uuid| {
        let db = app.state.db.clone();
        async move {
            sqlx::query_scalar::<_, rust_decimal::Decimal>("SELECT price FROM movies WHERE id = $1")
                .bind(id)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    let (pa, pb) = (price(a).await, price(b).await);

    let get = |path: String, who: TestUser| {
        let request = app.get(&path).bearer_auth(who.token);
        async move { request.send().await.unwrap() }
    };
    problem(get("/admin/sales".into(), ann.clone()).await, 403).await;
    problem(get("/admin/payments".into(), ann.clone()).await, 403).await;

    let november = "from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z";
    let days = json_of(
        get(
            format!("/admin/sales?{november}&group_by=day"),
            moderator.clone(),
        )
        .await,
        200,
    )
    .await;
    let groups = days["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{days}");
    assert_eq!(groups[0]["key"], "2026-11-01");
    assert_eq!(groups[0]["revenue"], (pa + pb).to_string());
    assert_eq!(groups[0]["units"], 2);
    assert_eq!(groups[1]["refunds"], pa.to_string());
    assert_eq!(groups[1]["net"], "0.00");
    assert_eq!(days["totals"]["revenue"], (pa + pa + pb).to_string());
    assert_eq!(days["totals"]["net"], (pa + pb).to_string());
    assert_eq!(days["totals"]["units"], 3);
    assert_eq!(days["totals"]["refunded_units"], 1);

    let movies = json_of(
        get(
            format!("/admin/sales?{november}&group_by=movie"),
            moderator.clone(),
        )
        .await,
        200,
    )
    .await;
    let line_a = movies["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["key"] == a.to_string())
        .unwrap()
        .clone();
    assert_eq!(line_a["units"], 2);
    assert_eq!(line_a["refunded_units"], 1);
    assert_eq!(line_a["label"], "Alpha Signal");
    let genres = json_of(
        get(
            format!("/admin/sales?{november}&group_by=genre"),
            moderator.clone(),
        )
        .await,
        200,
    )
    .await;
    let sci_fi = c.genres["Sci-Fi"].to_string();
    let line = genres["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["key"] == sci_fi)
        .unwrap()
        .clone();
    assert_eq!(line["units"], 2, "A (twice) is Sci-Fi: {genres}");

    for bad in [
        "group_by=week",
        "from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z",
        "from=yesterday",
        "from=2000-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
    ] {
        problem(
            get(format!("/admin/sales?{bad}"), moderator.clone()).await,
            422,
        )
        .await;
    }

    let all = json_of(get("/admin/payments".into(), moderator.clone()).await, 200).await;
    assert_eq!(all["total"], 3);
    assert_eq!(all["items"][0]["email"], bob.email.as_str(), "newest first");
    let refunded = json_of(
        get("/admin/payments?status=refunded".into(), moderator.clone()).await,
        200,
    )
    .await;
    assert_eq!(refunded["total"], 1);
    let anns = json_of(
        get(
            format!("/admin/payments?user_id={}", ann.id),
            moderator.clone(),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(anns["total"], 1);
    assert_eq!(anns["items"][0]["items"].as_array().unwrap().len(), 2);
    problem(
        get("/admin/payments?status=lost".into(), moderator.clone()).await,
        422,
    )
    .await;
    // Someone's own list holds only their payments.
    let own = json_of(
        app.request(Method::GET, "/payments")
            .bearer_auth(&ann.token)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(own["total"], 1);
}
