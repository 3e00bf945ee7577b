//! Access tokens: anything but an intact, unexpired HS256 token of ours is a 401.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use cinema_shared::auth::{Claims, Role};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{TestApp, problem};

fn sign(claims: &Claims, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

async fn refused(app: &TestApp, token: &str) {
    let response = app.me(token).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    problem(response, 401).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn forged_or_stale_tokens_are_refused(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let user = app.make_user(Role::User).await;
    assert_eq!(app.me(&user.token).await.status(), 200);
    let jwt = &app.state.config.jwt;
    let secret = jwt.secret.expose_secret().as_bytes().to_vec();
    let now = Utc::now().timestamp();
    let session = cinema_shared::auth::verify_access_token(jwt, &user.token)
        .unwrap()
        .sid;
    let claims = Claims {
        sub: user.id,
        role: Role::User,
        sid: session,
        iss: jwt.issuer.clone(),
        aud: jwt.audience.clone(),
        iat: now,
        exp: now + 600,
    };
    assert_eq!(
        app.me(&sign(&claims, &secret)).await.status(),
        200,
        "the control is valid"
    );

    // Signed with our key, but for a session that was never started (or has been purged).
    let no_session = Claims {
        sid: Uuid::new_v4(),
        ..claims.clone()
    };
    refused(&app, &sign(&no_session, &secret)).await;

    // Tampered: the payload now claims admin, the signature is the old one.
    let parts: Vec<&str> = user.token.split('.').collect();
    let mut payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["role"] = "admin".into();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    refused(&app, &tampered).await;

    // alg: none, no signature.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let none_payload = URL_SAFE_NO_PAD.encode(serde_json::to_string(&claims).unwrap());
    refused(&app, &format!("{none_header}.{none_payload}.")).await;

    let expired = Claims {
        iat: now - 1000,
        exp: now - 10,
        ..claims.clone()
    };
    refused(&app, &sign(&expired, &secret)).await;

    refused(
        &app,
        &sign(&claims, b"another-secret-that-is-long-enough-too"),
    )
    .await;

    let other_audience = Claims {
        aud: "someone-else".into(),
        ..claims.clone()
    };
    refused(&app, &sign(&other_audience, &secret)).await;

    let other_issuer = Claims {
        iss: "someone-else".into(),
        ..claims.clone()
    };
    refused(&app, &sign(&other_issuer, &secret)).await;

    refused(&app, "not-a-jwt").await;
    let no_token = app.get("/users/me").send().await.unwrap();
    assert_eq!(no_token.headers()["www-authenticate"], "Bearer");
    problem(no_token, 401).await;
    let wrong_scheme = app
        .get("/users/me")
        .header("authorization", format!("Token {}", user.token))
        .send()
        .await
        .unwrap();
    problem(wrong_scheme, 401).await;
}
