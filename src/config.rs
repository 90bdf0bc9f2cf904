//! Typed settings: defaults, then a TOML file, then `SHARED_CHECKOUT_*` environment variables.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::value::{Dict, Value};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::domain::{AA_TEXT_CONTRAST, Colour, IdTokenAlg, StoreId};
use crate::secrets::{ClientSecret, WebhookSecret};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Store,
    Checkout,
    All,
}

impl Role {
    pub fn serves_stores(self) -> bool {
        matches!(self, Role::Store | Role::All)
    }
    pub fn serves_checkout(self) -> bool {
        matches!(self, Role::Checkout | Role::All)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Everything a node needs to run; every node of one deployment shares the same file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    pub role: Role,
    pub listen: SocketAddr,
    /// `sqlite://path?mode=rwc` or `postgres://…`.
    pub database_url: String,
    /// Connections to the database; by default 2 for SQLite, which takes one writer at a
    /// time (more connections only wait on each other's locks), 16 for PostgreSQL.
    #[serde(default)]
    pub database_pool_size: Option<u32>,
    pub key_dir: PathBuf,
    /// Secret for signed cookies (CSRF); at least 64 bytes, the same on every node.
    pub cookie_secret_file: PathBuf,
    pub log_format: LogFormat,
    /// Lifetime of authorization codes, 1-60 s (handoff step 5); lowered only by tests.
    #[serde(default = "default_code_ttl_secs")]
    pub code_ttl_secs: i64,
    /// Where the client's IP address comes from, for login throttling: `ConnectInfo` (the
    /// socket peer) without a proxy; behind one, the header it sets, e.g.
    /// `RightmostXForwardedFor`.
    #[serde(default = "default_client_ip_source")]
    pub client_ip_source: axum_client_ip::ClientIpSource,
    /// Which built-in payment gateways this deployment offers.
    #[serde(default)]
    pub payments: PaymentSettings,
    /// How events reach the stores' webhooks.
    #[serde(default)]
    pub webhooks: WebhookSettings,
    #[serde(default)]
    pub operations: OperationsSettings,
    #[serde(default)]
    pub place_order: PlaceOrderSettings,
    pub checkout: CheckoutSettings,
    pub stores: Vec<StoreSettings>,
}

/// `[payments]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentSettings {
    /// The hosted test payment page, where shoppers approve their own payments: for the
    /// demo and tests only, never where real orders are taken. Off unless configured.
    pub test_gateway: bool,
}

/// `[place_order]`: the timings of the place-order process's leases and workers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PlaceOrderSettings {
    /// The lease a node takes to run a process: long enough for a slow gateway call, short
    /// enough that a crashed node's processes resume soon.
    pub lease_secs: u64,
    /// How often each checkout node looks for due processes whose lease is free.
    pub runner_poll_ms: u64,
    /// How often each checkout node's reconciler runs.
    pub reconcile_every_secs: u64,
    /// How long a process or payment must be untouched before the reconciler acts; longer
    /// than the lease, so it never acts on a run that is merely slow.
    pub reconcile_after_secs: u64,
}

impl Default for PlaceOrderSettings {
    fn default() -> Self {
        Self {
            lease_secs: 30,
            runner_poll_ms: 1000,
            reconcile_every_secs: 30,
            reconcile_after_secs: 60,
        }
    }
}

impl PlaceOrderSettings {
    pub fn lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.lease_secs)
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (2..=600).contains(&self.lease_secs),
            "place_order.lease_secs must be between 2 and 600"
        );
        anyhow::ensure!(
            (50..=60_000).contains(&self.runner_poll_ms),
            "place_order.runner_poll_ms must be between 50 and 60000"
        );
        anyhow::ensure!(
            (1..=3600).contains(&self.reconcile_every_secs),
            "place_order.reconcile_every_secs must be between 1 and 3600"
        );
        anyhow::ensure!(
            self.reconcile_after_secs > self.lease_secs,
            "place_order.reconcile_after_secs must be longer than place_order.lease_secs"
        );
        Ok(())
    }
}

