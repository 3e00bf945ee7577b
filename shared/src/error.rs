//! The one error type of the API: the only place an HTTP status is chosen.
//!
//! Every variant renders as RFC 9457 `application/problem+json`. A 500 is logged with its cause
//! and shown without it.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::{Map, Value};

pub type ApiResult<T> = Result<T, ApiError>;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// A 401 that asks for HTTP Basic credentials (the API docs) rather than a bearer token.
    #[error("unauthorized: {0}")]
    BasicAuthRequired(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A request that conflicts with current state; `extra` members join the problem body.
    #[error("conflict: {detail}")]
    Conflict {
        detail: String,
        extra: Map<String, Value>,
    },
    /// A request that is well-formed but cannot be carried out as it stands (an order from a
    /// cart with nothing orderable); `extra` members join the problem body.
    #[error("unprocessable: {detail}")]
    Unprocessable {
        detail: String,
        extra: Map<String, Value>,
    },
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    ServiceUnavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 422 naming one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// A statement that writes its answer as JSON text wrote something this code cannot read:
    /// the two disagree, a bug (500). `statement` says which.
    pub fn unreadable_json(statement: &str, err: serde_json::Error) -> Self {
        Self::Internal(anyhow::anyhow!(
            "the {statement} statement wrote unreadable JSON: {err}"
        ))
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict {
            detail: detail.into(),
            extra: Map::new(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) | Self::BasicAuthRequired(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::ServiceUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem `type`: a relative URI reference per kind, stable for clients to match on.
    fn problem_type(&self) -> &'static str {
        match self {
            Self::Validation(_) => "/problems/validation-error",
            Self::BadRequest(_) => "/problems/bad-request",
            Self::Unauthorized(_) | Self::BasicAuthRequired(_) => "/problems/unauthorized",
            Self::Forbidden(_) => "/problems/forbidden",
            Self::NotFound(_) => "/problems/not-found",
            Self::MethodNotAllowed => "/problems/method-not-allowed",
            Self::Conflict { .. } => "/problems/conflict",
            Self::Unprocessable { .. } => "/problems/unprocessable",
            Self::PayloadTooLarge(_) => "/problems/payload-too-large",
            Self::UnsupportedMediaType(_) => "/problems/unsupported-media-type",
            Self::TooManyRequests { .. } => "/problems/too-many-requests",
            Self::ServiceUnavailable(_) => "/problems/service-unavailable",
            Self::Internal(_) => "/problems/internal-error",
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Validation(errors) => match errors.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                _ => "the request has invalid fields".to_owned(),
            },
            Self::BadRequest(detail)
            | Self::Unauthorized(detail)
            | Self::BasicAuthRequired(detail)
            | Self::Forbidden(detail)
            | Self::NotFound(detail)
            | Self::PayloadTooLarge(detail)
            | Self::UnsupportedMediaType(detail)
            | Self::ServiceUnavailable(detail)
            | Self::Conflict { detail, .. }
            | Self::Unprocessable { detail, .. } => detail.clone(),
            Self::MethodNotAllowed => "this method is not allowed on this resource".to_owned(),
            Self::TooManyRequests { retry_after_secs } => {
                format!("too many attempts; try again in {retry_after_secs} seconds")
            }
            Self::Internal(_) => "an unexpected error occurred".to_owned(),
        }
    }
}

/// A 422 listing `errors`, or nothing when there are none.
pub fn check_fields(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The field errors of a garde validation, to combine with checks of one's own.
pub fn garde_errors(result: Result<(), garde::Report>) -> Vec<FieldError> {
    match result {
        Ok(()) => Vec::new(),
        Err(report) => report
            .iter()
            .map(|(path, error)| FieldError::new(path.to_string(), error.message()))
            .collect(),
    }
}

/// garde's report becomes a 422 with one entry per broken rule, named by the field's path.
impl From<garde::Report> for ApiError {
    fn from(report: garde::Report) -> Self {
        Self::Validation(
            report
                .iter()
                .map(|(path, error)| FieldError::new(path.to_string(), error.message()))
                .collect(),
        )
    }
}

impl From<sqlx::Error> for ApiError {
    /// A database that cannot answer in time (no free connection, a statement past its timeout,
    /// a connection that broke or garbled, a server shutting down or starting up, or one out of
    /// connection slots) is a 503 the client may retry, not a 500.
    fn from(err: sqlx::Error) -> Self {
        let unavailable = match &err {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Io(_)
            // A server going down mid-handshake answers garbage (seen: "unexpected response
            // from SSLRequest: 0x00" during a shutdown).
            | sqlx::Error::Protocol(_)
            | sqlx::Error::Tls(_) => true,
            sqlx::Error::Database(db) => db.code().as_deref().is_some_and(is_unavailable_code),
            _ => false,
        };
        if unavailable {
            tracing::warn!(error = %err, "database unavailable");
            Self::ServiceUnavailable(
                "the database is busy or unreachable; try again shortly".into(),
            )
        } else {
            Self::Internal(err.into())
        }
    }
}

/// SQLSTATEs that say "not now" rather than "wrong": 57014 query_canceled (the statement
/// timeout, or the cancel of a dropped request); 57P01-57P03 admin or crash shutdown and
/// cannot_connect_now (a restart in progress); 53300 too_many_connections; class 08, the
/// connection failed.
fn is_unavailable_code(code: &str) -> bool {
    matches!(code, "57014" | "57P01" | "57P02" | "57P03" | "53300") || code.starts_with("08")
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::Internal(cause) = &self {
            tracing::error!(error = ?cause, "request failed");
        }
        let mut body = Map::new();
        body.insert("type".into(), self.problem_type().into());
        body.insert(
            "title".into(),
            status.canonical_reason().unwrap_or("Error").into(),
        );
        body.insert("status".into(), status.as_u16().into());
        body.insert("detail".into(), self.detail().into());
        match &self {
            Self::Validation(errors) => {
                body.insert(
                    "errors".into(),
                    serde_json::to_value(errors).unwrap_or_default(),
                );
            }
            Self::Conflict { extra, .. } | Self::Unprocessable { extra, .. } => {
                body.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            _ => {}
        }
        let mut response = (status, axum::Json(Value::Object(body))).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match self {
            Self::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::BasicAuthRequired(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"Cinema API\", charset=\"UTF-8\""),
                );
            }
            Self::TooManyRequests { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            }
            _ => {}
        }
        response
    }
}

