//! Paying: checkout through the Stripe stand-in's pay page, the webhook that alone confirms a
//! payment, refunds, the payment history, and the rules around each.

use std::time::Duration;

use cinema_shared::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{TestApp, catalog::Catalog, mail::emails_to, problem, users::TestUser};

async fn call(app: &TestApp, method: Method, path: &str, who: &TestUser) -> reqwest::Response {
    app.request(method, path)
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap()
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "unexpected status: {body}");
    body
}

/// An order of `movies` for `who`, made through the cart.
async fn order_of(app: &TestApp, who: &TestUser, movies: &[Uuid]) -> Value {
    for movie in movies {
        let added = app
            .post("/cart/items")
            .bearer_auth(&who.token)
            .json(&json!({"movie_id": movie}))
            .send()
            .await
            .unwrap();
        assert_eq!(added.status(), 201);
    }
    json_of(call(app, Method::POST, "/orders", who).await, 201).await
}

async fn checkout(app: &TestApp, who: &TestUser, order: &Value) -> reqwest::Response {
    let path = format!("/orders/{}/checkout", order["id"].as_str().unwrap());
    call(app, Method::POST, &path, who).await
}

fn order_id(order: &Value) -> Uuid {
    order["id"].as_str().unwrap().parse().unwrap()
}

async fn count(app: &TestApp, sql: &str, id: Uuid) -> i64 {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&app.state.db)
        .await
        .unwrap()
}

async fn subjects_to(email: &str) -> Vec<String> {
    emails_to(email)
        .await
        .into_iter()
        .map(|email| email.subject)
        .collect()
}