/// `[operations]`: what operators and load balancers see of a node.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OperationsSettings {
    /// Where Prometheus metrics are served (`GET /metrics`), on a listener of its own so
    /// that no store or checkout host exposes them. No metrics are recorded without it.
    pub metrics_listen: Option<SocketAddr>,
    /// On SIGTERM, how long `/readyz` answers 503 before the node stops accepting
    /// connections: at least the load balancer's health-check interval.
    pub drain_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckoutSettings {
    pub host: String,
    /// Public origin; derived from `host` and the bound port when absent.
    pub base_url: Option<Url>,
    /// The client id under which the checkout is registered at every store.
    pub client_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoreSettings {
    pub id: StoreId,
    pub name: String,
    pub host: String,
    /// Public origin, also the OpenID issuer; derived from `host` and the port when absent.
    pub base_url: Option<Url>,
    #[serde(default = "default_accent")]
    pub accent_color: String,
    #[serde(default = "default_currency")]
    pub currency: String,
    /// The language and number, money and date conventions of the store's pages and of
    /// the checkout pages shown for it: `en-US` or `de-DE`.
    #[serde(default = "default_locale")]
    pub locale: String,
    /// ISO 3166 code of the store's own country, first in the address forms' country
    /// list; the locale's region when absent.
    #[serde(default)]
    pub country: Option<String>,
    /// How the checkout logs shoppers in through this store.
    #[serde(default)]
    pub login: StoreLoginSettings,
    /// The Flamingo checkout flags, per store.
    #[serde(default)]
    pub checkout: CheckoutFlags,
    /// Where the store's events (`order.placed`, …) are POSTed; none without it.
    #[serde(default)]
    pub webhook: Option<StoreWebhookSettings>,
}

/// `[stores.webhook]`: the store's endpoint for Standard Webhooks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoreWebhookSettings {
    /// https; http only on a loopback host (tests, a receiver beside the node).
    pub url: Url,
    /// The signing secret, `whsec_` and base64, as the store's receiver verifies it.
    pub secret: Option<WebhookSecret>,
    /// A file holding `secret`, read at start-up like `login.client_secret_file`.
    pub secret_file: Option<PathBuf>,
}

/// The store's OpenID provider as the checkout sees it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoreLoginSettings {
    /// Issuer of the store's provider; this deployment's own provider for the store when absent.
    pub issuer: Option<Url>,
    /// The checkout's client id there; `checkout.client_id` when absent.
    pub client_id: Option<String>,
    /// With a secret the checkout uses `client_secret_basic`; without, `private_key_jwt`.
    pub client_secret: Option<ClientSecret>,
    /// A file holding `client_secret` (a mounted secret, a systemd credential), read at
    /// start-up; trailing line breaks are not part of the secret.
    pub client_secret_file: Option<PathBuf>,
    /// The one algorithm accepted on ID tokens and logout tokens (`RS256`, `ES256`, `PS256`
    /// or `EdDSA`): the checkout's registered `id_token_signed_response_alg`. Default: ES256
    /// from this deployment's own providers (which register the checkout so), RS256 (OIDC's
    /// default) from others.
    pub id_token_alg: Option<IdTokenAlg>,
}

/// Flamingo's checkout flags (`commerce.checkout.*`), with its defaults.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckoutFlags {
    pub skip_start_action: bool,
    pub skip_review_action: bool,
    pub show_review_step_after_payment_error: bool,
    pub show_empty_basket_page_if_no_items: bool,
    pub redirect_to_basket_on_invalid_basket: bool,
    pub use_delivery_forms: bool,
    pub use_personal_data_form: bool,
    pub privacy_policy_required: bool,
    pub enable_offline_payment: bool,
}

impl Default for CheckoutFlags {
    fn default() -> Self {
        Self {
            skip_start_action: false,
            skip_review_action: false,
            show_review_step_after_payment_error: false,
            show_empty_basket_page_if_no_items: false,
            redirect_to_basket_on_invalid_basket: false,
            use_delivery_forms: true,
            use_personal_data_form: false,
            privacy_policy_required: true,
            enable_offline_payment: true,
        }
    }
}

/// `[webhooks]`: the delivery of every store's events. A failed delivery is retried after
/// `first_retry_ms`, then each pause `backoff_factor` times the one before, until the event
/// is `give_up_after_secs` old.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WebhookSettings {
    pub first_retry_ms: u64,
    pub backoff_factor: u32,
    pub give_up_after_secs: u64,
    /// How often each checkout node looks for events due for delivery.
    pub poll_interval_ms: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            first_retry_ms: 5_000,
            backoff_factor: 2,
            give_up_after_secs: 24 * 60 * 60,
            poll_interval_ms: 1_000,
        }
    }
}

