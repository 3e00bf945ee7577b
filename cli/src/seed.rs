//! `cinema seed-demo`: a believable demo catalog (a few hundred movies with their genres,
//! certifications, directors and stars, made up here from word lists, not fetched) and two
//! active accounts to try it with. Idempotent: the same run twice changes nothing the second
//! time.

use std::collections::HashSet;

use anyhow::Context;
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::names::{self, Rng};

/// The demo accounts (also in the README).
pub const MODERATOR_EMAIL: &str = "moderator@cinema.local";
pub const MODERATOR_PASSWORD: &str = "Moderator-Demo-2026!";
pub const USER_EMAIL: &str = "user@cinema.local";
pub const USER_PASSWORD: &str = "User-Demo-2026!";

const MOVIES: usize = 300;
const DIRECTORS: usize = 60;
const STARS: usize = 240;
/// Fixed, so every run makes the same catalog.
const SEED: u64 = 2026;
const PRICES: &[&str] = &[
    "2.99", "3.99", "4.99", "5.99", "7.99", "9.99", "12.99", "14.99",
];

struct Movie {
    name: String,
    year: i32,
    time: i32,
    imdb: Decimal,
    votes: i32,
    meta_score: Option<i32>,
    gross: Option<Decimal>,
    description: String,
    price: Decimal,
    certification: &'static str,
    genres: Vec<&'static str>,
    directors: Vec<String>,
    stars: Vec<String>,
}

/// Distinct "First Last" names.
fn people(rng: &mut Rng, count: usize, taken: &mut HashSet<String>) -> Vec<String> {
    let mut made = Vec::with_capacity(count);
    while made.len() < count {
        let name = format!(
            "{} {}",
            rng.pick(names::FIRST_NAMES),
            rng.pick(names::LAST_NAMES)
        );
        if taken.insert(name.clone()) {
            made.push(name);
        }
    }
    made
}

fn catalog() -> (Vec<String>, Vec<String>, Vec<Movie>) {
    let mut rng = Rng::new(SEED);
    let mut taken = HashSet::new();
    let directors = people(&mut rng, DIRECTORS, &mut taken);
    let stars = people(&mut rng, STARS, &mut taken);
    let mut titles = HashSet::new();
    let mut movies = Vec::with_capacity(MOVIES);
    while movies.len() < MOVIES {
        let name = names::title(&mut rng);
        if !titles.insert(name.clone()) {
            continue;
        }
        let votes = rng.between(200, 2_500_000) as i32;
        let (genre_count, star_count) = (1 + rng.below(3) as usize, 2 + rng.below(3) as usize);
        let director_count = 1 + usize::from(rng.below(8) == 0);
        let genre_picks = rng.distinct(genre_count, names::GENRES.len());
        let star_picks = rng.distinct(star_count, stars.len());
        let director_picks = rng.distinct(director_count, directors.len());
        movies.push(Movie {
            name,
            year: rng.between(1950, 2025) as i32,
            time: rng.between(78, 185) as i32,
            imdb: Decimal::new(rng.between(48, 93), 1),
            votes,
            meta_score: (rng.below(5) > 0).then(|| rng.between(35, 98) as i32),
            gross: (rng.below(3) > 0)
                .then(|| Decimal::new(rng.between(50_000, 900_000_000) * 100, 2)),
            description: names::plot(&mut rng),
            price: rng.pick(PRICES).parse().expect("a price"),
            certification: rng.pick(names::CERTIFICATIONS),
            genres: genre_picks.iter().map(|&i| names::GENRES[i]).collect(),
            directors: director_picks
                .iter()
                .map(|&i| directors[i].clone())
                .collect(),
            stars: star_picks.iter().map(|&i| stars[i].clone()).collect(),
        });
    }
    (directors, stars, movies)
}

/// Inserts `names` into a name list, skipping those already there.
async fn upsert_names(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    table: &str,
    names: &[String],
) -> anyhow::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO {table} (name) SELECT unnest($1::text[]) ON CONFLICT (lower(name)) DO NOTHING"
    ))
    .bind(names)
    .execute(&mut **tx)
    .await
    .with_context(|| format!("seeding {table}"))?;
    Ok(())
}

async fn account(db: &PgPool, email: &str, password: &str, role: &str) -> anyhow::Result<()> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)")
        .bind(email)
        .fetch_one(db)
        .await?;
    if exists {
        return Ok(());
    }
    let hash = cinema_shared::password::hash_blocking(password)?;
    sqlx::query(
        "WITH made AS (
             INSERT INTO users (email, password_hash, role, is_active) VALUES ($1, $2, $3, true)
             ON CONFLICT (email) DO NOTHING RETURNING id)
         INSERT INTO profiles (user_id) SELECT id FROM made ON CONFLICT DO NOTHING",
    )
    .bind(email)
    .bind(hash)
    .bind(role)
    .execute(db)
    .await
    .with_context(|| format!("creating {email}"))?;
    Ok(())
}

