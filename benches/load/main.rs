//! The load benchmark: the real server binary beside its peers, one command.
//!
//! `cargo bench --bench load [-- --flows 1000 --logins 100 --clients 1,4 --orders 300
//! --order-clients 8 --pgbench-seconds 10 --no-postgres --no-peer]`
//!
//! Starts `shared-checkout demo` on a fresh SQLite file, then on a fresh PostgreSQL database
//! (`TEST_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/test, when reachable),
//! drives it over loopback HTTP and prints one table: the single-sign-on handoff of a
//! shopper already logged in, the same through the password form, and guest orders through
//! the JSON API. The peers run in the same command: node-oidc-provider
//! (tests/oidc-provider/bench-server.js) under the same handoff driver, and pgbench's
//! simple-update on the same PostgreSQL. CPU is read from `/proc` for the server (and the
//! database's processes), never the driver's. Method and figures: docs/benchmarks.md.

mod oidc;
mod orders;
mod procs;
mod report;

use std::collections::HashSet;
use std::future::Future;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use sqlx::Connection;

use crate::oidc::{Provider, Session};
use crate::procs::{PostgresCpu, Running};

const STORE: &str = "site1";
const CLIENT_ID: &str = "bench-rp";
const REDIRECT_URI: &str = "https://rp.bench.example/callback";
const DEMO_EMAIL: &str = "alice@example.com";
const DEMO_PASSWORD: &str = "correct horse battery staple";
const PEER_EMAIL: &str = "ada@example.com";
const PEER_PASSWORD: &str = "correct horse";
/// The row of requests that reach no handler work.
const BARE: &str = "bare request";

struct Options {
    flows: usize,
    logins: usize,
    clients: Vec<usize>,
    orders: usize,
    order_clients: usize,
    pgbench_seconds: u32,
    argon2_hashes: usize,
    postgres: Option<String>,
    peer: bool,
    /// `RUST_LOG` for our server; its log is then kept in `target/load-server-<backend>.log`.
    server_log: Option<String>,
}

