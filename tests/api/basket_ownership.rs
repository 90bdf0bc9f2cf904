//! Baskets change owner only when the checkout redeems a basket-bound code at `/token`:
//! a link to the store's `/authorize` claims nothing.

use shared_checkout::db;
use shared_checkout::domain::{BasketId, CustomerId, StoreId};

use crate::common::app::{ALICE_EMAIL, ALICE_PASSWORD, TestApp, alice_profile, spawn_app};
use crate::common::browser::{Browser, assert_redirect, location};
use crate::common::checkout::{
    basket_of, guest_details, log_in_through_store, start_checkout, submit_details,
};
use crate::common::database::Backend;
use crate::common::oauth::{AuthKind, TestClient, oauth_error};

async fn owner_of(app: &TestApp, basket: BasketId) -> Option<CustomerId> {
    db::baskets::find(&app.state.db, &StoreId::parse("site1").unwrap(), basket)
        .await
        .unwrap()
        .expect("the basket exists")
        .customer_id
}

async fn a_get_of_authorize_with_a_guest_basket_claims_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    // The attacker's guest basket, and a victim logged in at the store.
    let guest = Browser::new();
    let checkout = start_checkout(&app, &guest, "site1").await;
    let basket = basket_of(&checkout);
    let victim = Browser::new();
    let login = victim
        .storefront_login(&app, "site1", ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    assert_redirect(&login);

    // The victim follows a link to /authorize naming the guest basket.
    let request = client.authorization().set("basket_id", &basket.to_string());
    let response = client.authorize(&victim, &request).await;
    let callback = client.callback(&response);
    assert!(callback.code.is_some(), "a code is issued: {callback:?}");
    assert_eq!(
        owner_of(&app, basket).await,
        None,
        "the authorization endpoint must not claim the basket"
    );

    // The guest can still check it out.
    let submitted = submit_details(&guest, &checkout, &guest_details()).await;
    assert_redirect(&submitted);
    assert!(location(&submitted).ends_with("/review"));
}

async fn after_a_checkout_login_the_basket_is_the_customers(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let basket = basket_of(&checkout);
    assert_eq!(
        owner_of(&app, basket).await,
        None,
        "a guest basket at first"
    );
    let (_, html) = log_in_through_store(&browser, &checkout, ALICE_EMAIL, ALICE_PASSWORD).await;
    assert!(html.contains(ALICE_EMAIL), "logged in at the checkout");
    let alice = alice_profile(&app).await;
    assert_eq!(owner_of(&app, basket).await, Some(alice.id));
}

async fn a_code_for_a_basket_claimed_meanwhile_is_invalid_grant(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let basket = start_checkout(&app, &Browser::new(), "site1").await;
    let basket = basket_of(&basket).to_string();
    let alice = Browser::new();
    let alices = client.authorization().set("basket_id", &basket);
    let alices_code = client
        .code_for(&alice, &alices, ALICE_EMAIL, ALICE_PASSWORD)
        .await;

    let bob = Browser::new();
    bob.register(&app, "site1", "bob@example.com", "bob's long password")
        .await;
    let bobs = client.authorization().set("basket_id", &basket);
    let bobs_code = client
        .code_for(&bob, &bobs, "bob@example.com", "bob's long password")
        .await;
    client.tokens(&bobs_code, &bobs.pkce.verifier).await;

    let late = client.redeem(&alices_code, &alices.pkce.verifier).await;
    assert_eq!(
        oauth_error(late).await,
        (reqwest::StatusCode::BAD_REQUEST, "invalid_grant".to_owned())
    );
    assert_eq!(app.stored_access_tokens().await, 1, "Bob's only");
    let basket = BasketId::parse(&basket).unwrap();
    assert_ne!(
        owner_of(&app, basket).await,
        Some(alice_profile(&app).await.id)
    );
}

async fn two_customers_redeeming_at_once_leave_one_owner(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = TestClient::register(&app, "site1", AuthKind::SecretBasic).await;
    let basket = basket_of(&start_checkout(&app, &Browser::new(), "site1").await);
    let alice = Browser::new();
    let alices = client.authorization().set("basket_id", &basket.to_string());
    let alices_code = client
        .code_for(&alice, &alices, ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    let bob = Browser::new();
    bob.register(&app, "site1", "bob@example.com", "bob's long password")
        .await;
    let bobs = client.authorization().set("basket_id", &basket.to_string());
    let bobs_code = client
        .code_for(&bob, &bobs, "bob@example.com", "bob's long password")
        .await;

    let (a, b) = tokio::join!(
        client.redeem(&alices_code, &alices.pkce.verifier),
        client.redeem(&bobs_code, &bobs.pkce.verifier),
    );
    let (a, b) = (a.status(), b.status());
    assert!(
        (a == 200) != (b == 200),
        "exactly one redemption wins: {a} and {b}"
    );
    assert_eq!(app.stored_access_tokens().await, 1, "the winner's only");
    let owner = owner_of(&app, basket)
        .await
        .expect("the winner owns the basket");
    let winner_is_alice = a == 200;
    assert_eq!(owner == alice_profile(&app).await.id, winner_is_alice);
}

crate::on_both_backends!(
    two_customers_redeeming_at_once_leave_one_owner,
    a_get_of_authorize_with_a_guest_basket_claims_nothing,
    after_a_checkout_login_the_basket_is_the_customers,
    a_code_for_a_basket_claimed_meanwhile_is_invalid_grant,
);
