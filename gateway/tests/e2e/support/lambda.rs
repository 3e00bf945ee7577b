//! The functions as Lambda runs them: `cargo lambda watch --only-lambda-apis` serves the Lambda
//! runtime and invoke APIs, each function's debug binary polls it as its own container would, and
//! `cargo lambda invoke` sends the fixtures in `events/`. Nothing of ours sits between the
//! fixture and the function's handler: the runtime client, the API Gateway v2 / SQS / EventBridge
//! decoding and the response encoding are the ones deployed.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::Value;
use sqlx::PgPool;

/// `cargo-lambda` from the project's tools (installed by `make up`).
fn cargo_lambda() -> PathBuf {
    let tools = std::env::var("CINEMA_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace().join(".local/tools"));
    let path = tools.join("lambda-venv/bin/cargo-lambda");
    assert!(
        path.exists(),
        "{} is missing: run `make up` (it installs the Lambda tools)",
        path.display()
    );
    path
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the gateway crate sits in the workspace")
        .to_owned()
}

/// The debug binaries sit beside this test's own executable's directory (`target/debug/deps`).
fn debug_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let path = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from target/debug/deps")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: `make build` builds every function",
        path.display()
    );
    path
}

/// A debug build answers in well under a second; this only bounds a hang.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(60);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// The URL of the test's own database, for processes of their own.
pub fn database_url(db: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL: run the tests with `make test`");
    let name = db
        .connect_options()
        .get_database()
        .expect("a test database has a name")
        .to_owned();
    let (server, _) = base
        .rsplit_once('/')
        .expect("DATABASE_URL ends with a database name");
    format!("{server}/{name}")
}

/// The runtime emulator and the function processes polling it; all stop on drop.
pub struct LocalLambda {
    port: u16,
    processes: Vec<(String, Child)>,
}

impl LocalLambda {
    /// Starts the emulator, then `functions` (debug builds) with the environment of `make test`
    /// and `overrides` on top.
    pub async fn start(functions: &[&str], overrides: &[(&str, &str)]) -> Self {
        let port = free_port();
        let emulator = Command::new(cargo_lambda())
            .args(["lambda", "watch", "--only-lambda-apis", "--ignore-changes"])
            .args(["--invoke-address", "127.0.0.1", "--invoke-port"])
            .arg(port.to_string())
            .current_dir(workspace())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start cargo lambda watch");
        let mut local = Self {
            port,
            processes: vec![("cargo lambda watch".to_owned(), emulator)],
        };
        local.wait_until_listening().await;
        for name in functions {
            let function = Command::new(debug_binary(name))
                .env(
                    "AWS_LAMBDA_RUNTIME_API",
                    format!("http://127.0.0.1:{port}/.rt/{name}"),
                )
                .env("AWS_LAMBDA_FUNCTION_NAME", name)
                .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
                .envs(overrides.iter().copied())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap_or_else(|err| panic!("start the {name} function: {err}"));
            local.processes.push((name.to_string(), function));
        }
        local
    }

    async fn wait_until_listening(&self) {
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("cargo lambda watch did not listen on {}", self.port);
    }

    /// Sends `events/<fixture>` to `function` with `cargo lambda invoke` and returns what the
    /// function answered (for an HTTP function, the API Gateway response object).
    pub async fn invoke(&mut self, function: &str, fixture: &str) -> Value {
        self.assert_running();
        let mut command = Command::new(cargo_lambda());
        command
            .args(["lambda", "invoke", function, "--data-file"])
            .arg(workspace().join("events").join(fixture))
            .args(["--invoke-address", "127.0.0.1", "--invoke-port"])
            .arg(self.port.to_string())
            .args(["--output-format", "json"])
            .current_dir(workspace());
        let output = tokio::time::timeout(
            INVOKE_TIMEOUT,
            tokio::task::spawn_blocking(move || command.output()),
        )
        .await
        .unwrap_or_else(|_| panic!("{function} did not answer {fixture} within {INVOKE_TIMEOUT:?}"))
        .expect("join")
        .expect("run cargo lambda invoke");
        assert!(
            output.status.success(),
            "invoking {function} with {fixture} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
            panic!(
                "{function} answered {fixture} with something not JSON ({err}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }
}

impl LocalLambda {
    /// A function that died at start would leave an invocation waiting forever: say which.
    fn assert_running(&mut self) {
        for (name, process) in &mut self.processes {
            if let Ok(Some(status)) = process.try_wait() {
                panic!("{name} exited ({status}); its output is above");
            }
        }
    }
}

impl Drop for LocalLambda {
    fn drop(&mut self) {
        for (_, process) in &mut self.processes {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

/// An HTTP function's answer: status, a header by (lower-case) name, and the body as JSON.
pub struct HttpAnswer<'a>(pub &'a Value);

impl HttpAnswer<'_> {
    pub fn status(&self) -> u64 {
        self.0["statusCode"].as_u64().expect("statusCode")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.0["headers"]
            .as_object()
            .and_then(|headers| {
                headers
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
            })
            .and_then(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> Value {
        let body = self.0["body"].as_str().expect("a body");
        let bytes = if self.0["isBase64Encoded"].as_bool() == Some(true) {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .expect("base64 body")
        } else {
            body.as_bytes().to_vec()
        };
        serde_json::from_slice(&bytes).expect("a JSON body")
    }
}
