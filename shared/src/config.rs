//! Typed configuration read from the environment.
//!
//! Every setting is named after its variable; a missing or malformed one fails at start with a
//! message naming it. Secrets are wrapped in [`SecretString`] so they never reach a log line.

use std::{fmt::Display, str::FromStr, time::Duration};

use secrecy::SecretString;

/// A setting that is missing or cannot be parsed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing required setting {0}")]
    Missing(&'static str),
    #[error("setting {name} is malformed: {reason}")]
    Malformed { name: &'static str, reason: String },
}

/// How every process reaches PostgreSQL: the one group of settings the mailer, the janitor and
/// the operator command share with the HTTP functions.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`: contains the password, hence secret.
    pub url: SecretString,
    /// `DATABASE_MAX_CONNECTIONS`: small on Lambda, one container serves one request at a time.
    pub max_connections: u32,
    /// `DATABASE_ACQUIRE_TIMEOUT_SECS`: how long a request waits for a connection.
    pub acquire_timeout: Duration,
    /// `DATABASE_STATEMENT_TIMEOUT_MS`: no statement runs longer; 0 turns the limit off (the
    /// operator command's migrations and generators).
    pub statement_timeout: Duration,
}

impl DatabaseConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Self::read(&Env(&lookup))
    }

    pub fn read(env: &Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            url: SecretString::from(env.required("DATABASE_URL")?),
            max_connections: env.parsed_or("DATABASE_MAX_CONNECTIONS", 2)?,
            acquire_timeout: Duration::from_secs(
                env.parsed_or("DATABASE_ACQUIRE_TIMEOUT_SECS", 5)?,
            ),
            statement_timeout: Duration::from_millis(
                env.parsed_or("DATABASE_STATEMENT_TIMEOUT_MS", 5000)?,
            ),
        })
    }
}

/// Settings of every HTTP function and the local gateway.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseConfig,
    /// `MAIL_QUEUE_URL`: the SQS queue the mailer consumes.
    pub mail_queue_url: String,
    /// `MEDIA_BUCKET`: avatars, posters and movie files.
    pub media_bucket: String,
    /// `S3_FORCE_PATH_STYLE`: local S3 servers need path-style addressing.
    pub s3_force_path_style: bool,
    /// `CORS_ALLOWED_ORIGINS`: comma-separated origins allowed to call the API from a browser.
    pub cors_allowed_origins: Vec<String>,
    /// `BODY_LIMIT_BYTES`: the largest request body accepted.
    pub body_limit_bytes: usize,
    /// `FRONTEND_URL`: where links in emails point.
    pub frontend_url: String,
    /// `JWT_SECRET` (at least 32 bytes), `JWT_ISSUER`, `JWT_AUDIENCE`, `ACCESS_TOKEN_TTL_SECS`.
    pub jwt: JwtConfig,
    /// Token lifetimes and rate limits of the accounts rules.
    pub accounts: AccountPolicy,
    /// `COMMENT_LIMIT_PER_WINDOW` (10) comments per user every `COMMENT_LIMIT_WINDOW_SECS` (60):
    /// one account cannot flood a movie or its authors' inboxes.
    pub comment_limit: RateLimit,
    /// `CURRENCY` (USD): the one currency prices, carts and orders are in (ISO 4217 code).
    pub currency: String,
    /// `STREAM_URL_TTL_SECS` (1 h): how long a streaming link works.
    pub stream_url_ttl: Duration,
    /// Stripe, when `STRIPE_SECRET_KEY` is set: only the commerce function (and the janitor)
    /// are given Stripe's secrets.
    pub stripe: Option<StripeConfig>,
}

/// How to reach Stripe (or the local stand-in) and check its webhooks.
#[derive(Debug, Clone)]
pub struct StripeConfig {
    /// `STRIPE_SECRET_KEY` (`sk_...`).
    pub secret_key: SecretString,
    /// `STRIPE_WEBHOOK_SECRET` (`whsec_...`): the webhook endpoint's signing secret.
    pub webhook_secret: SecretString,
    /// `STRIPE_API_BASE`: Stripe's own API unless set (the local stand-in, locally).
    pub api_base: Option<String>,
    /// `STRIPE_TIMEOUT_SECS` (10): the longest one call to Stripe may take.
    pub timeout: Duration,
    /// `CHECKOUT_SESSION_LIFETIME_SECS` (24 h, Stripe's default; Stripe takes 30 min to 24 h).
    pub session_lifetime: Duration,
}

/// The media bucket and how to address it: what every function that reaches S3 reads.
pub struct StorageConfig {
    pub media_bucket: String,
    pub s3_force_path_style: bool,
}

impl StorageConfig {
    /// `MEDIA_BUCKET` and `S3_FORCE_PATH_STYLE` (false: AWS's virtual-hosted addresses).
    pub fn read(env: &Env<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            media_bucket: env.required("MEDIA_BUCKET")?,
            s3_force_path_style: env.parsed_or("S3_FORCE_PATH_STYLE", false)?,
        })
    }
}

