//! `cinema create-admin`: the first admin comes from the operator, never from an open route.

use std::io::BufRead;

use anyhow::{Context, bail};
use cinema_shared::password;
use sqlx::PgPool;

/// Makes `email` an active admin with the password given in `CINEMA_ADMIN_PASSWORD` or, failing
/// that, on the first line of standard input. An existing account gets that password too (and
/// loses its sessions): whoever registered the address first must not keep a way in that the
/// operator never chose.
pub async fn create_admin(db: &PgPool, email: &str) -> anyhow::Result<()> {
    let email = email.trim().to_lowercase();
    if !email.contains('@') {
        bail!("{email:?} is not an email address");
    }
    let password = match std::env::var("CINEMA_ADMIN_PASSWORD") {
        Ok(password) if !password.is_empty() => password,
        _ => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    if password.is_empty() {
        bail!("an admin needs a password: set CINEMA_ADMIN_PASSWORD or pipe it on standard input");
    }
    if let Err(cinema_shared::ApiError::Validation(errors)) =
        password::check_strength("password", &password)
    {
        let rules: Vec<_> = errors.into_iter().map(|e| e.message).collect();
        bail!("the password is too weak: {}", rules.join("; "));
    }
    let hash = password::hash_blocking(&password)?;
    let mut tx = db.begin().await?;
    let existing: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1 FOR UPDATE")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
    match existing {
        Some(id) => {
            sqlx::query(
                "UPDATE users SET role = 'admin', is_active = true, deactivated_at = NULL,
                     password_hash = $2, updated_at = now()
                 WHERE id = $1",
            )
            .bind(id)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE login_sessions SET revoked_at = now()
                 WHERE user_id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            println!("{email} is now an active admin with the given password; its sessions ended");
        }
        None => {
            sqlx::query(
                "WITH made AS (
                     INSERT INTO users (email, password_hash, role, is_active)
                     VALUES ($1, $2, 'admin', true) RETURNING id)
                 INSERT INTO profiles (user_id) SELECT id FROM made",
            )
            .bind(&email)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
            println!("created the admin account {email}");
        }
    }
    tx.commit().await.context("saving the admin")?;
    Ok(())
}
