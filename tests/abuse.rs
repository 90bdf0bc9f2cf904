//! The real binary under abuse: its memory stays bounded whatever logins it is sent, and
//! its logs never carry a whole basket id. `shared-checkout demo` runs as a child process on
//! a temporary data directory; its resident memory is read from `/proc/<pid>/status`.

mod common {
    pub mod html;
    pub mod process;
}

use futures::StreamExt;

use crate::common::html::{csrf_token, hidden_input};
use crate::common::process::{Demo, http};

const MIB: u64 = 1024 * 1024;

/// Resident set size of the demo, in bytes.
fn rss(demo: &Demo) -> u64 {
    let pid = demo.child.id().expect("demo running");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS line");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in kB");
    kib * 1024
}

/// A CSRF token for site1's login form, with its cookie in `client`.
async fn login_token(demo: &Demo, client: &reqwest::Client, address: &str) -> String {
    let html = client
        .get(demo.url("site1", "/account/login"))
        .header("x-forwarded-for", address)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    csrf_token(&html)
}

#[tokio::test]
async fn two_thousand_failed_logins_with_huge_emails_leave_memory_bounded() {
    // Every attempt from its own address, so none is stopped before the account counters.
    let data = tempfile::tempdir().unwrap();
    let demo = Demo::start(
        data.path(),
        &[("SHARED_CHECKOUT_CLIENT_IP_SOURCE", "RightmostXForwardedFor")],
    )
    .await;
    let client = http();
    let token = login_token(&demo, &client, "192.0.2.1").await;
    let post = |n: usize| {
        let client = client.clone();
        let token = token.clone();
        let url = demo.url("site1", "/account/login");
        async move {
            let email = format!("{n:06}{}@example.com", "x".repeat(60_000));
            client
                .post(url)
                .header("x-forwarded-for", format!("10.{}.{}.1", n / 250, n % 250))
                .form(&[
                    ("email", email.as_str()),
                    ("password", "a wrong guess"),
                    ("authenticity_token", token.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Warm up the allocator and the connection pools before the baseline.
    for n in 0..20 {
        post(n).await;
    }
    let before = rss(&demo);
    let statuses: Vec<u16> = futures::stream::iter(20..2020)
        .map(post)
        .buffer_unordered(8)
        .collect()
        .await;
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "every attempt is refused: {:?}",
        statuses.iter().find(|s| **s != 401 && **s != 429)
    );
    let grown = rss(&demo).saturating_sub(before);
    println!("2,000 huge failed logins: RSS grew by {} KiB", grown / 1024);
    assert!(
        grown < 20 * MIB,
        "memory grew by {} MiB over 2,000 huge failed logins",
        grown / MIB
    );
}

#[tokio::test]
async fn a_burst_of_concurrent_logins_is_bounded_by_the_hashing_queue() {
    let data = tempfile::tempdir().unwrap();
    let demo = Demo::start(
        data.path(),
        &[("SHARED_CHECKOUT_CLIENT_IP_SOURCE", "RightmostXForwardedFor")],
    )
    .await;
    let client = http();
    let token = login_token(&demo, &client, "192.0.2.1").await;
    let before = rss(&demo);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // More than the queue admits (cores × 9), and at least the 200 of the measurement.
    let burst = (cores * 9 + 40).max(200);
    let statuses: Vec<(u16, Option<String>)> = futures::future::join_all((0..burst).map(|n| {
        let client = client.clone();
        let token = token.clone();
        let url = demo.url("site1", "/account/login");
        async move {
            // Distinct accounts from distinct addresses: no throttle applies, every one hashes.
            let response = client
                .post(url)
                .header("x-forwarded-for", format!("10.{}.{}.1", n / 250, n % 250))
                .form(&[
                    ("email", format!("nobody{n}@example.com").as_str()),
                    ("password", "a wrong guess"),
                    ("authenticity_token", token.as_str()),
                ])
                .send()
                .await
                .unwrap();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            (response.status().as_u16(), retry_after)
        }
    }))
    .await;
    let grown = rss(&demo).saturating_sub(before);
    let bound = cores as u64 * 19 * MIB + 24 * MIB;
    println!(
        "{burst} concurrent logins: RSS grew by {} KiB",
        grown / 1024
    );
    assert!(
        grown <= bound,
        "memory grew by {} MiB, more than the hashing queue's {} MiB",
        grown / MIB,
        bound / MIB
    );
    let busy: Vec<_> = statuses.iter().filter(|(s, _)| *s == 503).collect();
    assert!(!busy.is_empty(), "the excess is turned away: {statuses:?}");
    assert!(
        busy.iter().all(|(_, retry)| retry.is_some()),
        "every 503 says when to retry"
    );
    assert!(
        statuses.iter().all(|(s, _)| *s == 401 || *s == 503),
        "the rest are answered: {statuses:?}"
    );
}

#[tokio::test]
async fn no_whole_basket_id_is_written_to_the_logs() {
    let data = tempfile::tempdir().unwrap();
    let demo = Demo::start(
        data.path(),
        &[("RUST_LOG", "debug,sqlx=warn,hyper=info,reqwest=info")],
    )
    .await;
    let client = http();
    let catalog = client
        .get(demo.url("site1", "/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let product = hidden_input(&catalog, "product_id").expect("a product");
    let token = csrf_token(&catalog);
    client
        .post(demo.url("site1", "/basket/add"))
        .form(&[
            ("product_id", product.as_str()),
            ("quantity", "1"),
            ("authenticity_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let basket_page = client
        .get(demo.url("site1", "/basket"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_token(&basket_page);
    // The basket page's Checkout button: a one-time ticket to the basket's checkout.
    let handoff = client
        .post(demo.url("site1", "/basket/checkout"))
        .form(&[("authenticity_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let ticket_url = handoff
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("the Checkout button redirects to the checkout")
        .to_owned();
    let prefix = demo.url("checkout", "/site1/");
    let basket = ticket_url
        .strip_prefix(&prefix)
        .and_then(|rest| rest.get(..36))
        .expect("a basket id in the checkout URL")
        .to_owned();
    uuid::Uuid::parse_str(&basket).expect("a basket id");
    client.get(&ticket_url).send().await.unwrap();
    for path in ["", "/details", "/login"] {
        client
            .get(demo.url(
                "checkout",
                &format!("/site1/{basket}{path}?basket={basket}"),
            ))
            .send()
            .await
            .unwrap();
    }
    let login = client
        .get(demo.url("checkout", &format!("/site1/{basket}/login")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_token(&login);
    client
        .post(demo.url("checkout", &format!("/site1/{basket}/login")))
        .form(&[("authenticity_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let logs = demo.stop().await;
    assert!(
        logs.contains(&basket[..8]),
        "the requests were logged with a short prefix of the id"
    );
    assert!(
        !logs.contains(&basket),
        "a whole basket id is in the logs:\n{}",
        logs.lines()
            .filter(|l| l.contains(&basket))
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
}
