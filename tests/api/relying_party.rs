//! The checkout as a relying party, against a rogue provider of our own (site3) that does
//! one thing wrong at a time: every misbehaviour is refused with a readable page and no
//! identity attached; the well-behaved provider gets the shopper logged in.

use shared_checkout::checkout::session_store as session;
use shared_checkout::domain::{IdTokenAlg, StoreId};

use crate::common::app::{free_port, spawn_app, spawn_app_with};
use crate::common::browser::{Browser, assert_redirect, header, location, query_param};
use crate::common::checkout::{
    basket_of, empty_basket, guest_checkout, guest_details, page, post_with_token, start_checkout,
    with, without,
};
use crate::common::database::Backend;
use crate::common::html::{csrf_token, hidden_input};
use crate::common::oauth::back_channel;
use crate::common::rogue::{
    Misbehaviour, ROGUE_SUBJECT, Rogue, add_store, assert_refused, callback_url_from_rogue,
    identified_sessions, log_in_via_rogue, press_login, session_jar, spawn_app_with_rogue,
};

async fn a_login_through_a_well_behaved_provider_attaches_the_verified_identity(backend: Backend) {
    let (app, rogue) = spawn_app_with_rogue(backend).await;
    let browser = Browser::new();
    let basket = empty_basket(&app, "site3").await;

    let started = press_login(&app, &browser, "site3", basket).await;
    assert_redirect(&started);
    let authorize = location(&started);
    assert!(
        authorize.starts_with(&format!("{}/authorize?", rogue.issuer)),
        "{authorize}"
    );
    let answered = browser.get(&authorize).await;
    let callback = location(&answered);
    assert!(
        callback.starts_with(&app.checkout_url("/callback?")),
        "{callback}"
    );

    let finished = browser.get(&callback).await;
    assert_redirect(&finished);
    let clean = app.checkout_url(&format!("/site3/{basket}"));
    assert_eq!(location(&finished), clean, "back on the clean checkout URL");

    let jar = session_jar(&finished).expect("a checkout session cookie");
    let cookie = jar.get("checkout_session").unwrap();
    assert_eq!(cookie.path(), Some("/"));
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(
        cookie.same_site(),
        Some(axum_extra::extract::cookie::SameSite::Lax)
    );

    let store = StoreId::parse("site3").unwrap();
    let loaded = session::load(&app.state, &jar, &store, basket)
        .await
        .unwrap()
        .expect("the session is found by its cookie");
    let identity = loaded.identity.expect("an identity is attached");
    assert_eq!(identity.issuer, rogue.issuer);
    assert_eq!(identity.subject, ROGUE_SUBJECT);
    assert_eq!(
        identity.customer_id, None,
        "a foreign provider's sub is no customer id"
    );
    assert_eq!(identity.email.as_deref(), Some("rogue.shopper@example.com"));
    assert_eq!(identity.name.as_deref(), Some("Rosa Rogue"));
    assert_eq!(identity.phone.as_deref(), Some("+49 30 1234567"));
    let address = identity.address.expect("the address claim is kept");
    assert_eq!(
        (
            address.street.as_str(),
            address.city.as_str(),
            address.country.as_str()
        ),
        ("1 Harbour Road", "Hamburg", "DE")
    );

    // The session is for this basket only.
    let other_basket = empty_basket(&app, "site3").await;
    assert!(
        session::load(&app.state, &jar, &store, other_basket)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        session::load(&app.state, &jar, &StoreId::parse("site1").unwrap(), basket)
            .await
            .unwrap()
            .is_none()
    );
}

