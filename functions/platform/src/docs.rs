//! `GET /openapi.json` and `GET /docs`, for active accounts signing in with HTTP Basic (email and
//! password): the description is for the studio's developers, not the public.

use std::sync::LazyLock;

use axum::{
    Json,
    extract::FromRequestParts,
    http::{header, request::Parts},
    response::Html,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use cinema_shared::{
    ApiError, AppState,
    client::ClientAddress,
    openapi::{FieldErrorSchema, ProblemSchema, SecuritySchemes},
    password, rate_limit, text,
};
use utoipa::{
    Modify, OpenApi as _,
    openapi::{InfoBuilder, OpenApi},
};
use utoipa_scalar::Scalar;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Cinema API", version = "1.0.0", description = "Browse, buy and stream movies."),
    components(schemas(ProblemSchema, FieldErrorSchema)),
    modifiers(&SecuritySchemes),
)]
struct ApiInfo;

/// Built once per process: the routes cannot change while it runs.
static WHOLE_API: LazyLock<OpenApi> = LazyLock::new(|| {
    let mut doc = ApiInfo::openapi();
    doc.merge(cinema_shared::openapi::into_document(crate::api()));
    doc.merge(cinema_accounts::document());
    doc.merge(cinema_catalog::document());
    doc.merge(cinema_engagement::document());
    doc.merge(cinema_commerce::document());
    SecuritySchemes.modify(&mut doc);
    doc.info = InfoBuilder::from(doc.info.clone()).build();
    doc
});

pub fn whole_api() -> OpenApi {
    WHOLE_API.clone()
}

/// An active account that proved its password with HTTP Basic.
pub struct DocsReader;

impl FromRequestParts<AppState> for DocsReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let refuse = || {
            ApiError::BasicAuthRequired(
                "sign in with the email and password of an active account".into(),
            )
        };
        let (email, password) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Basic "))
            .and_then(|encoded| STANDARD.decode(encoded.trim()).ok())
            .and_then(|decoded| String::from_utf8(decoded).ok())
            .and_then(|pair| {
                pair.split_once(':')
                    .map(|(email, password)| (email.to_owned(), password.to_owned()))
            })
            .ok_or_else(refuse)?;
        let email =
            text::normalized_email(&email).map_err(|why| ApiError::invalid("email", why))?;
        // Each try costs an argon2 hash and is a password guess: limited like a login.
        let client = ClientAddress::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        rate_limit::password_attempt(&state.db, &state.config.accounts, &email, &client).await?;
        let hash: Option<String> =
            sqlx::query_scalar("SELECT password_hash FROM users WHERE email = $1 AND is_active")
                .bind(&email)
                .fetch_optional(&state.db)
                .await?;
        if password::verify(password, hash).await? {
            Ok(Self)
        } else {
            Err(refuse())
        }
    }
}

/// The OpenAPI 3.1 description of every route.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "platform",
    security(("basic" = [])),
    responses(
        (status = 200, description = "The OpenAPI document", content_type = "application/json"),
        (status = 401, description = "No valid credentials of an active account", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "The Basic user is not an email address", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, description = "Too many password attempts; see Retry-After", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
pub async fn openapi_json(_: DocsReader) -> Json<OpenApi> {
    Json(whole_api())
}

/// Interactive API documentation.
#[utoipa::path(
    get,
    path = "/api/v1/docs",
    tag = "platform",
    security(("basic" = [])),
    responses(
        (status = 200, description = "The documentation page", content_type = "text/html"),
        (status = 401, description = "No valid credentials of an active account", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "The Basic user is not an email address", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, description = "Too many password attempts; see Retry-After", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
pub async fn docs_page(_: DocsReader) -> Html<String> {
    Html(Scalar::new(whole_api()).to_html())
}
