//! Three real `shared-checkout serve` processes on one PostgreSQL database, as behind a
//! load balancer: one configuration file whose public URLs all name node 1's port, one
//! data directory (keys, cookie secret), and a "browser" that sends every request to a node
//! picked at random with the public URL's `Host`, so any node serves any step. The
//! back channel (the checkout at a store's token endpoint) goes to node 1.

mod common {
    #[allow(dead_code, reason = "only the PostgreSQL helpers are used here")]
    pub mod database;
    pub mod html;
    pub mod metrics;
    #[allow(dead_code, reason = "`serve` only: no demo here")]
    pub mod process;
}

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rand::seq::SliceRandom;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HOST, LOCATION, SET_COOKIE};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;

use crate::common::database::fresh_postgres_database;
use crate::common::html::{csrf_token, hidden_input};
use crate::common::metrics::Scrape;
use crate::common::process::{Serve, command};
use shared_checkout::domain::placeorder::ProcessState;

const NODES: usize = 3;

/// Three `serve` processes sharing one database, data directory and configuration; every
/// process is killed when this is dropped.
struct Cluster {
    nodes: Vec<Serve>,
    config: PathBuf,
    database_url: String,
    /// Node 1's port, which every public URL names.
    public_port: u16,
    /// Dropped last: the nodes' keys and cookie secret.
    data: tempfile::TempDir,
}

impl Cluster {
    /// A fresh PostgreSQL database, the configuration, the stores' keys (`keys generate`),
    /// node 1 on the public port, then nodes 2 and 3 on ports of their own.
    async fn start() -> Self {
        Self::start_with("").await
    }

    /// As [`Cluster::start`], with `extra` (TOML tables) at the end of the configuration.
    async fn start_with(extra: &str) -> Self {
        let database_url = fresh_postgres_database().await;
        let data = tempfile::tempdir().unwrap();
        let config = data.path().join("shared-checkout.toml");
        let mut cluster = Self {
            nodes: Vec::new(),
            config,
            database_url,
            // The public URLs name node 1's port, so it is chosen before node 1 starts.
            public_port: free_port(),
            data,
        };
        cluster.write_config(extra);
        // The stores' signing keys once, before any node starts, as on any deployment of
        // several nodes; node 1 then makes the cookie secret, the checkout's keys and the
        // schema, which nodes 2 and 3 find.
        cluster.cli(&["keys", "generate"]).await;
        // Each node's operations listener (`/metrics`) on a port it picks.
        let env = [("SHARED_CHECKOUT_OPERATIONS__METRICS_LISTEN", "127.0.0.1:0")];
        let first = loop {
            let listen = format!("127.0.0.1:{}", cluster.public_port);
            let (data, config) = (cluster.data.path(), cluster.config.as_path());
            match Serve::try_start_on(data, config, &listen, &[], &env).await {
                Ok(first) => break first,
                // Another process bound the port in between: the URLs move to another.
                Err(failure) if failure.contains("Address already in use") => {
                    cluster.public_port = free_port();
                    cluster.write_config(extra);
                }
                Err(failure) => panic!("node 1 did not start: {failure}"),
            }
        };
        assert_eq!(first.port(), cluster.public_port);
        let (data, config) = (cluster.data.path(), cluster.config.as_path());
        let (second, third) = tokio::join!(
            Serve::start(data, config, &[], &env),
            Serve::start(data, config, &[], &env),
        );
        cluster.nodes = vec![first, second, third];
        cluster
    }

    /// The configuration every node reads, its public URLs on node 1's port.
    fn write_config(&self, extra: &str) {
        let (port, database_url) = (self.public_port, &self.database_url);
        let dir = self.data.path().display();
        let origin = |host: &str| format!("http://{host}.localhost:{port}");
        std::fs::write(
            &self.config,
            format!(
                "role = \"all\"\nlisten = \"127.0.0.1:{port}\"\n\
                 database_url = \"{database_url}\"\ndatabase_pool_size = 8\n\
                 key_dir = \"{dir}/keys\"\ncookie_secret_file = \"{dir}/cookie-secret\"\n\
                 log_format = \"json\"\n\
                 [payments]\ntest_gateway = true\n\
                 [checkout]\nhost = \"checkout.localhost\"\nbase_url = \"{checkout}\"\n\
                 client_id = \"shared-checkout\"\n\
                 [[stores]]\nid = \"site1\"\nname = \"Harbour Goods\"\n\
                 host = \"site1.localhost\"\nbase_url = \"{site1}\"\n\
                 [[stores]]\nid = \"site2\"\nname = \"Meadow Supply\"\n\
                 host = \"site2.localhost\"\nbase_url = \"{site2}\"\n{extra}",
                checkout = origin("checkout"),
                site1 = origin("site1"),
                site2 = origin("site2"),
            ),
        )
        .unwrap();
    }

    /// A public URL: `http://{site}.localhost:{node 1's port}{path}`.
    fn url(&self, site: &str, path: &str) -> String {
        format!("http://{site}.localhost:{}{path}", self.public_port)
    }

    fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(Serve::port).collect()
    }

    /// `shared-checkout --config FILE ARGS…` on the shared data directory; its stdout.
    async fn cli(&self, args: &[&str]) -> String {
        let output = command(self.data.path())
            .args(["--config", self.config.to_str().unwrap()])
            .args(args)
            .output()
            .await
            .expect("the binary runs");
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// One product, MUG-1 at 14.90 EUR, imported with `products import`.
    async fn import_a_product(&self) {
        let file = self.data.path().join("catalog.csv");
        std::fs::write(
            &file,
            "sku,name,description,price,currency,image\n\
             MUG-1,Enamel mug,Speckled enamel,14.90,EUR,\n",
        )
        .unwrap();
        let printed = self
            .cli(&["products", "import", file.to_str().unwrap()])
            .await;
        assert!(printed.contains("1 added"), "{printed}");
    }

    /// `SELECT COUNT(*) FROM {table} WHERE basket_id = $1`, on the shared database.
    async fn count_for_basket(&self, table: &str, basket: &str) -> i64 {
        let mut connection = sqlx::PgConnection::connect(&self.database_url)
            .await
            .expect("the test database");
        let (count,): (i64,) = sqlx::query_as(&format!(
            "SELECT COUNT(*) FROM {table} WHERE basket_id = $1"
        ))
        .bind(basket)
        .fetch_one(&mut connection)
        .await
        .expect("count rows");
        count
    }

    /// The basket's orders, payments and place-order processes, counted.
    async fn orders_payments_processes(&self, basket: &str) -> (i64, i64, i64) {
        (
            self.count_for_basket("orders", basket).await,
            self.count_for_basket("payments", basket).await,
            self.count_for_basket("place_order_processes", basket).await,
        )
    }

    /// The basket's status, from the shared database.
    async fn basket_status(&self, basket: &str) -> String {
        let (status,): (String,) = sqlx::query_as("SELECT status FROM baskets WHERE id = $1")
            .bind(basket)
            .fetch_one(&mut self.connect().await)
            .await
            .expect("the basket");
        status
    }

    /// A new API key for `store` (`api-key create`).
    async fn api_key(&self, store: &str) -> String {
        let created = self
            .cli(&["api-key", "create", "--store", store, "--name", "nodes"])
            .await;
        created
            .lines()
            .nth(1)
            .expect("the key on its own line")
            .trim()
            .to_owned()
    }

    /// A connection to the shared database.
    async fn connect(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.database_url)
            .await
            .expect("the test database")
    }

    /// `SELECT COUNT(*) …`: a query that counts, on the shared database.
    async fn count(&self, query: &str) -> i64 {
        let (count,): (i64,) = sqlx::query_as(query)
            .fetch_one(&mut self.connect().await)
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        count
    }

    /// The number and email of the basket's order, from the shared database.
    async fn order_for_basket(&self, basket: &str) -> (String, String) {
        let mut connection = sqlx::PgConnection::connect(&self.database_url)
            .await
            .expect("the test database");
        sqlx::query_as("SELECT number, email FROM orders WHERE basket_id = $1")
            .bind(basket)
            .fetch_one(&mut connection)
            .await
            .expect("the basket's order")
    }

    /// Every event id in the webhook outbox.
    async fn webhook_event_ids(&self) -> BTreeSet<String> {
        sqlx::query_scalar("SELECT id FROM webhook_events")
            .fetch_all(&mut self.connect().await)
            .await
            .expect("the outbox")
            .into_iter()
            .collect()
    }

    /// Each running node's `/metrics`, parsed as Prometheus text.
    async fn scrape(&self) -> Vec<Scrape> {
        let client = plain_client();
        let mut scrapes = Vec::new();
        for node in &self.nodes {
            let port = node.metrics_port().expect("every node serves /metrics");
            let text = client
                .get(format!("http://127.0.0.1:{port}/metrics"))
                .send()
                .await
                .expect("GET /metrics")
                .text()
                .await
                .expect("the metrics");
            scrapes.push(Scrape::parse(&text));
        }
        scrapes
    }

    /// Stops every node; returns what each printed after starting up.
    async fn stop_printed(self) -> Vec<String> {
        let mut printed = Vec::new();
        for node in self.nodes {
            printed.push(node.stop().await);
        }
        printed
    }

    /// Stops every node and asserts that none logged an error; returns how many lines each
    /// logged after starting up.
    async fn stop(self) -> Vec<usize> {
        let printed = self.stop_printed().await;
        assert_no_errors(&printed);
        printed
            .iter()
            .map(|output| output.lines().count())
            .collect()
    }
}

