//! The moderators' lists of orders and of payments take the same filters (buyer, part of the
//! buyer's email, status, a time range) and page the same way: checked once, run once here.

use chrono::{DateTime, Utc};
use cinema_shared::{ApiError, ApiResult, pagination::PageRequest, text};
use sqlx::{PgPool, Postgres, postgres::PgRow};
use uuid::Uuid;

/// The checked filters of an admin list.
pub struct AdminQuery {
    pub user_id: Option<Uuid>,
    /// A LIKE pattern matching the email part literally.
    email_pattern: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub page: PageRequest,
}

impl AdminQuery {
    pub fn check(
        user_id: Option<Uuid>,
        email: Option<&str>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: Option<i64>,
        per_page: Option<i64>,
    ) -> ApiResult<Self> {
        let page = PageRequest::from_query(page, per_page)?;
        let email_pattern = match email {
            Some(raw) => Some(
                text::normalized_email(raw)
                    .map_err(|why| ApiError::invalid("email", why))
                    .map(|email| like_pattern(&email))?,
            ),
            None => None,
        };
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            return Err(ApiError::invalid("to", "must be after `from`"));
        }
        Ok(Self {
            user_id,
            email_pattern,
            from,
            to,
            page,
        })
    }

    /// The total and one page, newest first, of `table` (aliased `t`, with the buyer `u`)
    /// under these filters and `status` (of the Postgres type `status_type`). `columns` are
    /// what each row selects. Table, type and columns are constants, never input.
    pub async fn run<R, S>(
        &self,
        db: &PgPool,
        table: &'static str,
        status_type: &'static str,
        columns: &'static str,
        status: Option<S>,
    ) -> ApiResult<(i64, Vec<R>)>
    where
        R: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
        S: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send + Clone,
    {
        let filter = format!(
            "FROM {table} t JOIN users u ON u.id = t.user_id
             WHERE ($1::uuid IS NULL OR t.user_id = $1)
               AND ($2::text IS NULL OR u.email LIKE $2)
               AND ($3::{status_type} IS NULL OR t.status = $3)
               AND ($4::timestamptz IS NULL OR t.created_at >= $4)
               AND ($5::timestamptz IS NULL OR t.created_at < $5)"
        );
        let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) {filter}"))
            .bind(self.user_id)
            .bind(&self.email_pattern)
            .bind(status.clone())
            .bind(self.from)
            .bind(self.to)
            .fetch_one(db)
            .await?;
        let rows: Vec<R> = sqlx::query_as(&format!(
            "SELECT {columns} {filter} ORDER BY t.created_at DESC, t.id DESC LIMIT $6 OFFSET $7"
        ))
        .bind(self.user_id)
        .bind(&self.email_pattern)
        .bind(status)
        .bind(self.from)
        .bind(self.to)
        .bind(self.page.limit())
        .bind(self.page.offset())
        .fetch_all(db)
        .await?;
        Ok((total, rows))
    }
}

/// A LIKE pattern that matches `text` literally anywhere.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
