//! Reading caught mail back from the SMTP catcher's HTTP API (maildev).

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct CaughtEmail {
    pub subject: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub html: String,
    pub to: Vec<Address>,
}

#[derive(Debug, Deserialize)]
pub struct Address {
    pub address: String,
}

fn api_url() -> String {
    std::env::var("MAILDEV_API_URL").unwrap_or_else(|_| "http://127.0.0.1:8025/api".into())
}

/// Every email the catcher holds for `recipient`.
pub async fn emails_to(recipient: &str) -> Vec<CaughtEmail> {
    let all: Vec<CaughtEmail> = reqwest::get(format!("{}/email", api_url()))
        .await
        .expect("the SMTP catcher does not answer: run `make up`")
        .json()
        .await
        .expect("catcher answers JSON");
    all.into_iter()
        .filter(|email| {
            email
                .to
                .iter()
                .any(|to| to.address.eq_ignore_ascii_case(recipient))
        })
        .collect()
}
