//! The pay page: what the customer sees, and which answers it accepts when.

mod common;

use common::{client, fresh_key, pay, standin};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    ExpireCheckoutSession, ProductData,
};
use stripe_shared::CheckoutSessionMode;

async fn session(stripe: &stripe::Client) -> stripe_shared::CheckoutSession {
    let mut price = CreateCheckoutSessionLineItemsPriceData::new(stripe_types::Currency::USD);
    price.unit_amount = Some(1999);
    price.product_data = Some(ProductData::new("<script>alert('x')</script> & Co"));
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price_data = Some(price);
    item.quantity = Some(2);
    CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Payment)
        .line_items(vec![item])
        .success_url("http://127.0.0.1:5173/ok")
        .send(stripe)
        .await
        .unwrap()
}

async fn page(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn shows_the_lines_escaped_with_the_total_and_both_buttons() {
    let standin = standin(common::config()).await;
    let stripe = client(&standin, &fresh_key());
    let session = session(&stripe).await;
    let (status, html) = page(session.url.as_deref().unwrap()).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co"),
        "{html}"
    );
    assert!(!html.contains("<script>"));
    assert!(
        html.contains("19.99 USD") && html.contains("39.98 USD"),
        "{html}"
    );
    assert!(html.contains("value=\"succeed\"") && html.contains("value=\"fail\""));
}

#[tokio::test]
async fn a_decline_keeps_the_session_open_and_a_closed_one_refuses_answers() {
    let standin = standin(common::config()).await;
    let stripe = client(&standin, &fresh_key());
    let session = session(&stripe).await;
    let declined = pay(&standin, session.id.as_str(), "fail").await;
    assert_eq!(declined.status(), 200);
    assert!(declined.text().await.unwrap().contains("declined"));
    assert_eq!(
        pay(&standin, session.id.as_str(), "maybe").await.status(),
        400
    );
    assert_eq!(
        pay(&standin, session.id.as_str(), "succeed").await.status(),
        303
    );
    assert_eq!(
        pay(&standin, session.id.as_str(), "succeed").await.status(),
        409
    );
    let (status, html) = page(session.url.as_deref().unwrap()).await;
    assert_eq!(status, 200);
    assert!(html.contains("no longer open"), "{html}");

    let expired = self::session(&stripe).await;
    ExpireCheckoutSession::new(expired.id.clone())
        .send(&stripe)
        .await
        .unwrap();
    assert_eq!(
        pay(&standin, expired.id.as_str(), "succeed").await.status(),
        409
    );
}

#[tokio::test]
async fn an_unknown_session_is_a_404_page() {
    let standin = standin(common::config()).await;
    for id in ["cs_test_00000000_1", "nonsense"] {
        let (status, html) = page(&format!("{}/pay/{id}", standin.base_url)).await;
        assert_eq!(status, 404);
        assert!(html.contains("No such checkout session"));
        assert_eq!(pay(&standin, id, "succeed").await.status(), 404);
    }
}
