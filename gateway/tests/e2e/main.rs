//! End-to-end tests: the whole API over HTTP, against the real local servers.

mod support;

mod accounts_admin;
mod accounts_passwords;
mod accounts_profile;
mod accounts_rate_limits;
mod accounts_sessions;
mod accounts_signup;
mod accounts_tokens;
mod docs;
mod health;
mod janitor;
mod mail;
mod platform;
mod storage;
