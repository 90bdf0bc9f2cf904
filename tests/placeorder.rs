//! The place-order process and the payment gateways, on SQLite and PostgreSQL.
//!
//! Each test builds the real `Application` (configuration, migrations, store sync, state)
//! on its own database, without serving it, so no background worker runs unless the test
//! starts one. The test gateway's hosted page is served from its own router
//! (`shared_checkout::checkout::testgateway::router()`), which the checkout host merges in production.

mod common {
    pub mod database;
    pub mod html;
}

use std::time::Duration;

use shared_checkout::app::Application;
use shared_checkout::config::Settings;
use shared_checkout::db::{self, placeorder::Lease};
use shared_checkout::domain::{
    Address, BasketId, BasketStatus, Currency, CustomerId, Email, Money, StoreId,
};
use shared_checkout::payment::{FlowAction, FlowStatus, IdempotencyKey, PaymentId};
use shared_checkout::placeorder::{
    self, CustomerRef, FailureReason, PaymentSelection, PlaceOrderError, PlaceOrderRequest,
    ProcessState, ProcessView, Starter, WorkerSettings, engine,
};
use shared_checkout::state::AppState;

use crate::common::database::{Backend, fresh_postgres_database, postgres_admin_url};
use crate::common::html::csrf_token;

crate::on_both_backends!(
    offline_payment_places_exactly_one_order_on_the_customers_account,
    third_party_customer_is_recorded_by_issuer_and_subject,
    a_basket_changed_after_its_request_read_it_is_ordered_as_it_is_now,
    a_line_change_racing_an_offline_order_is_in_the_order_or_refused,
    fifty_concurrent_starts_for_one_basket_make_one_order,
    a_process_whose_lease_holder_dies_is_finished_by_another_worker,
    a_stopping_node_hands_its_leases_back_and_no_other_nodes,
    a_stale_fencing_token_cannot_write,
    testgateway_decline_then_approve_uses_a_new_idempotency_key,
    testgateway_abandon_fails_the_process_and_reopens_the_basket,
    cancel_while_waiting_for_the_customer_rolls_back,
    reconciler_places_the_order_for_a_payment_that_succeeded_without_one,
    reconciler_voids_a_successful_payment_of_a_failed_process,
    invalid_baskets_and_selections_fail_with_a_typed_reason,
    a_write_cancelled_while_its_transaction_begins_leaves_none_open,
);

struct TestApp {
    state: AppState,
    site1: StoreId,
    site2: StoreId,
    eur: Currency,
    product: shared_checkout::domain::ProductId,
    dir: std::path::PathBuf,
    database_url: String,
    pg_database: Option<String>,
}

/// Starts the basket's process as the checkout and the API do: with the basket they read.
async fn start(
    state: &AppState,
    store: &StoreId,
    basket: BasketId,
    request: PlaceOrderRequest,
) -> Result<ProcessView, PlaceOrderError> {
    let basket = db::baskets::find(&state.db, store, basket)
        .await
        .unwrap()
        .expect("the basket exists");
    placeorder::start(state, &basket, request).await
}

async fn spawn(backend: Backend) -> TestApp {
    build(backend).await.1
}

