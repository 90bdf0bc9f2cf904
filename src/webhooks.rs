//! Delivering the outbox (`db::webhooks`) to the stores' webhooks as Standard Webhooks:
//! every checkout node claims due events, POSTs each signed with its store's secret, and
//! records the answer. A 2xx is delivered; anything else, or no answer, is retried with
//! exponential backoff until the event is `webhooks.give_up_after_secs` old. Delivery is at
//! least once (a node may die after the receiver accepted and before recording it); the
//! event id is the `webhook-id` the receiver de-duplicates by.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::config::WebhookSettings;
use crate::db::placeorder::now_ms;
use crate::db::webhooks::{self as outbox, Claimed, Next};
use crate::state::AppState;

/// How long a node holds an event it is delivering: well over the back-channel client's
/// 10 s timeout, so no other node sends it meanwhile.
const CLAIM: Duration = Duration::from_secs(60);
/// Events claimed per pass, delivered concurrently.
const BATCH: i64 = 20;

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: usize,
    pub failed: usize,
    pub given_up: usize,
}

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Delivered,
    Failed,
    GivenUp,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::GivenUp => "given_up",
        }
    }
}

/// One pass: claims the events due now and delivers them. The spawned loop runs it every
/// `webhooks.poll_interval_ms`; tests call it directly.
pub async fn deliver_once(app: &AppState) -> anyhow::Result<DeliveryReport> {
    let mut attempts = JoinSet::new();
    for event in outbox::claim_due(&app.db, CLAIM, BATCH).await? {
        let app = app.clone();
        attempts.spawn(async move { attempt(&app, &event).await });
    }
    let mut report = DeliveryReport::default();
    while let Some(done) = attempts.join_next().await {
        match done? {
            Ok(Outcome::Delivered) => report.delivered += 1,
            Ok(Outcome::Failed) => report.failed += 1,
            Ok(Outcome::GivenUp) => report.given_up += 1,
            Err(error) => {
                tracing::warn!(error = %crate::telemetry::ShortIds(format!("{error:?}")), "recording a webhook delivery failed");
            }
        }
    }
    Ok(report)
}

/// Starts this node's delivery loop. It stops between passes once `stop` turns true (or
/// its sender is dropped), so a node that is shutting down finishes and records the
/// deliveries in flight instead of leaving their events claimed for [`CLAIM`].
pub fn spawn(app: AppState, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        // Settings made in code skip `validate`, and a zero interval would panic.
        let every = Duration::from_millis(app.config.webhooks.poll_interval_ms.max(1));
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|stopping| *stopping) => return,
            }
            if let Err(error) = deliver_once(&app).await {
                tracing::warn!(error = %crate::telemetry::ShortIds(format!("{error:?}")), "webhook delivery pass failed");
            }
        }
    })
}

/// Sends one event and records how it went.
async fn attempt(app: &AppState, event: &Claimed) -> anyhow::Result<Outcome> {
    let answer = send(app, event).await;
    let outcome = match answer {
        Ok(status) if (200..300).contains(&status) => {
            outbox::record_delivered(&app.db, event, status).await?;
            Outcome::Delivered
        }
        failure => {
            let (status, error) = match failure {
                Ok(status) => (Some(status), format!("the receiver answered {status}")),
                Err(error) => (None, error),
            };
            let next = next_attempt(
                &app.config.webhooks,
                event.created_at,
                event.attempts,
                now_ms(),
            );
            outbox::record_failed(&app.db, event, status, &error, next).await?;
            if next == Next::GiveUp {
                tracing::warn!(store = %event.store_id, event = %event.id, error, "webhook event given up");
                Outcome::GivenUp
            } else {
                tracing::info!(store = %event.store_id, event = %event.id, error, "webhook delivery failed; will retry");
                Outcome::Failed
            }
        }
    };
    let store = event.store_id.to_string();
    metrics::counter!("webhook_deliveries_total", "store" => store, "outcome" => outcome.as_str())
        .increment(1);
    Ok(outcome)
}

/// POSTs the event to its store's webhook; the receiver's status, or why there is none.
async fn send(app: &AppState, event: &Claimed) -> Result<u16, String> {
    let webhook = app
        .config
        .store(&event.store_id)
        .and_then(|store| store.webhook.as_ref())
        // Kept for when the webhook is configured again, until the event is given up.
        .ok_or("the store has no webhook configured")?;
    let signer = standardwebhooks::Webhook::new(webhook.secret.expose())
        .map_err(|error| format!("the webhook secret: {error}"))?;
    let id = event.id.to_string();
    let timestamp = crate::db::now();
    let signature = signer
        .sign(&id, timestamp, event.payload.as_bytes())
        .map_err(|error| format!("signing: {error}"))?;
    // The back-channel client: a 10 s timeout, no redirects (a 3xx is a failure).
    let response = app
        .http
        .post(webhook.url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(standardwebhooks::HEADER_WEBHOOK_ID, &id)
        .header(
            standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
            timestamp.to_string(),
        )
        .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
        .body(event.payload.clone())
        .send()
        .await
        // Without the URL, which may carry a token of the store's.
        .map_err(|error| error.without_url().to_string())?;
    Ok(response.status().as_u16())
}

/// After a failed attempt, with `earlier` failed attempts before it: the next one
/// `first_retry_ms × backoff_factor^earlier` later, but no later than the give-up time,
/// when a last attempt is made; a failure at or after that time gives the event up.
fn next_attempt(settings: &WebhookSettings, created_at: i64, earlier: i64, now_ms: i64) -> Next {
    let give_up_at_ms = created_at
        .saturating_mul(1000)
        .saturating_add(settings.give_up_after_secs.saturating_mul(1000) as i64);
    if now_ms >= give_up_at_ms {
        return Next::GiveUp;
    }
    let earlier = u32::try_from(earlier).unwrap_or(u32::MAX);
    let factor = u64::from(settings.backoff_factor).saturating_pow(earlier);
    let delay = settings.first_retry_ms.saturating_mul(factor);
    let delay = i64::try_from(delay).unwrap_or(i64::MAX);
    Next::RetryAtMs(now_ms.saturating_add(delay).min(give_up_at_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_until_the_event_is_given_up() {
        let settings = WebhookSettings {
            first_retry_ms: 1_000,
            backoff_factor: 2,
            give_up_after_secs: 60,
            poll_interval_ms: 1_000,
        };
        let created = 1_000_000;
        let now = created * 1000;
        // The first, second and third failure.
        assert_eq!(
            next_attempt(&settings, created, 0, now),
            Next::RetryAtMs(now + 1_000)
        );
        assert_eq!(
            next_attempt(&settings, created, 1, now),
            Next::RetryAtMs(now + 2_000)
        );
        assert_eq!(
            next_attempt(&settings, created, 2, now),
            Next::RetryAtMs(now + 4_000)
        );
        // A retry never lands after the give-up time: the last one is made then.
        assert_eq!(
            next_attempt(&settings, created, 10, now),
            Next::RetryAtMs(now + 60_000)
        );
        assert_eq!(
            next_attempt(&settings, created, 200, now + 59_999),
            Next::RetryAtMs(now + 60_000)
        );
        assert_eq!(
            next_attempt(&settings, created, 11, now + 60_000),
            Next::GiveUp
        );
    }
}
