//! The whole login handoff against our own store provider (site1) for the demo customer
//! alice: a guest basket at site1 → checkout → log in on site1's own login page → back at
//! the checkout with her identity, and the guest basket is now hers.

use shared_checkout::checkout::session_store as session;
use shared_checkout::demo::{DEMO_EMAIL, DEMO_PASSWORD};
use shared_checkout::domain::{BasketId, Email, StoreId};

use crate::common::app::{TestApp, spawn_app};
use crate::common::browser::{Browser, assert_redirect, location, query_pairs, query_param};
use crate::common::checkout::empty_basket;
use crate::common::database::Backend;
use crate::common::html::hidden_input;
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

/// The checkout pushed its request (RFC 9126): the browser goes to the store's
/// authorization endpoint with nothing but `client_id` and `request_uri`, so state, nonce,
/// PKCE challenge, scope and basket binding are nowhere in the browser's URL.
#[track_caller]
fn assert_pushed(app: &TestApp, authorize: &str) {
    assert!(
        authorize.starts_with(&app.store_url("site1", "/authorize?")),
        "{authorize}"
    );
    let names: Vec<String> = query_pairs(authorize).into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["client_id", "request_uri"], "{authorize}");
    assert_eq!(
        query_param(authorize, "client_id").as_deref(),
        Some("shared-checkout")
    );
    assert!(
        query_param(authorize, "request_uri")
            .is_some_and(|uri| uri.starts_with("urn:ietf:params:oauth:request_uri:")),
        "{authorize}"
    );
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
    assert_pushed(&app, &authorize);

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

/// The whole handoff through a pushed request: the basket binding travelled over the back
/// channel (the basket becomes alice's), and the details form is pre-filled from her store.
async fn par_the_checkout_pushes_its_login_to_our_store_and_prefills_the_form(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = StoreId::parse("site1").unwrap();
    let shopper = Browser::new();
    let basket = guest_fills_a_basket(&app, &shopper, "site1").await;
    let started = press_login(&app, &shopper, "site1", basket).await;
    assert_redirect(&started);
    let authorize = location(&started);
    assert_pushed(&app, &authorize);
    // The pushed request is the provider's, stored for one use and a minute.
    let (pushed,): (String,) = sqlx::query_as(
        "SELECT params FROM pushed_authorization_requests WHERE client_id = 'shared-checkout'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    for carried in [
        "state=",
        "nonce=",
        "code_challenge=",
        "code_challenge_method=S256",
        "redirect_uri=",
        &format!("basket_id={basket}"),
    ] {
        assert!(pushed.contains(carried), "{carried} in {pushed}");
    }
    assert!(
        !pushed.contains("client_assertion"),
        "no credentials kept: {pushed}"
    );

    let callback = through_the_store_login(
        &app,
        &shopper,
        &authorize,
        Some((DEMO_EMAIL, DEMO_PASSWORD)),
    )
    .await;
    let finished = shopper.get(&callback).await;
    assert_redirect(&finished);
    let html = shopper
        .page(&app.checkout_url(&format!("/site1/{basket}/details")))
        .await;
    assert_eq!(
        hidden_input(&html, "email").as_deref(),
        Some(DEMO_EMAIL),
        "{html}"
    );
    let owner = shared_checkout::db::baskets::find(&app.state.db, &store, basket)
        .await
        .unwrap()
        .unwrap()
        .customer_id;
    assert!(
        owner.is_some(),
        "the pushed basket binding made the basket alice's"
    );
    let left: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pushed_authorization_requests")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(left.0, 0, "the pushed request was used up");
}

/// A provider refusing the pushed request (here: the checkout's registration is gone) is
/// the readable "cannot log you in right now" page, not a 500 or a dead end.
async fn par_a_refused_push_gets_the_login_unavailable_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let shopper = Browser::new();
    let basket = guest_fills_a_basket(&app, &shopper, "site1").await;
    sqlx::query(
        "DELETE FROM oauth_clients WHERE store_id = 'site1' AND client_id = 'shared-checkout'",
    )
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    let started = press_login(&app, &shopper, "site1", basket).await;
    assert_eq!(started.status(), 502);
    let html = started.text().await.unwrap();
    assert!(html.contains("cannot log you in right now"), "{html}");
    assert!(
        html.contains(&format!("/site1/{basket}")),
        "a way back to the checkout: {html}"
    );
}

crate::on_both_backends!(
    par_the_checkout_pushes_its_login_to_our_store_and_prefills_the_form,
    par_a_refused_push_gets_the_login_unavailable_page,
    a_guest_logs_in_at_the_store_mid_checkout_and_the_basket_becomes_theirs,
    a_shopper_logged_in_at_the_store_passes_straight_through,
    a_login_for_one_store_is_no_login_at_another,
);
