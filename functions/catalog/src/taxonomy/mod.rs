//! Genres, stars, directors and certifications: four name lists with one shape (list with
//! `movie_count`, create, rename, delete unless used, their own page of movies). One generic
//! implementation over a [`Kind`]; a macro stamps out each kind's documented handlers.

pub mod model;
mod routes;
pub mod store;

use cinema_shared::ApiError;

use crate::listing::Scope;

pub use routes::api;
pub use store::missing_ids;

/// What differs between the four lists: where they live and how movies link to them.
pub struct Kind {
    /// The table, also the path segment (`genres`).
    pub table: &'static str,
    /// One of them, for messages (`genre`).
    pub singular: &'static str,
    /// The table that links movies to it, and its column (for certifications, `movies` itself).
    pub link_table: &'static str,
    pub link_column: &'static str,
    /// Whether its names are part of the movies' search document.
    pub in_search: bool,
    /// Whether its names are shown on the movies' list cards (a rename rewrites them).
    pub on_cards: bool,
    pub scope: fn(i64) -> Scope,
}

pub const GENRES: Kind = Kind {
    table: "genres",
    on_cards: true,
    singular: "genre",
    link_table: "movie_genres",
    link_column: "genre_id",
    in_search: false,
    scope: Scope::Genre,
};

pub const DIRECTORS: Kind = Kind {
    table: "directors",
    on_cards: false,
    singular: "director",
    link_table: "movie_directors",
    link_column: "director_id",
    in_search: true,
    scope: Scope::Director,
};

pub const STARS: Kind = Kind {
    table: "stars",
    on_cards: false,
    singular: "star",
    link_table: "movie_stars",
    link_column: "star_id",
    in_search: true,
    scope: Scope::Star,
};

pub const CERTIFICATIONS: Kind = Kind {
    table: "certifications",
    on_cards: true,
    singular: "certification",
    link_table: "movies",
    link_column: "certification_id",
    in_search: false,
    scope: Scope::Certification,
};

impl Kind {
    /// The column of the link table that holds the movie id.
    fn link_movie_column(&self) -> &'static str {
        if self.link_table == "movies" {
            "id"
        } else {
            "movie_id"
        }
    }

    fn not_found(&self) -> ApiError {
        ApiError::NotFound(format!("no such {}", self.singular))
    }
}
