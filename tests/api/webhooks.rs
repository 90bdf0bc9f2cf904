//! Events for the stores: the outbox written with the order or the failed process, and
//! its delivery as Standard Webhooks to a receiver in the test. Delivery passes are run
//! directly (`webhooks::deliver_once`), so nothing here waits on the spawned loop.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use reqwest::Method;
use serde_json::Value;
use shared_checkout::config::StoreWebhookSettings;
use shared_checkout::db;
use shared_checkout::domain::StoreId;
use shared_checkout::secrets::WebhookSecret;
use shared_checkout::webhooks::{DeliveryReport, deliver_once};
use standardwebhooks::Webhook;

use crate::common::app::{TestApp, spawn_app_with};
use crate::common::browser::{Browser, assert_redirect};
use crate::common::checkout::{
    api_call, api_key, api_url, basket_of, decide_at_test_gateway, guest_body, start_checkout,
};
use crate::common::database::Backend;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// One POST as the receiver saw it.
#[derive(Debug, Clone)]
struct Delivery {
    headers: HeaderMap,
    body: String,
}

/// A store's webhook endpoint that fails its first `failures` deliveries with a 500 and
/// then accepts, processing each `webhook-id` once, as the standard asks of receivers.
#[derive(Default)]
struct Receiver {
    failures: usize,
    deliveries: Mutex<Vec<Delivery>>,
    processed: Mutex<Vec<String>>,
    seen: Mutex<HashSet<String>>,
}

