//! Reactions and ratings: set, switch or replace, clear; the movie's aggregates follow on the
//! list and the detail after every change.

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{TestApp, catalog::Catalog, problem, users::TestUser};

async fn put(app: &TestApp, who: &TestUser, path: &str, body: Value) -> reqwest::Response {
    app.request(reqwest::Method::PUT, path)
        .header("authorization", who.bearer())
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn delete(app: &TestApp, who: &TestUser, path: &str) -> reqwest::Response {
    app.request(reqwest::Method::DELETE, path)
        .header("authorization", who.bearer())
        .send()
        .await
        .unwrap()
}

/// The movie as the list and the detail show it: (likes, dislikes, average, ratings_count),
/// asserting both agree.
async fn aggregates(app: &TestApp, c: &Catalog, key: &str) -> (i64, i64, Value, i64) {
    let id = c.movie(key);
    let detail = app.list_as(&format!("/movies/{id}"), None).await;
    let list = app.list_as("/movies?per_page=100", None).await;
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id.to_string())
        .unwrap()
        .clone();
    for field in ["likes", "dislikes", "average_rating", "ratings_count"] {
        assert_eq!(
            item[field], detail[field],
            "{field} differs between list and detail"
        );
    }
    (
        detail["likes"].as_i64().unwrap(),
        detail["dislikes"].as_i64().unwrap(),
        detail["average_rating"].clone(),
        detail["ratings_count"].as_i64().unwrap(),
    )
}

#[sqlx::test(migrations = "../migrations")]
async fn a_reaction_is_set_switched_and_cleared(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let me = app.make_user(cinema_shared::auth::Role::User).await;
    // D starts with no reactions.
    let path = format!("/movies/{}/reaction", c.movie("D"));

    let liked = put(&app, &me, &path, json!({"value": "like"})).await;
    assert_eq!(liked.status(), 200);
    let liked: Value = liked.json().await.unwrap();
    assert_eq!(liked, json!({"value": "like", "likes": 1, "dislikes": 0}));
    assert_eq!(aggregates(&app, &c, "D").await.0, 1);
    // The same again changes nothing.
    let again = put(&app, &me, &path, json!({"value": "like"})).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, json!({"value": "like", "likes": 1, "dislikes": 0}));
    assert_eq!(aggregates(&app, &c, "D").await.0, 1);

    let switched: Value = put(&app, &me, &path, json!({"value": "dislike"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        switched,
        json!({"value": "dislike", "likes": 0, "dislikes": 1})
    );
    let detail = app
        .list_as(&format!("/movies/{}", c.movie("D")), Some(&me))
        .await;
    assert_eq!(detail["my_reaction"], "dislike");
    // Popularity follows: D (-1) now ties B (-1) at the bottom.
    let order = c.keys(&app.list_ids("/movies?sort=popularity").await);
    assert_eq!(&order[..2], c.ordered(&[&["B", "D"]], false).as_slice());

    assert_eq!(delete(&app, &me, &path).await.status(), 204);
    assert_eq!(
        aggregates(&app, &c, "D").await.0 + aggregates(&app, &c, "D").await.1,
        0
    );
    // Clearing twice is fine.
    assert_eq!(delete(&app, &me, &path).await.status(), 204);
    let detail = app
        .list_as(&format!("/movies/{}", c.movie("D")), Some(&me))
        .await;
    assert!(detail["my_reaction"].is_null());

    // Another user's reaction on F (3 likes) adds to it.
    put(
        &app,
        &me,
        &format!("/movies/{}/reaction", c.movie("F")),
        json!({"value": "dislike"}),
    )
    .await;
    assert_eq!(aggregates(&app, &c, "F").await.0, 3);
    assert_eq!(aggregates(&app, &c, "F").await.1, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn reactions_refuse_bad_input(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let me = &c.raters[0];
    let path = format!("/movies/{}/reaction", c.movie("A"));
    let body = problem(put(&app, me, &path, json!({"value": "love"})).await, 422).await;
    assert_eq!(body["errors"][0]["field"], "value");
    let body = problem(put(&app, me, &path, json!({})).await, 422).await;
    assert_eq!(body["errors"][0]["field"], "value");
    let anonymous = app
        .request(reqwest::Method::PUT, &path)
        .json(&json!({"value": "like"}))
        .send()
        .await
        .unwrap();
    problem(anonymous, 401).await;
    let missing = format!("/movies/{}/reaction", Uuid::new_v4());
    problem(put(&app, me, &missing, json!({"value": "like"})).await, 404).await;
    problem(delete(&app, me, &missing).await, 404).await;
    // Nothing moved: A still has its two likes.
    assert_eq!(aggregates(&app, &c, "A").await.0, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rating_is_set_replaced_and_cleared(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let me = &c.raters[2];
    // A has 8 and 6 (7.00); the third rater adds 10 -> 8.00, then replaces it with 1 -> 5.00.
    let path = format!("/movies/{}/rating", c.movie("A"));
    let set: Value = put(&app, me, &path, json!({"score": 10}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        set,
        json!({"score": 10, "average_rating": 8.0, "ratings_count": 3})
    );
    assert_eq!(aggregates(&app, &c, "A").await.2, json!(8.0));
    let replaced: Value = put(&app, me, &path, json!({"score": 1}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(replaced["average_rating"], 5.0);
    assert_eq!(replaced["ratings_count"], 3);
    let detail = app
        .list_as(&format!("/movies/{}", c.movie("A")), Some(me))
        .await;
    assert_eq!(detail["my_rating"], 1);
    // The rating sort follows: A (5.00) now ties F (5.00) at the bottom of the rated ones.
    let order = c.keys(&app.list_ids("/movies?sort=rating").await);
    assert_eq!(&order[..2], c.ordered(&[&["A", "F"]], false).as_slice());

    assert_eq!(delete(&app, me, &path).await.status(), 204);
    let (_, _, average, count) = aggregates(&app, &c, "A").await;
    assert_eq!((average, count), (json!(7.0), 2));
    // Clearing the last ratings of a movie makes it unrated again.
    let f = format!("/movies/{}/rating", c.movie("F"));
    delete(&app, &c.raters[0], &f).await;
    let (_, _, average, count) = aggregates(&app, &c, "F").await;
    assert_eq!((average, count), (Value::Null, 0));
}

#[sqlx::test(migrations = "../migrations")]
async fn ratings_are_whole_numbers_from_1_to_10(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let me = &c.raters[2];
    let path = format!("/movies/{}/rating", c.movie("B"));
    for bad in [json!(0), json!(11), json!(7.5), json!("8"), Value::Null] {
        let body = problem(put(&app, me, &path, json!({"score": bad})).await, 422).await;
        assert_eq!(body["errors"][0]["field"], "score", "{bad}");
    }
    let anonymous = app
        .request(reqwest::Method::PUT, &path)
        .json(&json!({"score": 5}))
        .send()
        .await
        .unwrap();
    problem(anonymous, 401).await;
    problem(
        put(
            &app,
            me,
            &format!("/movies/{}/rating", Uuid::new_v4()),
            json!({"score": 5}),
        )
        .await,
        404,
    )
    .await;
    assert_eq!(aggregates(&app, &c, "B").await.3, 0);
}