/// The application, not yet serving, and the test's view of it.
async fn build(backend: Backend) -> (Application, TestApp) {
    let dir = std::env::temp_dir().join(format!("placeorder-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut settings = Settings::demo(&dir, "127.0.0.1:0".parse().expect("address"));
    // site2 switches offline payment off (Flamingo's enableOfflinePaymentProvider).
    settings.stores[1].checkout.enable_offline_payment = false;
    // Both stores in euros, so one product's baskets work at either.
    settings.stores[0].currency = "EUR".to_owned();
    let mut pg_database = None;
    if backend == Backend::Postgres {
        settings.database_url = fresh_postgres_database().await;
        pg_database = Some(settings.database_url.clone());
    }
    let database_url = settings.database_url.clone();
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let state = app.state.clone();
    let eur = Currency::parse("EUR").unwrap();
    db::products::insert_if_absent(&state.db, "TEST-MUG", "Mug", "A mug", Money::new(1250, eur))
        .await
        .unwrap();
    let product = db::products::list(&state.db)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.sku == "TEST-MUG")
        .unwrap()
        .id;
    let test_app = TestApp {
        state,
        site1: StoreId::parse("site1").unwrap(),
        site2: StoreId::parse("site2").unwrap(),
        eur,
        product,
        dir,
        database_url,
        pg_database,
    };
    (app, test_app)
}

impl TestApp {
    /// Drops the test's database and files (left behind when a test fails, for a look).
    async fn finish(self) {
        self.state.db.pool.close().await;
        if let Some(url) = self.pg_database
            && let Ok(mut admin) =
                <sqlx::PgConnection as sqlx::Connection>::connect(postgres_admin_url()).await
        {
            let name = url::Url::parse(&url).expect("a database URL").path()[1..].to_owned();
            let _ = sqlx::Executor::execute(
                &mut admin,
                format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str(),
            )
            .await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// A basket at `store` with two mugs (25.00 EUR).
    async fn basket(&self, store: &StoreId, customer: Option<CustomerId>) -> BasketId {
        let basket = db::baskets::create(&self.state.db, store, customer, self.eur)
            .await
            .unwrap();
        assert!(
            db::baskets::set_line(&self.state.db, store, basket, self.product, 2, false)
                .await
                .unwrap()
        );
        basket
    }

    async fn customer(&self, store: &StoreId, email: &str) -> CustomerId {
        db::customers::create(
            &self.state.db,
            store,
            &Email::parse(email).unwrap(),
            "not-a-hash",
            "Alice",
        )
        .await
        .unwrap()
        .expect("new customer")
    }

    fn request(
        &self,
        store: &StoreId,
        basket: BasketId,
        gateway: &str,
        method: &str,
    ) -> PlaceOrderRequest {
        PlaceOrderRequest {
            // A storefront's key: its hosted payment page is open to whoever it hands the
            // page's URL to, like these tests' payment-page browser.
            starter: Starter::ApiKey {
                key_id: "storefront".into(),
            },
            customer: None,
            email: Email::parse("shopper@example.com").unwrap(),
            billing: Address {
                name: "Alice Example".into(),
                street: "1 Harbour Road".into(),
                postal_code: "10115".into(),
                city: "Berlin".into(),
                country: "DE".into(),
            },
            phone: None,
            delivery: None,
            delivery_method: "standard".into(),
            payment: PaymentSelection {
                gateway: gateway.into(),
                method: method.into(),
            },
            return_url: format!("{}/{store}/{basket}/payment", self.checkout_origin()),
        }
    }

    fn checkout_origin(&self) -> String {
        self.state
            .config
            .checkout
            .base_url
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }

    async fn orders_for(&self, store: &StoreId, basket: BasketId) -> i64 {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM orders WHERE store_id = $1 AND basket_id = $2")
                .bind(store.as_str())
                .bind(basket.to_string())
                .fetch_one(&self.state.db.pool)
                .await
                .unwrap();
        count
    }

    async fn basket_status(&self, store: &StoreId, basket: BasketId) -> BasketStatus {
        db::baskets::find(&self.state.db, store, basket)
            .await
            .unwrap()
            .unwrap()
            .status
    }

    async fn payment_status(&self, store: &StoreId, payment: PaymentId) -> FlowStatus {
        db::payments::find(&self.state.db, store, payment)
            .await
            .unwrap()
            .unwrap()
            .status
    }

    /// Creates the basket's process without running it, as `start` would before its run.
    /// A process created and let go before its first step, as by a node that died then.
    async fn unstarted_process(&self, store: &StoreId, basket: BasketId) -> placeorder::ProcessId {
        let request = self.request(store, basket, "offline", "cash_on_delivery");
        let new = db::placeorder::NewProcess {
            basket,
            request: &request,
            fingerprint: "fingerprint",
            key: &IdempotencyKey::generate(),
        };
        let (lease, process) = db::placeorder::create_if_absent(
            &self.state.db.pool,
            store,
            &new,
            "node-that-creates",
            Duration::from_secs(30),
        )
        .await
        .unwrap()
        .expect("the basket has no process yet");
        assert!(
            db::placeorder::release(&self.state.db, &lease)
                .await
                .unwrap()
        );
        process.id
    }

    async fn process_state(&self, store: &StoreId, basket: BasketId) -> ProcessState {
        placeorder::status(&self.state, store, basket)
            .await
            .unwrap()
            .unwrap()
            .state
    }
}

/// The test gateway's hosted page, served on its own port, and a browser with a cookie jar.
struct PaymentPage {
    origin: String,
    browser: reqwest::Client,
}

impl PaymentPage {
    async fn serve(state: &AppState) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let router = shared_checkout::checkout::testgateway::router().with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { origin, browser }
    }

    /// The page the process's redirect action points at, on this test server.
    fn local_url(&self, view: &ProcessView) -> String {
        let Some(FlowAction::Redirect { url }) = &view.action else {
            panic!("expected a redirect action, got {:?}", view.action);
        };
        let path = url::Url::parse(url).unwrap().path().to_owned();
        format!("{}{path}", self.origin)
    }

    /// Opens the page, checks what it shows, and clicks `decision`; returns the Location.
    async fn decide(&self, view: &ProcessView, decision: &str) -> String {
        let url = self.local_url(view);
        let page = self.browser.get(&url).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Harbour Goods"), "the page names the store");
        // Two mugs (25.00) plus standard delivery (4.90).
        assert!(
            html.contains("29.90 EUR"),
            "the page shows the amount with delivery"
        );
        let token = csrf_token(&html);
        let response = self
            .browser
            .post(&url)
            .form(&[
                ("authenticity_token", token.as_str()),
                ("decision", decision),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            303,
            "a decision redirects back with a GET"
        );
        response.headers()["location"].to_str().unwrap().to_owned()
    }
}

async fn offline_payment_places_exactly_one_order_on_the_customers_account(backend: Backend) {
    let app = spawn(backend).await;
    let alice = app.customer(&app.site1, "alice@example.com").await;
    let basket = app.basket(&app.site1, Some(alice)).await;
    let db = &app.state.db;
    db::products::insert_if_absent(db, "TEST-CUP", "Cup", "A cup", Money::new(300, app.eur))
        .await
        .unwrap();
    let cup = db::products::list(db).await.unwrap();
    let cup = cup.iter().find(|p| p.sku == "TEST-CUP").unwrap().id;
    assert!(
        db::baskets::set_line(db, &app.site1, basket, cup, 1, false)
            .await
            .unwrap()
    );
    let mut request = app.request(&app.site1, basket, "offline", "cash_on_delivery");
    request.customer = Some(CustomerRef {
        issuer: app.state.config.stores[0].issuer(),
        subject: alice.to_string(),
        customer_id: Some(alice),
    });

    let view = start(&app.state, &app.site1, basket, request.clone())
        .await
        .unwrap();

    assert_eq!(view.state, ProcessState::Success, "{view:?}");
    let process = db::placeorder::find_for_basket(&app.state.db, &app.site1, basket)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (process.fencing_token, process.lease_owner),
        (0, None),
        "one transaction wrote the process once, as it ended, and no node ever leased it"
    );
    let number = view.order_number.clone().expect("an order number");
    assert!(
        number.starts_with("SITE1-") && number.len() == "SITE1-".len() + 8,
        "{number}"
    );
    assert_eq!(app.orders_for(&app.site1, basket).await, 1);
    assert_eq!(
        app.basket_status(&app.site1, basket).await,
        BasketStatus::Ordered
    );
    let on_account = db::orders::list_for_customer(&app.state.db, &app.site1, alice)
        .await
        .unwrap();
    assert_eq!(on_account.len(), 1);
    assert_eq!(on_account[0].number, number);
    assert_eq!(
        on_account[0].total,
        Money::new(2500 + 300 + 490, app.eur),
        "the lines plus standard delivery"
    );
    assert_eq!(on_account[0].payment_method, "Cash on delivery");
    let order = db::orders::find_for_basket(&app.state.db, &app.site1, basket)
        .await
        .unwrap()
        .unwrap();
    let lines: Vec<_> = order
        .lines
        .iter()
        .map(|l| {
            (
                l.product_id,
                l.name.as_str(),
                l.quantity,
                l.unit_price_minor,
            )
        })
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.contains(&(app.product, "Mug", 2, 1250)), "{lines:?}");
    assert!(lines.contains(&(cup, "Cup", 1, 300)), "{lines:?}");
    assert_eq!(order.payment_id, view.payment_id);
    assert_eq!(
        app.payment_status(&app.site1, view.payment_id.unwrap())
            .await,
        FlowStatus::Completed
    );
    // The other store sees neither the basket's process nor the order.
    assert!(matches!(
        placeorder::status(&app.state, &app.site2, basket).await,
        Err(PlaceOrderError::BasketNotFound)
    ));

    // Placing the order again (back button, double click) returns the same order.
    let again = start(&app.state, &app.site1, basket, request)
        .await
        .unwrap();
    assert_eq!(again, view);
    assert_eq!(app.orders_for(&app.site1, basket).await, 1);
    app.finish().await;
}

async fn third_party_customer_is_recorded_by_issuer_and_subject(backend: Backend) {
    let app = spawn(backend).await;
    let basket = app.basket(&app.site1, None).await;
    let mut request = app.request(&app.site1, basket, "offline", "cash_in_advance");
    // A customer id that is not a customer of this store is not trusted onto an account.
    request.customer = Some(CustomerRef {
        issuer: "https://idp.example".into(),
        subject: "user-42".into(),
        customer_id: Some(CustomerId::new_random()),
    });

    let view = start(&app.state, &app.site1, basket, request)
        .await
        .unwrap();

    assert_eq!(view.state, ProcessState::Success, "{view:?}");
    let order = db::orders::find_for_basket(&app.state.db, &app.site1, basket)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.customer_id, None);
    assert_eq!(
        order.customer_issuer.as_deref(),
        Some("https://idp.example")
    );
    assert_eq!(order.customer_subject.as_deref(), Some("user-42"));
    assert_eq!(order.payment_method, "Cash in advance");
    app.finish().await;
}

