//! Genres, stars, directors and certifications: four name lists with one shape (list with
//! `movie_count`, create, rename, delete unless used, their own page of movies). One generic
//! implementation over a [`Kind`]; a macro stamps out each kind's documented handlers.

use axum::{Json, extract::State, http::StatusCode};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::Moderator,
    db::Reads,
    error::{FieldError, ResultExt},
    extract::{ApiJson, ApiPath, ApiQuery},
    openapi::{self, JsonBody, ModeratorsOnly, ProblemSchema},
    pagination::{DEFAULT_PER_PAGE, Page, PageRequest},
    text,
};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema, openapi::Object};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::listing::{self, MovieFilters, MoviePage, Scope};

/// What differs between the four lists: where they live and how movies link to them.
pub struct Kind {
    /// The table, also the path segment (`genres`).
    pub table: &'static str,
    /// One of them, for messages (`genre`).
    pub singular: &'static str,
    /// The table that links movies to it, and its column (for certifications, `movies` itself).
    pub link_table: &'static str,
    pub link_column: &'static str,
    /// Whether its names are part of the movies' search document.
    pub in_search: bool,
    pub scope: fn(i64) -> Scope,
}

pub const GENRES: Kind = Kind {
    table: "genres",
    singular: "genre",
    link_table: "movie_genres",
    link_column: "genre_id",
    in_search: false,
    scope: Scope::Genre,
};

pub const DIRECTORS: Kind = Kind {
    table: "directors",
    singular: "director",
    link_table: "movie_directors",
    link_column: "director_id",
    in_search: true,
    scope: Scope::Director,
};

pub const STARS: Kind = Kind {
    table: "stars",
    singular: "star",
    link_table: "movie_stars",
    link_column: "star_id",
    in_search: true,
    scope: Scope::Star,
};

pub const CERTIFICATIONS: Kind = Kind {
    table: "certifications",
    singular: "certification",
    link_table: "movies",
    link_column: "certification_id",
    in_search: false,
    scope: Scope::Certification,
};

impl Kind {
    /// The column of the link table that holds the movie id.
    fn link_movie_column(&self) -> &'static str {
        if self.link_table == "movies" {
            "id"
        } else {
            "movie_id"
        }
    }

    fn not_found(&self) -> ApiError {
        ApiError::NotFound(format!("no such {}", self.singular))
    }
}

/// A genre, star, director or certification in its list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Taxon {
    pub id: i64,
    pub name: String,
    /// How many movies it is linked to (kept by triggers in the writing transaction).
    pub movie_count: i64,
}

/// A page of genres, stars, directors or certifications.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaxonPage {
    pub items: Vec<Taxon>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub pages: i64,
}

/// `{name}`: one line of 1 to 100 characters, not blank (trimmed), unique regardless of case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxonInput {
    #[schema(schema_with = name_schema)]
    pub name: String,
}

fn name_schema() -> Object {
    openapi::text(1, MAX_NAME_CHARS, text::ONE_LINE_NOT_BLANK)
        .examples(["Film-Noir"])
        .build()
}

cinema_shared::param_schema!(
    /// A name filter: one line of at most [`MAX_NAME_CHARS`] characters.
    NameFilter = openapi::text(0, MAX_NAME_CHARS, text::ONE_LINE).build()
);

/// Paging and an optional name filter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TaxonListParams {
    /// Only names containing this text (case-insensitive).
    #[param(value_type = Option<NameFilter>, inline)]
    pub name: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

pub const MAX_NAME_CHARS: usize = 100;

fn clean_name(name: &str) -> Result<String, ApiError> {
    text::one_line_text(name, MAX_NAME_CHARS).map_err(|message| ApiError::invalid("name", message))
}