/// Stripe's bounds on a Checkout Session's lifetime.
const SESSION_LIFETIME_SECS: std::ops::RangeInclusive<u64> = 30 * 60..=24 * 3600;

impl StripeConfig {
    /// The settings, or none when `STRIPE_SECRET_KEY` is unset.
    pub fn read(env: &Env<'_>) -> Result<Option<Self>, ConfigError> {
        let Some(secret_key) = env.optional("STRIPE_SECRET_KEY") else {
            return Ok(None);
        };
        let lifetime = env.parsed_or("CHECKOUT_SESSION_LIFETIME_SECS", 24 * 3600)?;
        if !SESSION_LIFETIME_SECS.contains(&lifetime) {
            return Err(ConfigError::Malformed {
                name: "CHECKOUT_SESSION_LIFETIME_SECS",
                reason: "Stripe takes 1800 to 86400 seconds".into(),
            });
        }
        Ok(Some(Self {
            secret_key: SecretString::from(secret_key),
            webhook_secret: SecretString::from(env.required("STRIPE_WEBHOOK_SECRET")?),
            api_base: env.optional("STRIPE_API_BASE"),
            timeout: Duration::from_secs(env.parsed_or("STRIPE_TIMEOUT_SECS", 10)?),
            session_lifetime: Duration::from_secs(lifetime),
        }))
    }
}

/// At most `limit` hits every `window`.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    pub limit: u32,
    pub window: Duration,
}

/// The numbers of the accounts rules, each configurable.
#[derive(Debug, Clone)]
pub struct AccountPolicy {
    /// `ACTIVATION_TOKEN_TTL_SECS` (24 h)
    pub activation_ttl: Duration,
    /// `RESET_TOKEN_TTL_SECS` (1 h)
    pub reset_ttl: Duration,
    /// `REFRESH_TOKEN_TTL_SECS` (7 days)
    pub refresh_ttl: Duration,
    /// `RATE_LIMIT_WINDOW_SECS` (15 min): the window every limit below counts in.
    pub rate_window: Duration,
    /// `LOGIN_LIMIT_PER_EMAIL` (10) and `LOGIN_LIMIT_PER_CLIENT` (50) attempts per window.
    pub login_per_email: u32,
    pub login_per_client: u32,
    /// `EMAIL_LIMIT_PER_EMAIL` (3) and `EMAIL_LIMIT_PER_CLIENT` (20): resend and forgot-password
    /// requests per window.
    pub email_per_email: u32,
    pub email_per_client: u32,
}

/// How access tokens are signed and checked.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub secret: SecretString,
    pub issuer: String,
    pub audience: String,
    pub access_ttl: Duration,
}

/// HS256 wants a key at least as long as its hash.
const MIN_JWT_SECRET_BYTES: usize = 32;

