//! `cinema create-admin`: the first admin comes from the operator, never from an open route.

use std::io::BufRead;

use anyhow::{Context, bail};
use cinema_shared::password;
use sqlx::PgPool;

/// Makes `email` an active admin, creating the account when it does not exist. The password
/// is read from `CINEMA_ADMIN_PASSWORD` or, failing that, the first line of standard input;
/// an existing account keeps its password unless one is given.
pub async fn create_admin(db: &PgPool, email: &str) -> anyhow::Result<()> {
    let email = email.trim().to_lowercase();
    if !email.contains('@') {
        bail!("{email:?} is not an email address");
    }
    let password = match std::env::var("CINEMA_ADMIN_PASSWORD") {
        Ok(password) if !password.is_empty() => Some(password),
        _ => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            Some(line.trim_end_matches(['\r', '\n']).to_owned()).filter(|p| !p.is_empty())
        }
    };
    let hash = match &password {
        Some(password) => {
            if let Err(cinema_shared::ApiError::Validation(errors)) =
                password::check_strength("password", password)
            {
                let rules: Vec<_> = errors.into_iter().map(|e| e.message).collect();
                bail!("the password is too weak: {}", rules.join("; "));
            }
            Some(password::hash_blocking(password)?)
        }
        None => None,
    };
    let mut tx = db.begin().await?;
    let existing: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1 FOR UPDATE")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
    match (existing, hash) {
        (Some(id), hash) => {
            sqlx::query(
                "UPDATE users SET role = 'admin', is_active = true,
                     password_hash = coalesce($2, password_hash), updated_at = now()
                 WHERE id = $1",
            )
            .bind(id)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
            println!("{email} is now an active admin");
        }
        (None, Some(hash)) => {
            sqlx::query(
                "WITH made AS (
                     INSERT INTO users (email, password_hash, role, is_active)
                     VALUES ($1, $2, 'admin', true) RETURNING id)
                 INSERT INTO profiles (user_id) SELECT id FROM made",
            )
            .bind(&email)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
            println!("created the admin account {email}");
        }
        (None, None) => bail!(
            "a new admin needs a password: set CINEMA_ADMIN_PASSWORD or pipe it on standard input"
        ),
    }
    tx.commit().await.context("saving the admin")?;
    Ok(())
}
