//! The AWS SDK configuration, loaded once per process.
//!
//! Endpoints come from the standard variables (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_SQS`),
//! so the same binary talks to AWS or to the local stand-ins without a code path of its own.

use aws_config::{BehaviorVersion, SdkConfig};

pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

pub fn sqs_client(sdk: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(sdk)
}

pub fn s3_client(sdk: &SdkConfig, force_path_style: bool) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(force_path_style)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
