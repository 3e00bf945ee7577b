//! The API through async-stripe's own client and request types, as the commerce code calls it:
//! every response must parse, and the rules (idempotency, expiry, refunds, accounts) must hold.

mod common;

use std::collections::HashMap;

use common::{client, fresh_key, pay, standin};
use stripe::{IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, ExpireCheckoutSession, ProductData,
    RetrieveCheckoutSession,
};
use stripe_core::event::{ListEvent, RetrieveEvent};
use stripe_core::refund::{CreateRefund, RetrieveRefund};
use stripe_shared::{CheckoutSessionMode, CheckoutSessionPaymentStatus, CheckoutSessionStatus};
use stripe_standin::clock::now;

fn line(name: &str, unit_amount: i64, quantity: u64) -> CreateCheckoutSessionLineItems {
    let mut price = CreateCheckoutSessionLineItemsPriceData::new(stripe_types::Currency::USD);
    price.unit_amount = Some(unit_amount);
    price.product_data = Some(ProductData::new(name));
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price_data = Some(price);
    item.quantity = Some(quantity);
    item
}

fn order_checkout(order_id: &str) -> CreateCheckoutSession {
    let metadata = HashMap::from([("order_id".to_owned(), order_id.to_owned())]);
    let mut intent_data = CreateCheckoutSessionPaymentIntentData::new();
    intent_data.metadata = Some(metadata.clone());
    CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .line_items(vec![line("Alpha", 999, 1), line("Beta <b>", 1250, 2)])
        .metadata(metadata)
        .client_reference_id(order_id)
        .customer_email("buyer+tag@example.com")
        .payment_intent_data(intent_data)
        .expires_at(now() + 3600)
        .success_url("http://127.0.0.1:5173/orders/done?session={CHECKOUT_SESSION_ID}")
        .cancel_url("http://127.0.0.1:5173/cart")
}

fn idempotent(key: &str) -> RequestStrategy {
    RequestStrategy::Idempotent(IdempotencyKey::new(key).unwrap())
}

fn stripe_error(error: StripeError) -> (u16, String, Option<String>) {
    match error {
        StripeError::Stripe(api, status) => {
            (status, api.type_.as_str().to_owned(), api.param.clone())
        }
        other => panic!("expected a Stripe error, got {other:?}"),
    }
}

#[tokio::test]
async fn checkout_session_create_retrieve_and_expire_parse_with_async_stripe() {
    let standin = standin(common::config()).await;
    let key = fresh_key();
    let stripe = client(&standin, &key);

    let created = order_checkout("order-1")
        .customize()
        .request_strategy(idempotent("checkout-order-1"))
        .send(&stripe)
        .await
        .unwrap();
    assert_eq!(created.amount_total, Some(999 + 2 * 1250));
    assert_eq!(created.currency, Some(stripe_types::Currency::USD));
    assert_eq!(created.status, Some(CheckoutSessionStatus::Open));
    assert_eq!(created.payment_status, CheckoutSessionPaymentStatus::Unpaid);
    assert_eq!(created.client_reference_id.as_deref(), Some("order-1"));
    assert_eq!(
        created.customer_email.as_deref(),
        Some("buyer+tag@example.com")
    );
    assert_eq!(created.metadata.as_ref().unwrap()["order_id"], "order-1");
    assert_eq!(
        created.url.as_deref(),
        Some(format!("{}/pay/{}", standin.base_url, created.id).as_str())
    );
    assert!(
        created.id.as_str().starts_with("cs_test_"),
        "{}",
        created.id.as_str()
    );

    let retrieved = RetrieveCheckoutSession::new(created.id.clone())
        .send(&stripe)
        .await
        .unwrap();
    assert_eq!(retrieved.id, created.id);
    assert_eq!(retrieved.expires_at, created.expires_at);

    let expired = ExpireCheckoutSession::new(created.id.clone())
        .send(&stripe)
        .await
        .unwrap();
    assert_eq!(expired.status, Some(CheckoutSessionStatus::Expired));
    // Only an open session can be expired.
    let again = ExpireCheckoutSession::new(created.id.clone())
        .send(&stripe)
        .await
        .unwrap_err();
    assert_eq!(stripe_error(again).0, 400);

    let events = ListEvent::new().send(&stripe).await.unwrap();
    assert_eq!(events.data.len(), 1);
    assert_eq!(events.data[0].type_.as_str(), "checkout.session.expired");
    let event = RetrieveEvent::new(events.data[0].id.clone())
        .send(&stripe)
        .await
        .unwrap();
    assert_eq!(event.id, events.data[0].id);
}

