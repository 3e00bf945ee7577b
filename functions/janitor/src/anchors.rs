//! Rebuilds the catalog's page anchors after movies were added or removed (the migration
//! `catalog_anchors` says what they are); until then deep catalog pages are slower, not wrong.

use sqlx::PgPool;

/// Builds the anchors if there are none and the catalog needs them; how many were built.
pub async fn rebuild(db: &PgPool) -> Result<i64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let built: i64 = sqlx::query_scalar("SELECT rebuild_catalog_anchors()")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(built)
}
