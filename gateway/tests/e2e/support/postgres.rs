//! A PostgreSQL cluster of the test's own, on a port of its own, that the test may stop and
//! start: the machine's shared server is never touched. PostgreSQL refuses to run as root, so
//! under root the cluster belongs to the `postgres` user.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use uuid::Uuid;

pub struct PrivatePostgres {
    bin: PathBuf,
    dir: PathBuf,
    pub port: u16,
}

fn server_binaries() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's server binaries in /usr/lib/postgresql")
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().expect("an initdb under /usr/lib/postgresql")
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

impl PrivatePostgres {
    /// A fresh cluster with a `cinema` database, started.
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("cinema-pg-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("cluster directory");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let cluster = Self {
            bin: server_binaries(),
            dir,
            port,
        };
        if running_as_root() {
            cluster.run(
                "chown",
                &["-R", "postgres", cluster.dir.to_str().unwrap()],
                false,
            );
        }
        let data = cluster.data().display().to_string();
        cluster.run_pg(
            "initdb",
            &["-D", &data, "-U", "postgres", "--auth=trust", "--no-sync"],
        );
        cluster.start_server();
        cluster.run(
            "psql",
            &[&cluster.url("postgres"), "-qc", "CREATE DATABASE cinema"],
            false,
        );
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start_server(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off",
            self.port,
            self.dir.display()
        );
        let data = self.data().display().to_string();
        let log = self.dir.join("server.log").display().to_string();
        self.run_pg(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-o", &options, "-w", "start"],
        );
    }

    /// Stops the server the hard way (as a crash would): open connections just break.
    pub fn stop_server(&self) {
        let data = self.data().display().to_string();
        self.run_pg("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }

    fn run_pg(&self, tool: &str, args: &[&str]) {
        let path = self.bin.join(tool).display().to_string();
        self.run(&path, args, running_as_root());
    }

    fn run(&self, program: &str, args: &[&str], as_owner: bool) {
        let mut command = if as_owner {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--", program]);
            command
        } else {
            Command::new(program)
        };
        let output = command
            .args(args)
            .current_dir(Path::new("/"))
            .output()
            .unwrap_or_else(|err| panic!("run {program}: {err}"));
        assert!(
            output.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        let pg_ctl = self.bin.join("pg_ctl").display().to_string();
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--", &pg_ctl]);
            command
        } else {
            Command::new(&pg_ctl)
        };
        let _ = command
            .args(["-D", &data, "-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
