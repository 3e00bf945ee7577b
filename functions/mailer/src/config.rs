//! The mailer's settings: the database (its delivery log), where links point, and SMTP. Only
//! what it uses: no token secret, bucket or queue URL.

use std::time::Duration;

use cinema_shared::config::{ConfigError, DatabaseConfig, Env};
use secrecy::SecretString;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text: only for a local catcher.
    None,
    /// Upgrade with STARTTLS (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

impl std::str::FromStr for SmtpSecurity {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "none" => Ok(Self::None),
            "starttls" => Ok(Self::StartTls),
            "tls" => Ok(Self::Tls),
            other => Err(format!("{other:?} is not one of none, starttls, tls")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct MailerConfig {
    pub database: DatabaseConfig,
    /// `FRONTEND_URL`: where the links in emails point.
    pub frontend_url: String,
    /// `SMTP_HOST`
    pub smtp_host: String,
    /// `SMTP_PORT`
    pub smtp_port: u16,
    /// `SMTP_SECURITY`: none, starttls or tls.
    pub smtp_security: SmtpSecurity,
    /// `SMTP_USERNAME` and `SMTP_PASSWORD`, both or neither.
    pub smtp_credentials: Option<(String, SecretString)>,
    /// `SMTP_TIMEOUT_SECS`: one send, connection included, never takes longer.
    pub smtp_timeout: Duration,
    /// `MAIL_FROM`: the sender, `Name <address>` or a bare address.
    pub mail_from: String,
}

impl MailerConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Env(&lookup);
        let smtp_credentials = match (env.optional("SMTP_USERNAME"), env.optional("SMTP_PASSWORD"))
        {
            (Some(user), Some(password)) => Some((user, SecretString::from(password))),
            (None, None) => None,
            (Some(_), None) => return Err(ConfigError::Missing("SMTP_PASSWORD")),
            (None, Some(_)) => return Err(ConfigError::Missing("SMTP_USERNAME")),
        };
        Ok(Self {
            database: DatabaseConfig::read(&env)?,
            frontend_url: env.frontend_url(),
            smtp_host: env.required("SMTP_HOST")?,
            smtp_port: env.parsed_or("SMTP_PORT", 587)?,
            smtp_security: env.parsed_or("SMTP_SECURITY", SmtpSecurity::StartTls)?,
            smtp_credentials,
            smtp_timeout: Duration::from_secs(env.parsed_or("SMTP_TIMEOUT_SECS", 10)?),
            mail_from: env.required("MAIL_FROM")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mailer_needs_no_api_secrets() {
        let settings = [
            ("DATABASE_URL", "postgres://db/cinema"),
            ("SMTP_HOST", "smtp.example"),
            ("MAIL_FROM", "Cinema <no-reply@cinema.example>"),
        ];
        let config = MailerConfig::from_lookup(|name| {
            settings
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
        .expect("JWT_SECRET, MEDIA_BUCKET and MAIL_QUEUE_URL are not the mailer's business");
        assert_eq!(config.smtp_port, 587);
    }
}
