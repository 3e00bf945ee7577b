//! The OpenAPI side of routing. Every route is registered through `utoipa_axum`'s
//! `OpenApiRouter`, so the served document is built from the routes that exist and cannot drift
//! from them.

use std::collections::BTreeMap;

use axum::Router;
use serde::Serialize;
use utoipa::{
    IntoResponses, Modify, ToSchema,
    openapi::{
        ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder,
        security::{Http, HttpAuthScheme, SecurityScheme},
    },
};
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// The name of the bearer security scheme, for `security(("bearer" = []))` on a path.
pub const BEARER: &str = "bearer";
/// The name of the HTTP Basic scheme (the API docs).
pub const BASIC: &str = "basic";

/// An RFC 9457 problem, as every error of the API is shaped.
#[derive(Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemSchema {
    #[schema(example = "/problems/validation-error")]
    pub r#type: String,
    #[schema(example = "Unprocessable Entity")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    #[schema(example = "email: must be an email address")]
    pub detail: String,
    /// Present on validation errors: one entry per invalid field.
    pub errors: Option<Vec<FieldErrorSchema>>,
    /// Present when deleting a movie that is in carts is refused: how many carts hold it.
    pub carts: Option<i64>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = FieldError)]
pub struct FieldErrorSchema {
    pub field: String,
    pub message: String,
}

/// A problem+json answer with `description`.
fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(ProblemSchema::name())))
                .build(),
        )
        .build()
        .into()
}

/// The answer of a route that reads a JSON body to a body of another type.
pub struct NotJson;

impl IntoResponses for NotJson {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([("415".to_owned(), problem("Not JSON"))])
    }
}

/// The answers of a route that reads a JSON body to one it cannot read: not JSON, or broken.
pub struct JsonBody;

impl IntoResponses for JsonBody {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = NotJson::responses();
        responses.insert("400".to_owned(), problem("Malformed JSON"));
        responses
    }
}

/// The error answers of a route that needs a bearer token, for `responses(..., SignedInOnly)`.
pub struct SignedInOnly;

impl IntoResponses for SignedInOnly {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([("401".to_owned(), problem("No valid access token"))])
    }
}

/// [`SignedInOnly`]'s answers and a 403 for a caller without the role.
fn signed_in_but_forbidden(description: &str) -> BTreeMap<String, RefOr<Response>> {
    let mut responses = SignedInOnly::responses();
    responses.insert("403".to_owned(), problem(description));
    responses
}

/// The error answers of a moderators' route.
pub struct ModeratorsOnly;

impl IntoResponses for ModeratorsOnly {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        signed_in_but_forbidden("Not a moderator")
    }
}

/// The error answers of an admins' route.
pub struct AdminsOnly;

impl IntoResponses for AdminsOnly {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        signed_in_but_forbidden("Not an admin")
    }
}

/// Adds the security schemes every group's document refers to.
pub struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            BASIC,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    }
}

/// The routes of a group as a plain router over `state`.
pub fn into_router(api: OpenApiRouter<AppState>, state: AppState) -> Router {
    let (router, _) = api.split_for_parts();
    router.with_state(state)
}

/// The document of a group's routes.
pub fn into_document(api: OpenApiRouter<AppState>) -> OpenApi {
    api.split_for_parts().1
}
