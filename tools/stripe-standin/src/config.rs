//! Settings, read once from the environment by the binary; tests build them by hand.

use std::net::SocketAddr;
use std::time::Duration;

/// The endpoint every account starts with (what `make dev` points at the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultEndpoint {
    pub url: String,
    pub secret: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `STANDIN_ADDR`, default `127.0.0.1:12111` (stripe-mock's port).
    pub addr: SocketAddr,
    /// `STANDIN_PUBLIC_URL`: the base of the pay page links; default `http://{bound address}`.
    pub public_url: Option<String>,
    /// `STRIPE_WEBHOOK_URL` + `STRIPE_WEBHOOK_SECRET`; both or neither.
    pub default_endpoint: Option<DefaultEndpoint>,
    /// `STANDIN_RETRY_DELAYS_MS`: the waits before each retry of a failed delivery.
    pub retry_delays: Vec<Duration>,
    /// How long one delivery attempt may take before it counts as failed.
    pub webhook_timeout: Duration,
    /// How often open sessions past their `expires_at` are expired.
    pub expiry_tick: Duration,
}

pub const DEFAULT_ADDR: &str = "127.0.0.1:12111";
pub const DEFAULT_RETRY_DELAYS_MS: &str = "200,1000,3000,10000,30000";

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: DEFAULT_ADDR.parse().expect("a valid address"),
            public_url: None,
            default_endpoint: None,
            retry_delays: parse_delays(DEFAULT_RETRY_DELAYS_MS).expect("valid defaults"),
            webhook_timeout: Duration::from_secs(5),
            expiry_tick: Duration::from_secs(1),
        }
    }
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// `from_env` over any lookup, so the parsing is testable without touching the process env.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut config = Self::default();
        if let Some(addr) = get("STANDIN_ADDR") {
            config.addr = addr
                .parse()
                .map_err(|e| format!("STANDIN_ADDR={addr}: {e}"))?;
        }
        config.public_url = get("STANDIN_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned());
        config.default_endpoint = match (get("STRIPE_WEBHOOK_URL"), get("STRIPE_WEBHOOK_SECRET")) {
            (Some(url), Some(secret)) => Some(DefaultEndpoint { url, secret }),
            (None, None) => None,
            _ => {
                return Err(
                    "set both STRIPE_WEBHOOK_URL and STRIPE_WEBHOOK_SECRET, or neither".into(),
                );
            }
        };
        if let Some(delays) = get("STANDIN_RETRY_DELAYS_MS") {
            config.retry_delays = parse_delays(&delays)?;
        }
        Ok(config)
    }
}

fn parse_delays(text: &str) -> Result<Vec<Duration>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|e| format!("STANDIN_RETRY_DELAYS_MS: {part:?}: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_env_names_the_local_cloud_sets() {
        let config = Config::from_lookup(|name| match name {
            "STANDIN_ADDR" => Some("127.0.0.1:4242".into()),
            "STRIPE_WEBHOOK_URL" => Some("http://127.0.0.1:3000/api/v1/payments/webhook".into()),
            "STRIPE_WEBHOOK_SECRET" => Some("whsec_x".into()),
            "STANDIN_RETRY_DELAYS_MS" => Some("10, 20".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.addr.port(), 4242);
        assert_eq!(config.default_endpoint.unwrap().secret, "whsec_x");
        assert_eq!(
            config.retry_delays,
            vec![Duration::from_millis(10), Duration::from_millis(20)]
        );
    }

    #[test]
    fn a_webhook_url_without_a_secret_is_refused() {
        let result = Config::from_lookup(|name| {
            (name == "STRIPE_WEBHOOK_URL").then(|| "http://127.0.0.1:1/".to_owned())
        });
        assert!(result.is_err());
    }
}
