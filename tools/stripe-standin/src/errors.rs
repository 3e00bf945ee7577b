//! Stripe's error body, `{"error": {type, code, message, param}}`: the one place a status code
//! is chosen for the API routes, so async-stripe's client parses every failure as
//! `StripeError::Stripe(ApiErrors, status)`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub message: String,
    pub param: Option<String>,
}

impl ApiError {
    fn new(
        status: StatusCode,
        kind: &'static str,
        code: Option<&'static str>,
        message: String,
    ) -> Self {
        Self {
            status,
            kind,
            code,
            message,
            param: None,
        }
    }

    fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// A required parameter is absent (or empty, which Stripe treats the same).
    pub fn missing(param: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("parameter_missing"),
            format!("Missing required param: {param}."),
        )
        .with_param(param)
    }

    /// A parameter is present but its value is not acceptable.
    pub fn invalid(param: &str, code: Option<&'static str>, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            code,
            message.into(),
        )
        .with_param(param)
    }

    /// The request is well formed but the object is not in a state that allows it.
    pub fn bad_state(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some(code),
            message.into(),
        )
    }

    /// A body the form parser cannot read at all.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            message.into(),
        )
    }

    /// An id in the path that this account does not have.
    pub fn no_such(object: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("resource_missing"),
            format!("No such {object}: '{id}'"),
        )
        .with_param("id")
    }

    /// An id given as a parameter that this account does not have (Stripe answers 400 then).
    pub fn no_such_param(param: &str, object: &str, id: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("resource_missing"),
            format!("No such {object}: '{id}'"),
        )
        .with_param(param)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            "You did not provide a test secret key: use `Authorization: Bearer sk_test_...`."
                .into(),
        )
    }

    pub fn unknown_route(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            None,
            format!("Unrecognized request URL ({method}: {path})."),
        )
    }

    pub fn idempotency_mismatch(key: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "idempotency_error",
            None,
            format!(
                "Keys for idempotent requests can only be used with the same parameters they were \
                 first used with. Try using a key other than '{key}' if you meant to execute a \
                 different request."
            ),
        )
    }

    pub fn idempotency_in_use(key: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "invalid_request_error",
            Some("idempotency_key_in_use"),
            format!(
                "There is currently another in-progress request using the idempotency key '{key}'."
            ),
        )
    }

    /// A bug in the stand-in itself (for example an object async-stripe would not parse).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            None,
            message.into(),
        )
    }

    pub fn body(&self) -> serde_json::Value {
        json!({
            "error": {
                "type": self.kind,
                "code": self.code,
                "message": self.message,
                "param": self.param,
            }
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(message = %self.message, "stand-in error");
        }
        (self.status, Json(self.body())).into_response()
    }
}
