//! A small catalog with hand-computable answers, written straight to the database, and helpers
//! to read movie lists back.
//!
//! | key | name               | year | time | imdb | votes | price | cert | genres         | directors | stars       | ratings | reactions        |
//! |-----|--------------------|------|------|------|-------|-------|------|----------------|-----------|-------------|---------|------------------|
//! | A   | Alpha Signal       | 1999 | 120  | 7.5  | 1000  | 9.99  | R    | Action, Sci-Fi | Nolan     | Keanu       | 8, 6    | like, like       |
//! | B   | Brave Little Town  | 2005 | 95   | 6.8  | 5000  | 4.99  | G    | Comedy, Drama  | Gerwig    | Emma        | -       | dislike          |
//! | C   | Crimson Harbor     | 2010 | 130  | 8.2  | 20000 | 14.99 | R    | Drama          | Coppola   | Hanks       | 9       | like             |
//! | D   | Delta Night        | 2010 | 110  | 5.9  | 300   | 4.99  | PG   | Action         | Nolan     | Keanu, Hanks| -       | -                |
//! | E   | Echo Park Summer   | 2018 | 100  | 7.5  | 800   | 9.99  | PG   | Comedy         | Gerwig    | Emma, Keanu | 10, 7   | like, dislike    |
//! | F   | Frozen Orbit       | 2021 | 140  | 8.2  | 15000 | 19.99 | PG   | Sci-Fi, Drama  | Nolan     | Emma        | 5       | like, like, like |
//!
//! Created in order A (oldest) to F (newest). Average ratings: A 7.00, C 9.00, E 8.50, F 5.00;
//! popularity (likes - dislikes): A 2, B -1, C 1, D 0, E 0, F 3.

use std::collections::HashMap;

use cinema_shared::auth::Role;
use serde_json::Value;
use uuid::Uuid;

use super::{TestApp, users::TestUser};

pub struct Catalog {
    pub certifications: HashMap<&'static str, i64>,
    pub genres: HashMap<&'static str, i64>,
    pub directors: HashMap<&'static str, i64>,
    pub stars: HashMap<&'static str, i64>,
    pub movies: HashMap<&'static str, Uuid>,
    pub raters: Vec<TestUser>,
}

impl Catalog {
    pub fn movie(&self, key: &str) -> Uuid {
        self.movies[key]
    }

    /// The keys of `ids`, in order.
    pub fn keys(&self, ids: &[Uuid]) -> Vec<&'static str> {
        ids.iter()
            .map(|id| {
                *self
                    .movies
                    .iter()
                    .find(|(_, movie)| *movie == id)
                    .expect("a fixture movie")
                    .0
            })
            .collect()
    }

    /// The expected order for groups of tied movies: within a group the id breaks the tie, in
    /// the sort's direction.
    pub fn ordered(&self, groups: &[&[&'static str]], descending: bool) -> Vec<&'static str> {
        groups
            .iter()
            .flat_map(|group| {
                let mut group: Vec<&'static str> = group.to_vec();
                group.sort_by_key(|key| self.movie(key));
                if descending {
                    group.reverse();
                }
                group
            })
            .collect()
    }
}

struct FixtureMovie {
    key: &'static str,
    name: &'static str,
    year: i32,
    time: i32,
    imdb: &'static str,
    votes: i32,
    price: &'static str,
    certification: &'static str,
    genres: &'static [&'static str],
    directors: &'static [&'static str],
    stars: &'static [&'static str],
    description: &'static str,
}

