//! The real binary as a child process: `shared-checkout demo` or `serve` on a free port, and
//! an HTTP client to talk to it.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use reqwest::redirect::Policy;
use shared_checkout::web::LocalhostResolver;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

/// The binary cargo built for these tests; `SHARED_CHECKOUT_BIN` names another copy (when
/// several checkouts share one target directory, the built binary may be replaced).
pub fn binary() -> String {
    std::env::var("SHARED_CHECKOUT_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_shared-checkout").to_owned())
}

/// The binary on `data_dir`, with no `DATABASE_URL` taken from the environment.
pub fn command(data_dir: &Path) -> Command {
    let mut command = Command::new(binary());
    command
        .args(["--data-dir", data_dir.to_str().unwrap()])
        .env_remove("DATABASE_URL");
    command
}

/// A client with a cookie store that follows no redirect by itself.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .dns_resolver(Arc::new(LocalhostResolver))
        .build()
        .expect("HTTP client")
}

/// `shared-checkout demo`, killed when dropped.
pub struct Demo {
    pub child: Child,
    port: u16,
    /// The operations listener's port, when `operations.metrics_listen` is set.
    metrics_port: Option<u16>,
    /// Readers of what the demo prints after its URLs, on stdout and stderr.
    output: Vec<tokio::task::JoinHandle<String>>,
}

impl Demo {
    /// Starts `shared-checkout demo` on `data_dir` and a free port, with extra environment.
    pub async fn start(data_dir: &Path, env: &[(&str, &str)]) -> Self {
        let mut command = command(data_dir);
        command
            .args(["demo", "--listen", "127.0.0.1:0"])
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("demo starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (port, metrics_port) = tokio::time::timeout(Duration::from_secs(60), async {
            let (mut port, mut metrics_port) = (None, None);
            while let Some(line) = lines.next_line().await.expect("demo output") {
                assert!(!line.contains('\u{1b}'), "colour codes in a pipe: {line:?}");
                if let Some(rest) = line.split("http://site1.localhost:").nth(1) {
                    port = Some(rest.trim_end_matches('/').parse::<u16>().expect("port"));
                }
                if let Some(rest) = line.strip_prefix("Metrics: http://127.0.0.1:") {
                    let rest = rest.trim_end_matches("/metrics");
                    metrics_port = Some(rest.parse::<u16>().expect("metrics port"));
                }
                // The welcome's last line.
                if line.contains("Ctrl-C stops") {
                    return (port.expect("the demo printed site1's URL"), metrics_port);
                }
            }
            panic!("demo ended without printing its welcome");
        })
        .await
        .expect("demo prints its URLs within a minute");
        // Keep draining both pipes so the demo never blocks on a full one.
        let stdout = tokio::spawn(async move {
            let mut all = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = tokio::spawn(async move {
            let mut all = String::new();
            let _ = stderr.read_to_string(&mut all).await;
            all
        });
        Self {
            child,
            port,
            metrics_port,
            output: vec![stdout, stderr],
        }
    }

    pub fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}.localhost:{}{path}", self.port)
    }

    /// The port `/metrics` is served on, when the demo was given a metrics listener.
    #[allow(
        dead_code,
        reason = "not every test crate that includes this file scrapes metrics"
    )]
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// Kills the demo; returns everything it printed after its URLs.
    pub async fn stop(mut self) -> String {
        self.child.kill().await.expect("the demo stops");
        let mut output = String::new();
        for reader in self.output.drain(..) {
            output.push_str(&reader.await.expect("the output reader"));
        }
        output
    }
}

/// `shared-checkout serve`, killed when dropped.
#[allow(
    dead_code,
    reason = "not every test crate that includes this file runs serve"
)]
pub struct Serve {
    pub child: Child,
    port: u16,
    /// The operations listener's port, when `operations.metrics_listen` is set.
    metrics_port: Option<u16>,
    /// What it printed on stdout up to and including its `listening` log line.
    startup: String,
    /// Readers of what it prints after that, on stdout and stderr.
    output: Vec<tokio::task::JoinHandle<String>>,
}

