//! Avatar uploads: the client gets a presigned PUT that fixes type and length, and uploads
//! straight to S3; the file never passes through the function. The profile takes up the new
//! avatar once S3 has it (`cinema_shared::uploads`).

use std::{collections::BTreeMap, time::Duration};

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use cinema_shared::{
    ApiError, AppState,
    auth::AuthUser,
    error::{FieldError, check_fields},
    extract::ApiJson,
    openapi::{JsonBody, ProblemSchema, SignedInOnly},
    rate_limit::{self, Bucket},
    tokens, uploads,
};
use serde::{Deserialize, Serialize};
use utoipa::{
    ToSchema,
    openapi::{Object, ObjectBuilder, Type},
};

pub const MAX_AVATAR_BYTES: i64 = 1024 * 1024;
const UPLOAD_TTL: Duration = Duration::from_secs(600);
/// Avatar uploads a user may start per window.
pub const AVATAR_UPLOADS_PER_WINDOW: u32 = 20;
const AVATAR_UPLOAD_WINDOW: Duration = Duration::from_secs(3600);
const ALLOWED_TYPES: &[(&str, &str)] = &[
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/webp", "webp"),
];

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvatarRequest {
    #[schema(schema_with = content_type_schema)]
    content_type: String,
    /// The file's size in bytes, at most 1 MiB.
    #[schema(minimum = 1, maximum = 1048576, example = 48213)]
    content_length: i64,
}

/// One of the image types an avatar may have.
fn content_type_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(
            ALLOWED_TYPES.iter().map(|(content_type, _)| *content_type),
        ))
        .examples(["image/png"])
        .build()
}

/// Where and how to upload the avatar.
#[derive(Serialize, ToSchema)]
pub struct AvatarUpload {
    /// PUT the file here, with exactly the headers below.
    pub upload_url: String,
    pub key: String,
    pub expires_at: DateTime<Utc>,
    pub headers: BTreeMap<String, String>,
}

/// Starts an avatar upload; the profile shows the new avatar once the file is in S3.
#[utoipa::path(
    post, path = "/api/v1/users/me/avatar", tag = "accounts",
    request_body = AvatarRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A presigned PUT for the avatar", body = AvatarUpload),
        (status = 429, description = "Too many uploads started; see Retry-After", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
        JsonBody,
    )
)]
pub async fn start_upload(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<AvatarRequest>,
) -> Result<Json<AvatarUpload>, ApiError> {
    let mut errors = Vec::new();
    let extension = ALLOWED_TYPES
        .iter()
        .find(|(content_type, _)| *content_type == body.content_type)
        .map(|(_, extension)| *extension);
    if extension.is_none() {
        errors.push(FieldError::new(
            "content_type",
            "must be one of image/jpeg, image/png, image/webp",
        ));
    }
    if !(1..=MAX_AVATAR_BYTES).contains(&body.content_length) {
        errors.push(FieldError::new(
            "content_length",
            format!("must be between 1 and {MAX_AVATAR_BYTES} bytes"),
        ));
    }
    check_fields(errors)?;
    // Each upload handed out can be PUT (and so wake the janitor) until it expires.
    rate_limit::hit(
        &mut *state.db.acquire().await?,
        AVATAR_UPLOAD_WINDOW,
        &[Bucket::new(
            format!("avatar:{}", user.id),
            AVATAR_UPLOADS_PER_WINDOW,
        )],
    )
    .await?;
    // Per user and unguessable: a random name under the user's own prefix.
    let (random, _) = tokens::generate();
    let key = format!(
        "avatars/{}/{random}.{}",
        user.id,
        extension.unwrap_or_default()
    );
    let presigned = state
        .storage
        .presign_put(&key, &body.content_type, body.content_length, UPLOAD_TTL)
        .await?;
    let slot = uploads::Slot::Avatar { user_id: user.id };
    if !uploads::reserve(&state.db, slot, &key, presigned.expires_at).await? {
        return Err(ApiError::Unauthorized(
            "this account no longer exists".into(),
        ));
    }
    let mut headers: BTreeMap<String, String> = presigned.headers.into_iter().collect();
    headers.insert("content-type".into(), body.content_type);
    headers.insert("content-length".into(), body.content_length.to_string());
    Ok(Json(AvatarUpload {
        upload_url: presigned.url,
        key,
        expires_at: presigned.expires_at,
        headers,
    }))
}
