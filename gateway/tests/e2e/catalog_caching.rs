//! Catalog reads can be revalidated: an ETag on every answer, a bodyless 304 while it holds, a
//! new tag the moment a moderator's change commits, and answers to a signed-in viewer kept out
//! of shared caches.

use cinema_shared::auth::Role;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::TestApp;

const LIST: &str = "/movies?sort=name&per_page=50";

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

async fn get_if_none_match(app: &TestApp, path: &str, tag: &str) -> reqwest::Response {
    app.get(path)
        .header("if-none-match", tag)
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_unchanged_list_is_a_304_and_a_price_change_a_new_tag(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let catalog = app.fixture_catalog().await;

    let first = app.get(LIST).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let tag = header(&first, "etag").to_owned();
    assert!(
        tag.starts_with('"') && tag.ends_with('"'),
        "a strong tag: {tag}"
    );
    assert_eq!(header(&first, "cache-control"), "public, max-age=30");
    assert!(
        first
            .headers()
            .get_all("vary")
            .iter()
            .any(|value| value.to_str().unwrap().contains("Authorization")),
        "shared caches keep anonymous and signed-in answers apart"
    );

    let again = get_if_none_match(&app, LIST, &tag).await;
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "etag"), tag);
    assert_eq!(header(&again, "cache-control"), "public, max-age=30");
    assert!(again.bytes().await.unwrap().is_empty(), "a 304 has no body");
    // A list of tags, and a weak form of ours, match too.
    let listed = get_if_none_match(&app, LIST, &format!("\"stale\", W/{tag}")).await;
    assert_eq!(listed.status(), 304);

    let moderator = app.make_user(Role::Moderator).await;
    let movie = catalog.movie("A");
    let patched = app
        .patch(&format!("/movies/{movie}"))
        .header("authorization", moderator.bearer())
        .json(&json!({"price": "1.23"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);

    let changed = get_if_none_match(&app, LIST, &tag).await;
    assert_eq!(changed.status(), 200, "the old tag no longer holds");
    assert_ne!(header(&changed, "etag"), tag);
    let page: Value = changed.json().await.unwrap();
    let item = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"] == movie.to_string())
        .expect("the movie is on the page");
    assert_eq!(item["price"], "1.23", "the next list shows the new price");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_signed_in_viewers_detail_is_private_and_errors_carry_no_tag(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let catalog = app.fixture_catalog().await;
    let viewer = app.make_user(Role::User).await;
    let path = format!("/movies/{}", catalog.movie("A"));

    let anonymous = app.get(&path).send().await.unwrap();
    assert_eq!(header(&anonymous, "cache-control"), "public, max-age=30");
    let signed_in = app
        .get(&path)
        .header("authorization", viewer.bearer())
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 200);
    assert_eq!(header(&signed_in, "cache-control"), "private, no-cache");
    let tag = header(&signed_in, "etag").to_owned();
    let revalidated = app
        .get(&path)
        .header("authorization", viewer.bearer())
        .header("if-none-match", &tag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);

    let missing = app
        .get("/movies/00000000-0000-0000-0000-000000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().get("etag").is_none());
    assert!(missing.headers().get("cache-control").is_none());
}
