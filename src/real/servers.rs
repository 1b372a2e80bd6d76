//! Throwaway servers: a Redis and a PostgreSQL of Debian's packages started
//! on free loopback ports in a temporary directory, for `conformance` run
//! without URLs and for the tests. Dropping [`Servers`] stops both (by the
//! process ids this started) and removes the directory.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Redis and PostgreSQL of this process's own.
pub struct Servers {
    dir: PathBuf,
    redis: Option<Child>,
    postgres: Option<Child>,
    /// `redis://127.0.0.1:PORT/`
    pub redis_url: String,
    /// `postgres://cachescope@127.0.0.1:PORT/cachescope`
    pub postgres_url: String,
}

/// How long a server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

impl Servers {
    /// Starts both servers, or says why it could not.
    pub fn start() -> Result<Servers, String> {
        let dir = std::env::temp_dir().join(format!(
            "cachescope-real-{}-{:x}",
            std::process::id(),
            rand_seed()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut servers = Servers {
            dir,
            redis: None,
            postgres: None,
            redis_url: String::new(),
            postgres_url: String::new(),
        };
        let redis_port = free_port()?;
        servers.redis = Some(start_redis(&servers.dir, redis_port)?);
        servers.redis_url = format!("redis://127.0.0.1:{redis_port}/");
        let pg_port = free_port()?;
        servers.postgres = Some(start_postgres(&servers.dir, pg_port)?);
        servers.postgres_url = format!("postgres://cachescope@127.0.0.1:{pg_port}/cachescope");
        wait_for_port(redis_port, "redis-server")?;
        wait_for_postgres(pg_port)?;
        Ok(servers)
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        // PostgreSQL's fast shutdown (SIGINT) ends its backends too; Redis
        // stops on SIGTERM. Only the ids this process started are signalled.
        for (child, signal) in [(&mut self.postgres, "-INT"), (&mut self.redis, "-TERM")] {
            if let Some(mut child) = child.take() {
                let _ = Command::new("kill")
                    .args([signal, &child.id().to_string()])
                    .status();
                let deadline = Instant::now() + Duration::from_secs(20);
                while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Some bits that differ between two runs started in the same nanosecond
/// of the same process (a directory name, not a secret).
fn rand_seed() -> u64 {
    let address = &0u8 as *const u8 as u64;
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    address ^ time
}

/// A loopback port nothing listens on now.
fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free loopback port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

/// The first of `names` found on the PATH or in Debian's PostgreSQL
/// directories (newest version first).
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = entries.flatten().map(|e| e.path().join("bin")).collect();
        versions.sort();
        versions.reverse();
        dirs.extend(versions);
    }
    dirs.into_iter()
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn start_redis(dir: &Path, port: u16) -> Result<Child, String> {
    let program = find_program("redis-server").ok_or(
        "redis-server not found: install Debian's redis-server (scripts/setup.sh test does)",
    )?;
    let log = std::fs::File::create(dir.join("redis.log")).map_err(|e| e.to_string())?;
    Command::new(program)
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args([
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ])
        .arg("--dir")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start redis-server: {e}"))
}

/// Runs `program` as the `postgres` user when this process is root
/// (PostgreSQL refuses to run as root), else as this user.
fn as_postgres_user(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("setpriv");
        command
            .args([
                "--reuid",
                "postgres",
                "--regid",
                "postgres",
                "--init-groups",
            ])
            .arg("--")
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

fn start_postgres(dir: &Path, port: u16) -> Result<Child, String> {
    let missing = |name: &str| {
        format!("{name} not found: install Debian's postgresql (scripts/setup.sh test does)")
    };
    let initdb = find_program("initdb").ok_or_else(|| missing("initdb"))?;
    let postgres = find_program("postgres").ok_or_else(|| missing("postgres"))?;
    let data = dir.join("pg");
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir)
            .status()
            .map_err(|e| format!("chown: {e}"))?;
        if !status.success() {
            return Err("cannot hand the temporary directory to the postgres user".into());
        }
    }
    let output = as_postgres_user(&initdb)
        .args([
            "--auth=trust",
            "--username=cachescope",
            "--encoding=UTF8",
            "--no-sync",
        ])
        .arg("-D")
        .arg(&data)
        .output()
        .map_err(|e| format!("cannot run initdb: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let log = std::fs::File::create(dir.join("postgres.log")).map_err(|e| e.to_string())?;
    // Durability is not what is checked here; logical decoding (CDC) needs
    // wal_level=logical.
    as_postgres_user(&postgres)
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
        .arg("-c")
        .arg(format!("unix_socket_directories={}", dir.display()))
        .args(["-c", "wal_level=logical", "-c", "max_replication_slots=4"])
        // Live runs read when each transaction committed.
        .args(["-c", "track_commit_timestamp=on"])
        .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
        .args(["-c", "full_page_writes=off"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start postgres: {e}"))
}

fn wait_for_port(port: u16, name: &str) -> Result<(), String> {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > START_TIMEOUT {
            return Err(format!("{name} did not start listening on port {port}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Waits for PostgreSQL to accept connections, then creates the database.
fn wait_for_postgres(port: u16) -> Result<(), String> {
    let started = Instant::now();
    let admin = format!("postgres://cachescope@127.0.0.1:{port}/postgres");
    loop {
        match postgres::Client::connect(&admin, postgres::NoTls) {
            Ok(mut client) => {
                return client
                    .batch_execute("CREATE DATABASE cachescope")
                    .map_err(|e| format!("cannot create the database: {e}"));
            }
            Err(e) if started.elapsed() > START_TIMEOUT => {
                return Err(format!("postgres did not start: {e}"));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}
