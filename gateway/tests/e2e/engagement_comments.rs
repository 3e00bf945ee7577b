//! Comments, replies, comment likes and the notifications they cause, through the API, with the
//! emails read back from the catcher.

use cinema_shared::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{TestApp, mail::emails_to, problem, users::TestUser};

/// A movie of its own, with no comments.
async fn a_movie(app: &TestApp, name: &str) -> Uuid {
    sqlx::query_scalar(
        "WITH cert AS (INSERT INTO certifications (name) VALUES ($1 || ' cert') RETURNING id)
         INSERT INTO movies (name, year, time, imdb, votes, price, description, certification_id)
         SELECT $1, 2001, 100, 7.5, 10, 4.99, 'A movie.', id FROM cert RETURNING id",
    )
    .bind(name)
    .fetch_one(&app.state.db)
    .await
    .unwrap()
}

/// A user whose profile gives a name, so others see it.
async fn named(app: &TestApp, first_name: &str) -> TestUser {
    let user = app.make_user(Role::User).await;
    sqlx::query("UPDATE profiles SET first_name = $2 WHERE user_id = $1")
        .bind(user.id)
        .bind(first_name)
        .execute(&app.state.db)
        .await
        .unwrap();
    user
}

async fn post(app: &TestApp, who: &TestUser, movie: Uuid, body: Value) -> reqwest::Response {
    app.post(&format!("/movies/{movie}/comments"))
        .bearer_auth(&who.token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Posts and returns the new comment's id.
async fn comment(app: &TestApp, who: &TestUser, movie: Uuid, text: &str) -> Uuid {
    reply(app, who, movie, None, text).await
}

async fn reply(
    app: &TestApp,
    who: &TestUser,
    movie: Uuid,
    parent: Option<Uuid>,
    text: &str,
) -> Uuid {
    let response = post(app, who, movie, json!({"text": text, "parent_id": parent})).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().parse().unwrap()
}

async fn get_json(app: &TestApp, path: &str, who: Option<&TestUser>) -> Value {
    let mut request = app.get(path);
    if let Some(who) = who {
        request = request.bearer_auth(&who.token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

fn texts(page: &Value) -> Vec<Option<&str>> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["text"].as_str())
        .collect()
}

async fn send(app: &TestApp, method: Method, path: &str, who: &TestUser) -> reqwest::Response {
    app.request(method, path)
        .bearer_auth(&who.token)
        .send()
        .await
        .unwrap()
}

/// Each user's `(total, unread_count)` as their notification list answers.
async fn notification_totals(app: &TestApp, users: &[&TestUser]) -> Vec<(i64, i64)> {
    let mut totals = Vec::new();
    for who in users {
        let news = get_json(app, "/users/me/notifications?per_page=1", Some(who)).await;
        totals.push((
            news["total"].as_i64().unwrap(),
            news["unread_count"].as_i64().unwrap(),
        ));
    }
    totals
}

/// The counts the triggers keep equal a count of every user's notifications.
async fn assert_notification_counts_exact(app: &TestApp) {
    let wrong: Vec<(Uuid, i64, i64, i64, i64)> = sqlx::query_as(
        "WITH kept AS (SELECT user_id, sum(total)::bigint AS total, sum(unread)::bigint AS unread
                       FROM notification_counts GROUP BY user_id),
              counted AS (SELECT user_id, count(*) AS total,
                                 count(*) FILTER (WHERE read_at IS NULL) AS unread
                          FROM notifications GROUP BY user_id)
         SELECT user_id, coalesce(k.total, 0), coalesce(k.unread, 0),
                coalesce(c.total, 0), coalesce(c.unread, 0)
         FROM kept k FULL JOIN counted c USING (user_id)
         WHERE coalesce(k.total, 0) <> coalesce(c.total, 0)
            OR coalesce(k.unread, 0) <> coalesce(c.unread, 0)",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert!(wrong.is_empty(), "kept vs counted: {wrong:?}");
}

async fn comments_count(app: &TestApp, movie: Uuid) -> i64 {
    get_json(app, &format!("/movies/{movie}"), None).await["comments_count"]
        .as_i64()
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn threads_and_replies_read_back_in_order(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let movie = a_movie(&app, "Heat").await;
    let ann = named(&app, "Ann").await;
    let bo = named(&app, "Bo").await;
    let first = comment(&app, &ann, movie, "First!").await;
    comment(&app, &ann, movie, "Second thoughts").await;
    comment(&app, &bo, movie, "Third\nwith a line break").await;
    let answer = reply(&app, &bo, movie, Some(first), "Agreed").await;
    reply(&app, &ann, movie, Some(answer), "Thanks").await;
    reply(&app, &ann, movie, Some(first), "Later reply").await;

    let threads = get_json(&app, &format!("/movies/{movie}/comments"), None).await;
    assert_eq!(
        texts(&threads),
        [
            Some("Third\nwith a line break"),
            Some("Second thoughts"),
            Some("First!")
        ]
    );
    assert_eq!(
        (threads["total"].as_i64(), threads["pages"].as_i64()),
        (Some(3), Some(1))
    );
    let oldest = &threads["items"][2];
    assert_eq!(oldest["reply_count"], 2);
    assert_eq!(oldest["author"]["display_name"], "Ann");
    assert_eq!(oldest["author"]["id"], ann.id.to_string());
    assert_eq!(oldest["deleted"], false);
    assert!(oldest.get("liked_by_me").is_none(), "only with a bearer");
    assert!(
        !oldest.to_string().contains(&ann.email),
        "no email is shown"
    );

    let oldest_first = get_json(
        &app,
        &format!("/movies/{movie}/comments?sort=created_at&per_page=2&page=2"),
        Some(&bo),
    )
    .await;
    assert_eq!(texts(&oldest_first), [Some("Third\nwith a line break")]);
    assert_eq!(oldest_first["items"][0]["liked_by_me"], false);

    let replies = get_json(&app, &format!("/comments/{first}/replies"), None).await;
    assert_eq!(texts(&replies), [Some("Agreed"), Some("Later reply")]);
    assert_eq!(replies["total"], 2);
    assert_eq!(replies["items"][0]["reply_count"], 1);
    assert_eq!(replies["items"][0]["parent_id"], first.to_string());
    let nested = get_json(&app, &format!("/comments/{answer}/replies"), None).await;
    assert_eq!(texts(&nested), [Some("Thanks")]);
    assert_eq!(comments_count(&app, movie).await, 6);

    for path in [
        format!("/movies/{}/comments", Uuid::new_v4()),
        format!("/comments/{}/replies", Uuid::new_v4()),
    ] {
        problem(app.get(&path).send().await.unwrap(), 404).await;
    }
    for query in ["sort=name", "page=0", "per_page=101", "colour=red"] {
        let response = app
            .get(&format!("/movies/{movie}/comments?{query}"))
            .send()
            .await
            .unwrap();
        problem(response, 422).await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn posting_refuses_what_is_not_a_comment(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let movie = a_movie(&app, "Heat").await;
    let other_movie = a_movie(&app, "Ronin").await;
    let ann = named(&app, "Ann").await;
    let elsewhere = comment(&app, &ann, other_movie, "On another movie").await;

    let anonymous = app
        .post(&format!("/movies/{movie}/comments"))
        .json(&json!({"text": "hi"}))
        .send()
        .await
        .unwrap();
    let body = problem(anonymous, 401).await;
    assert!(body["detail"].as_str().unwrap().contains("log in"));

    for (body, field) in [
        (json!({"text": "   \n "}), "text"),
        (json!({"text": "x".repeat(2001)}), "text"),
        (json!({"text": "nul\u{0}byte"}), "text"),
        (json!({"text": "bell\u{7}"}), "text"),
        (json!({}), "text"),
        (json!({"text": 5}), "text"),
        (
            json!({"text": "reply", "parent_id": elsewhere}),
            "parent_id",
        ),
        (
            json!({"text": "reply", "parent_id": Uuid::new_v4()}),
            "parent_id",
        ),
        (json!({"text": "reply", "parent_id": "nope"}), "parent_id"),
    ] {
        let problem_body = problem(post(&app, &ann, movie, body.clone()).await, 422).await;
        assert_eq!(problem_body["errors"][0]["field"], field, "{body}");
    }
    problem(
        post(&app, &ann, Uuid::new_v4(), json!({"text": "hi"})).await,
        404,
    )
    .await;
    let longest = post(&app, &ann, movie, json!({"text": "é".repeat(2000)})).await;
    assert_eq!(longest.status(), 201);
    let trimmed: Value = post(&app, &ann, movie, json!({"text": "  padded  "}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(trimmed["text"], "padded");
    assert_eq!(
        comments_count(&app, movie).await,
        2,
        "refused posts wrote nothing"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_reply_tells_the_parents_author_and_nobody_else(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let movie = a_movie(&app, "Heat").await;
    let ann = named(&app, "Ann").await;
    let bo = named(&app, "Bo").await;
    let first = comment(&app, &ann, movie, "Great heist scene").await;
    let answer = reply(&app, &bo, movie, Some(first), "The <b>diner</b> scene too").await;
    reply(&app, &ann, movie, Some(first), "Replying to myself").await;

    let news = get_json(&app, "/users/me/notifications", Some(&ann)).await;
    assert_eq!(news["total"], 1, "no notice of one's own reply");
    assert_eq!(news["unread_count"], 1);
    let notice = &news["items"][0];
    assert_eq!(notice["kind"], "comment_reply");
    assert_eq!(notice["movie"]["name"], "Heat");
    assert_eq!(notice["movie"]["id"], movie.to_string());
    assert_eq!(notice["comment_id"], answer.to_string());
    assert_eq!(notice["actor"], "Bo");
    assert!(notice["read_at"].is_null());
    assert_eq!(
        get_json(&app, "/users/me/notifications", Some(&bo)).await["total"],
        0
    );

    app.deliver_mail().await;
    let emails = emails_to(&ann.email).await;
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].subject, "New reply to your comment on Heat");
    assert!(emails[0].text.contains("The <b>diner</b> scene too"));
    assert!(emails[0].text.contains(&format!("/movies/{movie}")));
    assert!(!emails[0].html.contains("<b>diner</b>"), "escaped in HTML");
    assert!(emails_to(&bo.email).await.is_empty());

    // A deactivated author is told nothing.
    sqlx::query("UPDATE users SET is_active = false, deactivated_at = now() WHERE id = $1")
        .bind(ann.id)
        .execute(&app.state.db)
        .await
        .unwrap();
    reply(&app, &bo, movie, Some(first), "Anyone there?").await;
    app.deliver_mail().await;
    assert_eq!(emails_to(&ann.email).await.len(), 1);
    let notices: i64 = sqlx::query_scalar("SELECT count(*) FROM notifications WHERE user_id = $1")
        .bind(ann.id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(notices, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn deleting_keeps_threads_readable_and_counters_exact(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let movie = a_movie(&app, "Heat").await;
    let ann = named(&app, "Ann").await;
    let bo = named(&app, "Bo").await;
    let moderator = app.make_user(Role::Moderator).await;
    let root = comment(&app, &ann, movie, "Root").await;
    let middle = reply(&app, &bo, movie, Some(root), "Middle").await;
    let leaf = reply(&app, &ann, movie, Some(middle), "Leaf").await;
    let lone = comment(&app, &bo, movie, "Lone").await;
    assert_eq!(comments_count(&app, movie).await, 4);
    assert_eq!(
        notification_totals(&app, &[&ann, &bo]).await,
        [(1, 1), (1, 1)]
    );

    problem(
        send(&app, Method::DELETE, &format!("/comments/{root}"), &bo).await,
        403,
    )
    .await;
    problem(
        send(
            &app,
            Method::DELETE,
            &format!("/comments/{}", Uuid::new_v4()),
            &bo,
        )
        .await,
        404,
    )
    .await;
    let anonymous = app
        .request(Method::DELETE, &format!("/comments/{root}"))
        .send()
        .await
        .unwrap();
    problem(anonymous, 401).await;

    // With replies: a placeholder, text and author hidden, the thread still reads.
    let deleted = send(&app, Method::DELETE, &format!("/comments/{root}"), &ann).await;
    assert_eq!(deleted.status(), 204);
    let threads = get_json(&app, &format!("/movies/{movie}/comments"), None).await;
    let placeholder = threads["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"] == root.to_string())
        .unwrap();
    assert_eq!(placeholder["deleted"], true);
    assert!(placeholder["text"].is_null() && placeholder["author"].is_null());
    assert_eq!(placeholder["reply_count"], 1);
    assert_eq!(threads["total"], 2);
    assert_eq!(comments_count(&app, movie).await, 3);
    // The middle one, by a moderator: it has a reply, so it stays as a placeholder too.
    assert_eq!(
        send(
            &app,
            Method::DELETE,
            &format!("/comments/{middle}"),
            &moderator
        )
        .await
        .status(),
        204
    );
    assert_eq!(comments_count(&app, movie).await, 2);
    // The last leaf goes, and the placeholders above it, left with nothing, go with it.
    assert_eq!(
        send(&app, Method::DELETE, &format!("/comments/{leaf}"), &ann)
            .await
            .status(),
        204
    );
    let threads = get_json(&app, &format!("/movies/{movie}/comments"), None).await;
    assert_eq!(texts(&threads), [Some("Lone")]);
    assert_eq!(threads["total"], 1);
    assert_eq!(comments_count(&app, movie).await, 1);
    problem(
        app.get(&format!("/comments/{root}/replies"))
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    // Without replies: gone at once.
    assert_eq!(
        send(&app, Method::DELETE, &format!("/comments/{lone}"), &bo)
            .await
            .status(),
        204
    );
    assert_eq!(comments_count(&app, movie).await, 0);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM comments")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    // The replies' notifications went with them.
    assert_eq!(
        notification_totals(&app, &[&ann, &bo]).await,
        [(0, 0), (0, 0)]
    );
    assert_notification_counts_exact(&app).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn likes_are_idempotent_and_told_once_a_day(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let movie = a_movie(&app, "Heat").await;
    let ann = named(&app, "Ann").await;
    let bo = named(&app, "Bo").await;
    let liked = comment(&app, &ann, movie, "Like me").await;
    let like = format!("/comments/{liked}/like");

    for _ in 0..2 {
        let response = send(&app, Method::PUT, &like, &bo).await;
        assert_eq!(response.status(), 200);
        let state: Value = response.json().await.unwrap();
        assert_eq!(
            (state["like_count"].as_i64(), state["liked_by_me"].as_bool()),
            (Some(1), Some(true))
        );
    }
    let unliked: Value = send(&app, Method::DELETE, &like, &bo)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unliked["like_count"], 0);
    assert_eq!(send(&app, Method::PUT, &like, &bo).await.status(), 200);
    // Liking one's own comment counts, and tells nobody.
    assert_eq!(send(&app, Method::PUT, &like, &ann).await.status(), 200);

    let page = get_json(&app, &format!("/movies/{movie}/comments"), Some(&bo)).await;
    assert_eq!(page["items"][0]["like_count"], 2);
    assert_eq!(page["items"][0]["liked_by_me"], true);
    let news = get_json(&app, "/users/me/notifications", Some(&ann)).await;
    assert_eq!(
        news["total"], 1,
        "one notice for one liker, re-likes included"
    );
    assert_eq!(news["items"][0]["kind"], "comment_liked");
    assert_eq!(news["items"][0]["actor"], "Bo");
    app.deliver_mail().await;
    let emails = emails_to(&ann.email).await;
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].subject, "Your comment on Heat was liked");

    problem(
        send(
            &app,
            Method::PUT,
            &format!("/comments/{}/like", Uuid::new_v4()),
            &bo,
        )
        .await,
        404,
    )
    .await;
    problem(
        send(
            &app,
            Method::DELETE,
            &format!("/comments/{}/like", Uuid::new_v4()),
            &bo,
        )
        .await,
        404,
    )
    .await;
    let anonymous = app.request(Method::PUT, &like).send().await.unwrap();
    problem(anonymous, 401).await;
    // A placeholder cannot be liked.
    let parent = comment(&app, &ann, movie, "Parent").await;
    reply(&app, &bo, movie, Some(parent), "Child").await;
    assert_eq!(
        send(&app, Method::DELETE, &format!("/comments/{parent}"), &ann)
            .await
            .status(),
        204
    );
    problem(
        send(&app, Method::PUT, &format!("/comments/{parent}/like"), &bo).await,
        409,
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn twenty_likes_at_once_count_twenty_and_tell_twenty_times(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let movie = a_movie(&app, "Heat").await;
    let ann = named(&app, "Ann").await;
    let liked = comment(&app, &ann, movie, "Popular").await;
    let mut likers = Vec::new();
    for _ in 0..20 {
        likers.push(app.make_user(Role::User).await);
    }
    let like = format!("/comments/{liked}/like");
    let answers =
        futures::future::join_all(likers.iter().map(|who| send(&app, Method::PUT, &like, who)))
            .await;
    assert!(answers.iter().all(|answer| answer.status() == 200));
    let page = get_json(&app, &format!("/movies/{movie}/comments"), None).await;
    assert_eq!(page["items"][0]["like_count"], 20);
    let news = get_json(&app, "/users/me/notifications?per_page=1", Some(&ann)).await;
    assert_eq!(
        (news["total"].as_i64(), news["unread_count"].as_i64()),
        (Some(20), Some(20))
    );
    assert_eq!(
        send(&app, Method::POST, "/users/me/notifications/read-all", &ann)
            .await
            .status(),
        204
    );
    assert_eq!(notification_totals(&app, &[&ann]).await, [(20, 0)]);
    assert_notification_counts_exact(&app).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn notifications_are_private_and_can_be_read(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let c = app.fixture_catalog().await;
    let moderator = app.make_user(Role::Moderator).await;
    let ann = &c.raters[0];
    let bo = named(&app, "Bo").await;
    let movie = c.movie("A");
    let first = comment(&app, ann, movie, "One").await;
    let second = comment(&app, ann, movie, "Two").await;
    reply(&app, &bo, movie, Some(first), "Re: one").await;
    reply(&app, &bo, movie, Some(second), "Re: two").await;
    // A movie taken out of Ann's cart: the catalog's notification shows in the same list.
    let carted = c.movie("C");
    app.put_in_carts(carted, &[ann]).await;
    let removed = app
        .request(Method::DELETE, &format!("/movies/{carted}?force=true"))
        .bearer_auth(&moderator.token)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);

    let news = get_json(&app, "/users/me/notifications", Some(ann)).await;
    let kinds: Vec<&str> = news["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["movie_removed_from_cart", "comment_reply", "comment_reply"]
    );
    assert_eq!(news["items"][0]["movie"]["id"], carted.to_string());
    assert_eq!(news["unread_count"], 3);
    let newest_reply = news["items"][1]["id"].as_str().unwrap().to_owned();

    let read = format!("/users/me/notifications/{newest_reply}/read");
    problem(send(&app, Method::POST, &read, &bo).await, 404).await;
    assert_eq!(send(&app, Method::POST, &read, ann).await.status(), 204);
    assert_eq!(send(&app, Method::POST, &read, ann).await.status(), 204);
    let unread = get_json(&app, "/users/me/notifications?unread=true", Some(ann)).await;
    assert_eq!(
        (unread["total"].as_i64(), unread["unread_count"].as_i64()),
        (Some(2), Some(2))
    );
    assert!(
        unread["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["id"] != newest_reply.as_str())
    );
    problem(
        send(
            &app,
            Method::POST,
            &format!("/users/me/notifications/{}/read", Uuid::new_v4()),
            ann,
        )
        .await,
        404,
    )
    .await;
    assert_eq!(
        send(&app, Method::POST, "/users/me/notifications/read-all", ann)
            .await
            .status(),
        204
    );
    let all = get_json(&app, "/users/me/notifications", Some(ann)).await;
    assert_eq!(
        (all["total"].as_i64(), all["unread_count"].as_i64()),
        (Some(3), Some(0))
    );
    assert!(all["items"][0]["read_at"].is_string());
    problem(
        app.get("/users/me/notifications").send().await.unwrap(),
        401,
    )
    .await;
    problem(
        app.get("/users/me/notifications?unread=maybe")
            .bearer_auth(&ann.token)
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_notification_counts_exact(&app).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn posting_is_rate_limited_per_user(db: PgPool) {
    let app = TestApp::spawn_with(db, |config| {
        config.api.comment_limit.limit = 3;
    })
    .await;
    let movie = a_movie(&app, "Heat").await;
    let ann = named(&app, "Ann").await;
    for n in 0..3 {
        comment(&app, &ann, movie, &format!("Comment {n}")).await;
    }
    let limited = post(&app, &ann, movie, json!({"text": "One too many"})).await;
    assert!(limited.headers().contains_key("retry-after"));
    problem(limited, 429).await;
    // Refused posts (the limit's own, a missing movie) count no hit: the window holds three.
    let missing = post(&app, &ann, Uuid::new_v4(), json!({"text": "Nowhere"})).await;
    problem(missing, 404).await;
    let hits: Vec<i32> = sqlx::query_scalar("SELECT hits FROM rate_limit_hits")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(hits, [3], "only the three posts made count");
    // Another user is not held back.
    let bo = named(&app, "Bo").await;
    comment(&app, &bo, movie, "Mine").await;
    assert_eq!(comments_count(&app, movie).await, 4);
}

/// Posts and returns the 201's comment.
async fn posted(app: &TestApp, who: &TestUser, movie: Uuid, body: Value) -> Value {
    let response = post(app, who, movie, body).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// `value` without its author's avatar link (signed per answer, so it differs between answers).
fn without_avatar_link(mut value: Value) -> Value {
    if let Some(author) = value["author"].as_object_mut() {
        author.remove("avatar_url");
    }
    value
}

#[sqlx::test(migrations = "../migrations")]
async fn lists_show_each_comment_as_it_was_posted(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let movie = a_movie(&app, "Ronin").await;
    let ann = named(&app, "Ann").await;
    let bo = app.make_user(Role::User).await;
    let avatar_key = format!("avatars/{}/portrait.png", ann.id);
    sqlx::query("UPDATE profiles SET avatar_key = $2 WHERE user_id = $1")
        .bind(ann.id)
        .bind(&avatar_key)
        .execute(&app.state.db)
        .await
        .unwrap();
    let thread = posted(
        &app,
        &ann,
        movie,
        json!({"text": "Car chases \"done right\" <b>"}),
    )
    .await;
    let answer = posted(
        &app,
        &bo,
        movie,
        json!({"text": "Yes\n\tand the score", "parent_id": thread["id"]}),
    )
    .await;

    let threads = get_json(&app, &format!("/movies/{movie}/comments"), Some(&ann)).await;
    let listed = &threads["items"][0];
    let avatar_url = listed["author"]["avatar_url"].as_str().expect("a link");
    assert!(avatar_url.contains(&avatar_key), "{avatar_url}");
    let mut expected = without_avatar_link(thread.clone());
    expected["reply_count"] = json!(1);
    assert_eq!(without_avatar_link(listed.clone()), expected);

    let replies = get_json(
        &app,
        &format!("/comments/{}/replies", thread["id"].as_str().unwrap()),
        Some(&bo),
    )
    .await;
    assert_eq!(replies["items"][0], answer, "no avatar: no link");
    assert!(replies["items"][0]["author"].get("avatar_url").is_none());

    let news = get_json(&app, "/users/me/notifications", Some(&ann)).await;
    assert_eq!(
        news["items"][0],
        json!({
            "id": news["items"][0]["id"],
            "kind": "comment_reply",
            "movie": {"id": movie, "name": "Ronin"},
            "comment_id": answer["id"],
            "actor": answer["author"]["display_name"],
            "created_at": news["items"][0]["created_at"],
            "read_at": null,
        })
    );
    let created_at = news["items"][0]["created_at"].as_str().unwrap();
    let notified_at = chrono::DateTime::parse_from_rfc3339(created_at).unwrap();
    let answered_at =
        chrono::DateTime::parse_from_rfc3339(answer["created_at"].as_str().unwrap()).unwrap();
    assert!(
        (notified_at - answered_at).num_seconds().abs() < 5,
        "{created_at}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_ended_session_reads_no_comments_or_notifications(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let movie = a_movie(&app, "Thief").await;
    let (ended, banned) = (named(&app, "Ed").await, named(&app, "Bea").await);
    let first = comment(&app, &ended, movie, "Still here?").await;
    app.end_sessions(&ended).await;
    app.deactivate_leaving_sessions(&banned).await;
    for who in [&ended, &banned] {
        for path in [
            format!("/movies/{movie}/comments"),
            format!("/movies/{}/comments", Uuid::new_v4()),
            format!("/comments/{first}/replies"),
            "/users/me/notifications".to_owned(),
            "/users/me/notifications?unread=true".to_owned(),
        ] {
            let body = problem(send(&app, Method::GET, &path, who).await, 401).await;
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("session has ended or the account is not active"),
                "{path}: {body}"
            );
        }
    }
    // Nor post: the post's own first read checks the account and session.
    for who in [&ended, &banned] {
        let body = problem(
            post(
                &app,
                who,
                movie,
                json!({"text": "Let me in", "parent_id": first}),
            )
            .await,
            401,
        )
        .await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("session has ended")
        );
    }
    // Anonymous readers still read.
    assert_eq!(
        texts(&get_json(&app, &format!("/movies/{movie}/comments"), None).await),
        [Some("Still here?")]
    );
}

/// A movie's threads newest first, `per_page` at a time, walked to the end: their ids.
async fn walk_threads(app: &TestApp, movie: Uuid, per_page: usize, sort: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for page in 1.. {
        let path = format!("/movies/{movie}/comments?sort={sort}&per_page={per_page}&page={page}");
        let listed = get_json(app, &path, None).await;
        let items = listed["items"].as_array().unwrap();
        if items.is_empty() {
            return ids;
        }
        ids.extend(
            items
                .iter()
                .map(|item| item["id"].as_str().unwrap().to_owned()),
        );
    }
    unreachable!()
}

/// Every page of every size up to 5, both orders, gives the movie's threads in the order the
/// table holds them; and how many anchors the movie has.
async fn assert_thread_pages(app: &TestApp, movie: Uuid) -> i64 {
    let newest: Vec<String> = sqlx::query_scalar(
        "SELECT id::text FROM comments WHERE movie_id = $1 AND parent_id IS NULL
         ORDER BY created_at DESC, id DESC",
    )
    .bind(movie)
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    let oldest: Vec<String> = newest.iter().rev().cloned().collect();
    for per_page in 1..=5 {
        assert_eq!(
            walk_threads(app, movie, per_page, "-created_at").await,
            newest,
            "newest first, per_page={per_page}"
        );
        assert_eq!(
            walk_threads(app, movie, per_page, "created_at").await,
            oldest,
            "oldest first, per_page={per_page}"
        );
    }
    sqlx::query_scalar("SELECT count(*) FROM comment_thread_anchors WHERE movie_id = $1")
        .bind(movie)
        .fetch_one(&app.state.db)
        .await
        .unwrap()
}

/// Deep pages of a movie's threads start at the nearest anchor: they read exactly as a walk from
/// the top, and a new or removed thread drops the movie's anchors in its own transaction (a
/// reply, or a deletion that leaves a placeholder, does not). The janitor builds them for a
/// movie with more than 1,000 threads.
#[sqlx::test(migrations = "../migrations")]
async fn deep_pages_of_threads_read_the_same_from_anchors(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let movie = a_movie(&app, "Anchored").await;
    let ada = named(&app, "Ada").await;
    // Thirteen threads, two by two at the same instant (their ids break the tie).
    sqlx::query(
        "INSERT INTO comments (movie_id, author_id, text, created_at)
         SELECT $1, $2, 'Thread ' || n, now() - (n / 2) * interval '1 minute'
         FROM generate_series(1, 13) n",
    )
    .bind(movie)
    .bind(ada.id)
    .execute(&db)
    .await
    .unwrap();
    let rebuild = || async {
        sqlx::query_scalar::<_, i64>("SELECT rebuild_comment_thread_anchors($1, 3)")
            .bind(movie)
            .fetch_one(&db)
            .await
            .unwrap()
    };
    assert_eq!(assert_thread_pages(&app, movie).await, 0);
    // Anchors at positions 3, 6, 9 and 12: pages of every size start before, at and after them.
    assert_eq!(rebuild().await, 4);
    assert_eq!(rebuild().await, 0, "a movie with anchors keeps them");
    assert_eq!(assert_thread_pages(&app, movie).await, 4);

    let newest = walk_threads(&app, movie, 20, "-created_at").await;
    let with_reply: Uuid = newest[5].parse().unwrap();
    reply(
        &app,
        &ada,
        movie,
        Some(with_reply),
        "A reply keeps the anchors.",
    )
    .await;
    assert_eq!(assert_thread_pages(&app, movie).await, 4);

    let added = comment(&app, &ada, movie, "A new thread drops them.").await;
    assert_eq!(assert_thread_pages(&app, movie).await, 0);
    assert_eq!(
        walk_threads(&app, movie, 20, "-created_at").await[0],
        added.to_string()
    );
    assert_eq!(rebuild().await, 4);

    let response = send(
        &app,
        Method::DELETE,
        &format!("/comments/{with_reply}"),
        &ada,
    )
    .await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        assert_thread_pages(&app, movie).await,
        4,
        "a placeholder keeps them"
    );
    let response = send(&app, Method::DELETE, &format!("/comments/{added}"), &ada).await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        assert_thread_pages(&app, movie).await,
        0,
        "a removed thread drops them"
    );

    // The janitor: a movie past 1,000 threads gets its anchor (position 1,000), and pages read
    // the same from it; a movie under that gets none.
    let busy = a_movie(&app, "Busy").await;
    sqlx::query(
        "INSERT INTO comments (movie_id, author_id, text, created_at)
         SELECT $1, $2, 'Thread ' || n, now() - n * interval '1 second'
         FROM generate_series(1, 1003) n",
    )
    .bind(busy)
    .bind(ada.id)
    .execute(&db)
    .await
    .unwrap();
    let report = cinema_janitor::run(&db, 100).await.unwrap();
    assert_eq!(report.comment_anchors_built, 1);
    let deep = get_json(
        &app,
        &format!("/movies/{busy}/comments?per_page=2&page=501"),
        None,
    )
    .await;
    assert_eq!(texts(&deep), [Some("Thread 1001"), Some("Thread 1002")]);
    assert_eq!(assert_thread_pages(&app, movie).await, 0);
    assert_eq!(
        cinema_janitor::run(&db, 100)
            .await
            .unwrap()
            .comment_anchors_built,
        0
    );
}
