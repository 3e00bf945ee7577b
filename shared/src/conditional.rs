//! Conditional GETs for the public catalog reads: every 200 answer carries a strong `ETag` (a
//! digest of its bytes) and a `Cache-Control`, and a request whose `If-None-Match` names the
//! current tag gets a bodyless 304. Anonymous answers are the same for everyone, so a CDN or a
//! browser may keep them briefly; an answer to a signed-in viewer holds their own marks (in
//! cart, purchased, their rating) and is for their browser only, revalidated on every use.
//! The digest is of the answer just built, so no cache here can hand out a stale price.

use axum::{
    body::{Body, to_bytes},
    extract::Request,
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

/// A shared cache may serve an anonymous answer this long without asking: short enough that a
/// moderator's change reaches every visitor within it.
const PUBLIC: &str = "public, max-age=30";
const PRIVATE: &str = "private, no-cache";

/// The largest answer this layer buffers to tag; bigger ones (none today) pass untagged.
const MAX_TAGGED_BYTES: usize = 4 * 1024 * 1024;

/// The middleware (`axum::middleware::from_fn`) for routes whose GET answers can be revalidated.
pub async fn conditional_get(request: Request, next: Next) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return next.run(request).await;
    }
    let signed_in = request.headers().contains_key(header::AUTHORIZATION);
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_TAGGED_BYTES).await else {
        // Not readable to the end: nothing sensible to send but an error.
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let tag = entity_tag(&bytes);
    let cache_control = if signed_in { PRIVATE } else { PUBLIC };
    let headers = &mut parts.headers;
    headers.insert(header::ETAG, tag.clone());
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    // A shared cache must not hand an anonymous answer to a signed-in viewer, or the reverse.
    headers.append(header::VARY, HeaderValue::from_static("Authorization"));
    if if_none_match.is_some_and(|wanted| matches(&wanted, &tag)) {
        return not_modified(&parts.headers);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A strong tag: the first 128 bits of the body's SHA-256, in hex, quoted.
fn entity_tag(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"{hex}\"")).expect("hex is a valid header value")
}

/// `If-None-Match` uses the weak comparison (RFC 9110 13.1.2): `*`, or any listed tag whose
/// opaque part equals ours, with or without `W/`.
fn matches(if_none_match: &HeaderValue, tag: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else {
        return false;
    };
    let ours = tag.to_str().unwrap_or_default();
    list.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == ours
    })
}

/// A 304 keeps the headers a cache updates its copy with, and nothing else.
fn not_modified(headers: &HeaderMap) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    for name in [header::ETAG, header::CACHE_CONTROL, header::VARY] {
        for value in headers.get_all(&name) {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_lists() {
        let tag = entity_tag(b"{}");
        let ours = tag.to_str().unwrap().to_owned();
        for header in [
            ours.clone(),
            format!("W/{ours}"),
            format!("\"other\", {ours}"),
            "*".to_owned(),
        ] {
            assert!(
                matches(&HeaderValue::from_str(&header).unwrap(), &tag),
                "{header}"
            );
        }
        for header in ["\"other\"", "", "W/\"\""] {
            assert!(
                !matches(&HeaderValue::from_static(header), &tag),
                "{header}"
            );
        }
    }

    #[test]
    fn different_bodies_get_different_tags() {
        assert_ne!(
            entity_tag(b"{\"price\":\"4.99\"}"),
            entity_tag(b"{\"price\":\"5.99\"}")
        );
        assert_eq!(entity_tag(b"same"), entity_tag(b"same"));
    }
}
