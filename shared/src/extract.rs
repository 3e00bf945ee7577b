//! Request extractors whose rejections are problem+json that name the offending field.
//!
//! axum's own `Json`, `Query` and `Path` answer with plain text; these wrap the same work and
//! turn every failure into an [`ApiError`].

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request, rejection::PathRejection},
    http::{header, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// A JSON body: 415 without a JSON content type, 413 over the body limit, 400 when it is not
/// JSON, 422 naming the field when it does not fit the expected shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(&req) {
            return Err(ApiError::UnsupportedMediaType(
                "expected a request body with content type application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            match rejection.status().as_u16() {
                413 => ApiError::PayloadTooLarge("the request body is too large".into()),
                _ => ApiError::BadRequest(rejection.body_text()),
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

fn has_json_content_type(req: &Request) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses JSON, telling syntax errors (400) from shape errors (422 with the field's path).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                ApiError::Validation(vec![field_error(&path, &inner.to_string())])
            }
            _ => malformed(&inner),
        }
    })?;
    de.end().map_err(|err| malformed(&err))?;
    Ok(value)
}

fn malformed(err: &serde_json::Error) -> ApiError {
    ApiError::BadRequest(format!("malformed JSON: {err}"))
}

/// Deserializes an email address trimmed and lower-cased, as accounts store them; control
/// characters or more than 254 characters are a 422 naming the field, before any query.
pub fn normalized_email<'de, D: serde::Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    let raw = <String as serde::Deserialize>::deserialize(de)?;
    crate::text::normalized_email(&raw).map_err(serde::de::Error::custom)
}

/// For PATCH bodies: an absent field is `None`, an explicit `null` is `Some(None)` (clear it).
pub fn nullable<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(de).map(Some)
}

/// For PATCH bodies, a field that always holds a value: absent is `None`, an explicit `null` is
/// refused (a 422 naming the field) rather than read as "unchanged".
pub fn not_null<'de, T, D>(de: D) -> Result<Option<T>, D::Error>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    match <Option<T> as serde::Deserialize>::deserialize(de)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom("must not be null")),
    }
}

/// Query parameters (repeatable keys become lists): 422 naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_html_form::Deserializer::new(form_urlencoded_parse(query));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|err| {
                let path = err.path().to_string();
                ApiError::Validation(vec![field_error(&path, &err.into_inner().to_string())])
            })
    }
}

fn form_urlencoded_parse(query: &str) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(query.as_bytes())
}

/// Path parameters: a value that does not parse (say, not a UUID) is a 404, since no resource
/// can live at such a path.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|rejection| match rejection {
                PathRejection::FailedToDeserializePathParams(err) => {
                    ApiError::NotFound(format!("no such resource: {}", err.body_text()))
                }
                other => ApiError::Internal(anyhow::anyhow!(other.body_text())),
            })
    }
}

/// A field error from a serde message. serde reports a missing field at its parent's path with
/// the name in backticks, so the name is taken from the message then.
fn field_error(path: &str, message: &str) -> FieldError {
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    let field = if path == "." || path.is_empty() {
        message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .unwrap_or("body")
            .to_owned()
    } else if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        format!("{path}.{missing}")
    } else {
        path.to_owned()
    };
    FieldError::new(field, message)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Signup {
        email: String,
        age: u8,
    }

    fn fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_field_is_named() {
        let err = parse_json::<Signup>(br#"{"age": 3}"#).unwrap_err();
        assert_eq!(fields(err), ["email"]);
    }

    #[test]
    fn a_wrongly_typed_field_is_named() {
        let err = parse_json::<Signup>(br#"{"email": "a@b.c", "age": "old"}"#).unwrap_err();
        assert_eq!(fields(err), ["age"]);
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        let err = parse_json::<Signup>(br#"{"email": "#).unwrap_err();
        assert!(matches!(err, ApiError::BadRequest(_)), "{err:?}");
        let err = parse_json::<Signup>(br#"{"email": "a", "age": 1} trailing"#).unwrap_err();
        assert!(matches!(err, ApiError::BadRequest(_)), "{err:?}");
    }
}
