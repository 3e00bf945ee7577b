//! The cart and orders: what goes in, what an order takes and leaves out, who sees what, and
//! that concurrent orders never hold one movie twice.

use cinema_shared::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{TestApp, catalog::Catalog, problem, users::TestUser};

async fn call(app: &TestApp, method: Method, path: &str, who: &TestUser) -> reqwest::Response {
    app.request(method, path)
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap()
}

async fn add(app: &TestApp, who: &TestUser, movie: Uuid) -> reqwest::Response {
    app.post("/cart/items")
        .bearer_auth(&who.token)
        .json(&json!({"movie_id": movie}))
        .send()
        .await
        .unwrap()
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    response.json().await.unwrap()
}

fn movie_ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["movie_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn own(app: &TestApp, who: &TestUser, movie: Uuid) {
    sqlx::query("INSERT INTO purchases (user_id, movie_id) VALUES ($1, $2)")
        .bind(who.id)
        .bind(movie)
        .execute(&app.state.db)
        .await
        .unwrap();
}

async fn price_of(c: &Catalog, app: &TestApp, key: &str) -> String {
    sqlx::query_scalar("SELECT price::text FROM movies WHERE id = $1")
        .bind(c.movie(key))
        .fetch_one(&app.state.db)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_cart_takes_what_can_be_bought_once(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let (a, b) = (c.movie("A"), c.movie("B"));

    let anonymous = app
        .post("/cart/items")
        .json(&json!({"movie_id": a}))
        .send()
        .await
        .unwrap();
    let body = problem(anonymous, 401).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("sign up or log in")
    );

    let cart = json_of(add(&app, &ann, a).await, 201).await;
    assert_eq!(movie_ids(&cart["items"]), [a.to_string()]);
    add(&app, &ann, b).await;
    let cart = json_of(call(&app, Method::GET, "/cart", &ann).await, 200).await;
    assert_eq!(movie_ids(&cart["items"]), [a.to_string(), b.to_string()]);
    let item = &cart["items"][0];
    assert_eq!(item["name"], "Alpha Signal");
    assert_eq!(item["price"], price_of(&c, &app, "A").await);
    assert_eq!(item["is_available"], true);
    assert!(item["excluded_reason"].is_null());
    // Year and genres as the catalog shows them, the time as stored.
    let detail = json_of(app.get(&format!("/movies/{a}")).send().await.unwrap(), 200).await;
    assert!(!item["genres"].as_array().unwrap().is_empty());
    assert_eq!(
        (&item["year"], &item["genres"]),
        (&detail["year"], &detail["genres"])
    );
    let added_at: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT added_at FROM cart_items WHERE user_id = $1 AND movie_id = $2")
            .bind(ann.id)
            .bind(a)
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(
        item["added_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        added_at
    );
    assert_eq!(cart["currency"], "USD");
    let expected_total: String =
        sqlx::query_scalar("SELECT sum(price)::text FROM movies WHERE id = ANY($1)")
            .bind(&[a, b][..])
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(cart["total"], expected_total);

    let again = problem(add(&app, &ann, a).await, 409).await;
    assert_eq!(again["reason"], "in_cart");
    own(&app, &ann, c.movie("C")).await;
    let owned = problem(add(&app, &ann, c.movie("C")).await, 409).await;
    assert_eq!(owned["reason"], "already_purchased");
    assert!(owned["detail"].as_str().unwrap().contains("own"));
    sqlx::query("UPDATE movies SET is_available = false WHERE id = $1")
        .bind(c.movie("D"))
        .execute(&app.state.db)
        .await
        .unwrap();
    let unavailable = problem(add(&app, &ann, c.movie("D")).await, 409).await;
    assert_eq!(unavailable["reason"], "unavailable");
    problem(add(&app, &ann, Uuid::new_v4()).await, 404).await;
    for body in [
        json!({}),
        json!({"movie_id": "nope"}),
        json!({"movie_id": a, "x": 1}),
    ] {
        let response = app
            .post("/cart/items")
            .bearer_auth(&ann.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        problem(response, 422).await;
    }

    // Remove one, then clear.
    assert_eq!(
        call(&app, Method::DELETE, &format!("/cart/items/{a}"), &ann)
            .await
            .status(),
        204
    );
    problem(
        call(&app, Method::DELETE, &format!("/cart/items/{a}"), &ann).await,
        404,
    )
    .await;
    assert_eq!(
        call(&app, Method::DELETE, "/cart", &ann).await.status(),
        204
    );
    let empty = json_of(call(&app, Method::GET, "/cart", &ann).await, 200).await;
    assert_eq!(
        (
            empty["items"].as_array().unwrap().len(),
            empty["total"].as_str()
        ),
        (0, Some("0.00"))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn carts_are_private_and_moderators_can_look(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let bo = app.make_user(Role::User).await;
    let moderator = app.make_user(Role::Moderator).await;
    add(&app, &ann, c.movie("A")).await;
    let bo_cart = json_of(call(&app, Method::GET, "/cart", &bo).await, 200).await;
    assert!(bo_cart["items"].as_array().unwrap().is_empty());
    // Bo removing Ann's movie touches only Bo's own (empty) cart.
    problem(
        call(
            &app,
            Method::DELETE,
            &format!("/cart/items/{}", c.movie("A")),
            &bo,
        )
        .await,
        404,
    )
    .await;

    let path = format!("/admin/carts/{}", ann.id);
    problem(call(&app, Method::GET, &path, &bo).await, 403).await;
    let seen = json_of(call(&app, Method::GET, &path, &moderator).await, 200).await;
    assert_eq!(movie_ids(&seen["items"]), [c.movie("A").to_string()]);
    problem(
        call(
            &app,
            Method::GET,
            &format!("/admin/carts/{}", Uuid::new_v4()),
            &moderator,
        )
        .await,
        404,
    )
    .await;
    problem(app.get("/cart").send().await.unwrap(), 401).await;
}

/// The cart, ordering and the own histories check the account and the session in their own
/// statements (no separate round trip): a logout or a ban holds at once there, and a refused
/// order writes nothing.
#[sqlx::test(migrations = "../migrations")]
async fn an_ended_session_neither_reads_nor_orders_the_cart(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let (ended, banned) = (
        app.make_user(Role::User).await,
        app.make_user(Role::User).await,
    );
    for who in [&ended, &banned] {
        assert_eq!(add(&app, who, c.movie("A")).await.status(), 201);
        let cart = json_of(call(&app, Method::GET, "/cart", who).await, 200).await;
        assert_eq!(movie_ids(&cart["items"]), [c.movie("A").to_string()]);
    }
    app.end_sessions(&ended).await;
    app.deactivate_leaving_sessions(&banned).await;
    for who in [&ended, &banned] {
        for (method, path) in [
            (Method::GET, "/cart"),
            (Method::POST, "/orders"),
            (Method::GET, "/orders"),
            (Method::GET, "/payments"),
        ] {
            let body = problem(call(&app, method.clone(), path, who).await, 401).await;
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("session has ended or the account is not active"),
                "{method} {path}: {body}"
            );
        }
        let (orders, in_cart): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM orders WHERE user_id = $1),
                    (SELECT count(*) FROM cart_items WHERE user_id = $1)",
        )
        .bind(who.id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
        assert_eq!((orders, in_cart), (0, 1), "a refused order wrote nothing");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn an_order_takes_the_orderable_movies_and_reports_the_rest(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    problem(call(&app, Method::POST, "/orders", &ann).await, 422).await;

    for key in ["A", "B", "C", "D"] {
        add(&app, &ann, c.movie(key)).await;
    }
    // C owned since it went in the cart, D withdrawn from sale.
    own(&app, &ann, c.movie("C")).await;
    sqlx::query("UPDATE movies SET is_available = false WHERE id = $1")
        .bind(c.movie("D"))
        .execute(&app.state.db)
        .await
        .unwrap();
    let price_a = price_of(&c, &app, "A").await;
    let order = json_of(call(&app, Method::POST, "/orders", &ann).await, 201).await;
    assert_eq!(order["status"], "pending");
    assert_eq!(
        movie_ids(&order["items"]),
        [c.movie("A").to_string(), c.movie("B").to_string()]
    );
    assert_eq!(order["items"][0]["price_at_order"], price_a);
    let total: String =
        sqlx::query_scalar("SELECT sum(price)::text FROM movies WHERE id = ANY($1)")
            .bind(&[c.movie("A"), c.movie("B")][..])
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(order["total"], total);
    let reasons: Vec<(String, String)> = order["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["movie_id"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            (c.movie("C").to_string(), "already_purchased".to_owned()),
            (c.movie("D").to_string(), "unavailable".to_owned())
        ]
    );
    // The ordered movies left the cart; the excluded ones stay, with their reason.
    let cart = json_of(call(&app, Method::GET, "/cart", &ann).await, 200).await;
    assert_eq!(
        movie_ids(&cart["items"]),
        [c.movie("C").to_string(), c.movie("D").to_string()]
    );
    assert_eq!(cart["items"][0]["excluded_reason"], "already_purchased");
    assert_eq!(cart["items"][1]["excluded_reason"], "unavailable");
    // Nothing orderable left: a 422 that says why.
    let refused = problem(call(&app, Method::POST, "/orders", &ann).await, 422).await;
    assert_eq!(refused["excluded"].as_array().unwrap().len(), 2);

    // A movie of a pending order put back in the cart is left out as in_pending_order.
    add(&app, &ann, c.movie("A")).await;
    add(&app, &ann, c.movie("E")).await;
    let second = json_of(call(&app, Method::POST, "/orders", &ann).await, 201).await;
    assert_eq!(movie_ids(&second["items"]), [c.movie("E").to_string()]);
    assert!(
        second["excluded"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["movie_id"] == c.movie("A").to_string() && e["reason"] == "in_pending_order")
    );

    // Prices are snapshots: a later price change leaves the order as it was.
    sqlx::query("UPDATE movies SET price = price + 5 WHERE id = $1")
        .bind(c.movie("A"))
        .execute(&app.state.db)
        .await
        .unwrap();
    let id = order["id"].as_str().unwrap();
    let read = json_of(
        call(&app, Method::GET, &format!("/orders/{id}"), &ann).await,
        200,
    )
    .await;
    assert_eq!(read["items"][0]["price_at_order"], price_a);
    assert_eq!(read["total"], total);
    assert!(read.get("excluded").is_none());
}

#[sqlx::test(migrations = "../migrations")]
async fn orders_are_listed_newest_first_and_private(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let bo = app.make_user(Role::User).await;
    let moderator = app.make_user(Role::Moderator).await;
    let mut ids = Vec::new();
    for key in ["A", "B", "C"] {
        add(&app, &ann, c.movie(key)).await;
        let order = json_of(call(&app, Method::POST, "/orders", &ann).await, 201).await;
        ids.push(order["id"].as_str().unwrap().to_owned());
    }
    add(&app, &bo, c.movie("A")).await;
    let bo_order = json_of(call(&app, Method::POST, "/orders", &bo).await, 201).await;

    let page = json_of(
        call(&app, Method::GET, "/orders?per_page=2", &ann).await,
        200,
    )
    .await;
    let listed: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [ids[2].as_str(), ids[1].as_str()]);
    assert_eq!(
        (page["total"].as_i64(), page["pages"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(
        page["items"][0]["items"][0]["movie_id"],
        c.movie("C").to_string()
    );
    assert!(page["items"][0].get("email").is_none());

    let theirs = format!("/orders/{}", bo_order["id"].as_str().unwrap());
    problem(call(&app, Method::GET, &theirs, &ann).await, 404).await;
    problem(
        call(&app, Method::POST, &format!("{theirs}/cancel"), &ann).await,
        404,
    )
    .await;
    problem(
        call(
            &app,
            Method::GET,
            &format!("/orders/{}", Uuid::new_v4()),
            &ann,
        )
        .await,
        404,
    )
    .await;
    problem(call(&app, Method::GET, "/orders?page=0", &ann).await, 422).await;

    // Moderators see everyone's, filtered, with the buyer's email.
    problem(call(&app, Method::GET, "/admin/orders", &ann).await, 403).await;
    let all = json_of(
        call(&app, Method::GET, "/admin/orders", &moderator).await,
        200,
    )
    .await;
    assert_eq!(all["total"], 4);
    assert_eq!(all["items"][0]["email"], bo.email);
    let by_user = json_of(
        call(
            &app,
            Method::GET,
            &format!("/admin/orders?user_id={}", ann.id),
            &moderator,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(by_user["total"], 3);
    let by_email = json_of(
        call(
            &app,
            Method::GET,
            &format!("/admin/orders?email={}", &bo.email[..10].to_uppercase()),
            &moderator,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(by_email["total"], 1);
    assert_eq!(
        call(
            &app,
            Method::POST,
            &format!("/orders/{}/cancel", ids[0]),
            &ann
        )
        .await
        .status(),
        200
    );
    let canceled = json_of(
        call(
            &app,
            Method::GET,
            "/admin/orders?status=canceled",
            &moderator,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(canceled["total"], 1);
    let future = json_of(
        call(
            &app,
            Method::GET,
            "/admin/orders?from=2999-01-01T00:00:00Z",
            &moderator,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(future["total"], 0);
    for query in [
        "status=lost",
        "from=yesterday",
        "user_id=42",
        "from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        "email=a%00b",
        "page=0",
    ] {
        problem(
            call(
                &app,
                Method::GET,
                &format!("/admin/orders?{query}"),
                &moderator,
            )
            .await,
            422,
        )
        .await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn only_pending_orders_can_be_canceled(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    add(&app, &ann, c.movie("A")).await;
    let order = json_of(call(&app, Method::POST, "/orders", &ann).await, 201).await;
    let id = order["id"].as_str().unwrap().to_owned();
    let cancel = format!("/orders/{id}/cancel");
    let canceled = json_of(call(&app, Method::POST, &cancel, &ann).await, 200).await;
    assert_eq!(canceled["status"], "canceled");
    let again = problem(call(&app, Method::POST, &cancel, &ann).await, 409).await;
    assert!(
        again["detail"]
            .as_str()
            .unwrap()
            .contains("already canceled")
    );
    // Its movie is free to order again.
    add(&app, &ann, c.movie("A")).await;
    let reordered = json_of(call(&app, Method::POST, "/orders", &ann).await, 201).await;
    let paid = reordered["id"].as_str().unwrap().to_owned();
    sqlx::query("UPDATE orders SET status = 'paid' WHERE id = $1::uuid")
        .bind(&paid)
        .execute(&app.state.db)
        .await
        .unwrap();
    let refused = problem(
        call(&app, Method::POST, &format!("/orders/{paid}/cancel"), &ann).await,
        409,
    )
    .await;
    assert!(refused["detail"].as_str().unwrap().contains("refund"));
    let anonymous = app.post(&cancel).send().await.unwrap();
    problem(anonymous, 401).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn eight_orders_at_once_make_exactly_one(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    for round in 0..5 {
        let ann = app.make_user(Role::User).await;
        for key in ["A", "B", "C"] {
            add(&app, &ann, c.movie(key)).await;
        }
        let answers =
            futures::future::join_all((0..8).map(|_| call(&app, Method::POST, "/orders", &ann)))
                .await;
        let statuses: Vec<u16> = answers.iter().map(|a| a.status().as_u16()).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            1,
            "round {round}: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| *s == 201 || *s == 422),
            "{statuses:?}"
        );
        let held: i64 =
            sqlx::query_scalar("SELECT count(*) FROM order_items WHERE user_id = $1 AND active")
                .bind(ann.id)
                .fetch_one(&app.state.db)
                .await
                .unwrap();
        assert_eq!(held, 3);
    }
}

/// Two carts' worth of overlapping orders racing: however they interleave, no movie is held by
/// two live orders of one user, and the database says so even to a writer that skips the API.
#[sqlx::test(migrations = "../migrations")]
async fn overlapping_orders_never_hold_a_movie_twice(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    for _ in 0..10 {
        for key in ["A", "B"] {
            add(&app, &ann, c.movie(key)).await;
        }
        let first = call(&app, Method::POST, "/orders", &ann);
        let refill = async {
            for key in ["B", "C"] {
                add(&app, &ann, c.movie(key)).await;
            }
            call(&app, Method::POST, "/orders", &ann).await
        };
        let (first, second) = tokio::join!(first, refill);
        assert!([201, 422].contains(&first.status().as_u16()));
        assert!([201, 422].contains(&second.status().as_u16()));
        let doubled: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM (SELECT movie_id FROM order_items
                                   WHERE user_id = $1 AND active
                                   GROUP BY movie_id HAVING count(*) > 1) d",
        )
        .bind(ann.id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
        assert_eq!(doubled, 0);
        sqlx::query("UPDATE orders SET status = 'canceled' WHERE user_id = $1")
            .bind(ann.id)
            .execute(&app.state.db)
            .await
            .unwrap();
        sqlx::query("DELETE FROM cart_items WHERE user_id = $1")
            .bind(ann.id)
            .execute(&app.state.db)
            .await
            .unwrap();
    }
    // The constraint itself: a second live order line for one movie is refused.
    add(&app, &ann, c.movie("A")).await;
    let order = json_of(call(&app, Method::POST, "/orders", &ann).await, 201).await;
    let sneaky = sqlx::query(
        "WITH o AS (INSERT INTO orders (user_id, total, currency) VALUES ($1, 1, 'USD')
                    RETURNING id)
         INSERT INTO order_items (order_id, user_id, movie_id, name, price_at_order, position)
         SELECT id, $1, $2, 'x', 1, 1 FROM o",
    )
    .bind(ann.id)
    .bind(c.movie("A"))
    .execute(&app.state.db)
    .await;
    assert!(sneaky.is_err(), "order {} already holds it", order["id"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_janitor_cancels_stale_pending_orders(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let mut ids = Vec::new();
    for key in ["A", "B", "C"] {
        add(&app, &ann, c.movie(key)).await;
        let order = json_of(call(&app, Method::POST, "/orders", &ann).await, 201).await;
        ids.push(order["id"].as_str().unwrap().parse::<Uuid>().unwrap());
    }
    // A is old and pending, B old and paid, C fresh.
    sqlx::query("UPDATE orders SET created_at = now() - interval '2 days' WHERE id = ANY($1)")
        .bind(&ids[..2])
        .execute(&app.state.db)
        .await
        .unwrap();
    sqlx::query("UPDATE orders SET status = 'paid' WHERE id = $1")
        .bind(ids[1])
        .execute(&app.state.db)
        .await
        .unwrap();
    let stale = crate::support::stale_orders();
    let (first, second) = tokio::join!(
        cinema_janitor::cancel_stale_orders(&app.state.db, &stale, 1),
        cinema_janitor::cancel_stale_orders(&app.state.db, &stale, 1),
    );
    assert_eq!(
        first.unwrap() + second.unwrap(),
        1,
        "canceled once between two runs"
    );
    let statuses: Vec<String> = sqlx::query_scalar(
        "SELECT status::text FROM orders WHERE id = ANY($1) ORDER BY array_position($1, id)",
    )
    .bind(&ids[..])
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(statuses, ["canceled", "paid", "pending"]);
    // Its movie can be ordered again.
    add(&app, &ann, c.movie("A")).await;
    assert_eq!(
        call(&app, Method::POST, "/orders", &ann).await.status(),
        201
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_movie_deleted_after_it_was_ordered_leaves_the_line_as_sold(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let moderator = app.make_user(Role::Moderator).await;
    add(&app, &ann, c.movie("F")).await;
    let order = json_of(call(&app, Method::POST, "/orders", &ann).await, 201).await;
    let deleted = call(
        &app,
        Method::DELETE,
        &format!("/movies/{}", c.movie("F")),
        &moderator,
    )
    .await;
    assert_eq!(
        deleted.status(),
        204,
        "only a purchase keeps a movie from deletion"
    );
    let id = order["id"].as_str().unwrap();
    let read = json_of(
        call(&app, Method::GET, &format!("/orders/{id}"), &ann).await,
        200,
    )
    .await;
    assert!(read["items"][0]["movie_id"].is_null());
    assert_eq!(read["items"][0]["name"], "Frozen Orbit");
    assert_eq!(read["total"], order["total"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn purchases_list_owned_movies_with_every_filter(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let bo = app.make_user(Role::User).await;
    for key in ["A", "C", "E"] {
        own(&app, &ann, c.movie(key)).await;
    }
    own(&app, &bo, c.movie("B")).await;

    let library = json_of(
        call(&app, Method::GET, "/users/me/purchases?sort=name", &ann).await,
        200,
    )
    .await;
    let names: Vec<&str> = library["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Alpha Signal", "Crimson Harbor", "Echo Park Summer"]
    );
    assert_eq!(library["total"], 3);
    assert!(library["items"][0]["purchased_at"].is_string());
    // The catalog's filters work on a library too.
    let drama = c.genres["Drama"];
    let filtered = json_of(
        call(
            &app,
            Method::GET,
            &format!("/users/me/purchases?genre={drama}"),
            &ann,
        )
        .await,
        200,
    )
    .await;
    let expected: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM movie_genres WHERE genre_id = $1 AND movie_id = ANY($2)",
    )
    .bind(drama)
    .bind(&[c.movie("A"), c.movie("C"), c.movie("E")][..])
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert_eq!(filtered["total"], expected);
    // Plain catalog lists carry no purchase date; someone else's library is not Ann's.
    let catalog = json_of(app.get("/movies").send().await.unwrap(), 200).await;
    assert!(catalog["items"][0].get("purchased_at").is_none());
    let theirs = json_of(
        call(&app, Method::GET, "/users/me/purchases", &bo).await,
        200,
    )
    .await;
    assert_eq!(theirs["total"], 1);
    // A page past any list's end is empty, searched or not (its offset plus the page's size
    // once overflowed Postgres's bigint: a 500).
    for path in [
        "/users/me/purchases?page=9223372036854775806&search=alpha",
        "/users/me/purchases?page=9223372036854775807&per_page=100",
    ] {
        let past = json_of(call(&app, Method::GET, path, &ann).await, 200).await;
        assert_eq!(past["items"].as_array().map(Vec::len), Some(0), "{path}");
    }
    let past = app
        .get("/movies?page=9223372036854775806&search=alpha")
        .send()
        .await
        .unwrap();
    let past = json_of(past, 200).await;
    assert_eq!(past["items"].as_array().map(Vec::len), Some(0));
    problem(app.get("/users/me/purchases").send().await.unwrap(), 401).await;
    problem(
        call(&app, Method::GET, "/users/me/purchases?sort=cost", &ann).await,
        422,
    )
    .await;
}

/// One configured currency: every price the API shows, in lists, detail, cart and orders.
#[sqlx::test(migrations = "../migrations")]
async fn every_price_is_in_the_configured_currency(db: PgPool) {
    let app = TestApp::spawn_with(db, |config| config.api.currency = "EUR".to_owned()).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let (a, b) = (c.movie("A"), c.movie("B"));
    own(&app, &ann, b).await;
    sqlx::query("INSERT INTO favorites (user_id, movie_id) VALUES ($1, $2)")
        .bind(ann.id)
        .bind(a)
        .execute(&app.state.db)
        .await
        .unwrap();
    let action = c.genres["Action"];
    for (path, who) in [
        ("/movies".to_owned(), None),
        (format!("/genres/{action}/movies"), None),
        ("/users/me/favorites".to_owned(), Some(&ann)),
        ("/users/me/purchases".to_owned(), Some(&ann)),
    ] {
        let page = app.list_as(&path, who).await;
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty(), "{path}");
        assert!(items.iter().all(|item| item["currency"] == "EUR"), "{path}");
    }
    let anonymous = app.list_as(&format!("/movies/{a}"), None).await;
    assert_eq!(anonymous["currency"], "EUR");
    let signed_in = app.list_as(&format!("/movies/{a}"), Some(&ann)).await;
    assert_eq!(signed_in["currency"], "EUR");
    assert_eq!(signed_in["is_favorite"], true);

    let cart = json_of(add(&app, &ann, a).await, 201).await;
    assert_eq!(cart["currency"], "EUR");
    let order = json_of(call(&app, Method::POST, "/orders", &ann).await, 201).await;
    assert_eq!(order["currency"], "EUR");
}
