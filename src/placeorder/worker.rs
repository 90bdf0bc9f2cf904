//! The background runner and reconciler; every checkout node runs both. They coordinate
//! only through the database (leases), so any number of nodes may run them.

use std::time::Duration;

use tokio::task::JoinHandle;

use super::drive;
use crate::config::PlaceOrderSettings;
use crate::db;
use crate::db::placeorder::now_ms;
use crate::payment::PaymentContext;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// How often the runner looks for due processes whose lease is free or expired.
    pub poll_interval: Duration,
    /// How often the reconciler runs.
    pub reconcile_interval: Duration,
    /// How long a process or payment must be untouched before the reconciler acts.
    pub reconcile_after: Duration,
    /// The lease the runner and reconciler take.
    pub lease: Duration,
    /// Processes taken per poll.
    pub batch: i64,
}

impl WorkerSettings {
    pub fn configured(settings: &PlaceOrderSettings) -> Self {
        Self {
            poll_interval: Duration::from_millis(settings.runner_poll_ms),
            reconcile_interval: Duration::from_secs(settings.reconcile_every_secs),
            reconcile_after: Duration::from_secs(settings.reconcile_after_secs),
            lease: settings.lease(),
            batch: 20,
        }
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self::configured(&PlaceOrderSettings::default())
    }
}

/// Starts the runner and the reconciler; they stop when the runtime does (or on abort).
pub fn spawn_workers_with(app: AppState, settings: WorkerSettings) -> Vec<JoinHandle<()>> {
    let runner = {
        let (app, settings) = (app.clone(), settings.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(settings.poll_interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(error) = run_due(&app, &settings).await {
                    tracing::warn!(error = %crate::telemetry::ShortIds(format!("{error:?}")), "place-order runner pass failed");
                }
            }
        })
    };
    let reconciler = tokio::spawn(async move {
        let mut tick = tokio::time::interval(settings.reconcile_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(error) = reconcile_with(&app, &settings, settings.reconcile_after).await {
                tracing::warn!(error = %crate::telemetry::ShortIds(format!("{error:?}")), "place-order reconciler pass failed");
            }
        }
    });
    vec![runner, reconciler]
}

/// Runs every due process whose lease is free or expired (a crashed node's included).
async fn run_due(app: &AppState, settings: &WorkerSettings) -> anyhow::Result<()> {
    for (store, id) in db::placeorder::due(&app.db, settings.batch).await? {
        // Another node may win the lease between the query and here; that is fine.
        if let Err(error) = drive(app, &store, id, settings.lease).await {
            tracing::warn!(process = %crate::telemetry::ShortIds(&id), error = %crate::telemetry::ShortIds(format!("{error:?}")), "running a due process failed");
        }
    }
    Ok(())
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Unfinished processes run again (each may have placed its order, or timed out).
    pub resumed: usize,
    /// Successful payments of failed processes, voided.
    pub payments_voided: usize,
}

/// One reconciler pass over everything untouched for `older_than`:
/// - every unfinished process whose lease is free is run: one whose payment succeeded
///   (the shopper paid and closed the tab, or a node died) places its order; one still
///   waiting past `engine::PAYMENT_WAIT_TIMEOUT` is abandoned and rolled back;
/// - every payment that succeeded but belongs to a failed process, or to an attempt
///   replaced by a newer one, and has no order, is cancelled at its gateway.
pub async fn reconcile_once(
    app: &AppState,
    older_than: Duration,
) -> anyhow::Result<ReconcileReport> {
    reconcile_with(
        app,
        &WorkerSettings::configured(&app.config.place_order),
        older_than,
    )
    .await
}

async fn reconcile_with(
    app: &AppState,
    settings: &WorkerSettings,
    older_than: Duration,
) -> anyhow::Result<ReconcileReport> {
    let mut report = ReconcileReport::default();
    let before_ms = now_ms() - older_than.as_millis() as i64;
    for (store, id) in db::placeorder::stale(&app.db, before_ms, settings.batch).await? {
        match drive(app, &store, id, settings.lease).await {
            Ok(true) => {
                report.resumed += 1;
                metrics::counter!("reconciler_actions_total", "action" => "resumed").increment(1);
            }
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(process = %crate::telemetry::ShortIds(&id), error = %crate::telemetry::ShortIds(format!("{error:?}")), "reconciling a process failed")
            }
        }
    }
    let before = db::now() - older_than.as_secs() as i64;
    for payment in db::payments::succeeded_without_order(&app.db, before, settings.batch).await? {
        let (Some(store), Some(gateway)) = (
            app.config.store(&payment.store_id),
            app.payments.by_code(&payment.gateway),
        ) else {
            tracing::warn!(payment = %crate::telemetry::ShortIds(&payment.id), "orphaned payment of an unknown store or gateway");
            continue;
        };
        let ctx = PaymentContext {
            db: &app.db,
            checkout_base_url: app.config.checkout.base_url.as_str(),
            store,
            basket_id: payment.basket_id,
            process_id: payment.process_id,
            payment_id: Some(payment.id),
            method: &payment.method,
            amount: payment.amount,
            return_url: &payment.return_url,
            idempotency_key: &payment.idempotency_key,
        };
        match gateway.cancel(&ctx).await {
            Ok(_) => {
                tracing::info!(payment = %crate::telemetry::ShortIds(&payment.id), "voided a successful payment without an order");
                report.payments_voided += 1;
                metrics::counter!("reconciler_actions_total", "action" => "payment_voided")
                    .increment(1);
            }
            Err(error) => {
                tracing::warn!(payment = %crate::telemetry::ShortIds(&payment.id), error = %crate::telemetry::ShortIds(format!("{error:?}")), "voiding a payment failed")
            }
        }
    }
    Ok(report)
}
