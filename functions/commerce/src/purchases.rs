//! `GET /users/me/purchases`: the movies the caller owns, with every filter and sort of the
//! catalog (the shared listing), each with when it was bought.

use axum::{Json, extract::State};
use cinema_listing::{self as listing, MovieFilters, MoviePage, Scope};
use cinema_shared::{
    ApiResult, AppState,
    auth::TokenHolder,
    openapi::{ProblemSchema, SignedInOnly},
};

/// The caller's library.
#[utoipa::path(
    get,
    path = "/api/v1/users/me/purchases",
    tag = "commerce",
    security(("bearer" = [])),
    params(MovieFilters),
    responses(
        (status = 200, description = "A page of the caller's movies, each with `purchased_at`", body = MoviePage),
        (status = 422, description = "A bad filter, sort or paging parameter", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn list_purchases(
    State(state): State<AppState>,
    caller: TokenHolder,
    filters: MovieFilters,
) -> ApiResult<Json<MoviePage>> {
    listing::list(&state, Scope::PurchasesOf(caller), &filters)
        .await
        .map(Json)
}
