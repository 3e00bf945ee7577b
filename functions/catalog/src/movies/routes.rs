//! `/movies` and `/movies/{id}`: the public list and detail, and the moderators' writes.

use axum::{Json, extract::State, http::StatusCode};
use cinema_shared::{
    ApiResult, AppState,
    auth::{MaybeAuthUser, Moderator},
    extract::{ApiJson, ApiPath, ApiQuery},
    openapi::{JsonBody, ModeratorsOnly, ProblemSchema},
};
use uuid::Uuid;

use super::{
    model::{DeleteParams, MovieDetail, MoviePatch, NewMovie},
    store,
};
use crate::listing::{self, MovieFilters, MoviePage, Scope};

/// The catalog: every filter and sort combine; pages never repeat or skip a movie.
#[utoipa::path(
    get,
    path = "/api/v1/movies",
    tag = "catalog",
    params(MovieFilters),
    responses(
        (status = 200, description = "A page of movies", body = MoviePage),
        (status = 422, description = "A bad filter, sort or paging parameter, or an unknown one", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
pub async fn list_movies(
    State(state): State<AppState>,
    filters: MovieFilters,
) -> ApiResult<Json<MoviePage>> {
    listing::list(&state, Scope::All, &filters).await.map(Json)
}

/// A movie in full; with a bearer token also the caller's reaction, rating, favorite, cart and
/// purchase state.
#[utoipa::path(
    get,
    path = "/api/v1/movies/{id}",
    tag = "catalog",
    params(("id" = Uuid, Path, description = "The movie's id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The movie", body = MovieDetail),
        (status = 401, description = "A token was sent but is invalid", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 404, description = "No such movie", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
pub async fn get_movie(
    State(state): State<AppState>,
    MaybeAuthUser(user): MaybeAuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<MovieDetail>> {
    let movie =
        store::published_detail(&state.reads, id, user.map(|u| u.id), &state.config.currency)
            .await?;
    store::with_poster(&state.storage, movie).await.map(Json)
}

/// Adds a movie (moderators).
#[utoipa::path(
    post,
    path = "/api/v1/movies",
    tag = "catalog",
    security(("bearer" = [])),
    request_body = NewMovie,
    responses(
        (status = 201, description = "Created", body = MovieDetail),
        (status = 409, description = "A movie with this name, year and time exists", body = ProblemSchema, content_type = "application/problem+json"),
        ModeratorsOnly,
        JsonBody,
    )
)]
pub async fn create_movie(
    State(state): State<AppState>,
    moderator: Moderator,
    ApiJson(movie): ApiJson<NewMovie>,
) -> ApiResult<(StatusCode, Json<MovieDetail>)> {
    let changes = MoviePatch::from(movie).validate()?;
    let created = store::create(
        &state.db,
        changes,
        moderator.user().id,
        &state.config.currency,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Changes a movie (moderators): only the fields sent change.
#[utoipa::path(
    patch,
    path = "/api/v1/movies/{id}",
    tag = "catalog",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The movie's id")),
    request_body = MoviePatch,
    responses(
        (status = 200, description = "The changed movie", body = MovieDetail),
        (status = 404, description = "No such movie", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "Another movie has this name, year and time", body = ProblemSchema, content_type = "application/problem+json"),
        ModeratorsOnly,
        JsonBody,
    )
)]
pub async fn update_movie(
    State(state): State<AppState>,
    moderator: Moderator,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<MoviePatch>,
) -> ApiResult<Json<MovieDetail>> {
    let changes = patch.validate()?;
    let movie = store::update(
        &state.db,
        id,
        changes,
        moderator.user().id,
        &state.config.currency,
    )
    .await?;
    store::with_poster(&state.storage, movie).await.map(Json)
}

/// Deletes a movie (moderators). Refused once anyone bought it; refused while it sits in carts
/// unless `force=true`, which takes it out of them and notifies their owners.
#[utoipa::path(
    delete,
    path = "/api/v1/movies/{id}",
    tag = "catalog",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The movie's id"), DeleteParams),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such movie", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "Bought by someone, or in carts (the problem's `carts` says how many) without force", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "A bad query parameter", body = ProblemSchema, content_type = "application/problem+json"),
        ModeratorsOnly,
    )
)]
pub async fn delete_movie(
    State(state): State<AppState>,
    _moderator: Moderator,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(params): ApiQuery<DeleteParams>,
) -> ApiResult<StatusCode> {
    store::delete(&state, id, params.force.unwrap_or(false)).await?;
    Ok(StatusCode::NO_CONTENT)
}
