//! `cinema create-admin`, run as the operator runs it, against a fresh database.

use std::{io::Write, process::Stdio};

use cinema_shared::password;
use sqlx::PgPool;

/// Runs the real binary with the test database and the password on standard input.
fn create_admin(db: &PgPool, email: &str, stdin: &str) -> std::process::Output {
    let database = db.connect_options().get_database().unwrap().to_owned();
    // The server the test harness uses, with the test's own database.
    let server = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let (server, _) = server.rsplit_once('/').expect("a database URL");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cinema"))
        .args(["create-admin", "--email", email])
        .env("DATABASE_URL", format!("{server}/{database}"))
        .env_remove("CINEMA_ADMIN_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the cinema binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

async fn account(db: &PgPool, email: &str) -> Option<(String, bool, String)> {
    sqlx::query_as("SELECT role, is_active, password_hash FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(db)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_first_admin_comes_from_the_command(db: PgPool) {
    let weak = create_admin(&db, "root@studio.example", "weak\n");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("too weak"));
    assert!(
        account(&db, "root@studio.example").await.is_none(),
        "nothing written"
    );

    let made = create_admin(&db, " Root@Studio.example ", "Adm1n-Passw0rd!\n");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let (role, active, hash) = account(&db, "root@studio.example").await.unwrap();
    assert_eq!((role.as_str(), active), ("admin", true));
    assert!(password::verify_blocking("Adm1n-Passw0rd!", &hash));
}

/// Someone could pre-register the admin's address with a password of their own: promoting that
/// account as it is would hand them the admin role. The operator's password replaces theirs.
#[sqlx::test(migrations = "../migrations")]
async fn an_existing_account_is_promoted_only_with_the_operators_password(db: PgPool) {
    let squatter = password::hash_blocking("Squ4tter-Passw0rd!").unwrap();
    sqlx::query("INSERT INTO users (email, password_hash) VALUES ('ann@studio.example', $1)")
        .bind(&squatter)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO login_sessions (id, user_id)
         SELECT gen_random_uuid(), id FROM users WHERE email = 'ann@studio.example'",
    )
    .execute(&db)
    .await
    .unwrap();

    let refused = create_admin(&db, "ann@studio.example", "");
    assert!(!refused.status.success(), "no password, no promotion");
    let (role, active, _) = account(&db, "ann@studio.example").await.unwrap();
    assert_eq!((role.as_str(), active), ("user", false));

    let promoted = create_admin(&db, "ann@studio.example", "Adm1n-Passw0rd!\n");
    assert!(
        promoted.status.success(),
        "{}",
        String::from_utf8_lossy(&promoted.stderr)
    );
    let (role, active, hash) = account(&db, "ann@studio.example").await.unwrap();
    assert_eq!((role.as_str(), active), ("admin", true));
    assert!(password::verify_blocking("Adm1n-Passw0rd!", &hash));
    assert!(!password::verify_blocking("Squ4tter-Passw0rd!", &hash));
    let live_sessions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM login_sessions s JOIN users u ON u.id = s.user_id
         WHERE u.email = 'ann@studio.example' AND s.revoked_at IS NULL",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(live_sessions, 0, "the squatter's sessions end");
}
