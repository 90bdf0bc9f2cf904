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
use crate::keys::SigningKeys;
use crate::state::AppState;
use crate::web::{self, WebError, host_of};

pub struct Application {
    listener: TcpListener,
    router: Router,
    pub state: AppState,
}

impl Application {
    /// Connects, migrates, binds the listener and builds the router; `serve` runs it.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let config = Arc::new(Config::resolve(&settings, port)?);
        let db = Db::connect(&settings.database_url).await?;
        db.migrate().await?;
        crate::db::stores::sync(&db, &config.stores).await?;
        let keys = Arc::new(SigningKeys::load_or_generate(&settings.key_dir)?);
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
        let router = router(state.clone(), &cookie_secret);
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        if self.state.config.role.serves_checkout() {
            crate::placeorder::spawn_workers(self.state.clone());
        }
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")
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

/// The HTTP client for calls between roles (token, JWKS, userinfo). `*.localhost`
/// names resolve to loopback as browsers do, so the demo needs no /etc/hosts entries.
fn back_channel_client() -> anyhow::Result<reqwest::Client> {
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
fn router(state: AppState, cookie_secret: &[u8]) -> Router {
    let with_csrf = |host: &str, secure: bool| AppState {
        csrf: web::csrf_config(cookie_secret, host, secure),
        ..state.clone()
    };
    let mut routes = HashMap::new();
    if state.config.role.serves_stores() {
        for store in &state.config.stores {
            let router = crate::store::router()
                .merge(crate::provider::router())
                .with_state(with_csrf(&store.host, store.secure_cookies()));
            routes.insert(store.host.clone(), router);
        }
    }
    if state.config.role.serves_checkout() {
        let checkout = &state.config.checkout.host;
        let router = crate::checkout::router(&state.config.payments)
            .merge(crate::relying_party::router())
            .with_state(with_csrf(checkout, state.config.secure_cookies()));
        routes.insert(checkout.clone(), router);
    }
    let hosts = HostRouters {
        db: state.db.clone(),
        routes,
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/static/style.css", get(web::assets::stylesheet))
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

struct HostRouters {
    db: Db,
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

/// Ready when the database answers.
async fn healthz(State(hosts): State<Arc<HostRouters>>) -> Result<&'static str, WebError> {
    sqlx::query("SELECT 1")
        .execute(&hosts.db.pool)
        .await
        .context("health check")?;
    Ok("ok")
}
