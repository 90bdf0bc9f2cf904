//! The whole login handoff against our own store provider (site1) for the demo customer
//! alice: a guest basket at site1 → checkout → log in on site1's own login page → back at
//! the checkout with her identity, and the guest basket is now hers.

use shared_checkout::checkout::session_store as session;
use shared_checkout::demo::{DEMO_EMAIL, DEMO_PASSWORD};
use shared_checkout::domain::{BasketId, Email, StoreId};

use crate::common::app::{TestApp, spawn_app};
use crate::common::browser::{Browser, assert_redirect, location, query_param};
use crate::common::checkout::empty_basket;
use crate::common::database::Backend;
use crate::common::rogue::{identified_sessions, press_login, session_jar};

/// A guest fills a basket at `store` through the storefront and presses its Checkout button.
async fn guest_fills_a_basket(app: &TestApp, browser: &Browser, store: &str) -> BasketId {
    BasketId::parse(&browser.fill_basket(app, store).await).expect("a basket id")
}

/// At the store after the checkout's redirect: fill in the store's login form if it is
/// shown; returns the callback URL the store finally sends the browser to.
async fn through_the_store_login(
    app: &TestApp,
    browser: &Browser,
    authorize: &str,
    credentials: Option<(&str, &str)>,
) -> String {
    let mut response = browser.follow_on_host(authorize).await;
    if let Some((email, password)) = credentials {
        assert_eq!(response.status(), 200, "the store's login page");
        let html = response.text().await.unwrap();
        response = browser
            .provider_login(&app.store_url("site1", "/login"), &html, email, password)
            .await;
    }
    assert_redirect(&response);
    let callback = location(&response);
    assert!(
        callback.starts_with(&app.checkout_url("/callback?")),
        "{callback}"
    );
    callback
}

async fn a_guest_logs_in_at_the_store_mid_checkout_and_the_basket_becomes_theirs(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = StoreId::parse("site1").unwrap();
    let shopper = Browser::new();
    let basket = guest_fills_a_basket(&app, &shopper, "site1").await;
    let before = shared_checkout::db::baskets::find(&app.state.db, &store, basket)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.customer_id, None, "a guest basket");

    let started = press_login(&app, &shopper, "site1", basket).await;
    assert_redirect(&started);
    let authorize = location(&started);
    assert!(
        authorize.starts_with(&app.store_url("site1", "/authorize?")),
        "{authorize}"
    );
    assert_eq!(
        query_param(&authorize, "basket_id"),
        Some(basket.to_string()),
        "our provider advertises basket binding, so the basket goes along"
    );

    let callback = through_the_store_login(
        &app,
        &shopper,
        &authorize,
        Some((DEMO_EMAIL, DEMO_PASSWORD)),
    )
    .await;
    assert_eq!(
        query_param(&callback, "iss"),
        Some(app.issuer("site1")),
        "RFC 9207 iss"
    );
    let finished = shopper.get(&callback).await;
    assert_redirect(&finished);
    assert_eq!(
        location(&finished),
        app.checkout_url(&format!("/site1/{basket}")),
        "back on the clean checkout URL"
    );

    let (alice, _) = shared_checkout::db::customers::find_for_login(
        &app.state.db,
        &store,
        &Email::parse(DEMO_EMAIL).unwrap(),
    )
    .await
    .unwrap()
    .expect("alice is seeded");
    let jar = session_jar(&finished).expect("a checkout session cookie");
    let identity = session::load(&app.state, &jar, &store, basket)
        .await
        .unwrap()
        .expect("a session")
        .identity
        .expect("an identity is attached");
    assert_eq!(identity.issuer, app.issuer("site1"));
    assert_eq!(identity.subject, alice.id.to_string());
    assert_eq!(identity.customer_id, Some(alice.id));
    assert_eq!(identity.email.as_deref(), Some(DEMO_EMAIL));
    assert_eq!(
        identity.address.as_ref().map(|a| a.city.as_str()),
        Some("Berlin"),
        "the billing address came through userinfo"
    );

    let after = shared_checkout::db::baskets::find(&app.state.db, &store, basket)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        after.customer_id,
        Some(alice.id),
        "the guest basket is now alice's"
    );
    assert_eq!(after.lines.len(), 1, "with what the guest put in it");
}

async fn a_shopper_logged_in_at_the_store_passes_straight_through(backend: Backend) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    // First checkout: the shopper types the password at site1 (and so has a store session).
    let first = guest_fills_a_basket(&app, &shopper, "site1").await;
    let started = press_login(&app, &shopper, "site1", first).await;
    let callback = through_the_store_login(
        &app,
        &shopper,
        &location(&started),
        Some((DEMO_EMAIL, DEMO_PASSWORD)),
    )
    .await;
    assert_redirect(&shopper.get(&callback).await);

    // A second basket, in another checkout: no login form this time.
    let second = empty_basket(&app, "site1").await;
    let started = press_login(&app, &shopper, "site1", second).await;
    assert_redirect(&started);
    let callback = through_the_store_login(&app, &shopper, &location(&started), None).await;
    let finished = shopper.get(&callback).await;
    assert_redirect(&finished);
    assert_eq!(
        location(&finished),
        app.checkout_url(&format!("/site1/{second}"))
    );
    let identities = identified_sessions(&app).await;
    assert_eq!(identities.len(), 2, "{identities:?}");
    assert!(identities.iter().any(|(b, _, _)| *b == second.to_string()));
}

async fn a_login_for_one_store_is_no_login_at_another(backend: Backend) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    let basket = guest_fills_a_basket(&app, &shopper, "site1").await;
    let started = press_login(&app, &shopper, "site1", basket).await;
    let callback = through_the_store_login(
        &app,
        &shopper,
        &location(&started),
        Some((DEMO_EMAIL, DEMO_PASSWORD)),
    )
    .await;
    let finished = shopper.get(&callback).await;
    let jar = session_jar(&finished).unwrap();
    // The session cookie is scoped to that basket's pages, and the session to that store.
    assert!(
        session::load(&app.state, &jar, &StoreId::parse("site2").unwrap(), basket)
            .await
            .unwrap()
            .is_none()
    );
    // Alice has no account at site2: a site2 login through the same browser shows the form.
    let site2_basket = empty_basket(&app, "site2").await;
    let started = press_login(&app, &shopper, "site2", site2_basket).await;
    let at_site2 = shopper.follow_on_host(&location(&started)).await;
    assert_eq!(
        at_site2.status(),
        200,
        "site2 asks for its own login: identities are per store"
    );
}

crate::on_both_backends!(
    a_guest_logs_in_at_the_store_mid_checkout_and_the_basket_becomes_theirs,
    a_shopper_logged_in_at_the_store_passes_straight_through,
    a_login_for_one_store_is_no_login_at_another,
);