async fn the_authorization_request_carries_state_nonce_pkce_and_the_basket(backend: Backend) {
    let (app, rogue) = spawn_app_with_rogue(backend).await;
    let browser = Browser::new();
    let basket = empty_basket(&app, "site3").await;
    let started = press_login(&app, &browser, "site3", basket).await;
    assert_redirect(&started);
    browser.get(&location(&started)).await;
    let query = rogue.last_authorize();
    let param = |name: &str| query.get(name).map(String::as_str);
    assert_eq!(param("response_type"), Some("code"));
    assert_eq!(param("client_id"), Some("shared-checkout"));
    assert_eq!(
        param("redirect_uri"),
        Some(app.checkout_url("/callback").as_str())
    );
    let scopes: Vec<&str> = param("scope").unwrap_or_default().split(' ').collect();
    for scope in ["openid", "email", "profile", "address", "phone"] {
        assert!(scopes.contains(&scope), "scope {scope} in {scopes:?}");
    }
    assert_eq!(param("code_challenge_method"), Some("S256"));
    assert_eq!(param("code_challenge").map(str::len), Some(43));
    assert!(param("state").is_some_and(|s| s.len() >= 43));
    assert!(param("nonce").is_some_and(|s| s.len() >= 43));
    // The rogue advertises basket binding, so the basket goes along.
    assert_eq!(param("basket_id"), Some(basket.to_string().as_str()));

    // The transaction keeps no state or nonce in clear.
    let (state_hash, nonce_hash): (String, String) =
        sqlx::query_as("SELECT state_hash, nonce_hash FROM login_transactions")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_ne!(Some(state_hash.as_str()), param("state"));
    assert_ne!(Some(nonce_hash.as_str()), param("nonce"));
}

async fn a_store_configured_for_es256_accepts_only_es256_id_tokens(backend: Backend) {
    use Misbehaviour as M;
    let rogue = Rogue::start().await;
    let issuer = rogue.issuer.clone();
    let app = spawn_app_with(backend, |settings| {
        add_store(settings, "site3", &issuer, None);
        settings.stores.last_mut().unwrap().login.id_token_alg = Some(IdTokenAlg::Es256);
    })
    .await;
    // The rogue's "wrong" algorithm is the configured one here: accepted.
    rogue.misbehave(M::WrongAlg);
    let basket = empty_basket(&app, "site3").await;
    let response = log_in_via_rogue(&app, &Browser::new(), "site3", basket).await;
    assert_redirect(&response);
    assert_eq!(identified_sessions(&app).await.len(), 1);
    // And its usual RS256 is now the wrong one.
    rogue.misbehave(M::None);
    let basket = empty_basket(&app, "site3").await;
    let response = log_in_via_rogue(&app, &Browser::new(), "site3", basket).await;
    assert_refused(
        response,
        Some(&format!("/site3/{basket}")),
        "RS256 when ES256 is configured",
    )
    .await;
    assert_eq!(
        identified_sessions(&app).await.len(),
        1,
        "no second identity"
    );
}

/// The misbehaviours an OpenID Foundation module names are tests of their own, named after
/// the module, in `conformance_client`; these are the others.
async fn every_other_misbehaviour_of_the_provider_is_refused_and_attaches_no_identity(
    backend: Backend,
) {
    use Misbehaviour as M;
    let (app, rogue) = spawn_app_with_rogue(backend).await;
    for case in [
        M::WrongIssParam,
        M::NoIssParam,
        M::ErrorResponse,
        M::ExtraAudNoAzp,
        M::WrongAzp,
        M::IatInTheFuture,
        M::WrongAlg,
        M::MissingNonce,
        M::WrongBasket,
        M::MissingBasket,
        M::Expired,
        M::UnknownKid,
        M::TokenError,
    ] {
        rogue.misbehave(case);
        let browser = Browser::new();
        let basket = empty_basket(&app, "site3").await;
        let response = log_in_via_rogue(&app, &browser, "site3", basket).await;
        let body = assert_refused(
            response,
            Some(&format!("/site3/{basket}")),
            &format!("{case:?}"),
        )
        .await;
        if case == M::ErrorResponse {
            assert!(
                body.contains("cancelled or refused"),
                "the error is explained: {body}"
            );
            assert!(
                body.contains("The shopper said no &lt;b&gt;thanks&lt;/b&gt;")
                    || body.contains("The shopper said no &#60;b&#62;thanks&#60;/b&#62;"),
                "the provider's description is shown, escaped: {body}"
            );
        }
        assert!(
            identified_sessions(&app).await.is_empty(),
            "{case:?}: no identity attached"
        );
    }
    // And the same provider behaving again is accepted: the refusals above were the checks.
    rogue.misbehave(M::None);
    let browser = Browser::new();
    let basket = empty_basket(&app, "site3").await;
    let response = log_in_via_rogue(&app, &browser, "site3", basket).await;
    assert_redirect(&response);
    assert_eq!(identified_sessions(&app).await.len(), 1);
}

