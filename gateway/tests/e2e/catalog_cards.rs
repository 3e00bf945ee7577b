//! Movie lists are written from each movie's stored list card (kept by triggers) plus its live
//! counters: every list, under every sort, filter and scope, shows each movie exactly as its
//! detail does, and a moderator's change shows in the very next list.

use std::collections::BTreeSet;

use cinema_shared::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{
    TestApp,
    catalog::{Catalog, item_ids},
    users::TestUser,
};

/// The fields of a list item, as the API has always shown them.
const ITEM_FIELDS: &[&str] = &[
    "average_rating",
    "certification",
    "created_at",
    "currency",
    "dislikes",
    "genres",
    "id",
    "imdb",
    "is_available",
    "likes",
    "name",
    "poster_url",
    "price",
    "ratings_count",
    "time",
    "votes",
    "year",
];

/// Every item of the list at `path` (as `user`) has exactly the list fields, each equal to the
/// same field of the movie's detail; returns the page.
async fn assert_items_match_details(app: &TestApp, path: &str, user: Option<&TestUser>) -> Value {
    let page = app.list_as(path, user).await;
    for item in page["items"].as_array().expect("items") {
        let mut fields: BTreeSet<&str> = item
            .as_object()
            .expect("an item")
            .keys()
            .map(String::as_str)
            .collect();
        let purchased = fields.remove("purchased_at");
        assert_eq!(
            purchased,
            path.starts_with("/users/me/purchases"),
            "purchased_at only in purchases: {path}"
        );
        assert_eq!(
            fields.into_iter().collect::<Vec<_>>(),
            ITEM_FIELDS,
            "{path}"
        );
        let id = item["id"].as_str().expect("id");
        let detail = app.list_as(&format!("/movies/{id}"), None).await;
        for field in ITEM_FIELDS {
            assert_eq!(item[field], detail[field], "{path}: {field} of {id}");
        }
    }
    page
}