/// Asserts that no node (by its output, in node order) logged an error or a panic.
fn assert_no_errors(printed: &[String]) {
    for (i, output) in printed.iter().enumerate() {
        let errors: Vec<&str> = output
            .lines()
            .filter(|line| line.contains("\"level\":\"ERROR\"") || line.contains("panicked"))
            .collect();
        assert!(
            errors.is_empty(),
            "node {} logged errors:\n{errors:#?}",
            i + 1
        );
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A plain HTTP client: no cookies, no redirects followed, no proxy.
fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("HTTP client")
}

/// The request for the public URL `url`, sent to the node on `port`: to
/// `http://127.0.0.1:{port}{path}` with the public URL's `Host`.
fn at_node(client: &reqwest::Client, method: Method, url: &str, port: u16) -> RequestBuilder {
    let public = url::Url::parse(url).expect("a public URL");
    let mut target = format!("http://127.0.0.1:{port}{}", public.path());
    if let Some(query) = public.query() {
        target.push('?');
        target.push_str(query);
    }
    let host = format!(
        "{}:{}",
        public.host_str().expect("a host"),
        public.port_or_known_default().expect("a port")
    );
    client.request(method, target).header(HOST, host)
}

/// What a node answered: the status, the absolute `Location` if any, and the body.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Answer {
    #[track_caller]
    fn location(&self) -> &str {
        self.location
            .as_deref()
            .unwrap_or_else(|| panic!("expected a redirect, got {}: {}", self.status, self.body))
    }
}

/// A browser whose every request goes to a node picked at random, with its own cookie jar
/// keyed by the public URL (as a browser in front of a load balancer keeps it).
#[derive(Clone)]
struct Shopper {
    client: reqwest::Client,
    jar: Arc<Jar>,
    ports: Arc<Vec<u16>>,
    /// How many requests each node served.
    served: Arc<Vec<AtomicUsize>>,
}

impl Shopper {
    fn new(cluster: &Cluster) -> Self {
        Self::at(cluster.ports())
    }