async fn logout_tokens_naming_unknown_keys_refetch_the_providers_keys_at_most_once(
    backend: Backend,
) {
    let (app, rogue) = spawn_app_with_rogue(backend).await;
    // Anyone may post to the back-channel logout endpoint; a key we do not know makes the
    // checkout refetch the provider's keys once (rotation), not once per forged token.
    for n in 0..20 {
        let response = back_channel()
            .post(app.checkout_url("/backchannel-logout"))
            .form(&[("logout_token", rogue.logout_token_with_an_unknown_key())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "forged logout token {n} is refused");
    }
    assert!(
        rogue.jwks_fetches() <= 2,
        "discovery and one refetch, not {} fetches",
        rogue.jwks_fetches()
    );
}

async fn a_callback_from_another_browser_is_refused(backend: Backend) {
    let (app, _rogue) = spawn_app_with_rogue(backend).await;
    let shopper = Browser::new();
    let basket = empty_basket(&app, "site3").await;
    let callback = callback_url_from_rogue(&app, &shopper, "site3", basket).await;

    // The attacker's browser (no transaction cookie) presents the valid code and state.
    let attacker = Browser::new();
    let response = attacker.get(&callback).await;
    assert_refused(response, None, "callback in another browser").await;
    assert!(identified_sessions(&app).await.is_empty());

    // A browser with a binding cookie of its own is refused too.
    let other = Browser::new();
    let other_basket = empty_basket(&app, "site3").await;
    let _ = press_login(&app, &other, "site3", other_basket).await;
    let response = other.get(&callback).await;
    assert_refused(response, None, "callback in a browser with another login").await;
    assert!(identified_sessions(&app).await.is_empty());
}

async fn a_login_transaction_is_used_once(backend: Backend) {
    let (app, _rogue) = spawn_app_with_rogue(backend).await;
    let browser = Browser::new();
    let basket = empty_basket(&app, "site3").await;
    let callback = callback_url_from_rogue(&app, &browser, "site3", basket).await;
    let first = browser.get(&callback).await;
    assert_redirect(&first);
    let second = browser.get(&callback).await;
    assert_refused(second, None, "the same callback twice").await;
    assert_eq!(identified_sessions(&app).await.len(), 1);
}

async fn a_callback_without_a_login_in_progress_is_refused(backend: Backend) {
    let (app, _rogue) = spawn_app_with_rogue(backend).await;
    let browser = Browser::new();
    for query in [
        "",
        "?code=abc&state=def",
        "?code=abc&state=def&iss=http%3A%2F%2Fevil.localhost",
        "?error=access_denied",
        "?code=a&code=b",
    ] {
        let response = browser
            .get(&app.checkout_url(&format!("/callback{query}")))
            .await;
        assert_refused(response, None, query).await;
    }
    // With a binding cookie but an unknown state.
    let basket = empty_basket(&app, "site3").await;
    let _ = press_login(&app, &browser, "site3", basket).await;
    let response = browser
        .get(&app.checkout_url("/callback?code=abc&state=not-ours"))
        .await;
    assert_refused(response, None, "unknown state").await;
}

async fn an_expired_login_transaction_is_refused(backend: Backend) {
    let (app, _rogue) = spawn_app_with_rogue(backend).await;
    let browser = Browser::new();
    let basket = empty_basket(&app, "site3").await;
    let callback = callback_url_from_rogue(&app, &browser, "site3", basket).await;
    sqlx::query("UPDATE login_transactions SET expires_at = $1")
        .bind(shared_checkout::db::now() - 1)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let response = browser.get(&callback).await;
    let body = assert_refused(response, Some(&format!("/site3/{basket}")), "expired").await;
    assert!(body.contains("took too long"), "{body}");
}

async fn the_login_form_is_csrf_protected(backend: Backend) {
    let (app, _rogue) = spawn_app_with_rogue(backend).await;
    let browser = Browser::new();
    let basket = empty_basket(&app, "site3").await;
    browser.hand_over(&app, "site3", basket).await;
    let url = app.checkout_url(&format!("/site3/{basket}/login"));
    for token in ["", "forged"] {
        let response = browser
            .post_form(&url, &[("authenticity_token", token)])
            .await;
        assert_eq!(response.status(), 403, "token {token:?}");
        let body = response.text().await.unwrap();
        assert!(body.contains("had expired"), "{body}");
        // The page offers a fresh form, so the shopper is not stuck.
        assert!(hidden_input(&body, "authenticity_token").is_some());
    }
    assert_eq!(
        sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM login_transactions")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap()
            .0,
        0,
        "no transaction without a valid form token"
    );
}

async fn login_for_a_missing_foreign_or_closed_basket_is_a_404(backend: Backend) {
    let (app, _rogue) = spawn_app_with_rogue(backend).await;
    let browser = Browser::new();
    let site1_basket = empty_basket(&app, "site1").await;
    let closed = empty_basket(&app, "site3").await;
    shared_checkout::db::baskets::transition(
        &app.state.db.pool,
        &StoreId::parse("site3").unwrap(),
        closed,
        shared_checkout::domain::BasketStatus::Open,
        shared_checkout::domain::BasketStatus::Ordered,
    )
    .await
    .unwrap();
    // Handed to this browser before it was ordered: the session alone opens no login.
    browser.hand_over(&app, "site3", closed).await;
    for path in [
        format!("/site3/{site1_basket}/login"),
        format!("/site3/{}/login", uuid::Uuid::new_v4()),
        format!("/site3/{closed}/login"),
        "/site3/not-a-uuid/login".to_owned(),
        format!("/nowhere/{site1_basket}/login"),
    ] {
        let page = browser.get(&app.checkout_url(&path)).await;
        assert_eq!(page.status(), 404, "GET {path}");
        let posted = browser
            .post_form(&app.checkout_url(&path), &[("authenticity_token", "x")])
            .await;
        assert_eq!(posted.status(), 404, "POST {path}");
        assert!(posted.text().await.unwrap().contains("<h1"), "POST {path}");
    }
}

async fn the_login_page_may_post_to_the_store_login_origin(backend: Backend) {
    let (app, rogue) = spawn_app_with_rogue(backend).await;
    let basket = empty_basket(&app, "site3").await;
    let browser = Browser::new();
    browser.hand_over(&app, "site3", basket).await;
    let page = browser
        .get(&app.checkout_url(&format!("/site3/{basket}/login")))
        .await;
    let csp = header(page.headers(), "content-security-policy")
        .unwrap_or_default()
        .to_owned();
    assert!(
        csp.contains(&format!("form-action 'self' {}", rogue.issuer)),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

async fn a_provider_that_cannot_be_reached_gets_a_readable_page(backend: Backend) {
    // Nothing listens there (the port was free a moment ago).
    let port = free_port();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = spawn_app_with(backend, |settings| {
        add_store(settings, "site3", &issuer, None)
    })
    .await;
    let basket = empty_basket(&app, "site3").await;
    let response = press_login(&app, &Browser::new(), "site3", basket).await;
    assert_eq!(response.status(), 502);
    let body = response.text().await.unwrap();
    assert!(body.contains("could not reach"), "{body}");
    assert!(
        body.contains(&format!("href=\"/site3/{basket}\"")),
        "{body}"
    );
    let (transactions,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM login_transactions")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(transactions, 0);
}

async fn the_checkout_publishes_its_public_keys(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = Browser::new()
        .get(&app.checkout_url("/.well-known/jwks.json"))
        .await;
    assert_eq!(response.status(), 200);
    let jwks: serde_json::Value = response.json().await.unwrap();
    let keys = jwks["keys"].as_array().expect("a key set");
    assert!(
        keys.iter()
            .any(|k| k["alg"] == "ES256" && k["kid"].is_string())
    );
    assert!(
        keys.iter().all(|k| k.get("d").is_none()),
        "public keys only"
    );
    // Not on a store host: each host publishes its own keys.
    let store_keys = Browser::new()
        .get(&app.store_url("site1", "/.well-known/jwks.json"))
        .await;
    assert_ne!(store_keys.status(), 200);
}

async fn a_guest_draft_is_kept_and_a_new_session_token_issued_at_login(backend: Backend) {
    let (app, _rogue) = spawn_app_with_rogue(backend).await;
    let store = StoreId::parse("site3").unwrap();
    let basket = empty_basket(&app, "site3").await;
    // The store hands the basket to this browser; the guest types a draft.
    let browser = Browser::new();
    browser.hand_over(&app, "site3", basket).await;
    let guest_token = browser
        .cookie(&app.checkout_url("/"), "checkout_session")
        .expect("the handoff sets the session cookie");
    let jar = axum_extra::extract::cookie::CookieJar::new().add(
        axum_extra::extract::cookie::Cookie::new("checkout_session", guest_token.clone()),
    );
    let (key, guest) = session::load_keyed(&app.state, &jar, &store, basket)
        .await
        .unwrap()
        .expect("the handed-over session");
    assert!(guest.identity.is_none());
    let draft = serde_json::json!({ "email": "typed@example.com" });
    session::save_draft(&app.state, &key, &store, basket, &draft)
        .await
        .unwrap();

    let started = press_login(&app, &browser, "site3", basket).await;
    assert_redirect(&started);
    let answered = browser.get(&location(&started)).await;
    let finished = browser.get(&location(&answered)).await;
    assert_redirect(&finished);

    let new_jar = session_jar(&finished).unwrap();
    assert_ne!(
        new_jar.get("checkout_session").unwrap().value(),
        guest_token,
        "login issues a new session token"
    );
    let logged_in = session::load(&app.state, &new_jar, &store, basket)
        .await
        .unwrap()
        .unwrap();
    assert!(logged_in.identity.is_some());
    assert_eq!(logged_in.draft, Some(draft), "the draft survives the login");
    assert!(
        session::load(&app.state, &jar, &store, basket)
            .await
            .unwrap()
            .is_none(),
        "the guest token no longer works"
    );
    // Logging out forgets it.
    let _ = session::log_out(&app.state, new_jar.clone(), &store, basket)
        .await
        .unwrap();
    assert!(
        session::load(&app.state, &new_jar, &store, basket)
            .await
            .unwrap()
            .is_none()
    );
}

/// The value of the selected option of the select named `name`.
fn selected_option(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("<select class=\"input\" id=\"{name}\""))?;
    let select = &html[start..start + html[start..].find("</select>")?];
    let at = select.find(" selected>")?;
    let value = &select[..at];
    let value = &value[value.rfind("value=\"")? + 7..];
    Some(value.trim_end_matches('"').to_owned())
}

async fn an_address_without_a_name_fills_the_form_and_only_the_name_is_asked_for(backend: Backend) {
    let (app, rogue) = spawn_app_with_rogue(backend).await;
    rogue.misbehave(Misbehaviour::NoName);
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site3").await;
    let finished = log_in_via_rogue(&app, &browser, "site3", basket_of(&checkout)).await;
    assert_redirect(&finished);

    let details = format!("{checkout}/details");
    let (status, html) = page(&browser, &details).await;
    assert_eq!(status, 200, "{html}");
    // Inputs by their value, the country select by its selected option.
    let shown = |name: &str| {
        hidden_input(&html, name)
            .or_else(|| selected_option(&html, name))
            .unwrap_or_default()
    };
    let address = [
        "billing_street",
        "billing_postal_code",
        "billing_city",
        "billing_country",
    ];
    assert_eq!(
        address.map(shown),
        ["1 Harbour Road", "20095", "Hamburg", "DE"],
        "the address is kept without a name: {html}"
    );
    assert_eq!(shown("billing_name"), "", "no name is made up");

    // Sent as shown, the form asks for the name and nothing else.
    let mut form = with(guest_details(), "email", &shown("email"));
    for field in address {
        form = with(form, field, &shown(field));
    }
    let form = without(form, "billing_name");
    let response = post_with_token(&browser, &details, &csrf_token(&html), &form).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"billing_name-error\""), "{html}");
    for field in ["email"].iter().chain(&address) {
        assert!(
            !html.contains(&format!("id=\"{field}-error\"")),
            "{field} is fine: {html}"
        );
    }
}

async fn scopes_the_provider_does_not_list_are_not_asked_for(backend: Backend) {
    let (app, rogue) = spawn_app_with_rogue(backend).await;
    rogue.misbehave(Misbehaviour::NoPhoneScope);
    let browser = Browser::new();
    let basket = empty_basket(&app, "site3").await;
    let started = press_login(&app, &browser, "site3", basket).await;
    assert_redirect(&started);
    let scope = query_param(&location(&started), "scope").unwrap_or_default();
    assert_eq!(
        scope.split(' ').collect::<Vec<_>>(),
        ["openid", "email", "profile", "address"],
        "no phone: the provider does not list it"
    );
    // The login goes through with the scopes it got.
    let answered = browser.get(&location(&started)).await;
    let finished = browser.get(&location(&answered)).await;
    assert_redirect(&finished);
    assert_eq!(identified_sessions(&app).await.len(), 1);
}

async fn the_start_page_promises_what_each_kind_of_store_does_with_the_order(backend: Backend) {
    let (app, _rogue) = spawn_app_with_rogue(backend).await;
    let own = Browser::new();
    let checkout = start_checkout(&app, &own, "site1").await;
    let (status, html) = page(&own, &checkout).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("the order appears in your account there"),
        "our own provider's customers find the order in their account: {html}"
    );

    // site3 logs in through another provider: no store account ever shows the order.
    let external = Browser::new();
    let checkout = start_checkout(&app, &external, "site3").await;
    let (status, html) = page(&external, &checkout).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Log in with Store site3"), "{html}");
    assert!(
        !html.contains("in your account"),
        "no account promised: {html}"
    );
    assert!(
        html.contains("keep the order number"),
        "the shopper is told what to keep instead: {html}"
    );
    // And after a login there, the success page says the same.
    let finished = log_in_via_rogue(&app, &external, "site3", basket_of(&checkout)).await;
    assert_redirect(&finished);
    let next = guest_checkout(&external, &checkout, "offline:cash_on_delivery").await;
    assert_eq!(next, format!("{checkout}/success"));
    let (status, html) = page(&external, &next).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("no account pages"), "{html}");
    assert!(
        !html.contains("as a guest"),
        "the shopper logged in: {html}"
    );
}

crate::on_both_backends!(
    a_login_through_a_well_behaved_provider_attaches_the_verified_identity,
    an_address_without_a_name_fills_the_form_and_only_the_name_is_asked_for,
    scopes_the_provider_does_not_list_are_not_asked_for,
    the_start_page_promises_what_each_kind_of_store_does_with_the_order,
    the_authorization_request_carries_state_nonce_pkce_and_the_basket,
    every_other_misbehaviour_of_the_provider_is_refused_and_attaches_no_identity,
    a_store_configured_for_es256_accepts_only_es256_id_tokens,
    logout_tokens_naming_unknown_keys_refetch_the_providers_keys_at_most_once,
    a_callback_from_another_browser_is_refused,
    a_login_transaction_is_used_once,
    a_callback_without_a_login_in_progress_is_refused,
    an_expired_login_transaction_is_refused,
    the_login_form_is_csrf_protected,
    login_for_a_missing_foreign_or_closed_basket_is_a_404,
    the_login_page_may_post_to_the_store_login_origin,
    a_provider_that_cannot_be_reached_gets_a_readable_page,
    the_checkout_publishes_its_public_keys,
    a_guest_draft_is_kept_and_a_new_session_token_issued_at_login,
);
