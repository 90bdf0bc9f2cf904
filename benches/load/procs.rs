//! The processes under test: the server binary, the peer provider, and what `/proc` says
//! about their CPU time and memory.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Clock ticks per second of `/proc/*/stat` times (USER_HZ, 100 on Linux everywhere).
const TICKS_PER_SECOND: f64 = 100.0;

/// A free port on loopback: bound, read and released for the child to take.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// A child process stopped with SIGTERM (then killed) when dropped.
pub struct Running {
    pub child: Child,
    pub name: &'static str,
    pub log: std::path::PathBuf,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines of its output, for an error message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Fails with the process's output when it has exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} exited ({status}):\n{}", self.name, self.log_tail());
        }
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` with its stdout and stderr in `log`.
pub fn spawn(name: &'static str, mut command: Command, log: &Path) -> anyhow::Result<Running> {
    let out = std::fs::File::create(log).context("creating a log file")?;
    let child = command
        .stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    Ok(Running {
        child,
        name,
        log: log.to_owned(),
    })
}

/// Starts `command` and waits for its first line on stdout (a process that announces
/// readiness); stderr goes to `log`.
pub fn spawn_announcing(
    name: &'static str,
    mut command: Command,
    log: &Path,
    timeout: Duration,
) -> anyhow::Result<(Running, String)> {
    let err = std::fs::File::create(log).context("creating a log file")?;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(err)
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    let stdout = child.stdout.take().context("child stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next());
        // Keep draining so the child never blocks on a full pipe.
        for _ in lines {}
    });
    let running = Running {
        child,
        name,
        log: log.to_owned(),
    };
    match rx.recv_timeout(timeout) {
        Ok(Some(Ok(line))) => Ok((running, line)),
        _ => bail!(
            "{name} did not announce itself within {timeout:?}:\n{}",
            running.log_tail()
        ),
    }
}

/// Waits until `url` answers 200.
pub async fn wait_healthy(
    process: &mut Running,
    http: &reqwest::Client,
    url: &str,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        process.check_alive()?;
        if let Ok(response) = http.get(url).send().await
            && response.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{url} not healthy after 120 s:\n{}", process.log_tail());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// User plus system CPU time a process has used so far, in seconds.
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    stat_cpu_seconds(&stat).with_context(|| format!("parsing /proc/{pid}/stat"))
}

/// The calling thread's CPU time so far, in seconds.
pub fn thread_cpu_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat")?;
    stat_cpu_seconds(&stat).context("parsing /proc/thread-self/stat")
}

/// utime + stime (fields 14 and 15) of a `/proc/…/stat` line. The command name (field 2)
/// may hold spaces, so fields are counted after its closing parenthesis.
fn stat_cpu_seconds(stat: &str) -> Option<f64> {
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / TICKS_PER_SECOND)
}

fn stat_parent(stat: &str) -> Option<u32> {
    stat[stat.rfind(')')? + 2..].split(' ').nth(1)?.parse().ok()
}

/// Resident memory from `/proc/PID/status`: (peak, now), in MiB.
pub fn memory_mib(pid: u32) -> anyhow::Result<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    };
    Ok((
        field("VmHWM:").context("VmHWM")?,
        field("VmRSS:").context("VmRSS")?,
    ))
}

/// CPU seconds of the PostgreSQL processes working for one database: the children of the
/// postmaster, minus the backends of other databases (the server is shared). Backends come
/// and go, so the figure is kept per pid and differences are taken per pid.
#[derive(Debug, Default)]
pub struct PostgresCpu(HashMap<u32, f64>);

impl PostgresCpu {
    pub fn sample(database: &str) -> Self {
        let mut stats = HashMap::new();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Self::default();
        };
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            if !stat.contains("(postgres)") {
                continue;
            }
            let Some(cpu) = stat_cpu_seconds(&stat) else {
                continue;
            };
            stats.insert(pid, (stat_parent(&stat), cpu));
        }
        let is_postmaster = |pid: &u32| {
            stats
                .get(pid)
                .is_some_and(|(parent, _)| parent.is_none_or(|p| !stats.contains_key(&p)))
        };
        let mut ours = HashMap::new();
        for (pid, (parent, cpu)) in &stats {
            if !parent.is_some_and(|p| is_postmaster(&p)) {
                continue;
            }
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline);
            if serves_another_database(&cmdline, database) {
                continue;
            }
            ours.insert(*pid, *cpu);
        }
        Self(ours)
    }

    /// Takes `later`'s figures, keeping those of processes that have exited since.
    pub fn update(&mut self, later: PostgresCpu) {
        self.0.extend(later.0);
    }

    /// CPU seconds used between `self` and `later`.
    pub fn since(&self, later: &PostgresCpu) -> f64 {
        later
            .0
            .iter()
            .map(|(pid, cpu)| cpu - self.0.get(pid).copied().unwrap_or(0.0))
            .sum()
    }
}

/// A backend's title is `postgres: [cluster: ]USER DATABASE HOST(PORT) STATE`; auxiliary
/// processes (checkpointer, WAL writer, …) name no client address.
fn serves_another_database(title: &str, database: &str) -> bool {
    let is_backend =
        title.contains("127.0.0.1(") || title.contains("[local]") || title.contains("::1(");
    is_backend && !title.split_whitespace().any(|word| word == database)
}
