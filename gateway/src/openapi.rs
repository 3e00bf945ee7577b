//! The whole API's description, composed from every group's routes. The gateway is the one crate
//! that links every group, so it composes the document; `cinema openapi` prints it and the
//! platform function serves the copy `make openapi` writes (see `cinema_platform::DOCUMENT`).

use cinema_shared::openapi::{FieldErrorSchema, ProblemSchema, SecuritySchemes};
use utoipa::{
    Modify, OpenApi as _,
    openapi::{InfoBuilder, OpenApi},
};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Cinema API", version = "1.0.0", description = "Browse, buy and stream movies."),
    components(schemas(ProblemSchema, FieldErrorSchema)),
    modifiers(&SecuritySchemes),
)]
struct ApiInfo;

/// Every group's routes, with the schemas and security schemes they name.
pub fn document() -> OpenApi {
    let mut doc = ApiInfo::openapi();
    doc.merge(cinema_shared::openapi::into_document(cinema_platform::api()));
    doc.merge(cinema_accounts::document());
    doc.merge(cinema_catalog::document());
    doc.merge(cinema_engagement::document());
    doc.merge(cinema_commerce::document());
    SecuritySchemes.modify(&mut doc);
    doc.info = InfoBuilder::from(doc.info.clone()).build();
    doc
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    #[test]
    fn the_platform_function_serves_the_document_of_todays_routes() {
        let composed = serde_json::to_value(super::document()).expect("the document serializes");
        let served: Value = serde_json::from_str(cinema_platform::DOCUMENT)
            .expect("functions/platform/openapi.json is JSON");
        assert!(
            composed == served,
            "functions/platform/openapi.json differs from the routes: run `make openapi`"
        );
    }
}
