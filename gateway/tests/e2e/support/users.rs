//! Users made straight in the database, for tests whose subject is not sign-up itself.

use cinema_shared::{
    auth::{Role, issue_access_token},
    password,
};
use std::sync::LazyLock;
use uuid::Uuid;

use super::{TestApp, unique_email};

/// The password every made user has.
pub const PASSWORD: &str = "Test-Passw0rd!";

/// Hashing is slow by design: hash the shared password once per test process.
static PASSWORD_HASH: LazyLock<String> =
    LazyLock::new(|| password::hash_blocking(PASSWORD).expect("hash"));

/// An active user with an access token.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
    pub token: String,
}

impl TestUser {
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }
}

impl TestApp {
    /// Ends every login session of `user` behind the API's back (as a logout elsewhere would):
    /// its tokens stay signed and unexpired, only the database says no.
    pub async fn end_sessions(&self, user: &TestUser) {
        sqlx::query("UPDATE login_sessions SET revoked_at = now() WHERE user_id = $1")
            .bind(user.id)
            .execute(&self.state.db)
            .await
            .unwrap();
    }

    /// Deactivates `user`'s account with its sessions left live: the account alone must refuse
    /// its tokens.
    pub async fn deactivate_leaving_sessions(&self, user: &TestUser) {
        sqlx::query("UPDATE users SET is_active = false WHERE id = $1")
            .bind(user.id)
            .execute(&self.state.db)
            .await
            .unwrap();
    }

    /// An active user of `role`, with a profile and a valid access token.
    pub async fn make_user(&self, role: Role) -> TestUser {
        let email = unique_email(role.as_str());
        let id: Uuid = sqlx::query_scalar(
            "WITH made AS (
                 INSERT INTO users (email, password_hash, role, is_active)
                 VALUES ($1, $2, $3, true) RETURNING id)
             INSERT INTO profiles (user_id) SELECT id FROM made RETURNING user_id",
        )
        .bind(&email)
        .bind(PASSWORD_HASH.as_str())
        .bind(role.as_str())
        .fetch_one(&self.state.db)
        .await
        .expect("insert user");
        // A token is only good for a live session of an active account.
        let session: Uuid = sqlx::query_scalar(
            "INSERT INTO login_sessions (id, user_id) VALUES (gen_random_uuid(), $1) RETURNING id",
        )
        .bind(id)
        .fetch_one(&self.state.db)
        .await
        .expect("insert session");
        let (token, _) =
            issue_access_token(&self.state.config.jwt, id, role, session).expect("token");
        TestUser { id, email, token }
    }
}