    /// A shopper whose requests go to the nodes on `ports` only.
    fn at(ports: Vec<u16>) -> Self {
        Self {
            client: plain_client(),
            jar: Arc::new(Jar::default()),
            served: Arc::new(ports.iter().map(|_| AtomicUsize::new(0)).collect()),
            ports: Arc::new(ports),
        }
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Answer {
        let (node, answer) = self.exchange(method.clone(), url, build).await;
        let answer = answer.unwrap_or_else(|e| panic!("{method} {url} at node {}: {e}", node + 1));
        assert!(
            !answer.status.is_server_error(),
            "{method} {url} at node {}: {}: {}",
            node + 1,
            answer.status,
            answer.body
        );
        answer
    }

    /// One request at a random node, whatever the answer; the node's index and the answer,
    /// or why none came.
    async fn exchange(
        &self,
        method: Method,
        url: &str,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> (usize, Result<Answer, reqwest::Error>) {
        let node = rand::random::<usize>() % self.ports.len();
        self.served[node].fetch_add(1, Ordering::Relaxed);
        let public = url::Url::parse(url).expect("a public URL");
        let mut request = at_node(&self.client, method, url, self.ports[node]);
        if let Some(cookies) = self.jar.cookies(&public) {
            request = request.header(reqwest::header::COOKIE, cookies);
        }
        let answer = async {
            let response = build(request).send().await?;
            self.jar
                .set_cookies(&mut response.headers().get_all(SET_COOKIE).iter(), &public);
            let status = response.status();
            let location = response.headers().get(LOCATION).map(|value| {
                public
                    .join(value.to_str().expect("ASCII Location"))
                    .expect("a Location URL")
                    .to_string()
            });
            let body = response.text().await?;
            Ok(Answer {
                status,
                location,
                body,
            })
        };
        (node, answer.await)
    }

    async fn get(&self, url: &str) -> Answer {
        self.send(Method::GET, url, |r| r).await
    }

    async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Answer {
        self.send(Method::POST, url, |r| r.form(form)).await
    }

    /// A page that must answer 200; its HTML.
    async fn page(&self, url: &str) -> String {
        let answer = self.get(url).await;
        assert_eq!(answer.status, 200, "GET {url}: {}", answer.body);
        answer.body
    }

    /// GETs `url` and follows redirects while they stay on its host; returns the last URL
    /// requested and its answer (a page, or a redirect elsewhere).
    async fn follow_on_host(&self, url: &str) -> (String, Answer) {
        let host = url::Url::parse(url).unwrap().host_str().unwrap().to_owned();
        let mut url = url.to_owned();
        for _ in 0..10 {
            let answer = self.get(&url).await;
            match &answer.location {
                Some(next) if answer.status.is_redirection() && host_of(next) == host => {
                    url = next.clone();
                }
                _ => return (url, answer),
            }
        }
        panic!("too many redirects, last at {url}");
    }

    /// Follows the redirects `answer` (to a request for `url`) starts, across hosts, until
    /// a page answers; returns its URL and answer.
    async fn follow(&self, url: &str, mut answer: Answer) -> (String, Answer) {
        let mut url = url.to_owned();
        for _ in 0..10 {
            match &answer.location {
                Some(next) if answer.status.is_redirection() => {
                    url = next.clone();
                    answer = self.get(&url).await;
                }
                _ => return (url, answer),
            }
        }
        panic!("too many redirects, last at {url}");
    }

    /// Registers an account at `site` through its storefront; the shopper is then logged in.
    async fn register(&self, cluster: &Cluster, site: &str, email: &str, password: &str) {
        let url = cluster.url(site, "/account/register");
        let token = csrf_token(&self.page(&url).await);
        let registered = self
            .post_form(
                &url,
                &[
                    ("email", email),
                    ("name", "Nora Nodes"),
                    ("password", password),
                    ("authenticity_token", &token),
                ],
            )
            .await;
        assert_eq!(registered.status, 303, "{}", registered.body);
        assert_eq!(registered.location(), cluster.url(site, "/account"));
    }

    /// Puts the catalog's first product in the basket at `site`, presses the basket page's
    /// Checkout button and follows the handoff; returns the clean checkout URL.
    async fn open_checkout(&self, cluster: &Cluster, site: &str) -> String {
        let catalog = self.page(&cluster.url(site, "/")).await;
        let product = hidden_input(&catalog, "product_id").expect("the catalog lists a product");
        let added = self
            .post_form(
                &cluster.url(site, "/basket/add"),
                &[
                    ("product_id", &product),
                    ("quantity", "2"),
                    ("authenticity_token", &csrf_token(&catalog)),
                ],
            )
            .await;
        assert_eq!(added.status, 303, "{}", added.body);
        let basket = self.page(&cluster.url(site, "/basket")).await;
        assert!(basket.contains("Enamel mug"), "{basket}");
        let pressed = self
            .post_form(
                &cluster.url(site, "/basket/checkout"),
                &[("authenticity_token", &csrf_token(&basket))],
            )
            .await;
        assert_eq!(pressed.status, 303, "{}", pressed.body);
        let ticket_url = pressed.location().to_owned();
        assert!(
            ticket_url.starts_with(&cluster.url("checkout", &format!("/{site}/")))
                && ticket_url.contains("?ticket="),
            "{ticket_url}"
        );
        let handed = self.get(&ticket_url).await;
        assert_eq!(handed.status, 303, "{}", handed.body);
        let clean = handed.location().to_owned();
        assert_eq!(clean, ticket_url.split('?').next().unwrap());
        clean
    }

    /// How many requests each node served.
    fn served(&self) -> Vec<usize> {
        self.served
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .collect()
    }
}

fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// 256 random bits, base64url.
fn random_token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The S256 challenge of a PKCE verifier.
fn s256(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}

impl Shopper {
    /// From the details step of the checkout at `checkout`: the details as `email` and
    /// `name`, offline payment, review, "Place order", the payment step until it moves on,
    /// and the success page; returns the order number it shows.
    async fn order(&self, checkout: &str, email: &str, name: &str) -> String {
        let details_url = format!("{checkout}/details");
        let details = self.page(&details_url).await;
        let submitted = self
            .post_form(
                &details_url,
                &[
                    ("email", email),
                    ("billing_name", name),
                    ("billing_street", "5 Meadow Lane"),
                    ("billing_postal_code", "80331"),
                    ("billing_city", "Munich"),
                    ("billing_country", "DE"),
                    ("delivery_same", "yes"),
                    ("delivery_method", "standard"),
                    ("payment", "offline:cash_on_delivery"),
                    ("privacy_policy", "accepted"),
                    ("authenticity_token", &csrf_token(&details)),
                ],
            )
            .await;
        assert_eq!(submitted.status, 303, "{}", submitted.body);
        assert_eq!(submitted.location(), format!("{checkout}/review"));

        let review = self.page(&format!("{checkout}/review")).await;
        assert!(review.contains("5 Meadow Lane"), "{review}");
        let total = hidden_input(&review, "expected_total").expect("the review names its total");
        let placed = self
            .post_form(
                &format!("{checkout}/place-order"),
                &[
                    ("expected_total", &total),
                    ("authenticity_token", &csrf_token(&review)),
                ],
            )
            .await;
        assert_eq!(placed.status, 303, "{}", placed.body);
        assert_eq!(placed.location(), format!("{checkout}/payment"));

        // The payment step waits for the process (run by whichever node took it) and
        // moves on.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let next = loop {
            let answer = self.get(&format!("{checkout}/payment")).await;
            if answer.status == 303 {
                break answer.location().to_owned();
            }
            assert_eq!(answer.status, 200, "payment step: {}", answer.body);
            assert!(
                tokio::time::Instant::now() < deadline,
                "the payment step never moved on"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(next, format!("{checkout}/success"));
        let success = self.page(&next).await;
        let marker = "class=\"order-number\">";
        let at = success.find(marker).expect("an order number") + marker.len();
        let number = &success[at..at + success[at..].find('<').unwrap()];
        assert!(!number.is_empty(), "{success}");
        number.to_owned()
    }
}

const REDEMPTION_ROUNDS: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_code_redeemed_at_three_nodes_at_once_yields_one_token() {
    let cluster = Cluster::start().await;
    let client_id = "nodes-client";
    let redirect = "http://127.0.0.1:9/callback";
    let secret = random_token();
    cluster
        .cli(&[
            "client",
            "add",
            "--store",
            "site1",
            "--id",
            client_id,
            "--redirect-uri",
            redirect,
            "--secret",
            &secret,
        ])
        .await;
    let shopper = Shopper::new(&cluster);
    let (email, password) = ("nora@example.org", "a long and unguessable passphrase");
    shopper.register(&cluster, "site1", email, password).await;

    let back_channel = plain_client();
    let ports = cluster.ports();
    let token_url = cluster.url("site1", "/token");
    // Connections open before the first race, so that no node starts late on a handshake.
    for &port in &ports {
        let ready = at_node(
            &back_channel,
            Method::GET,
            &cluster.url("site1", "/readyz"),
            port,
        )
        .send()
        .await
        .unwrap();
        assert_eq!(ready.status(), 200);
    }
    let mut statuses = BTreeMap::<u16, usize>::new();
    let mut winners_by_node = vec![0; NODES];
    for round in 0..REDEMPTION_ROUNDS {
        let verifier = random_token();
        let state = random_token();
        let query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("scope", "openid email profile"),
            ("state", &state),
            ("nonce", &random_token()),
            ("code_challenge", &s256(&verifier)),
            ("code_challenge_method", "S256"),
        ])
        .unwrap();
        let (page_url, mut answer) = shopper
            .follow_on_host(&cluster.url("site1", &format!("/authorize?{query}")))
            .await;
        if answer.status == 200 {
            // The provider's login page (the storefront session may not count as a login).
            let request = hidden_input(&answer.body, "request").expect("the login form");
            let login = url::Url::parse(&page_url).unwrap().join("/login").unwrap();
            let posted = shopper
                .post_form(
                    login.as_str(),
                    &[
                        ("request", &request),
                        ("email", email),
                        ("password", password),
                        ("authenticity_token", &csrf_token(&answer.body)),
                    ],
                )
                .await;
            answer = posted;
            for _ in 0..10 {
                match answer.location.clone() {
                    Some(next) if host_of(&next) == "site1.localhost" => {
                        answer = shopper.get(&next).await;
                    }
                    _ => break,
                }
            }
        }
        let back = answer.location().to_owned();
        assert!(back.starts_with(redirect), "round {round}: {back}");
        assert_eq!(query_param(&back, "state"), Some(state));
        assert_eq!(query_param(&back, "iss"), Some(cluster.url("site1", "")));
        let code = query_param(&back, "code").expect("a code");

        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect),
            ("code_verifier", verifier.as_str()),
        ];
        // In a new order each round, so that no node is always the first to be sent its
        // request.
        let mut order: Vec<usize> = (0..NODES).collect();
        order.shuffle(&mut rand::thread_rng());
        let attempts = order.iter().map(|&node| {
            let port = ports[node];
            let request = at_node(&back_channel, Method::POST, &token_url, port)
                .basic_auth(client_id, Some(&secret))
                .form(&form);
            async move {
                let response = request.send().await.expect("POST /token");
                let status = response.status();
                let body: Value = response.json().await.expect("a JSON token answer");
                (node, status, body)
            }
        });
        let answers = futures::future::join_all(attempts).await;
        let mut winners = Vec::new();
        for (node, status, body) in &answers {
            let node = *node;
            *statuses.entry(status.as_u16()).or_default() += 1;
            if *status == 200 {
                assert!(body["id_token"].is_string(), "{body}");
                let token = body["access_token"].as_str().expect("an access token");
                winners.push(token.to_owned());
                winners_by_node[node] += 1;
            } else {
                assert_eq!(
                    (status.as_u16(), body["error"].as_str()),
                    (400, Some("invalid_grant")),
                    "round {round}, node {}: {body}",
                    node + 1
                );
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        // The others were replays of a consumed code, so the winner's token is revoked
        // (RFC 6749 §4.1.2), whichever node answered and whichever node is asked now.
        let node = rand::random::<usize>() % NODES;
        let userinfo = at_node(
            &back_channel,
            Method::GET,
            &cluster.url("site1", "/userinfo"),
            ports[node],
        )
        .bearer_auth(&winners[0])
        .send()
        .await
        .unwrap();
        assert_eq!(
            userinfo.status(),
            401,
            "round {round}: the winner's token at node {}",
            node + 1
        );
    }
    // What the nodes counted, summed over them, is what happened.
    let scrapes = cluster.scrape().await;
    let total = |metric: &str, labels: &[(&str, &str)]| -> u64 {
        counted_by_node(&scrapes, metric, labels).iter().sum()
    };
    let rounds = REDEMPTION_ROUNDS as u64;
    assert_eq!(
        total("authorization_codes_issued_total", &[("store", "site1")]),
        rounds
    );
    let site1_token = |outcome| {
        total(
            "token_requests_total",
            &[("store", "site1"), ("outcome", outcome)],
        )
    };
    assert_eq!(site1_token("issued"), rounds);
    // The losers, and the made-up code of each node's login check at start-up.
    let checks = NODES as u64;
    assert_eq!(
        site1_token("invalid_grant"),
        rounds * (NODES as u64 - 1) + checks
    );
    let logged = cluster.stop().await;
    println!(
        "{REDEMPTION_ROUNDS} rounds of one code at {NODES} nodes at once: statuses {statuses:?}, \
         winners by node {winners_by_node:?}, browser requests by node {:?}, log lines by node \
         {logged:?}; the nodes' metrics count {} codes issued, {} tokens issued, {} refused as \
         invalid_grant",
        shopper.served(),
        total("authorization_codes_issued_total", &[("store", "site1")]),
        site1_token("issued"),
        site1_token("invalid_grant"),
    );
}

const PLACE_ORDER_REQUESTS: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_place_order_requests_over_three_nodes_make_one_order() {
    let cluster = Cluster::start().await;
    cluster.import_a_product().await;
    let key = cluster.api_key("site1").await;
    let shopper = Shopper::new(&cluster);
    let checkout = shopper.open_checkout(&cluster, "site1").await;
    let basket = checkout.rsplit('/').next().unwrap().to_owned();

    let api = cluster.url("checkout", &format!("/api/v1/site1/{basket}/place-order"));
    let body = cash_on_delivery_order();
    let client = plain_client();
    let ports = cluster.ports();
    let nodes: Vec<usize> = (0..PLACE_ORDER_REQUESTS)
        .map(|_| rand::random::<usize>() % NODES)
        .collect();
    // As many connections open to each node as requests will go there, so that the 200
    // arrive together rather than one handshake after another.
    let warm_ups = nodes.iter().map(|&node| {
        at_node(
            &client,
            Method::GET,
            &cluster.url("checkout", "/readyz"),
            ports[node],
        )
        .send()
    });
    for warmed in futures::future::join_all(warm_ups).await {
        assert_eq!(warmed.expect("GET /readyz").status(), 200);
    }
    let attempts = nodes.iter().map(|&node| {
        let request = at_node(&client, Method::POST, &api, ports[node])
            .bearer_auth(&key)
            .json(&body);
        async move {
            let response = request.send().await.expect("POST place-order");
            let status = response.status();
            let text = response.text().await.unwrap();
            (node, status, text)
        }
    });
    let answers = futures::future::join_all(attempts).await;

    let mut statuses = BTreeMap::<u16, usize>::new();
    let mut states = BTreeMap::<String, usize>::new();
    let mut by_node = vec![0; NODES];
    let mut process_ids = BTreeSet::new();
    let mut order_numbers = BTreeSet::new();
    for (node, status, text) in &answers {
        by_node[*node] += 1;
        *statuses.entry(status.as_u16()).or_default() += 1;
        let view: Value = serde_json::from_str(text)
            .unwrap_or_else(|_| panic!("node {}: {status}: not JSON: {text}", node + 1));
        match status.as_u16() {
            200 => {
                let state = view["state"].as_str().expect("a state").to_owned();
                assert_ne!(state, "failed", "node {}: {view}", node + 1);
                process_ids.insert(view["process_id"].as_str().unwrap().to_owned());
                if let Some(number) = view["order_number"].as_str() {
                    order_numbers.insert(number.to_owned());
                }
                *states.entry(state).or_default() += 1;
            }
            409 => {
                assert_eq!(view["error"], "conflict", "node {}: {view}", node + 1);
                *states.entry("conflict".to_owned()).or_default() += 1;
            }
            _ => panic!(
                "node {}: neither the order nor a clear conflict: {status}: {view}",
                node + 1
            ),
        }
    }
    assert_eq!(process_ids.len(), 1, "one process: {process_ids:?}");
    assert!(
        order_numbers.len() <= 1,
        "one order number: {order_numbers:?}"
    );

    // The process may still be running on some node: its status, until it succeeds.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let number = loop {
        let (status, view) = {
            let response = at_node(&client, Method::GET, &api, ports[0])
                .bearer_auth(&key)
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        };
        assert_eq!(status, 200, "{view}");
        if view["state"] == "success" {
            break view["order_number"].as_str().unwrap().to_owned();
        }
        assert_ne!(view["state"], "failed", "{view}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "the order was not placed within 30 s: {view}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        order_numbers.iter().all(|seen| *seen == number),
        "{order_numbers:?} vs {number}"
    );
    let (orders, payments, processes) = cluster.orders_payments_processes(&basket).await;
    assert_eq!(
        (orders, payments, processes),
        (1, 1, 1),
        "orders, payments, processes"
    );
    assert_eq!(
        cluster.order_for_basket(&basket).await,
        (number.clone(), "headless@example.org".to_owned())
    );
    let logged = cluster.stop().await;
    println!(
        "{PLACE_ORDER_REQUESTS} place-order requests: statuses {statuses:?}, states {states:?}, \
         requests by node {by_node:?}; {orders} order, {payments} payment, {processes} process; \
         log lines by node {logged:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_journey_with_every_request_at_a_random_node() {
    let cluster = Cluster::start().await;
    cluster.import_a_product().await;
    let shopper = Shopper::new(&cluster);
    let checkout = shopper.open_checkout(&cluster, "site1").await;
    let basket = checkout.rsplit('/').next().unwrap().to_owned();

    let start = shopper.page(&checkout).await;
    assert!(start.contains("Harbour Goods"), "{start}");
    let number = shopper
        .order(&checkout, "guest@example.org", "Gus Guest")
        .await;

    let orders = cluster.count_for_basket("orders", &basket).await;
    let payments = cluster.count_for_basket("payments", &basket).await;
    assert_eq!((orders, payments), (1, 1), "orders, payments");
    assert_eq!(
        cluster.order_for_basket(&basket).await,
        (number.clone(), "guest@example.org".to_owned())
    );
    let served = shopper.served();
    let logged = cluster.stop().await;
    println!(
        "journey: order {number}, browser requests by node {served:?}, log lines by node \
         {logged:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_logs_in_through_the_store_with_every_request_at_a_random_node() {
    let cluster = Cluster::start().await;
    cluster.import_a_product().await;
    let shopper = Shopper::new(&cluster);
    let email = "nora@example.org";
    shopper
        .register(
            &cluster,
            "site1",
            email,
            "a long and unguessable passphrase",
        )
        .await;
    let checkout = shopper.open_checkout(&cluster, "site1").await;
    let basket = checkout.rsplit('/').next().unwrap().to_owned();

    // "Log in with Harbour Goods": the store knows her already, so its provider answers
    // with a code at once, and the node that takes the callback redeems it at node 1 over
    // the back channel and checks the ID token against node 1's JWKS.
    let start = shopper.page(&checkout).await;
    let login_url = format!("{checkout}/login");
    let pressed = shopper
        .post_form(&login_url, &[("authenticity_token", &csrf_token(&start))])
        .await;
    assert_eq!(pressed.status, 303, "{}", pressed.body);
    assert!(
        pressed
            .location()
            .starts_with(&cluster.url("site1", "/authorize?")),
        "{}",
        pressed.location()
    );
    let (landed, details) = shopper.follow(&login_url, pressed).await;
    assert_eq!(landed, format!("{checkout}/details"), "{}", details.body);
    assert_eq!(details.status, 200, "{}", details.body);
    assert_eq!(hidden_input(&details.body, "email").as_deref(), Some(email));

    let number = shopper.order(&checkout, email, "Nora Nodes").await;
    assert_eq!(
        cluster.order_for_basket(&basket).await,
        (number.clone(), email.to_owned())
    );
    let mut connection = sqlx::PgConnection::connect(&cluster.database_url)
        .await
        .unwrap();
    let (on_her_account,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM orders o JOIN customers c ON c.id = o.customer_id \
         WHERE o.number = $1 AND c.email = $2",
    )
    .bind(&number)
    .bind(email)
    .fetch_one(&mut connection)
    .await
    .unwrap();
    assert_eq!(on_her_account, 1, "the order is on her store account");
    let served = shopper.served();
    let logged = cluster.stop().await;
    println!(
        "logged-in journey: order {number}, browser requests by node {served:?}, log lines by \
         node {logged:?}"
    );
}

/// A headless storefront's cash-on-delivery order (the JSON API's place-order body).
fn cash_on_delivery_order() -> Value {
    json!({
        "email": "headless@example.org",
        "billing": {
            "name": "Hedda Less",
            "street": "3 API Avenue",
            "postal_code": "50667",
            "city": "Cologne",
            "country": "DE"
        },
        "delivery_method": "standard",
        "payment": { "gateway": "offline", "method": "cash_on_delivery" },
        "privacy_policy_accepted": true
    })
}

/// A short place-order lease, so that a dead node's process is resumed within seconds
/// rather than the default 30 s.
const SHORT_LEASE: &str = "[place_order]\nlease_secs = 3\n";

/// The states a cash-on-delivery order passes through before `success`, in order.
const OFFLINE_ORDER_STATES: [ProcessState; 6] = [
    ProcessState::New,
    ProcessState::PrepareBasket,
    ProcessState::ValidateBasket,
    ProcessState::ValidatePaymentSelection,
    ProcessState::CreatePayment,
    ProcessState::PlaceOrder,
];

/// The states a test-gateway order passes through before it waits for the shopper.
const HOSTED_PAGE_STATES: [ProcessState; 5] = [
    ProcessState::New,
    ProcessState::PrepareBasket,
    ProcessState::ValidateBasket,
    ProcessState::ValidatePaymentSelection,
    ProcessState::CreatePayment,
];

fn unix_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970");
    i64::try_from(since.as_millis()).expect("milliseconds fit")
}

/// A cluster of nodes 1 and 2 (the third is stopped: the tests start their own, with a
/// failpoint) with a product and an API key for site1.
async fn two_nodes_and_a_key(extra: &str) -> (Cluster, String) {
    let mut cluster = Cluster::start_with(extra).await;
    cluster.import_a_product().await;
    let key = cluster.api_key("site1").await;
    let third = cluster.nodes.pop().expect("three nodes");
    assert_no_errors(&[third.stop().await]);
    (cluster, key)
}

/// A node started with a failpoint (feature `failpoints`, which `cargo test` turns on)
/// that aborts it as it starts `state`'s step, sent `order` for a new basket of site1; it
/// must die without answering. Returns the basket and how long the node took to die.
async fn kill_a_node_at(
    cluster: &Cluster,
    key: &str,
    state: ProcessState,
    order: &Value,
) -> (String, Duration) {
    let name = state.as_str();
    let failpoint = format!("placeorder-step-{name}=return");
    let doomed = Serve::start(
        cluster.data.path(),
        &cluster.config,
        &[],
        &[("FAILPOINTS", &failpoint)],
    )
    .await;
    let shopper = Shopper::at(cluster.ports());
    let checkout = shopper.open_checkout(cluster, "site1").await;
    let basket = checkout.rsplit('/').next().unwrap().to_owned();
    let api = cluster.url("checkout", &format!("/api/v1/site1/{basket}/place-order"));
    let sent = tokio::time::Instant::now();
    let request = at_node(&plain_client(), Method::POST, &api, doomed.port())
        .bearer_auth(key)
        .json(order)
        .send();
    let answered = tokio::time::timeout(Duration::from_secs(30), request)
        .await
        .unwrap_or_else(|_| panic!("{name}: the doomed node neither answered nor died"));
    if let Ok(response) = answered {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        panic!(
            "{name}: the node with `{failpoint}` answered {status} instead of dying (is the \
             binary built without the `failpoints` feature?): {body}"
        );
    }
    let (exit, printed) = doomed.exit_within(Duration::from_secs(10)).await;
    let exit = exit.unwrap_or_else(|| panic!("{name}: the node did not exit:\n{printed}"));
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&exit),
        Some(6),
        "{name}: SIGABRT: {exit:?}\n{printed}"
    );
    (basket, sent.elapsed())
}

