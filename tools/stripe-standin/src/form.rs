//! Stripe's form bodies: bracketed keys (`line_items[0][price_data][currency]=usd`), as
//! async-stripe (serde_qs) and curl (`-d 'metadata[order_id]=...'`, brackets raw or %5B%5D) send.
//! Every leaf is read as a string and converted by the resource, which knows the param's name
//! for the error.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use crate::errors::ApiError;

pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // Form encoding decodes `%5B`/`%5D` into brackets before nesting, and still nests raw ones.
    serde_qs::Config::new()
        .max_depth(6)
        .use_form_encoding(true)
        .deserialize_bytes(body)
        .map_err(|e| ApiError::malformed(format!("Invalid request body: {e}")))
}

/// The decoded pairs, sorted: what makes two requests "the same parameters" for idempotency,
/// whatever order or percent-encoding the client used.
pub fn canonical(body: &[u8]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = serde_html_form::from_bytes(body).unwrap_or_default();
    pairs.sort();
    pairs
}

/// A required, non-empty string param.
pub fn required<'a>(value: &'a Option<String>, param: &str) -> Result<&'a str, ApiError> {
    match value.as_deref() {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(ApiError::missing(param)),
    }
}

/// An optional integer param; empty counts as absent, as in Stripe.
pub fn integer(value: &Option<String>, param: &str) -> Result<Option<i64>, ApiError> {
    match value.as_deref() {
        None | Some("") => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| {
            ApiError::invalid(
                param,
                Some("parameter_invalid_integer"),
                format!("Invalid integer: {text}"),
            )
        }),
    }
}

pub type Metadata = BTreeMap<String, String>;

/// Stripe's metadata limits: 50 keys, keys up to 40 characters, values up to 500.
pub fn metadata(map: Metadata, param: &str) -> Result<Metadata, ApiError> {
    if map.len() > 50 {
        return Err(ApiError::invalid(
            param,
            None,
            "Metadata can have up to 50 keys.",
        ));
    }
    if let Some((key, _)) = map
        .iter()
        .find(|(k, v)| k.is_empty() || k.chars().count() > 40 || v.chars().count() > 500)
    {
        return Err(ApiError::invalid(
            &format!("{param}[{key}]"),
            None,
            "Metadata keys must be 1 to 40 characters, values at most 500.",
        ));
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    struct Line {
        quantity: Option<String>,
    }

    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        line_items: Vec<Line>,
        #[serde(default)]
        metadata: BTreeMap<String, String>,
        #[serde(default)]
        enabled_events: Vec<String>,
    }

    #[test]
    fn reads_raw_and_percent_encoded_brackets() {
        let raw: Body =
            parse(b"line_items[0][quantity]=2&metadata[order_id]=a%2Bb&enabled_events[]=x")
                .unwrap();
        let encoded: Body =
            parse(b"line_items%5B0%5D%5Bquantity%5D=2&metadata%5Border_id%5D=a%2Bb").unwrap();
        for body in [&raw, &encoded] {
            assert_eq!(body.line_items[0].quantity.as_deref(), Some("2"));
            assert_eq!(body.metadata["order_id"], "a+b");
        }
        assert_eq!(raw.enabled_events, ["x"]);
    }

    #[test]
    fn canonical_ignores_order_and_encoding() {
        assert_eq!(canonical(b"b=2&a%5Bx%5D=1"), canonical(b"a[x]=1&b=2"));
        assert_ne!(canonical(b"a=1"), canonical(b"a=2"));
    }
}
