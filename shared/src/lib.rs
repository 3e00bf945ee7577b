//! The common crate every Cinema function stands on.
//!
//! Each module has one job; a function crate builds an axum `Router<AppState>` and hands it to
//! [`runtime::run_http_function`] (on Lambda) or the local gateway merges them all.

pub mod auth;
pub mod aws;
pub mod client;
pub mod conditional;
pub mod config;
pub mod db;
pub mod email;
pub mod error;
pub mod extract;
pub mod http;
pub mod money;
pub mod openapi;
pub mod outbox;
pub mod pagination;
pub mod password;
pub mod rate_limit;
pub mod runtime;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod text;
pub mod tokens;
pub mod uploads;

pub use error::{ApiError, ApiResult};
pub use state::AppState;