/// An offline order is placed from the basket its request read. A line changed or removed
/// after that read (another tab, a racing storefront call) must show in the order, or stop
/// it: never an order of the basket as it was.
async fn a_basket_changed_after_its_request_read_it_is_ordered_as_it_is_now(backend: Backend) {
    let app = spawn(backend).await;
    let read = |basket| {
        let db = app.state.db.clone();
        let store = app.site1.clone();
        async move {
            db::baskets::find(&db, &store, basket)
                .await
                .unwrap()
                .unwrap()
        }
    };

    let changed = app.basket(&app.site1, None).await;
    let as_read = read(changed).await;
    assert!(
        db::baskets::set_line(&app.state.db, &app.site1, changed, app.product, 5, false)
            .await
            .unwrap()
    );
    let request = app.request(&app.site1, changed, "offline", "cash_on_delivery");
    let view = placeorder::start(&app.state, &as_read, request)
        .await
        .unwrap();
    assert_eq!(view.state, ProcessState::Success, "{view:?}");
    let order = db::orders::find_for_basket(&app.state.db, &app.site1, changed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.lines.len(), 1);
    assert_eq!(order.lines[0].quantity, 5, "the quantity as it is now");
    assert_eq!(order.total, Money::new(5 * 1250 + 490, app.eur));

    let emptied = app.basket(&app.site1, None).await;
    let as_read = read(emptied).await;
    db::baskets::remove_line(&app.state.db, &app.site1, emptied, app.product)
        .await
        .unwrap();
    let request = app.request(&app.site1, emptied, "offline", "cash_on_delivery");
    let view = placeorder::start(&app.state, &as_read, request)
        .await
        .unwrap();
    assert_eq!(
        view.failure.map(|f| f.reason),
        Some(FailureReason::BasketInvalid),
        "the basket is empty now"
    );
    assert_eq!(app.orders_for(&app.site1, emptied).await, 0);
    assert_eq!(
        app.basket_status(&app.site1, emptied).await,
        BasketStatus::Open
    );

    // The handoff's claim (the basket given to the customer who logged in) is a change
    // too: an order from the read before it would miss its new owner.
    let claimed = app.basket(&app.site1, None).await;
    let as_read = read(claimed).await;
    let alice = app.customer(&app.site1, "alice@example.com").await;
    assert!(
        db::baskets::claim(&app.state.db, &app.site1, claimed, alice)
            .await
            .unwrap()
    );
    assert_eq!(read(claimed).await.version, as_read.version + 1);
    app.finish().await;
}

