//! `GET /openapi.json` and `GET /docs`, for active accounts signing in with HTTP Basic (email and
//! password): the description is for the studio's developers, not the public. The docs page's
//! UI (Swagger UI, vendored in `assets/`) is served by `GET /docs/assets/{file}` from the binary
//! itself, so the page runs no third party's script and works offline.

use std::sync::LazyLock;

use axum::{
    extract::FromRequestParts,
    http::{HeaderName, HeaderValue, header, request::Parts},
    response::{Html, IntoResponse},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use cinema_shared::{
    ApiError, AppState, client::ClientAddress, extract::ApiPath, http::API_PREFIX,
    openapi::ProblemSchema, password, rate_limit, text,
};
use sha2::{Digest, Sha256};

/// The whole API's description, as `cinema openapi` composes it from every group's routes
/// (`make openapi` writes it here). Carried as bytes so this function links none of the other
/// groups' code; a test of the gateway fails while it differs from the routes.
pub const DOCUMENT: &str = include_str!("../openapi.json");

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
pub async fn openapi_json(_: DocsReader) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

/// What the docs page may load: its own origin's scripts, styles and fonts and nothing else, no
/// inline script or style, no form, no framing. Swagger UI needs no more (its styles are one
/// file; the styles it sets from script go through the DOM, which `style-src` does not govern).
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

/// A file the docs page loads, compiled into the binary: a Lambda has no files to serve from.
struct Asset {
    /// The name it is served under.
    name: String,
    content_type: &'static str,
    bytes: &'static [u8],
    /// Whether the name carries a digest of the bytes, so caches may keep it for good.
    immutable: bool,
}

impl Asset {
    /// Named `stem.<digest>.ext`: a new version is a new URL, so no cache ever serves a stale one.
    fn fingerprinted(
        stem: &str,
        ext: &str,
        content_type: &'static str,
        bytes: &'static [u8],
    ) -> Self {
        let digest = Sha256::digest(bytes);
        let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            name: format!("{stem}.{short}.{ext}"),
            content_type,
            bytes,
            immutable: true,
        }
    }

    /// Served under its own name: the licence files, which the bundle's header points to.
    fn plain(name: &str, bytes: &'static [u8]) -> Self {
        Self {
            name: name.to_owned(),
            content_type: "text/plain; charset=utf-8",
            bytes,
            immutable: false,
        }
    }

    fn url(&self) -> String {
        format!("{API_PREFIX}/docs/assets/{}", self.name)
    }
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Swagger UI from npm's `swagger-ui-dist` (version in `assets/swagger-ui/VERSION`), unchanged.
static SWAGGER_UI_JS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::fingerprinted(
        "swagger-ui-bundle",
        "js",
        JS,
        include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js"),
    )
});
static SWAGGER_UI_CSS: LazyLock<Asset> = LazyLock::new(|| {
    Asset::fingerprinted(
        "swagger-ui",
        "css",
        CSS,
        include_bytes!("../assets/swagger-ui/swagger-ui.css"),
    )
});
/// Starts the UI; a file rather than an inline script, which the page's policy refuses.
static START_JS: LazyLock<Asset> =
    LazyLock::new(|| Asset::fingerprinted("docs", "js", JS, include_bytes!("../assets/docs.js")));
static LICENCES: LazyLock<[Asset; 3]> = LazyLock::new(|| {
    [
        Asset::plain("LICENSE", include_bytes!("../assets/swagger-ui/LICENSE")),
        Asset::plain("NOTICE", include_bytes!("../assets/swagger-ui/NOTICE")),
        Asset::plain(
            "swagger-ui-bundle.js.LICENSE.txt",
            include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js.LICENSE.txt"),
        ),
    ]
});

fn assets() -> impl Iterator<Item = &'static Asset> {
    [&*SWAGGER_UI_JS, &*SWAGGER_UI_CSS, &*START_JS]
        .into_iter()
        .chain(LICENCES.iter())
}

fn asset(name: &str) -> Option<&'static Asset> {
    assets().find(|asset| asset.name == name)
}

/// The page: the UI's files and the description itself, as a JSON data block (which the policy
/// allows: it is never run). Embedding it rather than having the UI fetch `/openapi.json` makes a
/// visit one password check, not two: each draws on the account's rate-limited password budget.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    let description = DOCUMENT
        // `<` only occurs inside JSON strings, where `\u003c` means the same; the browser then
        // cannot see a `</script>` or `<!--` in the block.
        .replace('<', "\\u003c");
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cinema API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{css}">
</head>
<body>
<div id="docs"></div>
<script type="application/json" id="openapi">{description}</script>
<script src="{ui}"></script>
<script src="{start}"></script>
</body>
</html>
"#,
        css = SWAGGER_UI_CSS.url(),
        ui = SWAGGER_UI_JS.url(),
        start = START_JS.url(),
    )
});

const NOSNIFF: (HeaderName, HeaderValue) = (
    header::X_CONTENT_TYPE_OPTIONS,
    HeaderValue::from_static("nosniff"),
);

/// Interactive API documentation.
#[utoipa::path(
    get,
    path = "/api/v1/docs",
    tag = "platform",
    security(("basic" = [])),
    responses(
        (status = 200, description = "The documentation page, with the description in it; its UI loads from `/api/v1/docs/assets`", content_type = "text/html",
            headers(
                ("content-security-policy" = String, description = "Only the API's own origin"),
                ("x-content-type-options" = String, description = "nosniff"),
            )),
        (status = 401, description = "No valid credentials of an active account", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 422, description = "The Basic user is not an email address", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 429, description = "Too many password attempts; see Retry-After", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
pub async fn docs_page(_: DocsReader) -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOCS_CSP),
            ),
            NOSNIFF,
            // The asset names in it change with every release.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        Html(PAGE.as_str()),
    )
}

/// A file of the docs page's UI.
///
/// Open to anyone: the files are the published Swagger UI and a starter script, nothing about
/// the API, and checking a password on each would cost a password hash per file.
#[utoipa::path(
    get,
    path = "/api/v1/docs/assets/{file}",
    tag = "platform",
    params(("file" = String, Path, description = "A name the docs page links to")),
    responses(
        (status = 200, description = "The file; names with a digest in them never change, and are cached for a year",
            content(("text/javascript"), ("text/css"), ("text/plain")),
            headers(
                ("cache-control" = String, description = "How long the file may be kept"),
                ("x-content-type-options" = String, description = "nosniff"),
            )),
        (status = 404, description = "No such file", body = ProblemSchema, content_type = "application/problem+json"),
    )
)]
pub async fn docs_asset(ApiPath(file): ApiPath<String>) -> Result<impl IntoResponse, ApiError> {
    let asset = asset(&file).ok_or_else(|| ApiError::NotFound("no such file".into()))?;
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=86400"
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            NOSNIFF,
        ],
        asset.bytes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lambda refuses an answer over 6 MB, and lambda_http sends a text body as a JSON string:
    /// every file must fit once escaped, with room for the headers.
    #[test]
    fn every_asset_fits_in_a_lambda_answer() {
        for file in assets() {
            let text = std::str::from_utf8(file.bytes).expect("text assets are UTF-8");
            let escaped = serde_json::to_string(text).unwrap().len();
            assert!(escaped < 5_500_000, "{} is {escaped} bytes", file.name);
            assert!(asset(&file.name).is_some());
        }
        assert!(
            asset("swagger-ui-bundle.js").is_none(),
            "only the digest-named file"
        );
    }
}
