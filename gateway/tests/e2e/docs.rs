//! The API description is served to active accounts over HTTP Basic, and its docs page renders
//! in a real browser from the API's own files alone.

use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use cinema_shared::auth::Role;
use sqlx::PgPool;
use uuid::Uuid;

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
    for path in [
        "/api/v1/health",
        "/api/v1/openapi.json",
        "/api/v1/docs",
        "/api/v1/docs/assets/{file}",
    ] {
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
            // Stripe's webhook reads raw bytes, not a JSON body of ours: its signature is checked
            // before anything parses them.
            if operation.get("requestBody").is_none() || path == "/api/v1/payments/webhook" {
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

/// The directives the docs page's policy must hold, and no others: the API's own origin only.
const PAGE_POLICY: [&str; 9] = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
];

const DATA_BLOCK: &str = r#"<script type="application/json" id="openapi">"#;

/// The JSON of the page's description block, undoing the page's escape of `<`.
fn data_block(html: &str) -> Option<String> {
    let start = html.find(DATA_BLOCK)? + DATA_BLOCK.len();
    let end = start + html[start..].find("</script>")?;
    Some(html[start..end].replace("\\u003c", "<"))
}

/// The page without its description block: what the UI made of it, and the page's own markup.
fn without_data_block(html: &str) -> String {
    match html.find(DATA_BLOCK) {
        Some(start) => {
            let end = start + html[start..].find("</script>").unwrap();
            format!("{}{}", &html[..start], &html[end..])
        }
        None => html.to_owned(),
    }
}

/// The `src` and `href` values of an HTML page.
fn links(html: &str) -> Vec<String> {
    let mut links = Vec::new();
    for attribute in [" src=\"", " href=\""] {
        for (start, _) in html.match_indices(attribute) {
            let rest = &html[start + attribute.len()..];
            links.push(rest[..rest.find('"').unwrap()].to_owned());
        }
    }
    links
}

#[sqlx::test(migrations = "../migrations")]
async fn the_docs_page_loads_only_the_apis_own_files(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let user = app.make_user(Role::User).await;

    problem(app.get("/docs").send().await.unwrap(), 401).await;
    let page = app
        .get("/docs")
        .basic_auth(&user.email, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    let mut policy: Vec<&str> = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .split(';')
        .map(str::trim)
        .collect();
    policy.sort_unstable();
    let mut expected = PAGE_POLICY.to_vec();
    expected.sort_unstable();
    assert_eq!(policy, expected, "the page's Content-Security-Policy");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let html = page.text().await.unwrap();
    let description: serde_json::Value =
        serde_json::from_str(&data_block(&html).expect("the page carries the description"))
            .unwrap();
    assert!(description["paths"]["/api/v1/movies"].is_object());

    let links = links(&html);
    let assets: Vec<&String> = links
        .iter()
        .filter(|link| link.as_str() != "data:,")
        .collect();
    assert_eq!(assets.len(), 3, "a style sheet and two scripts: {links:?}");
    for link in assets {
        assert!(
            link.starts_with("/api/v1/docs/assets/"),
            "{link} is not one of the API's own files"
        );
        // Open to anyone, and kept by caches: the names carry a digest of the contents.
        let asset = app
            .http
            .get(format!("{}{link}", app.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(asset.status(), 200, "{link}");
        let content_type = asset.headers()["content-type"].to_str().unwrap();
        let expected = if link.ends_with(".js") {
            "text/javascript"
        } else {
            "text/css"
        };
        assert!(content_type.starts_with(expected), "{link}: {content_type}");
        assert_eq!(
            asset.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(asset.headers()["x-content-type-options"], "nosniff");
        assert!(asset.bytes().await.unwrap().len() > 100, "{link} is empty");
    }

    // The licence the bundle's header points to is served beside it.
    let licence = app
        .get("/docs/assets/swagger-ui-bundle.js.LICENSE.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(licence.status(), 200);
    for missing in ["/docs/assets/nothing.js", "/docs/assets/..%2FCargo.toml"] {
        problem(app.get(missing).send().await.unwrap(), 404).await;
    }
}

/// Debian's browser, which `scripts/local-cloud.sh install` installs; `CHROMIUM` overrides it.
fn chromium() -> PathBuf {
    let path = PathBuf::from(std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into()));
    assert!(
        path.exists(),
        "{} is missing: the docs page test needs a headless browser; install it with \
         `scripts/local-cloud.sh install` (Debian's chromium package)",
        path.display()
    );
    path
}

/// What a headless browser shows at `url` once its scripts ran: the page's DOM and the browser's
/// log (console messages, among them any Content-Security-Policy violation).
fn render(browser: &Path, url: &str) -> (String, String) {
    let dir = std::env::temp_dir().join(format!("cinema-docs-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    // Files rather than pipes: the DOM can outgrow a pipe's buffer while the browser waits.
    let dom_path = dir.join("dom.html");
    let log_path = dir.join("browser.log");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(File::create(&dom_path).unwrap())
        .stderr(File::create(&log_path).unwrap())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {}: {err}", browser.display()));
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("the browser did not finish within 90 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let dom = std::fs::read_to_string(&dom_path).unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(status.success(), "the browser failed ({status}):\n{log}");
    (dom, log)
}

#[sqlx::test(migrations = "../migrations")]
async fn the_docs_page_renders_the_routes_in_a_browser(db: PgPool) {
    let browser = chromium();
    let app = TestApp::spawn(db).await;
    let user = app.make_user(Role::User).await;
    // The browser answers the Basic challenge with the credentials in the URL.
    let mut url = reqwest::Url::parse(&app.url("/docs")).unwrap();
    url.set_username(&user.email).unwrap();
    url.set_password(Some(PASSWORD)).unwrap();
    let (dom, log) = tokio::task::spawn_blocking(move || render(&browser, url.as_str()))
        .await
        .unwrap();

    assert!(
        dom.contains(DATA_BLOCK),
        "the page is the docs page:\n{dom}"
    );
    // The routes must come from what the UI rendered, not from the description's own text.
    let dom = without_data_block(&dom);
    assert!(
        !log.contains("Content Security Policy"),
        "the page broke its own policy:\n{log}"
    );
    assert!(
        !dom.contains("Failed to load API definition"),
        "the UI could not read the description:\n{dom}"
    );
    // Routes of several groups, with an operation's summary: the UI rendered the description.
    for text in [
        "/api/v1/movies",
        "/api/v1/auth/login",
        "/api/v1/health",
        "Whether the API and its database answer",
    ] {
        assert!(
            dom.contains(text),
            "{text} is not on the rendered page:\n{dom}"
        );
    }
}
