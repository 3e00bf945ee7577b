//! Movie files: moderators upload a movie's video or poster straight to S3 through a presigned
//! PUT (type and length fixed by the signature); owners stream the video through a presigned
//! GET that expires (S3 serves HTTP ranges). No file passes through a function, and a movie
//! takes up a new file only once S3 has it (`cinema_shared::uploads`).

use std::{collections::BTreeMap, time::Duration};

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::{AuthUser, Moderator},
    error::{FieldError, check_fields},
    extract::{ApiJson, ApiPath},
    openapi::{JsonBody, ModeratorsOnly, ProblemSchema, SignedInOnly},
    tokens, uploads,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

const UPLOAD_TTL: Duration = Duration::from_secs(3600);
pub const MAX_VIDEO_BYTES: i64 = 5 * 1024 * 1024 * 1024;
pub const MAX_POSTER_BYTES: i64 = 5 * 1024 * 1024;
const VIDEO_TYPES: &[(&str, &str)] = &[("video/mp4", "mp4"), ("video/webm", "webm")];
const POSTER_TYPES: &[(&str, &str)] = &[
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/webp", "webp"),
];

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Video,
    Poster,
}

impl MediaKind {
    fn types(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Self::Video => VIDEO_TYPES,
            Self::Poster => POSTER_TYPES,
        }
    }

    fn max_bytes(self) -> i64 {
        match self {
            Self::Video => MAX_VIDEO_BYTES,
            Self::Poster => MAX_POSTER_BYTES,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Video => "video",
            Self::Poster => "poster",
        }
    }
}

/// `{kind, content_type, content_length}`: what a moderator is about to upload.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaRequest {
    pub kind: MediaKind,
    /// video: `video/mp4` or `video/webm`; poster: `image/jpeg`, `image/png` or `image/webp`.
    #[schema(example = "video/mp4")]
    pub content_type: String,
    /// Bytes: a video up to 5 GiB, a poster up to 5 MiB.
    #[schema(minimum = 1, maximum = 5368709120_i64, example = 734003200)]
    pub content_length: i64,
}

/// Where and how to upload the file.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaUpload {
    /// PUT the file here, with exactly the headers below.
    pub upload_url: String,
    pub key: String,
    pub expires_at: DateTime<Utc>,
    pub headers: BTreeMap<String, String>,
}

/// A link to watch the movie.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamLink {
    /// A presigned GET of the video; it honours HTTP Range requests.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// Starts an upload of a movie's video or poster (moderators); the movie takes up the new
/// file once it is in S3, and keeps its current one until then.
#[utoipa::path(
    post,
    path = "/api/v1/movies/{id}/media",
    tag = "catalog",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The movie")),
    request_body = MediaRequest,
    responses(
        (status = 200, description = "A presigned PUT for the file", body = MediaUpload),
        (status = 404, description = "No such movie", body = ProblemSchema, content_type = "application/problem+json"),
        ModeratorsOnly,
        JsonBody,
    )
)]
pub async fn start_media_upload(
    State(state): State<AppState>,
    _moderator: Moderator,
    ApiPath(movie_id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<MediaRequest>,
) -> ApiResult<Json<MediaUpload>> {
    let kind = body.kind;
    let mut errors = Vec::new();
    let extension = kind
        .types()
        .iter()
        .find(|(content_type, _)| *content_type == body.content_type)
        .map(|(_, extension)| *extension);
    if extension.is_none() {
        let allowed: Vec<&str> = kind.types().iter().map(|(t, _)| *t).collect();
        errors.push(FieldError::new(
            "content_type",
            format!("a {} must be one of {}", kind.name(), allowed.join(", ")),
        ));
    }
    if !(1..=kind.max_bytes()).contains(&body.content_length) {
        errors.push(FieldError::new(
            "content_length",
            format!(
                "a {} must be between 1 and {} bytes",
                kind.name(),
                kind.max_bytes()
            ),
        ));
    }
    check_fields(errors)?;
    // Unguessable: a random name under the movie's prefix.
    let (random, _) = tokens::generate();
    let key = format!(
        "movies/{movie_id}/{}/{random}.{}",
        kind.name(),
        extension.unwrap_or_default()
    );
    let presigned = state
        .storage
        .presign_put(&key, &body.content_type, body.content_length, UPLOAD_TTL)
        .await?;
    let slot = match kind {
        MediaKind::Video => uploads::Slot::Video { movie_id },
        MediaKind::Poster => uploads::Slot::Poster { movie_id },
    };
    if !uploads::reserve(&state.db, slot, &key, presigned.expires_at).await? {
        return Err(ApiError::NotFound("no such movie".into()));
    }
    let mut headers: BTreeMap<String, String> = presigned.headers.into_iter().collect();
    headers.insert("content-type".into(), body.content_type);
    headers.insert("content-length".into(), body.content_length.to_string());
    Ok(Json(MediaUpload {
        upload_url: presigned.url,
        key,
        expires_at: presigned.expires_at,
        headers,
    }))
}

/// A link to watch a movie the caller owns.
#[utoipa::path(
    get,
    path = "/api/v1/movies/{id}/stream",
    tag = "commerce",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The movie")),
    responses(
        (status = 200, description = "A presigned link that expires", body = StreamLink),
        (status = 403, description = "The caller does not own this movie", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "No such movie, or no video uploaded yet", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn stream(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(movie_id): ApiPath<Uuid>,
) -> ApiResult<Json<StreamLink>> {
    let found: Option<(Option<String>, bool)> = sqlx::query_as(
        "SELECT m.video_key, EXISTS (SELECT 1 FROM purchases p
                                     WHERE p.user_id = $2 AND p.movie_id = m.id)
         FROM movies m WHERE m.id = $1",
    )
    .bind(movie_id)
    .bind(user.id)
    .fetch_optional(&state.db)
    .await?;
    let (video_key, owned) = found.ok_or_else(|| ApiError::NotFound("no such movie".into()))?;
    if !owned {
        return Err(ApiError::Forbidden(
            "you do not own this movie; buy it to watch it".into(),
        ));
    }
    let key = video_key
        .ok_or_else(|| ApiError::NotFound("this movie's video is not uploaded yet".into()))?;
    let link = state
        .storage
        .presign_get(&key, state.config.stream_url_ttl)
        .await?;
    Ok(Json(StreamLink {
        url: link.url,
        expires_at: link.expires_at,
    }))
}
