//! Email: a message on SQS becomes one email in the catcher, through the `mailer` handler.

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use cinema_mailer::{Mailer, MailerConfig};
use cinema_shared::email::{Email, EmailMessage, QueuedEmail};
use sqlx::PgPool;

use crate::support::{TestApp, mail::emails_to, unique_email};

/// A welcome email as the outbox relay queues it, under an outbox id of its own.
fn welcome(to: &str) -> QueuedEmail {
    QueuedEmail {
        id: rand_id(),
        message: EmailMessage::new(to, Email::Welcome {}),
    }
}

/// Outbox ids are unique per database; tests share the delivery log's keys only by accident
/// unless each picks its own.
fn rand_id() -> i64 {
    (uuid::Uuid::new_v4().as_u128() as i64).abs()
}

async fn send_raw(app: &TestApp, body: &str) -> String {
    app.state
        .mail
        .client()
        .send_message()
        .queue_url(app.state.mail.queue_url())
        .message_body(body)
        .send()
        .await
        .unwrap()
        .message_id
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_queued_email_arrives_in_the_catcher(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let to = unique_email("welcome");
    app.state.mail.enqueue_batch(&[welcome(&to)]).await.unwrap();

    let reports = app.deliver_mail().await;
    assert_eq!(reports.len(), 1);
    assert_eq!((reports[0].received, reports[0].deleted), (1, 1));

    let caught = emails_to(&to).await;
    assert_eq!(caught.len(), 1, "exactly one email for {to}");
    assert_eq!(caught[0].subject, "Welcome to Cinema");
    assert!(caught[0].text.contains("Your account is active"));
    assert!(caught[0].html.contains("Open the catalog"));
}

#[sqlx::test(migrations = "../migrations")]
async fn failed_messages_are_reported_while_the_rest_are_sent(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let good = unique_email("good");
    app.state
        .mail
        .enqueue_batch(&[welcome(&good)])
        .await
        .unwrap();
    let bad_address = send_raw(
        &app,
        &serde_json::to_string(&welcome("not an address")).unwrap(),
    )
    .await;
    let not_json = send_raw(&app, "{this is not an email message").await;

    let reports = app.deliver_mail().await;
    let received: usize = reports.iter().map(|r| r.received).sum();
    let deleted: usize = reports.iter().map(|r| r.deleted).sum();
    let mut failed: Vec<String> = reports.iter().flat_map(|r| r.failed_ids.clone()).collect();
    failed.sort();
    let mut expected = vec![bad_address, not_json];
    expected.sort();
    assert_eq!(received, 3);
    assert_eq!(deleted, 1, "only the good message leaves the queue");
    assert_eq!(
        failed, expected,
        "exactly the two bad messages are reported"
    );
    assert_eq!(emails_to(&good).await.len(), 1);

    // The failed ones stay on the queue for a retry (invisible until their timeout ends).
    let attributes = app
        .state
        .mail
        .client()
        .get_queue_attributes()
        .queue_url(app.state.mail.queue_url())
        .attribute_names(
            aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
        )
        .send()
        .await
        .unwrap();
    let in_flight = attributes.attributes.unwrap()
        [&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible]
        .clone();
    assert_eq!(in_flight, "2");
}

fn event_with(message_id: &str, message: &QueuedEmail) -> SqsEvent {
    let mut record = SqsMessage::default();
    record.message_id = Some(message_id.to_owned());
    record.body = Some(serde_json::to_string(message).unwrap());
    let mut event = SqsEvent::default();
    event.records = vec![record];
    event
}

#[sqlx::test(migrations = "../migrations")]
async fn a_redelivered_message_is_not_sent_twice(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let to = unique_email("redelivered");
    let event = event_with(&format!("msg-{to}"), &welcome(&to));

    let first = app.mailer.handle_batch(event.clone()).await;
    let second = app.mailer.handle_batch(event).await;
    assert!(first.batch_item_failures.is_empty());
    assert!(
        second.batch_item_failures.is_empty(),
        "a redelivery is a success"
    );
    assert_eq!(emails_to(&to).await.len(), 1);
}

/// The relay may queue one outbox email twice (it died between queueing and deleting): two SQS
/// messages, one email.
#[sqlx::test(migrations = "../migrations")]
async fn one_outbox_email_queued_twice_is_sent_once(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let to = unique_email("twice");
    let email = welcome(&to);
    let first = app
        .mailer
        .handle_batch(event_with(&format!("a-{to}"), &email))
        .await;
    let second = app
        .mailer
        .handle_batch(event_with(&format!("b-{to}"), &email))
        .await;
    assert!(first.batch_item_failures.is_empty() && second.batch_item_failures.is_empty());
    assert_eq!(emails_to(&to).await.len(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_send_that_fails_is_retried_and_then_sent(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let to = unique_email("retried");
    let event = event_with(&format!("msg-{to}"), &welcome(&to));

    let mut broken = MailerConfig::from_env().unwrap();
    broken.smtp_port = 1; // nothing listens there
    let broken_mailer = Mailer::new(&broken, db).unwrap();
    let failed = broken_mailer.handle_batch(event.clone()).await;
    assert_eq!(failed.batch_item_failures.len(), 1);
    assert_eq!(
        failed.batch_item_failures[0].item_identifier,
        format!("msg-{to}")
    );
    assert!(emails_to(&to).await.is_empty());

    let retried = app.mailer.handle_batch(event).await;
    assert!(retried.batch_item_failures.is_empty());
    assert_eq!(emails_to(&to).await.len(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_smtp_server_that_never_answers_times_out(db: PgPool) {
    // Accepts connections and then says nothing, as a hung mail server does.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let mut config = MailerConfig::from_env().unwrap();
    config.smtp_port = port;
    config.smtp_timeout = std::time::Duration::from_secs(1);
    let mailer = Mailer::new(&config, db).unwrap();
    let to = unique_email("hung");

    let response = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        mailer.handle_batch(event_with(&format!("msg-{to}"), &welcome(&to))),
    )
    .await
    .expect("the mailer gives up instead of hanging");
    assert_eq!(response.batch_item_failures.len(), 1, "reported for retry");
    held.abort();
}
