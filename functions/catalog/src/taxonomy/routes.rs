//! Each kind's documented handlers and router, stamped out by one macro.

use axum::{Json, extract::State, http::StatusCode};
use cinema_shared::{
    ApiResult, AppState,
    auth::Moderator,
    extract::{ApiJson, ApiPath, ApiQuery},
    openapi::{JsonBody, ModeratorsOnly, ProblemSchema},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::model::{Taxon, TaxonInput, TaxonListParams, TaxonPage};
use super::{CERTIFICATIONS, DIRECTORS, GENRES, STARS, store};
use crate::listing::{MovieFilters, MoviePage};

/// Stamps out one kind's handlers, each with its OpenAPI description, and its router.
macro_rules! taxonomy_routes {
    ($module:ident, $kind:path, $collection:tt, $item:tt, $movies:tt) => {
        pub mod $module {
            use super::*;

            /// The list, sorted by name, each with how many movies use it.
            #[utoipa::path(
                get,
                operation_id = concat!(stringify!($module), "_list"),
                path = $collection,
                tag = "catalog",
                params(TaxonListParams),
                responses(
                    (status = 200, description = "A page of the list", body = TaxonPage),
                    (status = 422, description = "A bad paging or filter parameter", body = ProblemSchema, content_type = "application/problem+json"),
                )
            )]
            pub async fn list(
                State(state): State<AppState>,
                ApiQuery(params): ApiQuery<TaxonListParams>,
            ) -> ApiResult<Json<TaxonPage>> {
                store::list(&state.db, &$kind, params).await.map(Json)
            }

            /// Adds a name (moderators).
            #[utoipa::path(
                post,
                operation_id = concat!(stringify!($module), "_create"),
                path = $collection,
                tag = "catalog",
                security(("bearer" = [])),
                request_body = TaxonInput,
                responses(
                    (status = 201, description = "Created", body = Taxon),
                    (status = 409, description = "The name is taken", body = ProblemSchema, content_type = "application/problem+json"),
                    ModeratorsOnly,
                    JsonBody,
                )
            )]
            pub async fn create(
                State(state): State<AppState>,
                _moderator: Moderator,
                ApiJson(input): ApiJson<TaxonInput>,
            ) -> ApiResult<(StatusCode, Json<Taxon>)> {
                let created = store::create(&state.db, &$kind, input).await?;
                Ok((StatusCode::CREATED, Json(created)))
            }

            /// Renames it (moderators).
            #[utoipa::path(
                patch,
                operation_id = concat!(stringify!($module), "_rename"),
                path = $item,
                tag = "catalog",
                security(("bearer" = [])),
                params(("id" = i64, Path, description = "Its id")),
                request_body = TaxonInput,
                responses(
                    (status = 200, description = "Renamed", body = Taxon),
                    (status = 404, description = "No such id", body = ProblemSchema, content_type = "application/problem+json"),
                    (status = 409, description = "The name is taken", body = ProblemSchema, content_type = "application/problem+json"),
                    ModeratorsOnly,
                    JsonBody,
                )
            )]
            pub async fn rename(
                State(state): State<AppState>,
                _moderator: Moderator,
                ApiPath(id): ApiPath<i64>,
                ApiJson(input): ApiJson<TaxonInput>,
            ) -> ApiResult<Json<Taxon>> {
                store::rename(&state.db, &$kind, id, input).await.map(Json)
            }

            /// Deletes it (moderators); refused while any movie uses it.
            #[utoipa::path(
                delete,
                operation_id = concat!(stringify!($module), "_delete"),
                path = $item,
                tag = "catalog",
                security(("bearer" = [])),
                params(("id" = i64, Path, description = "Its id")),
                responses(
                    (status = 204, description = "Deleted"),
                    (status = 404, description = "No such id", body = ProblemSchema, content_type = "application/problem+json"),
                    (status = 409, description = "Movies still use it", body = ProblemSchema, content_type = "application/problem+json"),
                    ModeratorsOnly,
                )
            )]
            pub async fn delete(
                State(state): State<AppState>,
                _moderator: Moderator,
                ApiPath(id): ApiPath<i64>,
            ) -> ApiResult<StatusCode> {
                store::delete(&state.db, &$kind, id).await?;
                Ok(StatusCode::NO_CONTENT)
            }

            /// Its movies, with every movie filter and sort.
            #[utoipa::path(
                get,
                operation_id = concat!(stringify!($module), "_movies"),
                path = $movies,
                tag = "catalog",
                params(("id" = i64, Path, description = "Its id"), MovieFilters),
                responses(
                    (status = 200, description = "A page of its movies", body = MoviePage),
                    (status = 404, description = "No such id", body = ProblemSchema, content_type = "application/problem+json"),
                    (status = 422, description = "A bad filter, sort or paging parameter", body = ProblemSchema, content_type = "application/problem+json"),
                )
            )]
            pub async fn movies(
                State(state): State<AppState>,
                ApiPath(id): ApiPath<i64>,
                filters: MovieFilters,
            ) -> ApiResult<Json<MoviePage>> {
                store::movies(&state, &$kind, id, &filters).await.map(Json)
            }

            pub fn api() -> OpenApiRouter<AppState> {
                OpenApiRouter::new()
                    .routes(routes!(list, create))
                    .routes(routes!(rename, delete))
                    .routes(routes!(movies))
            }
        }
    };
}

taxonomy_routes!(
    genres,
    GENRES,
    "/api/v1/genres",
    "/api/v1/genres/{id}",
    "/api/v1/genres/{id}/movies"
);
taxonomy_routes!(
    directors,
    DIRECTORS,
    "/api/v1/directors",
    "/api/v1/directors/{id}",
    "/api/v1/directors/{id}/movies"
);
taxonomy_routes!(
    stars,
    STARS,
    "/api/v1/stars",
    "/api/v1/stars/{id}",
    "/api/v1/stars/{id}/movies"
);
taxonomy_routes!(
    certifications,
    CERTIFICATIONS,
    "/api/v1/certifications",
    "/api/v1/certifications/{id}",
    "/api/v1/certifications/{id}/movies"
);

/// Every kind's routes.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(genres::api())
        .merge(directors::api())
        .merge(stars::api())
        .merge(certifications::api())
}
