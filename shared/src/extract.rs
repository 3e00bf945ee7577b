//! Request extractors whose rejections are problem+json that name the offending field.
//!
//! axum's own `Json`, `Query` and `Path` answer with plain text; these wrap the same work and
//! turn every failure into an [`ApiError`].

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request, rejection::PathRejection},
    http::{header, request::Parts},
};
use serde::{
    Deserialize, Deserializer,
    de::{self, DeserializeOwned, MapAccess, SeqAccess, Visitor},
};
use serde_json::{Map, Number, Value};

use utoipa::{
    IntoParams,
    openapi::{RefOr, Schema, Type, path::ParameterIn, schema::SchemaType},
};

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

/// An optional body: a request with no body and no content type is `None`; anything else is
/// read as [`ApiJson`] reads it.
impl<T, S> axum::extract::OptionalFromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let no_content_type = req.headers().get(header::CONTENT_TYPE).is_none();
        let empty = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_none_or(|length| length.as_bytes() == b"0");
        if no_content_type && empty {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
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

/// Parses a request body, telling syntax errors (400) from shape errors (422 with the field's
/// path). Every body of the API is a JSON object: any other value is a 422 naming `body`.
///
/// JSON has one kind of number, so a whole number written with a fraction (`5.0`) is read as
/// the integer it is, as JSON Schema's `integer` reads it; `5.5` stays a fraction, and is refused
/// where an integer is expected. A key given twice in an object is a 422 naming it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let JsonValue(value) = serde_path_to_error::deserialize(&mut de).map_err(|err| {
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
    if !value.is_object() {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        ApiError::Validation(vec![field_error(&path, &err.into_inner().to_string())])
    })
}

/// A JSON value read the way [`parse_json`] reads a body.
struct JsonValue(Value);

impl<'de> Deserialize<'de> for JsonValue {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_any(JsonValueVisitor).map(JsonValue)
    }
}

struct JsonValueVisitor;

/// 2^63: every whole float below it in magnitude (and -2^63) is an `i64`, exactly.
const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;

impl<'de> Visitor<'de> for JsonValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        if v.fract() == 0.0 && (-I64_LIMIT..I64_LIMIT).contains(&v) {
            // In range and whole: the cast is exact.
            Ok((v as i64).into())
        } else {
            Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
        }
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Value, D::Error> {
        JsonValue::deserialize(de).map(|JsonValue(v)| v)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(JsonValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let JsonValue(value) = map.next_value()?;
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
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

/// Query parameters (repeatable keys become lists): 422 naming the parameter. An empty value
/// (`?page=`) counts as the parameter left out only where its documented schema is free text;
/// anywhere else (a number, a flag, one of a list of values) it is a 422 too.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + IntoParams,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_html_form::Deserializer::new(form_urlencoded_parse(query));
        let value = serde_path_to_error::deserialize(de).map_err(|err| {
            let path = err.path().to_string();
            ApiError::Validation(vec![field_error(&path, &err.into_inner().to_string())])
        })?;
        match empty_but_not_text::<T>(query) {
            Some(name) => Err(ApiError::invalid(name, "must not be empty")),
            None => Ok(ApiQuery(value)),
        }
    }
}

/// The first parameter of `query` given with an empty value that its schema does not read as
/// text. Only a query with an empty value pays for building the schemas.
fn empty_but_not_text<T: IntoParams>(query: &str) -> Option<String> {
    let mut empty = form_urlencoded_parse(query)
        .filter(|(_, value)| value.is_empty())
        .map(|(name, _)| name)
        .peekable();
    empty.peek()?;
    let params = T::into_params(|| Some(ParameterIn::Query));
    empty
        .find(|name| {
            params
                .iter()
                .find(|param| param.name == *name)
                .is_some_and(|param| !is_free_text(param.schema.as_ref()))
        })
        .map(|name| name.into_owned())
}

/// Whether an empty value is one `schema` admits: a string with no set of values, no format (a
/// uuid, a date), no minimum length, and no pattern that "" fails.
fn is_free_text(schema: Option<&RefOr<Schema>>) -> bool {
    let Some(RefOr::T(Schema::Object(object))) = schema else {
        return false;
    };
    object.schema_type == SchemaType::Type(Type::String)
        && object.enum_values.is_none()
        && object.format.is_none()
        && object.min_length.is_none_or(|min| min == 0)
        && object
            .pattern
            .as_deref()
            .is_none_or(|pattern| regex::Regex::new(pattern).is_ok_and(|re| re.is_match("")))
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

/// A field error from a serde message. serde reports a missing (or, here, repeated) field at its
/// parent's path with the name in backticks, so the name is taken from the message then.
fn field_error(path: &str, message: &str) -> FieldError {
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    let named = ["missing field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let field = match named {
        Some(name) if path == "." || path.is_empty() => name.to_owned(),
        Some(name) => format!("{path}.{name}"),
        None if path == "." || path.is_empty() => "body".to_owned(),
        None => path.to_owned(),
    };
    FieldError::new(field, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
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

    #[test]
    fn a_body_must_be_an_object() {
        for body in [&br#"["a@b.c", 3]"#[..], b"null", b"3", br#""a""#] {
            let err = parse_json::<Signup>(body).unwrap_err();
            assert_eq!(fields(err), ["body"], "{}", String::from_utf8_lossy(body));
        }
        let err = parse_json::<Signup>(b"[1, ").unwrap_err();
        assert!(matches!(err, ApiError::BadRequest(_)), "{err:?}");
    }

    #[test]
    fn whole_numbers_may_carry_a_fraction() {
        let signup = parse_json::<Signup>(br#"{"email": "a@b.c", "age": 7.0}"#).unwrap();
        assert_eq!(signup.age, 7);
        let err = parse_json::<Signup>(br#"{"email": "a@b.c", "age": 7.5}"#).unwrap_err();
        assert_eq!(fields(err), ["age"]);
        let err = parse_json::<Signup>(br#"{"email": "a@b.c", "age": 1e300}"#).unwrap_err();
        assert_eq!(fields(err), ["age"]);
    }

    #[test]
    fn a_repeated_field_is_named() {
        let err = parse_json::<Signup>(br#"{"email": "a@b.c", "age": 1, "age": 2}"#).unwrap_err();
        assert_eq!(fields(err), ["age"]);
    }
}
