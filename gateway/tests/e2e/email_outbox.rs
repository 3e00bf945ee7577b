//! Emails that announce a committed change survive a queue outage: the force-delete of a movie
//! in carts commits while the queue is down, its emails wait in the outbox, and the janitor
//! relays them once they are stale. Nothing is emailed twice.

use cinema_shared::{auth::Role, email::EmailQueue};
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
    let mut cut_off = app.state.clone();
    cut_off.mail = EmailQueue::new(
        app.state.mail.client().clone(),
        format!("{}-gone", app.state.mail.queue_url()),
    );
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