impl Options {
    fn parse() -> anyhow::Result<Self> {
        let mut options = Self {
            flows: 1000,
            logins: 100,
            clients: vec![1, 4],
            orders: 300,
            order_clients: 8,
            pgbench_seconds: 10,
            argon2_hashes: 20,
            postgres: Some(
                std::env::var("TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned()),
            ),
            peer: true,
            server_log: None,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
            match arg.as_str() {
                // Cargo passes `--bench` to every bench binary.
                "--bench" => {}
                "--flows" => options.flows = value()?.parse()?,
                "--logins" => options.logins = value()?.parse()?,
                "--clients" => {
                    options.clients = value()?
                        .split(',')
                        .map(str::parse)
                        .collect::<Result<_, _>>()?
                }
                "--orders" => options.orders = value()?.parse()?,
                "--order-clients" => options.order_clients = value()?.parse()?,
                "--pgbench-seconds" => options.pgbench_seconds = value()?.parse()?,
                "--argon2-hashes" => options.argon2_hashes = value()?.parse()?,
                "--no-postgres" => options.postgres = None,
                "--no-peer" => options.peer = false,
                "--server-log" => options.server_log = Some(value()?),
                other => bail!(
                    "unknown option {other}; options: --flows N --logins N --clients 1,4 \
                     --orders N --order-clients N --pgbench-seconds S --argon2-hashes N \
                     --no-postgres --no-peer --server-log FILTER"
                ),
            }
        }
        ensure!(
            options.clients.iter().all(|&c| c > 0) && options.order_clients > 0,
            "client counts must be positive"
        );
        Ok(options)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// One measured row of the table.
struct Row {
    what: &'static str,
    server: String,
    clients: usize,
    ops: usize,
    seconds: f64,
    /// Sorted.
    latencies: Vec<Duration>,
    server_cpu: f64,
    database_cpu: Option<f64>,
    peak_mib: f64,
    rss_mib: f64,
}

impl Row {
    fn per_second(&self) -> f64 {
        self.ops as f64 / self.seconds
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        let rank = ((self.latencies.len() as f64 * p).ceil() as usize).max(1) - 1;
        self.latencies[rank].as_secs_f64() * 1e3
    }

    fn server_cpu_ms(&self) -> f64 {
        self.server_cpu / self.ops as f64 * 1e3
    }

    fn database_cpu_ms(&self) -> Option<f64> {
        self.database_cpu.map(|cpu| cpu / self.ops as f64 * 1e3)
    }

    fn total_cpu_ms(&self) -> f64 {
        self.server_cpu_ms() + self.database_cpu_ms().unwrap_or(0.0)
    }
}

/// The process under load and, with PostgreSQL, its database.
struct Target<'a> {
    server: String,
    pid: u32,
    database: Option<&'a str>,
}

impl Target<'_> {
    /// Runs `total` operations with one task per worker and reads the server's CPU and
    /// memory around them.
    async fn measure<S, F, Fut>(
        &self,
        what: &'static str,
        workers: Vec<Arc<S>>,
        total: usize,
        op: F,
    ) -> anyhow::Result<Row>
    where
        S: Send + Sync + 'static,
        F: Fn(Arc<S>, usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send,
    {
        let clients = workers.len();
        let op = Arc::new(op);
        let next = Arc::new(AtomicUsize::new(0));
        let latencies = Arc::new(Mutex::new(Vec::with_capacity(total)));
        let database_before = self.database.map(PostgresCpu::sample);
        let cpu_before = procs::cpu_seconds(self.pid)?;
        let started = Instant::now();
        let tasks: Vec<_> = workers
            .into_iter()
            .map(|worker| {
                let (op, next, latencies) = (op.clone(), next.clone(), latencies.clone());
                tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= total {
                            return anyhow::Ok(());
                        }
                        let start = Instant::now();
                        op(worker.clone(), i).await?;
                        latencies.lock().unwrap().push(start.elapsed());
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await??;
        }
        let seconds = started.elapsed().as_secs_f64();
        let server_cpu = procs::cpu_seconds(self.pid)? - cpu_before;
        let database_cpu = match (self.database, &database_before) {
            (Some(name), Some(before)) => Some(before.since(&PostgresCpu::sample(name))),
            _ => None,
        };
        let (peak_mib, rss_mib) = procs::memory_mib(self.pid)?;
        let mut latencies = std::mem::take(&mut *latencies.lock().unwrap());
        latencies.sort();
        Ok(Row {
            what,
            server: self.server.clone(),
            clients,
            ops: total,
            seconds,
            latencies,
            server_cpu,
            database_cpu,
            peak_mib,
            rss_mib,
        })
    }
}

/// The handoff of a shopper already logged in: each client logs in once, untimed.
async fn handoff_rows(
    target: &Target<'_>,
    provider: &Arc<Provider>,
    options: &Options,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for &clients in &options.clients {
        let mut workers = Vec::new();
        for _ in 0..clients {
            let client = oidc::Client::new();
            client
                .flow(provider, Session::LogIn)
                .await
                .context("logging the shopper in")?;
            workers.push(Arc::new(client));
        }
        let provider = provider.clone();
        rows.push(
            target
                .measure("handoff", workers, options.flows, move |client, _| {
                    let provider = provider.clone();
                    async move { client.flow(&provider, Session::Existing).await }
                })
                .await?,
        );
    }
    Ok(rows)
}

/// `GET /healthz`, which answers from no state, with the most clients the handoff uses and
/// three requests per handoff flow: what a request costs the server before any handler
/// work, the floor under the handoff's three.
async fn bare_row(target: &Target<'_>, ours: &Ours, options: &Options) -> anyhow::Result<Row> {
    let clients = options.clients.iter().copied().max().unwrap_or(1);
    let url = Arc::new(format!("{}/healthz", ours.store_url));
    let workers = (0..clients)
        .map(|_| Arc::new(oidc::back_channel()))
        .collect();
    target
        .measure(BARE, workers, options.flows * 3, move |http, _| {
            let url = url.clone();
            async move {
                let response = http.get(url.as_str()).send().await?;
                ensure!(
                    response.status().is_success(),
                    "/healthz: {}",
                    response.status()
                );
                response.bytes().await?;
                Ok(())
            }
        })
        .await
}

/// The same flow from a browser with no session: the login form every time.
async fn login_rows(
    target: &Target<'_>,
    provider: &Arc<Provider>,
    options: &Options,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for &clients in &options.clients {
        let provider = provider.clone();
        let workers = (0..clients).map(|_| Arc::new(())).collect();
        rows.push(
            target
                .measure("login", workers, options.logins, move |_, _| {
                    let provider = provider.clone();
                    async move { oidc::Client::new().flow(&provider, Session::LogIn).await }
                })
                .await?,
        );
    }
    Ok(rows)
}

/// What the place-order row found besides its figures.
#[derive(Default)]
struct OrderCheck {
    placed: usize,
    distinct: usize,
    polled: usize,
}

async fn order_row(
    target: &Target<'_>,
    ours: &Ours,
    options: &Options,
) -> anyhow::Result<(Row, OrderCheck)> {
    let baskets = prepare_baskets(&ours.store_url, options.orders, options.order_clients).await?;
    let storefront = Arc::new(orders::Storefront::new(
        &ours.checkout_url,
        STORE,
        &ours.api_key,
    ));
    let placed = Arc::new(Mutex::new(Vec::new()));
    let workers = (0..options.order_clients)
        .map(|_| storefront.clone())
        .collect();
    let (baskets, results) = (Arc::new(baskets), placed.clone());
    let row = target
        .measure(
            "place order",
            workers,
            options.orders,
            move |storefront, i| {
                let (baskets, results) = (baskets.clone(), results.clone());
                async move {
                    let placed = storefront.place_order(&baskets[i]).await?;
                    results.lock().unwrap().push(placed);
                    Ok(())
                }
            },
        )
        .await?;
    let placed = std::mem::take(&mut *placed.lock().unwrap());
    let check = OrderCheck {
        placed: placed.len(),
        distinct: placed.iter().map(|(n, _)| n).collect::<HashSet<_>>().len(),
        polled: placed.iter().filter(|(_, polled)| *polled).count(),
    };
    Ok((row, check))
}

/// `count` filled baskets, made by `clients` shoppers at once.
async fn prepare_baskets(
    store_url: &str,
    count: usize,
    clients: usize,
) -> anyhow::Result<Vec<String>> {
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (next, store_url) = (next.clone(), store_url.to_owned());
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while next.fetch_add(1, Ordering::Relaxed) < count {
                    mine.push(orders::fill_basket(&store_url).await?);
                }
                anyhow::Ok(mine)
            })
        })
        .collect();
    let mut baskets = Vec::with_capacity(count);
    for task in tasks {
        baskets.extend(task.await??);
    }
    Ok(baskets)
}