/// `text` for a LIKE pattern, its wildcards escaped.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub async fn list(db: &PgPool, kind: &Kind, params: TaxonListParams) -> ApiResult<TaxonPage> {
    let page = PageRequest {
        page: params.page.unwrap_or(1),
        per_page: params.per_page.unwrap_or(DEFAULT_PER_PAGE.into()),
    };
    let mut errors = match page.validate() {
        Err(ApiError::Validation(errors)) => errors,
        _ => Vec::new(),
    };
    let pattern = params
        .name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| format!("%{}%", like_escape(name)));
    if params
        .name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)
    {
        errors.push(FieldError::new(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if params
        .name
        .as_deref()
        .is_some_and(|n| !text::is_one_line(n))
    {
        errors.push(FieldError::new("name", text::NO_CONTROL_CHARACTERS));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let table = kind.table;
    let filter = "($1::text IS NULL OR t.name ILIKE $1)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table} t WHERE {filter}"))
        .bind(&pattern)
        .fetch_one(db)
        .await?;
    let items: Vec<Taxon> = sqlx::query_as(&format!(
        "SELECT t.id, t.name, t.movie_count::bigint FROM {table} t WHERE {filter} \
         ORDER BY t.name, t.id LIMIT $2 OFFSET $3"
    ))
    .bind(&pattern)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(db)
    .await?;
    let page = Page::new(items, page, total);
    Ok(TaxonPage {
        items: page.items,
        page: page.page,
        per_page: page.per_page,
        total: page.total,
        pages: page.pages,
    })
}

fn duplicate(kind: &Kind) -> ApiError {
    ApiError::conflict(format!("a {} with this name already exists", kind.singular))
}

pub async fn create(db: &PgPool, kind: &Kind, input: TaxonInput) -> ApiResult<Taxon> {
    let name = clean_name(&input.name)?;
    sqlx::query_as(&format!(
        "INSERT INTO {} (name) VALUES ($1) RETURNING id, name, 0::bigint AS movie_count",
        kind.table
    ))
    .bind(name)
    .fetch_one(db)
    .await
    .on_constraint(&format!("{}_name_key", kind.table), || duplicate(kind))
}

pub async fn rename(db: &PgPool, kind: &Kind, id: i64, input: TaxonInput) -> ApiResult<Taxon> {
    let name = clean_name(&input.name)?;
    let (table, link, column) = (kind.table, kind.link_table, kind.link_column);
    let mut tx = db.begin().await?;
    let renamed: Option<Taxon> = sqlx::query_as(&format!(
        "UPDATE {table} SET name = $2 WHERE id = $1 RETURNING id, name, movie_count::bigint"
    ))
    .bind(id)
    .bind(name)
    .fetch_optional(&mut *tx)
    .await
    .on_constraint(&format!("{table}_name_key"), || duplicate(kind))?;
    let renamed = renamed.ok_or_else(|| kind.not_found())?;
    if kind.in_search {
        // People's names are part of their movies' search documents.
        sqlx::query(&format!(
            "SELECT refresh_movie_search(ARRAY(SELECT {movie} FROM {link} WHERE {column} = $1))",
            movie = kind.link_movie_column()
        ))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(renamed)
}

pub async fn delete(db: &PgPool, kind: &Kind, id: i64) -> ApiResult<()> {
    let deleted = sqlx::query(&format!("DELETE FROM {} WHERE id = $1", kind.table))
        .bind(id)
        .execute(db)
        .await
        // The links restrict deletion: a used one cannot go.
        .on_constraint(
            &format!("{}_{}_fkey", kind.link_table, kind.link_column),
            || {
                ApiError::conflict(format!(
                    "this {} is still used by movies; take it off them first",
                    kind.singular
                ))
            },
        )?;
    if deleted.rows_affected() == 0 {
        return Err(kind.not_found());
    }
    Ok(())
}

pub async fn movies(
    reads: &Reads,
    kind: &Kind,
    id: i64,
    filters: &MovieFilters,
) -> ApiResult<MoviePage> {
    let exists_sql = format!("SELECT EXISTS (SELECT 1 FROM {} WHERE id = $1)", kind.table);
    let exists = reads
        .fetch_optional(sqlx::query_scalar::<_, bool>(&exists_sql).bind(id))
        .await?;
    if exists != Some(true) {
        return Err(kind.not_found());
    }
    listing::list(reads, (kind.scope)(id), filters).await
}

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
                super::list(&state.db, &$kind, params).await.map(Json)
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
                let created = super::create(&state.db, &$kind, input).await?;
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
                super::rename(&state.db, &$kind, id, input).await.map(Json)
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
                super::delete(&state.db, &$kind, id).await?;
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
                super::movies(&state.reads, &$kind, id, &filters).await.map(Json)
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

/// The ids among `ids` of each kind that name nothing, in the order genres, directors, stars,
/// certifications: one round trip for a whole movie's links.
pub async fn missing_ids(
    db: impl sqlx::PgExecutor<'_>,
    ids: [&[i64]; 4],
) -> Result<[Vec<i64>; 4], sqlx::Error> {
    let (genres, directors, stars, certifications): (Vec<i64>, Vec<i64>, Vec<i64>, Vec<i64>) =
        sqlx::query_as(
            "SELECT \
                ARRAY(SELECT x FROM unnest($1::bigint[]) x WHERE NOT EXISTS (SELECT 1 FROM genres t WHERE t.id = x)), \
                ARRAY(SELECT x FROM unnest($2::bigint[]) x WHERE NOT EXISTS (SELECT 1 FROM directors t WHERE t.id = x)), \
                ARRAY(SELECT x FROM unnest($3::bigint[]) x WHERE NOT EXISTS (SELECT 1 FROM stars t WHERE t.id = x)), \
                ARRAY(SELECT x FROM unnest($4::bigint[]) x WHERE NOT EXISTS (SELECT 1 FROM certifications t WHERE t.id = x))",
        )
        .bind(ids[0])
        .bind(ids[1])
        .bind(ids[2])
        .bind(ids[3])
        .fetch_one(db)
        .await?;
    Ok([genres, directors, stars, certifications])
}