/// The node that logged "order placed" for the basket's process, if exactly one did.
fn placed_by(printed: &[String], process: &str) -> Vec<usize> {
    let short = &process[..8];
    printed
        .iter()
        .enumerate()
        .filter(|(_, output)| {
            output
                .lines()
                .any(|line| line.contains("order placed") && line.contains(short))
        })
        .map(|(i, _)| i + 1)
        .collect()
}

/// A cash-on-delivery order runs its steps in memory and writes them in one statement. For
/// each of its steps, a third node that aborts as it starts that step takes the order's
/// request and dies before the write: it leaves nothing (no process, the basket open, no
/// payment, no order), so there is nothing for the other nodes to finish, and the shopper's
/// retry at node 1 or 2 places the order once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_inside_an_offline_order_leaves_nothing_and_the_retry_places_it() {
    let (cluster, key) = two_nodes_and_a_key("").await;
    let healthy = cluster.ports();
    let client = plain_client();
    let mut seen = Vec::new();
    for (i, state) in OFFLINE_ORDER_STATES.into_iter().enumerate() {
        let name = state.as_str();
        let (basket, died) = kill_a_node_at(&cluster, &key, state, &cash_on_delivery_order()).await;
        assert_eq!(
            cluster.orders_payments_processes(&basket).await,
            (0, 0, 0),
            "{name}: orders, payments, processes left"
        );
        let status = cluster.basket_status(&basket).await;
        assert_eq!(status, "open", "{name}: the basket the dead node left");

        let api = cluster.url("checkout", &format!("/api/v1/site1/{basket}/place-order"));
        let retry = at_node(&client, Method::POST, &api, healthy[i % healthy.len()])
            .bearer_auth(&key)
            .json(&cash_on_delivery_order())
            .send()
            .await
            .expect("the retry");
        let status = retry.status();
        let view: Value = retry.json().await.expect("a JSON view");
        assert_eq!(status, 200, "{name}: {view}");
        assert_eq!(view["state"], "success", "{name}: {view}");
        assert_eq!(
            cluster.orders_payments_processes(&basket).await,
            (1, 1, 1),
            "{name}: orders, payments, processes"
        );
        let number = view["order_number"].as_str().expect("an order number");
        assert_eq!(cluster.order_for_basket(&basket).await.0, number, "{name}");
        let process = view["process_id"]
            .as_str()
            .expect("a process id")
            .to_owned();
        seen.push((name, process, died, number.to_owned()));
    }
    let orders = cluster.count("SELECT COUNT(*) FROM orders").await;
    assert_eq!(
        orders,
        OFFLINE_ORDER_STATES.len() as i64,
        "one order per basket"
    );

    let printed = cluster.stop_printed().await;
    assert_no_errors(&printed);
    for (name, process, died, number) in seen {
        let placed_by = placed_by(&printed, &process);
        assert_eq!(placed_by.len(), 1, "{name}: placed by nodes {placed_by:?}");
        println!(
            "killed at {name}: died {died:.2?} after the request, left nothing; the retry at \
             node {} placed order {number}",
            placed_by[0]
        );
    }
}

