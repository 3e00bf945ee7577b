//! Page requests and paged answers, the same for every list of the API.

use serde::{Deserialize, Serialize};

use crate::error::{ApiError, FieldError};

pub const DEFAULT_PER_PAGE: u32 = 20;
pub const MAX_PER_PAGE: u32 = 100;

/// The largest offset a page asks for: no list holds a trillion rows.
pub const MAX_OFFSET: i64 = 1 << 40;

/// `page` (from 1) and `per_page` (1 to 100). Embed with `#[serde(flatten)]` in a list's query.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct PageRequest {
    #[serde(default = "first_page")]
    pub page: i64,
    #[serde(default = "default_per_page")]
    pub per_page: i64,
}

fn first_page() -> i64 {
    1
}

fn default_per_page() -> i64 {
    DEFAULT_PER_PAGE.into()
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: first_page(),
            per_page: default_per_page(),
        }
    }
}

impl PageRequest {
    /// The page a list's query asked for (`page` and `per_page`, both optional), checked.
    pub fn from_query(page: Option<i64>, per_page: Option<i64>) -> Result<Self, ApiError> {
        let request = Self {
            page: page.unwrap_or_else(first_page),
            per_page: per_page.unwrap_or_else(default_per_page),
        };
        request.validate()?;
        Ok(request)
    }

    /// Checks the ranges; call before using [`Self::limit`] and [`Self::offset`].
    pub fn validate(&self) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        if self.page < 1 {
            errors.push(FieldError::new("page", "must be 1 or more"));
        }
        if !(1..=i64::from(MAX_PER_PAGE)).contains(&self.per_page) {
            errors.push(FieldError::new(
                "per_page",
                format!("must be between 1 and {MAX_PER_PAGE}"),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(errors))
        }
    }

    pub fn limit(&self) -> i64 {
        self.per_page
    }

    /// At most [`MAX_OFFSET`]: past any list's end, and small enough that a statement can add
    /// pages to it without overflowing a bigint (a page near `i64::MAX` made `limit + offset`
    /// a 500 in the searched listings).
    pub fn offset(&self) -> i64 {
        (self.page - 1)
            .saturating_mul(self.per_page)
            .min(MAX_OFFSET)
    }
}

/// The query of a list that takes nothing but a page: `page` and `per_page`, nothing else (an
/// unknown parameter is a 422 naming it).
#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[param(minimum = 1, default = 1)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

impl PageQuery {
    /// The page asked for, checked.
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        PageRequest::from_query(self.page, self.per_page)
    }
}

/// `{items, page, per_page, total, pages}`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub pages: i64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, request: PageRequest, total: i64) -> Self {
        let pages = if total == 0 {
            0
        } else {
            (total + request.per_page - 1) / request.per_page
        };
        Self {
            items,
            page: request.page,
            per_page: request.per_page,
            total,
            pages,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_page_leaves_room_for_arithmetic() {
        let request = PageRequest {
            page: i64::MAX,
            per_page: i64::from(MAX_PER_PAGE),
        };
        request.validate().unwrap();
        assert_eq!(request.offset(), MAX_OFFSET);
        assert!(
            request
                .offset()
                .checked_add(request.limit() * 1000)
                .is_some()
        );
    }

    #[test]
    fn offsets_follow_pages() {
        let request = PageRequest {
            page: 3,
            per_page: 25,
        };
        request.validate().unwrap();
        assert_eq!((request.limit(), request.offset()), (25, 50));
    }

    #[test]
    fn out_of_range_values_name_their_field() {
        let err = PageRequest {
            page: 0,
            per_page: 101,
        }
        .validate()
        .unwrap_err();
        let ApiError::Validation(errors) = err else {
            panic!("expected validation")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["page", "per_page"]);
    }

    #[test]
    fn pages_round_up_and_empty_has_none() {
        let request = PageRequest {
            page: 1,
            per_page: 20,
        };
        assert_eq!(Page::<u8>::new(vec![], request, 41).pages, 3);
        assert_eq!(Page::<u8>::new(vec![], request, 40).pages, 2);
        assert_eq!(Page::<u8>::new(vec![], request, 0).pages, 0);
    }
}
