//! Movie detail and the moderators' create, update and delete, with the delete rules.

use cinema_shared::auth::Role;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{TestApp, catalog::Catalog, mail::emails_to, problem, users::TestUser};

fn new_movie(c: &Catalog) -> Value {
    json!({
        "name": "The Quiet Lighthouse",
        "year": 2019,
        "time": 112,
        "imdb": 7.1,
        "votes": 4200,
        "meta_score": 64,
        "gross": "1250000.5",
        "description": "  A keeper and a lost sailor wait out the fog.  ",
        "price": "9.9",
        "certification_id": c.certifications["PG"],
        "genre_ids": [c.genres["Drama"], c.genres["Drama"]],
        "director_ids": [c.directors["Sofia Coppola"]],
        "star_ids": [c.stars["Emma Stone"], c.stars["Tom Hanks"]],
    })
}

async fn post_movie(app: &TestApp, who: &TestUser, body: &Value) -> reqwest::Response {
    app.post("/movies")
        .header("authorization", who.bearer())
        .json(body)
        .send()
        .await
        .unwrap()
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap())
        .collect()
}

fn error_fields(body: &Value) -> Vec<String> {
    let mut fields: Vec<String> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    fields
}

#[sqlx::test(migrations = "../migrations")]
async fn a_moderator_creates_a_movie_and_anyone_reads_it(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let response = post_movie(&app, &moderator, &new_movie(&c)).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["price"], "9.90");
    assert_eq!(created["gross"], "1250000.50");
    assert_eq!(created["currency"], "USD");
    assert_eq!(
        created["description"],
        "A keeper and a lost sailor wait out the fog."
    );
    assert_eq!(created["is_available"], true);
    assert_eq!(created["certification"]["name"], "PG");
    assert_eq!(names(&created["genres"]), ["Drama"]);
    assert_eq!(names(&created["directors"]), ["Sofia Coppola"]);
    assert_eq!(names(&created["stars"]), ["Emma Stone", "Tom Hanks"]);
    assert_eq!(
        (created["likes"].as_i64(), created["ratings_count"].as_i64()),
        (Some(0), Some(0))
    );
    assert!(created["average_rating"].is_null());

    let id = created["id"].as_str().unwrap();
    let read: Value = app
        .get(&format!("/movies/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["name"], "The Quiet Lighthouse");
    assert_eq!(read["meta_score"], 64);
    assert_eq!(read["imdb"], 7.1);
    assert_eq!(read["comments_count"], 0);
    // Anonymous readers get no per-user fields.
    assert!(read.get("my_reaction").is_none() && read.get("is_favorite").is_none());
    // It is in the list, first (newest), and findable through its star.
    let page = app.list_as("/movies", None).await;
    assert_eq!(page["total"], 7);
    assert_eq!(page["items"][0]["id"], id);
    let by_star = app
        .list_as(
            &format!("/movies?search=hanks&star={}", c.stars["Tom Hanks"]),
            None,
        )
        .await;
    assert!(
        by_star["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == id)
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn writes_need_a_moderator(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let user = app.make_user(Role::User).await;
    let id = c.movie("A");

    let anonymous = app
        .post("/movies")
        .json(&new_movie(&c))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    problem(anonymous, 401).await;
    problem(post_movie(&app, &user, &new_movie(&c)).await, 403).await;

    let patch = app
        .request(reqwest::Method::PATCH, &format!("/movies/{id}"))
        .json(&json!({"price": "1.00"}));
    problem(patch.send().await.unwrap(), 401).await;
    let patch = app
        .request(reqwest::Method::PATCH, &format!("/movies/{id}"))
        .header("authorization", user.bearer())
        .json(&json!({"price": "1.00"}));
    problem(patch.send().await.unwrap(), 403).await;

    let delete = app.request(reqwest::Method::DELETE, &format!("/movies/{id}"));
    problem(delete.send().await.unwrap(), 401).await;
    let delete = app
        .request(reqwest::Method::DELETE, &format!("/movies/{id}"))
        .header("authorization", user.bearer());
    problem(delete.send().await.unwrap(), 403).await;
    let bad_token = app
        .request(reqwest::Method::DELETE, &format!("/movies/{id}"))
        .header("authorization", "Bearer not-a-token");
    problem(bad_token.send().await.unwrap(), 401).await;

    // Nothing changed.
    let page = app.list_as("/movies", None).await;
    assert_eq!(page["total"], 6);
    assert_eq!(page["items"][5]["price"], "9.99");
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_movies_are_refused_naming_each_field(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;

    let mut bad = new_movie(&c);
    bad["name"] = json!(" ");
    bad["year"] = json!(1500);
    bad["time"] = json!(0);
    bad["imdb"] = json!(10.5);
    bad["votes"] = json!(-1);
    bad["meta_score"] = json!(101);
    bad["price"] = json!("-1.00");
    bad["gross"] = json!("1.234");
    bad["description"] = json!("");
    let body = problem(post_movie(&app, &moderator, &bad).await, 422).await;
    assert_eq!(
        error_fields(&body),
        [
            "description",
            "gross",
            "imdb",
            "meta_score",
            "name",
            "price",
            "time",
            "votes",
            "year"
        ]
    );

    let mut unknown = new_movie(&c);
    unknown["genre_ids"] = json!([c.genres["Drama"], 999_999]);
    unknown["star_ids"] = json!([888_888]);
    unknown["certification_id"] = json!(777_777);
    let body = problem(post_movie(&app, &moderator, &unknown).await, 422).await;
    assert_eq!(
        error_fields(&body),
        ["certification_id", "genre_ids", "star_ids"]
    );

    // Postgres text cannot hold NUL; a name has no use for any control character, a description
    // keeps only line breaks and tabs.
    let mut control = new_movie(&c);
    control["name"] = json!("Night\u{0}fall");
    control["description"] = json!("Bell\u{7}");
    let body = problem(post_movie(&app, &moderator, &control).await, 422).await;
    assert_eq!(error_fields(&body), ["description", "name"]);
    let mut multiline = new_movie(&c);
    multiline["description"] = json!("First line.\r\n\tSecond line.");
    let created = post_movie(&app, &moderator, &multiline).await;
    assert_eq!(created.status(), 201);

    let mut missing = new_movie(&c);
    missing.as_object_mut().unwrap().remove("description");
    let body = problem(post_movie(&app, &moderator, &missing).await, 422).await;
    assert_eq!(error_fields(&body), ["description"]);

    let mut typed = new_movie(&c);
    typed["price"] = json!(9.99);
    let body = problem(post_movie(&app, &moderator, &typed).await, 422).await;
    assert_eq!(error_fields(&body), ["price"]);

    let mut extra = new_movie(&c);
    extra["rating"] = json!(10);
    problem(post_movie(&app, &moderator, &extra).await, 422).await;

    let malformed = app
        .post("/movies")
        .header("authorization", moderator.bearer())
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    problem(malformed, 400).await;
    let not_json = app
        .post("/movies")
        .header("authorization", moderator.bearer())
        .body("name=x")
        .send()
        .await
        .unwrap();
    problem(not_json, 415).await;

    assert_eq!(
        app.list_as("/movies", None).await["total"],
        7,
        "only the multi-line one"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn name_year_and_time_are_unique(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let mut same = new_movie(&c);
    same["name"] = json!("Alpha Signal");
    same["year"] = json!(1999);
    same["time"] = json!(120);
    problem(post_movie(&app, &moderator, &same).await, 409).await;
    // A remake (another year) is a different movie.
    same["year"] = json!(2024);
    assert_eq!(post_movie(&app, &moderator, &same).await.status(), 201);
    // Renaming another movie into the taken triple is refused too.
    let patch = app
        .request(reqwest::Method::PATCH, &format!("/movies/{}", c.movie("B")))
        .header("authorization", moderator.bearer())
        .json(&json!({"name": "Alpha Signal", "year": 1999, "time": 120}))
        .send()
        .await
        .unwrap();
    problem(patch, 409).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_patch_changes_only_what_it_sends(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let id = c.movie("D");
    let response = app
        .request(reqwest::Method::PATCH, &format!("/movies/{id}"))
        .header("authorization", moderator.bearer())
        .json(&json!({
            "price": "5",
            "meta_score": null,
            "is_available": false,
            "genre_ids": [c.genres["Comedy"], c.genres["Sci-Fi"]],
            "star_ids": [],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let movie: Value = response.json().await.unwrap();
    assert_eq!(movie["price"], "5.00");
    assert!(movie["meta_score"].is_null());
    assert_eq!(movie["is_available"], false);
    assert_eq!(names(&movie["genres"]), ["Comedy", "Sci-Fi"]);
    assert!(movie["stars"].as_array().unwrap().is_empty());
    // Untouched fields and links stay.
    assert_eq!(movie["name"], "Delta Night");
    assert_eq!(movie["imdb"], 5.9);
    assert_eq!(names(&movie["directors"]), ["Christopher Nolan"]);
    // The lists follow: no longer Action, now Comedy; its old star no longer finds it.
    let action = app
        .list_ids(&format!("/movies?genre={}", c.genres["Action"]))
        .await;
    assert_eq!(c.keys(&action), ["A"]);
    let keanu = app
        .list_ids(&format!("/movies?star={}", c.stars["Keanu Reeves"]))
        .await;
    assert!(!keanu.contains(&id));
    // Counts follow too: on the name lists and as the total of a one-genre list.
    assert_eq!(
        counts_of(app.movie_counts("/genres").await),
        [1, 3, 3, 3] // Action, Comedy, Drama, Sci-Fi
    );
    for (genre, total) in [("Action", 1), ("Comedy", 3)] {
        let page = app
            .list_as(&format!("/movies?genre={}", c.genres[genre]), None)
            .await;
        assert_eq!(page["total"], total, "{genre}");
        let page = app
            .list_as(&format!("/genres/{}/movies", c.genres[genre]), None)
            .await;
        assert_eq!(page["total"], total, "{genre} page");
    }
    let unavailable_still_listed = app.list_ids("/movies?price_max=5").await;
    assert!(unavailable_still_listed.contains(&id));

    for (patch, field) in [
        (json!({"price": "abc"}), "price"),
        (json!({"year": "new"}), "year"),
        (json!({"genre_ids": [424_242]}), "genre_ids"),
        (json!({"name": ""}), "name"),
        // Only meta_score and gross may be cleared; null elsewhere is refused, not ignored.
        (json!({"name": null}), "name"),
        (json!({"description": null}), "description"),
        (json!({"certification_id": null}), "certification_id"),
        (json!({"genre_ids": null}), "genre_ids"),
    ] {
        let response = app
            .request(reqwest::Method::PATCH, &format!("/movies/{id}"))
            .header("authorization", moderator.bearer())
            .json(&patch)
            .send()
            .await
            .unwrap();
        let body = problem(response, 422).await;
        assert_eq!(error_fields(&body), [field]);
    }
    let missing = app
        .request(
            reqwest::Method::PATCH,
            &format!("/movies/{}", Uuid::new_v4()),
        )
        .header("authorization", moderator.bearer())
        .json(&json!({"price": "1.00", "genre_ids": [424_242]}))
        .send()
        .await
        .unwrap();
    problem(missing, 404).await;
    let unchanged = app.get(&format!("/movies/{id}")).send().await.unwrap();
    let unchanged: Value = unchanged.json().await.unwrap();
    assert_eq!(unchanged["name"], "Delta Night");
    assert_eq!(unchanged["price"], "5.00");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_unknown_movie_is_404(db: PgPool) {
    let app = TestApp::spawn(db).await;
    for path in [
        format!("/movies/{}", Uuid::new_v4()),
        "/movies/not-a-uuid".to_owned(),
    ] {
        problem(app.get(&path).send().await.unwrap(), 404).await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_detail_shows_the_callers_own_state(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let rater = &c.raters[1];
    let id = c.movie("E");
    for sql in [
        "INSERT INTO favorites (user_id, movie_id) VALUES ($1, $2)",
        "INSERT INTO cart_items (user_id, movie_id) VALUES ($1, $2)",
    ] {
        sqlx::query(sql)
            .bind(rater.id)
            .bind(id)
            .execute(&app.state.db)
            .await
            .unwrap();
    }
    let mine = app.list_as(&format!("/movies/{id}"), Some(rater)).await;
    assert_eq!(mine["my_reaction"], "dislike");
    assert_eq!(mine["my_rating"], 7);
    assert_eq!(mine["is_favorite"], true);
    assert_eq!(mine["in_cart"], true);
    assert_eq!(mine["is_purchased"], false);
    // Aggregates: ratings 10 and 7, one like and one dislike.
    assert_eq!(mine["average_rating"], 8.5);
    assert_eq!(
        (mine["likes"].as_i64(), mine["dislikes"].as_i64()),
        (Some(1), Some(1))
    );

    let other = &c.raters[2];
    sqlx::query("INSERT INTO purchases (user_id, movie_id) VALUES ($1, $2)")
        .bind(other.id)
        .bind(id)
        .execute(&app.state.db)
        .await
        .unwrap();
    let theirs = app.list_as(&format!("/movies/{id}"), Some(other)).await;
    assert!(theirs["my_reaction"].is_null() && theirs["my_rating"].is_null());
    assert_eq!(
        (
            &theirs["is_favorite"],
            &theirs["in_cart"],
            &theirs["is_purchased"]
        ),
        (&json!(false), &json!(false), &json!(true))
    );
    let bad_token = app
        .get(&format!("/movies/{id}"))
        .header("authorization", "Bearer nope")
        .send()
        .await
        .unwrap();
    problem(bad_token, 401).await;
}

async fn delete_movie(app: &TestApp, who: &TestUser, id: Uuid, query: &str) -> reqwest::Response {
    app.request(reqwest::Method::DELETE, &format!("/movies/{id}{query}"))
        .header("authorization", who.bearer())
        .send()
        .await
        .unwrap()
}

/// Just the counts of [`TestApp::movie_counts`], in name order.
fn counts_of(rows: Vec<(String, i64)>) -> Vec<i64> {
    rows.into_iter().map(|(_, count)| count).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn delete_follows_the_purchase_and_cart_rules(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let db = &app.state.db;

    // Nobody holds it: gone, and so are its ratings, reactions and favorites.
    let free = c.movie("D");
    let fan = c.raters[0].id;
    for statement in [
        "INSERT INTO ratings (user_id, movie_id, score) VALUES ($1, $2, 8)",
        "INSERT INTO reactions (user_id, movie_id, value) VALUES ($1, $2, 'like')",
        "INSERT INTO favorites (user_id, movie_id) VALUES ($1, $2)",
    ] {
        sqlx::query(statement)
            .bind(fan)
            .bind(free)
            .execute(db)
            .await
            .unwrap();
    }
    assert_eq!(delete_movie(&app, &moderator, free, "").await.status(), 204);
    let left_behind: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM ratings WHERE movie_id = $1)
              + (SELECT count(*) FROM reactions WHERE movie_id = $1)
              + (SELECT count(*) FROM favorites WHERE movie_id = $1)",
    )
    .bind(free)
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(left_behind, 0);
    let favorites = app.list_as("/users/me/favorites", Some(&c.raters[0])).await;
    assert_eq!(favorites["total"], 0);
    problem(
        app.get(&format!("/movies/{free}")).send().await.unwrap(),
        404,
    )
    .await;
    problem(delete_movie(&app, &moderator, free, "").await, 404).await;
    assert_eq!(app.list_as("/movies", None).await["total"], 5);

    // Bought: never, even with force.
    let bought = c.movie("A");
    sqlx::query("INSERT INTO purchases (user_id, movie_id) VALUES ($1, $2)")
        .bind(c.raters[0].id)
        .bind(bought)
        .execute(db)
        .await
        .unwrap();
    problem(delete_movie(&app, &moderator, bought, "").await, 409).await;
    problem(
        delete_movie(&app, &moderator, bought, "?force=true").await,
        409,
    )
    .await;

    // In two carts: 409 with the count, unless forced.
    let carted = c.movie("C");
    let owners = [&c.raters[1], &c.raters[2]];
    app.put_in_carts(carted, &owners).await;
    let refused = problem(delete_movie(&app, &moderator, carted, "").await, 409).await;
    assert_eq!(refused["carts"], 2);
    let refused = problem(
        delete_movie(&app, &moderator, carted, "?force=false").await,
        409,
    )
    .await;
    assert_eq!(refused["carts"], 2);
    problem(
        delete_movie(&app, &moderator, carted, "?force=maybe").await,
        422,
    )
    .await;

    assert_eq!(
        delete_movie(&app, &moderator, carted, "?force=true")
            .await
            .status(),
        204
    );
    let left_in_carts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM cart_items WHERE movie_id = $1")
            .bind(carted)
            .fetch_one(db)
            .await
            .unwrap();
    assert_eq!(left_in_carts, 0);
    let notified: Vec<(Uuid, String, Value)> =
        sqlx::query_as("SELECT user_id, kind, data FROM notifications ORDER BY user_id")
            .fetch_all(db)
            .await
            .unwrap();
    let mut expected: Vec<Uuid> = owners.iter().map(|o| o.id).collect();
    expected.sort();
    assert_eq!(notified.iter().map(|n| n.0).collect::<Vec<_>>(), expected);
    for (_, kind, data) in &notified {
        assert_eq!(kind, "movie_removed_from_cart");
        assert_eq!(data["movie_name"], "Crimson Harbor");
    }
    app.deliver_mail().await;
    for owner in owners {
        let emails = emails_to(&owner.email).await;
        assert_eq!(emails.len(), 1, "one email to {}", owner.email);
        assert!(
            emails[0].text.contains("Crimson Harbor"),
            "{}",
            emails[0].text
        );
    }
    assert!(emails_to(&c.raters[0].email).await.is_empty());
    assert_eq!(app.list_as("/movies", None).await["total"], 4);
    // The name lists' counts lost D (PG, Action) and C (R, Drama).
    assert_eq!(
        counts_of(app.movie_counts("/certifications").await),
        [1, 2, 1]
    ); // G, PG, R
    let expected = [("Action", 1), ("Comedy", 2), ("Drama", 2), ("Sci-Fi", 2)];
    assert_eq!(
        app.movie_counts("/genres").await,
        expected.map(|(name, count)| (name.to_owned(), count))
    );
    let r = app
        .list_as(
            &format!("/movies?certification={}", c.certifications["R"]),
            None,
        )
        .await;
    assert_eq!(r["total"], 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_openapi_document_describes_catalog_and_engagement_routes(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let user = app.make_user(Role::User).await;
    let doc: Value = app
        .get("/openapi.json")
        .basic_auth(&user.email, Some(crate::support::users::PASSWORD))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = &doc["paths"];
    for (path, methods) in [
        ("/api/v1/movies", &["get", "post"][..]),
        ("/api/v1/movies/{id}", &["get", "patch", "delete"]),
        ("/api/v1/genres", &["get", "post"]),
        ("/api/v1/genres/{id}", &["patch", "delete"]),
        ("/api/v1/genres/{id}/movies", &["get"]),
        ("/api/v1/stars/{id}/movies", &["get"]),
        ("/api/v1/directors", &["get", "post"]),
        ("/api/v1/certifications/{id}", &["patch", "delete"]),
        ("/api/v1/movies/{id}/reaction", &["put", "delete"]),
        ("/api/v1/movies/{id}/rating", &["put", "delete"]),
        ("/api/v1/movies/{id}/favorite", &["put", "delete"]),
        ("/api/v1/users/me/favorites", &["get"]),
    ] {
        for method in methods {
            assert!(
                paths[path][method].is_object(),
                "{method} {path} is not described"
            );
        }
    }
    let list_params: Vec<&str> = paths["/api/v1/movies"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "search",
        "year_min",
        "price_max",
        "genre",
        "certification",
        "sort",
        "per_page",
    ] {
        assert!(
            list_params.contains(&name),
            "{name} missing from {list_params:?}"
        );
    }
    assert!(paths["/api/v1/movies"]["post"]["security"].is_array());
    assert!(doc["components"]["schemas"]["MoviePage"].is_object());
}

#[sqlx::test(migrations = "../migrations")]
async fn year_totals_follow_creates_year_changes_and_deletes(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let total = |query: &'static str| {
        let app = &app;
        async move { app.list_as(&format!("/movies?{query}"), None).await["total"].clone() }
    };
    // The fixture has Alpha Signal (1999) in the 1990s and nothing in 2019.
    assert_eq!(total("year_min=1990&year_max=1999").await, 1);
    assert_eq!(total("year=2019").await, 0);

    let created: Value = post_movie(&app, &moderator, &new_movie(&c))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["year"], 2019);
    assert_eq!(total("year=2019").await, 1);
    assert_eq!(total("year_min=2010").await, 5);

    let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
    let response = app
        .patch(&format!("/movies/{id}"))
        .header("authorization", moderator.bearer())
        .json(&json!({"year": 1995}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(total("year=2019").await, 0);
    assert_eq!(total("year_min=1990&year_max=1999").await, 2);
    // A change that leaves the year alone leaves the counts alone.
    let response = app
        .patch(&format!("/movies/{id}"))
        .header("authorization", moderator.bearer())
        .json(&json!({"year": 1995, "votes": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(total("year_min=1990&year_max=1999").await, 2);

    assert_eq!(delete_movie(&app, &moderator, id, "").await.status(), 204);
    assert_eq!(total("year_min=1990&year_max=1999").await, 1);
    assert_eq!(total("year_min=1888").await, 6);
}