/// A payment on a hosted page runs step by step, each step's side effect committed on its
/// own. For each step before the page, a third node that aborts as it starts that step
/// takes the order's request and dies; nodes 1 and 2, without failpoints, resume the
/// process once the dead node's lease expires and bring it to the payment page: one
/// process, one payment, the basket frozen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_at_each_step_before_the_payment_page_leaves_the_process_to_the_others() {
    let (cluster, key) = two_nodes_and_a_key(SHORT_LEASE).await;
    let healthy = cluster.ports();
    let client = plain_client();
    let mut order = cash_on_delivery_order();
    order["payment"] = json!({ "gateway": "testgateway", "method": "card" });
    for state in HOSTED_PAGE_STATES {
        let name = state.as_str();
        let (basket, died) = kill_a_node_at(&cluster, &key, state, &order).await;

        // What the dead node left: the process as created, under its lease.
        let (left, owner, expires_ms): (String, Option<String>, i64) = sqlx::query_as(
            "SELECT state, lease_owner, lease_expires_at_ms \
             FROM place_order_processes WHERE basket_id = $1",
        )
        .bind(&basket)
        .fetch_one(&mut cluster.connect().await)
        .await
        .unwrap_or_else(|e| panic!("{name}: the process the dead node created: {e}"));
        assert!(owner.is_some(), "{name}: the process is leased");
        let lease_left = Duration::from_millis(u64::try_from(expires_ms - unix_ms()).unwrap_or(0));

        // Nodes 1 and 2 resume it once the lease expires (their runners poll every second).
        let api = cluster.url("checkout", &format!("/api/v1/site1/{basket}/place-order"));
        let sent = tokio::time::Instant::now();
        let deadline = sent + lease_left + Duration::from_secs(20);
        let mut polls = 0;
        let view = loop {
            let port = healthy[polls % healthy.len()];
            polls += 1;
            let response = at_node(&client, Method::GET, &api, port)
                .bearer_auth(&key)
                .send()
                .await
                .expect("GET place-order");
            let status = response.status();
            let view: Value = response.json().await.expect("a JSON status");
            assert_eq!(status, 200, "{name}: {view}");
            if view["state"] == "wait_for_customer" {
                break view;
            }
            assert_ne!(view["state"], "failed", "{name}: {view}");
            if tokio::time::Instant::now() >= deadline {
                let printed = cluster.stop_printed().await;
                panic!(
                    "{name}: the process did not reach the payment page within the lease and \
                     20 s: {view}; nodes 1 and 2 printed:\n{printed:#?}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let resumed = sent.elapsed();
        assert_eq!(
            view["action"]["type"], "redirect",
            "{name}: the shopper is sent to the payment page: {view}"
        );
        assert_eq!(
            cluster.orders_payments_processes(&basket).await,
            (0, 1, 1),
            "{name}: orders, payments, processes"
        );
        let status = cluster.basket_status(&basket).await;
        assert_eq!(
            status, "frozen",
            "{name}: the basket while the shopper pays"
        );
        println!(
            "killed at {name}: died {died:.2?} after the request, left the process in `{left}`; \
             resumed to the payment page {resumed:.2?} after the lease's owner died"
        );
    }
    assert_no_errors(&cluster.stop_printed().await);
}

/// What the shoppers saw while the database's connections were terminated.
#[derive(Default)]
struct Tally {
    /// Answers by the phase in which their request was sent (before, during, after the
    /// terminations) and status.
    statuses: BTreeMap<(&'static str, u16), usize>,
    /// Answers that were neither expected nor a readable 503, and requests without one.
    problems: Vec<String>,
    /// Baskets whose place-order request was sent.
    placed: Vec<String>,
    /// Per shopper, how long after the last termination its first whole cycle that started
    /// after it ended.
    recovered: BTreeMap<usize, Duration>,
}

/// Shoppers going round the catalog, basket and checkout handoff (and every third time a
/// place-order call) while connections are terminated under them.
struct Storm<'a> {
    cluster: &'a Cluster,
    key: String,
    tally: std::sync::Mutex<Tally>,
    /// 0 before the first termination, 1 while they happen, 2 after the last.
    phase: AtomicUsize,
    /// When the last termination happened, once it has (phase 2).
    last_termination: std::sync::Mutex<Option<tokio::time::Instant>>,
    stop: std::sync::atomic::AtomicBool,
}

impl Storm<'_> {
    fn phase(&self) -> &'static str {
        ["before", "during", "after"][self.phase.load(Ordering::SeqCst)]
    }

    /// One request at a random node; its answer, tallied. A request that takes longer than
    /// 20 s, fails without an answer, or answers 5xx other than a readable 503 is a problem.
    async fn request(
        &self,
        shopper: &Shopper,
        method: Method,
        url: &str,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Option<Answer> {
        let phase = self.phase();
        let exchange = shopper.exchange(method.clone(), url, build);
        let outcome = tokio::time::timeout(Duration::from_secs(20), exchange).await;
        let mut tally = self.tally.lock().unwrap();
        let (node, answer) = match outcome {
            Err(_) => {
                tally
                    .problems
                    .push(format!("{phase}: {method} {url}: no answer within 20 s"));
                return None;
            }
            Ok((node, Err(error))) => {
                tally.problems.push(format!(
                    "{phase}: {method} {url} at node {}: {error}",
                    node + 1
                ));
                return None;
            }
            Ok((node, Ok(answer))) => (node, answer),
        };
        *tally
            .statuses
            .entry((phase, answer.status.as_u16()))
            .or_default() += 1;
        let readable = answer.body.contains("id=\"error-title\"")
            || serde_json::from_str::<Value>(&answer.body)
                .is_ok_and(|body| body["message"].is_string());
        let clean = !answer.status.is_server_error()
            || (answer.status == StatusCode::SERVICE_UNAVAILABLE && readable);
        if !clean || answer.body.contains("panicked") {
            tally.problems.push(format!(
                "{phase}: {method} {url} at node {}: {}: {}",
                node + 1,
                answer.status,
                answer.body.chars().take(300).collect::<String>()
            ));
        }
        Some(answer)
    }

    /// Catalog, add to basket, basket page, Checkout button, the handoff and the checkout's
    /// start page, and with `place` a cash-on-delivery order through the API. Stops at the
    /// first answer that is not the expected one; true when every step got it.
    async fn cycle(&self, place: bool) -> bool {
        let (cluster, shopper) = (self.cluster, Shopper::new(self.cluster));
        let Some(catalog) = self.page(&shopper, &cluster.url("site1", "/")).await else {
            return false;
        };
        let Some(product) = hidden_input(&catalog, "product_id") else {
            return false;
        };
        let form = [
            ("product_id", product.as_str()),
            ("quantity", "1"),
            ("authenticity_token", &csrf_token(&catalog)),
        ];
        let added = self
            .request(
                &shopper,
                Method::POST,
                &cluster.url("site1", "/basket/add"),
                |r| r.form(&form),
            )
            .await;
        if added.is_none_or(|a| a.status != 303) {
            return false;
        }
        let Some(basket) = self.page(&shopper, &cluster.url("site1", "/basket")).await else {
            return false;
        };
        let form = [("authenticity_token", csrf_token(&basket))];
        let pressed = self
            .request(
                &shopper,
                Method::POST,
                &cluster.url("site1", "/basket/checkout"),
                |r| r.form(&form),
            )
            .await;
        let Some(ticket) = pressed.and_then(|a| (a.status == 303).then_some(a.location?)) else {
            return false;
        };
        let handed = self.request(&shopper, Method::GET, &ticket, |r| r).await;
        let Some(checkout) = handed.and_then(|a| (a.status == 303).then_some(a.location?)) else {
            return false;
        };
        if self.page(&shopper, &checkout).await.is_none() {
            return false;
        }
        if !place {
            return true;
        }
        let basket = checkout.rsplit('/').next().unwrap().to_owned();
        self.tally.lock().unwrap().placed.push(basket.clone());
        let api = cluster.url("checkout", &format!("/api/v1/site1/{basket}/place-order"));
        let placed = self
            .request(&shopper, Method::POST, &api, |r| {
                r.bearer_auth(&self.key).json(&cash_on_delivery_order())
            })
            .await;
        placed.is_some_and(|a| a.status == 200)
    }

    /// A page that should answer 200; its HTML, or None.
    async fn page(&self, shopper: &Shopper, url: &str) -> Option<String> {
        let answer = self.request(shopper, Method::GET, url, |r| r).await?;
        (answer.status == 200).then_some(answer.body)
    }

    /// One shopper's rounds until told to stop; a cycle that starts after the last
    /// termination and succeeds marks the shopper recovered.
    async fn shop(&self, shopper: usize) {
        let mut round = 0;
        while !self.stop.load(Ordering::SeqCst) {
            round += 1;
            let last = *self.last_termination.lock().unwrap();
            let ok = self.cycle(round % 3 == 0).await;
            if ok && let Some(last) = last {
                self.tally
                    .lock()
                    .unwrap()
                    .recovered
                    .entry(shopper)
                    .or_insert_with(|| last.elapsed());
            }
            if !ok {
                // A failed round: a breath before the next, as a shopper would take.
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

const STORM_SHOPPERS: usize = 4;
const TERMINATIONS: usize = 3;

/// While shoppers go round the storefront and checkout on three nodes (and place orders),
/// every connection to the database is terminated (`pg_terminate_backend`) a few times:
/// every failed request is a readable 503, never a hang, a dropped connection or another
/// 5xx; every shopper gets through again soon after; and nothing is half-written: each
/// ordered basket has one order and one payment, no payment lacks an order, no basket is
/// left frozen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminated_database_connections_answer_503_and_leave_nothing_half_written() {
    let cluster = Cluster::start_with(SHORT_LEASE).await;
    cluster.import_a_product().await;
    let storm = Storm {
        cluster: &cluster,
        key: cluster.api_key("site1").await,
        tally: Default::default(),
        phase: AtomicUsize::new(0),
        last_termination: Default::default(),
        stop: Default::default(),
    };
    let database = url::Url::parse(&cluster.database_url).unwrap().path()[1..].to_owned();
    let mut terminated = Vec::new();
    let admin = async {
        let mut admin = cluster.connect().await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        storm.phase.store(1, Ordering::SeqCst);
        for round in 0..TERMINATIONS {
            if round > 0 {
                // Until the nodes have connected again (each broken connection fails one
                // statement before the pool replaces it), within a bound.
                tokio::time::sleep(Duration::from_secs(1)).await;
                let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
                while tokio::time::Instant::now() < deadline {
                    let (connected,): (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM pg_stat_activity \
                         WHERE datname = $1 AND pid <> pg_backend_pid()",
                    )
                    .bind(&database)
                    .fetch_one(&mut admin)
                    .await
                    .expect("count the nodes' connections");
                    if connected >= NODES as i64 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            let killed: Vec<(bool,)> = sqlx::query_as(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
            )
            .bind(&database)
            .fetch_all(&mut admin)
            .await
            .expect("terminate the nodes' connections");
            terminated.push(killed.len());
        }
        *storm.last_termination.lock().unwrap() = Some(tokio::time::Instant::now());
        storm.phase.store(2, Ordering::SeqCst);
        // Every shopper through a whole round again, within a bound.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while storm.tally.lock().unwrap().recovered.len() < STORM_SHOPPERS
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        storm.stop.store(true, Ordering::SeqCst);
    };
    let shoppers = futures::future::join_all((0..STORM_SHOPPERS).map(|i| storm.shop(i)));
    tokio::join!(admin, shoppers);
    let tally = storm.tally.into_inner().unwrap();
    assert!(
        terminated.iter().all(|&n| n > 0),
        "connections terminated each time: {terminated:?}"
    );

    // Every process the orders started comes to rest (a run cut short is resumed once
    // its lease expires).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let running = cluster
            .count("SELECT COUNT(*) FROM place_order_processes WHERE state NOT IN ('success', 'failed')")
            .await;
        if running == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{running} place-order processes still running 30 s after the storm"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let checks = [
        (
            "baskets with more than one order",
            "SELECT COUNT(*) FROM (SELECT basket_id FROM orders GROUP BY basket_id \
             HAVING COUNT(*) > 1) AS t",
        ),
        (
            "orders without exactly one payment",
            "SELECT COUNT(*) FROM orders o \
             WHERE (SELECT COUNT(*) FROM payments p WHERE p.basket_id = o.basket_id) <> 1",
        ),
        (
            "payments without an order",
            "SELECT COUNT(*) FROM payments p \
             WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.basket_id = p.basket_id)",
        ),
        (
            "baskets ordered without an order, or with an order but not ordered",
            "SELECT COUNT(*) FROM baskets b WHERE (b.status = 'ordered') <> \
             EXISTS (SELECT 1 FROM orders o WHERE o.basket_id = b.id)",
        ),
        (
            "baskets left frozen",
            "SELECT COUNT(*) FROM baskets WHERE status = 'frozen'",
        ),
        (
            "processes whose success and order disagree",
            "SELECT COUNT(*) FROM place_order_processes p WHERE (p.state = 'success') <> \
             EXISTS (SELECT 1 FROM orders o WHERE o.basket_id = p.basket_id)",
        ),
    ];
    for (what, query) in checks {
        assert_eq!(cluster.count(query).await, 0, "{what}");
    }
    let orders = cluster.count("SELECT COUNT(*) FROM orders").await;
    let processes = cluster
        .count("SELECT COUNT(*) FROM place_order_processes")
        .await;
    let failed = cluster
        .count("SELECT COUNT(*) FROM place_order_processes WHERE state = 'failed'")
        .await;

    let printed = cluster.stop_printed().await;
    let logged_errors: Vec<&str> = printed
        .iter()
        .flat_map(|output| output.lines())
        .filter(|line| line.contains("\"level\":\"ERROR\""))
        .take(5)
        .collect();
    assert!(
        tally.problems.is_empty(),
        "{} requests failed uncleanly:\n{:#?}\nerrors the nodes logged, the first 5: \
         {logged_errors:#?}",
        tally.problems.len(),
        tally.problems
    );
    assert_eq!(
        tally.recovered.len(),
        STORM_SHOPPERS,
        "shoppers through a whole round within 30 s of the last termination: {:?}",
        tally.recovered
    );
    let panics: usize = printed
        .iter()
        .map(|output| output.matches("panicked").count())
        .sum();
    assert_eq!(panics, 0, "no node panicked");
    // What the nodes logged at ERROR and WARN, by level and message.
    let mut logged = BTreeMap::<(String, String), usize>::new();
    for line in printed.iter().flat_map(|output| output.lines()) {
        let Ok(entry) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let level = entry["level"].as_str().unwrap_or_default();
        if level == "ERROR" || level == "WARN" {
            let message = entry["fields"]["message"].as_str().unwrap_or_default();
            *logged
                .entry((level.to_owned(), message.to_owned()))
                .or_default() += 1;
        }
    }
    println!(
        "{TERMINATIONS} terminations of {terminated:?} connections; answers by phase and \
         status {:?}; {} place-order requests, {processes} processes ({failed} failed), {orders} orders; \
         shoppers through a whole round after the last termination {:.2?}; logged {logged:?}",
        tally.statuses,
        tally.placed.len(),
        tally.recovered,
    );
}

/// `metric`'s samples whose labels include `labels`, summed on each node, in node order.
fn counted_by_node(scrapes: &[Scrape], metric: &str, labels: &[(&str, &str)]) -> Vec<u64> {
    scrapes
        .iter()
        // Counters are whole numbers; the exporter writes them as floats.
        .map(|scrape| scrape.value(metric, labels).unwrap_or(0.0) as u64)
        .collect()
}

const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// What the store's webhook endpoint received.
#[derive(Default)]
struct Inbox {
    /// While set, every delivery is answered 500 (after its signature is checked).
    failing: bool,
    /// While set, a delivery waits for a permit before it is answered.
    held: Option<Arc<tokio::sync::Semaphore>>,
    /// Deliveries that have arrived, answered or not.
    arrived: usize,
    refused: usize,
    /// `webhook-id`s whose signature did not verify.
    forged: Vec<String>,
    /// Accepted deliveries by `webhook-id`: how many, and the first body, which the store
    /// processes (a second delivery of an id is acknowledged and ignored).
    accepted: BTreeMap<String, (usize, Value)>,
}

/// A store's webhook endpoint on a fixed port that the test can take down and bring back.
struct Receiver {
    port: u16,
    inbox: Arc<std::sync::Mutex<Inbox>>,
    server: Option<(
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    )>,
}

impl Receiver {
    /// Up on a free port, with the inbox as it starts (failing or holding).
    async fn start(inbox: Inbox) -> Self {
        let mut receiver = Self {
            port: free_port(),
            inbox: Arc::new(std::sync::Mutex::new(inbox)),
            server: None,
        };
        receiver.up().await;
        receiver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks", self.port)
    }

    async fn up(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("the receiver's port");
        let router = axum::Router::new()
            .route("/hooks", axum::routing::post(receive_webhook))
            .with_state(self.inbox.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .expect("the receiver serves");
        });
        self.server = Some((stop, server));
    }

    /// Closes the port and every connection the nodes hold to it: deliveries now fail
    /// without an answer.
    async fn down(&mut self) {
        let (stop, server) = self.server.take().expect("the receiver is up");
        stop.send(()).expect("the receiver runs");
        server.await.expect("the receiver stops");
    }

    fn accept(&self) {
        self.inbox.lock().unwrap().failing = false;
    }
}

async fn receive_webhook(
    axum::extract::State(inbox): axum::extract::State<Arc<std::sync::Mutex<Inbox>>>,
    headers: axum::http::HeaderMap,
    body: String,
) -> StatusCode {
    let id = headers
        .get("webhook-id")
        .and_then(|id| id.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let verified = standardwebhooks::Webhook::new(WEBHOOK_SECRET)
        .unwrap()
        .verify(body.as_bytes(), &headers)
        .is_ok();
    let held = {
        let mut inbox = inbox.lock().unwrap();
        inbox.arrived += 1;
        inbox.held.clone()
    };
    if let Some(held) = held {
        held.acquire().await.expect("the hold").forget();
    }
    let mut inbox = inbox.lock().unwrap();
    if !verified {
        inbox.forged.push(id);
        return StatusCode::UNAUTHORIZED;
    }
    if inbox.failing {
        inbox.refused += 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let event = serde_json::from_str(&body).expect("a JSON event");
    inbox.accepted.entry(id).or_insert((0, event)).0 += 1;
    StatusCode::OK
}

/// Polls until `arrived` holds of the receiver's inbox, for up to `within`.
async fn until_received(receiver: &Receiver, arrived: impl Fn(&Inbox) -> bool, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    while !arrived(&receiver.inbox.lock().unwrap()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the receiver waited {within:?} in vain"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `query` (a count on the shared database) until it is `expected`, for up to `within`.
async fn until_counted(cluster: &Cluster, query: &str, expected: i64, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let count = cluster.count(query).await;
        if count == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{query}: {count}, not {expected}, after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Places an offline-payment order for a fresh basket at `site` through the JSON API at a
/// random node and waits for it; its order number.
async fn place_order_at_a_random_node(cluster: &Cluster, site: &str, key: &str) -> String {
    let checkout = Shopper::new(cluster).open_checkout(cluster, site).await;
    let basket = checkout.rsplit('/').next().unwrap();
    let api = cluster.url("checkout", &format!("/api/v1/{site}/{basket}/place-order"));
    let client = plain_client();
    let ports = cluster.ports();
    let node = rand::random::<usize>() % ports.len();
    let response = at_node(&client, Method::POST, &api, ports[node])
        .bearer_auth(key)
        .json(&cash_on_delivery_order())
        .send()
        .await
        .expect("POST place-order");
    let status = response.status();
    let view: Value = response.json().await.expect("a JSON view");
    assert_eq!(status, 200, "node {}: {view}", node + 1);
    // Offline payment: the request that starts the process places the order.
    assert_eq!(view["state"], "success", "node {}: {view}", node + 1);
    view["order_number"].as_str().unwrap().to_owned()
}

const WEBHOOK_ORDERS: usize = 6;

/// Orders placed at random nodes write `order.placed` events; the store's endpoint answers
/// 500 until every event has been refused once, then is down until every event has failed
/// to connect once, then accepts. Every node delivers: each event reaches the store with a
/// valid signature and is processed once, and the nodes' `/metrics` count exactly the
/// orders placed, the deliveries the store accepted and the attempts that failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_events_reach_a_failing_then_absent_store_once_each_and_metrics_count_them() {
    let mut receiver = Receiver::start(Inbox {
        failing: true,
        ..Inbox::default()
    })
    .await;
    // site2 is the last store: `[stores.webhook]` is its table.
    let cluster = Cluster::start_with(&format!(
        "[stores.webhook]\nurl = \"{}\"\nsecret = \"{WEBHOOK_SECRET}\"\n\
         [webhooks]\nfirst_retry_ms = 100\nbackoff_factor = 2\npoll_interval_ms = 50\n",
        receiver.url()
    ))
    .await;
    cluster.import_a_product().await;
    let key = cluster.api_key("site2").await;
    let mut numbers = BTreeSet::new();
    for _ in 0..WEBHOOK_ORDERS {
        numbers.insert(place_order_at_a_random_node(&cluster, "site2", &key).await);
    }
    let orders = WEBHOOK_ORDERS as i64;
    let within = Duration::from_secs(30);
    until_counted(
        &cluster,
        "SELECT COUNT(*) FROM webhook_events WHERE last_status = 500",
        orders,
        within,
    )
    .await;
    receiver.down().await;
    until_counted(
        &cluster,
        "SELECT COUNT(*) FROM webhook_events \
         WHERE attempts >= 2 AND last_status IS NULL AND delivered_at IS NULL",
        orders,
        within,
    )
    .await;
    receiver.accept();
    receiver.up().await;
    until_counted(
        &cluster,
        "SELECT COUNT(*) FROM webhook_events WHERE delivered_at IS NOT NULL",
        orders,
        within,
    )
    .await;

    let (refused, accepted) = {
        let inbox = receiver.inbox.lock().unwrap();
        assert!(inbox.forged.is_empty(), "unverified: {:?}", inbox.forged);
        (inbox.refused, inbox.accepted.clone())
    };
    let ids = cluster.webhook_event_ids().await;
    assert_eq!(
        accepted.keys().cloned().collect::<BTreeSet<_>>(),
        ids,
        "every event reached the store"
    );
    let delivered: BTreeMap<String, String> = accepted
        .values()
        .map(|(_, event)| {
            assert_eq!(event["type"], "order.placed", "{event}");
            assert_eq!(event["data"]["store_id"], "site2", "{event}");
            let number = event["data"]["order_number"].as_str().unwrap().to_owned();
            (number, event["data"]["email"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(
        delivered.keys().cloned().collect::<BTreeSet<_>>(),
        numbers,
        "one event per order"
    );
    let accepted_posts: usize = accepted.values().map(|(count, _)| count).sum();
    let attempts = cluster
        .count("SELECT COALESCE(SUM(attempts), 0)::BIGINT FROM webhook_events")
        .await;

    let scrapes = cluster.scrape().await;
    let by_node = |metric: &str, labels: &[(&str, &str)]| counted_by_node(&scrapes, metric, labels);
    let placed = by_node("orders_placed_total", &[("store", "site2")]);
    let post_200 = by_node(
        "http_requests_total",
        &[
            ("site", "checkout"),
            ("method", "POST"),
            ("route", "/api/v1/{store_id}/{basket_id}/place-order"),
            ("status", "200"),
        ],
    );
    let succeeded = by_node(
        "webhook_deliveries_total",
        &[("store", "site2"), ("outcome", "delivered")],
    );
    let failed = by_node(
        "webhook_deliveries_total",
        &[("store", "site2"), ("outcome", "failed")],
    );
    let given_up = by_node("webhook_deliveries_total", &[("outcome", "given_up")]);
    let sum = |counts: &[u64]| counts.iter().sum::<u64>();
    assert_eq!(
        sum(&placed),
        WEBHOOK_ORDERS as u64,
        "orders placed {placed:?}"
    );
    assert_eq!(
        sum(&post_200),
        WEBHOOK_ORDERS as u64,
        "API 200s {post_200:?}"
    );
    assert_eq!(
        sum(&succeeded),
        accepted_posts as u64,
        "delivered {succeeded:?}"
    );
    assert_eq!(sum(&given_up), 0, "given up {given_up:?}");
    assert_eq!(
        sum(&succeeded) + sum(&failed),
        u64::try_from(attempts).unwrap(),
        "every attempt recorded is counted: delivered {succeeded:?}, failed {failed:?}"
    );
    assert!(
        sum(&failed) >= 2 * WEBHOOK_ORDERS as u64 && refused >= WEBHOOK_ORDERS,
        "each event failed on a 500 and on no answer: failed {failed:?}, refused {refused}"
    );
    cluster.stop().await;
    println!(
        "{WEBHOOK_ORDERS} orders, {} events delivered to the store ({accepted_posts} accepted \
         deliveries, {} duplicates), {refused} answered 500, {attempts} attempts in all; by \
         node: orders placed {placed:?}, delivered {succeeded:?}, failed {failed:?}",
        accepted.len(),
        accepted_posts - accepted.len(),
    );
}

/// A node that is stopped (SIGTERM) while the store's endpoint is still answering one of
/// its deliveries waits for the answer and records it before it exits: the event is
/// delivered once, not left claimed to be sent again by another node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_stopped_mid_delivery_records_it_before_exiting() {
    let hold = Arc::new(tokio::sync::Semaphore::new(0));
    let receiver = Receiver::start(Inbox {
        held: Some(hold.clone()),
        ..Inbox::default()
    })
    .await;
    let mut cluster = Cluster::start_with(&format!(
        "[stores.webhook]\nurl = \"{}\"\nsecret = \"{WEBHOOK_SECRET}\"\n\
         [webhooks]\npoll_interval_ms = 50\n[operations]\ndrain_secs = 0\n",
        receiver.url()
    ))
    .await;
    // One node, so that it is the one delivering.
    for other in cluster.nodes.split_off(1) {
        assert_no_errors(&[other.stop().await]);
    }
    cluster.import_a_product().await;
    let key = cluster.api_key("site2").await;
    place_order_at_a_random_node(&cluster, "site2", &key).await;
    until_received(
        &receiver,
        |inbox| inbox.arrived == 1,
        Duration::from_secs(30),
    )
    .await;

    let node = cluster.nodes.pop().expect("node 1");
    let pid = node.child.id().expect("node 1 runs").to_string();
    let signalled = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill runs");
    assert!(signalled.success());
    // Only once the node has stopped serving HTTP is the delivery answered, when a node that
    // dropped its work on stopping would already have dropped it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", node.port()))
        .await
        .is_ok()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "node 1 still listens 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    hold.add_permits(1);
    let (exit, printed) = node.exit_within(Duration::from_secs(20)).await;
    assert!(
        exit.is_some_and(|status| status.success()),
        "node 1 exits cleanly: {exit:?}\n{printed}"
    );
    assert_no_errors(std::slice::from_ref(&printed));

    let (attempts, delivered): (i64, Option<i64>) =
        sqlx::query_as("SELECT attempts, delivered_at FROM webhook_events")
            .fetch_one(&mut cluster.connect().await)
            .await
            .expect("the one event");
    assert_eq!(attempts, 1, "{printed}");
    assert!(delivered.is_some(), "recorded as delivered: {printed}");
    let inbox = receiver.inbox.lock().unwrap();
    assert_eq!((inbox.accepted.len(), inbox.arrived), (1, 1), "sent once");
}
