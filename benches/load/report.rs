//! The printed report: one table of every row, then the peer ratios, the handoff's floor
//! of bare requests, the login's remainder next to argon2, and the orders beside pgbench.

use crate::{BARE, BINARY, Backend, Options, OursReport, Pgbench, Row};

fn print_rows(rows: &[&Row]) {
    println!(
        "| {:<12} | {:<20} | {:>7} | {:>5} | {:>8} | {:>7} | {:>7} | {:>13} | {:>10} | {:>8} | {:>8} |",
        "row",
        "server",
        "clients",
        "ops",
        "ops/s",
        "p50 ms",
        "p99 ms",
        "server CPU/op",
        "DB CPU/op",
        "peak MiB",
        "RSS MiB"
    );
    println!(
        "|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|",
        "-".repeat(14),
        "-".repeat(22),
        "-".repeat(9),
        "-".repeat(7),
        "-".repeat(10),
        "-".repeat(9),
        "-".repeat(9),
        "-".repeat(15),
        "-".repeat(12),
        "-".repeat(10),
        "-".repeat(10)
    );
    for row in rows {
        let database = row
            .database_cpu_ms()
            .map_or_else(|| "-".to_owned(), |ms| format!("{ms:.2} ms"));
        println!(
            "| {:<12} | {:<20} | {:>7} | {:>5} | {:>8.1} | {:>7.2} | {:>7.2} | {:>10.2} ms | {:>10} | {:>8.1} | {:>8.1} |",
            row.what,
            row.server,
            row.clients,
            row.ops,
            row.per_second(),
            row.percentile_ms(0.50),
            row.percentile_ms(0.99),
            row.server_cpu_ms(),
            database,
            row.peak_mib,
            row.rss_mib
        );
    }
}

fn find<'a>(rows: &'a [Row], what: &str, clients: usize) -> Option<&'a Row> {
    rows.iter().find(|r| r.what == what && r.clients == clients)
}

pub fn print(
    options: &Options,
    argon2: (f64, f64),
    ours: &[OursReport],
    peer: &Result<(Vec<Row>, f64), String>,
    pgbench: &Result<Option<Pgbench>, String>,
    skipped_postgres: &Option<String>,
) {
    println!();
    println!(
        "Load benchmark: {} handoffs, {} logins, {} orders ({} clients); {} cores; server {}",
        options.flows,
        options.logins,
        options.orders,
        options.order_clients,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        BINARY
    );
    println!();
    let mut rows: Vec<&Row> = ours.iter().flat_map(|o| o.rows.iter()).collect();
    if let Ok((peer_rows, _)) = peer {
        rows.extend(peer_rows.iter());
    }
    rows.sort_by_key(|r| match r.what {
        "handoff" => 0,
        BARE => 1,
        "login" => 2,
        _ => 3,
    });
    print_rows(&rows);
    println!();
    for report in ours {
        println!(
            "{} server: {:.1} MiB resident when idle after start",
            report.backend, report.idle_rss_mib
        );
    }
    match peer {
        Ok((_, idle)) => println!("oidc-provider: {idle:.1} MiB resident when idle after start"),
        Err(e) => println!("oidc-provider: not run: {e}"),
    }
    println!();

    if let Ok((peer_rows, _)) = peer {
        println!("Handoff, peer/ours (above 1: the peer costs more, or is faster):");
        for report in ours {
            for &clients in &options.clients {
                let (Some(o), Some(p)) = (
                    find(&report.rows, "handoff", clients),
                    find(peer_rows, "handoff", clients),
                ) else {
                    continue;
                };
                println!(
                    "  {}, {clients} client(s): CPU per flow {:.2}x ({:.2} / {:.2} ms), flows/s {:.2}x ({:.0} / {:.0})",
                    report.backend,
                    p.total_cpu_ms() / o.total_cpu_ms(),
                    p.total_cpu_ms(),
                    o.total_cpu_ms(),
                    p.per_second() / o.per_second(),
                    p.per_second(),
                    o.per_second()
                );
            }
        }
        println!();
    }

    println!(
        "Handoff's floor: its three requests' share of the server's CPU per flow, as bare requests:"
    );
    for report in ours {
        let Some(bare) = report.rows.iter().find(|r| r.what == BARE) else {
            continue;
        };
        if let Some(handoff) = find(&report.rows, "handoff", bare.clients) {
            println!(
                "  {}, {} client(s): 3 x {:.3} ms = {:.2} ms of {:.2} ms",
                report.backend,
                bare.clients,
                bare.server_cpu_ms(),
                3.0 * bare.server_cpu_ms(),
                handoff.server_cpu_ms()
            );
        }
    }
    println!();

    let (argon2_cpu, argon2_wall) = argon2;
    println!(
        "argon2id 19 MiB, t=2, p=1, in the driver: {argon2_cpu:.1} ms CPU per hash (median {argon2_wall:.1} ms)"
    );
    for report in ours {
        for &clients in &options.clients {
            if let Some(login) = find(&report.rows, "login", clients) {
                let rest = login.total_cpu_ms() - argon2_cpu;
                // Two readings in ticks of 10 ms each, in two processes: a difference
                // below zero means the rest is smaller than this run can resolve.
                let rest = if rest < 0.0 {
                    "below this run's resolution".to_owned()
                } else {
                    format!("{rest:.2} ms")
                };
                println!(
                    "  login without argon2, {}, {clients} client(s): {:.2} ms - {argon2_cpu:.2} ms = {rest} of CPU per login",
                    report.backend,
                    login.total_cpu_ms(),
                );
            }
        }
    }
    println!();

    for report in ours {
        let check = &report.orders;
        println!(
            "place order, {}: {} placed, {} distinct order numbers, {} answered before the order was placed (polled)",
            report.backend, check.placed, check.distinct, check.polled
        );
    }
    match pgbench {
        Ok(Some(pgbench)) => {
            println!(
                "pgbench -b simple-update -c 8 -T {}: {:.0} TPS, {:.2} ms PostgreSQL CPU per transaction",
                options.pgbench_seconds, pgbench.tps, pgbench.database_cpu_ms
            );
            for report in ours {
                if let Some(order) = find(&report.rows, "place order", options.order_clients) {
                    let cpu = match report.backend {
                        Backend::Postgres => format!(
                            "; server and database CPU per order = {:.1} pgbench transactions",
                            order.total_cpu_ms() / pgbench.database_cpu_ms
                        ),
                        Backend::Sqlite => String::new(),
                    };
                    println!(
                        "  place order, {}: {:.1} orders/s = {:.1} % of pgbench's TPS{cpu}",
                        report.backend,
                        order.per_second(),
                        order.per_second() / pgbench.tps * 100.0,
                    );
                }
            }
        }
        Ok(None) => println!(
            "pgbench not installed: `apt-get install postgresql-client` (Debian, Ubuntu) or \
             `dnf install postgresql-contrib` (Fedora, RHEL)"
        ),
        Err(e) => println!("pgbench: not run: {e}"),
    }
    if let Some(reason) = skipped_postgres {
        println!("PostgreSQL: not run: {reason}");
    }
}