/// A fresh PostgreSQL database, dropped (with its connections) when done.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create(admin_url: &str, prefix: &str) -> anyhow::Result<Self> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut admin = admin(admin_url).await?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await?;
        let mut url = url::Url::parse(admin_url)?;
        url.set_path(&name);
        Ok(Self {
            admin_url: admin_url.to_owned(),
            name,
            url: url.to_string(),
        })
    }

    async fn drop_database(self) -> anyhow::Result<()> {
        let mut admin = admin(&self.admin_url).await?;
        sqlx::query(&format!("DROP DATABASE \"{}\" WITH (FORCE)", self.name))
            .execute(&mut admin)
            .await?;
        Ok(())
    }
}

async fn admin(url: &str) -> anyhow::Result<sqlx::PgConnection> {
    tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(url))
        .await
        .context("timed out")?
        .with_context(|| format!("connecting to {url}"))
}

/// Our server, started from the binary with the demo configuration.
struct Ours {
    process: Running,
    store_url: String,
    checkout_url: String,
    api_key: String,
    idle_rss_mib: f64,
}

const BINARY: &str = env!("CARGO_BIN_EXE_shared-checkout");

/// The binary with the data directory and database given, and nothing from the caller's
/// environment that would point it elsewhere.
fn binary(data_dir: &Path, database_url: Option<&str>) -> Command {
    let mut command = Command::new(BINARY);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("SHARED_CHECKOUT_") || name == "DATABASE_URL" || name == "RUST_LOG" {
            command.env_remove(&*name);
        }
    }
    command.arg("--data-dir").arg(data_dir);
    if let Some(url) = database_url {
        command.args(["--database-url", url]);
    }
    command
}

/// Runs a set-up command of the binary and returns its standard output.
fn run_binary(mut command: Command) -> anyhow::Result<String> {
    let output = command.output().context("running the server binary")?;
    ensure!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?)
}

