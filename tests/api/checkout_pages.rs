//! The checkout's pages: start, details form, and every bad URL or input a shopper (or an
//! attacker) can send — always a readable page, never a 500.

use crate::common::app::spawn_app;
use crate::common::browser::{Browser, assert_redirect, header, location};
use crate::common::checkout::{
    FormFields, HeldProcess, basket_of, decide_at_test_gateway, empty_basket, follow_payment,
    guest_checkout, guest_details, orders_for_basket, page, post_with_token, start_checkout,
    submit_details, token_from, with, without,
};
use crate::common::database::Backend;
use crate::common::html::{attribute, csrf_token, hidden_input};
use shared_checkout::domain::placeorder::ProcessState;

async fn start_page_shows_the_store_the_steps_and_both_ways_on(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let basket = basket_of(&checkout);

    let response = browser.get(&checkout).await;
    assert_eq!(response.status(), 200);
    let csp = header(response.headers(), "content-security-policy")
        .unwrap_or_default()
        .to_owned();
    let html = response.text().await.unwrap();
    assert!(html.contains("Harbour Goods"), "{html}");
    assert!(html.contains("Log in with Harbour Goods"), "{html}");
    assert!(html.contains("Continue as guest"), "{html}");
    assert!(
        html.contains(&format!("action=\"/site1/{basket}/login\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("action=\"/site1/{basket}/guest\"")),
        "{html}"
    );
    assert!(html.contains("href=\"/site1/theme.css\""), "{html}");
    assert!(html.contains("class=\"steps\""), "{html}");
    assert!(html.contains("× 2"), "{html}");
    assert!(
        csp.contains(&format!("form-action 'self' {}", app.issuer("site1"))),
        "the login form may redirect to the store: {csp}"
    );
}

async fn the_store_theme_is_served_by_the_checkout_host(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let response = browser.get(&app.checkout_url("/site1/theme.css")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(response.headers(), "content-type"),
        Some("text/css; charset=utf-8")
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("--accent: #1f5f8b;")
    );
    let site2 = browser.get(&app.checkout_url("/site2/theme.css")).await;
    assert!(site2.text().await.unwrap().contains("--accent: #2e7d32;"));
    let unknown = browser.get(&app.checkout_url("/nosuch/theme.css")).await;
    assert_eq!(unknown.status(), 404);
    let css = browser.get(&app.checkout_url("/static/checkout.css")).await;
    assert_eq!(css.status(), 200);
}

async fn unknown_stores_and_baskets_get_a_readable_404_on_every_step(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let site1_checkout = start_checkout(&app, &browser, "site1").await;
    let site1_basket = basket_of(&site1_checkout);
    let random = uuid::Uuid::new_v4();
    let cases = [
        (format!("/nosuch/{site1_basket}"), "unknown store"),
        (format!("/site1/{random}"), "unknown basket"),
        ("/site1/not-a-uuid".to_owned(), "malformed basket id"),
        (
            format!("/site2/{site1_basket}"),
            "site1's basket under site2",
        ),
        (
            format!("/Site1/{site1_basket}"),
            "store id in the wrong case",
        ),
    ];
    for (path, case) in cases {
        for step in ["", "/details", "/review", "/payment", "/success"] {
            let url = app.checkout_url(&format!("{path}{step}"));
            let (status, html) = page(&browser, &url).await;
            assert_eq!(status, 404, "{case} {step}");
            assert!(html.contains("<h1"), "{case} {step}: readable page\n{html}");
            assert!(
                !html.contains("Enamel mug"),
                "{case} {step} leaks the basket"
            );
        }
    }
    // The same basket under its own store is fine.
    assert_eq!(browser.get(&site1_checkout).await.status(), 200);
}

async fn posts_to_unknown_baskets_are_404_pages_too(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let token = token_from(&browser, &checkout).await;
    let basket = basket_of(&checkout);
    for step in ["/guest", "/details", "/review", "/place-order"] {
        let url = app.checkout_url(&format!("/site2/{basket}{step}"));
        let response = post_with_token(&browser, &url, &token, &guest_details()).await;
        assert_eq!(response.status(), 404, "{step}");
        let html = response.text().await.unwrap();
        assert!(html.contains("<h1"), "{step}: {html}");
    }
}