/// A quantity change racing an offline order for the same basket: the change either lands
/// first, and the order holds it, or finds the basket ordered and is refused. Never an
/// accepted change that the order does not hold.
async fn a_line_change_racing_an_offline_order_is_in_the_order_or_refused(backend: Backend) {
    let app = spawn(backend).await;
    let mut accepted = [0; 2];
    for round in 0..20 {
        let basket = app.basket(&app.site1, None).await;
        let as_read = db::baskets::find(&app.state.db, &app.site1, basket)
            .await
            .unwrap()
            .unwrap();
        let request = app.request(&app.site1, basket, "offline", "cash_on_delivery");
        let change =
            db::baskets::set_line(&app.state.db, &app.site1, basket, app.product, 5, false);
        let order = placeorder::start(&app.state, &as_read, request);
        // Each goes first in half of the rounds.
        let (changed, view) = if round % 2 == 0 {
            tokio::join!(change, order)
        } else {
            let (view, changed) = tokio::join!(order, change);
            (changed, view)
        };
        let (changed, view) = (changed.unwrap(), view.unwrap());
        assert_eq!(view.state, ProcessState::Success, "{view:?}");
        let order = db::orders::find_for_basket(&app.state.db, &app.site1, basket)
            .await
            .unwrap()
            .unwrap();
        let quantity = if changed { 5 } else { 2 };
        assert_eq!(
            order.lines[0].quantity, quantity,
            "change accepted: {changed}"
        );
        accepted[usize::from(changed)] += 1;
    }
    println!("changes refused, accepted: {accepted:?}");
    app.finish().await;
}

