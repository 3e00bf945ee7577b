//! The whole in-memory state behind one mutex, and the handle every route and task shares.
//! Handlers do their work synchronously under the lock; nothing awaits while holding it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::accounts::{Account, tag_in_id};
use crate::config::Config;
use crate::delivery::DeliveryRecord;
use crate::webhook_endpoints::Endpoint;

#[derive(Clone)]
pub struct App(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    /// Where the pay page links point: `STANDIN_PUBLIC_URL` or the bound address.
    pub base_url: String,
    pub http: reqwest::Client,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
pub struct State {
    accounts: HashMap<String, Account>,
    /// Account tag (inside every id) -> secret key.
    keys_by_tag: HashMap<String, String>,
    /// Every delivery attempt, for tests and for looking at by hand.
    pub deliveries: Vec<DeliveryRecord>,
}

impl App {
    pub fn new(config: Config, base_url: String) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.webhook_timeout)
            .build()
            .expect("a plain HTTP client builds");
        Self(Arc::new(Inner {
            config,
            base_url,
            http,
            state: Mutex::new(State::default()),
        }))
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic under the lock leaves plain data behind; keep serving rather than poison all.
        self.0
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::ops::Deref for App {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl State {
    /// The account of a key, created on first use with the default webhook endpoint.
    pub fn account(&mut self, key: &str, config: &Config) -> &mut Account {
        self.accounts.entry(key.to_owned()).or_insert_with(|| {
            let account = Account::new(
                key,
                config.default_endpoint.as_ref().map(Endpoint::from_default),
            );
            self.keys_by_tag.insert(account.tag.clone(), key.to_owned());
            account
        })
    }

    /// The account whose tag is inside `id`, if it exists (pay page, resend: no key there).
    pub fn account_of_id(&mut self, id: &str) -> Option<&mut Account> {
        let key = self.keys_by_tag.get(tag_in_id(id)?)?;
        self.accounts.get_mut(key)
    }

    pub fn account_by_key(&mut self, key: &str) -> Option<&mut Account> {
        self.accounts.get_mut(key)
    }

    pub fn accounts_mut(&mut self) -> impl Iterator<Item = &mut Account> {
        self.accounts.values_mut()
    }
}