impl Ours {
    /// Registers the bench client and an API key, then starts `demo` and waits for it.
    async fn start(
        dir: &Path,
        database_url: Option<&str>,
        secret: &str,
        server_log: Option<&str>,
    ) -> anyhow::Result<Self> {
        let data_dir = dir.join("data");
        let mut add = binary(&data_dir, database_url);
        add.args([
            "client",
            "add",
            "--store",
            STORE,
            "--id",
            CLIENT_ID,
            "--redirect-uri",
            REDIRECT_URI,
            "--secret",
            secret,
            "--id-token-alg",
            "ES256",
        ]);
        run_binary(add)?;
        let mut create = binary(&data_dir, database_url);
        create.args(["api-key", "create", "--store", STORE, "--name", "bench"]);
        let api_key = run_binary(create)?
            .lines()
            .nth(1)
            .context("api-key create prints the key on its second line")?
            .to_owned();

        let port = procs::free_port()?;
        let mut demo = binary(&data_dir, database_url);
        demo.args(["demo", "--listen", &format!("127.0.0.1:{port}")]);
        if let Some(filter) = server_log {
            demo.env("RUST_LOG", filter);
        }
        let mut process = procs::spawn("shared-checkout demo", demo, &dir.join("server.log"))?;
        procs::wait_healthy(
            &mut process,
            &oidc::back_channel(),
            &format!("http://127.0.0.1:{port}/healthz"),
        )
        .await?;
        let (_, idle_rss_mib) = procs::memory_mib(process.pid())?;
        Ok(Self {
            process,
            store_url: format!("http://{STORE}.localhost:{port}"),
            checkout_url: format!("http://checkout.localhost:{port}"),
            api_key,
            idle_rss_mib,
        })
    }
}

/// Everything measured against one of our backends.
struct OursReport {
    backend: Backend,
    idle_rss_mib: f64,
    rows: Vec<Row>,
    orders: OrderCheck,
}

async fn bench_ours(
    backend: Backend,
    options: &Options,
    database: Option<&PgDatabase>,
) -> anyhow::Result<OursReport> {
    let dir = tempfile::tempdir()?;
    let secret = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let ours = Ours::start(
        dir.path(),
        database.map(|d| d.url.as_str()),
        &secret,
        options.server_log.as_deref(),
    )
    .await?;
    let label = format!("ours, {backend}");
    eprintln!("{label}: started (pid {})", ours.process.pid());
    let target = Target {
        server: label.clone(),
        pid: ours.process.pid(),
        database: database.map(|d| d.name.as_str()),
    };
    let provider = Arc::new(
        Provider::discover(
            &ours.store_url,
            CLIENT_ID,
            &secret,
            REDIRECT_URI,
            (DEMO_EMAIL, DEMO_PASSWORD),
        )
        .await?,
    );
    let mut rows = handoff_rows(&target, &provider, options).await?;
    eprintln!("{label}: handoff done");
    rows.push(bare_row(&target, &ours, options).await?);
    eprintln!("{label}: bare requests done");
    rows.extend(login_rows(&target, &provider, options).await?);
    eprintln!("{label}: login done");
    let (order, check) = order_row(&target, &ours, options).await?;
    rows.push(order);
    eprintln!("{label}: place order done");
    if options.server_log.is_some() {
        let kept = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join(format!("load-server-{backend}.log"));
        std::fs::copy(&ours.process.log, &kept).context("keeping the server's log")?;
        eprintln!("{label}: server log in {}", kept.display());
    }
    Ok(OursReport {
        backend,
        idle_rss_mib: ours.idle_rss_mib,
        rows,
        orders: check,
    })
}

/// node-oidc-provider under the same handoff driver.
async fn bench_peer(options: &Options) -> anyhow::Result<(Vec<Row>, f64)> {
    let dir = tempfile::tempdir()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-provider/bench-server.js");
    ensure!(
        script.with_file_name("node_modules/oidc-provider").exists(),
        "oidc-provider is not installed: run `npm ci` in tests/oidc-provider"
    );
    let port = procs::free_port()?;
    let secret = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let mut node = Command::new("node");
    node.arg(&script)
        .env("PORT", port.to_string())
        .env("REDIRECT_URI", REDIRECT_URI)
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", &secret);
    let (process, line) = procs::spawn_announcing(
        "oidc-provider",
        node,
        &dir.path().join("peer.log"),
        Duration::from_secs(60),
    )?;
    let announced: serde_json::Value =
        serde_json::from_str(&line).with_context(|| format!("the peer announced {line:?}"))?;
    let issuer = announced["issuer"].as_str().context("issuer")?;
    let (_, idle_rss_mib) = procs::memory_mib(process.pid())?;
    let provider = Arc::new(
        Provider::discover(
            issuer,
            CLIENT_ID,
            &secret,
            REDIRECT_URI,
            (PEER_EMAIL, PEER_PASSWORD),
        )
        .await?,
    );
    let target = Target {
        server: "oidc-provider (Node)".to_owned(),
        pid: process.pid(),
        database: None,
    };
    let rows = handoff_rows(&target, &provider, options).await?;
    eprintln!("oidc-provider: handoff done");
    Ok((rows, idle_rss_mib))
}

