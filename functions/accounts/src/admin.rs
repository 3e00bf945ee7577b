//! User administration: list and filter users, change a role, activate or deactivate.

use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use cinema_shared::{
    ApiError, AppState,
    auth::{Admin, Role},
    extract::{ApiJson, ApiPath, ApiQuery},
    openapi::{self, AdminsOnly, JsonBody, ProblemSchema},
    pagination::{Page, PageRequest},
    text,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::sessions;

/// A user as administrators see it.
#[derive(Serialize, ToSchema, sqlx::FromRow)]
pub struct AdminUser {
    pub id: Uuid,
    pub email: String,
    #[schema(example = "moderator")]
    pub role: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    /// Part of the email, any case.
    #[param(value_type = Option<openapi::EmailText>, inline)]
    email: Option<String>,
    role: Option<Role>,
    is_active: Option<bool>,
    #[param(minimum = 1, default = 1)]
    page: Option<i64>,
    #[param(minimum = 1, maximum = 100, default = 20)]
    per_page: Option<i64>,
}

/// No address is longer (RFC 5321), so no longer part of one can match.
const MAX_EMAIL_FILTER_CHARS: usize = 254;

/// A LIKE pattern that matches `text` literally anywhere.
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Users, newest first, filtered.
#[utoipa::path(
    get, path = "/api/v1/admin/users", tag = "admin",
    params(UserFilter),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = inline(Page<AdminUser>)),
        (status = 422, description = "Invalid filter or page", body = ProblemSchema, content_type = "application/problem+json"),
        AdminsOnly,
    )
)]
pub async fn list_users(
    State(state): State<AppState>,
    _admin: Admin,
    ApiQuery(filter): ApiQuery<UserFilter>,
) -> Result<Json<Page<AdminUser>>, ApiError> {
    let page = PageRequest::from_query(filter.page, filter.per_page)?;
    if let Some(email) = &filter.email {
        if email.chars().count() > MAX_EMAIL_FILTER_CHARS {
            return Err(ApiError::invalid(
                "email",
                format!("must be at most {MAX_EMAIL_FILTER_CHARS} characters"),
            ));
        }
        if !text::is_one_line(email) {
            return Err(ApiError::invalid("email", text::NO_CONTROL_CHARACTERS));
        }
    }
    let pattern = filter.email.as_deref().map(contains_pattern);
    let role = filter.role.map(Role::as_str);
    const WHERE: &str = "WHERE ($1::text IS NULL OR email LIKE $1)
                           AND ($2::text IS NULL OR role = $2)
                           AND ($3::bool IS NULL OR is_active = $3)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM users {WHERE}"))
        .bind(&pattern)
        .bind(role)
        .bind(filter.is_active)
        .fetch_one(&state.db)
        .await?;
    let items: Vec<AdminUser> = sqlx::query_as(&format!(
        "SELECT id, email, role, is_active, created_at FROM users {WHERE}
         ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(&pattern)
    .bind(role)
    .bind(filter.is_active)
    .bind(page.limit())
    .bind(page.offset())
    .fetch_all(&state.db)
    .await?;
    Ok(Json(Page::new(items, page, total)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    role: Option<Role>,
    is_active: Option<bool>,
}

/// Changes a user's role or activation. Deactivating ends the user's sessions at once, and only
/// an admin can undo it.
#[utoipa::path(
    patch, path = "/api/v1/admin/users/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "The user")),
    request_body = UserChange,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed user", body = AdminUser),
        (status = 404, description = "No such user", body = ProblemSchema, content_type = "application/problem+json"),
        (status = 409, description = "An admin cannot change their own role or activity", body = ProblemSchema, content_type = "application/problem+json"),
        AdminsOnly,
        JsonBody,
    )
)]
pub async fn change_user(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(change): ApiJson<UserChange>,
) -> Result<Json<AdminUser>, ApiError> {
    let actor = admin.user().id;
    // An admin's own role and activity are another admin's decision, never their own.
    if id == actor && (change.role.is_some() || change.is_active.is_some()) {
        return Err(ApiError::conflict(
            "you cannot change your own role or activity; ask another admin",
        ));
    }
    let mut tx = state.db.begin().await?;
    // Both rows, in one order: two admins demoting each other at once queue here, and the
    // second finds it is no longer an admin.
    let rows: Vec<(Uuid, String, bool)> = sqlx::query_as(
        "SELECT id, role, is_active FROM users WHERE id = ANY($1) ORDER BY id FOR UPDATE",
    )
    .bind(&[actor, id][..])
    .fetch_all(&mut *tx)
    .await?;
    let still_admin = rows
        .iter()
        .any(|(row, role, active)| *row == actor && *active && role == Role::Admin.as_str());
    if !still_admin {
        return Err(ApiError::Forbidden(
            "this action needs the admin role".into(),
        ));
    }
    if !rows.iter().any(|(row, ..)| *row == id) {
        return Err(ApiError::NotFound("no such user".into()));
    }
    let user: AdminUser = sqlx::query_as(
        "UPDATE users SET role = coalesce($2, role), is_active = coalesce($3, is_active),
                          deactivated_at = CASE $3 WHEN false THEN coalesce(deactivated_at, now())
                                                   WHEN true THEN NULL
                                                   ELSE deactivated_at END,
                          updated_at = now()
         WHERE id = $1
         RETURNING id, email, role, is_active, created_at",
    )
    .bind(id)
    .bind(change.role.map(Role::as_str))
    .bind(change.is_active)
    .fetch_one(&mut *tx)
    .await?;
    if change.is_active == Some(false) {
        // Deactivation holds at once: no session to refresh, no emailed token to use.
        sessions::revoke_all(&mut tx, id, None).await?;
        sqlx::query("DELETE FROM account_tokens WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Json(user))
}
