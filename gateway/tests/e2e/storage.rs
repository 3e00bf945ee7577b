//! Files go straight to S3 through presigned URLs that the S3 server itself enforces.

use std::time::Duration;

use sqlx::PgPool;

use crate::support::TestApp;

#[sqlx::test(migrations = "../migrations")]
async fn a_presigned_upload_accepts_only_the_signed_type_and_length(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let key = format!("tests/{}.png", uuid::Uuid::new_v4());
    let file = vec![7u8; 64];
    let upload = app
        .state
        .storage
        .presign_put(
            &key,
            "image/png",
            file.len() as i64,
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let put = |content_type: &'static str, body: Vec<u8>| {
        app.http
            .put(&upload.url)
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    let longer = put("image/png", vec![7u8; 65]).await.unwrap();
    assert_eq!(longer.status(), 403, "a longer file is refused");
    let other_type = put("image/jpeg", file.clone()).await.unwrap();
    assert_eq!(other_type.status(), 403, "another content type is refused");
    let exact = put("image/png", file.clone()).await.unwrap();
    assert_eq!(exact.status(), 200, "the signed file is accepted");

    let download = app
        .state
        .storage
        .presign_get(&key, Duration::from_secs(60))
        .await
        .unwrap();
    let fetched = app.http.get(&download.url).send().await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), file.as_slice());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_tampered_download_url_is_refused(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let download = app
        .state
        .storage
        .presign_get("tests/anything.png", Duration::from_secs(60))
        .await
        .unwrap();
    let tampered = download.url.replace("anything", "something-else");
    let response = app.http.get(&tampered).send().await.unwrap();
    assert_eq!(response.status(), 403);
}
