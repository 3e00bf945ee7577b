//! `GET /movies`: every filter and sort, alone and combined, against the fixture catalog's
//! hand-computed answers (see support/catalog.rs); paging; 422s.

use std::collections::HashSet;

use sqlx::PgPool;

use crate::support::{TestApp, catalog::Catalog, problem};

async fn keys(app: &TestApp, catalog: &Catalog, path: &str) -> Vec<&'static str> {
    catalog.keys(&app.list_ids(path).await)
}

#[sqlx::test(migrations = "../migrations")]
async fn the_default_is_newest_first_with_every_listed_field(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let catalog = app.fixture_catalog().await;
    let page = app.list_as("/movies", None).await;
    assert_eq!(
        (page["total"].as_i64(), page["pages"].as_i64()),
        (Some(6), Some(1))
    );
    assert_eq!(
        (page["page"].as_i64(), page["per_page"].as_i64()),
        (Some(1), Some(20))
    );
    let ids = crate::support::catalog::item_ids(&page);
    assert_eq!(catalog.keys(&ids), ["F", "E", "D", "C", "B", "A"]);

    let alpha = &page["items"][5];
    assert_eq!(alpha["name"], "Alpha Signal");
    assert_eq!(alpha["year"], 1999);
    assert_eq!(alpha["time"], 120);
    assert_eq!(alpha["imdb"], 7.5);
    assert_eq!(alpha["votes"], 1000);
    assert_eq!(alpha["price"], "9.99");
    assert_eq!(alpha["certification"]["name"], "R");
    let genres: Vec<&str> = alpha["genres"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(genres, ["Action", "Sci-Fi"]);
    assert_eq!(alpha["average_rating"], 7.0);
    assert_eq!(alpha["ratings_count"], 2);
    assert_eq!(
        (alpha["likes"].as_i64(), alpha["dislikes"].as_i64()),
        (Some(2), Some(0))
    );
    let brave = &page["items"][4];
    assert!(brave["average_rating"].is_null());
    assert_eq!(brave["dislikes"], 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn each_sort_orders_both_ways_with_ties_broken_by_id(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    // Groups of equal keys, ascending.
    let cases: &[(&str, &[&[&str]])] = &[
        ("price", &[&["B", "D"], &["A", "E"], &["C"], &["F"]]),
        ("year", &[&["A"], &["B"], &["C", "D"], &["E"], &["F"]]),
        ("imdb", &[&["D"], &["B"], &["A", "E"], &["C", "F"]]),
        ("votes", &[&["D"], &["E"], &["A"], &["B"], &["F"], &["C"]]),
        ("popularity", &[&["B"], &["D", "E"], &["C"], &["A"], &["F"]]),
        ("name", &[&["A"], &["B"], &["C"], &["D"], &["E"], &["F"]]),
        (
            "created_at",
            &[&["A"], &["B"], &["C"], &["D"], &["E"], &["F"]],
        ),
    ];
    for (sort, groups) in cases {
        let ascending = keys(&app, &c, &format!("/movies?sort={sort}")).await;
        assert_eq!(ascending, c.ordered(groups, false), "sort={sort}");
        let reversed: Vec<&[&str]> = groups.iter().rev().copied().collect();
        let descending = keys(&app, &c, &format!("/movies?sort=-{sort}")).await;
        assert_eq!(descending, c.ordered(&reversed, true), "sort=-{sort}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn rating_sorts_put_unrated_movies_last_both_ways(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    // F 5.00 < A 7.00 < E 8.50 < C 9.00; B and D unrated.
    assert_eq!(
        keys(&app, &c, "/movies?sort=rating").await,
        c.ordered(&[&["F"], &["A"], &["E"], &["C"], &["B", "D"]], false)
    );
    assert_eq!(
        keys(&app, &c, "/movies?sort=-rating").await,
        c.ordered(&[&["C"], &["E"], &["A"], &["F"], &["B", "D"]], true)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn each_filter_alone(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let sorted = |path: String| {
        let app = &app;
        let c = &c;
        async move {
            let mut found = keys(app, c, &path).await;
            found.sort_unstable();
            found
        }
    };
    assert_eq!(sorted("/movies?year=2010".into()).await, ["C", "D"]);
    assert_eq!(
        sorted("/movies?year_min=2010".into()).await,
        ["C", "D", "E", "F"]
    );
    assert_eq!(sorted("/movies?year_max=2005".into()).await, ["A", "B"]);
    assert_eq!(
        sorted("/movies?imdb_min=7.5".into()).await,
        ["A", "C", "E", "F"]
    );
    assert_eq!(sorted("/movies?imdb_max=6.8".into()).await, ["B", "D"]);
    assert_eq!(sorted("/movies?price_min=10".into()).await, ["C", "F"]);
    assert_eq!(
        sorted("/movies?price_max=9.99".into()).await,
        ["A", "B", "D", "E"]
    );
    let genre = |name: &str| c.genres[name];
    assert_eq!(
        sorted(format!("/movies?genre={}", genre("Drama"))).await,
        ["B", "C", "F"]
    );
    // Repeated = any of.
    assert_eq!(
        sorted(format!(
            "/movies?genre={}&genre={}",
            genre("Comedy"),
            genre("Sci-Fi")
        ))
        .await,
        ["A", "B", "E", "F"]
    );
    assert_eq!(
        sorted(format!("/movies?director={}", c.directors["Greta Gerwig"])).await,
        ["B", "E"]
    );
    assert_eq!(
        sorted(format!("/movies?star={}", c.stars["Keanu Reeves"])).await,
        ["A", "D", "E"]
    );
    assert_eq!(
        sorted(format!(
            "/movies?star={}&star={}",
            c.stars["Tom Hanks"], c.stars["Emma Stone"]
        ))
        .await,
        ["B", "C", "D", "E", "F"]
    );
    assert_eq!(
        sorted(format!("/movies?certification={}", c.certifications["PG"])).await,
        ["D", "E", "F"]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn filters_and_sorts_combine(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    // Drama from 2005 on, cheapest first: B 4.99, C 14.99, F 19.99.
    let path = format!(
        "/movies?genre={}&year_min=2005&sort=price",
        c.genres["Drama"]
    );
    assert_eq!(keys(&app, &c, &path).await, ["B", "C", "F"]);
    // Nolan's PG movies with imdb >= 6, best rated first: F (5.00) only; D is 5.9.
    let path = format!(
        "/movies?director={}&certification={}&imdb_min=6&sort=-rating",
        c.directors["Christopher Nolan"], c.certifications["PG"]
    );
    assert_eq!(keys(&app, &c, &path).await, ["F"]);
    // Keanu, 2000-2020, price under 10, most popular first: D (0), E (0) tie -> by id desc.
    let path = format!(
        "/movies?star={}&year_min=2000&year_max=2020&price_max=9.99&sort=-popularity",
        c.stars["Keanu Reeves"]
    );
    assert_eq!(keys(&app, &c, &path).await, c.ordered(&[&["D", "E"]], true));
    // Nothing matches: 200 and an empty page.
    let page = app.list_as("/movies?year=2010&price_min=15", None).await;
    assert_eq!(page["total"], 0);
    assert_eq!(page["pages"], 0);
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_never_repeat_or_skip_a_movie(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    // Sorts with ties, so only the id tie-break keeps pages apart.
    for sort in [
        "price",
        "-price",
        "imdb",
        "-popularity",
        "rating",
        "-rating",
        "year",
    ] {
        let whole = keys(&app, &c, &format!("/movies?sort={sort}")).await;
        let mut walked = Vec::new();
        for page in 1..=4 {
            let body = app
                .list_as(&format!("/movies?sort={sort}&per_page=2&page={page}"), None)
                .await;
            assert_eq!(
                (body["total"].as_i64(), body["pages"].as_i64()),
                (Some(6), Some(3))
            );
            walked.extend(c.keys(&crate::support::catalog::item_ids(&body)));
        }
        assert_eq!(walked, whole, "sort={sort}");
        assert_eq!(walked.iter().collect::<HashSet<_>>().len(), 6);
    }
    // Past the end: an empty page that still tells the total.
    let past = app.list_as("/movies?page=9&per_page=5", None).await;
    assert_eq!(
        (past["total"].as_i64(), past["pages"].as_i64()),
        (Some(6), Some(2))
    );
    assert!(past["items"].as_array().unwrap().is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_parameters_are_422_naming_the_parameter(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let cases = [
        ("sort=colour".to_owned(), "sort"),
        ("sort=--price".to_owned(), "sort"),
        ("colour=red".to_owned(), "colour"),
        ("year=soon".to_owned(), "year"),
        ("year=1700".to_owned(), "year"),
        ("year_min=2010&year_max=2000".to_owned(), "year_max"),
        ("imdb_min=11".to_owned(), "imdb_min"),
        ("imdb_max=high".to_owned(), "imdb_max"),
        ("price_min=-1".to_owned(), "price_min"),
        ("price_min=abc".to_owned(), "price_min"),
        ("price_min=20&price_max=10".to_owned(), "price_max"),
        ("genre=drama".to_owned(), "genre"),
        ("genre=999999".to_owned(), "genre"),
        (format!("genre={}&star=424242", c.genres["Drama"]), "star"),
        ("director=0".to_owned(), "director"),
        ("certification=77777".to_owned(), "certification"),
        ("page=0".to_owned(), "page"),
        ("per_page=101".to_owned(), "per_page"),
        ("per_page=ten".to_owned(), "per_page"),
        (format!("search={}", "x".repeat(201)), "search"),
    ];
    for (query, field) in cases {
        let response = app.get(&format!("/movies?{query}")).send().await.unwrap();
        let body = problem(response, 422).await;
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, [field], "{query}: {body}");
    }
}

/// Every page of `per_page` in the default order, concatenated.
async fn walk_pages(app: &TestApp, per_page: usize) -> Vec<uuid::Uuid> {
    let mut ids = Vec::new();
    for page in 1.. {
        let found = app
            .list_ids(&format!("/movies?per_page={per_page}&page={page}"))
            .await;
        if found.is_empty() {
            return ids;
        }
        ids.extend(found);
    }
    unreachable!()
}

/// Pages of every size up to `largest`, walked to the end, give `everything` in order.
async fn assert_pages_walk_to(app: &TestApp, largest: usize, everything: &[uuid::Uuid]) {
    for per_page in 1..=largest {
        assert_eq!(
            walk_pages(app, per_page).await,
            everything,
            "per_page={per_page}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn deep_pages_seek_from_anchors_and_stay_right_when_movies_change(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let db = &app.state.db;
    let scalar = move |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(db)
            .await
            .unwrap()
    };
    let anchors = || scalar("SELECT count(*) FROM catalog_anchors");
    let rebuild = || scalar("SELECT rebuild_catalog_anchors(2)");
    let everything = app.list_ids("/movies?per_page=100").await;
    assert_eq!(c.keys(&everything), ["F", "E", "D", "C", "B", "A"]);
    // Anchors at positions 2 and 4: pages of every size start before, at and after them.
    assert_eq!(rebuild().await, 2);
    assert_pages_walk_to(&app, 5, &everything).await;

    // A new movie drops the anchors; pages stay right, then right again over new anchors.
    let moderator = app.make_user(cinema_shared::auth::Role::Moderator).await;
    let response = app
        .post("/movies")
        .header("authorization", moderator.bearer())
        .json(&serde_json::json!({
            "name": "Newest", "year": 2024, "time": 90, "imdb": 7.0, "votes": 1,
            "description": "New.", "price": "1.00", "certification_id": c.certifications["PG"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(anchors().await, 0);
    let everything = app.list_ids("/movies?per_page=100").await;
    assert_eq!(everything.len(), 7);
    assert_eq!(walk_pages(&app, 2).await, everything);
    assert_eq!(rebuild().await, 3);
    assert_pages_walk_to(&app, 4, &everything).await;
    // Deep pages really start at the anchors: a tampered one shows in them.
    scalar("UPDATE catalog_anchors SET position = 3 WHERE position = 4 RETURNING 0::bigint").await;
    assert_eq!(
        app.list_ids("/movies?per_page=1&page=4").await,
        [everything[4]]
    );
}
