//! The `mailer` Lambda: invoked by SQS with a batch of email messages.

use std::sync::Arc;

use aws_lambda_events::sqs::SqsEvent;
use cinema_mailer::{Mailer, MailerConfig};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    cinema_shared::telemetry::init();
    let mailer = Arc::new(Mailer::from_config(MailerConfig::from_env()?)?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let mailer = mailer.clone();
        async move { Ok::<_, lambda_runtime::Error>(mailer.handle_batch(event.payload).await) }
    }))
    .await
}
