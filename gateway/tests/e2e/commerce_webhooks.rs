//! The webhook under abuse and bad luck: forged or stale signatures, the same event again and
//! five at once, events out of order or ahead of our rows, amounts that do not match, the API
//! down while Stripe delivers, and the mail queue down when the payment lands.

use std::time::Duration;

use cinema_shared::{auth::Role, email::EmailQueue};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use stripe_webhook::Webhook;
use uuid::Uuid;

use crate::support::{
    TestApp, TestConfig, mail::emails_to, problem, stripe::StripeAccount, users::TestUser,
};

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "unexpected status: {body}");
    body
}

/// A paid order of `movie` for a new user; returns the user, the order id and the completed
/// event as the stand-in sent it.
async fn paid_order(app: &TestApp, stripe: &StripeAccount, movie: Uuid) -> (TestUser, Uuid, Value) {
    let ann = app.make_user(Role::User).await;
    let (id, url) = checkout_of(app, &ann, movie).await;
    stripe.pay(&url, "succeed").await;
    app.wait_for_order_status(id, "paid").await;
    let completed = completed_event(stripe).await;
    (ann, id, completed)
}

/// Orders `movie` for `who` and opens its checkout; the order id and the pay page.
async fn checkout_of(app: &TestApp, who: &TestUser, movie: Uuid) -> (Uuid, String) {
    let added = app
        .post("/cart/items")
        .bearer_auth(&who.token)
        .json(&json!({"movie_id": movie}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let order = app
        .request(Method::POST, "/orders")
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap();
    let order = json_of(order, 201).await;
    let id: Uuid = order["id"].as_str().unwrap().parse().unwrap();
    let session = app
        .post(&format!("/orders/{id}/checkout"))
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap();
    let session = json_of(session, 200).await;
    (id, session["checkout_url"].as_str().unwrap().to_owned())
}

async fn completed_event(stripe: &StripeAccount) -> Value {
    stripe
        .events()
        .await
        .into_iter()
        .find(|event| event["type"] == "checkout.session.completed")
        .expect("a completed event")
}

/// POSTs `body` to the webhook signed with `secret` at `timestamp` (now when `None`).
async fn deliver(
    app: &TestApp,
    body: &str,
    secret: &str,
    timestamp: Option<i64>,
) -> reqwest::Response {
    let signature = Webhook::generate_test_header(body, secret, timestamp);
    app.post("/payments/webhook")
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn scalar(app: &TestApp, sql: &str, id: Uuid) -> i64 {
    sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(&app.state.db)
        .await
        .unwrap()
}

/// What order `order` costs, in cents (as Stripe's `amount_total` says it).
async fn total_cents(app: &TestApp, order: Uuid) -> i64 {
    scalar(
        app,
        "SELECT (total * 100)::bigint FROM orders WHERE id = $1",
        order,
    )
    .await
}

async fn payments_of(app: &TestApp, order: Uuid) -> i64 {
    scalar(
        app,
        "SELECT count(*) FROM payments WHERE order_id = $1",
        order,
    )
    .await
}

async fn receipts_to(email: &str) -> usize {
    emails_to(email)
        .await
        .iter()
        .filter(|email| email.subject.contains("receipt"))
        .count()
}

/// An event like `event` with a new id (Stripe gives every event its own).
fn another_event(event: &Value, kind: &str) -> Value {
    let mut event = event.clone();
    event["id"] = json!(format!("evt_test_{}", Uuid::new_v4().simple()));
    event["type"] = json!(kind);
    event
}

/// A completed event like `completed` (a new id) for session `cs_test_{session}` of `order`,
/// which paid `amount_total` cents.
fn completed_for(completed: &Value, order: Uuid, session: &str, amount_total: i64) -> Value {
    let mut event = another_event(completed, "checkout.session.completed");
    let object = &mut event["data"]["object"];
    object["id"] = json!(format!("cs_test_{session}"));
    object["metadata"]["order_id"] = json!(order.to_string());
    object["client_reference_id"] = json!(order.to_string());
    object["payment_intent"] = json!(format!("pi_test_{session}"));
    object["amount_total"] = json!(amount_total);
    event
}

#[sqlx::test(migrations = "../migrations")]
async fn only_a_valid_signature_is_heard(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let (id, _) = checkout_of(&app, &ann, c.movie("A")).await;
    // A completed event for the order, as Stripe would send it, but forged or replayed late.
    let forged = json!({
        "id": "evt_forged", "object": "event", "api_version": null, "created": 1,
        "livemode": false, "pending_webhooks": 1, "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_forged", "object": "checkout.session"}}
    })
    .to_string();
    let wrong_secret = deliver(&app, &forged, "whsec_not_ours", None).await;
    problem(wrong_secret, 400).await;
    let stale = chrono::Utc::now().timestamp() - 301;
    problem(
        deliver(&app, &forged, &stripe.webhook_secret, Some(stale)).await,
        400,
    )
    .await;
    // Signed, then altered on the way.
    let signature = Webhook::generate_test_header(&forged, &stripe.webhook_secret, None);
    let altered = app
        .post("/payments/webhook")
        .header("stripe-signature", signature)
        .body(forged.replace("cs_forged", "cs_other"))
        .send()
        .await
        .unwrap();
    problem(altered, 400).await;
    let unsigned = app
        .post("/payments/webhook")
        .body(forged.clone())
        .send()
        .await
        .unwrap();
    problem(unsigned, 400).await;
    assert_eq!(payments_of(&app, id).await, 0);
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM stripe_events")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(recorded, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_same_event_again_or_five_at_once_changes_nothing(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c = app.fixture_catalog().await;
    let (ann, id, completed) = paid_order(&app, &stripe, c.movie("A")).await;
    let event_id = completed["id"].as_str().unwrap();
    let again = stripe.resend(event_id).await;
    assert_eq!(again["delivered"], true, "{again}");
    let resends = (0..5).map(|_| stripe.resend(event_id));
    for answer in futures::future::join_all(resends).await {
        assert_eq!(answer["delivered"], true, "{answer}");
    }
    // And five signed copies straight to the webhook at once.
    let body = completed.to_string();
    let copies = (0..5).map(|_| deliver(&app, &body, &stripe.webhook_secret, None));
    for answer in futures::future::join_all(copies).await {
        assert_eq!(answer.status(), 200);
    }
    assert_eq!(payments_of(&app, id).await, 1);
    let items = scalar(
        &app,
        "SELECT count(*) FROM payment_items i JOIN payments p ON p.id = i.payment_id
         WHERE p.order_id = $1",
        id,
    )
    .await;
    assert_eq!(items, 1);
    app.deliver_mail().await;
    assert_eq!(receipts_to(&ann.email).await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn events_out_of_order_or_ahead_of_our_rows(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c = app.fixture_catalog().await;
    let (_, id, completed) = paid_order(&app, &stripe, c.movie("A")).await;
    // Expired after completed: the paid order stays paid.
    let expired = another_event(&completed, "checkout.session.expired");
    let answer = deliver(&app, &expired.to_string(), &stripe.webhook_secret, None).await;
    assert_eq!(answer.status(), 200);
    let status: String = sqlx::query_scalar("SELECT status::text FROM orders WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(status, "paid");

    // An event naming an order we cannot read yet: 5xx, nothing recorded, so Stripe retries.
    let mut ahead = another_event(&completed, "checkout.session.completed");
    let unknown = Uuid::new_v4().to_string();
    ahead["data"]["object"]["metadata"]["order_id"] = json!(unknown);
    ahead["data"]["object"]["client_reference_id"] = json!(unknown);
    ahead["data"]["object"]["id"] = json!("cs_test_ahead");
    let answer = deliver(&app, &ahead.to_string(), &stripe.webhook_secret, None).await;
    assert_eq!(answer.status(), 503);
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM stripe_events WHERE id = $1")
        .bind(ahead["id"].as_str().unwrap())
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(recorded, 0, "not marked handled");

    // A session that is none of ours (no order in it): acknowledged and left alone.
    let mut foreign = another_event(&completed, "checkout.session.completed");
    foreign["data"]["object"]["metadata"] = json!({});
    foreign["data"]["object"]["client_reference_id"] = Value::Null;
    foreign["data"]["object"]["id"] = json!("cs_test_foreign");
    let answer = deliver(&app, &foreign.to_string(), &stripe.webhook_secret, None).await;
    assert_eq!(answer.status(), 200);
    // An event type Cinema does not act on (the charge's own): acknowledged.
    let charge = stripe
        .events()
        .await
        .into_iter()
        .find(|event| event["type"] == "charge.succeeded")
        .expect("a charge.succeeded event");
    let charge = another_event(&charge, "charge.succeeded");
    let answer = deliver(&app, &charge.to_string(), &stripe.webhook_secret, None).await;
    let answer = json_of(answer, 200).await;
    assert!(
        answer["outcome"].as_str().unwrap().starts_with("ignored"),
        "{answer}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_amount_that_does_not_match_is_flagged_not_fulfilled(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c = app.fixture_catalog().await;
    let (_, _, completed) = paid_order(&app, &stripe, c.movie("A")).await;
    // Another order of another user, "paid" with one cent less.
    let bob = app.make_user(Role::User).await;
    let (id, _) = checkout_of(&app, &bob, c.movie("B")).await;
    let total = total_cents(&app, id).await;
    let short = completed_for(&completed, id, "short", total - 1);
    let answer = deliver(&app, &short.to_string(), &stripe.webhook_secret, None).await;
    assert_eq!(answer.status(), 200);
    let flagged: (String, String) =
        sqlx::query_as("SELECT status::text, flag_reason FROM payments WHERE order_id = $1")
            .bind(id)
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(flagged.0, "flagged");
    assert!(flagged.1.contains("total"), "{}", flagged.1);
    let status: String = sqlx::query_scalar("SELECT status::text FROM orders WHERE id = $1")
        .bind(id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(status, "pending");
    let owned = scalar(
        &app,
        "SELECT count(*) FROM purchases WHERE user_id = $1",
        bob.id,
    )
    .await;
    assert_eq!(owned, 0);

    // Another event about the same session (a new id) finds the flagged payment: nothing more.
    let again = another_event(&short, "checkout.session.async_payment_succeeded");
    let answer = deliver(&app, &again.to_string(), &stripe.webhook_secret, None).await;
    assert_eq!(answer.status(), 200);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["outcome"], "already recorded", "{answer}");
    let payments = scalar(
        &app,
        "SELECT count(*) FROM payments WHERE order_id = $1",
        id,
    )
    .await;
    assert_eq!(payments, 1);
}

/// Lines repriced by a change the event's lock waited for, the total unchanged (so the amount
/// matches): the payment records the new prices, and the receipt shows what was recorded.
#[sqlx::test(migrations = "../migrations")]
async fn a_receipt_shows_the_prices_paid_after_a_change_the_event_waited_for(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c = app.fixture_catalog().await;
    let (_, _, completed) = paid_order(&app, &stripe, c.movie("C")).await;
    // Bob orders Alpha Signal (9.99) and Brave Little Town (4.99).
    let bob = app.make_user(Role::User).await;
    let added = app
        .post("/cart/items")
        .bearer_auth(&bob.token)
        .json(&json!({"movie_id": c.movie("B")}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);
    let (id, _) = checkout_of(&app, &bob, c.movie("A")).await;
    let event = completed_for(&completed, id, "repriced", 1498);

    // A change holds the order and swaps its lines' prices while the event waits for it.
    let mut change = app.state.db.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM orders WHERE id = $1 FOR NO KEY UPDATE")
        .bind(id)
        .execute(&mut *change)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE order_items
         SET price_at_order = CASE WHEN name = 'Alpha Signal' THEN 4.99 ELSE 9.99 END
         WHERE order_id = $1",
    )
    .bind(id)
    .execute(&mut *change)
    .await
    .unwrap();
    let body = event.to_string();
    let delivery = deliver(&app, &body, &stripe.webhook_secret, None);
    let commit_once_waited_for = async {
        for _ in 0..500 {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE wait_event_type = 'Lock' AND datname = current_database()",
            )
            .fetch_one(&app.state.db)
            .await
            .unwrap();
            if waiting > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        change.commit().await.unwrap();
    };
    let (answer, ()) = tokio::join!(delivery, commit_once_waited_for);
    assert_eq!(answer.status(), 200);

    let paid: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.name, i.price::text FROM payment_items i JOIN payments p ON p.id = i.payment_id
         WHERE p.order_id = $1 ORDER BY i.name",
    )
    .bind(id)
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    let swapped = [("Alpha Signal", "4.99"), ("Brave Little Town", "9.99")];
    let swapped: Vec<(String, String)> = swapped
        .iter()
        .map(|(name, price)| (name.to_string(), price.to_string()))
        .collect();
    assert_eq!(paid, swapped);
    app.deliver_mail().await;
    let receipt = emails_to(&bob.email)
        .await
        .into_iter()
        .find(|email| email.subject.contains("receipt"))
        .expect("a receipt");
    for (name, price) in &swapped {
        let line = format!("- {name}: {price} USD");
        assert!(receipt.text.contains(&line), "{line} in {}", receipt.text);
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn an_authentic_event_that_does_not_parse_is_kept(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let broken =
        json!({"id": "evt_broken", "object": "event", "type": "checkout.session.completed"})
            .to_string();
    let answer = deliver(&app, &broken, &stripe.webhook_secret, None).await;
    assert_eq!(answer.status(), 503);
    let kept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM stripe_unreadable_events WHERE payload = $1")
            .bind(&broken)
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(kept, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn with_the_api_down_stripe_retries_and_the_payment_lands_once(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let (id, url) = checkout_of(&app, &ann, c.movie("A")).await;
    stripe.point_at(crate::support::stripe::NOWHERE).await;
    stripe.pay(&url, "succeed").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        payments_of(&app, id).await,
        0,
        "nothing reached the API yet"
    );
    stripe.point_at(&app.url("/payments/webhook")).await;
    app.wait_for_order_status(id, "paid").await;
    assert_eq!(payments_of(&app, id).await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn with_the_mail_queue_down_the_receipt_goes_out_once_later(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c = app.fixture_catalog().await;
    let ann = app.make_user(Role::User).await;
    let (id, url) = checkout_of(&app, &ann, c.movie("A")).await;
    // The same app, but its queue is gone: Stripe's webhook reaches this one.
    let cut_off = app.state.clone().with_mail(EmailQueue::new(
        app.state.mail.client().clone(),
        format!("{}-gone", app.state.mail.queue_url()),
    ));
    let outage = TestApp::serve(cut_off, &TestConfig::from_env().mailer).await;
    stripe.point_at(&outage.url("/payments/webhook")).await;
    stripe.pay(&url, "succeed").await;
    app.wait_for_order_status(id, "paid").await;
    outage.outbox_settled().await;
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM email_outbox")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(waiting, 1, "the receipt waits in the outbox");
    app.deliver_mail().await;
    assert_eq!(receipts_to(&ann.email).await, 0);
    sqlx::query("UPDATE email_outbox SET created_at = now() - interval '2 minutes'")
        .execute(&app.state.db)
        .await
        .unwrap();
    let report = cinema_janitor::run_all(
        &app.state.db,
        &app.state.mail,
        &crate::support::stale_orders(),
    )
    .await
    .unwrap();
    assert_eq!(report.emails_relayed, 1);
    app.deliver_mail().await;
    assert_eq!(receipts_to(&ann.email).await, 1);
}

/// A moderator deletes a movie (forced out of carts) while a payment of an order with it lands:
/// either the payment came first, and the movie, bought, stays; or the delete came first, and
/// the payment records the line by its name with no movie, and gives no purchase of it. Never a
/// purchase or a sale of a movie that is gone.
#[sqlx::test(migrations = "../migrations")]
async fn a_movie_deleted_while_its_payment_lands_is_either_bought_or_gone(db: PgPool) {
    let (app, stripe) = TestApp::spawn_with_stripe(db).await;
    let c = app.fixture_catalog().await;
    let (_, _, completed) = paid_order(&app, &stripe, c.movie("A")).await;
    let moderator = app.make_user(Role::Moderator).await;
    let db = &app.state.db;
    let mut outcomes = Vec::new();
    for round in 0..12u64 {
        let movie: Uuid = sqlx::query_scalar(
            "INSERT INTO movies (name, year, time, imdb, votes, price, description,
                                 certification_id, meta_score)
             SELECT name || ' ' || $2, year, time, imdb, votes, price, description,
                    certification_id, meta_score
             FROM movies WHERE id = $1 RETURNING id",
        )
        .bind(c.movie("B"))
        .bind(round.to_string())
        .fetch_one(db)
        .await
        .unwrap();
        let buyer = app.make_user(Role::User).await;
        let (order, _) = checkout_of(&app, &buyer, movie).await;
        let total = total_cents(&app, order).await;
        let event = completed_for(&completed, order, &format!("race_{round}"), total).to_string();
        // Each side a little late in turn, so that both orders come up.
        let late = |turn: u64| Duration::from_millis(if round % 2 == turn { round * 3 } else { 0 });
        let (paid, deleted) = tokio::join!(
            async {
                tokio::time::sleep(late(0)).await;
                deliver(&app, &event, &stripe.webhook_secret, None).await
            },
            async {
                tokio::time::sleep(late(1)).await;
                app.request(Method::DELETE, &format!("/movies/{movie}?force=true"))
                    .bearer_auth(&moderator.token)
                    .send()
                    .await
            },
        );
        let deleted = deleted.unwrap().status().as_u16();
        assert_eq!(json_of(paid, 200).await["outcome"], "order paid");
        let owned = scalar(
            &app,
            "SELECT count(*) FROM purchases WHERE movie_id = $1",
            movie,
        )
        .await;
        let line: (Option<Uuid>, String) = sqlx::query_as(
            "SELECT i.movie_id, i.name FROM payment_items i JOIN payments p ON p.id = i.payment_id
             WHERE p.order_id = $1",
        )
        .bind(order)
        .fetch_one(db)
        .await
        .unwrap();
        assert!(line.1.ends_with(&format!(" {round}")), "{line:?}");
        match deleted {
            409 => {
                assert_eq!(owned, 1, "paid first: the buyer owns it");
                assert_eq!(line.0, Some(movie));
            }
            204 => {
                assert_eq!(owned, 0, "deleted first: nothing to own");
                assert_eq!(line.0, None, "the sale keeps its name, not the movie");
            }
            other => panic!("the delete answered {other}"),
        }
        outcomes.push(deleted);
    }
    let dangling: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM purchases p
                 WHERE NOT EXISTS (SELECT 1 FROM movies m WHERE m.id = p.movie_id))
              + (SELECT count(*) FROM payment_items i
                 WHERE i.movie_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM movies m WHERE m.id = i.movie_id))",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(dangling, 0, "outcomes {outcomes:?}");
}
