//! Favorites: idempotent add and remove, and the caller's list with every movie filter.

use axum::{Json, extract::State, http::StatusCode};
use cinema_listing::{self as listing, MovieFilters, MoviePage, Scope};
use cinema_shared::{
    ApiResult, AppState,
    auth::{AuthUser, TokenHolder},
    error::ResultExt,
    extract::ApiPath,
    openapi::{ProblemSchema, SignedInOnly},
};
use uuid::Uuid;

use crate::movie;

/// Adds the movie to the caller's favorites (again is fine).
#[utoipa::path(
    put,
    path = "/api/v1/movies/{id}/favorite",
    tag = "engagement",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The movie's id")),
    responses(
        (status = 204, description = "It is a favorite"),
        (status = 404, description = "No such movie", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn put_favorite(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    sqlx::query("INSERT INTO favorites (user_id, movie_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(user.id)
        .bind(id)
        .execute(&state.db)
        .await
        .on_constraint("favorites_movie_id_fkey", movie::not_found)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes the movie from the caller's favorites (again is fine).
#[utoipa::path(
    delete,
    path = "/api/v1/movies/{id}/favorite",
    tag = "engagement",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The movie's id")),
    responses(
        (status = 204, description = "It is not a favorite"),
        (status = 404, description = "No such movie", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn delete_favorite(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    movie::clear_own(&state.db, movie::OwnRow::Favorite, user.id, id).await
}

/// The caller's favorites, with every movie filter and sort.
#[utoipa::path(
    get,
    path = "/api/v1/users/me/favorites",
    tag = "engagement",
    security(("bearer" = [])),
    params(MovieFilters),
    responses(
        (status = 200, description = "A page of the caller's favorite movies", body = MoviePage),
        (status = 422, description = "A bad filter, sort or paging parameter", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn list_favorites(
    State(state): State<AppState>,
    caller: TokenHolder,
    filters: MovieFilters,
) -> ApiResult<Json<MoviePage>> {
    listing::list(&state, Scope::FavoritesOf(caller), &filters)
        .await
        .map(Json)
}