#[tokio::test]
async fn the_same_idempotency_key_replays_and_other_params_are_refused() {
    let standin = standin(common::config()).await;
    let key = fresh_key();
    let stripe = client(&standin, &key);

    // One request value sent twice: the same parameters byte for byte, as a retry sends them.
    let request = order_checkout("order-2");
    let first = request
        .customize()
        .request_strategy(idempotent("k-2"))
        .send(&stripe)
        .await
        .unwrap();
    let replayed = request
        .customize()
        .request_strategy(idempotent("k-2"))
        .send(&stripe)
        .await
        .unwrap();
    assert_eq!(replayed.id, first.id);

    let other = order_checkout("order-3")
        .customize()
        .request_strategy(idempotent("k-2"))
        .send(&stripe)
        .await
        .unwrap_err();
    let (status, kind, _) = stripe_error(other);
    assert_eq!((status, kind.as_str()), (400, "idempotency_error"));

    // The same key on another account is another key.
    let elsewhere = client(&standin, &fresh_key());
    let theirs = order_checkout("order-3")
        .customize()
        .request_strategy(idempotent("k-2"))
        .send(&elsewhere)
        .await
        .unwrap();
    assert_ne!(theirs.id, first.id);
}

#[tokio::test]
async fn a_replay_has_the_same_body_and_says_so() {
    let standin = standin(common::config()).await;
    let key = fresh_key();
    let http = reqwest::Client::new();
    let body = "mode=payment&success_url=http%3A%2F%2Fx%2Fok&line_items[0][price_data][currency]=usd\
                &line_items[0][price_data][unit_amount]=500&line_items[0][price_data][product_data][name]=A\
                &line_items[0][quantity]=1&metadata[order_id]=o-9";
    let send = |body: &'static str| {
        http.post(format!("{}/v1/checkout/sessions", standin.base_url))
            .bearer_auth(&key)
            .header("Idempotency-Key", "replay-me")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let first = send(body).await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = first.text().await.unwrap();

    let second = send(body).await.unwrap();
    assert_eq!(second.status(), 200);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.text().await.unwrap(), first);

    let different = send("mode=payment&success_url=http%3A%2F%2Fx%2Fok")
        .await
        .unwrap();
    assert_eq!(different.status(), 400);
    let error: serde_json::Value = different.json().await.unwrap();
    assert_eq!(error["error"]["type"], "idempotency_error");
}

#[tokio::test]
async fn expires_at_must_be_30_minutes_to_24_hours_ahead() {
    let standin = standin(common::config()).await;
    let stripe = client(&standin, &fresh_key());
    for (offset, ok) in [
        (29 * 60, false),
        (31 * 60, true),
        (23 * 3600, true),
        (25 * 3600, false),
    ] {
        let result = order_checkout("o")
            .expires_at(now() + offset)
            .send(&stripe)
            .await;
        match (result, ok) {
            (Ok(_), true) => {}
            (Err(error), false) => {
                let (status, _, param) = stripe_error(error);
                assert_eq!((status, param.as_deref()), (400, Some("expires_at")));
            }
            (result, _) => panic!("offset {offset}: unexpected {:?}", result.map(|s| s.id)),
        }
    }
}

