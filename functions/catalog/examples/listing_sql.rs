//! Prints, with literal values, the exact SQL statement an endpoint runs, for `psql`,
//! `EXPLAIN ANALYZE` and `pgbench` (bench/catalog.sh):
//!
//! ```text
//! cargo run -p cinema-catalog --example listing_sql -- list 'genre=8&sort=price'
//! cargo run -p cinema-catalog --example listing_sql -- list 'per_page=50' genre:8
//! cargo run -p cinema-catalog --example listing_sql -- list 'per_page=50' favorites:<user>:<session>
//! cargo run -p cinema-catalog --example listing_sql -- detail 6b1c...-uuid
//! ```
//!
//! The list's query string goes through the endpoint's own extractor and validation.

use axum::{extract::FromRequestParts, http::Request};
use cinema_catalog::listing::{self, MovieFilters, Scope};
use cinema_shared::auth::TokenHolder;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["list", query, scope @ ..] => {
            let scope = match scope {
                [] => Scope::All,
                [scope] => parse_scope(scope),
                _ => usage(),
            };
            let (mut parts, ()) = Request::get(format!("/api/v1/movies?{query}"))
                .body(())
                .expect("a request")
                .into_parts();
            let filters = MovieFilters::from_request_parts(&mut parts, &())
                .await
                .unwrap_or_else(|err| panic!("bad query: {err:?}"));
            filters
                .validate()
                .unwrap_or_else(|err| panic!("bad query: {err:?}"));
            println!(
                "{};",
                listing::build(scope, &filters, "USD").with_literals()
            );
        }
        ["detail", id] => {
            let id: uuid::Uuid = id.parse().expect("a movie id");
            // The anonymous detail, as the benchmark requests it.
            let sql = cinema_catalog::movies::store::DETAIL
                .replace("$1", &format!("'{id}'::uuid"))
                .replace("$2", "'USD'");
            println!("{sql};");
        }
        _ => usage(),
    }
}

/// `genre:<id>` (a genre's page) or `favorites:<user id>:<session id>` (that user's favorites,
/// as the holder of a token of that session asks for them).
fn parse_scope(scope: &str) -> Scope {
    let uuid = |text: &str| text.parse().unwrap_or_else(|_| usage());
    match scope.split(':').collect::<Vec<_>>().as_slice() {
        ["genre", id] => Scope::Genre(id.parse().unwrap_or_else(|_| usage())),
        ["favorites", user, session] => Scope::FavoritesOf(TokenHolder {
            user_id: uuid(user),
            session_id: uuid(session),
        }),
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: listing_sql list '<query string>' [genre:<id> | favorites:<user id>:<session id>] \
         | detail <movie id>"
    );
    std::process::exit(2);
}
