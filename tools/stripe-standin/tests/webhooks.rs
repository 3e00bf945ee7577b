//! Webhooks: every event the stand-in can emit, as delivered, must pass async-stripe's
//! `Webhook::construct_event` with the signature header it came with and give the typed object;
//! failed deliveries are retried; a resend keeps the event and signs it anew.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{Receiver, fresh_key, pay, register_endpoint, standin};
use serde_json::Value;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, ExpireCheckoutSession, ProductData,
};
use stripe_core::refund::CreateRefund;
use stripe_shared::CheckoutSessionMode;
use stripe_standin::config::DefaultEndpoint;
use stripe_webhook::{EventObject, Webhook};

async fn checkout(stripe: &stripe::Client, order_id: &str) -> stripe_shared::CheckoutSession {
    let mut price = CreateCheckoutSessionLineItemsPriceData::new(stripe_types::Currency::EUR);
    price.unit_amount = Some(1500);
    price.product_data = Some(ProductData::new("Gamma"));
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price_data = Some(price);
    item.quantity = Some(1);
    let metadata = HashMap::from([("order_id".to_owned(), order_id.to_owned())]);
    let mut intent_data = CreateCheckoutSessionPaymentIntentData::new();
    intent_data.metadata = Some(metadata.clone());
    CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .line_items(vec![item])
        .metadata(metadata)
        .payment_intent_data(intent_data)
        .success_url("http://127.0.0.1:5173/done?session={CHECKOUT_SESSION_ID}")
        .send(stripe)
        .await
        .unwrap()
}

fn metadata_order(metadata: Option<&HashMap<String, String>>) -> Option<&str> {
    metadata.and_then(|m| m.get("order_id")).map(String::as_str)
}

#[tokio::test]
async fn every_event_passes_construct_event_with_its_signature() {
    let standin = standin(common::config()).await;
    let key = fresh_key();
    let receiver = Receiver::start(&[]).await;
    let (_, secret) = register_endpoint(&standin, &key, &receiver.url).await;
    let stripe = common::client(&standin, &key);

    let paid = checkout(&stripe, "order-a").await;
    assert_eq!(pay(&standin, paid.id.as_str(), "fail").await.status(), 200);
    let redirect = pay(&standin, paid.id.as_str(), "succeed").await;
    assert_eq!(redirect.status(), 303);
    assert_eq!(
        redirect.headers()["location"].to_str().unwrap(),
        format!("http://127.0.0.1:5173/done?session={}", paid.id.as_str())
    );
    let expired = checkout(&stripe, "order-b").await;
    ExpireCheckoutSession::new(expired.id.clone())
        .send(&stripe)
        .await
        .unwrap();
    let paid_intent = receiver.wait_for(4).await;
    let intent_id = paid_intent
        .iter()
        .find_map(|d| {
            let event = Webhook::construct_event(&d.body, &d.signature, &secret).ok()?;
            match event.data.object {
                EventObject::PaymentIntentSucceeded(intent) => Some(intent.id),
                _ => None,
            }
        })
        .expect("payment_intent.succeeded was delivered");
    CreateRefund::new()
        .payment_intent(intent_id.as_str())
        .amount(500)
        .send(&stripe)
        .await
        .unwrap();

    let deliveries = receiver.wait_for(7).await;
    let mut seen = Vec::new();
    for delivery in &deliveries {
        assert_eq!(delivery.content_type, "application/json; charset=utf-8");
        let event = Webhook::construct_event(&delivery.body, &delivery.signature, &secret)
            .unwrap_or_else(|e| panic!("{e:?}: {}", delivery.body));
        let raw: Value = serde_json::from_str(&delivery.body).unwrap();
        assert_eq!(raw["api_version"], stripe_shared::version::VERSION.as_str());
        assert_eq!(raw["pending_webhooks"], 1);
        assert_eq!(raw["livemode"], false);
        let type_ = event.type_.as_str().to_owned();
        match (type_.as_str(), event.data.object) {
            ("payment_intent.payment_failed", EventObject::PaymentIntentPaymentFailed(intent)) => {
                assert!(intent.last_payment_error.is_some());
                assert_eq!(metadata_order(Some(&intent.metadata)), Some("order-a"));
            }
            ("charge.succeeded", EventObject::ChargeSucceeded(charge)) => {
                assert!(charge.paid && charge.captured);
                assert_eq!(charge.amount, 1500);
                assert_eq!(metadata_order(Some(&charge.metadata)), Some("order-a"));
            }
            ("payment_intent.succeeded", EventObject::PaymentIntentSucceeded(intent)) => {
                assert_eq!(intent.amount_received, 1500);
                assert_eq!(metadata_order(Some(&intent.metadata)), Some("order-a"));
            }
            ("checkout.session.completed", EventObject::CheckoutSessionCompleted(session)) => {
                assert_eq!(session.id, paid.id);
                assert_eq!(
                    session.payment_status,
                    stripe_shared::CheckoutSessionPaymentStatus::Paid
                );
                assert_eq!(metadata_order(session.metadata.as_ref()), Some("order-a"));
                assert!(session.payment_intent.is_some());
            }
            ("checkout.session.expired", EventObject::CheckoutSessionExpired(session)) => {
                assert_eq!(session.id, expired.id);
                assert_eq!(metadata_order(session.metadata.as_ref()), Some("order-b"));
            }
            ("refund.created", EventObject::RefundCreated(refund)) => {
                assert_eq!(refund.amount, 500);
            }
            ("charge.refunded", EventObject::ChargeRefunded(charge)) => {
                assert_eq!((charge.amount_refunded, charge.refunded), (500, false));
                assert_eq!(metadata_order(Some(&charge.metadata)), Some("order-a"));
            }
            (other, _) => panic!("{other}: not the typed variant it should be"),
        }
        seen.push(type_);
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "charge.refunded",
            "charge.succeeded",
            "checkout.session.completed",
            "checkout.session.expired",
            "payment_intent.payment_failed",
            "payment_intent.succeeded",
            "refund.created",
        ],
    );
}