/// Seeds the demo catalog and accounts; returns how many movies the catalog now has.
pub async fn seed_demo(db: &PgPool) -> anyhow::Result<i64> {
    account(db, MODERATOR_EMAIL, MODERATOR_PASSWORD, "moderator").await?;
    account(db, USER_EMAIL, USER_PASSWORD, "user").await?;

    let (directors, stars, movies) = catalog();
    let mut tx = db.begin().await?;
    let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    upsert_names(&mut tx, "certifications", &strings(names::CERTIFICATIONS)).await?;
    upsert_names(&mut tx, "genres", &strings(names::GENRES)).await?;
    upsert_names(&mut tx, "directors", &directors).await?;
    upsert_names(&mut tx, "stars", &stars).await?;

    let column = |f: &dyn Fn(&Movie) -> String| movies.iter().map(f).collect::<Vec<String>>();
    let names = column(&|m| m.name.clone());
    let years: Vec<i32> = movies.iter().map(|m| m.year).collect();
    let times: Vec<i32> = movies.iter().map(|m| m.time).collect();
    sqlx::query(
        "INSERT INTO movies (name, year, time, imdb, votes, meta_score, gross, description, price,
                             certification_id)
         SELECT x.name, x.year, x.time, x.imdb, x.votes, x.meta_score, x.gross, x.description,
                x.price, c.id
         FROM unnest($1::text[], $2::int[], $3::int[], $4::numeric[], $5::int[], $6::int[],
                     $7::numeric[], $8::text[], $9::numeric[], $10::text[])
              AS x (name, year, time, imdb, votes, meta_score, gross, description, price, cert)
         JOIN certifications c ON lower(c.name) = lower(x.cert)
         ON CONFLICT (name, year, time) DO NOTHING",
    )
    .bind(&names)
    .bind(&years)
    .bind(&times)
    .bind(movies.iter().map(|m| m.imdb).collect::<Vec<_>>())
    .bind(movies.iter().map(|m| m.votes).collect::<Vec<_>>())
    .bind(movies.iter().map(|m| m.meta_score).collect::<Vec<_>>())
    .bind(movies.iter().map(|m| m.gross).collect::<Vec<_>>())
    .bind(column(&|m| m.description.clone()))
    .bind(movies.iter().map(|m| m.price).collect::<Vec<_>>())
    .bind(column(&|m| m.certification.to_owned()))
    .execute(&mut *tx)
    .await
    .context("seeding movies")?;

    // Links as (movie index, linked name) pairs, resolved to ids in SQL.
    for (table, column, names_table, pick) in [
        (
            "movie_genres",
            "genre_id",
            "genres",
            &(|m: &Movie| m.genres.iter().map(|g| g.to_string()).collect())
                as &dyn Fn(&Movie) -> Vec<String>,
        ),
        (
            "movie_directors",
            "director_id",
            "directors",
            &|m: &Movie| m.directors.clone(),
        ),
        ("movie_stars", "star_id", "stars", &|m: &Movie| {
            m.stars.clone()
        }),
    ] {
        let (mut index, mut linked) = (Vec::new(), Vec::new());
        for (i, movie) in movies.iter().enumerate() {
            for name in pick(movie) {
                index.push(i as i32 + 1);
                linked.push(name);
            }
        }
        sqlx::query(&format!(
            "INSERT INTO {table} (movie_id, {column})
             SELECT m.id, t.id
             FROM unnest($1::int[], $2::text[]) AS l (movie, name)
             JOIN unnest($3::text[], $4::int[], $5::int[]) WITH ORDINALITY
                  AS x (name, year, time, n) ON x.n = l.movie
             JOIN movies m ON (m.name, m.year, m.time) = (x.name, x.year, x.time)
             JOIN {names_table} t ON lower(t.name) = lower(l.name)
             ON CONFLICT DO NOTHING"
        ))
        .bind(&index)
        .bind(&linked)
        .bind(&names)
        .bind(&years)
        .bind(&times)
        .execute(&mut *tx)
        .await
        .with_context(|| format!("seeding {table}"))?;
    }
    sqlx::query(
        "SELECT refresh_movie_search(ARRAY(
             SELECT m.id FROM unnest($1::text[], $2::int[], $3::int[]) AS x (name, year, time)
             JOIN movies m ON (m.name, m.year, m.time) = (x.name, x.year, x.time)))",
    )
    .bind(&names)
    .bind(&years)
    .bind(&times)
    .execute(&mut *tx)
    .await
    .context("building search documents")?;

    // The demo user has opinions, so the detail's own-state fields show something.
    sqlx::query(
        "WITH picked AS (
             SELECT m.id, row_number() OVER (ORDER BY m.name, m.id) AS n
             FROM movies m ORDER BY m.name, m.id LIMIT 30),
         me AS (SELECT id FROM users WHERE email = $1),
         rated AS (
             INSERT INTO ratings (user_id, movie_id, score)
             SELECT me.id, picked.id, 3 + (picked.n % 8) FROM me, picked
             ON CONFLICT DO NOTHING)
         INSERT INTO reactions (user_id, movie_id, value)
         SELECT me.id, picked.id, CASE WHEN picked.n % 4 = 0 THEN 'dislike' ELSE 'like' END
         FROM me, picked WHERE picked.n % 2 = 0
         ON CONFLICT DO NOTHING",
    )
    .bind(USER_EMAIL)
    .execute(&mut *tx)
    .await
    .context("seeding the demo user's ratings")?;
    tx.commit().await?;

    let total: i64 = sqlx::query_scalar("SELECT movies FROM catalog_counters")
        .fetch_one(db)
        .await?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_catalog_is_the_same_every_time_and_distinct() {
        let (directors, stars, movies) = catalog();
        let (_, _, again) = catalog();
        assert_eq!(movies.len(), MOVIES);
        assert_eq!(
            movies.iter().map(|m| &m.name).collect::<Vec<_>>(),
            again.iter().map(|m| &m.name).collect::<Vec<_>>()
        );
        let people: HashSet<&String> = directors.iter().chain(&stars).collect();
        assert_eq!(people.len(), DIRECTORS + STARS);
        assert!(
            movies
                .iter()
                .all(|m| !m.genres.is_empty() && m.stars.len() >= 2)
        );
        assert!(movies.iter().all(|m| m.price.scale() == 2));
    }
}