fn default_client_ip_source() -> axum_client_ip::ClientIpSource {
    axum_client_ip::ClientIpSource::ConnectInfo
}

fn default_accent() -> String {
    "#1f5f8b".to_owned()
}

fn default_currency() -> String {
    "EUR".to_owned()
}

fn default_locale() -> String {
    crate::domain::Locale::default().tag().to_owned()
}

fn default_code_ttl_secs() -> i64 {
    60
}

impl Settings {
    /// The base `serve` layers its configuration file over: the demo's layout without its
    /// test payment page, which a deployment must switch on explicitly.
    pub fn serve_defaults(data_dir: &Path, listen: SocketAddr) -> Self {
        Self {
            payments: PaymentSettings::default(),
            ..Self::demo(data_dir, listen)
        }
    }

    /// The demo: two stores and the checkout on `*.localhost`, everything under `data_dir`,
    /// with the test payment page.
    pub fn demo(data_dir: &Path, listen: SocketAddr) -> Self {
        let store =
            |id: &str, name: &str, accent: &str, locale: &str, currency: &str| StoreSettings {
                id: StoreId::parse(id).expect("demo store ids are valid"),
                name: name.to_owned(),
                host: format!("{id}.localhost"),
                base_url: None,
                accent_color: accent.to_owned(),
                currency: currency.to_owned(),
                locale: locale.to_owned(),
                country: None,
                login: StoreLoginSettings::default(),
                checkout: CheckoutFlags::default(),
                webhook: None,
            };
        Self {
            role: Role::All,
            listen,
            database_url: format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("shared-checkout.db").display()
            ),
            database_pool_size: None,
            key_dir: data_dir.join("keys"),
            cookie_secret_file: data_dir.join("cookie-secret"),
            log_format: LogFormat::Pretty,
            code_ttl_secs: default_code_ttl_secs(),
            client_ip_source: default_client_ip_source(),
            webhooks: WebhookSettings::default(),
            payments: PaymentSettings { test_gateway: true },
            operations: OperationsSettings::default(),
            place_order: PlaceOrderSettings::default(),
            checkout: CheckoutSettings {
                host: "checkout.localhost".to_owned(),
                base_url: None,
                client_id: "shared-checkout".to_owned(),
            },
            stores: vec![
                store("site1", "Harbour Goods", "#1f5f8b", "en-US", "USD"),
                store("site2", "Meadow Supply", "#2e7d32", "de-DE", "EUR"),
            ],
        }
    }

    /// Layers a TOML file and the environment over `base`.
    pub fn load(base: Settings, file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(base));
        if let Some(file) = file {
            anyhow::ensure!(
                file.exists(),
                "configuration file {} not found",
                file.display()
            );
            figment = figment.merge(Toml::file(file));
        }
        let layered: Dict = figment.extract()?;
        let environment: Dict =
            Figment::from(Env::prefixed("SHARED_CHECKOUT_").split("__")).extract()?;
        let merged = merge_indexed(Value::from(layered), Value::from(environment), "")?;
        let mut settings: Settings = Figment::from(Serialized::defaults(merged)).extract()?;
        settings.read_secret_files()?;
        settings.validate()?;
        Ok(settings)
    }

    fn read_secret_files(&mut self) -> anyhow::Result<()> {
        for store in &mut self.stores {
            let login = &mut store.login;
            if let Some(file) = &login.client_secret_file {
                anyhow::ensure!(
                    login.client_secret.is_none(),
                    "store {}: set login.client_secret or login.client_secret_file, not both",
                    store.id
                );
                let secret = read_secret_file(&store.id, "login.client_secret_file", file)?;
                login.client_secret = Some(ClientSecret::from(secret));
            }
            if let Some(webhook) = &mut store.webhook
                && let Some(file) = &webhook.secret_file
            {
                anyhow::ensure!(
                    webhook.secret.is_none(),
                    "store {}: set webhook.secret or webhook.secret_file, not both",
                    store.id
                );
                let secret = read_secret_file(&store.id, "webhook.secret_file", file)?;
                let secret = WebhookSecret::parse(&secret).map_err(|error| {
                    anyhow::anyhow!("store {}: webhook.secret_file: {error}", store.id)
                })?;
                webhook.secret = Some(secret);
            }
        }
        Ok(())
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=60).contains(&self.code_ttl_secs),
            "code_ttl_secs must be between 1 and 60"
        );
        self.place_order.validate()?;
        anyhow::ensure!(
            self.webhooks.backoff_factor >= 1 && self.webhooks.poll_interval_ms >= 1,
            "webhooks.backoff_factor and webhooks.poll_interval_ms must be at least 1"
        );
        let mut hosts = vec![self.checkout.host.as_str()];
        let mut ids = Vec::new();
        for store in &self.stores {
            // Requests find their store by `Host`, matched lowercased, and rows by store id:
            // two stores answering to one of either would share accounts, baskets and orders.
            anyhow::ensure!(
                !hosts
                    .iter()
                    .any(|host| host.eq_ignore_ascii_case(&store.host)),
                "host {} is configured twice",
                store.host
            );
            anyhow::ensure!(
                !ids.contains(&&store.id),
                "store {} is configured twice",
                store.id
            );
            anyhow::ensure!(
                Colour::parse(&store.accent_color).is_some(),
                "store {}: accent_color must look like #1f5f8b",
                store.id
            );
            anyhow::ensure!(
                crate::domain::Currency::parse(&store.currency).is_ok(),
                "store {}: currency {:?} is not an ISO 4217 code",
                store.id,
                store.currency
            );
            anyhow::ensure!(
                crate::domain::Locale::parse(&store.locale).is_ok(),
                "store {}: locale {:?} is not supported; the pages are translated into {}",
                store.id,
                store.locale,
                crate::domain::Locale::ALL.map(|l| l.tag()).join(" and ")
            );
            if let Err(e) = store.country() {
                anyhow::bail!("store {}: {e}", store.id);
            }
            hosts.push(&store.host);
            ids.push(&store.id);
        }
        Ok(())
    }
}

