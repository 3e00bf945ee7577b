//! The API description is served to active accounts over HTTP Basic.

use cinema_shared::auth::Role;
use sqlx::PgPool;

use crate::support::{TestApp, problem, users::PASSWORD};

#[sqlx::test(migrations = "../migrations")]
async fn the_openapi_document_needs_an_active_account(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let user = app.make_user(Role::User).await;

    let anonymous = app.get("/openapi.json").send().await.unwrap();
    assert!(
        anonymous.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    problem(anonymous, 401).await;

    let wrong = app
        .get("/openapi.json")
        .basic_auth(&user.email, Some("Wrong-Passw0rd!"))
        .send()
        .await
        .unwrap();
    problem(wrong, 401).await;

    sqlx::query("UPDATE users SET is_active = false WHERE id = $1")
        .bind(user.id)
        .execute(&app.state.db)
        .await
        .unwrap();
    let inactive = app
        .get("/openapi.json")
        .basic_auth(&user.email, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    problem(inactive, 401).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_openapi_document_describes_the_routes(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let user = app.make_user(Role::User).await;
    let response = app
        .get("/openapi.json")
        .basic_auth(user.email.to_uppercase(), Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in ["/api/v1/health", "/api/v1/openapi.json", "/api/v1/docs"] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} is not described"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    // Guarded routes document who is turned away, each answer a problem.
    let problem_of = |path: &str, method: &str, status: &str| {
        doc["paths"][path][method]["responses"][status]["content"]["application/problem+json"]
            ["schema"]["$ref"]
            .clone()
    };
    let problem_ref = serde_json::json!("#/components/schemas/Problem");
    for (path, method, forbidden) in [
        ("/api/v1/movies", "post", Some("Not a moderator")),
        ("/api/v1/admin/users", "get", Some("Not an admin")),
        ("/api/v1/users/me", "get", None),
    ] {
        assert_eq!(
            problem_of(path, method, "401"),
            problem_ref,
            "{method} {path}"
        );
        match forbidden {
            Some(description) => {
                assert_eq!(problem_of(path, method, "403"), problem_ref);
                assert_eq!(
                    doc["paths"][path][method]["responses"]["403"]["description"],
                    description
                );
            }
            None => assert!(doc["paths"][path][method]["responses"]["403"].is_null()),
        }
    }

    // Every route that reads a JSON body documents what a broken, oversized or non-JSON body
    // gets, and a body whose fields do not fit: that 422 in one wording, from one place.
    let mut with_bodies = 0;
    let mut field_problems = std::collections::BTreeSet::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            if operation.get("requestBody").is_none() {
                continue;
            }
            with_bodies += 1;
            for status in ["400", "413", "415", "422"] {
                assert_eq!(
                    problem_of(path, method, status),
                    problem_ref,
                    "{method} {path} {status}"
                );
            }
            field_problems.insert(operation["responses"]["422"]["description"].to_string());
        }
    }
    assert_eq!(field_problems.len(), 1, "{field_problems:?}");
    assert!(with_bodies >= 15, "{with_bodies} routes with a body");

    let page = app
        .get("/docs")
        .basic_auth(&user.email, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().await.unwrap().contains("Cinema API"));
}