/// Every movie's stored card, genre ids and search words equal those computed afresh from its
/// rows, and every favorite carries its movie's created_at.
async fn assert_cards_current(app: &TestApp) {
    let stale: Vec<String> = sqlx::query_scalar(
        "WITH expected_words AS (\
            SELECT w AS lexeme, m.id AS movie_id, \
                   w = ANY (tsvector_to_array(to_tsvector('english', m.name))) AS in_title, \
                   char_length(m.name) AS title_length \
            FROM movies m, unnest(tsvector_to_array(m.search)) w) \
         SELECT name FROM movies m WHERE m.card IS DISTINCT FROM movie_card(m) \
            OR m.genre_ids IS DISTINCT FROM movie_genre_ids(m.id) \
         UNION ALL \
         SELECT 'a favorite of ' || m.name FROM favorites f JOIN movies m ON m.id = f.movie_id \
         WHERE f.movie_created_at IS DISTINCT FROM m.created_at \
         UNION ALL \
         SELECT 'the search words of ' || x.movie_id FROM (\
            (TABLE movie_search_words EXCEPT ALL TABLE expected_words) \
            UNION ALL (TABLE expected_words EXCEPT ALL TABLE movie_search_words)) x",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert!(stale.is_empty(), "stale cards: {stale:?}");
}

async fn send(app: &TestApp, method: Method, path: &str, who: &TestUser, body: Value) -> Value {
    let response = app
        .request(method.clone(), path)
        .header("authorization", who.bearer())
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

#[sqlx::test(migrations = "../migrations")]
async fn every_list_shows_each_movie_as_its_detail_does(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c: Catalog = app.fixture_catalog().await;
    let rater = &c.raters[0];
    for key in ["A", "C", "F"] {
        sqlx::query("INSERT INTO favorites (user_id, movie_id) VALUES ($1, $2)")
            .bind(rater.id)
            .bind(c.movie(key))
            .execute(&app.state.db)
            .await
            .unwrap();
    }
    for key in ["B", "E"] {
        sqlx::query("INSERT INTO purchases (user_id, movie_id) VALUES ($1, $2)")
            .bind(rater.id)
            .bind(c.movie(key))
            .execute(&app.state.db)
            .await
            .unwrap();
    }

    let mut paths = vec!["/movies?per_page=50".to_owned()];
    for sort in [
        "price",
        "year",
        "imdb",
        "votes",
        "rating",
        "popularity",
        "name",
        "created_at",
    ] {
        paths.push(format!("/movies?per_page=50&sort={sort}"));
        paths.push(format!("/movies?per_page=50&sort=-{sort}"));
    }
    let (drama, action) = (c.genres["Drama"], c.genres["Action"]);
    let (nolan, stone, pg) = (
        c.directors["Christopher Nolan"],
        c.stars["Emma Stone"],
        c.certifications["PG"],
    );
    paths.extend([
        "/movies?year=2010".to_owned(),
        "/movies?year_min=2000&year_max=2015&sort=price".to_owned(),
        "/movies?imdb_min=7&price_max=10&sort=-rating".to_owned(),
        format!("/movies?genre={drama}&genre={action}&sort=name"),
        format!("/movies?director={nolan}&star={stone}"),
        format!("/movies?certification={pg}&sort=-votes"),
        "/movies?search=signal".to_owned(),
        "/movies?search=Alpha%20Signl".to_owned(),
        "/movies?search=stone&sort=price".to_owned(),
        "/movies?per_page=2&page=2".to_owned(),
        format!("/genres/{drama}/movies?per_page=50"),
        format!("/directors/{nolan}/movies?sort=year"),
        format!("/stars/{stone}/movies"),
        format!("/certifications/{pg}/movies?sort=-price"),
    ]);
    for path in &paths {
        let page = assert_items_match_details(&app, path, None).await;
        assert!(page["total"].as_i64().unwrap() > 0, "{path} lists nothing");
    }

    let favorites = assert_items_match_details(&app, "/users/me/favorites", Some(rater)).await;
    assert_eq!(c.keys(&item_ids(&favorites)), ["F", "C", "A"]);
    let by_price =
        assert_items_match_details(&app, "/users/me/favorites?sort=-price", Some(rater)).await;
    assert_eq!(c.keys(&item_ids(&by_price)), ["F", "C", "A"]);
    let paged = app
        .list_as("/users/me/favorites?per_page=2&page=2", Some(rater))
        .await;
    assert_eq!(c.keys(&item_ids(&paged)), ["A"]);
    assert_eq!(paged["total"], 3);
    // A movie re-dated by hand moves in its favorites' default order too.
    sqlx::query("UPDATE movies SET created_at = now() WHERE id = $1")
        .bind(c.movie("A"))
        .execute(&app.state.db)
        .await
        .unwrap();
    let favorites = app.list_as("/users/me/favorites", Some(rater)).await;
    assert_eq!(c.keys(&item_ids(&favorites)), ["A", "F", "C"]);
    let purchases =
        assert_items_match_details(&app, "/users/me/purchases?sort=name", Some(rater)).await;
    assert_eq!(c.keys(&item_ids(&purchases)), ["B", "E"]);
    for item in purchases["items"].as_array().unwrap() {
        let when = item["purchased_at"].as_str().expect("purchased_at");
        chrono::DateTime::parse_from_rfc3339(when).expect("a timestamp");
    }

    // A name that needs escaping in JSON comes through whole.
    let odd = r#"Quote " and \ backslash, ünïcode"#;
    sqlx::query("UPDATE movies SET name = $1 WHERE id = $2")
        .bind(odd)
        .bind(c.movie("D"))
        .execute(&app.state.db)
        .await
        .unwrap();
    let page = assert_items_match_details(&app, "/movies?sort=name", None).await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == odd)
    );
    assert_cards_current(&app).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_moderators_change_shows_in_the_next_list(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let alpha = c.movie("A");
    let alpha_in = |page: &Value| -> Value {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["id"] == alpha.to_string())
            .cloned()
            .expect("Alpha Signal listed")
    };
    let path = format!("/movies/{alpha}");

    send(
        &app,
        Method::PATCH,
        &path,
        &moderator,
        json!({"price": "3.49"}),
    )
    .await;
    let listed = alpha_in(&app.list_as("/movies", None).await);
    assert_eq!(listed["price"], "3.49");
    assert_eq!(
        app.list_ids("/movies?price_max=3.5").await,
        [alpha],
        "the price filter sees the new price"
    );

    send(
        &app,
        Method::PATCH,
        &path,
        &moderator,
        json!({"is_available": false}),
    )
    .await;
    assert_eq!(
        alpha_in(&app.list_as("/movies", None).await)["is_available"],
        false
    );

    // A new genre link: the card shows it and the genre's page lists the movie.
    let comedy = c.genres["Comedy"];
    let genre_ids = [c.genres["Action"], c.genres["Sci-Fi"], comedy];
    send(
        &app,
        Method::PATCH,
        &path,
        &moderator,
        json!({"genre_ids": genre_ids}),
    )
    .await;
    let genres = |item: &Value| -> Vec<String> {
        item["genres"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let on_comedy_page = app.list_as(&format!("/genres/{comedy}/movies"), None).await;
    assert_eq!(
        genres(&alpha_in(&on_comedy_page)),
        ["Action", "Comedy", "Sci-Fi"]
    );

    // Renames reach every card that shows the name, and nothing else.
    send(
        &app,
        Method::PATCH,
        &format!("/genres/{comedy}"),
        &moderator,
        json!({"name": "Comedies"}),
    )
    .await;
    let page = app.list_as("/movies", None).await;
    assert_eq!(genres(&alpha_in(&page)), ["Action", "Comedies", "Sci-Fi"]);
    let with_comedies = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| genres(item).contains(&"Comedies".to_owned()))
        .count();
    assert_eq!(with_comedies, 3, "A, B and E");
    let r = c.certifications["R"];
    send(
        &app,
        Method::PATCH,
        &format!("/certifications/{r}"),
        &moderator,
        json!({"name": "Restricted"}),
    )
    .await;
    let certified: Vec<String> = app.list_as("/movies?sort=name", None).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["certification"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        certified,
        ["Restricted", "G", "Restricted", "PG", "PG", "PG"]
    );

    // Dropping every genre of a movie leaves an empty list, not a stale one.
    send(
        &app,
        Method::PATCH,
        &path,
        &moderator,
        json!({"genre_ids": []}),
    )
    .await;
    assert!(genres(&alpha_in(&app.list_as("/movies", None).await)).is_empty());
    // Counters move with every like without touching the card.
    let fan = app.make_user(Role::User).await;
    send(
        &app,
        Method::PUT,
        &format!("/movies/{alpha}/reaction"),
        &fan,
        json!({"value": "like"}),
    )
    .await;
    assert_eq!(alpha_in(&app.list_as("/movies", None).await)["likes"], 3);
    assert_items_match_details(&app, "/movies?per_page=50", None).await;
    assert_cards_current(&app).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn cards_stay_right_after_deletes_and_force_deletes(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let delete = |id: Uuid, query: &'static str| {
        app.request(Method::DELETE, &format!("/movies/{id}{query}"))
            .header("authorization", moderator.bearer())
            .send()
    };
    assert_eq!(delete(c.movie("B"), "").await.unwrap().status(), 204);
    app.put_in_carts(c.movie("C"), &[&c.raters[1]]).await;
    assert_eq!(
        delete(c.movie("C"), "?force=true").await.unwrap().status(),
        204
    );

    let page = assert_items_match_details(&app, "/movies?per_page=50", None).await;
    assert_eq!(page["total"], 4);
    assert_eq!(c.keys(&item_ids(&page)), ["F", "E", "D", "A"]);
    let drama = c.genres["Drama"];
    let drama_page =
        assert_items_match_details(&app, &format!("/genres/{drama}/movies"), None).await;
    assert_eq!(c.keys(&item_ids(&drama_page)), ["F"]);
    assert_eq!(drama_page["total"], 1);

    // A genre no movie uses any more can go; the remaining cards never named it.
    let comedy = c.genres["Comedy"];
    send(
        &app,
        Method::PATCH,
        &format!("/movies/{}", c.movie("E")),
        &moderator,
        json!({"genre_ids": []}),
    )
    .await;
    let gone = app
        .request(Method::DELETE, &format!("/genres/{comedy}"))
        .header("authorization", moderator.bearer())
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 204);
    assert_items_match_details(&app, "/movies?per_page=50", None).await;
    assert_cards_current(&app).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn renames_racing_link_changes_leave_no_stale_card(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let (comedy, pg) = (c.genres["Comedy"], c.certifications["PG"]);
    let (genre_path, certification_path) =
        (format!("/genres/{comedy}"), format!("/certifications/{pg}"));
    let (a_path, c_path) = (
        format!("/movies/{}", c.movie("A")),
        format!("/movies/{}", c.movie("C")),
    );
    for round in 0..15 {
        // Each round: rename Comedy and PG while movies gain and lose Comedy and move to PG.
        let rename_genre = send(
            &app,
            Method::PATCH,
            &genre_path,
            &moderator,
            json!({"name": format!("Comedy {round}")}),
        );
        let rename_certification = send(
            &app,
            Method::PATCH,
            &certification_path,
            &moderator,
            json!({"name": format!("PG {round}")}),
        );
        let genre_ids = if round % 2 == 0 {
            vec![comedy]
        } else {
            vec![c.genres["Drama"]]
        };
        let relink = send(
            &app,
            Method::PATCH,
            &a_path,
            &moderator,
            json!({"genre_ids": genre_ids, "certification_id": pg}),
        );
        let relink_other = send(
            &app,
            Method::PATCH,
            &c_path,
            &moderator,
            json!({"genre_ids": [comedy, c.genres["Drama"]]}),
        );
        tokio::join!(rename_genre, rename_certification, relink, relink_other);
        assert_cards_current(&app).await;
    }
    assert_items_match_details(&app, "/movies?per_page=50", None).await;
}