/// Turns a named constraint violation into a client error, leaving every other error as is.
pub trait ResultExt<T> {
    fn on_constraint(
        self,
        constraint: &str,
        to_error: impl FnOnce() -> ApiError,
    ) -> Result<T, ApiError>;
}

impl<T, E: Into<ApiError>> ResultExt<T> for Result<T, E> {
    fn on_constraint(
        self,
        constraint: &str,
        to_error: impl FnOnce() -> ApiError,
    ) -> Result<T, ApiError> {
        self.map_err(|err| match err.into() {
            ApiError::Internal(cause) => match cause.downcast_ref::<sqlx::Error>() {
                Some(sqlx::Error::Database(db)) if db.constraint() == Some(constraint) => {
                    to_error()
                }
                _ => ApiError::Internal(cause),
            },
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    async fn render(err: ApiError) -> (StatusCode, http::HeaderMap, Value) {
        let response = err.into_response();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn validation_lists_each_field() {
        let (status, headers, body) = render(ApiError::Validation(vec![
            FieldError::new("email", "must be an email address"),
            FieldError::new("password", "too short"),
        ]))
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(headers[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(body["status"], 422);
        assert_eq!(body["errors"][0]["field"], "email");
        assert_eq!(body["errors"][1]["message"], "too short");
    }

    #[test]
    fn a_garbled_connection_is_unavailable() {
        let error = ApiError::from(sqlx::Error::Protocol(
            "unexpected response from SSLRequest: 0x00".into(),
        ));
        assert!(matches!(error, ApiError::ServiceUnavailable(_)));
    }

    #[test]
    fn a_restart_or_a_full_server_is_unavailable_not_an_internal_error() {
        for code in [
            "57014", "57P01", "57P02", "57P03", "53300", "08006", "08001",
        ] {
            assert!(is_unavailable_code(code), "{code}");
        }
        for code in ["23505", "22P02", "42P01", "57P04"] {
            assert!(!is_unavailable_code(code), "{code}");
        }
    }

    #[tokio::test]
    async fn internal_errors_hide_their_cause() {
        let (status, _, body) =
            render(anyhow::anyhow!("password=hunter2 connection refused").into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.to_string().contains("hunter2"));
        assert_eq!(body["detail"], "an unexpected error occurred");
    }

    #[tokio::test]
    async fn unauthorized_asks_for_a_bearer_token() {
        let (status, headers, _) = render(ApiError::Unauthorized("missing token".into())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
    }

    #[tokio::test]
    async fn too_many_requests_says_when_to_retry() {
        let (_, headers, body) = render(ApiError::TooManyRequests {
            retry_after_secs: 42,
        })
        .await;
        assert_eq!(headers[header::RETRY_AFTER], "42");
        assert_eq!(body["status"], 429);
    }

    #[tokio::test]
    async fn conflict_carries_extra_members() {
        let mut extra = Map::new();
        extra.insert("carts".into(), 3.into());
        let (status, _, body) = render(ApiError::Conflict {
            detail: "the movie is in carts".into(),
            extra,
        })
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["carts"], 3);
    }
}