/// A secret from a file; trailing line breaks are not part of it.
fn read_secret_file(store: &StoreId, key: &str, file: &Path) -> anyhow::Result<String> {
    let secret = std::fs::read_to_string(file)
        .with_context(|| format!("store {store}: reading {key} {}", file.display()))?;
    let secret = secret.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(
        !secret.is_empty(),
        "store {store}: {key} {} is empty",
        file.display()
    );
    Ok(secret.to_owned())
}

/// Merges `over` into `base` as figment does, except that a table whose keys are all
/// indices updates an array entry by entry: `SHARED_CHECKOUT_STORES__2__LOGIN__CLIENT_SECRET`
/// sets the third store's secret instead of replacing the list of stores.
fn merge_indexed(base: Value, over: Value, path: &str) -> anyhow::Result<Value> {
    match (base, over) {
        (Value::Dict(tag, mut base), Value::Dict(_, over)) => {
            for (key, value) in over {
                let merged = match base.remove(&key) {
                    Some(old) => merge_indexed(old, value, &format!("{path}{key}."))?,
                    None => value,
                };
                base.insert(key, merged);
            }
            Ok(Value::Dict(tag, base))
        }
        (Value::Array(tag, mut base), Value::Dict(_, over))
            if over.keys().all(|key| key.parse::<usize>().is_ok()) =>
        {
            let len = base.len();
            for (key, value) in over {
                let entry = key.parse::<usize>().ok().and_then(|i| base.get_mut(i));
                let Some(entry) = entry else {
                    anyhow::bail!(
                        "environment key {}{key}: the list has {len} entries, counted from 0",
                        path.to_ascii_uppercase().replace('.', "__")
                    );
                };
                let old = std::mem::replace(entry, Value::from(false));
                *entry = merge_indexed(old, value, &format!("{path}{key}."))?;
            }
            Ok(Value::Array(tag, base))
        }
        (_, over) => Ok(over),
    }
}

impl StoreSettings {
    /// The configured country, else the locale's region.
    fn country(&self) -> anyhow::Result<crate::domain::Country> {
        match &self.country {
            Some(code) => crate::domain::Country::parse(code)
                .map_err(|_| anyhow::anyhow!("country {code:?} is not an ISO 3166-1 alpha-2 code")),
            None => Ok(crate::domain::Locale::parse(&self.locale)?.country()),
        }
    }
}