async fn owned_ids(app: &TestApp, who: &TestUser) -> Vec<String> {
    let page = app.list_as("/users/me/purchases", Some(who)).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_purchase_from_cart_to_refund(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c: Catalog = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let (a, b) = (c.movie("A"), c.movie("B"));
    let order = order_of(&app, &ann, &[a, b]).await;
    let id = order_id(&order);

    let session = json_of(checkout(&app, &ann, &order).await, 200).await;
    assert_eq!(session["status"], "pending");
    assert_eq!(session["price_changed"], false);
    assert_eq!(session["total"], order["total"]);
    let url = session["checkout_url"].as_str().unwrap().to_owned();
    let session_id = session["session_id"].as_str().unwrap().to_owned();
    // The session Stripe holds carries the order and its exact total in cents.
    let held = stripe
        .get(&format!("/v1/checkout/sessions/{session_id}"))
        .await;
    assert_eq!(held["metadata"]["order_id"], id.to_string());
    assert_eq!(held["client_reference_id"], id.to_string());
    let cents: i64 = count(
        &app,
        "SELECT (total * 100)::bigint FROM orders WHERE id = $1",
        id,
    )
    .await;
    assert_eq!(held["amount_total"], cents);
    assert_eq!(held["currency"], "usd");

    // The pay page shows the lines and the total, and takes the payment.
    let page = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(page.contains("Alpha Signal"), "{page}");
    let paid = stripe.pay(&url, "succeed").await;
    assert_eq!(paid.status(), 303);
    app.wait_for_order_status(id, "paid").await;

    let owned = owned_ids(&app, &ann).await;
    assert!(owned.contains(&a.to_string()) && owned.contains(&b.to_string()));
    let cart = json_of(call(&app, Method::GET, "/cart", &ann).await, 200).await;
    assert!(cart["items"].as_array().unwrap().is_empty());
    let detail = app.list_as(&format!("/movies/{a}"), Some(&ann)).await;
    assert_eq!(detail["is_purchased"], true);
    let payments = json_of(call(&app, Method::GET, "/payments", &ann).await, 200).await;
    assert_eq!(payments["total"], 1);
    let payment = &payments["items"][0];
    assert_eq!(payment["status"], "successful");
    assert_eq!(payment["order_id"], id.to_string());
    assert_eq!(payment["amount"], order["total"]);
    assert_eq!(payment["items"].as_array().unwrap().len(), 2);

    app.deliver_mail().await;
    let receipts: Vec<_> = emails_to(&ann.email)
        .await
        .into_iter()
        .filter(|email| email.subject.contains("receipt"))
        .collect();
    assert_eq!(receipts.len(), 1, "one receipt");
    assert!(receipts[0].text.contains("Alpha Signal"));
    assert!(receipts[0].text.contains(&id.to_string()));
    assert!(receipts[0].text.contains(order["total"].as_str().unwrap()));

    // Paid: no second checkout, no cancel; a refund takes the movies back.
    problem(checkout(&app, &ann, &order).await, 409).await;
    let cancel = call(&app, Method::POST, &format!("/orders/{id}/cancel"), &ann).await;
    let body = problem(cancel, 409).await;
    assert!(body["detail"].as_str().unwrap().contains("refund"));
    let refund = app
        .post(&format!("/orders/{id}/refund"))
        .bearer_auth(&ann.token)
        .json(&json!({"reason": "Bought it twice\nby mistake"}))
        .send()
        .await
        .unwrap();
    let refund = json_of(refund, 202).await;
    assert_eq!(refund["status"], "requested");
    assert_eq!(refund["amount"], order["total"]);
    app.wait_for_order_status(id, "refunded").await;
    assert!(owned_ids(&app, &ann).await.is_empty());
    let payments = json_of(call(&app, Method::GET, "/payments", &ann).await, 200).await;
    assert_eq!(payments["items"][0]["status"], "refunded");
    // Asking again is refused: it is refunded already.
    let again = call(&app, Method::POST, &format!("/orders/{id}/refund"), &ann).await;
    problem(again, 409).await;
    // The sales report (the last 30 days) counts the sale and its refund.
    let moderator = app.make_user(Role::Moderator).await;
    let sales = json_of(
        call(&app, Method::GET, "/admin/sales", &moderator).await,
        200,
    )
    .await;
    let totals = &sales["totals"];
    assert_eq!(totals["revenue"], order["total"], "{sales}");
    assert_eq!(totals["refunds"], order["total"]);
    assert_eq!(totals["net"], "0.00");
    assert_eq!(totals["units"], totals["refunded_units"]);
    assert!(totals["units"].as_i64().unwrap() > 0);
    app.deliver_mail().await;
    let subjects = subjects_to(&ann.email).await;
    assert_eq!(
        subjects.iter().filter(|s| s.contains("refund")).count(),
        1,
        "{subjects:?}"
    );
    // Refunded movies can be bought again.
    let added = app
        .post("/cart/items")
        .bearer_auth(&ann.token)
        .json(&json!({"movie_id": a}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_declined_card_leaves_the_order_pending_and_says_what_to_do(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let order = order_of(&app, &ann, &[c.movie("A")]).await;
    let session = json_of(checkout(&app, &ann, &order).await, 200).await;
    let url = session["checkout_url"].as_str().unwrap();
    let declined = stripe.pay(url, "fail").await;
    assert!(declined.status().is_success());
    // The failure event lands, advises by email, and changes nothing else.
    for _ in 0..100 {
        app.deliver_mail().await;
        if subjects_to(&ann.email)
            .await
            .iter()
            .any(|s| s.contains("did not go through"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let advice: Vec<_> = emails_to(&ann.email)
        .await
        .into_iter()
        .filter(|email| email.subject.contains("did not go through"))
        .collect();
    assert_eq!(advice.len(), 1);
    assert!(advice[0].text.contains("another card"));
    let status: String = sqlx::query_scalar("SELECT status::text FROM orders WHERE id = $1")
        .bind(order_id(&order))
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(status, "pending");
    // The same session can still be paid.
    let again = json_of(checkout(&app, &ann, &order).await, 200).await;
    assert_eq!(again["session_id"], session["session_id"]);
    stripe.pay(url, "succeed").await;
    app.wait_for_order_status(order_id(&order), "paid").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn checkout_rules(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let bob = app.make_user(Role::User).await;
    let order = order_of(&app, &ann, &[c.movie("A"), c.movie("B")]).await;
    let id = order_id(&order);

    // Someone else's order, or nobody's: 404; anonymous: 401.
    problem(checkout(&app, &bob, &order).await, 404).await;
    let nobody = json!({"id": Uuid::new_v4()});
    problem(checkout(&app, &ann, &nobody).await, 404).await;
    let anonymous = app
        .post(&format!("/orders/{id}/checkout"))
        .send()
        .await
        .unwrap();
    problem(anonymous, 401).await;

    // The same session while it is open.
    let first = json_of(checkout(&app, &ann, &order).await, 200).await;
    let second = json_of(checkout(&app, &ann, &order).await, 200).await;
    assert_eq!(first["session_id"], second["session_id"]);
    assert_eq!(first["checkout_url"], second["checkout_url"]);

    // A price change: the order takes today's price, the answer says so, and a new session
    // replaces the old one (which can no longer be paid).
    sqlx::query("UPDATE movies SET price = price + 1 WHERE id = $1")
        .bind(c.movie("A"))
        .execute(&app.state.db)
        .await
        .unwrap();
    let repriced = json_of(checkout(&app, &ann, &order).await, 200).await;
    assert_eq!(repriced["price_changed"], true);
    assert_eq!(repriced["old_total"], order["total"]);
    let expected: String =
        sqlx::query_scalar("SELECT sum(price)::text FROM movies WHERE id = ANY($1)")
            .bind(&[c.movie("A"), c.movie("B")][..])
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(repriced["total"], expected);
    assert_ne!(repriced["session_id"], first["session_id"]);
    let old = stripe
        .get(&format!(
            "/v1/checkout/sessions/{}",
            first["session_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(old["status"], "expired");
    let stored = json_of(
        call(&app, Method::GET, &format!("/orders/{id}"), &ann).await,
        200,
    )
    .await;
    assert_eq!(stored["total"], expected);
    // The old session's expiry does not cancel the order.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status: String = sqlx::query_scalar("SELECT status::text FROM orders WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(status, "pending");

    // A movie no longer for sale, or owned since: 409 naming it.
    sqlx::query("UPDATE movies SET is_available = false WHERE id = $1")
        .bind(c.movie("B"))
        .execute(&app.state.db)
        .await
        .unwrap();
    let refused = problem(checkout(&app, &ann, &order).await, 409).await;
    assert_eq!(refused["movie"]["movie_id"], c.movie("B").to_string());
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("no longer for sale")
    );
    sqlx::query("UPDATE movies SET is_available = true WHERE id = $1")
        .bind(c.movie("B"))
        .execute(&app.state.db)
        .await
        .unwrap();
    sqlx::query("INSERT INTO purchases (user_id, movie_id) VALUES ($1, $2)")
        .bind(ann.id)
        .bind(c.movie("B"))
        .execute(&app.state.db)
        .await
        .unwrap();
    let refused = problem(checkout(&app, &ann, &order).await, 409).await;
    assert!(refused["detail"].as_str().unwrap().contains("own"));

    // Canceled: 409, and its session expires with it.
    sqlx::query("DELETE FROM purchases WHERE user_id = $1")
        .bind(ann.id)
        .execute(&app.state.db)
        .await
        .unwrap();
    json_of(
        call(&app, Method::POST, &format!("/orders/{id}/cancel"), &ann).await,
        200,
    )
    .await;
    let latest = stripe
        .get(&format!(
            "/v1/checkout/sessions/{}",
            repriced["session_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(latest["status"], "expired");
    let canceled = problem(checkout(&app, &ann, &order).await, 409).await;
    assert!(canceled["detail"].as_str().unwrap().contains("canceled"));
    // A refund of an unpaid order: 409; of someone else's: 404.
    problem(
        call(&app, Method::POST, &format!("/orders/{id}/refund"), &ann).await,
        409,
    )
    .await;
    problem(
        call(&app, Method::POST, &format!("/orders/{id}/refund"), &bob).await,
        404,
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn fifty_checkouts_at_once_make_one_session(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let order = order_of(&app, &ann, &[c.movie("A"), c.movie("C")]).await;
    let calls = (0..50).map(|_| checkout(&app, &ann, &order));
    let answers = futures::future::join_all(calls).await;
    let mut sessions = std::collections::HashSet::new();
    for answer in answers {
        let body = json_of(answer, 200).await;
        sessions.insert(body["session_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let saved = count(
        &app,
        "SELECT count(*) FROM checkouts WHERE order_id = $1",
        order_id(&order),
    )
    .await;
    assert_eq!(saved, 1);
    let session = sessions.into_iter().next().unwrap();
    let held = stripe
        .get(&format!("/v1/checkout/sessions/{session}"))
        .await;
    assert_eq!(held["status"], "open");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_order_that_costs_nothing_is_paid_at_once(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    sqlx::query("UPDATE movies SET price = 0 WHERE id = $1")
        .bind(c.movie("A"))
        .execute(&app.state.db)
        .await
        .unwrap();
    let order = order_of(&app, &ann, &[c.movie("A")]).await;
    let answer = json_of(checkout(&app, &ann, &order).await, 200).await;
    assert_eq!(answer["status"], "paid");
    assert_eq!(answer["total"], "0.00");
    assert_eq!(order["total"], "0.00");
    assert!(answer["checkout_url"].is_null());
    assert_eq!(owned_ids(&app, &ann).await, [c.movie("A").to_string()]);
    assert!(stripe.events().await.is_empty(), "Stripe was not involved");
    // Its refund needs no Stripe either.
    let id = order_id(&order);
    let refund = json_of(
        call(&app, Method::POST, &format!("/orders/{id}/refund"), &ann).await,
        202,
    )
    .await;
    assert_eq!(refund["status"], "succeeded");
    assert!(owned_ids(&app, &ann).await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn an_expired_session_cancels_its_order(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let order = order_of(&app, &ann, &[c.movie("A")]).await;
    let session = json_of(checkout(&app, &ann, &order).await, 200).await;
    let path = format!(
        "/v1/checkout/sessions/{}/expire",
        session["session_id"].as_str().unwrap()
    );
    let (status, _) = stripe.post(&path, &[]).await;
    assert_eq!(status, 200);
    app.wait_for_order_status(order_id(&order), "canceled")
        .await;
    // Its movie can be ordered again.
    let again = order_of(&app, &ann, &[c.movie("A")]).await;
    assert_eq!(again["status"], "pending");
}

#[sqlx::test(migrations = "../migrations")]
async fn hostile_reasons_and_a_banned_buyer_change_nothing(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let order = order_of(&app, &ann, &[c.movie("A")]).await;
    let id = order_id(&order);
    // A refund reason with a NUL, or of 3 KB: 422 naming `reason`, whatever the order.
    for reason in ["nul \u{0} inside".to_owned(), "x".repeat(3 * 1024)] {
        let refused = app
            .post(&format!("/orders/{id}/refund"))
            .bearer_auth(&ann.token)
            .json(&json!({ "reason": reason }))
            .send()
            .await
            .unwrap();
        let body = problem(refused, 422).await;
        assert_eq!(body["errors"][0]["field"], "reason", "{body}");
    }
    let unknown_field = app
        .post(&format!("/orders/{id}/refund"))
        .bearer_auth(&ann.token)
        .json(&json!({ "reason": "ok", "amount": "1.00" }))
        .send()
        .await
        .unwrap();
    problem(unknown_field, 422).await;
    // Unicode is a reason like any other: the unpaid order is what refuses it.
    let unicode = app
        .post(&format!("/orders/{id}/refund"))
        .bearer_auth(&ann.token)
        .json(&json!({ "reason": "Фильм не тот 🎬" }))
        .send()
        .await
        .unwrap();
    problem(unicode, 409).await;
    assert_eq!(
        count(&app, "SELECT count(*) FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.order_id = $1", id).await,
        0
    );
    // A malformed order id: 4xx, not 500.
    let bad_id = call(&app, Method::POST, "/orders/not-a-uuid/checkout", &ann).await;
    assert!(bad_id.status().is_client_error());

    // Deactivated by an admin: the same token no longer pays, refunds or streams.
    sqlx::query("UPDATE users SET deactivated_at = now(), is_active = false WHERE id = $1")
        .bind(ann.id)
        .execute(&app.state.db)
        .await
        .unwrap();
    problem(checkout(&app, &ann, &order).await, 401).await;
    problem(
        call(&app, Method::POST, &format!("/orders/{id}/refund"), &ann).await,
        401,
    )
    .await;
    let stream = format!("/movies/{}/stream", c.movie("A"));
    problem(call(&app, Method::GET, &stream, &ann).await, 401).await;
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM checkouts WHERE order_id = $1",
            id
        )
        .await,
        0
    );
    assert!(stripe.events().await.is_empty());
}
