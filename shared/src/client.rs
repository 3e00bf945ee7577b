//! The caller's network address, for per-client rate limits.
//!
//! On Lambda it is the source address API Gateway saw; locally, the TCP peer. Headers such as
//! `X-Forwarded-For` are not trusted: any client can write them.

use std::{convert::Infallible, net::SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::request::Parts,
};
use lambda_http::request::RequestContext;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        if let Some(RequestContext::ApiGatewayV2(context)) =
            parts.extensions.get::<RequestContext>()
            && let Some(source_ip) = &context.http.source_ip
        {
            return Ok(Self(source_ip.clone()));
        }
        if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            return Ok(Self(peer.ip().to_string()));
        }
        Ok(Self("unknown".to_owned()))
    }
}
