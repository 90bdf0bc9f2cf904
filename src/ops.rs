//! What operators and load balancers ask a node: `/healthz` (the process answers),
//! `/readyz` (the database answers, has every migration of this release, and the node is
//! not draining) and Prometheus metrics at `/metrics`, served on a listener of its own
//! (`operations.metrics_listen`) so that no store or checkout host exposes them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::db::Db;

/// Request latency buckets in seconds, from a cached page to a slow back-channel call.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A node's readiness: the database it serves from, and whether it is shutting down.
#[derive(Clone)]
pub struct Health {
    db: Db,
    draining: Arc<AtomicBool>,
}

impl Health {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            draining: Arc::default(),
        }
    }

    /// From now on `/readyz` answers 503, so the load balancer sends no new work here.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    async fn problem(&self) -> Option<&'static str> {
        if self.draining.load(Ordering::Relaxed) {
            return Some("draining");
        }
        match self.db.migrations_current().await {
            Ok(true) => None,
            Ok(false) => Some("database migrations pending"),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "readiness check failed");
                Some("database unreachable")
            }
        }
    }
}

/// Liveness: the process answers. It does not ask the database, so a database outage
/// takes nodes out of the load balancer (`/readyz`) without restarting them.
pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(health): State<Health>) -> Response {
    match health.problem().await {
        None => "ready".into_response(),
        Some(problem) => (StatusCode::SERVICE_UNAVAILABLE, problem).into_response(),
    }
}

/// The process's metrics recorder, installed on first use. Metrics are process-wide (the
/// `metrics` macros record into one global recorder), so every application built in one
/// process shares them.
pub fn metrics() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            // Histograms with buckets rather than summaries, so nodes can be aggregated.
            let recorder = PrometheusBuilder::new()
                .set_buckets(&LATENCY_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new())
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics stays empty");
            }
            handle
        })
        .clone()
}

/// `/metrics` for the operations listener, with the pool's gauges read at scrape time.
pub fn metrics_router(db: Db) -> Router {
    Router::new().route("/metrics", get(render)).with_state(db)
}

async fn render(State(db): State<Db>) -> Response {
    let idle = db.pool.num_idle();
    let open = db.pool.size() as usize;
    metrics::gauge!("db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("db_pool_connections", "state" => "in_use")
        .set(open.saturating_sub(idle) as f64);
    metrics::gauge!("db_pool_max_connections")
        .set(f64::from(db.pool.options().get_max_connections()));
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics().render(),
    )
        .into_response()
}

/// Counts every request to a site (a store's id or `checkout`) by route and status and
/// times it; the route is the pattern (`/{store_id}/{basket_id}/review`), never the path,
/// so ids do not become labels.
pub async fn record_request(
    State(site): State<Arc<String>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(
        "http_requests_total",
        "site" => site.to_string(),
        "method" => method.clone(),
        "route" => route.clone(),
        "status" => status
    )
    .increment(1);
    metrics::histogram!(
        "http_request_duration_seconds",
        "site" => site.to_string(),
        "method" => method,
        "route" => route
    )
    .record(started.elapsed().as_secs_f64());
    response
}
