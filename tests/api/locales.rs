//! Each store's pages in its own language: site2 (de-DE, EUR) in German with German money,
//! site1 (en-US, USD) in English; the address forms' country select, the store's country
//! first; and a country code outside ISO 3166 refused with a form error, nothing saved.

use crate::common::app::spawn_app;
use crate::common::browser::{Browser, assert_redirect};
use crate::common::checkout::{
    basket_of, guest_details, log_in_through_store, orders_for_basket, page, post_with_token,
    start_checkout, submit_details, token_from, with,
};
use crate::common::database::Backend;
use shared_checkout::demo::{DEMO_EMAIL, DEMO_PASSWORD};

/// The `lang` of the page's `<html>` element.
fn html_lang(html: &str) -> &str {
    let at = html
        .find("<html lang=\"")
        .expect("an html element with lang")
        + 12;
    &html[at..at + html[at..].find('"').unwrap()]
}

/// The options of the select named `name`, in order: (value, label, selected).
fn select_options(html: &str, name: &str) -> Vec<(String, String, bool)> {
    let marker = format!("name=\"{name}\"");
    let start = html
        .match_indices("<select")
        .map(|(at, _)| at)
        .find(|&at| html[at..].split('>').next().unwrap().contains(&marker))
        .unwrap_or_else(|| panic!("no select named {name}"));
    let body = &html[start..start + html[start..].find("</select>").unwrap()];
    body.split("<option value=\"")
        .skip(1)
        .map(|option| {
            let (value, rest) = option.split_once('"').unwrap();
            let (attributes, rest) = rest.split_once('>').unwrap();
            let label = rest.split('<').next().unwrap();
            (
                value.to_owned(),
                label.to_owned(),
                attributes.contains("selected"),
            )
        })
        .collect()
}

async fn site2_shows_german_text_and_euros_the_german_way(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let catalog = browser.page(&app.store_url("site2", "/")).await;
    assert_eq!(html_lang(&catalog), "de-DE");
    assert!(
        catalog.contains("Willkommen bei Meadow Supply"),
        "{catalog}"
    );
    assert!(catalog.contains("In den Warenkorb"), "{catalog}");
    // "14,90 €": decimal comma, the sign after a no-break space.
    assert!(catalog.contains(",90\u{a0}€</p>"), "{catalog}");
    assert!(!catalog.contains("Add to basket") && !catalog.contains(">€"));

    let checkout = start_checkout(&app, &browser, "site2").await;
    let basket = browser.page(&app.store_url("site2", "/basket")).await;
    assert_eq!(html_lang(&basket), "de-DE");
    assert!(basket.contains("Ihr Warenkorb") && basket.contains("Zur Kasse"));
    assert!(basket.contains("\u{a0}€"), "{basket}");

    let (status, start) = page(&browser, &checkout).await;
    assert_eq!(status, 200);
    assert_eq!(html_lang(&start), "de-DE");
    assert!(start.contains("Bestellen bei Meadow Supply"), "{start}");
    assert!(start.contains("Als Gast fortfahren") && start.contains("Zwischensumme"));

    let token = token_from(&browser, &checkout).await;
    assert_redirect(&post_with_token(&browser, &format!("{checkout}/guest"), &token, &[]).await);
    let (status, details) = page(&browser, &format!("{checkout}/details")).await;
    assert_eq!(status, 200, "{details}");
    assert_eq!(html_lang(&details), "de-DE");
    for german in [
        "Rechnungsadresse",
        "Lieferart",
        "Standardversand",
        "Weiter zur Prüfung",
    ] {
        assert!(details.contains(german), "details lack {german}");
    }
    assert!(details.contains("4,90\u{a0}€") && details.contains("9,90\u{a0}€"));
}

async fn site1_stays_english_in_dollars(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let catalog = browser.page(&app.store_url("site1", "/")).await;
    assert_eq!(html_lang(&catalog), "en-US");
    assert!(catalog.contains("Welcome to Harbour Goods") && catalog.contains("Add to basket"));
    assert!(catalog.contains(">$"), "{catalog}");
    assert!(!catalog.contains("€"), "only dollar products at site1");

    let checkout = start_checkout(&app, &browser, "site1").await;
    let (_, start) = page(&browser, &checkout).await;
    assert_eq!(html_lang(&start), "en-US");
    assert!(start.contains("Check out at Harbour Goods") && start.contains("Continue as guest"));
}

