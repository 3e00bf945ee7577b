//! Movie files (a moderator's upload, an owner's stream with HTTP ranges), the moderators'
//! payment list and the sales report.

use chrono::{Duration, Utc};
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

/// A movie's price now.
async fn price_of(db: &PgPool, movie: Uuid) -> rust_decimal::Decimal {
    sqlx::query_scalar("SELECT price FROM movies WHERE id = $1")
        .bind(movie)
        .fetch_one(db)
        .await
        .unwrap()
}

/// Records that `who` paid for `movies` at `paid_at` (and was refunded at `refunded_at`), as
/// the webhooks would.
async fn paid(
    app: &TestApp,
    who: &TestUser,
    movies: &[Uuid],
    paid_at: &str,
    refunded_at: Option<&str>,
) {
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
                    CASE WHEN $3::timestamptz IS NULL THEN 'successful' ELSE 'refunded'
                    END::payment_status,
                    $2::timestamptz
             FROM orders WHERE id = $1 RETURNING id, created_at)
         INSERT INTO payment_items (payment_id, position, movie_id, name, price, paid_at,
                                    refunded, refunded_at)
         SELECT p.id, oi.position, oi.movie_id, oi.name, oi.price_at_order, p.created_at,
                $3::timestamptz IS NOT NULL, $3::timestamptz
         FROM p, order_items oi WHERE oi.order_id = $1",
    )
    .bind(order)
    .bind(paid_at)
    .bind(refunded_at)
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
    // Until the movie takes the file up (on AWS, at S3's event) there is nothing to stream.
    problem(stream(&app, &ann, movie).await, 404).await;
    assert_eq!(app.sweep_uploads().await, 1);

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
    assert_eq!(app.sweep_uploads().await, 1);
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
    paid(&app, &ann, &[a, b], "2026-11-01T10:00:00Z", None).await;
    let refunded_at = Some("2026-11-02T16:00:00Z");
    paid(&app, &bob, &[a], "2026-11-02T10:00:00Z", refunded_at).await;
    paid(&app, &bob, &[d], "2026-12-05T10:00:00Z", None).await;
    let price = |id| price_of(&app.state.db, id);
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
    let groups = days["groups"]["items"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{days}");
    assert_eq!(days["groups"]["total"], 2);
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
    let line_a = movies["groups"]["items"]
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
    let line = genres["groups"]["items"]
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
        "group_by=movie&per_page=101",
        "group_by=day&page=0",
    ] {
        problem(
            get(format!("/admin/sales?{bad}"), moderator.clone()).await,
            422,
        )
        .await;
    }

    // Far ends of the calendar and pages past the end are answered, empty.
    for edge in [
        "to=2000-01-01T00:00:00Z",
        "from=0000-01-01T00:00:00Z&to=0001-01-01T00:00:00Z",
        "from=9999-01-01T00:00:00Z&to=9999-12-31T23:59:59Z&group_by=genre",
        "group_by=movie&page=9223372036854775807&per_page=100",
    ] {
        let report = json_of(
            get(format!("/admin/sales?{edge}"), moderator.clone()).await,
            200,
        )
        .await;
        assert_eq!(report["groups"]["items"], json!([]), "{edge}: {report}");
    }

    // Hostile values: a 422 naming the field.
    let long = "x".repeat(3000);
    for (bad, field) in [
        ("from=%00".to_owned(), "from"),
        (format!("to={long}"), "to"),
        (format!("group_by={long}"), "group_by"),
        ("group_by=%E2%98%83%F0%9F%8E%AC".to_owned(), "group_by"),
        ("page=abc".to_owned(), "page"),
        ("per_page=0".to_owned(), "per_page"),
    ] {
        let body = problem(
            get(format!("/admin/sales?{bad}"), moderator.clone()).await,
            422,
        )
        .await;
        assert_eq!(body["errors"][0]["field"], field, "{bad:.40}: {body}");
    }

    // A moderator demoted, deactivated or signed out is refused at once.
    for ended in [
        "UPDATE users SET role = 'user' WHERE id = $1",
        "UPDATE users SET deactivated_at = now(), is_active = false WHERE id = $1",
        "UPDATE login_sessions SET revoked_at = now() WHERE user_id = $1",
    ] {
        let former = app.make_user(Role::Moderator).await;
        assert_eq!(
            get("/admin/sales".into(), former.clone()).await.status(),
            200
        );
        sqlx::query(ended)
            .bind(former.id)
            .execute(&app.state.db)
            .await
            .unwrap();
        let status = if ended.contains("role") { 403 } else { 401 };
        problem(get("/admin/sales".into(), former).await, status).await;
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

/// The report reads the days that are over from the janitor's running totals: every grouping
/// and range reads the same before and after the fold, a refund counts on the day it was paid
/// back, a movie deleted after its days were folded keeps its line, and pages follow the
/// busiest first.
#[sqlx::test(migrations = "../migrations")]
async fn sales_read_the_same_from_the_running_totals(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let buyers = [
        app.make_user(Role::User).await,
        app.make_user(Role::User).await,
        app.make_user(Role::User).await,
        app.make_user(Role::User).await,
        app.make_user(Role::User).await,
    ];
    let (a, b, d, f) = (c.movie("A"), c.movie("B"), c.movie("D"), c.movie("F"));
    let today = Utc::now().date_naive();
    let at = |days_ago: i64, time: &str| format!("{}T{time}Z", today - Duration::days(days_ago));
    paid(&app, &buyers[0], &[a, b], &at(6, "10:00:00"), None).await;
    let refund = at(3, "15:00:00");
    paid(&app, &buyers[1], &[a], &at(5, "09:00:00"), Some(&refund)).await;
    paid(&app, &buyers[2], &[d, f], &at(2, "23:30:00"), None).await;
    let just_now = (Utc::now() - Duration::seconds(5)).to_rfc3339();
    paid(&app, &buyers[3], &[b], &just_now, None).await;
    // Minutes ago: the tail of today's sales that reports reaching the present read.
    let minutes_ago = |minutes| (Utc::now() - Duration::minutes(minutes)).to_rfc3339();
    let (tail_sale, tail_refund) = (minutes_ago(20), minutes_ago(10));
    paid(&app, &buyers[4], &[f], &tail_sale, Some(&tail_refund)).await;

    let ranges = [
        (at(7, "00:00:00"), at(-1, "00:00:00")),
        (at(5, "12:00:00"), at(2, "23:45:00")),
        (at(3, "00:00:00"), at(2, "00:00:00")),
        (at(400, "00:00:00"), at(300, "00:00:00")),
        (at(6, "09:59:00"), at(6, "10:01:00")),
        (at(2, "00:00:00"), at(-1, "00:00:00")),
        (at(3, "16:00:00"), at(1, "12:00:00")),
    ];
    let report = |from: &str, to: &str, group: &str| {
        let request = app
            .get(&format!(
                "/admin/sales?from={from}&to={to}&group_by={group}&per_page=100"
            ))
            .bearer_auth(&moderator.token);
        async move { json_of(request.send().await.unwrap(), 200).await }
    };
    let mut unfolded = Vec::new();
    for (from, to) in &ranges {
        for group in ["day", "movie", "genre"] {
            unfolded.push(report(from, to, group).await);
        }
    }

    // Two janitors at once fold each day once: from the first sale's day to yesterday (or the
    // day before, in the hour after midnight).
    let (first, second) =
        tokio::join!(cinema_janitor::run(&db, 100), cinema_janitor::run(&db, 100));
    let folded = first.unwrap().sales_days_folded + second.unwrap().sales_days_folded;
    assert!((5..=6).contains(&folded), "{folded} days folded");
    let midnights: i64 = sqlx::query_scalar("SELECT count(*) FROM sales_totals")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(midnights, i64::from(folded) + 1, "each midnight once");

    let mut reports = unfolded.iter();
    for (from, to) in &ranges {
        for group in ["day", "movie", "genre"] {
            let folded = report(from, to, group).await;
            assert_eq!(
                &folded,
                reports.next().unwrap(),
                "{group} from {from} to {to}"
            );
        }
    }
    // Ranges reaching the present read today's sales up to a minute or two ago from a tail (by
    // movie, from a span to that minute), made by the first report that needed it.
    let tail_due: bool = sqlx::query_scalar(
        "SELECT w > (SELECT max(day) FROM sales_totals)::timestamp AT TIME ZONE 'UTC'
                AND w <> date_trunc('day', w AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
         FROM (SELECT date_trunc('minute', now() - interval '2 minutes') AS w) fresh",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    if tail_due {
        let (tails, spans): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM sales_tails),
                    (SELECT count(*) FROM sales_movie_spans_kept
                     WHERE until <> date_trunc('day', until AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert!(
            tails >= 1 && spans >= 1,
            "{tails} tails, {spans} spans to a minute"
        );
    }
    // A report that finds another one making the tail or span it wants reads an older one (by
    // movie, to the last midnight) or none, without waiting, and reads the same.
    let (week_from, week_to) = &ranges[0];
    sqlx::query("SELECT * FROM sales_report_span($1, $2, true, 32)")
        .bind(today - Duration::days(7))
        .bind(today.and_hms_opt(0, 0, 0).unwrap().and_utc())
        .execute(&db)
        .await
        .unwrap();
    let mut maker = db.acquire().await.unwrap();
    for statement in [
        "SELECT pg_advisory_lock(20261207, 0), pg_advisory_lock(20261206, 0)",
        "DELETE FROM sales_tails",
        "DELETE FROM sales_movie_spans
         WHERE until <> date_trunc('day', until AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
        "DELETE FROM sales_movie_spans_kept
         WHERE until <> date_trunc('day', until AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'",
    ] {
        sqlx::query(statement).execute(&mut *maker).await.unwrap();
    }
    for (group, unfolded) in ["day", "movie", "genre"].iter().zip(&unfolded) {
        assert_eq!(
            &report(week_from, week_to, group).await,
            unfolded,
            "{group}"
        );
    }
    sqlx::query("SELECT pg_advisory_unlock_all()")
        .execute(&mut *maker)
        .await
        .unwrap();
    drop(maker);

    // Pages of one movie, read from the kept span and the edges: the unfolded list, line by
    // line, with its number of groups.
    for ((from, to), whole) in ranges.iter().zip(unfolded.iter().skip(1).step_by(3)) {
        let items = whole["groups"]["items"].as_array().unwrap();
        for (index, expected) in items.iter().enumerate() {
            let one = json_of(
                app.get(&format!(
                    "/admin/sales?from={from}&to={to}&group_by=movie&per_page=1&page={}",
                    index + 1
                ))
                .bearer_auth(&moderator.token)
                .send()
                .await
                .unwrap(),
                200,
            )
            .await;
            assert_eq!(
                &one["groups"]["items"][0], expected,
                "{from} to {to}, line {index}"
            );
            assert_eq!(one["groups"]["total"], items.len(), "{from} to {to}");
        }
    }

    let price = |id| price_of(&db, id);
    let (pa, pb, pd, pf) = (
        price(a).await,
        price(b).await,
        price(d).await,
        price(f).await,
    );
    let days = report(week_from, week_to, "day").await;
    let keys: Vec<&str> = days["groups"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["key"].as_str().unwrap())
        .collect();
    let day = |days_ago: i64| (today - Duration::days(days_ago)).to_string();
    let mut expected = vec![day(6), day(5), day(3), day(2)];
    for recent in [&tail_sale, &tail_refund, &just_now] {
        let recent_day = recent[..10].to_string();
        if !expected.contains(&recent_day) {
            expected.push(recent_day);
        }
    }
    assert_eq!(keys, expected, "in date order, days without sales left out");
    let refund_day = &days["groups"]["items"][2];
    assert_eq!(refund_day["revenue"], "0.00", "{refund_day}");
    assert_eq!(refund_day["refunds"], pa.to_string());
    assert_eq!(refund_day["net"], (-pa).to_string());
    assert_eq!(
        (
            refund_day["units"].as_i64(),
            refund_day["refunded_units"].as_i64()
        ),
        (Some(0), Some(1))
    );
    let week_revenue = pa + pb + pa + pd + pf + pb + pf;
    assert_eq!(days["totals"]["revenue"], week_revenue.to_string());
    assert_eq!(days["totals"]["net"], (week_revenue - pa - pf).to_string());
    assert_eq!(days["totals"]["units"], 7);
    assert_eq!(days["totals"]["refunded_units"], 2);

    // The refund's day alone: the refund, and no sale.
    let (refund_from, refund_to) = &ranges[2];
    let movies = report(refund_from, refund_to, "movie").await;
    assert_eq!(movies["groups"]["total"], 1, "{movies}");
    assert_eq!(movies["groups"]["items"][0]["key"], a.to_string());
    assert_eq!(movies["totals"]["net"], (-pa).to_string());

    // A movie deleted after its day was folded keeps its line and its name.
    sqlx::query("DELETE FROM movies WHERE id = $1")
        .bind(d)
        .execute(&db)
        .await
        .unwrap();
    let movies = report(week_from, week_to, "movie").await;
    let line_d = movies["groups"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["key"] == d.to_string())
        .unwrap_or_else(|| panic!("the deleted movie's line: {movies}"));
    assert_eq!(line_d["label"], "Delta Night");
    assert_eq!(line_d["revenue"], pd.to_string());

    // Pages of one: the busiest first, each movie once.
    let mut seen = Vec::new();
    for page in 1..=4 {
        let one = json_of(
            app.get(&format!(
                "/admin/sales?from={week_from}&to={week_to}&group_by=movie&per_page=1&page={page}"
            ))
            .bearer_auth(&moderator.token)
            .send()
            .await
            .unwrap(),
            200,
        )
        .await;
        assert_eq!(one["groups"]["total"], 4, "{one}");
        assert_eq!(one["groups"]["pages"], 4);
        let line = &one["groups"]["items"][0];
        assert_eq!(line, &movies["groups"]["items"][page - 1]);
        seen.push(line["key"].as_str().unwrap().to_owned());
    }
    seen.dedup();
    assert_eq!(seen.len(), 4);
    let revenues: Vec<f64> = movies["groups"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["revenue"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        revenues.windows(2).all(|pair| pair[0] >= pair[1]),
        "{revenues:?}"
    );

    // The spans kept for the report by movie: only so many; one pushed out is made again, and
    // its report reads the same.
    let spans = [(7, 1), (6, 2), (5, 1)];
    for (first, last) in spans {
        sqlx::query("SELECT * FROM sales_report_span($1, $2, true, 2)")
            .bind(today - Duration::days(first))
            .bind(
                (today - Duration::days(last))
                    .and_hms_opt(0, 0, 0)
                    .unwrap()
                    .and_utc(),
            )
            .execute(&db)
            .await
            .unwrap();
    }
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM sales_movie_spans_kept")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(kept, 2);
    assert_eq!(report(week_from, week_to, "movie").await, movies);
}