async fn an_empty_basket_is_refused_with_a_way_back_to_the_store(backend: Backend) {
    let app = spawn_app(backend).await;
    let basket = empty_basket(&app, "site1").await;
    let browser = Browser::new();
    browser.hand_over(&app, "site1", basket).await;
    for step in ["", "/details", "/review"] {
        let (status, html) = page(
            &browser,
            &app.checkout_url(&format!("/site1/{basket}{step}")),
        )
        .await;
        assert_eq!(status, 409, "{step}: {html}");
        assert!(html.contains("nothing to check out"), "{step}: {html}");
        assert!(
            html.contains(&app.store_url("site1", "/")),
            "{step}: link back\n{html}"
        );
    }
}

async fn continuing_as_guest_leads_to_the_details_form(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let token = token_from(&browser, &checkout).await;
    let response = post_with_token(&browser, &format!("{checkout}/guest"), &token, &[]).await;
    assert_redirect(&response);
    assert_eq!(
        location(&response),
        format!("/site1/{}/details", basket_of(&checkout))
    );
    let (status, html) = page(&browser, &format!("{checkout}/details")).await;
    assert_eq!(status, 200);
    for field in [
        "name=\"email\"",
        "name=\"billing_name\"",
        "name=\"billing_street\"",
        "name=\"billing_postal_code\"",
        "name=\"billing_city\"",
        "name=\"billing_country\"",
        "name=\"delivery_same\"",
        "name=\"delivery_street\"",
        "value=\"standard\"",
        "value=\"express\"",
        "value=\"offline:cash_on_delivery\"",
        "name=\"privacy_policy\"",
    ] {
        assert!(html.contains(field), "details form lacks {field}");
    }
    assert!(
        html.contains("$4.90") && html.contains("$9.90"),
        "delivery prices"
    );
    assert!(
        !html.contains("name=\"phone\""),
        "no personal-data form by default"
    );
}

async fn forms_without_a_valid_token_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let _ = token_from(&browser, &checkout).await;
    for step in ["/guest", "/details", "/review", "/place-order"] {
        for token in ["", "forged-token"] {
            let response = post_with_token(
                &browser,
                &format!("{checkout}{step}"),
                token,
                &guest_details(),
            )
            .await;
            assert_eq!(response.status(), 403, "{step} with {token:?}");
            let html = response.text().await.unwrap();
            assert!(html.contains("<h1"), "{step}: {html}");
        }
    }
    // Another browser's token does not work either.
    let other = Browser::new();
    let other_checkout = start_checkout(&app, &other, "site1").await;
    let other_token = token_from(&other, &other_checkout).await;
    let response = post_with_token(&browser, &format!("{checkout}/guest"), &other_token, &[]).await;
    assert_eq!(response.status(), 403);
}

async fn the_details_form_names_each_bad_field_and_keeps_what_was_typed(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let details = format!("{checkout}/details");
    let token = token_from(&browser, &details).await;
    let form = with(guest_details(), "email", "not-an-email");
    let form = with(form, "billing_city", "");
    let form = with(form, "billing_street", "12 <b>Typed</b> Street");
    let form = without(form, "privacy_policy");
    let response = post_with_token(&browser, &details, &token, &form).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("There is a problem"), "{html}");
    assert!(html.contains("id=\"email-error\""), "{html}");
    assert!(
        html.contains("aria-describedby=\"email-hint email-error\""),
        "{html}"
    );
    assert!(html.contains("id=\"billing_city-error\""), "{html}");
    assert!(html.contains("id=\"privacy_policy-error\""), "{html}");
    assert!(!html.contains("id=\"billing_name-error\""), "{html}");
    // What was typed comes back, escaped.
    assert!(html.contains("value=\"not-an-email\""), "{html}");
    assert!(
        html.contains("12 &#60;b&#62;Typed&#60;/b&#62; Street")
            || html.contains("12 &lt;b&gt;Typed&lt;/b&gt; Street"),
        "{html}"
    );
    assert!(!html.contains("<b>Typed</b>"), "typed markup is escaped");
    // Reloading the form shows the draft from the session, not the URL.
    let (status, html) = page(&browser, &details).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("value=\"not-an-email\""),
        "draft kept server-side\n{html}"
    );
}

