//! The OpenAPI side of routing. Every route is registered through `utoipa_axum`'s
//! `OpenApiRouter`, so the served document is built from the routes that exist and cannot drift
//! from them.

use std::collections::BTreeMap;

use axum::Router;
use serde::Serialize;
use utoipa::{
    IntoResponses, Modify, ToSchema,
    openapi::{
        Array, ArrayBuilder, ContentBuilder, KnownFormat, Object, ObjectBuilder, OpenApi, Ref,
        RefOr, Response, ResponseBuilder, SchemaFormat, Type,
        schema::SchemaType,
        security::{Http, HttpAuthScheme, SecurityScheme},
    },
};
use utoipa_axum::router::OpenApiRouter;

use crate::{password, state::AppState, text};

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

/// What every route that reads a JSON body can answer to one it cannot take: not JSON (415),
/// too large (413), or a field missing, of the wrong type or breaking a rule its schema states
/// (422, each field named). The one place those answers are documented: a route adds its own
/// 400 when it gives that status for reasons of its own (see [`JsonBody`]).
pub struct NotJson;

impl IntoResponses for NotJson {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        BTreeMap::from([
            ("413".to_owned(), problem("The body is over the size limit")),
            ("415".to_owned(), problem("Not JSON")),
            (
                "422".to_owned(),
                problem(
                    "A field is missing, of the wrong type or invalid (see its schema); `errors` \
                     names each",
                ),
            ),
        ])
    }
}

/// [`NotJson`]'s answers and a 400 for a body that is not well-formed JSON.
pub struct JsonBody;

impl IntoResponses for JsonBody {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = NotJson::responses();
        responses.insert("400".to_owned(), problem("Malformed JSON"));
        responses
    }
}

/// A string of `min` to `max` characters (as sent) that matches `pattern`: a checked text field.
pub fn text(min: usize, max: usize, pattern: impl Into<String>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length((min > 0).then_some(min))
        .max_length(Some(max))
        .pattern(Some(pattern))
}

/// `schema`, whose type is `of`, or null.
pub fn or_null(schema: ObjectBuilder, of: Type) -> ObjectBuilder {
    schema.schema_type(SchemaType::from_iter([of, Type::Null]))
}

/// An email address as the accounts routes read one ([`text::normalized_email`]): trimmed and
/// lower-cased, so it is checked for no more than its length and control characters.
pub fn email() -> Object {
    text(0, text::MAX_EMAIL_CHARS, text::ONE_LINE)
        .examples(["ann@example.com"])
        .build()
}

/// A new password: [`password::check_strength`]'s rules.
pub fn new_password() -> Object {
    text(
        password::MIN_LENGTH,
        password::MAX_LENGTH,
        password::strength_pattern(),
    )
    .description(Some(
        "8 to 128 characters with a lower-case letter, an upper-case letter, a digit (0-9) and \
         a special character (neither letter, number nor space)",
    ))
    .examples(["Str0ng-Passw0rd!"])
    .build()
}

/// Declares a type whose schema is the given expression (an `Object` or an `Array`), for a query
/// parameter's `#[param(value_type = ..., inline)]`: a parameter's `schema_with` would drop its
/// description and example.
#[macro_export]
macro_rules! param_schema {
    ($(#[$meta:meta])* $vis:vis $name:ident = $schema:expr) => {
        $(#[$meta])*
        $vis struct $name;

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::RefOr::T(::utoipa::openapi::schema::Schema::from($schema))
            }
        }

        impl ::utoipa::ToSchema for $name {}
    };
}

param_schema!(
    /// A positive id, for `value_type = Vec<Id>`.
    pub Id = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1))
        .build()
);

param_schema!(
    /// An email address or part of one, as [`email`] states it.
    pub EmailText = email()
);

/// A list of ids, each a positive integer.
pub fn ids() -> Array {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(1)),
        )
        .build()
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