#[allow(
    dead_code,
    reason = "not every test crate that includes this file runs serve"
)]
impl Serve {
    /// Starts `shared-checkout serve --config FILE --listen 127.0.0.1:0` on `data_dir`, with
    /// extra arguments (e.g. `--role store`) and environment, and waits until it listens.
    /// Its logs may be JSON or pretty: the port is read from the `listening` line either way.
    pub async fn start(
        data_dir: &Path,
        config: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        Self::start_on(data_dir, config, "127.0.0.1:0", args, env).await
    }

    /// As `start`, listening on `listen` (e.g. a port chosen beforehand that the
    /// configuration's public URLs name).
    pub async fn start_on(
        data_dir: &Path,
        config: &Path,
        listen: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Self {
        Self::try_start_on(data_dir, config, listen, args, env)
            .await
            .unwrap_or_else(|failure| panic!("serve ended without listening:\n{failure}"))
    }

    /// As `start_on`; a serve that exits before listening is an error holding what it
    /// printed (e.g. the port was taken by another process meanwhile).
    pub async fn try_start_on(
        data_dir: &Path,
        config: &Path,
        listen: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Self, String> {
        let mut command = command(data_dir);
        command
            .args(["--config", config.to_str().unwrap()])
            .args(["serve", "--listen", listen])
            .args(args)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("serve starts");
        // Drained from the start: a failing serve explains itself here.
        let mut stderr = child.stderr.take().unwrap();
        let stderr = tokio::spawn(async move {
            let mut all = String::new();
            let _ = stderr.read_to_string(&mut all).await;
            all
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut startup = String::new();
        let listening = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.expect("serve output") {
                startup.push_str(&line);
                startup.push('\n');
                if let Some(ports) = listening_ports(&line) {
                    return Some(ports);
                }
            }
            None
        })
        .await
        .expect("serve listens within a minute");
        let Some((port, metrics_port)) = listening else {
            let stderr = stderr.await.unwrap_or_default();
            return Err(format!("{startup}{stderr}"));
        };
        let stdout = tokio::spawn(async move {
            let mut all = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        Ok(Self {
            child,
            port,
            metrics_port,
            startup,
            output: vec![stdout, stderr],
        })
    }

    /// `http://{host}.localhost:{port}{path}`.
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}.localhost:{}{path}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` is served on, when `operations.metrics_listen` is set (port 0
    /// there lets the node pick a free one).
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// What it printed on stdout up to and including its `listening` line.
    pub fn startup(&self) -> &str {
        &self.startup
    }

    /// Kills the server; returns everything it printed after starting up, and on stderr.
    pub async fn stop(mut self) -> String {
        self.child.kill().await.expect("serve stops");
        self.printed().await
    }

    /// Waits up to `within` for the server to exit by itself, and kills it if it has not;
    /// returns how it exited (`None`: it had to be killed) and everything it printed after
    /// starting up, and on stderr.
    pub async fn exit_within(
        mut self,
        within: Duration,
    ) -> (Option<std::process::ExitStatus>, String) {
        let exited = match tokio::time::timeout(within, self.child.wait()).await {
            Ok(status) => Some(status.expect("waiting for serve")),
            Err(_) => {
                self.child.kill().await.expect("serve stops");
                None
            }
        };
        (exited, self.printed().await)
    }

    async fn printed(&mut self) -> String {
        let mut output = String::new();
        for reader in self.output.drain(..) {
            output.push_str(&reader.await.expect("the output reader"));
        }
        output
    }
}

/// The ports of a `listening` log line, JSON (`fields.port`, `fields.metrics_port`) or
/// pretty (`port=…`, `metrics_port=…`): the public one and, when there is one, the
/// operations listener's.
fn listening_ports(line: &str) -> Option<(u16, Option<u16>)> {
    let field = |value: &serde_json::Value| value.as_u64().and_then(|p| u16::try_from(p).ok());
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(line) {
        if json["fields"]["message"] != "listening" {
            return None;
        }
        let fields = &json["fields"];
        return field(&fields["port"]).map(|port| (port, field(&fields["metrics_port"])));
    }
    assert!(!line.contains('\u{1b}'), "colour codes in a pipe: {line:?}");
    if !line.contains(" listening ") {
        return None;
    }
    let word = |name: &str| {
        line.split_whitespace()
            .find_map(|word| word.strip_prefix(name))
            .and_then(|port| port.parse().ok())
    };
    word("port=").map(|port| (port, word("metrics_port=")))
}
