//! End-to-end tests: the whole API over HTTP, against the real local servers.

mod support;

mod docs;
mod health;
mod janitor;
mod mail;
mod platform;
mod storage;
