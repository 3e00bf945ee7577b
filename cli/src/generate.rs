//! `cinema generate-catalog`: a large catalog for benchmarks (by default 100,000 movies, 20,000
//! people and 1,000,000 ratings and reactions), made inside Postgres with `generate_series`
//! so nothing crosses the wire row by row.
//!
//! Counter triggers are switched off while loading and the counters computed once at the end;
//! the search documents and list cards are built in one pass after the links exist.

use std::time::Instant;

use anyhow::{Context, bail};
use sqlx::{Executor, PgConnection, PgPool};

use crate::names;

pub struct Sizes {
    pub movies: i64,
    pub people: i64,
    pub interactions: i64,
}

/// Users who rate and react: enough that each rates a few dozen movies at most.
fn audience(sizes: &Sizes) -> i64 {
    (sizes.interactions / 100).clamp(10, 20_000)
}

/// A SQL array literal of `words`.
fn array(words: &[&str]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', "''")))
        .collect();
    format!("ARRAY[{}]::text[]", quoted.join(","))
}

/// Runs one generation step and prints how long it took.
pub async fn step(db: &mut PgConnection, label: &str, sql: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    db.execute(sql)
        .await
        .with_context(|| format!("generating: {label}"))?;
    println!("  {label:<40} {:>6.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

pub async fn generate(pool: &PgPool, sizes: Sizes, reset: bool) -> anyhow::Result<()> {
    if sizes.movies < 1 || sizes.people < 2 || sizes.interactions < 0 {
        bail!("--movies must be at least 1 and --people at least 2");
    }
    // One connection throughout: the steps share temporary tables.
    let mut conn = pool.acquire().await?;
    let db = &mut *conn;
    let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM movies")
        .fetch_one(&mut *db)
        .await?;
    if existing > 0 && !reset {
        bail!("the database already has {existing} movies; pass --reset to replace the catalog");
    }
    let started = Instant::now();
    let directors = (sizes.people / 5).max(1);
    let stars = sizes.people - directors;
    let users = audience(&sizes);
    // Each user rates and reacts to `per_user` movies (half the interactions each).
    let per_user = ((sizes.interactions / 2 + users - 1) / users).min(sizes.movies);

    step(
        db,
        "clearing the catalog",
        "TRUNCATE movies, movie_genres, movie_directors, movie_stars, genres, directors, stars,
                  certifications, reactions, ratings, favorites, cart_items, purchases,
                  payment_items, movie_search_words, notification_counts
         RESTART IDENTITY CASCADE;
         DELETE FROM users WHERE email LIKE '%@generated.cinema.local';",
    )
    .await?;
    // Counters and search documents are computed in bulk at the end instead of per row.
    step(
        db,
        "pausing counter triggers",
        "ALTER TABLE ratings DISABLE TRIGGER ratings_count;
         ALTER TABLE reactions DISABLE TRIGGER reactions_count;
         ALTER TABLE movie_genres DISABLE TRIGGER movie_genres_cards_added;
         ALTER TABLE movies DISABLE TRIGGER movies_search_words_insert;
         ALTER TABLE movies DISABLE TRIGGER movies_search_words_update;",
    )
    .await?;

    // Every movie row is written three times (insert, search document, counters): without
    // its secondary indexes (and those of its search words) that is cheap, and building them once at the end is far
    // quicker than maintaining them row by row. Their definitions are read from the catalog,
    // so this stays in step with the migrations.
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.relname::text, pg_get_indexdef(x.indexrelid)
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         WHERE x.indrelid IN ('movies'::regclass, 'movie_search_words'::regclass)
           AND NOT x.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
    )
    .fetch_all(&mut *db)
    .await?;
    let drop: Vec<String> = indexes
        .iter()
        .map(|(name, _)| format!("DROP INDEX {name};"))
        .collect();
    step(db, "dropping movie indexes", &drop.join("\n")).await?;
    let result = load(&mut *db, &sizes, directors, stars, users, per_user).await;
    // Each movie row was written several times above; rewritten once, the table is as compact
    // as a catalog that grew movie by movie (and its indexes are still to be built).
    if result.is_ok() {
        step(db, "compacting movies", "VACUUM FULL movies").await?;
    }
    let create: Vec<String> = indexes.iter().map(|(_, def)| format!("{def};")).collect();
    step(
        db,
        "building movie indexes",
        &format!("SET maintenance_work_mem = '256MB';\n{}", create.join("\n")),
    )
    .await?;
    // Re-enabled whatever happened, so a failed run leaves working triggers.
    step(
        db,
        "restoring counter triggers",
        "ALTER TABLE ratings ENABLE TRIGGER ratings_count;
         ALTER TABLE reactions ENABLE TRIGGER reactions_count;
         ALTER TABLE movie_genres ENABLE TRIGGER movie_genres_cards_added;
         ALTER TABLE movies ENABLE TRIGGER movies_search_words_insert;
         ALTER TABLE movies ENABLE TRIGGER movies_search_words_update;",
    )
    .await?;
    result?;
    // Fresh statistics and a visibility map, so the planner picks the indexes and index-only
    // scans work from the first request.
    step(
        db,
        "vacuum analyze",
        "VACUUM (ANALYZE) movies, movie_genres, movie_directors, movie_stars, ratings,
                          reactions, genres, directors, stars, certifications,
                          movie_search_words",
    )
    .await?;
    step(
        db,
        "catalog page anchors",
        "SELECT rebuild_catalog_anchors()",
    )
    .await?;
    println!(
        "generated {} movies, {} people, {} interactions in {:.1} s",
        sizes.movies,
        sizes.people,
        users * per_user * 2,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn load(
    db: &mut PgConnection,
    sizes: &Sizes,
    directors: i64,
    stars: i64,
    users: i64,
    per_user: i64,
) -> anyhow::Result<()> {
    let movies = sizes.movies;
    let first = array(names::FIRST_NAMES);
    let last = array(names::LAST_NAMES);
    let adjectives = array(names::ADJECTIVES);
    let nouns = array(names::NOUNS);
    let places = array(names::PLACES);
    let heroes = array(names::HEROES);
    let goals = array(names::GOALS);
    let genres = array(names::GENRES);
    let certifications = array(names::CERTIFICATIONS);

    step(
        db,
        "session settings",
        "SET synchronous_commit = off; SET maintenance_work_mem = '256MB'; SET work_mem = '64MB';",
    )
    .await?;
    step(
        db,
        "names",
        &format!(
            "INSERT INTO certifications (name) SELECT unnest({certifications});
             INSERT INTO genres (name) SELECT unnest({genres});
             -- People: every first/last pair, then a middle initial once pairs run out, so
             -- names stay unique.
             CREATE TEMP TABLE people_names AS
             SELECT i, f[1 + i % cardinality(f)]
                       || CASE WHEN i / (cardinality(f) * cardinality(l)) > 0
                               THEN ' ' || chr(65 + (i / (cardinality(f) * cardinality(l))) % 26) || '.'
                               ELSE '' END
                       || ' ' || l[1 + (i / cardinality(f)) % cardinality(l)] AS name
             FROM generate_series(0, {people} - 1) i, (SELECT {first} AS f, {last} AS l) w;
             INSERT INTO directors (name) SELECT name FROM people_names WHERE i < {directors} ORDER BY i;
             INSERT INTO stars (name) SELECT name FROM people_names WHERE i >= {directors} ORDER BY i;
             DROP TABLE people_names;",
            people = sizes.people,
        ),
    )
    .await?;

    // Titles: an adjective/noun pair or "noun of place"; year and running time step through
    // every pair (96 x 110) before repeating.
    step(
        db,
        "movies",
        &format!(
            "INSERT INTO movies (name, year, time, imdb, votes, meta_score, gross, description,
                                 price, certification_id, is_available, created_at)
             SELECT
                 CASE WHEN h % 3 = 0
                      THEN n[1 + (h >> 8) % cardinality(n)] || ' of ' || p[1 + (h >> 16) % cardinality(p)]
                      ELSE 'The ' || a[1 + (h >> 8) % cardinality(a)] || ' ' || n[1 + (h >> 16) % cardinality(n)]
                 END
                 -- Movies sharing a year and time get a sequel numeral, so no two collide.
                 || CASE WHEN i / 10560 > 0 THEN ' ' || to_char(i / 10560 + 1, 'FMRN') ELSE '' END,
                 1930 + i % 96,
                 75 + (i / 96) % 110,
                 round((3 + ((h >> 24) % 63) / 10.0)::numeric, 1),
                 ((h >> 4) % 2000000)::int,
                 CASE WHEN h % 5 = 0 THEN NULL ELSE (20 + (h >> 12) % 80)::int END,
                 CASE WHEN h % 4 = 0 THEN NULL ELSE ((h >> 6) % 500000000)::numeric END,
                 upper(left(hero[1 + (h >> 20) % cardinality(hero)], 1))
                     || substr(hero[1 + (h >> 20) % cardinality(hero)], 2) || ' in '
                     || p[1 + (h >> 10) % cardinality(p)] || ' ' || g[1 + (h >> 14) % cardinality(g)] || '.',
                 (ARRAY[1.99, 2.99, 3.99, 4.99, 5.99, 7.99, 9.99, 12.99, 14.99, 19.99])[1 + (h >> 18) % 10],
                 1 + (h >> 22) % {certification_count},
                 h % 50 <> 0,
                 now() - make_interval(secs => ({movies} - i) * 60)
             FROM (
                 SELECT i, (hashint8(i)::bigint & 2147483647) AS h
                 FROM generate_series(0, {movies} - 1) i
             ) s,
             (SELECT {adjectives} AS a, {nouns} AS n, {places} AS p, {heroes} AS hero,
                     {goals} AS g) w
             ON CONFLICT (name, year, time) DO NOTHING;
             CREATE TEMP TABLE movie_index AS
             SELECT (row_number() OVER (ORDER BY created_at, id) - 1)::int AS idx, id FROM movies;
             CREATE UNIQUE INDEX ON movie_index (idx);
             ANALYZE movie_index;",
            certification_count = names::CERTIFICATIONS.len(),
        ),
    )
    .await?;

    step(
        db,
        "links (genres, directors, stars)",
        &format!(
            "INSERT INTO movie_genres (movie_id, genre_id)
             SELECT DISTINCT m.id, 1 + ((hashint8(m.idx * 7 + k)::bigint & 2147483647) % {genre_count})
             FROM movie_index m, generate_series(0, 1 + m.idx % 2) k
             ON CONFLICT DO NOTHING;
             INSERT INTO movie_directors (movie_id, director_id)
             SELECT m.id, 1 + (hashint8(m.idx)::bigint & 2147483647) % {directors} FROM movie_index m;
             -- Stars: a skewed pick, so some people are in many movies and most in few.
             INSERT INTO movie_stars (movie_id, star_id)
             SELECT DISTINCT m.id,
                    1 + ((hashint8(m.idx * 5 + k)::bigint & 2147483647) % {stars})
                        * ((hashint8(m.idx * 11 + k)::bigint & 2147483647) % 1000) / 1000
             FROM movie_index m, generate_series(0, 2 + m.idx % 2) k
             ON CONFLICT DO NOTHING;",
            genre_count = names::GENRES.len(),
        ),
    )
    .await?;

    // The list cards are written here too, once the genres are linked (their trigger is
    // paused: it would rewrite every movie once more).
    step(
        db,
        "search documents and list cards",
        "UPDATE movies m
         SET card = movie_card(m),
             genre_ids = movie_genre_ids(m.id),
             people_names = p.names,
             search = setweight(to_tsvector('english', m.name), 'A')
                   || setweight(to_tsvector('english', p.names), 'B')
                   || setweight(to_tsvector('english', m.description), 'C')
         FROM (
             SELECT movie_id, string_agg(name, ' ' ORDER BY name) AS names
             FROM (
                 SELECT l.movie_id, d.name FROM movie_directors l JOIN directors d ON d.id = l.director_id
                 UNION ALL
                 SELECT l.movie_id, s.name FROM movie_stars l JOIN stars s ON s.id = l.star_id
             ) n
             GROUP BY movie_id
         ) p
         WHERE m.id = p.movie_id;",
    )
    .await?;
    // Its triggers are paused too (they insert word by word): filled in one pass, in its
    // primary key's order.
    step(
        db,
        "search words",
        "INSERT INTO movie_search_words (lexeme, movie_id, in_title, title_length)
         SELECT w.* FROM movies m, movie_search_words_of(m) w ORDER BY 1, 2;",
    )
    .await?;

    step(
        db,
        "audience",
        &format!(
            "INSERT INTO users (email, password_hash, role, is_active)
             SELECT 'viewer' || i || '@generated.cinema.local', 'not-a-password-hash', 'user', false
             FROM generate_series(1, {users}) i;
             CREATE TEMP TABLE audience AS
             SELECT (row_number() OVER (ORDER BY id) - 1)::int AS u, id FROM users
             WHERE email LIKE '%@generated.cinema.local';"
        ),
    )
    .await?;

    // Each user k-th pick is (u * 7919 + k * 1999) mod movies: distinct per user (1999 is prime
    // to the movie count unless it divides it), spread over the catalog.
    let stride = if movies % 1999 == 0 { 1997 } else { 1999 };
    step(
        db,
        "ratings and reactions",
        &format!(
            "INSERT INTO ratings (user_id, movie_id, score)
             SELECT a.id, m.id, 1 + (hashint8(a.u * 31 + k)::bigint & 2147483647) % 10
             FROM audience a CROSS JOIN generate_series(0, {per_user} - 1) k
             JOIN movie_index m ON m.idx = ((a.u::bigint * 7919 + k * {stride}) % {movies})::int
             ON CONFLICT DO NOTHING;
             INSERT INTO reactions (user_id, movie_id, value)
             SELECT a.id, m.id, CASE WHEN (hashint8(a.u * 17 + k)::bigint & 2147483647) % 10 < 7 THEN 'like' ELSE 'dislike' END
             FROM audience a CROSS JOIN generate_series(0, {per_user} - 1) k
             JOIN movie_index m ON m.idx = ((a.u::bigint * 7919 + (k + 1) * {stride} + 13) % {movies})::int
             ON CONFLICT DO NOTHING;"
        ),
    )
    .await?;

    step(
        db,
        "counters",
        "UPDATE movies m
         SET ratings_count = coalesce(r.count, 0), ratings_sum = coalesce(r.sum, 0),
             likes = coalesce(x.likes, 0), dislikes = coalesce(x.dislikes, 0)
         FROM movie_index i
         LEFT JOIN (SELECT movie_id, count(*) AS count, sum(score) AS sum
                    FROM ratings GROUP BY movie_id) r ON r.movie_id = i.id
         LEFT JOIN (SELECT movie_id, count(*) FILTER (WHERE value = 'like') AS likes,
                           count(*) FILTER (WHERE value = 'dislike') AS dislikes
                    FROM reactions GROUP BY movie_id) x ON x.movie_id = i.id
         WHERE m.id = i.id AND (r.count IS NOT NULL OR x.movie_id IS NOT NULL);
         UPDATE catalog_counters SET movies = (SELECT count(*) FROM movies);
         TRUNCATE movie_year_counts;
         INSERT INTO movie_year_counts (year, movie_count)
         SELECT year, count(*) FROM movies GROUP BY year;
         DROP TABLE movie_index; DROP TABLE audience;",
    )
    .await?;
    Ok(())
}
