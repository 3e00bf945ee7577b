//! `PUT/DELETE /movies/{id}/reaction`: one like or dislike per user and movie.

use axum::{Json, extract::State, http::StatusCode};
use cinema_shared::{
    ApiResult, AppState,
    auth::AuthUser,
    error::ResultExt,
    extract::{ApiJson, ApiPath},
    openapi::{JsonBody, ProblemSchema, SignedInOnly},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::movie;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReactionValue {
    Like,
    Dislike,
}

impl ReactionValue {
    fn as_str(self) -> &'static str {
        match self {
            Self::Like => "like",
            Self::Dislike => "dislike",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReactionInput {
    pub value: ReactionValue,
}

/// The caller's reaction and the movie's counts after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReactionState {
    pub value: ReactionValue,
    pub likes: i64,
    pub dislikes: i64,
}

/// Sets the caller's reaction, replacing a different one.
#[utoipa::path(
    put,
    path = "/api/v1/movies/{id}/reaction",
    tag = "engagement",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The movie's id")),
    request_body = ReactionInput,
    responses(
        (status = 200, description = "The reaction and the movie's new counts", body = ReactionState),
        (status = 404, description = "No such movie", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
        JsonBody,
    )
)]
pub async fn put_reaction(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ReactionInput>,
) -> ApiResult<Json<ReactionState>> {
    let mut tx = state.db.begin().await?;
    // The counters move in the triggers of this statement; an unchanged reaction writes nothing.
    sqlx::query(
        "INSERT INTO reactions (user_id, movie_id, value) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, movie_id) DO UPDATE \
             SET value = EXCLUDED.value, updated_at = now() \
             WHERE reactions.value <> EXCLUDED.value",
    )
    .bind(user.id)
    .bind(id)
    .bind(input.value.as_str())
    .execute(&mut *tx)
    .await
    .on_constraint("reactions_movie_id_fkey", movie::not_found)?;
    let (likes, dislikes): (i32, i32) =
        sqlx::query_as("SELECT likes, dislikes FROM movies WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(Json(ReactionState {
        value: input.value,
        likes: likes.into(),
        dislikes: dislikes.into(),
    }))
}

/// Clears the caller's reaction, if any.
#[utoipa::path(
    delete,
    path = "/api/v1/movies/{id}/reaction",
    tag = "engagement",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The movie's id")),
    responses(
        (status = 204, description = "No reaction now"),
        (status = 404, description = "No such movie", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn delete_reaction(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    movie::clear_own(&state.db, movie::OwnRow::Reaction, user.id, id).await
}