/// The store's accent as the pages use it: as text on white, and as the background of
/// white text (buttons, the current step). One below WCAG AA's 4.5:1 against white is
/// darkened until it reaches it, with a warning, rather than refused: the shop still
/// starts, in a colour close to its own, and nobody ships unreadable buttons.
pub fn readable_accent(store: &StoreId, configured: &str) -> anyhow::Result<String> {
    let colour = Colour::parse(configured)
        .with_context(|| format!("store {store}: accent_color must look like #1f5f8b"))?;
    let readable = colour.darkened_to_contrast(Colour::WHITE, AA_TEXT_CONTRAST);
    if readable != colour {
        tracing::warn!(
            %store,
            configured,
            adjusted = %readable.hex(),
            "accent_color has {:.2}:1 against white, below the 4.5:1 WCAG AA asks of text; \
             the pages use the adjusted colour (set it in the configuration to silence this)",
            colour.contrast(Colour::WHITE),
        );
    }
    Ok(readable.hex())
}

/// Settings after the listener is bound: every public URL is known.
#[derive(Debug, Clone)]
pub struct Config {
    pub role: Role,
    pub client_ip_source: axum_client_ip::ClientIpSource,
    pub checkout: CheckoutConfig,
    pub stores: Vec<StoreConfig>,
    pub key_dir: PathBuf,
    /// Authorization code lifetime in seconds (at most 60).
    pub code_ttl_secs: i64,
    pub webhooks: WebhookSettings,
    pub payments: PaymentSettings,
    pub place_order: PlaceOrderSettings,
}

#[derive(Debug, Clone)]
pub struct CheckoutConfig {
    pub host: String,
    pub base_url: Url,
    pub client_id: String,
}

#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub id: StoreId,
    pub name: String,
    pub host: String,
    pub base_url: Url,
    /// `#rrggbb` with at least 4.5:1 against white (`readable_accent`); safe to put in a
    /// stylesheet.
    pub accent_color: String,
    pub currency: crate::domain::Currency,
    pub locale: crate::domain::Locale,
    pub country: crate::domain::Country,
    pub login: StoreLoginSettings,
    pub checkout: CheckoutFlags,
    pub webhook: Option<StoreWebhook>,
}

/// A store's webhook, checked: where its events go and the secret that signs them.
#[derive(Debug, Clone)]
pub struct StoreWebhook {
    pub url: Url,
    pub secret: WebhookSecret,
}

impl StoreWebhookSettings {
    /// The URL as redirect URIs are checked (RFC 8252 §7.3): https, or http on a loopback
    /// host, so events with customers' details never cross a network in the clear.
    fn resolve(&self, store: &StoreId) -> anyhow::Result<StoreWebhook> {
        let host = self.url.host_str().unwrap_or_default();
        let loopback = host == "localhost"
            || host.ends_with(".localhost")
            || host == "127.0.0.1"
            || host == "[::1]";
        anyhow::ensure!(
            self.url.scheme() == "https" || (self.url.scheme() == "http" && loopback),
            "store {store}: webhook.url must be https (http only for loopback hosts)"
        );
        let secret = self
            .secret
            .clone()
            .with_context(|| format!("store {store}: webhook needs secret or secret_file"))?;
        Ok(StoreWebhook {
            url: self.url.clone(),
            secret,
        })
    }
}

impl CheckoutConfig {
    /// `base_url` + `path` with exactly one slash between them, whatever either brings.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.base_url.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }
}

impl StoreConfig {
    /// The issuer identifier: the origin without a trailing slash (OIDC Discovery §3).
    pub fn issuer(&self) -> String {
        self.base_url.as_str().trim_end_matches('/').to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer())
    }

    /// Cookies set by the store's own host are `Secure` (and `__Host-` named) on https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// This deployment runs the store's OpenID provider and its password accounts: no
    /// `login.issuer`, or one naming the store itself. Otherwise its shoppers log in at
    /// that external provider only.
    pub fn has_own_provider(&self) -> bool {
        self.login
            .issuer
            .as_ref()
            .is_none_or(|issuer| issuer.as_str().trim_end_matches('/') == self.issuer())
    }
}