async fn tampered_choices_and_oversized_fields_come_back_as_readable_4xx(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let details = format!("{checkout}/details");
    let token = token_from(&browser, &details).await;
    let long = "x".repeat(10_000);
    let cases: Vec<(&str, FormFields, &str)> = vec![
        (
            "unknown payment method",
            with(guest_details(), "payment", "offline:gold_bars"),
            "payment-error",
        ),
        (
            "unknown gateway",
            with(guest_details(), "payment", "nosuch:card"),
            "payment-error",
        ),
        (
            "unknown delivery method",
            with(guest_details(), "delivery_method", "drone"),
            "delivery_method-error",
        ),
        (
            "oversized name",
            with(guest_details(), "billing_name", &long),
            "billing_name-error",
        ),
        (
            "oversized email",
            with(guest_details(), "email", &format!("{long}@example.com")),
            "email-error",
        ),
        (
            "control characters",
            with(guest_details(), "billing_city", "Ber\u{0}lin"),
            "billing_city-error",
        ),
    ];
    for (case, form, error_id) in cases {
        let response = post_with_token(&browser, &details, &token, &form).await;
        let status = response.status();
        assert!(status.is_client_error(), "{case}: {status}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!("id=\"{error_id}\"")),
            "{case}: {html}"
        );
    }
    // A field given twice cannot be read: a readable 400 page.
    let mut twice: Vec<(&str, &str)> =
        vec![("payment", "offline:cash_on_delivery"), ("payment", "x")];
    twice.push(("authenticity_token", &token));
    let response = browser.post_form(&details, &twice).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("<h1"));
    // A body that is not a form at all.
    let response = browser
        .client
        .post(&details)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
}

async fn a_tampered_or_stale_review_total_is_shown_again_and_nothing_is_ordered(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let basket = basket_of(&checkout);
    assert_redirect(&submit_details(&browser, &checkout, &guest_details()).await);
    let (_, review) = page(&browser, &format!("{checkout}/review")).await;
    let token = csrf_token(&review);
    let total = hidden_input(&review, "expected_total").unwrap();
    let place = format!("{checkout}/place-order");
    for (case, fields, status) in [
        (
            "forged total",
            vec![("expected_total", "1".to_owned())],
            409,
        ),
        (
            "garbage total",
            vec![("expected_total", "12e9; drop".to_owned())],
            400,
        ),
        ("no total", vec![], 400),
        ("huge total", vec![("expected_total", "9".repeat(400))], 400),
    ] {
        let response = post_with_token(&browser, &place, &token, &fields).await;
        assert_eq!(response.status(), status, "{case}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("Review your order") && html.contains("role=\"alert\""),
            "{case}: {html}"
        );
    }
    assert_eq!(orders_for_basket(&app, basket).await, 0);

    // The shopper adds something at the store in another tab: the old review is stale.
    let (_, catalog) = page(&browser, &app.store_url("site1", "/")).await;
    let store_token = csrf_token(&catalog);
    let product = hidden_input(&catalog, "product_id").unwrap();
    let added = browser
        .post_form(
            &app.store_url("site1", "/basket/add"),
            &[
                ("product_id", product.as_str()),
                ("quantity", "1"),
                ("authenticity_token", store_token.as_str()),
            ],
        )
        .await;
    assert_redirect(&added);
    let response = post_with_token(
        &browser,
        &place,
        &token,
        &[("expected_total", total.clone())],
    )
    .await;
    assert_eq!(response.status(), 409);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("The total of your order has changed"),
        "{html}"
    );
    let new_total = hidden_input(&html, "expected_total").unwrap();
    assert_ne!(new_total, total);
    assert_eq!(orders_for_basket(&app, basket).await, 0);
    // Confirming the new total places the order.
    let response =
        post_with_token(&browser, &place, &token, &[("expected_total", new_total)]).await;
    assert_redirect(&response);
    assert_eq!(
        follow_payment(&browser, &checkout).await,
        format!("{checkout}/success")
    );
}