/// pgbench's simple-update on a fresh database of the same PostgreSQL.
struct Pgbench {
    tps: f64,
    database_cpu_ms: f64,
}

async fn bench_pgbench(admin_url: &str, options: &Options) -> anyhow::Result<Option<Pgbench>> {
    if Command::new("pgbench").arg("--version").output().is_err() {
        return Ok(None);
    }
    let database = PgDatabase::create(admin_url, "bench_pgbench").await?;
    let result = run_pgbench(&database, options).await;
    database.drop_database().await?;
    result.map(Some)
}

async fn run_pgbench(database: &PgDatabase, options: &Options) -> anyhow::Result<Pgbench> {
    let init = Command::new("pgbench")
        .args(["-i", "-q", &database.url])
        .output()?;
    ensure!(
        init.status.success(),
        "pgbench -i: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let before = PostgresCpu::sample(&database.name);
    let mut pgbench = Command::new("pgbench")
        .args(["-b", "simple-update", "-c", "8", "-T"])
        .arg(options.pgbench_seconds.to_string())
        .arg(&database.url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    // pgbench's backends exit with it: their CPU is read while they still run.
    let mut during = PostgresCpu::sample(&database.name);
    while pgbench.try_wait()?.is_none() {
        tokio::time::sleep(Duration::from_millis(50)).await;
        during.update(PostgresCpu::sample(&database.name));
    }
    let run = pgbench.wait_with_output()?;
    let database_cpu = before.since(&during);
    let out = String::from_utf8_lossy(&run.stdout);
    ensure!(
        run.status.success(),
        "pgbench: {out}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let number = |prefix: &str| -> anyhow::Result<f64> {
        let line = out
            .lines()
            .find(|l| l.starts_with(prefix))
            .with_context(|| format!("no `{prefix}` in pgbench's output: {out}"))?;
        let value = line[prefix.len()..].split_whitespace().next().unwrap_or("");
        value.parse().with_context(|| format!("pgbench: {line}"))
    };
    let transactions = number("number of transactions actually processed:")?;
    Ok(Pgbench {
        tps: number("tps =")?,
        database_cpu_ms: database_cpu / transactions * 1e3,
    })
}

/// Argon2id with the server's parameters (OWASP: 19 MiB, t=2, p=1), one hash at a time in
/// the driver: (CPU ms per hash, median wall ms).
fn argon2_cost(hashes: usize) -> anyhow::Result<(f64, f64)> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(anyhow::Error::msg)?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut memory = vec![Block::default(); params.block_count()];
    let mut output = [0u8; 32];
    let salt: [u8; 16] = rand::random();
    let mut walls = Vec::with_capacity(hashes);
    let cpu_before = procs::thread_cpu_seconds()?;
    for _ in 0..hashes.max(1) {
        let start = Instant::now();
        argon2
            .hash_password_into_with_memory(
                DEMO_PASSWORD.as_bytes(),
                &salt,
                &mut output,
                &mut memory,
            )
            .map_err(anyhow::Error::msg)?;
        walls.push(start.elapsed());
    }
    let cpu = procs::thread_cpu_seconds()? - cpu_before;
    walls.sort();
    Ok((
        cpu / walls.len() as f64 * 1e3,
        walls[walls.len() / 2].as_secs_f64() * 1e3,
    ))
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse()?;
    eprintln!("argon2: {} hashes", options.argon2_hashes);
    let argon2 = argon2_cost(options.argon2_hashes)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut ours = vec![bench_ours(Backend::Sqlite, &options, None).await?];
        let mut skipped_postgres = None;
        let mut pgbench = Err("no PostgreSQL".to_owned());
        if let Some(admin_url) = &options.postgres {
            match PgDatabase::create(admin_url, "bench").await {
                Ok(database) => {
                    let result = bench_ours(Backend::Postgres, &options, Some(&database)).await;
                    database.drop_database().await?;
                    ours.push(result?);
                    pgbench = bench_pgbench(admin_url, &options)
                        .await
                        .map_err(|e| format!("{e:#}"));
                }
                Err(e) => skipped_postgres = Some(format!("{e:#}")),
            }
        } else {
            skipped_postgres = Some("--no-postgres".to_owned());
        }
        let peer = if options.peer {
            bench_peer(&options).await.map_err(|e| format!("{e:#}"))
        } else {
            Err("--no-peer".to_owned())
        };
        report::print(&options, argon2, &ours, &peer, &pgbench, &skipped_postgres);
        Ok(())
    })
}
