//! The cart: one per user, a movie at most once, never a movie the user owns or one that is not
//! for sale.

mod read;

use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use cinema_shared::{
    ApiError, ApiResult, AppState,
    auth::{AuthUser, Moderator, TokenHolder},
    error::ResultExt,
    extract::{ApiJson, ApiPath},
    openapi::{JsonBody, ModeratorsOnly, ProblemSchema, SignedInOnly},
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, value::RawValue};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::exclusion::Exclusion;
use read::Reader;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Genre {
    pub id: i64,
    pub name: String,
}

// The schema of what `read` writes.
/// A movie in the cart, at its current price.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartItem {
    pub movie_id: Uuid,
    pub name: String,
    /// The movie's current price, two decimal places.
    #[schema(value_type = String, example = "9.99")]
    #[serde(serialize_with = "cinema_shared::money::two_places")]
    pub price: Decimal,
    pub year: i32,
    pub genres: Vec<Genre>,
    pub added_at: DateTime<Utc>,
    pub is_available: bool,
    /// Why an order would leave this movie out; null when it can be ordered.
    #[schema(value_type = Option<Exclusion>)]
    pub excluded_reason: Option<String>,
}

// The schema of what `read` writes.
/// A cart's movies and what they cost together now.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cart {
    /// Oldest addition first.
    pub items: Vec<CartItem>,
    /// The sum of the items' current prices.
    #[schema(value_type = String, example = "19.98")]
    #[serde(serialize_with = "cinema_shared::money::two_places")]
    pub total: Decimal,
    #[schema(example = "USD")]
    pub currency: String,
}

/// The caller's cart.
#[utoipa::path(
    get,
    path = "/api/v1/cart",
    tag = "commerce",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The cart", body = Cart),
        SignedInOnly,
    )
)]
pub async fn get_cart(
    State(state): State<AppState>,
    caller: TokenHolder,
) -> ApiResult<Json<Box<RawValue>>> {
    let reader = Reader::Owner {
        session_id: caller.session_id,
    };
    read::cart_json(&state, caller.user_id, reader)
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddToCart {
    pub movie_id: Uuid,
}

/// A 409 whose `reason` member says which rule refused the movie.
fn refused(detail: &str, reason: &str) -> ApiError {
    let mut extra = Map::new();
    extra.insert("reason".into(), Value::from(reason));
    ApiError::Conflict {
        detail: detail.to_owned(),
        extra,
    }
}

/// Puts a movie in the caller's cart.
#[utoipa::path(
    post,
    path = "/api/v1/cart/items",
    tag = "commerce",
    security(("bearer" = [])),
    request_body = AddToCart,
    responses(
        (status = 201, description = "In the cart; the whole cart", body = Cart),
        (status = 404, description = "No such movie", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "Already in the cart, already owned, or not for sale (`reason`: in_cart, already_purchased, unavailable)", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "`movie_id` missing or not a UUID", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
        JsonBody,
    )
)]
pub async fn add_item(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(input): ApiJson<AddToCart>,
) -> ApiResult<(StatusCode, Json<Box<RawValue>>)> {
    let movie: Option<(bool, bool)> = sqlx::query_as(
        "SELECT m.is_available,
                EXISTS (SELECT 1 FROM purchases p WHERE p.user_id = $2 AND p.movie_id = m.id)
         FROM movies m WHERE m.id = $1",
    )
    .bind(input.movie_id)
    .bind(user.id)
    .fetch_optional(&state.db)
    .await?;
    let (is_available, owned) = movie.ok_or_else(no_such_movie)?;
    if owned {
        return Err(refused(
            "you already own this movie; it cannot be bought again",
            "already_purchased",
        ));
    }
    if !is_available {
        return Err(refused(
            "this movie is not for sale at the moment",
            "unavailable",
        ));
    }
    let added: Option<DateTime<Utc>> = sqlx::query_scalar(
        "INSERT INTO cart_items (user_id, movie_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING RETURNING added_at",
    )
    .bind(user.id)
    .bind(input.movie_id)
    .fetch_optional(&state.db)
    .await
    .on_constraint("cart_items_movie_id_fkey", no_such_movie)?;
    if added.is_none() {
        return Err(refused("this movie is already in your cart", "in_cart"));
    }
    let reader = Reader::Owner {
        session_id: user.session_id,
    };
    let cart = read::cart_json(&state, user.id, reader).await?;
    Ok((StatusCode::CREATED, Json(cart)))
}

fn no_such_movie() -> ApiError {
    ApiError::NotFound("no such movie".into())
}

/// Takes a movie out of the caller's cart.
#[utoipa::path(
    delete,
    path = "/api/v1/cart/items/{movie_id}",
    tag = "commerce",
    security(("bearer" = [])),
    params(("movie_id" = Uuid, Path, description = "The movie to take out")),
    responses(
        (status = 204, description = "Out of the cart"),
        (status = 404, description = "Not in the cart", body = ProblemSchema, content_type = "application/problem+json"),
        SignedInOnly,
    )
)]
pub async fn remove_item(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(movie_id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    let removed = sqlx::query("DELETE FROM cart_items WHERE user_id = $1 AND movie_id = $2")
        .bind(user.id)
        .bind(movie_id)
        .execute(&state.db)
        .await?;
    if removed.rows_affected() == 0 {
        return Err(ApiError::NotFound("this movie is not in your cart".into()));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Empties the caller's cart.
#[utoipa::path(
    delete,
    path = "/api/v1/cart",
    tag = "commerce",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The cart is empty"),
        SignedInOnly,
    )
)]
pub async fn clear_cart(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    sqlx::query("DELETE FROM cart_items WHERE user_id = $1")
        .bind(user.id)
        .execute(&state.db)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's cart, for moderators helping a customer.
#[utoipa::path(
    get,
    path = "/api/v1/admin/carts/{user_id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("user_id" = Uuid, Path, description = "The user")),
    responses(
        (status = 200, description = "The user's cart", body = Cart),
        (status = 404, description = "No such user", body = ProblemSchema, content_type = "application/problem+json"),
        ModeratorsOnly,
    )
)]
pub async fn admin_cart(
    State(state): State<AppState>,
    _moderator: Moderator,
    ApiPath(user_id): ApiPath<Uuid>,
) -> ApiResult<Json<Box<RawValue>>> {
    read::cart_json(&state, user_id, Reader::Moderator)
        .await
        .map(Json)
}