async fn fifty_concurrent_starts_for_one_basket_make_one_order(backend: Backend) {
    let app = spawn(backend).await;
    let basket = app.basket(&app.site1, None).await;
    let request = app.request(&app.site1, basket, "offline", "cash_on_delivery");

    let starts = (0..50).map(|_| {
        let (state, store, request) = (app.state.clone(), app.site1.clone(), request.clone());
        tokio::spawn(async move { start(&state, &store, basket, request).await })
    });
    let views: Vec<ProcessView> = futures::future::join_all(starts)
        .await
        .into_iter()
        .map(|joined| joined.expect("no panic").expect("every start answers"))
        .collect();

    assert_eq!(
        app.orders_for(&app.site1, basket).await,
        1,
        "exactly one order"
    );
    let process = views[0].process_id;
    assert!(
        views.iter().all(|v| v.process_id == process),
        "one process for the basket"
    );
    assert!(
        views.iter().all(|v| v.attempt == 1 && v.failure.is_none()),
        "nobody failed"
    );
    let final_view = placeorder::status(&app.state, &app.site1, basket)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(final_view.state, ProcessState::Success);
    let numbers: std::collections::HashSet<_> = views
        .iter()
        .filter_map(|v| v.order_number.clone())
        .collect();
    assert_eq!(numbers.len(), 1, "every finished view names the same order");
    let (payments,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM payments WHERE basket_id = $1")
        .bind(basket.to_string())
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(payments, 1, "one payment");
    app.finish().await;
}

/// SIGTERM's path: once the node has stopped serving, the leases its runs still hold are
/// free for another node at once, not after they expire; another node's are untouched.
async fn a_stopping_node_hands_its_leases_back_and_no_other_nodes(backend: Backend) {
    let (application, app) = build(backend).await;
    let long = Duration::from_secs(600);
    let mut processes = Vec::new();
    for owner in [engine::owner_name(), "pid1-another-node-run".to_owned()] {
        let basket = app.basket(&app.site1, None).await;
        let id = app.unstarted_process(&app.site1, basket).await;
        db::placeorder::acquire(&app.state.db, &app.site1, id, &owner, long)
            .await
            .unwrap()
            .expect("the lease is free");
        processes.push(id);
    }
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(application.serve(async {
        let _ = stopped.await;
    }));
    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();

    let next = |id| db::placeorder::acquire(&app.state.db, &app.site1, id, "next-node", long);
    assert!(
        next(processes[0]).await.unwrap().is_some(),
        "the stopped node's lease was handed back"
    );
    assert!(
        next(processes[1]).await.unwrap().is_none(),
        "another node's lease is not the stopped node's to give"
    );
    app.finish().await;
}

async fn a_process_whose_lease_holder_dies_is_finished_by_another_worker(backend: Backend) {
    let app = spawn(backend).await;
    let basket = app.basket(&app.site1, None).await;
    let id = app.unstarted_process(&app.site1, basket).await;
    // A node takes the lease, gets two steps in (the basket is frozen) and dies.
    let dying = db::placeorder::acquire(
        &app.state.db,
        &app.site1,
        id,
        "node-that-dies",
        Duration::from_millis(1500),
    )
    .await
    .unwrap()
    .expect("the lease is free");
    assert_eq!(
        engine::step(&app.state, &dying).await.unwrap(),
        engine::Rest::Continue
    );
    assert_eq!(
        engine::step(&app.state, &dying).await.unwrap(),
        engine::Rest::Continue
    );
    let dead_token = dying.token;
    drop(dying);
    assert_eq!(
        app.basket_status(&app.site1, basket).await,
        BasketStatus::Frozen
    );

    // While its lease lasts, nobody else runs the process.
    let view = placeorder::refresh(&app.state, &app.site1, basket)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(view.state, ProcessState::ValidateBasket);

    // Another node's runner picks it up once the lease has expired.
    let workers = placeorder::spawn_workers_with(
        app.state.clone(),
        WorkerSettings {
            poll_interval: Duration::from_millis(100),
            ..WorkerSettings::default()
        },
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while app.process_state(&app.site1, basket).await != ProcessState::Success {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the process was never resumed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    workers.iter().for_each(|w| w.abort());

    assert_eq!(app.orders_for(&app.site1, basket).await, 1);
    assert_eq!(
        app.basket_status(&app.site1, basket).await,
        BasketStatus::Ordered
    );
    let process = db::placeorder::find(&app.state.db, &app.site1, id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        process.fencing_token > dead_token,
        "the new holder had a newer token"
    );
    assert_eq!(
        process.lease_owner, None,
        "the finished process holds no lease"
    );
    app.finish().await;
}

async fn a_stale_fencing_token_cannot_write(backend: Backend) {
    let app = spawn(backend).await;
    let basket = app.basket(&app.site1, None).await;
    let id = app.unstarted_process(&app.site1, basket).await;
    let a = db::placeorder::acquire(
        &app.state.db,
        &app.site1,
        id,
        "node-a",
        Duration::from_millis(400),
    )
    .await
    .unwrap()
    .unwrap();
    // Node A runs up to the order: start, freeze, validate, payment selection, and the
    // payment, which cash on delivery completes at once.
    for _ in 0..5 {
        assert_eq!(
            engine::step(&app.state, &a).await.unwrap(),
            engine::Rest::Continue
        );
    }
    assert_eq!(
        app.process_state(&app.site1, basket).await,
        ProcessState::PlaceOrder
    );
    // A stalls past its lease; B takes over with a newer token.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let b = acquire_or_panic(&app, id, "node-b").await;
    assert!(b.token > a.token);

    // A wakes up: its step stops before any side effect...
    assert!(matches!(
        engine::step(&app.state, &a).await,
        Err(engine::EngineError::LostLease)
    ));
    // ...a state write is refused...
    let mut stale = db::placeorder::find(&app.state.db, &app.site1, id)
        .await
        .unwrap()
        .unwrap();
    stale.state = ProcessState::Failed;
    assert!(
        db::placeorder::save(&app.state.db, &a, &stale, true)
            .await
            .unwrap()
            .is_none()
    );
    assert!(!db::placeorder::release(&app.state.db, &a).await.unwrap());
    // ...and so is the order itself, even past the step's own check.
    let request = app.request(&app.site1, basket, "offline", "cash_on_delivery");
    let order = db::orders::NewOrder {
        basket_id: basket,
        customer_id: None,
        customer_issuer: None,
        customer_subject: None,
        email: &request.email,
        billing: &request.billing,
        phone: None,
        delivery: None,
        delivery_method: "standard",
        payment_gateway: "offline",
        payment_method: "Cash on delivery",
        payment_id: None,
        total: Money::new(2500, app.eur),
        lines: &[],
    };
    // As for a store with a webhook: the rolled-back transaction writes no event either.
    assert_eq!(
        db::placeorder::complete_with_order(&app.state.db, &a, &stale, &order, true)
            .await
            .unwrap()
            .map(|(placed, _)| placed),
        None
    );
    assert_eq!(app.orders_for(&app.site1, basket).await, 0);
    let events = db::webhooks::recent(&app.state.db, &app.site1, 10)
        .await
        .unwrap();
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(
        app.process_state(&app.site1, basket).await,
        ProcessState::PlaceOrder
    );

    // B, the current holder, places the one order.
    assert_eq!(
        engine::step(&app.state, &b).await.unwrap(),
        engine::Rest::Released
    );
    assert_eq!(
        app.process_state(&app.site1, basket).await,
        ProcessState::Success
    );
    assert_eq!(app.orders_for(&app.site1, basket).await, 1);
    app.finish().await;
}

async fn acquire_or_panic(app: &TestApp, id: placeorder::ProcessId, owner: &str) -> Lease {
    db::placeorder::acquire(
        &app.state.db,
        &app.site1,
        id,
        owner,
        Duration::from_secs(30),
    )
    .await
    .unwrap()
    .expect("the expired lease can be taken")
}

async fn testgateway_decline_then_approve_uses_a_new_idempotency_key(backend: Backend) {
    let app = spawn(backend).await;
    let page = PaymentPage::serve(&app.state).await;
    let basket = app.basket(&app.site1, None).await;
    let request = app.request(&app.site1, basket, "testgateway", "card");

    let first = start(&app.state, &app.site1, basket, request.clone())
        .await
        .unwrap();
    assert_eq!(first.state, ProcessState::WaitForCustomer, "{first:?}");
    let first_payment = first.payment_id.expect("a payment");
    let Some(FlowAction::Redirect { url }) = &first.action else {
        panic!("{first:?}")
    };
    assert_eq!(
        url,
        &format!(
            "{}/site1/{basket}/testgateway/{first_payment}",
            app.checkout_origin()
        )
    );
    assert_eq!(
        app.basket_status(&app.site1, basket).await,
        BasketStatus::Frozen
    );

    let back = page.decide(&first, "decline").await;
    assert_eq!(
        back, request.return_url,
        "the page returns to the checkout's payment step"
    );
    let declined = placeorder::refresh(&app.state, &app.site1, basket)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(declined.state, ProcessState::Failed);
    assert_eq!(
        declined.failure.as_ref().unwrap().reason,
        FailureReason::PaymentDeclined
    );
    assert_eq!(
        app.basket_status(&app.site1, basket).await,
        BasketStatus::Open
    );

    let second = start(&app.state, &app.site1, basket, request)
        .await
        .unwrap();
    assert_eq!(second.state, ProcessState::WaitForCustomer);
    assert_eq!(
        second.process_id, first.process_id,
        "one process per basket"
    );
    assert_eq!(second.attempt, 2);
    assert_ne!(
        second.idempotency_key, first.idempotency_key,
        "a new key after a failure"
    );
    let second_payment = second.payment_id.unwrap();
    assert_ne!(
        second_payment, first_payment,
        "a new payment at the gateway"
    );

    page.decide(&second, "approve").await;
    let done = placeorder::refresh(&app.state, &app.site1, basket)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.state, ProcessState::Success, "{done:?}");
    assert_eq!(done.idempotency_key, second.idempotency_key);
    assert_eq!(app.orders_for(&app.site1, basket).await, 1);
    assert_eq!(
        app.payment_status(&app.site1, first_payment).await,
        FlowStatus::Failed
    );
    assert_eq!(
        app.payment_status(&app.site1, second_payment).await,
        FlowStatus::Completed
    );
    let order = db::orders::find_for_basket(&app.state.db, &app.site1, basket)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.payment_id, Some(second_payment));
    assert_eq!(order.payment_gateway.as_deref(), Some("testgateway"));
    app.finish().await;
}

async fn testgateway_abandon_fails_the_process_and_reopens_the_basket(backend: Backend) {
    let app = spawn(backend).await;
    let page = PaymentPage::serve(&app.state).await;
    let basket = app.basket(&app.site1, None).await;
    let view = start(
        &app.state,
        &app.site1,
        basket,
        app.request(&app.site1, basket, "testgateway", "card"),
    )
    .await
    .unwrap();
    let payment = view.payment_id.unwrap();

    // A form without its CSRF token changes nothing.
    let forged = page
        .browser
        .post(page.local_url(&view))
        .form(&[("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(
        app.payment_status(&app.site1, payment).await,
        FlowStatus::Unapproved
    );
    // An unknown payment is a readable 404, not a 500.
    let unknown = page
        .browser
        .get(format!(
            "{}/site1/{basket}/testgateway/not-a-uuid",
            page.origin
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    page.decide(&view, "abandon").await;
    let failed = placeorder::refresh(&app.state, &app.site1, basket)
        .await
        .unwrap()
        .unwrap();

    assert_eq!(failed.state, ProcessState::Failed);
    assert_eq!(
        failed.failure.as_ref().unwrap().reason,
        FailureReason::PaymentAborted
    );
    assert!(failed.failure.unwrap().reason.is_payment_problem());
    assert_eq!(failed.action, None);
    assert_eq!(
        app.basket_status(&app.site1, basket).await,
        BasketStatus::Open
    );
    assert_eq!(
        app.payment_status(&app.site1, payment).await,
        FlowStatus::Aborted
    );
    assert_eq!(app.orders_for(&app.site1, basket).await, 0);
    // The basket can change again, so the shopper can go on shopping.
    assert!(
        db::baskets::set_line(&app.state.db, &app.site1, basket, app.product, 3, false)
            .await
            .unwrap()
    );
    // A new attempt with offline payment finds the failed process in the way of placing
    // the order at once, and places it by restarting that process.
    let retried = start(
        &app.state,
        &app.site1,
        basket,
        app.request(&app.site1, basket, "offline", "cash_on_delivery"),
    )
    .await
    .unwrap();
    assert_eq!(retried.state, ProcessState::Success, "{retried:?}");
    assert_eq!(
        (
            retried.attempt,
            retried.idempotency_key == view.idempotency_key
        ),
        (2, false)
    );
    assert_eq!(app.orders_for(&app.site1, basket).await, 1);
    app.finish().await;
}

async fn cancel_while_waiting_for_the_customer_rolls_back(backend: Backend) {
    let app = spawn(backend).await;
    let page = PaymentPage::serve(&app.state).await;
    let basket = app.basket(&app.site1, None).await;
    let view = start(
        &app.state,
        &app.site1,
        basket,
        app.request(&app.site1, basket, "testgateway", "card"),
    )
    .await
    .unwrap();
    let payment = view.payment_id.unwrap();

    let cancelled = placeorder::cancel(&app.state, &app.site1, basket)
        .await
        .unwrap()
        .unwrap();

    assert_eq!(cancelled.state, ProcessState::Failed);
    assert_eq!(cancelled.failure.unwrap().reason, FailureReason::Cancelled);
    assert_eq!(
        app.payment_status(&app.site1, payment).await,
        FlowStatus::Cancelled
    );
    assert_eq!(
        app.basket_status(&app.site1, basket).await,
        BasketStatus::Open
    );
    // Approving the cancelled payment afterwards (an old tab) changes nothing.
    let html = page
        .browser
        .get(page.local_url(&view))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("already cancelled"), "{html}");
    assert_eq!(
        app.payment_status(&app.site1, payment).await,
        FlowStatus::Cancelled
    );
    app.finish().await;
}

async fn reconciler_places_the_order_for_a_payment_that_succeeded_without_one(backend: Backend) {
    let app = spawn(backend).await;
    let page = PaymentPage::serve(&app.state).await;
    let basket = app.basket(&app.site1, None).await;
    let view = start(
        &app.state,
        &app.site1,
        basket,
        app.request(&app.site1, basket, "testgateway", "card"),
    )
    .await
    .unwrap();
    // The shopper pays, then closes the tab: nothing brings them back to the checkout.
    page.decide(&view, "approve").await;
    assert_eq!(
        app.process_state(&app.site1, basket).await,
        ProcessState::WaitForCustomer
    );
    assert_eq!(app.orders_for(&app.site1, basket).await, 0);

    let report = placeorder::reconcile_once(&app.state, Duration::ZERO)
        .await
        .unwrap();

    assert_eq!(report.resumed, 1, "{report:?}");
    assert_eq!(
        app.process_state(&app.site1, basket).await,
        ProcessState::Success
    );
    assert_eq!(app.orders_for(&app.site1, basket).await, 1);
    assert_eq!(
        app.payment_status(&app.site1, view.payment_id.unwrap())
            .await,
        FlowStatus::Completed
    );
    // A second pass finds nothing left to do.
    let again = placeorder::reconcile_once(&app.state, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(again, placeorder::ReconcileReport::default());
    app.finish().await;
}

async fn reconciler_voids_a_successful_payment_of_a_failed_process(backend: Backend) {
    let app = spawn(backend).await;
    let page = PaymentPage::serve(&app.state).await;
    let basket = app.basket(&app.site1, None).await;
    let view = start(
        &app.state,
        &app.site1,
        basket,
        app.request(&app.site1, basket, "testgateway", "card"),
    )
    .await
    .unwrap();
    let payment = view.payment_id.unwrap();
    page.decide(&view, "decline").await;
    let failed = placeorder::refresh(&app.state, &app.site1, basket)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.state, ProcessState::Failed);
    // The gateway reports the payment as taken after all (a late capture): money without
    // an order, for a basket that is open again.
    assert!(
        db::payments::transition(
            &app.state.db,
            &app.site1,
            payment,
            &FlowStatus::ALL,
            FlowStatus::Completed
        )
        .await
        .unwrap()
    );

    let report = placeorder::reconcile_once(&app.state, Duration::ZERO)
        .await
        .unwrap();

    assert_eq!(report.payments_voided, 1, "{report:?}");
    assert_eq!(
        app.payment_status(&app.site1, payment).await,
        FlowStatus::Cancelled
    );
    assert_eq!(app.orders_for(&app.site1, basket).await, 0);
    assert_eq!(
        app.process_state(&app.site1, basket).await,
        ProcessState::Failed
    );
    app.finish().await;
}

async fn invalid_baskets_and_selections_fail_with_a_typed_reason(backend: Backend) {
    let app = spawn(backend).await;
    // Offline payment is switched off at site2.
    let basket = app.basket(&app.site2, None).await;
    let view = start(
        &app.state,
        &app.site2,
        basket,
        app.request(&app.site2, basket, "offline", "cash_on_delivery"),
    )
    .await
    .unwrap();
    assert_eq!(view.state, ProcessState::Failed);
    assert_eq!(
        view.failure.unwrap().reason,
        FailureReason::PaymentSelectionInvalid
    );
    assert_eq!(
        app.basket_status(&app.site2, basket).await,
        BasketStatus::Open
    );
    let offered = app
        .state
        .payments
        .methods_for(app.state.config.store(&app.site2).unwrap());
    assert!(
        offered.iter().all(|g| g.gateway != "offline"),
        "{offered:?}"
    );

    // An empty basket.
    let empty = db::baskets::create(&app.state.db, &app.site1, None, app.eur)
        .await
        .unwrap();
    let view = start(
        &app.state,
        &app.site1,
        empty,
        app.request(&app.site1, empty, "offline", "cash_on_delivery"),
    )
    .await
    .unwrap();
    assert_eq!(view.failure.unwrap().reason, FailureReason::BasketInvalid);
    assert_eq!(
        app.basket_status(&app.site1, empty).await,
        BasketStatus::Open
    );

    // A return URL off the checkout. (Another store's basket and an unknown one never reach
    // `start`: its callers resolve the basket in the URL's store first, see
    // `checkout_api::api_errors_are_json_with_a_code_a_message_and_a_4xx` and
    // `checkout_pages::unknown_stores_and_baskets_get_a_readable_404_on_every_step`.)
    let site1_basket = app.basket(&app.site1, None).await;
    let request = app.request(&app.site1, site1_basket, "offline", "cash_on_delivery");
    let mut open_redirect = request;
    open_redirect.return_url = "https://evil.example/steal".into();
    assert!(matches!(
        start(&app.state, &app.site1, site1_basket, open_redirect).await,
        Err(PlaceOrderError::InvalidRequest(_))
    ));
    assert!(
        placeorder::status(&app.state, &app.site1, site1_basket)
            .await
            .unwrap()
            .is_none()
    );
    app.finish().await;
}

/// A request is cancelled whenever its shopper closes the tab or it times out, and with it
/// whatever it was awaiting, a transaction's `BEGIN` included. Cancelled at that moment,
/// the transaction must not stay open on a pooled connection: the next request's writes
/// would run inside it and never commit. One connection, so every attempt reuses it.
async fn a_write_cancelled_while_its_transaction_begins_leaves_none_open(backend: Backend) {
    let app = spawn(backend).await;
    let one_connection = db::Db::connect(&app.database_url, Some(1))
        .await
        .expect("a second pool");
    let basket = app.basket(&app.site1, None).await;
    let mut cancelled = 0;
    for attempt in 0..40 {
        // Polled a few times, with the runtime let run in between so that the statements
        // go out and answers come in, then dropped as a cancelled request's future is.
        let mut write = std::pin::pin!(db::baskets::set_line(
            &one_connection,
            &app.site1,
            basket,
            app.product,
            3,
            false
        ));
        let mut done = false;
        for _ in 0..=attempt % 8 {
            if futures::poll!(write.as_mut()).is_ready() {
                done = true;
                break;
            }
            tokio::task::yield_now().await;
        }
        cancelled += usize::from(!done);
    }
    assert!(cancelled > 0, "no write was cancelled");
    let written = db::baskets::create(&one_connection, &app.site2, None, app.eur)
        .await
        .expect("a basket");
    assert!(
        db::baskets::find(&app.state.db, &app.site2, written)
            .await
            .unwrap()
            .is_some(),
        "a basket written after the cancelled writes is not committed"
    );
    one_connection.pool.close().await;
    app.finish().await;
}