#[tokio::test]
async fn a_failed_delivery_is_retried_until_it_succeeds() {
    let standin = standin(common::config()).await;
    let key = fresh_key();
    let receiver = Receiver::start(&[500]).await;
    let (_, secret) = register_endpoint(&standin, &key, &receiver.url).await;
    let stripe = common::client(&standin, &key);
    let session = checkout(&stripe, "order-c").await;
    ExpireCheckoutSession::new(session.id.clone())
        .send(&stripe)
        .await
        .unwrap();

    let deliveries = receiver.wait_for(2).await;
    assert_eq!(
        deliveries[0].body, deliveries[1].body,
        "the same bytes again"
    );
    for delivery in &deliveries {
        Webhook::construct_event(&delivery.body, &delivery.signature, &secret).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 2, "no retry after the 200");

    let log: Vec<Value> = reqwest::get(format!("{}/_local/deliveries", standin.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let event_id: Value = serde_json::from_str::<Value>(&deliveries[0].body).unwrap()["id"].clone();
    let statuses: Vec<&Value> = log
        .iter()
        .filter(|record| record["event_id"] == event_id)
        .map(|record| &record["status"])
        .collect();
    assert_eq!(statuses, [&Value::from(500), &Value::from(200)]);
}

#[tokio::test]
async fn a_retry_does_not_hold_up_later_events() {
    let mut config = common::config();
    config.retry_delays = vec![Duration::from_millis(400)];
    let standin = standin(config).await;
    let key = fresh_key();
    let receiver = Receiver::start(&[503]).await;
    register_endpoint(&standin, &key, &receiver.url).await;
    let stripe = common::client(&standin, &key);
    let first = checkout(&stripe, "first").await;
    let second = checkout(&stripe, "second").await;
    ExpireCheckoutSession::new(first.id.clone())
        .send(&stripe)
        .await
        .unwrap();
    ExpireCheckoutSession::new(second.id.clone())
        .send(&stripe)
        .await
        .unwrap();

    let order: Vec<String> = receiver
        .wait_for(3)
        .await
        .iter()
        .map(|d| {
            serde_json::from_str::<Value>(&d.body).unwrap()["data"]["object"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    // first (503), second, then first's retry.
    assert_eq!(
        order,
        [first.id.as_str(), second.id.as_str(), first.id.as_str()]
    );
}

#[tokio::test]
async fn a_resend_keeps_the_event_and_signs_it_anew() {
    let standin = standin(common::config()).await;
    let key = fresh_key();
    let receiver = Receiver::start(&[]).await;
    let (_, secret) = register_endpoint(&standin, &key, &receiver.url).await;
    let stripe = common::client(&standin, &key);
    let session = checkout(&stripe, "order-d").await;
    ExpireCheckoutSession::new(session.id.clone())
        .send(&stripe)
        .await
        .unwrap();
    let original = receiver.wait_for(1).await.remove(0);
    let event_id = serde_json::from_str::<Value>(&original.body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Past the second, so the new signature has a new timestamp.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let answer: Value = reqwest::Client::new()
        .post(format!(
            "{}/_local/events/{event_id}/resend",
            standin.base_url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer,
        serde_json::json!({ "delivered": true, "status": 200 })
    );
    let resent = receiver.wait_for(2).await.remove(1);
    assert_eq!(resent.body, original.body);
    assert_ne!(resent.signature, original.signature);
    let event = Webhook::construct_event(&resent.body, &resent.signature, &secret).unwrap();
    assert_eq!(event.id.as_str(), event_id);

    let unknown = reqwest::Client::new()
        .post(format!(
            "{}/_local/events/evt_test_00000000_1/resend",
            standin.base_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn the_default_endpoint_serves_every_account_until_one_registers_its_own() {
    let default = Receiver::start(&[]).await;
    let mut config = common::config();
    config.default_endpoint = Some(DefaultEndpoint {
        url: default.url.clone(),
        secret: "whsec_default".into(),
    });
    let standin = standin(config).await;

    let plain = common::client(&standin, &fresh_key());
    let session = checkout(&plain, "order-e").await;
    ExpireCheckoutSession::new(session.id.clone())
        .send(&plain)
        .await
        .unwrap();
    let delivery = default.wait_for(1).await.remove(0);
    Webhook::construct_event(&delivery.body, &delivery.signature, "whsec_default").unwrap();

    // A test's own account: endpoint registered with a placeholder, then pointed at its app.
    let key = fresh_key();
    let own = Receiver::start(&[]).await;
    let (endpoint_id, secret) =
        register_endpoint(&standin, &key, "http://127.0.0.1:9/placeholder").await;
    let updated: Value = reqwest::Client::new()
        .post(format!(
            "{}/v1/webhook_endpoints/{endpoint_id}",
            standin.base_url
        ))
        .bearer_auth(&key)
        .form(&[("url", own.url.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(updated["url"], own.url.as_str());
    let stripe = common::client(&standin, &key);
    let session = checkout(&stripe, "order-f").await;
    ExpireCheckoutSession::new(session.id.clone())
        .send(&stripe)
        .await
        .unwrap();
    let delivery = own.wait_for(1).await.remove(0);
    Webhook::construct_event(&delivery.body, &delivery.signature, &secret).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        default.received().len(),
        1,
        "the registered endpoint replaces the default"
    );
}