async fn the_country_select_puts_the_stores_country_first_and_keeps_the_prefilled_one(
    backend: Backend,
) {
    let app = spawn_app(backend).await;

    // A guest at site2: Germany first, in German, and chosen.
    let guest = Browser::new();
    let checkout = start_checkout(&app, &guest, "site2").await;
    let token = token_from(&guest, &checkout).await;
    assert_redirect(&post_with_token(&guest, &format!("{checkout}/guest"), &token, &[]).await);
    let (_, details) = page(&guest, &format!("{checkout}/details")).await;
    let options = select_options(&details, "billing_country");
    assert_eq!(options[0].0, "", "an empty choice first");
    assert_eq!(
        options[1],
        ("DE".to_owned(), "Deutschland".to_owned(), true)
    );
    assert!(options.iter().any(|o| o.0 == "FR" && o.1 == "Frankreich"));
    assert!(options.len() > 240, "every ISO 3166 country");
    assert_eq!(options.iter().filter(|o| o.2).count(), 1);

    // alice at site1: the United States first, her own Germany (from the store) chosen.
    let alice = Browser::new();
    let checkout = start_checkout(&app, &alice, "site1").await;
    let (_, details) = log_in_through_store(&alice, &checkout, DEMO_EMAIL, DEMO_PASSWORD).await;
    let options = select_options(&details, "billing_country");
    assert_eq!(options[1].0, "US");
    assert_eq!(options[1].1, "United States");
    let chosen: Vec<_> = options.iter().filter(|o| o.2).collect();
    assert_eq!(chosen.len(), 1, "{chosen:?}");
    assert_eq!(chosen[0].0, "DE");
}

async fn a_country_outside_iso_3166_is_refused_with_a_form_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let checkout = start_checkout(&app, &browser, "site1").await;
    let token = token_from(&browser, &checkout).await;
    assert_redirect(&post_with_token(&browser, &format!("{checkout}/guest"), &token, &[]).await);
    for bad in ["XX", "EU", "Germany"] {
        let response = submit_details(
            &browser,
            &checkout,
            &with(guest_details(), "billing_country", bad),
        )
        .await;
        assert_eq!(response.status(), 422, "{bad}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("must be a country from the list"),
            "{bad}: {html}"
        );
        assert!(
            html.contains("href=\"#billing_country\""),
            "linked from the summary"
        );
    }
    let (status, _) = page(&browser, &format!("{checkout}/review")).await;
    assert_ne!(status, 200, "no details were saved to review");
    assert_eq!(orders_for_basket(&app, basket_of(&checkout)).await, 0);
}

/// At site2 the details form's errors, and the payment methods on the form and the review,
/// are in German; site1 keeps the same form in English.
async fn form_errors_and_payment_methods_are_in_the_stores_language(backend: Backend) {
    let app = spawn_app(backend).await;
    for (store, missing, too_long, method) in [
        (
            "site2",
            "Der Ort der Rechnungsadresse fehlt.",
            "Das ist zu lang.",
            "Nachnahme",
        ),
        (
            "site1",
            "The billing city is required.",
            "This is too long.",
            "Cash on delivery",
        ),
    ] {
        let browser = Browser::new();
        let checkout = start_checkout(&app, &browser, store).await;
        let token = token_from(&browser, &checkout).await;
        assert_redirect(
            &post_with_token(&browser, &format!("{checkout}/guest"), &token, &[]).await,
        );
        let refused = submit_details(
            &browser,
            &checkout,
            &with(
                with(guest_details(), "billing_city", ""),
                "billing_street",
                &"x".repeat(300),
            ),
        )
        .await;
        assert_eq!(refused.status(), 422, "{store}");
        let html = refused.text().await.unwrap();
        for message in [missing, too_long] {
            assert!(html.contains(message), "{store}: no {message:?} in {html}");
        }
        assert!(html.contains(method), "{store}: the form offers {method}");

        assert_redirect(&submit_details(&browser, &checkout, &guest_details()).await);
        let (status, review) = page(&browser, &format!("{checkout}/review")).await;
        assert_eq!(status, 200, "{store}: {review}");
        assert!(
            review.contains(method),
            "{store}: the review shows {method}"
        );
    }
}

crate::on_both_backends!(
    form_errors_and_payment_methods_are_in_the_stores_language,
    site2_shows_german_text_and_euros_the_german_way,
    site1_stays_english_in_dollars,
    the_country_select_puts_the_stores_country_first_and_keeps_the_prefilled_one,
    a_country_outside_iso_3166_is_refused_with_a_form_error,
);
