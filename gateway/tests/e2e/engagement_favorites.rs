//! Favorites: idempotent add and remove, and the caller's own list with every movie filter.

use cinema_shared::auth::Role;
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{TestApp, problem, users::TestUser};

async fn send(app: &TestApp, method: reqwest::Method, who: &TestUser, id: Uuid) -> u16 {
    app.request(method, &format!("/movies/{id}/favorite"))
        .header("authorization", who.bearer())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[sqlx::test(migrations = "../migrations")]
async fn favorites_are_idempotent_and_private(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let me = app.make_user(Role::User).await;
    let other = app.make_user(Role::User).await;
    for key in ["A", "C", "F"] {
        assert_eq!(
            send(&app, reqwest::Method::PUT, &me, c.movie(key)).await,
            204
        );
    }
    assert_eq!(
        send(&app, reqwest::Method::PUT, &me, c.movie("A")).await,
        204
    );
    assert_eq!(
        send(&app, reqwest::Method::PUT, &other, c.movie("B")).await,
        204
    );

    let mine = app.list_as("/users/me/favorites", Some(&me)).await;
    assert_eq!(mine["total"], 3);
    assert_eq!(
        c.keys(&crate::support::catalog::item_ids(&mine)),
        ["F", "C", "A"]
    );
    let theirs = app.list_as("/users/me/favorites", Some(&other)).await;
    assert_eq!(c.keys(&crate::support::catalog::item_ids(&theirs)), ["B"]);

    assert_eq!(
        send(&app, reqwest::Method::DELETE, &me, c.movie("C")).await,
        204
    );
    assert_eq!(
        send(&app, reqwest::Method::DELETE, &me, c.movie("C")).await,
        204
    );
    let mine = app.list_as("/users/me/favorites", Some(&me)).await;
    assert_eq!(
        c.keys(&crate::support::catalog::item_ids(&mine)),
        ["F", "A"]
    );
    let detail = app
        .list_as(&format!("/movies/{}", c.movie("A")), Some(&me))
        .await;
    assert_eq!(detail["is_favorite"], true);

    assert_eq!(
        send(&app, reqwest::Method::PUT, &me, Uuid::new_v4()).await,
        404
    );
    assert_eq!(
        send(&app, reqwest::Method::DELETE, &me, Uuid::new_v4()).await,
        404
    );
    problem(app.get("/users/me/favorites").send().await.unwrap(), 401).await;
    let anonymous = app
        .request(
            reqwest::Method::PUT,
            &format!("/movies/{}/favorite", c.movie("A")),
        )
        .send()
        .await
        .unwrap();
    problem(anonymous, 401).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_favorites_list_takes_every_movie_filter_and_sort(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let me = app.make_user(Role::User).await;
    for key in ["A", "B", "C", "E", "F"] {
        send(&app, reqwest::Method::PUT, &me, c.movie(key)).await;
    }
    let keys = |path: String| {
        let app = &app;
        let me = &me;
        let c = &c;
        async move {
            c.keys(&crate::support::catalog::item_ids(
                &app.list_as(&path, Some(me)).await,
            ))
        }
    };
    // Drama favorites, cheapest first: B 4.99, C 14.99, F 19.99.
    assert_eq!(
        keys(format!(
            "/users/me/favorites?genre={}&sort=price",
            c.genres["Drama"]
        ))
        .await,
        ["B", "C", "F"]
    );
    // Best rated first, unrated (B) last; D is not a favorite.
    assert_eq!(
        keys("/users/me/favorites?sort=-rating".into()).await,
        ["C", "E", "A", "F", "B"]
    );
    assert_eq!(
        keys("/users/me/favorites?search=signal&price_max=9.99".into()).await,
        ["A", "E"]
    );
    let page = app
        .list_as("/users/me/favorites?per_page=2&page=3&sort=name", Some(&me))
        .await;
    assert_eq!(
        (page["total"].as_i64(), page["pages"].as_i64()),
        (Some(5), Some(3))
    );
    assert_eq!(c.keys(&crate::support::catalog::item_ids(&page)), ["F"]);
    let bad = app
        .get("/users/me/favorites?sort=best")
        .header("authorization", me.bearer())
        .send()
        .await
        .unwrap();
    problem(bad, 422).await;
}

/// The caller's own lists check the account and the session in their own statement (one round
/// trip): a logout, a password reset or a ban still holds at once there.
#[sqlx::test(migrations = "../migrations")]
async fn own_lists_refuse_an_ended_session_and_a_deactivated_account(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let (ended, banned) = (
        app.make_user(Role::User).await,
        app.make_user(Role::User).await,
    );
    for who in [&ended, &banned] {
        assert_eq!(
            send(&app, reqwest::Method::PUT, who, c.movie("A")).await,
            204
        );
        assert_eq!(
            app.list_as("/users/me/favorites", Some(who)).await["total"],
            1
        );
    }
    app.end_sessions(&ended).await;
    app.deactivate_leaving_sessions(&banned).await;
    for who in [&ended, &banned] {
        for path in [
            "/users/me/favorites",
            "/users/me/purchases",
            "/users/me/favorites?search=signal&per_page=50",
        ] {
            let response = app
                .get(path)
                .header("authorization", who.bearer())
                .send()
                .await
                .unwrap();
            let body = problem(response, 401).await;
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("session has ended or the account is not active"),
                "{path}: {body}"
            );
        }
    }
}