impl Config {
    /// Reads every setting from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads every setting through `lookup`, so tests can supply their own environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        let storage = StorageConfig::read(&env)?;
        Ok(Self {
            database: DatabaseConfig::read(&env)?,
            mail_queue_url: env.required("MAIL_QUEUE_URL")?,
            media_bucket: storage.media_bucket,
            s3_force_path_style: storage.s3_force_path_style,
            cors_allowed_origins: env
                .optional("CORS_ALLOWED_ORIGINS")
                .map(|list| {
                    list.split(',')
                        .map(str::trim)
                        .filter(|origin| !origin.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
            body_limit_bytes: env.parsed_or("BODY_LIMIT_BYTES", 256 * 1024)?,
            frontend_url: env.frontend_url(),
            jwt: JwtConfig {
                secret: {
                    let secret = env.required("JWT_SECRET")?;
                    if secret.len() < MIN_JWT_SECRET_BYTES {
                        return Err(ConfigError::Malformed {
                            name: "JWT_SECRET",
                            reason: format!("must be at least {MIN_JWT_SECRET_BYTES} bytes"),
                        });
                    }
                    SecretString::from(secret)
                },
                issuer: env
                    .optional("JWT_ISSUER")
                    .unwrap_or_else(|| "cinema".to_owned()),
                audience: env
                    .optional("JWT_AUDIENCE")
                    .unwrap_or_else(|| "cinema-api".to_owned()),
                access_ttl: Duration::from_secs(env.parsed_or("ACCESS_TOKEN_TTL_SECS", 900)?),
            },
            accounts: AccountPolicy {
                activation_ttl: Duration::from_secs(
                    env.parsed_or("ACTIVATION_TOKEN_TTL_SECS", 24 * 3600)?,
                ),
                reset_ttl: Duration::from_secs(env.parsed_or("RESET_TOKEN_TTL_SECS", 3600)?),
                refresh_ttl: Duration::from_secs(
                    env.parsed_or("REFRESH_TOKEN_TTL_SECS", 7 * 24 * 3600)?,
                ),
                rate_window: Duration::from_secs(env.parsed_or("RATE_LIMIT_WINDOW_SECS", 900)?),
                login_per_email: env.parsed_or("LOGIN_LIMIT_PER_EMAIL", 10)?,
                login_per_client: env.parsed_or("LOGIN_LIMIT_PER_CLIENT", 50)?,
                email_per_email: env.parsed_or("EMAIL_LIMIT_PER_EMAIL", 3)?,
                email_per_client: env.parsed_or("EMAIL_LIMIT_PER_CLIENT", 20)?,
            },
            currency: {
                let code = env.optional("CURRENCY").unwrap_or_else(|| "USD".to_owned());
                if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(ConfigError::Malformed {
                        name: "CURRENCY",
                        reason: "must be a three-letter ISO 4217 code such as USD".into(),
                    });
                }
                code
            },
            comment_limit: RateLimit {
                limit: env.parsed_or("COMMENT_LIMIT_PER_WINDOW", 10)?,
                window: Duration::from_secs(env.parsed_or("COMMENT_LIMIT_WINDOW_SECS", 60)?),
            },
            stream_url_ttl: Duration::from_secs(env.parsed_or("STREAM_URL_TTL_SECS", 3600)?),
            stripe: StripeConfig::read(&env)?,
        })
    }
}

/// A typed view over an environment lookup; shared with the other config structs of the
/// workspace (the mailer's, the gateway's).
pub struct Env<'a>(pub &'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    /// The value, trimmed; an empty value counts as unset.
    pub fn optional(&self, name: &'static str) -> Option<String> {
        (self.0)(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    /// `PENDING_ORDER_LIFETIME_SECS` (24 h, a Stripe Checkout Session's lifetime): the janitor
    /// cancels a pending order older than this.
    pub fn pending_order_lifetime(&self) -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(
            self.parsed_or("PENDING_ORDER_LIFETIME_SECS", 24 * 3600)?,
        ))
    }

    /// `FRONTEND_URL`: where links in emails point.
    pub fn frontend_url(&self) -> String {
        self.optional("FRONTEND_URL")
            .unwrap_or_else(|| "http://127.0.0.1:5173".to_owned())
    }

    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing(name))
    }

    pub fn parsed_or<T>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.optional(name) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|err: T::Err| ConfigError::Malformed {
                name,
                reason: err.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const MINIMAL: &[(&str, &str)] = &[
        ("DATABASE_URL", "postgres://cinema:hunter2@db/cinema"),
        ("MAIL_QUEUE_URL", "http://sqs/queue/mail"),
        ("MEDIA_BUCKET", "media"),
        ("JWT_SECRET", "a-test-secret-that-is-long-enough-0123"),
    ];

    #[test]
    fn reads_required_settings_and_applies_defaults() {
        let config = Config::from_lookup(lookup(MINIMAL)).unwrap();
        assert_eq!(config.media_bucket, "media");
        assert_eq!(config.database.max_connections, 2);
        assert_eq!(config.database.statement_timeout, Duration::from_secs(5));
        assert!(config.cors_allowed_origins.is_empty());
        assert_eq!(
            config.database.url.expose_secret(),
            "postgres://cinema:hunter2@db/cinema"
        );
    }

    #[test]
    fn a_missing_setting_is_named() {
        let err = Config::from_lookup(lookup(&MINIMAL[1..])).unwrap_err();
        assert_eq!(err.to_string(), "missing required setting DATABASE_URL");
    }

    #[test]
    fn a_malformed_setting_is_named() {
        let mut pairs = MINIMAL.to_vec();
        pairs.push(("DATABASE_MAX_CONNECTIONS", "many"));
        let err = Config::from_lookup(lookup(&pairs)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("setting DATABASE_MAX_CONNECTIONS is malformed"),
            "{err}"
        );
    }

    #[test]
    fn the_database_password_never_prints() {
        let config = Config::from_lookup(lookup(MINIMAL)).unwrap();
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
    }

    #[test]
    fn a_short_jwt_secret_is_refused() {
        let mut pairs = MINIMAL.to_vec();
        pairs.retain(|(name, _)| *name != "JWT_SECRET");
        pairs.push(("JWT_SECRET", "short"));
        let err = Config::from_lookup(lookup(&pairs)).unwrap_err();
        assert!(err.to_string().contains("JWT_SECRET"), "{err}");
    }

    #[test]
    fn cors_origins_are_split_and_trimmed() {
        let mut pairs = MINIMAL.to_vec();
        pairs.push((
            "CORS_ALLOWED_ORIGINS",
            " https://a.example , https://b.example,",
        ));
        let config = Config::from_lookup(lookup(&pairs)).unwrap();
        assert_eq!(
            config.cors_allowed_origins,
            ["https://a.example", "https://b.example"]
        );
    }
}
