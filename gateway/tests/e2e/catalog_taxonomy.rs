//! Genres, stars, directors and certifications: one behaviour, checked for each of the four.

use cinema_shared::auth::Role;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{TestApp, catalog::Catalog, problem};

/// Each list's path, a name in use in the fixture and its movies, and an unused new name.
fn kinds(c: &Catalog) -> [(&'static str, i64, Vec<&'static str>); 4] {
    [
        ("genres", c.genres["Drama"], vec!["B", "C", "F"]),
        ("stars", c.stars["Keanu Reeves"], vec!["A", "D", "E"]),
        ("directors", c.directors["Greta Gerwig"], vec!["B", "E"]),
        ("certifications", c.certifications["R"], vec!["A", "C"]),
    ]
}

#[sqlx::test(migrations = "../migrations")]
async fn lists_are_sorted_by_name_with_movie_counts(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.fixture_catalog().await;
    let expected = [("Action", 2), ("Comedy", 2), ("Drama", 3), ("Sci-Fi", 2)];
    assert_eq!(
        app.movie_counts("/genres").await,
        expected.map(|(n, c)| (n.to_owned(), c))
    );
    let genres = app.list_as("/genres", None).await;
    assert_eq!(genres["total"], 4);

    let stars = app.list_as("/stars?per_page=2&page=2", None).await;
    assert_eq!(
        (stars["total"].as_i64(), stars["pages"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(stars["items"][0]["name"], "Tom Hanks");
    assert_eq!(stars["items"][0]["movie_count"], 2);

    let certifications = app.movie_counts("/certifications").await;
    let counts: Vec<i64> = certifications.into_iter().map(|(_, c)| c).collect();
    assert_eq!(counts, [1, 3, 2]); // G, PG, R

    let filtered = app.list_as("/directors?name=GER", None).await;
    assert_eq!(filtered["total"], 1);
    assert_eq!(filtered["items"][0]["name"], "Greta Gerwig");
    let literal = app.list_as("/directors?name=%25", None).await;
    assert_eq!(literal["total"], 0, "% is matched literally");

    let long_name = format!("name={}", "x".repeat(101));
    for query in [
        "page=0",
        "per_page=500",
        "sort=name",
        &long_name,
        "name=a%00b",
    ] {
        problem(
            app.get(&format!("/genres?{query}")).send().await.unwrap(),
            422,
        )
        .await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn moderators_create_rename_and_delete_each_kind(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let user = app.make_user(Role::User).await;
    for (kind, used_id, _) in kinds(&c) {
        let create = |who: Option<&str>, body: Value| {
            let mut request = app.post(&format!("/{kind}")).json(&body);
            if let Some(bearer) = who {
                request = request.header("authorization", bearer.to_owned());
            }
            request.send()
        };
        let mod_bearer = moderator.bearer();
        problem(
            create(None, json!({"name": "Newcomer"})).await.unwrap(),
            401,
        )
        .await;
        problem(
            create(Some(&user.bearer()), json!({"name": "Newcomer"}))
                .await
                .unwrap(),
            403,
        )
        .await;
        let created = create(Some(&mod_bearer), json!({"name": "  Newcomer "}))
            .await
            .unwrap();
        assert_eq!(created.status(), 201, "{kind}");
        let created: Value = created.json().await.unwrap();
        assert_eq!(created["name"], "Newcomer");
        assert_eq!(created["movie_count"], 0);
        let id = created["id"].as_i64().unwrap();

        // Names are unique regardless of case.
        problem(
            create(Some(&mod_bearer), json!({"name": "NEWCOMER"}))
                .await
                .unwrap(),
            409,
        )
        .await;
        // Blank, or holding a control character: 422 naming the name.
        for name in [" ", "Noir\u{0}"] {
            let refused = problem(
                create(Some(&mod_bearer), json!({ "name": name }))
                    .await
                    .unwrap(),
                422,
            )
            .await;
            assert_eq!(refused["errors"][0]["field"], "name", "{name:?}");
        }
        problem(
            create(Some(&mod_bearer), json!({"title": "x"}))
                .await
                .unwrap(),
            422,
        )
        .await;

        let rename = |id: i64, who: &str, body: Value| {
            app.request(reqwest::Method::PATCH, &format!("/{kind}/{id}"))
                .header("authorization", who.to_owned())
                .json(&body)
                .send()
        };
        let renamed = rename(id, &mod_bearer, json!({"name": "Renamed"}))
            .await
            .unwrap();
        assert_eq!(renamed.status(), 200);
        assert_eq!(renamed.json::<Value>().await.unwrap()["name"], "Renamed");
        problem(
            rename(id, &user.bearer(), json!({"name": "X"}))
                .await
                .unwrap(),
            403,
        )
        .await;
        problem(
            rename(9_999_999, &mod_bearer, json!({"name": "X"}))
                .await
                .unwrap(),
            404,
        )
        .await;
        let taken: String = app.list_as(&format!("/{kind}"), None).await["items"][0]["name"]
            .as_str()
            .unwrap()
            .to_owned();
        if taken != "Renamed" {
            problem(
                rename(id, &mod_bearer, json!({"name": taken}))
                    .await
                    .unwrap(),
                409,
            )
            .await;
        }

        let delete = |id: i64, who: &str| {
            app.request(reqwest::Method::DELETE, &format!("/{kind}/{id}"))
                .header("authorization", who.to_owned())
                .send()
        };
        // In use: refused, and still there.
        let in_use = problem(delete(used_id, &mod_bearer).await.unwrap(), 409).await;
        assert!(
            in_use["detail"].as_str().unwrap().contains("used"),
            "{in_use}"
        );
        problem(delete(id, &user.bearer()).await.unwrap(), 403).await;
        assert_eq!(
            delete(id, &mod_bearer).await.unwrap().status(),
            204,
            "{kind}"
        );
        problem(delete(id, &mod_bearer).await.unwrap(), 404).await;
        problem(
            app.get(&format!("/{kind}/not-a-number/movies"))
                .send()
                .await
                .unwrap(),
            404,
        )
        .await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn each_has_its_own_page_of_movies_with_the_movie_filters(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    for (kind, id, movies) in kinds(&c) {
        let mut found = c.keys(&app.list_ids(&format!("/{kind}/{id}/movies")).await);
        found.sort_unstable();
        assert_eq!(found, movies, "{kind}");
        let missing = problem(
            app.get(&format!("/{kind}/9999999/movies"))
                .send()
                .await
                .unwrap(),
            404,
        )
        .await;
        let singular = kind.trim_end_matches('s');
        assert_eq!(missing["detail"], format!("no such {singular}"));
        // A missing name is a 404 even with a filter naming nothing either.
        problem(
            app.get(&format!("/{kind}/9999999/movies?genre=8888888"))
                .send()
                .await
                .unwrap(),
            404,
        )
        .await;
        problem(
            app.get(&format!("/{kind}/{id}/movies?sort=colour"))
                .send()
                .await
                .unwrap(),
            422,
        )
        .await;
    }
    // Filters and sorts apply within the page: Drama movies from 2006 on, dearest first.
    let drama = c.genres["Drama"];
    let found = app
        .list_ids(&format!("/genres/{drama}/movies?year_min=2006&sort=-price"))
        .await;
    assert_eq!(c.keys(&found), ["F", "C"]);
    // Combined with another genre filter (any of), the scope still holds: Drama and (Action or
    // Sci-Fi) = F.
    let found = app
        .list_ids(&format!(
            "/genres/{drama}/movies?genre={}&genre={}",
            c.genres["Action"], c.genres["Sci-Fi"]
        ))
        .await;
    assert_eq!(c.keys(&found), ["F"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn renaming_a_person_updates_search(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let response = app
        .request(
            reqwest::Method::PATCH,
            &format!("/directors/{}", c.directors["Sofia Coppola"]),
        )
        .header("authorization", moderator.bearer())
        .json(&json!({"name": "Agnes Varda"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(c.keys(&app.list_ids("/movies?search=varda").await), ["C"]);
    assert!(app.list_ids("/movies?search=coppola").await.is_empty());
}