#[tokio::test]
async fn missing_params_answer_parameter_missing() {
    let standin = standin(common::config()).await;
    let stripe = client(&standin, &fresh_key());
    let error = CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .success_url("http://x/ok")
        .send(&stripe)
        .await
        .unwrap_err();
    match error {
        StripeError::Stripe(api, 400) => {
            assert_eq!(api.param.as_deref(), Some("line_items"));
            assert_eq!(
                api.code.as_ref().map(|c| c.as_str()),
                Some("parameter_missing")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_clock_expires_overdue_open_sessions() {
    let standin = standin(common::config()).await;
    let stripe = client(&standin, &fresh_key());
    let open = order_checkout("o").send(&stripe).await.unwrap();
    stripe_standin::sessions::expire_due(&standin.app, now() + 2 * 3600);
    let after = RetrieveCheckoutSession::new(open.id.clone())
        .send(&stripe)
        .await
        .unwrap();
    assert_eq!(after.status, Some(CheckoutSessionStatus::Expired));
    let events = ListEvent::new().send(&stripe).await.unwrap();
    assert_eq!(
        events
            .data
            .iter()
            .map(|e| e.type_.as_str())
            .collect::<Vec<_>>(),
        ["checkout.session.expired"]
    );
}

#[tokio::test]
async fn refunds_partial_then_the_rest_and_never_more() {
    let standin = standin(common::config()).await;
    let stripe = client(&standin, &fresh_key());
    let session = order_checkout("order-r").send(&stripe).await.unwrap();

    // No payment yet: nothing to refund.
    let paid = pay(&standin, session.id.as_str(), "succeed").await;
    assert_eq!(paid.status(), 303);
    let session = RetrieveCheckoutSession::new(session.id.clone())
        .send(&stripe)
        .await
        .unwrap();
    assert_eq!(session.payment_status, CheckoutSessionPaymentStatus::Paid);
    let intent = match session.payment_intent.unwrap() {
        stripe_types::Expandable::Id(id) => id,
        stripe_types::Expandable::Object(intent) => intent.id,
    };

    let refund = CreateRefund::new()
        .payment_intent(intent.as_str())
        .amount(999)
        .metadata(HashMap::from([("refund_id".to_owned(), "r-1".to_owned())]))
        .customize()
        .request_strategy(idempotent("refund-r-1"))
        .send(&stripe)
        .await
        .unwrap();
    assert_eq!(refund.amount, 999);
    assert_eq!(refund.status.as_deref(), Some("succeeded"));
    assert_eq!(refund.metadata.as_ref().unwrap()["refund_id"], "r-1");
    let fetched = RetrieveRefund::new(refund.id.clone())
        .send(&stripe)
        .await
        .unwrap();
    assert_eq!(fetched.id, refund.id);

    let too_much = CreateRefund::new()
        .payment_intent(intent.as_str())
        .amount(2501)
        .send(&stripe)
        .await
        .unwrap_err();
    let (status, _, param) = stripe_error(too_much);
    assert_eq!((status, param.as_deref()), (400, Some("amount")));

    // No amount: what remains (2 x 12.50).
    let rest = CreateRefund::new()
        .payment_intent(intent.as_str())
        .send(&stripe)
        .await
        .unwrap();
    assert_eq!(rest.amount, 2500);
    let nothing_left = CreateRefund::new()
        .payment_intent(intent.as_str())
        .send(&stripe)
        .await
        .unwrap_err();
    assert_eq!(stripe_error(nothing_left).0, 400);

    let types: Vec<String> = ListEvent::new()
        .send(&stripe)
        .await
        .unwrap()
        .data
        .iter()
        .map(|e| e.type_.as_str().to_owned())
        .collect();
    assert_eq!(
        types,
        [
            "charge.refunded",
            "refund.created",
            "charge.refunded",
            "refund.created",
            "checkout.session.completed",
            "payment_intent.succeeded",
            "charge.succeeded",
        ],
        "newest first"
    );
}

#[tokio::test]
async fn a_refund_needs_a_succeeded_payment() {
    let standin = standin(common::config()).await;
    let stripe = client(&standin, &fresh_key());
    let session = order_checkout("o").send(&stripe).await.unwrap();
    assert_eq!(
        pay(&standin, session.id.as_str(), "fail").await.status(),
        200
    );
    let session = RetrieveCheckoutSession::new(session.id.clone())
        .send(&stripe)
        .await
        .unwrap();
    assert_eq!(session.status, Some(CheckoutSessionStatus::Open));
    let intent = match session.payment_intent.unwrap() {
        stripe_types::Expandable::Id(id) => id,
        stripe_types::Expandable::Object(intent) => intent.id,
    };
    let error = CreateRefund::new()
        .payment_intent(intent.as_str())
        .send(&stripe)
        .await
        .unwrap_err();
    assert_eq!(stripe_error(error).0, 400);
}

#[tokio::test]
async fn accounts_are_isolated() {
    let standin = standin(common::config()).await;
    let mine = client(&standin, &fresh_key());
    let theirs = client(&standin, &fresh_key());
    let session = order_checkout("o").send(&mine).await.unwrap();
    let error = RetrieveCheckoutSession::new(session.id.clone())
        .send(&theirs)
        .await
        .unwrap_err();
    assert_eq!(stripe_error(error).0, 404);
    assert!(
        ListEvent::new()
            .send(&theirs)
            .await
            .unwrap()
            .data
            .is_empty()
    );
    ExpireCheckoutSession::new(session.id.clone())
        .send(&mine)
        .await
        .unwrap();
    assert!(
        ListEvent::new()
            .send(&theirs)
            .await
            .unwrap()
            .data
            .is_empty()
    );
}

#[tokio::test]
async fn no_test_key_is_a_401() {
    let standin = standin(common::config()).await;
    for auth in [None, Some("Bearer sk_live_x"), Some("Bearer nonsense")] {
        let mut request = reqwest::Client::new().get(format!("{}/v1/events", standin.base_url));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{auth:?}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
}