impl Receiver {
    async fn start(failures: usize) -> (Arc<Self>, String) {
        let receiver = Arc::new(Self {
            failures,
            ..Self::default()
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://127.0.0.1:{}/hooks",
            listener.local_addr().unwrap().port()
        );
        let router = axum::Router::new()
            .route("/hooks", axum::routing::post(receive))
            .with_state(receiver.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        (receiver, url)
    }

    fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.lock().unwrap().clone()
    }

    fn processed(&self) -> Vec<String> {
        self.processed.lock().unwrap().clone()
    }
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let count = {
        let mut deliveries = receiver.deliveries.lock().unwrap();
        deliveries.push(Delivery {
            headers: headers.clone(),
            body: body.clone(),
        });
        deliveries.len()
    };
    if count <= receiver.failures {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let id = headers["webhook-id"].to_str().unwrap().to_owned();
    if receiver.seen.lock().unwrap().insert(id.clone()) {
        receiver.processed.lock().unwrap().push(id);
    }
    StatusCode::OK
}

/// The demo with site1's webhook at `url`; retries are due at once and the spawned loop
/// stays out of the way, so each pass is the test's own.
async fn app_with_webhook(backend: Backend, url: &str, give_up_after_secs: u64) -> TestApp {
    let url = url.parse().unwrap();
    spawn_app_with(backend, |settings| {
        settings.stores[0].webhook = Some(StoreWebhookSettings {
            url,
            secret: Some(WebhookSecret::parse(SECRET).unwrap()),
            secret_file: None,
        });
        settings.webhooks.first_retry_ms = 0;
        settings.webhooks.give_up_after_secs = give_up_after_secs;
        settings.webhooks.poll_interval_ms = 3_600_000;
    })
    .await
}

/// Places a guest order through the JSON API; the process view and the storefront's key,
/// which alone may follow or cancel it.
async fn place_order(app: &TestApp, store: &str, gateway: &str, method: &str) -> (Value, String) {
    let checkout = start_checkout(app, &Browser::new(), store).await;
    let basket = basket_of(&checkout);
    let key = api_key(app, store).await;
    let body = guest_body(gateway, method);
    let (status, view) = api_call(
        Method::POST,
        &api_url(app, store, basket, ""),
        Some(&key),
        Some(&body),
    )
    .await;
    assert_eq!(status, 200, "{view}");
    (view, key)
}

async fn events(app: &TestApp, store: &str) -> Vec<db::webhooks::EventSummary> {
    db::webhooks::recent(&app.state.db, &StoreId::parse(store).unwrap(), 50)
        .await
        .unwrap()
}

async fn pass(app: &TestApp) -> DeliveryReport {
    deliver_once(&app.state).await.unwrap()
}

fn report(delivered: usize, failed: usize, given_up: usize) -> DeliveryReport {
    DeliveryReport {
        delivered,
        failed,
        given_up,
    }
}

async fn an_order_reaches_the_stores_webhook_once_signed_after_retries(backend: Backend) {
    let (receiver, url) = Receiver::start(2).await;
    let app = app_with_webhook(backend, &url, 86_400).await;
    let (view, _) = place_order(&app, "site1", "offline", "cash_on_delivery").await;
    assert_eq!(view["state"], "success", "{view}");
    // site2 has no webhook: its orders write no event.
    let (other, _) = place_order(&app, "site2", "offline", "cash_on_delivery").await;
    assert_eq!(other["state"], "success", "{other}");
    assert!(events(&app, "site2").await.is_empty());

    let written = events(&app, "site1").await;
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(written[0].event_type, "order.placed");
    assert_eq!(pass(&app).await, report(0, 1, 0));
    assert_eq!(pass(&app).await, report(0, 1, 0));
    assert_eq!(pass(&app).await, report(1, 0, 0));
    assert_eq!(pass(&app).await, report(0, 0, 0), "delivered once is done");

    let deliveries = receiver.deliveries();
    assert_eq!(deliveries.len(), 3);
    let id = written[0].id.clone();
    let verifier = Webhook::new(SECRET).unwrap();
    for delivery in &deliveries {
        assert_eq!(
            delivery.headers["webhook-id"],
            id.as_str(),
            "one id on every attempt"
        );
        verifier
            .verify(delivery.body.as_bytes(), &delivery.headers)
            .expect("the signature verifies");
        assert_eq!(
            delivery.body, deliveries[0].body,
            "the same bytes every time"
        );
        assert_eq!(delivery.headers["content-type"], "application/json");
    }
    // Only the store's secret vouches for the event, and only for these bytes.
    let forged = Webhook::new(OTHER_SECRET).unwrap();
    assert!(
        forged
            .verify(deliveries[0].body.as_bytes(), &deliveries[0].headers)
            .is_err()
    );
    let tampered = deliveries[0]
        .body
        .replace("\"order.placed\"", "\"order.cancelled\"");
    assert!(
        verifier
            .verify(tampered.as_bytes(), &deliveries[0].headers)
            .is_err()
    );
    assert_eq!(receiver.processed(), vec![id]);

    let payload: Value = serde_json::from_str(&deliveries[0].body).unwrap();
    assert_eq!(payload["type"], "order.placed");
    // RFC 3339 in UTC: 2026-12-02T11:32:20.123456789Z.
    let timestamp = payload["timestamp"].as_str().unwrap();
    assert!(
        timestamp.len() >= 20 && timestamp.as_bytes()[10] == b'T' && timestamp.ends_with('Z'),
        "{payload}"
    );
    let data = &payload["data"];
    assert_eq!(data["store_id"], "site1");
    assert_eq!(data["order_number"], view["order_number"]);
    assert_eq!(data["order_id"], view["order_id"]);
    assert_eq!(data["basket_id"], view["basket_id"]);
    assert_eq!(data["email"], "headless@example.org");
    assert_eq!(data["currency"], "USD");
    assert!(data["total_minor"].as_i64().unwrap() > 0, "{data}");
    let lines = data["lines"].as_array().unwrap();
    assert!(!lines.is_empty(), "{data}");
    for line in lines {
        assert!(line["product_id"].as_str().is_some(), "{line}");
        assert!(!line["name"].as_str().unwrap().is_empty(), "{line}");
        assert!(line["quantity"].as_i64().unwrap() > 0, "{line}");
        assert!(line["unit_price_minor"].as_i64().unwrap() > 0, "{line}");
    }
    let lines_total: i64 = lines
        .iter()
        .map(|l| l["quantity"].as_i64().unwrap() * l["unit_price_minor"].as_i64().unwrap())
        .sum();
    assert!(
        lines_total <= data["total_minor"].as_i64().unwrap(),
        "{data}"
    );

    let listed = events(&app, "site1").await;
    assert_eq!(listed[0].attempts, 3);
    assert!(listed[0].delivered_at.is_some());
    assert!(listed[0].last_error.is_none(), "{listed:?}");
}

async fn a_cancelled_process_sends_order_cancelled(backend: Backend) {
    let (receiver, url) = Receiver::start(0).await;
    let app = app_with_webhook(backend, &url, 86_400).await;
    let (view, key) = place_order(&app, "site1", "testgateway", "card").await;
    assert_eq!(view["state"], "wait_for_customer", "{view}");
    assert!(
        events(&app, "site1").await.is_empty(),
        "nothing happened yet"
    );
    let basket = view["basket_id"].as_str().unwrap();
    let (status, cancelled) = api_call(
        Method::POST,
        &api_url(&app, "site1", basket, "/cancel"),
        Some(&key),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(cancelled["failure"]["reason"], "cancelled", "{cancelled}");

    let written = events(&app, "site1").await;
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(written[0].event_type, "order.cancelled");
    assert_eq!(pass(&app).await, report(1, 0, 0));
    let delivery = &receiver.deliveries()[0];
    Webhook::new(SECRET)
        .unwrap()
        .verify(delivery.body.as_bytes(), &delivery.headers)
        .unwrap();
    let payload: Value = serde_json::from_str(&delivery.body).unwrap();
    assert_eq!(payload["type"], "order.cancelled");
    assert_eq!(payload["data"]["basket_id"], basket);
    assert_eq!(payload["data"]["process_id"], view["process_id"]);
    assert_eq!(payload["data"]["reason"], "cancelled");
}

async fn a_declined_payment_sends_order_payment_failed(backend: Backend) {
    let (receiver, url) = Receiver::start(0).await;
    let app = app_with_webhook(backend, &url, 86_400).await;
    let (view, key) = place_order(&app, "site1", "testgateway", "card").await;
    let hosted = view["action"]["url"].as_str().unwrap().to_owned();
    assert_redirect(&decide_at_test_gateway(&Browser::new(), &hosted, "decline").await);
    let basket = view["basket_id"].as_str().unwrap();
    let (_, refreshed) = api_call(
        Method::POST,
        &api_url(&app, "site1", basket, "/refresh"),
        Some(&key),
        None,
    )
    .await;
    assert_eq!(
        refreshed["failure"]["reason"], "payment_declined",
        "{refreshed}"
    );
    let written = events(&app, "site1").await;
    assert_eq!(written.len(), 1, "{written:?}");
    assert_eq!(written[0].event_type, "order.payment_failed");
    assert_eq!(pass(&app).await, report(1, 0, 0));
    let payload: Value = serde_json::from_str(&receiver.deliveries()[0].body).unwrap();
    assert_eq!(payload["data"]["reason"], "payment_declined");
    assert_eq!(payload["data"]["payment_id"], view["payment_id"]);
}

/// Nodes delivering at the same moment: each event is claimed by one pass only.
async fn concurrent_passes_send_each_event_once(backend: Backend) {
    let (receiver, url) = Receiver::start(0).await;
    let app = app_with_webhook(backend, &url, 86_400).await;
    for _ in 0..3 {
        place_order(&app, "site1", "offline", "cash_on_delivery").await;
    }
    let (a, b, c, d) = tokio::join!(pass(&app), pass(&app), pass(&app), pass(&app));
    let delivered = [a, b, c, d].iter().map(|r| r.delivered).sum::<usize>();
    assert_eq!(delivered, 3);
    let ids: HashSet<String> = receiver
        .deliveries()
        .iter()
        .map(|d| d.headers["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(receiver.deliveries().len(), 3, "no event sent twice");
    assert_eq!(ids.len(), 3);
}

async fn an_event_nobody_accepts_is_given_up(backend: Backend) {
    let (receiver, url) = Receiver::start(usize::MAX).await;
    let app = app_with_webhook(backend, &url, 0).await;
    place_order(&app, "site1", "offline", "cash_on_delivery").await;
    assert_eq!(pass(&app).await, report(0, 0, 1));
    assert_eq!(pass(&app).await, report(0, 0, 0), "given up is final");
    assert_eq!(receiver.deliveries().len(), 1);
    assert!(receiver.processed().is_empty());
    let listed = events(&app, "site1").await;
    assert!(listed[0].given_up_at.is_some(), "{listed:?}");
    assert!(listed[0].delivered_at.is_none());
    assert_eq!(
        listed[0].last_error.as_deref(),
        Some("the receiver answered 500")
    );

    // Retention keeps a finished event for a week and a pending one until it finishes.
    place_order(&app, "site1", "offline", "cash_on_delivery").await;
    let delete_after_days = |days: i64| {
        let db = app.state.db.clone();
        async move {
            let now = db::now() + days * 24 * 3600;
            db::retention::delete_expired(&db, now).await.unwrap()
        }
    };
    assert!(
        !delete_after_days(6)
            .await
            .iter()
            .any(|(t, _)| *t == "webhook_events")
    );
    assert!(delete_after_days(8).await.contains(&("webhook_events", 1)));
    let left = events(&app, "site1").await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].given_up_at.is_none() && left[0].delivered_at.is_none());
}

crate::on_both_backends!(
    an_order_reaches_the_stores_webhook_once_signed_after_retries,
    a_cancelled_process_sends_order_cancelled,
    a_declined_payment_sends_order_payment_failed,
    concurrent_passes_send_each_event_once,
    an_event_nobody_accepts_is_given_up,
);
