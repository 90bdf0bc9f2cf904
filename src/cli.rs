//! The command line: the same global options reach the same database and keys everywhere.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::app::{Application, shutdown_signal};
use crate::config::{Role, Settings};
use crate::db::Db;
use crate::domain::StoreId;
use crate::keys::{SigningAlg, SigningKeys, StoreKeys};
use crate::provider::clients::{self, ClientAuth, NewClient};
use crate::registration::CheckoutAtStore;
use crate::secrets::ClientSecret;

#[derive(Debug, Parser)]
#[command(
    name = "shared-checkout",
    version,
    about = "One checkout for many web stores, with login through each store's OpenID provider"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalOptions {
    /// Directory for the SQLite database, signing keys and cookie secret.
    #[arg(
        long,
        global = true,
        env = "SHARED_CHECKOUT_DATA_DIR",
        default_value = "./data"
    )]
    pub data_dir: PathBuf,
    /// TOML configuration file; `SHARED_CHECKOUT_*` variables override its keys.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Database URL (`sqlite://…` or `postgres://…`); overrides the configuration.
    #[arg(long, global = true, env = "DATABASE_URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run both demo stores and the checkout on one port, seeded and ready.
    Demo {
        /// Overrides `listen` from the configuration; 127.0.0.1:8080 when neither sets it.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Run the server from a configuration file.
    Serve {
        /// Overrides `listen` from the configuration.
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Overrides `role` from the configuration.
        #[arg(long, value_enum)]
        role: Option<Role>,
    },
    /// Apply database migrations, register the checkout at this deployment's own stores,
    /// and exit.
    Migrate,
    /// Try what a login through each store needs from its provider (discovery, issuer,
    /// PKCE, `iss`, keys for the algorithm, the checkout's credentials) and print what to
    /// register there; exits non-zero on any fault.
    Check,
    /// Manage the store providers' signing keys, each store's its own.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage OAuth clients registered at a store's provider.
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// Manage the API keys a store's headless storefront calls the checkout API with.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Manage the catalog all stores share.
    Products {
        #[command(subcommand)]
        command: ProductsCommand,
    },
    /// Follow the events sent to the stores' webhooks.
    Webhooks {
        #[command(subcommand)]
        command: WebhooksCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Show a store's most recent events, newest first: id, type, when written, attempts,
    /// delivered, next attempt or given up, and the last error.
    List {
        #[arg(long)]
        store: StoreId,
        /// How many events at most.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProductsCommand {
    /// Add or update products by SKU from a `.csv` file (header row) or a `.json` array;
    /// nothing is written when any row is bad.
    Import {
        /// Fields: sku, name, description, price in major units (`14.90`), currency
        /// (ISO 4217), image (optional: an https URL or a path under /static/).
        file: PathBuf,
    },
    /// Show every product: SKU, price, name.
    List,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key for one store and print it, once: only its hash is kept.
    Create {
        /// Store id, e.g. site1.
        #[arg(long)]
        store: StoreId,
        /// A name to tell keys apart, e.g. the storefront's host.
        #[arg(long, default_value = "storefront")]
        name: String,
    },
    /// Show a store's keys (ids and names, never the keys).
    List {
        #[arg(long)]
        store: StoreId,
    },
    /// Revoke a key by its id; it authenticates nothing from then on.
    Revoke {
        #[arg(long)]
        store: StoreId,
        #[arg(long)]
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an RS256 and an ES256 key where none exists.
    Generate {
        /// One store's keys; every store whose provider this deployment runs when absent.
        #[arg(long)]
        store: Option<StoreId>,
    },
    /// Create new active keys; the previous ones stay published, older ones are removed.
    Rotate {
        /// One store's keys; every store whose provider this deployment runs when absent.
        #[arg(long)]
        store: Option<StoreId>,
    },
    /// Show the keys, their store and which ones sign.
    List {
        /// One store's keys; every store whose provider this deployment runs when absent.
        #[arg(long)]
        store: Option<StoreId>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register (or replace) a client at one store.
    Add(ClientAddArgs),
}

#[derive(Debug, Args)]
pub struct ClientAddArgs {
    /// Store id, e.g. site1.
    #[arg(long)]
    pub store: StoreId,
    /// Client id.
    #[arg(long)]
    pub id: String,
    /// Allowed redirect URI, compared byte for byte; repeat for several.
    #[arg(long = "redirect-uri", required = true)]
    pub redirect_uris: Vec<String>,
    /// Shared secret (client_secret_basic, or client_secret_post with --post). May begin
    /// with `-`, as one random base64url secret in 64 does.
    #[arg(
        long,
        allow_hyphen_values = true,
        conflicts_with = "jwks_uri",
        required_unless_present = "jwks_uri"
    )]
    pub secret: Option<ClientSecret>,
    /// Send the secret in the form body (client_secret_post) instead of Basic auth.
    #[arg(long, requires = "secret")]
    pub post: bool,
    /// URL of the client's JWKS (private_key_jwt).
    #[arg(long)]
    pub jwks_uri: Option<String>,
    /// Algorithm for ID tokens issued to this client: RS256 or ES256; by default the first
    /// that discovery advertises (RS256, which every OpenID client supports).
    #[arg(long, default_value_t = SigningAlg::ALL[0])]
    pub id_token_alg: SigningAlg,
    /// Where logout tokens are POSTed when a customer's store session ends
    /// (OpenID Connect Back-Channel Logout).
    #[arg(long)]
    pub backchannel_logout_uri: Option<String>,
    /// Where the client may send customers after logging out (RP-Initiated Logout),
    /// compared byte for byte; repeat for several.
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Accept this client's authorization requests only when pushed first (RFC 9126
    /// Pushed Authorization Requests): /authorize without a request_uri is refused.
    #[arg(long)]
    pub require_pushed_authorization_requests: bool,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let global = &cli.global;
    match cli.command {
        Command::Demo { listen } => {
            let mut settings = settings(global, "127.0.0.1:8080".parse()?)?;
            if let Some(listen) = listen {
                settings.listen = listen;
            }
            crate::telemetry::init(settings.log_format);
            let app = Application::build(settings).await?;
            crate::demo::seed(&app.state).await?;
            crate::demo::print_welcome(&app.state, app.metrics_port());
            app.serve(shutdown_signal()).await
        }
        Command::Serve { listen, role } => {
            anyhow::ensure!(global.config.is_some(), "serve needs --config FILE");
            let mut settings = settings_over(
                global,
                Settings::serve_defaults(&global.data_dir, "127.0.0.1:8080".parse()?),
            )?;
            if let Some(listen) = listen {
                settings.listen = listen;
            }
            if let Some(role) = role {
                settings.role = role;
            }
            crate::telemetry::init(settings.log_format);
            let app = Application::build(settings).await?;
            crate::catalog::notice_if_empty(&app.state.db).await?;
            for store in &app.state.config.stores {
                let registration = CheckoutAtStore::new(&app.state.config, store);
                tracing::info!(store = %store.id, "the checkout's registration\n{registration}");
            }
            tracing::info!(
                port = app.port(),
                metrics_port = app.metrics_port(),
                "listening"
            );
            // The logins are the checkout's; a store-only node has none to try.
            if app.state.config.role.serves_checkout() {
                tokio::spawn(log_login_checks(app.state.clone()));
            }
            app.serve(shutdown_signal()).await
        }
        Command::Migrate => {
            let settings = settings(global, "127.0.0.1:0".parse()?)?;
            let db = Db::connect(&settings.database_url, settings.database_pool_size).await?;
            db.migrate().await?;
            let config = crate::config::Config::resolve(&settings, settings.listen.port())?;
            crate::db::stores::sync(&db, &config.stores).await?;
            crate::registration::register_at_own_stores(&db, &config).await?;
            println!("migrations applied; the checkout is registered at this deployment's stores");
            Ok(())
        }
        Command::Check => check(global).await,
        Command::Keys { command } => keys(global, command),
        Command::Client {
            command: ClientCommand::Add(args),
        } => client_add(global, args).await,
        Command::ApiKey { command } => api_key(global, command).await,
        Command::Products { command } => {
            let settings = settings(global, "127.0.0.1:0".parse()?)?;
            match command {
                ProductsCommand::Import { file } => crate::catalog::import(&settings, &file).await,
                ProductsCommand::List => crate::catalog::list(&settings).await,
            }
        }
        Command::Webhooks {
            command: WebhooksCommand::List { store, limit },
        } => webhooks_list(global, &store, limit).await,
    }
}

/// The checks `check` runs, logged once the node serves: a fault shows at start-up
/// rather than on a shopper's refused login.
async fn log_login_checks(state: crate::state::AppState) {
    let checks = crate::check::run(&state.config, &state.http, Some(&state.checkout_keys)).await;
    for check in checks {
        let store = check.registration.store.as_str();
        for fault in &check.faults {
            tracing::warn!(store, fault = %fault, "a login through this store will fail");
        }
        if check.faults.is_empty() {
            tracing::info!(store, "login checks passed");
        }
    }
}

async fn check(global: &GlobalOptions) -> anyhow::Result<()> {
    let Some(file) = &global.config else {
        anyhow::bail!("check needs --config FILE");
    };
    let settings = settings_over(
        global,
        Settings::serve_defaults(&global.data_dir, "127.0.0.1:8080".parse()?),
    )?;
    println!("configuration {} is valid\n", file.display());
    let config = crate::config::Config::resolve(&settings, settings.listen.port())?;
    // Read, never created: a check changes nothing. `serve` creates them on first start.
    let checkout_keys = SigningKeys::load(&settings.key_dir.join("checkout")).ok();
    let http = crate::app::back_channel_client()?;
    let checks = crate::check::run(&config, &http, checkout_keys.as_ref()).await;
    let faults: usize = checks.iter().map(|c| c.faults.len()).sum();
    for check in &checks {
        println!("{check}");
    }
    anyhow::ensure!(
        faults == 0,
        "{faults} fault(s) found; a login through the stores above will fail"
    );
    println!("every store's login checks passed");
    Ok(())
}

fn keys(global: &GlobalOptions, command: KeysCommand) -> anyhow::Result<()> {
    let settings = settings(global, "127.0.0.1:0".parse()?)?;
    let config = crate::config::Config::resolve(&settings, settings.listen.port())?;
    let (KeysCommand::Generate { store: chosen }
    | KeysCommand::Rotate { store: chosen }
    | KeysCommand::List { store: chosen }) = &command;
    let stores: Vec<_> = match chosen {
        Some(id) => {
            let store = config
                .store(id)
                .with_context(|| format!("store {id} is not configured"))?;
            anyhow::ensure!(
                store.has_own_provider(),
                "store {id} logs in at an external provider (login.issuer): its keys are \
                 that provider's, not ours"
            );
            vec![store]
        }
        None => config
            .stores
            .iter()
            .filter(|s| s.has_own_provider())
            .collect(),
    };
    for store in stores {
        let dir = StoreKeys::dir(&settings.key_dir, &store.id);
        let keys = match command {
            KeysCommand::Generate { .. } => SigningKeys::load_or_generate(&dir)?,
            KeysCommand::Rotate { .. } => SigningKeys::rotate(&dir)?,
            KeysCommand::List { .. } => SigningKeys::load(&dir)?,
        };
        for key in keys.all() {
            let active = keys.active(key.alg).is_some_and(|a| a.kid == key.kid);
            println!(
                "{}  {}  {}  {}",
                store.id,
                key.kid,
                key.alg.as_str(),
                if active { "signing" } else { "published" }
            );
        }
    }
    Ok(())
}

async fn client_add(global: &GlobalOptions, args: ClientAddArgs) -> anyhow::Result<()> {
    let settings = settings(global, "127.0.0.1:0".parse()?)?;
    let db = Db::connect(&settings.database_url, settings.database_pool_size).await?;
    db.migrate().await?;
    anyhow::ensure!(
        settings.stores.iter().any(|s| s.id == args.store),
        "store {} is not configured",
        args.store
    );
    let port = settings.listen.port();
    let config = crate::config::Config::resolve(&settings, port)?;
    crate::db::stores::sync(&db, &config.stores).await?;
    let auth = match (args.secret, args.jwks_uri) {
        (Some(secret), _) if args.post => ClientAuth::SecretPost(secret),
        (Some(secret), _) => ClientAuth::SecretBasic(secret),
        (None, Some(jwks_uri)) => ClientAuth::PrivateKeyJwt { jwks_uri },
        (None, None) => anyhow::bail!("give --secret or --jwks-uri"),
    };
    let client = NewClient {
        client_id: args.id,
        redirect_uris: args.redirect_uris,
        auth,
        id_token_alg: args.id_token_alg,
        backchannel_logout_uri: args.backchannel_logout_uri,
        post_logout_redirect_uris: args.post_logout_redirect_uris,
        require_pushed_authorization_requests: args.require_pushed_authorization_requests,
    };
    clients::register(&db, &args.store, &client).await?;
    println!(
        "client {} registered at store {}",
        client.client_id, args.store
    );
    Ok(())
}

async fn api_key(global: &GlobalOptions, command: ApiKeyCommand) -> anyhow::Result<()> {
    let settings = settings(global, "127.0.0.1:0".parse()?)?;
    let db = Db::connect(&settings.database_url, settings.database_pool_size).await?;
    db.migrate().await?;
    let config = crate::config::Config::resolve(&settings, settings.listen.port())?;
    crate::db::stores::sync(&db, &config.stores).await?;
    let store = match &command {
        ApiKeyCommand::Create { store, .. }
        | ApiKeyCommand::List { store }
        | ApiKeyCommand::Revoke { store, .. } => store,
    };
    anyhow::ensure!(
        config.store(store).is_some(),
        "store {store} is not configured"
    );
    match command {
        ApiKeyCommand::Create { store, name } => {
            let created = crate::db::api_keys::create(&db, &store, &name).await?;
            println!("api key {} created for store {store}", created.id);
            println!("{}", created.key);
            eprintln!("The key is shown only now; store it in the storefront's secrets.");
        }
        ApiKeyCommand::List { store } => {
            for key in crate::db::api_keys::list(&db, &store).await? {
                let state = if key.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                println!("{}  {}  {}  {state}", key.id, key.created_at, key.name);
            }
        }
        ApiKeyCommand::Revoke { store, id } => {
            anyhow::ensure!(
                crate::db::api_keys::revoke(&db, &store, &id).await?,
                "store {store} has no active api key {id}"
            );
            println!("api key {id} revoked");
        }
    }
    Ok(())
}

async fn webhooks_list(global: &GlobalOptions, store: &StoreId, limit: i64) -> anyhow::Result<()> {
    let settings = settings(global, "127.0.0.1:0".parse()?)?;
    let config = crate::config::Config::resolve(&settings, settings.listen.port())?;
    anyhow::ensure!(
        config.store(store).is_some(),
        "store {store} is not configured"
    );
    let db = Db::connect(&settings.database_url, settings.database_pool_size).await?;
    db.migrate().await?;
    let events = crate::db::webhooks::recent(&db, store, limit.clamp(1, 1000)).await?;
    println!("id  type  created  attempts  status  last error");
    for event in events {
        let status = match (event.delivered_at, event.given_up_at) {
            (Some(at), _) => format!("delivered {}", rfc3339(at * 1000)),
            (None, Some(at)) => format!("given up {}", rfc3339(at * 1000)),
            (None, None) => format!("next attempt {}", rfc3339(event.next_attempt_at_ms)),
        };
        let error = event.last_error.unwrap_or_else(|| "-".to_owned());
        println!(
            "{}  {}  {}  {}  {status}  {error}",
            event.id,
            event.event_type,
            rfc3339(event.created_at * 1000),
            event.attempts
        );
    }
    Ok(())
}

/// Unix milliseconds as an RFC 3339 time in UTC, to the second.
fn rfc3339(unix_ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Demo defaults under `--data-dir`, then the configuration file, the environment and flags.
fn settings(global: &GlobalOptions, listen: SocketAddr) -> anyhow::Result<Settings> {
    settings_over(global, Settings::demo(&global.data_dir, listen))
}

/// `base`, then the configuration file, the environment and flags.
fn settings_over(global: &GlobalOptions, base: Settings) -> anyhow::Result<Settings> {
    let mut settings = Settings::load(base, global.config.as_deref())?;
    if let Some(url) = &global.database_url {
        settings.database_url = url.clone();
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `client add` of `shop` at site1 with `extra` arguments, as the command line parses it.
    fn client_add(extra: &[&str]) -> Result<Cli, clap::Error> {
        let mut args = vec![
            "shared-checkout",
            "client",
            "add",
            "--store",
            "site1",
            "--id",
            "shop",
            "--redirect-uri",
            "https://shop.example/cb",
        ];
        args.extend_from_slice(extra);
        Cli::try_parse_from(args)
    }

    fn added(cli: Cli) -> ClientAddArgs {
        match cli.command {
            Command::Client {
                command: ClientCommand::Add(args),
            } => args,
            _ => panic!("not client add"),
        }
    }

    /// A random base64url secret begins with `-` once in 64.
    #[test]
    fn a_secret_that_begins_with_a_dash_is_taken_as_the_secret() {
        let secret = "-_kEkANI_8CSePiyG9MqkVOkRQRiUhw-XcW3I_TFSWM";
        let cli = client_add(&["--secret", secret]).expect("the secret parses");
        assert_eq!(added(cli).secret.unwrap().expose(), secret);
    }

    #[test]
    fn client_add_parses_the_algorithm_and_never_debug_prints_the_secret() {
        let secret = "cli-secret-0123456789abcdef0123456789";
        let with_alg = |alg: Option<&str>| {
            let mut extra = vec!["--secret", secret];
            extra.extend(alg.map(|alg| ["--id-token-alg", alg]).into_iter().flatten());
            client_add(&extra)
        };
        let cli = with_alg(Some("ES256")).unwrap();
        assert!(!format!("{cli:?}").contains(secret));
        let args = added(cli);
        assert_eq!(args.id_token_alg, SigningAlg::Es256);
        assert_eq!(args.secret.unwrap().expose(), secret);
        // The first algorithm discovery advertises, which every OpenID client supports.
        let default = added(with_alg(None).unwrap()).id_token_alg;
        assert_eq!(default, SigningAlg::Rs256);
        assert_eq!(default, SigningAlg::ALL[0]);
        let refused = with_alg(Some("HS256"));
        assert!(refused.unwrap_err().to_string().contains("RS256 or ES256"));
    }

    #[test]
    fn client_add_may_require_pushed_authorization_requests() {
        let parse = |flag: Option<&str>| {
            let mut extra = vec!["--jwks-uri", "https://shop.example/jwks.json"];
            extra.extend(flag);
            added(client_add(&extra).unwrap()).require_pushed_authorization_requests
        };
        assert!(parse(Some("--require-pushed-authorization-requests")));
        assert!(!parse(None), "not required unless asked");
    }
}