impl Config {
    pub fn resolve(settings: &Settings, port: u16) -> anyhow::Result<Self> {
        let origin = |host: &str, configured: &Option<Url>| -> anyhow::Result<Url> {
            match configured {
                Some(url) => Ok(url.clone()),
                None => Ok(Url::parse(&format!("http://{host}:{port}"))?),
            }
        };
        let stores = settings
            .stores
            .iter()
            .map(|s| {
                Ok(StoreConfig {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    host: s.host.to_ascii_lowercase(),
                    base_url: origin(&s.host, &s.base_url)?,
                    accent_color: readable_accent(&s.id, &s.accent_color)?,
                    currency: crate::domain::Currency::parse(&s.currency)?,
                    locale: crate::domain::Locale::parse(&s.locale)?,
                    country: s.country()?,
                    login: s.login.clone(),
                    checkout: s.checkout.clone(),
                    webhook: s
                        .webhook
                        .as_ref()
                        .map(|webhook| webhook.resolve(&s.id))
                        .transpose()?,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            role: settings.role,
            client_ip_source: settings.client_ip_source.clone(),
            checkout: CheckoutConfig {
                host: settings.checkout.host.to_ascii_lowercase(),
                base_url: origin(&settings.checkout.host, &settings.checkout.base_url)?,
                client_id: settings.checkout.client_id.clone(),
            },
            stores,
            key_dir: settings.key_dir.clone(),
            code_ttl_secs: settings.code_ttl_secs.clamp(1, 60),
            webhooks: settings.webhooks.clone(),
            payments: settings.payments.clone(),
            place_order: settings.place_order.clone(),
        })
    }

    pub fn store(&self, id: &StoreId) -> Option<&StoreConfig> {
        self.stores.iter().find(|s| &s.id == id)
    }

    pub fn store_by_host(&self, host: &str) -> Option<&StoreConfig> {
        self.stores.iter().find(|s| s.host == host)
    }

    /// Cookies set by the checkout host are `Secure` (and `__Host-` named) on https.
    pub fn secure_cookies(&self) -> bool {
        self.checkout.base_url.scheme() == "https"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "configured-secret-0123456789abcdef";

    fn load(login: &str) -> anyhow::Result<Settings> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("config.toml");
        let toml = format!(
            "[[stores]]\nid = \"site3\"\nname = \"Third\"\nhost = \"site3.localhost\"\n\
             [stores.login]\nissuer = \"https://login.site3.example\"\n{login}\n"
        );
        std::fs::write(&file, toml)?;
        Settings::load(
            Settings::demo(dir.path(), "127.0.0.1:0".parse()?),
            Some(&file),
        )
    }

    #[test]
    fn the_client_secret_is_kept_but_never_debug_printed() {
        let settings = load(&format!("client_secret = \"{SECRET}\"")).unwrap();
        let login = &settings.stores[0].login;
        assert_eq!(login.client_secret.as_ref().unwrap().expose(), SECRET);
        assert!(!format!("{settings:?}").contains(SECRET));
        let config = Config::resolve(&settings, 8080).unwrap();
        assert!(!format!("{config:?}").contains(SECRET));
    }

    #[test]
    fn the_reconciler_waits_longer_than_a_lease() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::demo(dir.path(), "127.0.0.1:0".parse().unwrap());
        assert!(settings.validate().is_ok());
        settings.place_order.lease_secs = 60;
        let error = settings.validate().unwrap_err().to_string();
        assert!(error.contains("reconcile_after_secs"), "{error}");
        settings.place_order.lease_secs = 1;
        assert!(
            settings.validate().is_err(),
            "a one-second lease is refused"
        );
    }

    #[test]
    fn a_webhook_needs_https_and_one_secret_that_never_debug_prints() {
        const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("webhook-secret");
        std::fs::write(&file, format!("{WHSEC}\n")).unwrap();
        let webhook = |rest: &str| load(&format!("[stores.webhook]\n{rest}"));
        let error = |result: anyhow::Result<Config>| format!("{:#}", result.unwrap_err());

        let from_file = format!(
            "url = \"https://hooks.example/site3\"\nsecret_file = {:?}",
            file.display()
        );
        let settings = webhook(&from_file).unwrap();
        let config = Config::resolve(&settings, 8080).unwrap();
        let resolved = config.stores[0].webhook.as_ref().unwrap();
        assert_eq!(resolved.secret.expose(), WHSEC);
        assert!(!format!("{settings:?}{config:?}").contains("MfKQ"));

        let with_url = |url: &str| webhook(&format!("url = \"{url}\"\nsecret = \"{WHSEC}\""));
        for loopback in ["http://127.0.0.1:9/hooks", "http://hooks.localhost/hooks"] {
            assert!(Config::resolve(&with_url(loopback).unwrap(), 8080).is_ok());
        }
        let plain = with_url("http://hooks.example/hooks").unwrap();
        let refused = error(Config::resolve(&plain, 8080));
        assert!(refused.contains("webhook.url must be https"), "{refused}");
        let secretless = webhook("url = \"https://hooks.example/hooks\"").unwrap();
        let refused = error(Config::resolve(&secretless, 8080));
        assert!(refused.contains("secret or secret_file"), "{refused}");

        let both = format!("{from_file}\nsecret = \"{WHSEC}\"");
        let refused = format!("{:#}", webhook(&both).unwrap_err());
        assert!(refused.contains("not both"), "{refused}");
        let weak = webhook("url = \"https://hooks.example/hooks\"\nsecret = \"hunter2\"");
        let refused = format!("{:#}", weak.unwrap_err());
        assert!(refused.contains("whsec_"), "{refused}");
        assert!(!refused.contains("hunter2"), "{refused}");
    }

    #[test]
    fn a_store_id_or_host_given_twice_is_refused() {
        // Found by fuzz/fuzz_targets/config_toml.rs: a second store `site2` on a host of its
        // own was accepted, and both sites would have shared one store's rows.
        for (id, host) in [
            ("site1", "other.localhost"),
            ("site2", "SITE1.localhost"),
            ("site2", "Checkout.localhost"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("config.toml");
            let toml = format!(
                "[[stores]]\nid = \"site1\"\nname = \"One\"\nhost = \"site1.localhost\"\n\
                 [[stores]]\nid = \"{id}\"\nname = \"Two\"\nhost = \"{host}\"\n"
            );
            std::fs::write(&file, toml).unwrap();
            let base = Settings::demo(dir.path(), "127.0.0.1:0".parse().unwrap());
            let error = Settings::load(base, Some(&file)).unwrap_err();
            assert!(
                error.to_string().contains("configured twice"),
                "{id} {host}: {error}"
            );
        }
    }

    #[test]
    fn a_stores_locale_must_be_translated_and_its_country_assigned() {
        let store = |lines: &str| -> anyhow::Result<Config> {
            let dir = tempfile::tempdir()?;
            let file = dir.path().join("config.toml");
            let toml = format!(
                "[[stores]]\nid = \"site1\"\nname = \"One\"\nhost = \"site1.localhost\"\n{lines}\n"
            );
            std::fs::write(&file, toml)?;
            let base = Settings::demo(dir.path(), "127.0.0.1:0".parse()?);
            Config::resolve(&Settings::load(base, Some(&file))?, 8080)
        };
        let german = store("locale = \"de-DE\"").unwrap();
        assert_eq!(german.stores[0].locale, crate::domain::Locale::DeDe);
        assert_eq!(
            german.stores[0].country.as_str(),
            "DE",
            "the locale's region"
        );
        let austrian = store("locale = \"de-DE\"\ncountry = \"at\"").unwrap();
        assert_eq!(austrian.stores[0].country.as_str(), "AT");
        let default = store("").unwrap();
        assert_eq!(default.stores[0].locale, crate::domain::Locale::EnUs);
        assert_eq!(default.stores[0].country.as_str(), "US");
        let error = store("locale = \"fr-FR\"").unwrap_err().to_string();
        assert!(
            error.contains("site1")
                && error.contains("\"fr-FR\"")
                && error.contains("en-US and de-DE"),
            "{error}"
        );
        let error = store("country = \"XX\"").unwrap_err().to_string();
        assert!(
            error.contains("site1") && error.contains("ISO 3166"),
            "{error}"
        );
    }

    #[test]
    fn checkout_urls_have_one_slash() {
        let checkout = |base: &str| CheckoutConfig {
            host: "checkout.localhost".to_owned(),
            base_url: Url::parse(base).unwrap(),
            client_id: "shared-checkout".to_owned(),
        };
        for base in [
            "http://checkout.localhost:8080",
            "http://checkout.localhost:8080/",
        ] {
            let checkout = checkout(base);
            let callback = "http://checkout.localhost:8080/callback";
            assert_eq!(checkout.url("/callback"), callback);
            assert_eq!(checkout.url("callback"), callback);
        }
        let nested = checkout("https://shop.example/checkout/");
        assert_eq!(
            nested.url("/callback"),
            "https://shop.example/checkout/callback"
        );
    }

    #[test]
    fn the_client_secret_is_read_from_its_file_without_the_line_break() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("site3-secret");
        std::fs::write(&file, format!("{SECRET}\n")).unwrap();
        let settings = load(&format!("client_secret_file = {:?}", file.display())).unwrap();
        let secret = settings.stores[0].login.client_secret.as_ref().unwrap();
        assert_eq!(secret.expose(), SECRET);

        let both = format!(
            "client_secret = \"{SECRET}\"\nclient_secret_file = {:?}",
            file.display()
        );
        let error = format!("{:#}", load(&both).unwrap_err());
        assert!(error.contains("not both"), "{error}");
        let missing = format!(
            "client_secret_file = {:?}",
            dir.path().join("absent").display()
        );
        let error = format!("{:#}", load(&missing).unwrap_err());
        assert!(error.contains("client_secret_file"), "{error}");
    }

    /// What `SHARED_CHECKOUT_STORES__1__LOGIN__CLIENT_SECRET=…` becomes after figment splits it.
    fn environment(path: &[&str], value: &str) -> Value {
        path.iter().rev().fold(Value::from(value), |inner, key| {
            Value::from(Dict::from([((*key).to_owned(), inner)]))
        })
    }

    #[test]
    fn an_environment_key_with_an_index_updates_one_entry_of_a_list() {
        let dir = tempfile::tempdir().unwrap();
        let demo = Settings::demo(dir.path(), "127.0.0.1:0".parse().unwrap());
        let base: Dict = Figment::from(Serialized::defaults(demo)).extract().unwrap();
        let over = environment(&["stores", "1", "login", "client_secret"], SECRET);
        let merged = merge_indexed(Value::from(base), over, "").unwrap();
        let settings: Settings = Figment::from(Serialized::defaults(merged))
            .extract()
            .unwrap();
        assert_eq!(
            settings.stores.len(),
            2,
            "the list is updated, not replaced"
        );
        assert_eq!(settings.stores[1].name, "Meadow Supply");
        let secret = settings.stores[1].login.client_secret.as_ref().unwrap();
        assert_eq!(secret.expose(), SECRET);
        assert!(settings.stores[0].login.client_secret.is_none());

        let base: Dict = Figment::from(Serialized::defaults(settings))
            .extract()
            .unwrap();
        let beyond = environment(&["stores", "2", "name"], "Third");
        let error = merge_indexed(Value::from(base), beyond, "").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("STORES__2: the list has 2 entries"),
            "{error}"
        );
    }

