//! `PUT/DELETE /movies/{id}/rating`: one 1-10 score per user and movie.

use axum::{Json, extract::State, http::StatusCode};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::AuthUser,
    error::ResultExt,
    extract::{ApiJson, ApiPath},
    openapi::{JsonBody, ProblemSchema, SignedInOnly},
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::movie;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingInput {
    /// An integer from 1 to 10.
    #[schema(minimum = 1, maximum = 10, example = 8)]
    pub score: i64,
}

/// The caller's score and the movie's rating after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingState {
    pub score: i64,
    /// Over current ratings, two places.
    #[schema(example = 7.25)]
    pub average_rating: Option<f64>,
    pub ratings_count: i64,
}

/// Sets or replaces the caller's rating.
#[utoipa::path(
    put,
    path = "/api/v1/movies/{id}/rating",
    tag = "engagement",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The movie's id")),
    request_body = RatingInput,
    responses(
        (status = 200, description = "The rating and the movie's new average", body = RatingState),
        (status = 404, description = "No such movie", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
        JsonBody,
    )
)]
pub async fn put_rating(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<RatingInput>,
) -> ApiResult<Json<RatingState>> {
    if !(1..=10).contains(&input.score) {
        return Err(ApiError::invalid(
            "score",
            "must be an integer from 1 to 10",
        ));
    }
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "INSERT INTO ratings (user_id, movie_id, score) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, movie_id) DO UPDATE \
             SET score = EXCLUDED.score, updated_at = now() \
             WHERE ratings.score <> EXCLUDED.score",
    )
    .bind(user.id)
    .bind(id)
    .bind(input.score as i16)
    .execute(&mut *tx)
    .await
    .on_constraint("ratings_movie_id_fkey", movie::not_found)?;
    let (average, count): (Option<Decimal>, i32) =
        sqlx::query_as("SELECT average_rating, ratings_count FROM movies WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(Json(RatingState {
        score: input.score,
        average_rating: average.and_then(|a| a.to_string().parse().ok()),
        ratings_count: count.into(),
    }))
}

/// Clears the caller's rating, if any.
#[utoipa::path(
    delete,
    path = "/api/v1/movies/{id}/rating",
    tag = "engagement",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The movie's id")),
    responses(
        (status = 204, description = "No rating now"),
        (status = 404, description = "No such movie", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn delete_rating(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    movie::clear_own(&state.db, movie::OwnRow::Rating, user.id, id).await
}
