//! Objects in async-stripe's own types. Each resource builds a few fields as JSON; they are
//! parsed into the async-stripe struct by async-stripe's own parser (miniserde, as its client
//! and webhook code parse) and serialised back with its `serialize` feature. What goes out is
//! therefore the struct's full shape, every field Stripe documents (`null` where unset), and an
//! object async-stripe could not parse is a 500 here instead of a surprise in the app.

use std::any::type_name;

use serde_json::Value;

use crate::errors::ApiError;

pub fn typed<T>(fields: &Value) -> Result<Value, ApiError>
where
    T: miniserde::Deserialize + serde::Serialize,
{
    let parsed: T = miniserde::json::from_str(&fields.to_string()).map_err(|_| {
        ApiError::internal(format!(
            "the stand-in built a {} async-stripe cannot parse",
            type_name::<T>()
        ))
    })?;
    serde_json::to_value(&parsed).map_err(|e| ApiError::internal(e.to_string()))
}

/// Stripe's list envelope.
pub fn list(url: &str, data: Vec<Value>, has_more: bool) -> Value {
    serde_json::json!({ "object": "list", "data": data, "has_more": has_more, "url": url })
}
