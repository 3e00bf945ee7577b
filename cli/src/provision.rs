//! Idempotent creation of the bucket and queues a local cloud needs.

use anyhow::Context;
use aws_sdk_sqs::types::QueueAttributeName;

/// How many receipts a mail message gets before it moves to the dead-letter queue.
pub const MAX_RECEIVE_COUNT: u32 = 5;

pub async fn bucket(s3: &aws_sdk_s3::Client, name: &str) -> anyhow::Result<()> {
    if s3.head_bucket().bucket(name).send().await.is_ok() {
        return Ok(());
    }
    s3.create_bucket()
        .bucket(name)
        .send()
        .await
        .with_context(|| format!("creating bucket {name}"))?;
    Ok(())
}

/// Creates the queue named by the last segment of `queue_url`, with a `-dlq` beside it.
pub async fn mail_queue(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> anyhow::Result<()> {
    let name = queue_url
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
        .context("MAIL_QUEUE_URL has no queue name")?;
    let dlq_url = sqs
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await
        .context("creating the dead-letter queue")?
        .queue_url
        .context("no dead-letter queue url")?;
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes
        .and_then(|attributes| attributes.get(&QueueAttributeName::QueueArn).cloned())
        .context("no dead-letter queue arn")?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": MAX_RECEIVE_COUNT.to_string(),
    });
    sqs.create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .attributes(QueueAttributeName::VisibilityTimeout, "60")
        .send()
        .await
        .context("creating the mail queue")?;
    Ok(())
}
