//! The lists' SQL: one implementation for every [`Kind`], its table names from the kind.

use cinema_shared::{
    ApiError, ApiResult, AppState,
    error::{FieldError, ResultExt},
    pagination::{DEFAULT_PER_PAGE, Page, PageRequest},
    text,
};
use sqlx::PgPool;

use super::Kind;
use super::model::{MAX_NAME_CHARS, Taxon, TaxonInput, TaxonListParams, TaxonPage};
use crate::listing::{self, MovieFilters, MoviePage};

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
    let name = input.clean_name()?;
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
    let name = input.clean_name()?;
    let (table, link, column) = (kind.table, kind.link_table, kind.link_column);
    let mut tx = db.begin().await?;
    if kind.on_cards {
        crate::movies::store::lock_cards(&mut tx, true).await?;
    }
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

/// The movies of one name; a 404 when there is no such name (the list's statement says).
pub async fn movies(
    state: &AppState,
    kind: &Kind,
    id: i64,
    filters: &MovieFilters,
) -> ApiResult<MoviePage> {
    listing::list(state, (kind.scope)(id), filters).await
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
