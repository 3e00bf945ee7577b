//! End-to-end tests: the whole API over HTTP, against the real local servers.

mod support;

mod accounts_admin;
mod accounts_passwords;
mod accounts_profile;
mod accounts_rate_limits;
mod accounts_sessions;
mod accounts_signup;
mod accounts_tokens;
mod accounts_trust;
mod catalog_caching;
mod catalog_cards;
mod catalog_listing;
mod catalog_movies;
mod catalog_search;
mod catalog_taxonomy;
mod commerce_media_sales;
mod commerce_media_uploads;
mod commerce_orders;
mod commerce_payments;
mod commerce_webhooks;
mod contract;
mod docs;
mod email_outbox;
mod engagement_comments;
mod engagement_favorites;
mod engagement_reactions;
mod faults;
mod health;
mod janitor;
mod lambda_invoke;
mod mail;
mod platform;
mod storage;
