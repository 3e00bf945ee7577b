//! Sign-up and sign-in the way a client does it: over HTTP, with tokens read from the emails.

use serde_json::{Value, json};

use super::{TestApp, mail::emails_to, unique_email};

pub const STRONG_PASSWORD: &str = "Str0ng-Passw0rd!";

/// The `token` query parameter of the first link in `text` that has one.
pub fn token_in(text: &str) -> String {
    let start = text.find("token=").expect("the email carries a token") + "token=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

impl TestApp {
    /// Delivers queued mail and returns the token of the newest email to `to` with `subject`.
    pub async fn token_from_email(&self, to: &str, subject: &str) -> String {
        self.deliver_mail().await;
        let emails = emails_to(to).await;
        let email = emails
            .iter()
            .rev()
            .find(|email| email.subject == subject)
            .unwrap_or_else(|| panic!("no email {subject:?} to {to}"));
        token_in(&email.text)
    }

    pub async fn register(&self, email: &str, password: &str) -> reqwest::Response {
        self.post("/auth/register")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// A new account, registered and activated through its email; returns its email.
    pub async fn signed_up(&self) -> String {
        let email = unique_email("member");
        assert_eq!(self.register(&email, STRONG_PASSWORD).await.status(), 201);
        let token = self
            .token_from_email(&email, "Activate your Cinema account")
            .await;
        let activated = self
            .post("/auth/activate")
            .json(&json!({"email": email, "token": token}))
            .send()
            .await
            .unwrap();
        assert_eq!(activated.status(), 200);
        email
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post("/auth/login")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Logs in and returns the token pair.
    pub async fn tokens(&self, email: &str, password: &str) -> Value {
        let response = self.login(email, password).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.post("/auth/refresh")
            .json(&json!({"refresh_token": refresh_token}))
            .send()
            .await
            .unwrap()
    }

    pub async fn me(&self, access_token: &str) -> reqwest::Response {
        self.get("/users/me")
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap()
    }
}
