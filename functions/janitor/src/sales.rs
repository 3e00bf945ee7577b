//! Folds each day that is over into the sales report's running totals (the migration
//! `sales_running_totals` says what they are); until then the report sums that day's payment
//! items itself, slower, not wrong.

use sqlx::PgPool;

/// Days one run folds at most: a month missed (a long outage) is caught up in one run.
const DAYS_PER_RUN: i32 = 62;

/// Folds the days that are over and not yet folded, one day per statement (a fold copies a
/// running total per movie sold, so a day per statement stays well inside the statement
/// timeout); how many were folded.
pub async fn fold_days(db: &PgPool) -> Result<i32, sqlx::Error> {
    let mut folded = 0;
    while folded < DAYS_PER_RUN {
        let day: i32 = sqlx::query_scalar("SELECT fold_sales_days(1)")
            .fetch_one(db)
            .await?;
        if day == 0 {
            break;
        }
        folded += day;
    }
    Ok(folded)
}
