//! The schemas of movie-list parameters that take more than an attribute to state, kept apart
//! from the parameters so the list's code and its documentation can change apart.

use cinema_shared::{param_schema, text};
use utoipa::openapi::{ObjectBuilder, Type};

use crate::{
    MAX_SEARCH_CHARS, SortKey,
    decimal::{self, PRICE_DIGITS},
};

param_schema!(
    /// `search`: what is left once the white space around it is trimmed is one line of at most
    /// [`MAX_SEARCH_CHARS`] characters.
    pub Search = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(text::trimmed_one_line_pattern(MAX_SEARCH_CHARS)))
        .build()
);

param_schema!(
    /// `sort`: a key, or a key with a leading `-` for descending.
    pub SortName = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(
            SortKey::ALL
                .iter()
                .flat_map(|(name, _)| [name.to_string(), format!("-{name}")]),
        ))
        .build()
);

param_schema!(
    /// An IMDb score filter: 0 to 10, one decimal place at most.
    pub ImdbFilter = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(decimal::IMDB_PATTERN))
        .build()
);

param_schema!(
    /// A price filter, written as prices are.
    pub PriceFilter = decimal::money_schema(PRICE_DIGITS, "4.99").build()
);