async fn a_body_over_the_size_limit_is_refused_not_a_500(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let details = format!("{checkout}/details");
    let token = token_from(&browser, &details).await;
    let huge = "x".repeat(100 * 1024);
    let response = post_with_token(
        &browser,
        &details,
        &token,
        &with(guest_details(), "billing_name", &huge),
    )
    .await;
    assert!(response.status().is_client_error(), "{}", response.status());
}

/// The waiting page's `<meta http-equiv="refresh">` content: seconds, then the URL.
fn refresh_of(html: &str) -> Option<String> {
    let at = html.find("http-equiv=\"refresh\"")?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    attribute(&html[start..=end], "content")
}

async fn the_waiting_page_reloads_itself_ever_more_slowly_and_says_what_it_waits_for(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let basket = basket_of(&checkout);
    let hosted = guest_checkout(&browser, &checkout, "testgateway:card").await;
    assert_redirect(&decide_at_test_gateway(&browser, &hosted, "approve").await);
    // Another node is confirming the approved payment.
    let mut held = HeldProcess::take(&app, "site1", basket).await;
    held.move_to(&app, ProcessState::ValidatePayment).await;

    let payment = format!("{checkout}/payment");
    let path = format!("/site1/{basket}/payment");
    for (query, secs, next) in [
        ("", 1, 2),
        ("?wait=2", 2, 4),
        ("?wait=4", 4, 8),
        ("?wait=8", 8, 15),
        ("?wait=15", 15, 15),
    ] {
        let (status, html) = page(&browser, &format!("{payment}{query}")).await;
        assert_eq!(status, 200, "{query}: {html}");
        let expected = format!("{path}?wait={next}");
        assert_eq!(
            refresh_of(&html).as_deref(),
            Some(format!("{secs}; url={expected}").as_str()),
            "{query}"
        );
        assert!(
            html.contains(&format!("href=\"{expected}\">Check again</a>")),
            "{query}: {html}"
        );
        assert!(
            html.contains("waiting for the payment provider to confirm your payment"),
            "{html}"
        );
    }
    // Whatever the URL says, the page answers: garbage is the first interval, a huge
    // number the longest.
    for (query, secs) in [
        ("?wait=soon", 1),
        ("?wait=-3", 1),
        ("?wait=%FF%FE", 1),
        ("?wait=&wait=8", 1),
        ("?wait=4e3", 1),
        ("?wait=99999999999999999999999999", 15),
    ] {
        let (status, html) = page(&browser, &format!("{payment}{query}")).await;
        assert_eq!(status, 200, "{query}: {html}");
        let refresh = refresh_of(&html).unwrap_or_default();
        assert!(
            refresh.starts_with(&format!("{secs}; ")),
            "{query}: {refresh}"
        );
    }

    // The payment is confirmed; the order is being written.
    held.move_to(&app, ProcessState::PlaceOrder).await;
    let (status, html) = page(&browser, &payment).await;
    assert_eq!(status, 200);
    assert!(html.contains("placing your order"), "{html}");
    assert!(!html.contains("payment provider"), "{html}");
    assert_eq!(orders_for_basket(&app, basket).await, 0);
}

crate::on_both_backends!(
    the_waiting_page_reloads_itself_ever_more_slowly_and_says_what_it_waits_for,
    a_tampered_or_stale_review_total_is_shown_again_and_nothing_is_ordered,
    a_body_over_the_size_limit_is_refused_not_a_500,
    start_page_shows_the_store_the_steps_and_both_ways_on,
    the_store_theme_is_served_by_the_checkout_host,
    unknown_stores_and_baskets_get_a_readable_404_on_every_step,
    posts_to_unknown_baskets_are_404_pages_too,
    an_empty_basket_is_refused_with_a_way_back_to_the_store,
    continuing_as_guest_leads_to_the_details_form,
    forms_without_a_valid_token_are_refused,
    the_details_form_names_each_bad_field_and_keeps_what_was_typed,
    tampered_choices_and_oversized_fields_come_back_as_readable_4xx,
);