const MOVIES: &[FixtureMovie] = &[
    FixtureMovie {
        key: "A",
        name: "Alpha Signal",
        year: 1999,
        time: 120,
        imdb: "7.5",
        votes: 1000,
        price: "9.99",
        certification: "R",
        genres: &["Action", "Sci-Fi"],
        directors: &["Christopher Nolan"],
        stars: &["Keanu Reeves"],
        description: "A radio astronomer decodes a warning from deep space.",
    },
    FixtureMovie {
        key: "B",
        name: "Brave Little Town",
        year: 2005,
        time: 95,
        imdb: "6.8",
        votes: 5000,
        price: "4.99",
        certification: "G",
        genres: &["Comedy", "Drama"],
        directors: &["Greta Gerwig"],
        stars: &["Emma Stone"],
        description: "A mayor fights to keep the last bakery of her town open.",
    },
    FixtureMovie {
        key: "C",
        name: "Crimson Harbor",
        year: 2010,
        time: 130,
        imdb: "8.2",
        votes: 20000,
        price: "14.99",
        certification: "R",
        genres: &["Drama"],
        directors: &["Sofia Coppola"],
        stars: &["Tom Hanks"],
        description: "A fisherman hides a stranger during a long winter storm.",
    },
    FixtureMovie {
        key: "D",
        name: "Delta Night",
        year: 2010,
        time: 110,
        imdb: "5.9",
        votes: 300,
        price: "4.99",
        certification: "PG",
        genres: &["Action"],
        directors: &["Christopher Nolan"],
        stars: &["Keanu Reeves", "Tom Hanks"],
        description: "Two couriers race across a flooded city before dawn.",
    },
    FixtureMovie {
        key: "E",
        name: "Echo Park Summer",
        year: 2018,
        time: 100,
        imdb: "7.5",
        votes: 800,
        price: "9.99",
        certification: "PG",
        genres: &["Comedy"],
        directors: &["Greta Gerwig"],
        stars: &["Emma Stone", "Keanu Reeves"],
        description: "Friends start a band in Los Angeles; one of them dreams of a signal.",
    },
    FixtureMovie {
        key: "F",
        name: "Frozen Orbit",
        year: 2021,
        time: 140,
        imdb: "8.2",
        votes: 15000,
        price: "19.99",
        certification: "PG",
        genres: &["Sci-Fi", "Drama"],
        directors: &["Christopher Nolan"],
        stars: &["Emma Stone"],
        description: "A stranded crew repairs their station in orbit around Europa.",
    },
];

/// (movie, score) for each of the three raters, and their reactions.
const RATINGS: &[(&str, [Option<i16>; 3])] = &[
    ("A", [Some(8), Some(6), None]),
    ("C", [Some(9), None, None]),
    ("E", [Some(10), Some(7), None]),
    ("F", [Some(5), None, None]),
];
const REACTIONS: &[(&str, [Option<&str>; 3])] = &[
    ("A", [Some("like"), Some("like"), None]),
    ("B", [Some("dislike"), None, None]),
    ("C", [Some("like"), None, None]),
    ("E", [Some("like"), Some("dislike"), None]),
    ("F", [Some("like"), Some("like"), Some("like")]),
];