    #[test]
    fn the_id_token_alg_is_parsed_once_and_an_unknown_one_is_refused() {
        let settings = load("id_token_alg = \"EdDSA\"").unwrap();
        assert_eq!(
            settings.stores[0].login.id_token_alg,
            Some(IdTokenAlg::EdDsa)
        );
        assert_eq!(load("").unwrap().stores[0].login.id_token_alg, None);
        let error = format!("{:#}", load("id_token_alg = \"HS256\"").unwrap_err());
        assert!(error.contains("RS256, ES256, PS256 or EdDSA"), "{error}");
        assert!(error.contains("id_token_alg"), "{error}");
    }

    #[test]
    fn an_unreadable_accent_is_darkened_and_a_readable_one_kept() {
        let store = StoreId::parse("site3").unwrap();
        // Light green: 2.8:1 against white.
        let adjusted = readable_accent(&store, "#4caf50").unwrap();
        assert_ne!(adjusted, "#4caf50");
        let colour = Colour::parse(&adjusted).unwrap();
        assert!(
            colour.contrast(Colour::WHITE) >= AA_TEXT_CONTRAST,
            "{adjusted}"
        );
        assert_eq!(readable_accent(&store, "#1f5f8b").unwrap(), "#1f5f8b");
        assert!(readable_accent(&store, "green").is_err());
    }
}
