//! The gateway's own settings.

use std::{net::SocketAddr, time::Duration};

use cinema_shared::config::Env;

#[derive(Clone)]
pub struct GatewayConfig {
    /// `GATEWAY_ADDR`: where the API listens.
    pub addr: SocketAddr,
    /// `JANITOR_INTERVAL_SECS`: how often the janitor runs (hourly on AWS).
    pub janitor_interval: Duration,
    /// `MAIL_POLL_WAIT_SECS`: SQS long-poll wait, as the Lambda SQS trigger uses.
    pub mail_poll_wait_secs: i32,
    /// `PENDING_ORDER_LIFETIME_SECS` and Stripe, as the janitor reads them on AWS.
    pub stale_orders: cinema_janitor::StaleOrders,
}

impl GatewayConfig {
    pub fn from_env() -> anyhow::Result<Self> {
        let lookup = |name: &str| std::env::var(name).ok();
        let env = Env(&lookup);
        Ok(Self {
            addr: env.parsed_or("GATEWAY_ADDR", SocketAddr::from(([127, 0, 0, 1], 3000)))?,
            janitor_interval: Duration::from_secs(env.parsed_or("JANITOR_INTERVAL_SECS", 3600)?),
            mail_poll_wait_secs: env.parsed_or("MAIL_POLL_WAIT_SECS", 10)?,
            stale_orders: cinema_janitor::StaleOrders::from_env(&env)?,
        })
    }
}
