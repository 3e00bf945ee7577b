//! Search: title, description, star and director names; ranked with title matches first;
//! typo-tolerant; combinable with every filter and sort.

use cinema_shared::auth::Role;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{TestApp, problem};

async fn create(app: &TestApp, bearer: &str, path: &str, body: Value) -> Value {
    let response = app
        .post(path)
        .header("authorization", bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "POST {path}");
    response.json().await.unwrap()
}

/// A moderator's bearer, a certification and a director named `director`: what the ranking
/// tests create their movies with.
struct Shelf {
    bearer: String,
    certification: Value,
    director: i64,
}

impl Shelf {
    async fn new(app: &TestApp, director: &str) -> Self {
        let bearer = app.make_user(Role::Moderator).await.bearer();
        let certification = create(app, &bearer, "/certifications", json!({"name": "PG"})).await;
        let director = create(app, &bearer, "/directors", json!({"name": director})).await;
        Self {
            bearer,
            certification: certification["id"].clone(),
            director: director["id"].as_i64().unwrap(),
        }
    }

    /// Creates a movie, by the shelf's director when `by_director`.
    async fn movie(
        &self,
        app: &TestApp,
        name: &str,
        description: &str,
        by_director: bool,
    ) -> Value {
        let directors: Vec<i64> = if by_director {
            vec![self.director]
        } else {
            vec![]
        };
        let body = json!({
            "name": name, "year": 2001, "time": 90, "imdb": 7.0, "votes": 10,
            "description": description, "price": "3.00",
            "certification_id": self.certification, "director_ids": directors,
        });
        create(app, &self.bearer, "/movies", body).await
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn title_matches_rank_above_people_and_description_matches(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let shelf = Shelf::new(&app, "Marta Lighthouse").await;
    // Created description-match first and title-match last, so neither age nor id order
    // could produce the expected ranking.
    let by_description = shelf
        .movie(
            &app,
            "Sea Fever",
            "A storm, a boat, and a lighthouse at the end of the world.",
            false,
        )
        .await;
    let by_person = shelf
        .movie(&app, "Quiet Waters", "Two sisters inherit a boat.", true)
        .await;
    let by_title = shelf
        .movie(
            &app,
            "The Lighthouse Keeper",
            "An old man keeps watch.",
            false,
        )
        .await;
    shelf
        .movie(&app, "Unrelated", "Nothing to see.", false)
        .await;

    let found = app.list_ids("/movies?search=lighthouse").await;
    let expected: Vec<uuid::Uuid> = [&by_title, &by_person, &by_description]
        .iter()
        .map(|m| m["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(found, expected);
    // An explicit sort replaces the ranking: oldest first.
    let sorted = app
        .list_ids("/movies?search=lighthouse&sort=created_at")
        .await;
    let mut oldest_first = expected.clone();
    oldest_first.reverse();
    assert_eq!(sorted, oldest_first);
    // Stemming: "lighthouses" finds the same three.
    assert_eq!(app.list_ids("/movies?search=lighthouses").await.len(), 3);
}

#[sqlx::test(migrations = "../migrations")]
async fn title_matches_come_shortest_first_and_pages_run_on_across_the_tiers(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let shelf = Shelf::new(&app, "Ada Lighthouse").await;
    let bearer = shelf.bearer.clone();
    let mut ids = std::collections::HashMap::new();
    // Created longest title first, so neither age nor creation order gives the ranking.
    for (key, name, description, by_director) in [
        (
            "description",
            "Harbor Lights",
            "A lighthouse stands in the bay.",
            false,
        ),
        ("person", "Quiet Bay", "Two sisters and a boat.", true),
        (
            "long",
            "Lighthouses of the Northern Coast",
            "A survey.",
            false,
        ),
        (
            "keeper",
            "The Lighthouse Keeper",
            "An old man keeps watch.",
            false,
        ),
        ("kept", "Lighthouse Night", "Its keeper disappears.", false),
        ("short", "Lighthouse", "A storm.", false),
    ] {
        let movie = shelf.movie(&app, name, description, by_director).await;
        ids.insert(movie["id"].as_str().unwrap().to_owned(), key);
    }
    let keys = |page: &Value| -> Vec<&str> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| ids[item["id"].as_str().unwrap()])
            .collect()
    };
    // Titles first, the shortest first (stemming finds "Lighthouses" too); then the person,
    // then the description. Pages of two run on from one tier into the next, and each page
    // counts every match.
    let mut found = Vec::new();
    for page in 1..=3 {
        let answer = app
            .list_as(
                &format!("/movies?search=lighthouse&per_page=2&page={page}"),
                None,
            )
            .await;
        assert_eq!(answer["total"], 6, "page {page}: {answer}");
        found.extend(keys(&answer));
    }
    assert_eq!(
        found,
        ["short", "kept", "keeper", "long", "person", "description"]
    );
    // An excluded word is excluded wherever it is: from a title ("Keeper") and from the
    // description behind a matching title ("Its keeper disappears").
    // (With an excluded word, ts_rank no longer tells people from description words, so only
    // the title tier's order is asserted here.)
    let excluding = app
        .list_as("/movies?search=lighthouse%20-keeper", None)
        .await;
    let mut found = keys(&excluding);
    assert_eq!(found[..2], ["short", "long"]);
    found[2..].sort_unstable();
    assert_eq!(found[2..], ["description", "person"]);
    assert_eq!(excluding["total"], 4);

    // A renamed title and a deleted movie: the one-word search (counted and paged from the
    // stored words) follows both at once.
    let id_of = |wanted: &str| {
        ids.iter()
            .find(|(_, key)| **key == wanted)
            .map(|(id, _)| id.clone())
            .unwrap()
    };
    let renamed = app
        .patch(&format!("/movies/{}", id_of("short")))
        .header("authorization", &bearer)
        .json(&json!({"name": "Beacon"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    let deleted = app
        .request(
            reqwest::Method::DELETE,
            &format!("/movies/{}", id_of("long")),
        )
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let after = app.list_as("/movies?search=lighthouse", None).await;
    assert_eq!(keys(&after), ["kept", "keeper", "person", "description"]);
    assert_eq!(after["total"], 4);
    let beacon = app.list_as("/movies?search=beacons", None).await;
    assert_eq!(
        (keys(&beacon), &beacon["total"]),
        (vec!["short"], &json!(1))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn search_tolerates_typos_and_finds_people(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let first = |ids: Vec<uuid::Uuid>| c.keys(&ids).first().copied();
    assert_eq!(
        first(app.list_ids("/movies?search=Crimsn%20Harbr").await),
        Some("C")
    );
    assert_eq!(
        first(app.list_ids("/movies?search=frozen%20orbt").await),
        Some("F")
    );
    // A star's name (typo included), combined with an explicit sort.
    assert_eq!(
        c.keys(&app.list_ids("/movies?search=keanu&sort=year").await),
        ["A", "D", "E"]
    );
    assert_eq!(
        c.keys(&app.list_ids("/movies?search=keanu%20reevs&sort=year").await),
        ["A", "D", "E"]
    );
    // A director's name with a filter: Nolan's movies after 2000.
    let mut found = c.keys(&app.list_ids("/movies?search=nolan&year_min=2000").await);
    found.sort_unstable();
    assert_eq!(found, ["D", "F"]);
    // The title outranks a description that mentions the same word.
    assert_eq!(
        c.keys(&app.list_ids("/movies?search=signal").await),
        ["A", "E"]
    );
    // Description words are searched too.
    assert_eq!(
        c.keys(&app.list_ids("/movies?search=fisherman").await),
        ["C"]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn no_match_is_an_empty_page_and_blank_is_no_search(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.fixture_catalog().await;
    let none = app.list_as("/movies?search=xqzvwk", None).await;
    assert_eq!(
        (none["total"].as_i64(), none["pages"].as_i64()),
        (Some(0), Some(0))
    );
    assert!(none["items"].as_array().unwrap().is_empty());
    // Only stop words or punctuation: still 200.
    app.list_as("/movies?search=the%20%26%20!", None).await;
    let blank = app.list_as("/movies?search=%20%20", None).await;
    assert_eq!(blank["total"], 6);
    problem(
        app.get(&format!("/movies?search={}", "a".repeat(201)))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn quotes_and_backslashes_are_searched_as_plain_text(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let moderator = app.make_user(Role::Moderator).await;
    let bearer = moderator.bearer();
    let certification = create(&app, &bearer, "/certifications", json!({"name": "PG"})).await;
    let quoted = create(
        &app,
        &bearer,
        "/movies",
        json!({
            "name": r"Ocean's Slash\Back", "year": 2001, "time": 90, "imdb": 7.0, "votes": 10,
            "description": "A heist.", "price": "3.00", "certification_id": certification["id"],
        }),
    )
    .await;
    let ids = app.list_ids("/movies?search=ocean%27s").await;
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].to_string(), quoted["id"].as_str().unwrap());
    // Text that would end a quoted string and run SQL is only searched for.
    for attack in [
        "%27%29%3B%20DELETE%20FROM%20movies%3B%20--",
        "%5C%27%29%3B%20DELETE%20FROM%20movies%3B%20--",
        "%5C",
    ] {
        let page = app.list_as(&format!("/movies?search={attack}"), None).await;
        assert!(page["items"].as_array().is_some(), "{attack}: {page}");
    }
    assert_eq!(app.list_as("/movies", None).await["total"], 1);
    let body = problem(
        app.get("/movies?search=frozen%00harbor")
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "search", "{body}");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_search_holds_at_most_eight_words(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let words = [
        "fisherman",
        "mayor",
        "couriers",
        "astronomer",
        "europa",
        "band",
        "bakery",
        "warning",
        "storm",
        "dawn",
        "orbit",
        "signal",
        "town",
        "harbor",
        "night",
        "summer",
        "frozen",
        "delta",
        "alpha",
        "echo",
    ];
    // Eight OR-ed words (the `or`s are not words): each finds its movie.
    let mut found = c.keys(
        &app.list_ids(&format!("/movies?search={}", words[..8].join("%20or%20")))
            .await,
    );
    found.sort_unstable();
    assert_eq!(found, ["A", "B", "C", "D", "E", "F"]);
    // Nine, or twenty OR-ed: refused, naming the parameter, on every movie list.
    for path in [
        format!("/movies?search={}", words[..9].join("%20")),
        format!("/movies?search={}", words.join("%20or%20")),
        format!(
            "/genres/{}/movies?search={}",
            c.genres["Drama"],
            words.join("%20OR%20")
        ),
    ] {
        let body = problem(app.get(&path).send().await.unwrap(), 422).await;
        assert_eq!(body["errors"][0]["field"], "search", "{path}: {body}");
        assert_eq!(body["errors"][0]["message"], "must have at most 8 words");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_list_stopped_by_the_statement_timeout_is_a_503(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    app.fixture_catalog().await;
    // The read connections, opened from here on, stop any statement after 200 ms ...
    sqlx::query(
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET statement_timeout = 200', \
         current_database()); END $$",
    )
    .execute(&db)
    .await
    .unwrap();
    // ... and a writer holding the movies table keeps a list waiting past that.
    let mut writer = db.begin().await.unwrap();
    sqlx::query("LOCK TABLE movies IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *writer)
        .await
        .unwrap();
    let response = app
        .get("/movies?search=frozen")
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .expect("an answer, not a hang");
    let body = problem(response, 503).await;
    assert!(
        body["detail"].as_str().unwrap().contains("narrow"),
        "{body}"
    );
    writer.rollback().await.unwrap();
    assert_eq!(app.list_as("/movies", None).await["total"], 6);
}