async fn names(app: &TestApp, table: &str, names: &[&'static str]) -> HashMap<&'static str, i64> {
    let mut ids = HashMap::new();
    for name in names {
        let id: i64 = sqlx::query_scalar(&format!(
            "INSERT INTO {table} (name) VALUES ($1) RETURNING id"
        ))
        .bind(name)
        .fetch_one(&app.state.db)
        .await
        .expect("insert name");
        ids.insert(*name, id);
    }
    ids
}

impl TestApp {
    /// Writes the fixture catalog (see the module docs) and its three raters.
    pub async fn fixture_catalog(&self) -> Catalog {
        let db = &self.state.db;
        let certifications = names(self, "certifications", &["G", "PG", "R"]).await;
        let genres = names(self, "genres", &["Action", "Comedy", "Drama", "Sci-Fi"]).await;
        let directors = names(
            self,
            "directors",
            &["Christopher Nolan", "Greta Gerwig", "Sofia Coppola"],
        )
        .await;
        let stars = names(self, "stars", &["Emma Stone", "Keanu Reeves", "Tom Hanks"]).await;
        let mut movies = HashMap::new();
        for (index, movie) in MOVIES.iter().enumerate() {
            let id: Uuid = sqlx::query_scalar(
                "INSERT INTO movies (name, year, time, imdb, votes, price, description, \
                                     certification_id, meta_score, created_at) \
                 VALUES ($1, $2, $3, $4::numeric, $5, $6::numeric, $7, $8, 70, \
                         now() - make_interval(days => $9)) RETURNING id",
            )
            .bind(movie.name)
            .bind(movie.year)
            .bind(movie.time)
            .bind(movie.imdb)
            .bind(movie.votes)
            .bind(movie.price)
            .bind(movie.description)
            .bind(certifications[movie.certification])
            .bind(10 - index as i32)
            .fetch_one(db)
            .await
            .expect("insert movie");
            for (table, column, list, ids) in [
                ("movie_genres", "genre_id", movie.genres, &genres),
                (
                    "movie_directors",
                    "director_id",
                    movie.directors,
                    &directors,
                ),
                ("movie_stars", "star_id", movie.stars, &stars),
            ] {
                for name in list {
                    sqlx::query(&format!(
                        "INSERT INTO {table} (movie_id, {column}) VALUES ($1, $2)"
                    ))
                    .bind(id)
                    .bind(ids[name])
                    .execute(db)
                    .await
                    .expect("link");
                }
            }
            movies.insert(movie.key, id);
        }
        sqlx::query("SELECT refresh_movie_search(ARRAY(SELECT id FROM movies))")
            .execute(db)
            .await
            .expect("search documents");
        let mut raters = Vec::new();
        for _ in 0..3 {
            raters.push(self.make_user(Role::User).await);
        }
        for (key, scores) in RATINGS {
            for (rater, score) in raters.iter().zip(scores) {
                if let Some(score) = score {
                    sqlx::query(
                        "INSERT INTO ratings (user_id, movie_id, score) VALUES ($1, $2, $3)",
                    )
                    .bind(rater.id)
                    .bind(movies[key])
                    .bind(score)
                    .execute(db)
                    .await
                    .expect("rating");
                }
            }
        }
        for (key, values) in REACTIONS {
            for (rater, value) in raters.iter().zip(values) {
                if let Some(value) = value {
                    sqlx::query(
                        "INSERT INTO reactions (user_id, movie_id, value) VALUES ($1, $2, $3)",
                    )
                    .bind(rater.id)
                    .bind(movies[key])
                    .bind(value)
                    .execute(db)
                    .await
                    .expect("reaction");
                }
            }
        }
        Catalog {
            certifications,
            genres,
            directors,
            stars,
            movies,
            raters,
        }
    }

    /// GETs a movie list (path with its query) as `user`, expecting 200; returns the body.
    pub async fn list_as(&self, path: &str, user: Option<&TestUser>) -> Value {
        let mut request = self.get(path);
        if let Some(user) = user {
            request = request.header("authorization", user.bearer());
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Each (name, movie_count) on the first page of a name list (`/genres`, `/stars`, ...).
    pub async fn movie_counts(&self, list: &str) -> Vec<(String, i64)> {
        let page = self.list_as(list, None).await;
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| {
                let name = item["name"].as_str().expect("name").to_owned();
                (name, item["movie_count"].as_i64().expect("movie_count"))
            })
            .collect()
    }

    /// Puts `movie` in each owner's cart (the cart routes belong to commerce).
    pub async fn put_in_carts(&self, movie: Uuid, owners: &[&TestUser]) {
        for owner in owners {
            sqlx::query("INSERT INTO cart_items (user_id, movie_id) VALUES ($1, $2)")
                .bind(owner.id)
                .bind(movie)
                .execute(&self.state.db)
                .await
                .expect("cart item");
        }
    }

    /// The ids of the items of a 200 movie list.
    pub async fn list_ids(&self, path: &str) -> Vec<Uuid> {
        item_ids(&self.list_as(path, None).await)
    }
}

pub fn item_ids(page: &Value) -> Vec<Uuid> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_str().expect("id").parse().expect("uuid"))
        .collect()
}
