//! Builds the application for the configured roles and serves it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::{Config, Settings};
use crate::db::Db;
use crate::keys::{SigningKeys, StoreKeys};
use crate::ops::Health;
use crate::state::AppState;
use crate::web::{self, WebError, host_of};

/// How long a stopping node waits for its webhook pass in flight: longer than the
/// back-channel client's 10 s timeout, so the pass records how each delivery went.
const WEBHOOK_PASS_GRACE: Duration = Duration::from_secs(12);

pub struct Application {
    listener: TcpListener,
    router: Router,
    pub state: AppState,
    health: Health,
    /// The operations listener (`/metrics`), when configured.
    metrics_listener: Option<TcpListener>,
    drain: Duration,
}

impl Application {
    /// Connects, migrates, binds the listener and builds the router; `serve` runs it.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let config = Arc::new(Config::resolve(&settings, port)?);
        let db = Db::connect(&settings.database_url, settings.database_pool_size).await?;
        db.migrate().await?;
        crate::db::stores::sync(&db, &config.stores).await?;
        crate::registration::register_at_own_stores(&db, &config).await?;
        let keys = Arc::new(StoreKeys::load_or_generate(
            &settings.key_dir,
            &config.stores,
        )?);
        let checkout_keys = Arc::new(SigningKeys::load_or_generate(
            &settings.key_dir.join("checkout"),
        )?);
        let cookie_secret = web::load_or_create_cookie_secret(&settings.cookie_secret_file)?;
        if config.payments.test_gateway && config.role.serves_checkout() {
            tracing::warn!(
                "test payment gateway enabled: shoppers can approve their own payments; \
                 never take real orders with payments.test_gateway"
            );
        }
        let state = AppState {
            http: back_channel_client()?,
            csrf: web::csrf_config(
                &cookie_secret,
                &config.checkout.host,
                config.secure_cookies(),
            ),
            limits: Arc::new(web::RateLimits::new(&cookie_secret)),
            signed: Arc::new(web::SignedValues::new(&cookie_secret)),
            hashing: Arc::new(crate::passwords::HashingQueue::sized_to_the_machine()),
            store_providers: Arc::default(),
            payments: Arc::new(crate::payment::Gateways::configured(&config.payments)),
            db,
            config,
            keys,
            checkout_keys,
        };
        let metrics_listener = match settings.operations.metrics_listen {
            Some(address) => {
                crate::ops::metrics();
                Some(
                    TcpListener::bind(address)
                        .await
                        .with_context(|| format!("binding the metrics listener {address}"))?,
                )
            }
            None => None,
        };
        let health = Health::new(state.db.clone());
        let router = router(
            state.clone(),
            &cookie_secret,
            health.clone(),
            metrics_listener.is_some(),
        );
        Ok(Self {
            listener,
            router,
            state,
            health,
            metrics_listener,
            drain: Duration::from_secs(settings.operations.drain_secs),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// The operations listener's port, when `operations.metrics_listen` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map(|a| a.port())
    }

    /// Serves until `shutdown` resolves; then `/readyz` answers 503 for
    /// `operations.drain_secs` while requests are still taken, and in-flight requests
    /// finish before this returns.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_deliveries, deliveries_stop) = tokio::sync::watch::channel(false);
        let (workers, deliveries) = if self.state.config.role.serves_checkout() {
            (
                crate::placeorder::spawn_workers(self.state.clone()),
                Some(crate::webhooks::spawn(self.state.clone(), deliveries_stop)),
            )
        } else {
            (Vec::new(), None)
        };
        crate::db::retention::spawn(self.state.db.clone());
        crate::db::checkpoint::spawn(self.state.db.clone());
        if let Some(listener) = self.metrics_listener {
            serve_metrics(listener, self.state.db.clone());
        }
        let (health, drain) = (self.health, self.drain);
        let shutdown = async move {
            shutdown.await;
            health.start_draining();
            tracing::info!(
                drain_secs = drain.as_secs(),
                "draining: /readyz answers 503"
            );
            tokio::time::sleep(drain).await;
        };
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP");
        // Requests have finished. Background runs stop where they are (every step is
        // persisted or safe to run again) and their leases go back, so another node
        // resumes them now rather than when the leases expire.
        if let Some(mut deliveries) = deliveries {
            let _ = stop_deliveries.send(true);
            if tokio::time::timeout(WEBHOOK_PASS_GRACE, &mut deliveries)
                .await
                .is_err()
            {
                deliveries.abort();
            }
        }
        if !workers.is_empty() {
            for worker in workers {
                worker.abort();
                let _ = worker.await;
            }
            match crate::placeorder::hand_back_leases(&self.state).await {
                Ok(leases) => tracing::info!(leases, "place-order leases handed back"),
                Err(error) => tracing::warn!(%error, "handing back place-order leases failed"),
            }
        }
        served
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested, draining connections");
}

/// Serves `/metrics` on its own listener, and keeps the recorder's histograms drained
/// between scrapes so that they never grow with the traffic.
fn serve_metrics(listener: TcpListener, db: Db) {
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, crate::ops::metrics_router(db)).await {
            tracing::error!(%error, "the metrics listener stopped");
        }
    });
    tokio::spawn(async move {
        let handle = crate::ops::metrics();
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            handle.run_upkeep();
        }
    });
}

