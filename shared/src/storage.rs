//! Files live in S3 and never pass through a function body: clients get presigned URLs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A presigned request a client can make straight to S3 until `expires_at`, sending `headers`.
#[derive(Debug, Clone, Serialize)]
pub struct PresignedUrl {
    pub url: String,
    pub expires_at: DateTime<Utc>,
    /// Headers the signature covers; the client must send them exactly.
    pub headers: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct Storage {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl Storage {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// A PUT whose signature fixes the object's content type and length, so S3 itself refuses
    /// any other file.
    pub async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: i64,
        ttl: Duration,
    ) -> anyhow::Result<PresignedUrl> {
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(content_length)
            .presigned(presigning(ttl)?)
            .await
            .context("presigning an upload")?;
        Ok(to_url(&request, ttl))
    }

    /// Whether the bucket holds `key` (a HEAD: the object is not read).
    pub async fn exists(&self, key: &str) -> anyhow::Result<bool> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(false),
            Err(err) => Err(anyhow::Error::new(err).context("asking S3 for an object")),
        }
    }

    /// A short-lived link to an avatar, for wherever a person is shown.
    pub async fn avatar_url(&self, key: &str) -> anyhow::Result<String> {
        Ok(self.presign_get(key, AVATAR_LINK_TTL).await?.url)
    }

    /// A link to a movie's poster, for showing it in a list or a detail. It is signed as of the
    /// start of the current window, so every answer within the window carries the same URL: a
    /// list stays byte-identical (its ETag holds) and browsers keep the image cached.
    pub async fn poster_url(&self, key: &str) -> anyhow::Result<String> {
        let window = POSTER_SIGNING_WINDOW.as_secs();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("the clock is before 1970")?
            .as_secs();
        let signed_at = UNIX_EPOCH + Duration::from_secs(now - now % window);
        let config = PresigningConfig::builder()
            .start_time(signed_at)
            .expires_in(POSTER_LINK_TTL + POSTER_SIGNING_WINDOW)
            .build()
            .context("presigning lifetime")?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .context("presigning a poster link")?;
        Ok(request.uri().to_owned())
    }

    /// A GET of an object that works until it expires.
    pub async fn presign_get(&self, key: &str, ttl: Duration) -> anyhow::Result<PresignedUrl> {
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning(ttl)?)
            .await
            .context("presigning a download")?;
        Ok(to_url(&request, ttl))
    }
}

/// Avatar links are for showing a page now, not for keeping.
pub const AVATAR_LINK_TTL: Duration = Duration::from_secs(300);

/// Poster links outlive a page view by a margin: a client may cache a list for a while. Each
/// link works at least this long after it is handed out.
pub const POSTER_LINK_TTL: Duration = Duration::from_secs(3600);

/// Poster links handed out within one window are the same link.
const POSTER_SIGNING_WINDOW: Duration = Duration::from_secs(1800);

fn presigning(ttl: Duration) -> anyhow::Result<PresigningConfig> {
    PresigningConfig::expires_in(ttl).context("presigning lifetime")
}

fn to_url(request: &PresignedRequest, ttl: Duration) -> PresignedUrl {
    let expires_at = Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
    PresignedUrl {
        url: request.uri().to_owned(),
        expires_at,
        headers: request
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect(),
    }
}
