//! Emails that announce a committed change survive a queue outage: the force-delete of a movie
//! in carts commits while the queue is down, its emails wait in the outbox, and the janitor
//! relays them once they are stale. Nothing is emailed twice.

use std::time::Duration;

use cinema_shared::{auth::Role, email::EmailQueue};
use serde_json::json;
use sqlx::PgPool;

use crate::support::{TestApp, TestConfig, mail::emails_to};

async fn waiting(db: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM email_outbox")
        .fetch_one(db)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn emails_of_a_delete_made_while_the_queue_is_down_go_out_later(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let db = &app.state.db;
    let carted = c.movie("C");
    let owners = [&c.raters[1], &c.raters[2]];
    app.put_in_carts(carted, &owners).await;

    // The same API, its mail queue unreachable.
    let cut_off = app.state.clone().with_mail(EmailQueue::new(
        app.state.mail.client().clone(),
        format!("{}-gone", app.state.mail.queue_url()),
    ));
    let outage = TestApp::serve(cut_off, &TestConfig::from_env().mailer).await;
    let deleted = outage
        .request(
            reqwest::Method::DELETE,
            &format!("/movies/{carted}?force=true"),
        )
        .header("authorization", moderator.bearer())
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204, "the delete stands without the queue");
    outage.outbox_settled().await;
    assert_eq!(waiting(db).await, 2);

    // Fresh ones may still be relayed by their request: the janitor leaves them.
    let early = cinema_janitor::run_all(db, &app.state.mail, &crate::support::stale_orders())
        .await
        .unwrap();
    assert_eq!(early.emails_relayed, 0);
    sqlx::query("UPDATE email_outbox SET created_at = now() - interval '2 minutes'")
        .execute(db)
        .await
        .unwrap();
    let later = cinema_janitor::run_all(db, &app.state.mail, &crate::support::stale_orders())
        .await
        .unwrap();
    assert_eq!(later.emails_relayed, 2);
    assert_eq!(waiting(db).await, 0);
    let again = cinema_janitor::run_all(db, &app.state.mail, &crate::support::stale_orders())
        .await
        .unwrap();
    assert_eq!(again.emails_relayed, 0);

    app.deliver_mail().await;
    for owner in owners {
        let emails = emails_to(&owner.email).await;
        assert_eq!(emails.len(), 1, "one email to {}", owner.email);
        assert!(emails[0].text.contains("Crimson Harbor"));
    }
}

/// The attempts the requests' relays made at the email to `to`.
async fn tries_of_email_to(db: &PgPool, to: &str) -> i32 {
    sqlx::query_scalar("SELECT attempts FROM email_outbox WHERE message->>'to' = $1")
        .bind(to)
        .fetch_one(db)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn after_a_failed_queue_call_requests_leave_the_queue_alone_for_a_rest(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let db = &app.state.db;
    let [first, during, after] = [
        app.signed_up().await,
        app.signed_up().await,
        app.signed_up().await,
    ];
    app.deliver_mail().await;

    let rest = Duration::from_millis(800);
    let cut_off = app
        .state
        .clone()
        .with_mail(EmailQueue::new(
            app.state.mail.client().clone(),
            format!("{}-gone", app.state.mail.queue_url()),
        ))
        .with_relay_rest(rest);
    let outage = TestApp::serve(cut_off, &TestConfig::from_env().mailer).await;
    let forgot = |email: String| {
        let outage = &outage;
        async move {
            let response = outage
                .post("/auth/password/forgot")
                .json(&json!({ "email": email }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 202);
            outage.outbox_settled().await;
        }
    };

    forgot(first.clone()).await;
    assert_eq!(tries_of_email_to(db, &first).await, 1, "the first tries");
    forgot(during.clone()).await;
    assert_eq!(
        tries_of_email_to(db, &during).await,
        0,
        "right after a failure, the email waits for the janitor untried"
    );
    tokio::time::sleep(rest).await;
    forgot(after.clone()).await;
    assert_eq!(
        tries_of_email_to(db, &after).await,
        1,
        "after the rest, a request tries the queue again"
    );

    sqlx::query("UPDATE email_outbox SET created_at = now() - interval '2 minutes'")
        .execute(db)
        .await
        .unwrap();
    let relayed = cinema_janitor::run_all(db, &app.state.mail, &crate::support::stale_orders())
        .await
        .unwrap();
    assert_eq!(relayed.emails_relayed, 3);
    app.deliver_mail().await;
    for user in [&first, &during, &after] {
        let resets: Vec<_> = emails_to(user)
            .await
            .into_iter()
            .filter(|email| email.subject == "Reset your Cinema password")
            .collect();
        assert_eq!(resets.len(), 1, "one reset email to {user}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn emails_staged_by_many_requests_at_once_are_each_relayed_and_sent_once(db: PgPool) {
    // One client asks for them all.
    let app = TestApp::spawn_with(db, |config| config.api.accounts.email_per_client = 100).await;
    let mut users = Vec::new();
    for _ in 0..15 {
        users.push(app.signed_up().await);
    }
    app.deliver_mail().await;

    // More than a queue batch (ten) handed to the relay at once.
    let answers = futures::future::join_all(users.iter().map(|email| {
        app.post("/auth/password/forgot")
            .json(&json!({ "email": email }))
            .send()
    }))
    .await;
    for answer in answers {
        assert_eq!(answer.unwrap().status(), 202);
    }
    app.outbox_settled().await;
    assert_eq!(
        waiting(&app.state.db).await,
        0,
        "the requests' relay queued them all, no janitor needed"
    );
    app.deliver_mail().await;
    for user in &users {
        let resets = emails_to(user)
            .await
            .into_iter()
            .filter(|email| email.subject == "Reset your Cinema password")
            .count();
        assert_eq!(resets, 1, "one reset email to {user}");
    }
}