/// The HTTP client for calls between roles (token, JWKS, userinfo). `*.localhost`
/// names resolve to loopback as browsers do, so the demo needs no /etc/hosts entries.
pub(crate) fn back_channel_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(web::LocalhostResolver))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("shared-checkout/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the back-channel HTTP client")
}

/// One router per host; requests go to the one that owns their `Host`. Each host has its
/// own CSRF key, so a form token issued at one host verifies at no other.
fn router(state: AppState, cookie_secret: &[u8], health: Health, metrics: bool) -> Router {
    let with_csrf = |host: &str, secure: bool| AppState {
        csrf: web::csrf_config(cookie_secret, host, secure),
        ..state.clone()
    };
    let mut routes = HashMap::new();
    if state.config.role.serves_stores() {
        for store in &state.config.stores {
            // A store whose shoppers log in at an external provider has no provider and
            // no password accounts here: those paths are the store's 404 page.
            let router = if store.has_own_provider() {
                crate::store::router()
                    .merge(crate::store::accounts())
                    .merge(crate::provider::router())
            } else {
                crate::store::router()
            };
            let router = router.with_state(with_csrf(&store.host, store.secure_cookies()));
            routes.insert(
                store.host.clone(),
                measured(router, metrics, store.id.to_string()),
            );
        }
    }
    if state.config.role.serves_checkout() {
        let checkout = &state.config.checkout.host;
        let router = crate::checkout::router(&state.config.payments)
            .merge(crate::relying_party::router())
            .with_state(with_csrf(checkout, state.config.secure_cookies()));
        routes.insert(
            checkout.clone(),
            measured(router, metrics, "checkout".to_owned()),
        );
    }
    let hosts = HostRouters { routes };
    Router::new()
        .route("/healthz", get(crate::ops::healthz))
        .route("/readyz", get(crate::ops::readyz).with_state(health))
        .route("/static/style.css", get(web::assets::stylesheet))
        .route("/static/products/{name}", get(web::assets::product_image))
        .fallback(dispatch_by_host)
        .with_state(Arc::new(hosts))
        .layer(state.config.client_ip_source.clone().into_extension())
        .layer(CatchPanicLayer::custom(web::panic_response))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(RequestBodyLimitLayer::new(64 * 1024))
        .layer(axum::middleware::from_fn(
            web::bare_errors::readable_bare_errors,
        ))
        .layer(axum::middleware::from_fn(web::headers::security_headers))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// With metrics on, every request to the site is counted and timed under its name.
fn measured(router: Router, metrics: bool, site: String) -> Router {
    if metrics {
        router.route_layer(axum::middleware::from_fn_with_state(
            Arc::new(site),
            crate::ops::record_request,
        ))
    } else {
        router
    }
}

struct HostRouters {
    /// By lowercased host name: each store's and the checkout's, for the roles served.
    routes: HashMap<String, Router>,
}

async fn dispatch_by_host(State(hosts): State<Arc<HostRouters>>, request: Request) -> Response {
    let host = host_of(request.headers(), request.uri());
    let target = host.and_then(|host| hosts.routes.get(&host).cloned());
    match target {
        Some(router) => match router.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        },
        None => WebError::NotFound("site").into_response(),
    }
}
