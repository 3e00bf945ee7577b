//! Every route a function documents reaches that function once deployed: `template.yaml`'s
//! HTTP API routes, matched the way API Gateway matches them, send each documented path to
//! the function whose router serves it. (The local gateway merges every router, so the
//! end-to-end tests cannot see a route the template forgot.) And the HTTP API answers CORS as
//! the local gateway does: on AWS its `CorsConfiguration` overrides the functions' own headers.

use std::collections::BTreeMap;

use cinema_shared::http::{
    CORS_ALLOWED_HEADERS, CORS_ALLOWED_METHODS, CORS_EXPOSED_HEADERS, CORS_MAX_AGE,
};
use utoipa_axum::router::OpenApiRouter;
use yaml_rust2::{Yaml, YamlLoader};

/// One HTTP API route of the template: its path segments and the function it invokes.
struct DeployedRoute {
    segments: Vec<String>,
    function: String,
}

/// The `Path:` of every `HttpApi` event, by the resource it belongs to.
fn deployed_routes() -> Vec<DeployedRoute> {
    let template = include_str!("../../template.yaml");
    let mut routes = Vec::new();
    let mut resource = String::new();
    for line in template.lines() {
        // Resources sit at two spaces of indentation: `  CatalogFunction:`.
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':'))
            && !name.starts_with(' ')
            && !name.contains(' ')
        {
            resource = name.to_owned();
        }
        if let Some(path) = line.trim().strip_prefix("Path: ") {
            routes.push(DeployedRoute {
                segments: path
                    .trim_matches('/')
                    .split('/')
                    .map(str::to_owned)
                    .collect(),
                function: resource.clone(),
            });
        }
    }
    routes
}

/// How specifically `route` matches `path` (more is better), or `None` if it does not: API
/// Gateway prefers literal segments to variables, and variables to a greedy `{proxy+}`.
fn specificity(route: &[String], path: &[&str]) -> Option<(bool, usize)> {
    let mut literals = 0;
    for (index, segment) in route.iter().enumerate() {
        if segment.ends_with("+}") {
            let rest = path.len() - index.min(path.len());
            return (rest > 0).then_some((false, literals));
        }
        let part = path.get(index)?;
        if segment.starts_with('{') {
            continue;
        }
        if segment != part {
            return None;
        }
        literals += 1;
    }
    (route.len() == path.len()).then_some((true, literals))
}

/// The function API Gateway invokes for `path`; the `$default` route (the platform function)
/// when no route matches.
fn function_for(routes: &[DeployedRoute], path: &str) -> String {
    let concrete: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "1"
            } else {
                segment
            }
        })
        .collect();
    routes
        .iter()
        .filter_map(|route| Some((specificity(&route.segments, &concrete)?, &route.function)))
        .max_by_key(|(rank, _)| *rank)
        .map_or_else(|| "PlatformFunction".to_owned(), |(_, f)| f.clone())
}

fn documented_paths(api: OpenApiRouter<cinema_shared::AppState>) -> Vec<String> {
    api.into_openapi().paths.paths.into_keys().collect()
}

#[test]
fn every_documented_route_reaches_its_function_when_deployed() {
    let routes = deployed_routes();
    let functions: BTreeMap<&str, Vec<String>> = BTreeMap::from([
        ("PlatformFunction", documented_paths(cinema_platform::api())),
        ("AccountsFunction", documented_paths(cinema_accounts::api())),
        ("CatalogFunction", documented_paths(cinema_catalog::api())),
        (
            "EngagementFunction",
            documented_paths(cinema_engagement::api()),
        ),
        ("CommerceFunction", documented_paths(cinema_commerce::api())),
    ]);
    let mut misrouted = Vec::new();
    for (function, paths) in &functions {
        for path in paths {
            let reached = function_for(&routes, path);
            if reached != *function {
                misrouted.push(format!("{path}: served by {function}, routed to {reached}"));
            }
        }
    }
    assert!(misrouted.is_empty(), "misrouted:\n{}", misrouted.join("\n"));
    assert!(
        functions.values().map(Vec::len).sum::<usize>() > 20,
        "the routers document their routes"
    );
}

#[test]
fn the_matcher_follows_api_gateway() {
    let routes: Vec<DeployedRoute> = [
        ("/api/v1/movies/{id}", "Catalog"),
        ("/api/v1/movies/{id}/rating", "Engagement"),
        ("/api/v1/auth/{proxy+}", "Accounts"),
        ("/api/v1/auth/me", "Platform"),
    ]
    .into_iter()
    .map(|(path, function)| DeployedRoute {
        segments: path
            .trim_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect(),
        function: function.to_owned(),
    })
    .collect();
    assert_eq!(function_for(&routes, "/api/v1/movies/{id}"), "Catalog");
    assert_eq!(
        function_for(&routes, "/api/v1/movies/{id}/rating"),
        "Engagement"
    );
    assert_eq!(function_for(&routes, "/api/v1/auth/login"), "Accounts");
    assert_eq!(function_for(&routes, "/api/v1/auth/a/b"), "Accounts");
    assert_eq!(
        function_for(&routes, "/api/v1/auth/me"),
        "Platform",
        "literal beats greedy"
    );
    assert_eq!(
        function_for(&routes, "/api/v1/auth"),
        "PlatformFunction",
        "greedy needs a segment"
    );
    assert_eq!(
        function_for(&routes, "/api/v1/movies/{id}/stream"),
        "PlatformFunction"
    );
}

/// A list of the template's CORS settings, lower-cased and sorted: API Gateway reads the names
/// without regard to case or order.
fn names(list: &Yaml) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_vec()
        .unwrap_or_else(|| panic!("not a list: {list:?}"))
        .iter()
        .map(|name| name.as_str().expect("a name").to_lowercase())
        .collect();
    names.sort();
    names
}

fn sorted<T: ToString>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    let mut names: Vec<String> = items
        .into_iter()
        .map(|item| item.to_string().to_lowercase())
        .collect();
    names.sort();
    names
}

#[test]
fn the_http_apis_cors_is_the_codes() {
    let template = YamlLoader::load_from_str(include_str!("../../template.yaml")).unwrap();
    let cors = &template[0]["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"];
    assert_eq!(names(&cors["AllowMethods"]), sorted(CORS_ALLOWED_METHODS));
    assert_eq!(names(&cors["AllowHeaders"]), sorted(CORS_ALLOWED_HEADERS));
    assert_eq!(names(&cors["ExposeHeaders"]), sorted(CORS_EXPOSED_HEADERS));
    assert!(
        names(&cors["ExposeHeaders"]).contains(&"retry-after".to_owned()),
        "a browser client must read how long a 429 asks it to wait"
    );
    assert_eq!(cors["MaxAge"].as_i64(), Some(CORS_MAX_AGE.as_secs() as i64));
}
