//! Why an order leaves a movie of the cart out.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// The user owns it: no movie is bought twice.
    AlreadyPurchased,
    /// Not for sale at the moment.
    Unavailable,
    /// Another pending order of the user holds it.
    InPendingOrder,
}

/// A movie of the cart an order left out, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Excluded {
    pub movie_id: Uuid,
    pub name: String,
    pub reason: Exclusion,
}
