//! The storefront of each store: catalog, basket, accounts; customers and baskets never
//! cross from one store to another.

use crate::common::app::{ALICE_EMAIL, ALICE_PASSWORD, spawn_app};
use crate::common::browser::{Browser, assert_redirect, header, location};
use crate::common::database::Backend;
use crate::common::html::{attribute, csrf_token, hidden_input, tag_named};
use crate::common::oauth::back_channel;

async fn the_catalog_lists_every_product_with_an_add_to_basket_form(backend: Backend) {
    let app = spawn_app(backend).await;
    let products = shared_checkout::db::products::list(&app.state.db)
        .await
        .expect("products");
    assert!(!products.is_empty(), "the demo seeds a catalog");
    for store in ["site1", "site2"] {
        let html = Browser::new().page(&app.store_url(store, "/")).await;
        let currency = app
            .state
            .config
            .store(&shared_checkout::domain::StoreId::parse(store).unwrap())
            .unwrap()
            .currency;
        // A store sells the products priced in its currency only.
        for product in products.iter().filter(|p| p.price.currency == currency) {
            assert!(
                html.contains(&product.name),
                "{store}: {} listed",
                product.name
            );
            assert!(
                html.contains(&format!("value=\"{}\"", product.id)),
                "{store}: an add-to-basket form for {}",
                product.name
            );
        }
        for product in products.iter().filter(|p| p.price.currency != currency) {
            assert!(
                !html.contains(&format!("value=\"{}\"", product.id)),
                "{store}: {} is in another currency",
                product.sku
            );
        }
        assert!(html.contains("action=\"/basket/add\""), "{store}");
        assert!(html.contains("name=\"authenticity_token\""), "{store}");
    }
}

async fn adding_to_the_basket_shows_the_total_and_a_checkout_button(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let catalog = browser.page(&app.store_url("site1", "/")).await;
    let product = hidden_input(&catalog, "product_id").expect("a product");
    let token = csrf_token(&catalog);
    let response = browser
        .post_form(
            &app.store_url("site1", "/basket/add"),
            &[
                ("product_id", &product),
                ("quantity", "2"),
                ("authenticity_token", &token),
            ],
        )
        .await;
    assert_redirect(&response);
    assert_eq!(location(&response), "/basket");

    let html = browser.page(&app.store_url("site1", "/basket")).await;
    assert!(html.contains("action=\"/basket/checkout\""), "{html}");
    let basket_id = browser
        .checkout_basket_id(&app, "site1")
        .await
        .expect("Checkout button");
    assert_eq!(
        browser
            .cookie(&app.store_url("site1", "/"), "basket")
            .as_deref(),
        Some(basket_id.as_str()),
        "the link names the basket of the cookie"
    );
    let stored = shared_checkout::db::baskets::find(
        &app.state.db,
        &shared_checkout::domain::StoreId::parse("site1").unwrap(),
        shared_checkout::domain::BasketId::parse(&basket_id).unwrap(),
    )
    .await
    .unwrap()
    .expect("the linked basket exists at site1");
    assert_eq!(stored.lines.len(), 1);
    assert_eq!(stored.lines[0].quantity, 2);
    let total = stored.total().expect("a total");
    let shown = format!("{}.{:02}", total.minor / 100, total.minor % 100);
    assert!(html.contains(&shown), "total {shown} on the basket page");
    assert!(html.contains(">Checkout</button>"), "a Checkout button");
    let picture = shared_checkout::db::products::find(&app.state.db, stored.lines[0].product_id)
        .await
        .unwrap()
        .and_then(|p| p.image)
        .expect("a demo product has a picture");
    assert_eq!(
        images(&html),
        [(picture, String::new())],
        "the line's picture, beside its name"
    );
    // The button's POST hands this basket to the shared checkout; the basket id alone is
    // never a link to it.
    assert!(
        !html.contains(&basket_id),
        "no checkout link naming the basket"
    );
}

async fn a_registered_customer_logs_in_and_sees_their_profile(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = "bob@example.com";
    let password = "a long enough password";
    let first = Browser::new();
    first.register(&app, "site1", email, password).await;
    let account = first.page(&app.store_url("site1", "/account")).await;
    assert!(account.contains(email), "account page after registering");

    let second = Browser::new();
    let response = second.get(&app.store_url("site1", "/account")).await;
    assert_redirect(&response);
    assert_eq!(
        location(&response),
        "/account/login",
        "a stranger must log in"
    );
    let response = second
        .storefront_login(&app, "site1", email, password)
        .await;
    assert_redirect(&response);
    assert_eq!(location(&response), "/account");
    let account = second.page(&app.store_url("site1", "/account")).await;
    assert!(account.contains(email), "email on the account page");
    assert!(account.contains("Test Shopper"), "name on the account page");
    assert!(
        account.contains("name=\"billing_city\""),
        "billing address form"
    );
}

async fn the_same_email_at_two_stores_is_two_accounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = "carol@example.com";
    let browser = Browser::new();
    browser
        .register(&app, "site1", email, "password at site one")
        .await;
    // Logged in at site1, but not at site2: the session cookie is site1's alone.
    let response = browser.get(&app.store_url("site2", "/account")).await;
    assert_redirect(&response);
    assert_eq!(
        location(&response),
        "/account/login",
        "not logged in at site2"
    );
    // The email is free at site2, with another password.
    browser
        .register(&app, "site2", email, "password at site two")
        .await;
    for (store, password, ok) in [
        ("site1", "password at site one", true),
        ("site1", "password at site two", false),
        ("site2", "password at site two", true),
        ("site2", "password at site one", false),
    ] {
        let response = Browser::new()
            .storefront_login(&app, store, email, password)
            .await;
        assert_eq!(
            response.status().is_redirection(),
            ok,
            "{store} with {password:?}: {}",
            response.status()
        );
    }
    // Alice exists at site1 only.
    let response = Browser::new()
        .storefront_login(&app, "site1", ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    assert_redirect(&response);
    let response = Browser::new()
        .storefront_login(&app, "site2", ALICE_EMAIL, ALICE_PASSWORD)
        .await;
    assert!(
        response.status().is_client_error(),
        "alice's password at site2: {}",
        response.status()
    );
    assert!(response.headers().get("location").is_none());
}

async fn registering_without_a_csrf_token_is_forbidden(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let url = app.store_url("site1", "/account/register");
    let _ = browser.page(&url).await; // the CSRF cookie is set, the token not sent
    for (case, token) in [("missing", None), ("wrong", Some("not-the-token"))] {
        let mut form = vec![
            ("email", "mallory@example.com"),
            ("name", "Mallory"),
            ("password", "a long enough password"),
        ];
        if let Some(token) = token {
            form.push(("authenticity_token", token));
        }
        let response = browser.post_form(&url, &form).await;
        assert_eq!(response.status(), 403, "{case} token");
    }
    let response = Browser::new()
        .storefront_login(
            &app,
            "site1",
            "mallory@example.com",
            "a long enough password",
        )
        .await;
    assert!(
        !response.status().is_redirection(),
        "no account was created"
    );
}

async fn a_bad_country_is_shown_next_to_its_field_and_typed_values_stay(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    browser
        .register(&app, "site1", "dave@example.com", "a long enough password")
        .await;
    let account = browser.page(&app.store_url("site1", "/account")).await;
    let token = csrf_token(&account);
    let response = browser
        .post_form(
            &app.store_url("site1", "/account/profile"),
            &[
                ("name", "Dave Typed"),
                ("phone", "+49 40 7654321"),
                ("billing_name", "Dave Typed"),
                ("billing_street", "Elbchaussee 1"),
                ("billing_postal_code", "22763"),
                ("billing_city", "Hamburg"),
                ("billing_country", "Germany"),
                ("authenticity_token", &token),
            ],
        )
        .await;
    assert!(
        response.status().is_client_error(),
        "a bad form is not saved: {}",
        response.status()
    );
    let html = response.text().await.unwrap();
    let input = tag_named(&html, "billing_country").expect("country field");
    assert!(input.contains("aria-invalid=\"true\""), "{input}");
    let described_by = attribute(input, "aria-describedby").expect("tied to its error");
    let error_id = described_by
        .split(' ')
        .find(|id| html.contains(&format!("id=\"{id}\"")) && id.contains("error"))
        .unwrap_or_else(|| panic!("no error element among {described_by}"));
    let at = html.find(&format!("id=\"{error_id}\"")).unwrap();
    let field_start = html[..at].rfind("class=\"field").expect("in a field");
    let input_at = html.find("name=\"billing_country\"").unwrap();
    assert!(
        field_start < input_at && html[field_start..input_at].contains(error_id),
        "the error sits next to the country field"
    );
    for (field, typed) in [
        ("name", "Dave Typed"),
        ("phone", "+49 40 7654321"),
        ("billing_street", "Elbchaussee 1"),
        ("billing_postal_code", "22763"),
        ("billing_city", "Hamburg"),
    ] {
        let input = tag_named(&html, field).unwrap_or_else(|| panic!("{field} field"));
        assert_eq!(
            attribute(input, "value").as_deref(),
            Some(typed),
            "{field} keeps what was typed"
        );
    }
    // The country is a select of ISO 3166 countries: "Germany" is none of them, so none is
    // selected and the browser shows the first, empty choice.
    let select = &html[input_at..];
    let select = &select[..select.find("</select>").expect("a country select")];
    assert!(select.contains("<option value=\"\">"), "{select}");
    assert!(!select.contains(" selected>"), "{select}");
    let customer = shared_checkout::db::customers::find_for_login(
        &app.state.db,
        &shared_checkout::domain::StoreId::parse("site1").unwrap(),
        &shared_checkout::domain::Email::parse("dave@example.com").unwrap(),
    )
    .await
    .unwrap();
    assert!(customer.is_some());
    let account = browser.page(&app.store_url("site1", "/account")).await;
    assert!(!account.contains("Hamburg"), "nothing was saved");
}

async fn a_basket_cookie_of_site1_is_ignored_at_site2(backend: Backend) {
    let app = spawn_app(backend).await;
    let site1 = Browser::new();
    let basket_id = site1.fill_basket(&app, "site1").await;

    let stranger = back_channel();
    let response = stranger
        .get(app.store_url("site2", "/basket"))
        .header("cookie", format!("basket={basket_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        !html.contains(&basket_id),
        "site2 does not show site1's basket"
    );
    assert!(!html.contains("/basket/checkout"), "no Checkout button");

    // Adding at site2 with that cookie (next to site2's own CSRF cookie) starts a new
    // site2 basket; site1's basket is unchanged.
    let browser = Browser::new();
    let catalog_url = app.store_url("site2", "/");
    let catalog = browser.page(&catalog_url).await;
    let product = hidden_input(&catalog, "product_id").unwrap();
    let token = csrf_token(&catalog);
    let store1 = shared_checkout::domain::StoreId::parse("site1").unwrap();
    let id = shared_checkout::domain::BasketId::parse(&basket_id).unwrap();
    let before = shared_checkout::db::baskets::find(&app.state.db, &store1, id)
        .await
        .unwrap()
        .unwrap();
    let own_cookies = {
        use reqwest::cookie::CookieStore;
        let url = url::Url::parse(&catalog_url).unwrap();
        browser
            .jar
            .cookies(&url)
            .expect("site2 set its CSRF cookie")
    };
    let response = browser
        .client
        .post(app.store_url("site2", "/basket/add"))
        .header(
            "cookie",
            format!("{}; basket={basket_id}", own_cookies.to_str().unwrap()),
        )
        .form(&[
            ("product_id", product.as_str()),
            ("quantity", "3"),
            ("authenticity_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_redirect(&response);
    let site2_basket = browser
        .checkout_basket_id(&app, "site2")
        .await
        .expect("a site2 basket");
    assert_ne!(site2_basket, basket_id, "a new basket at site2");
    let after = shared_checkout::db::baskets::find(&app.state.db, &store1, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        after.lines.len(),
        before.lines.len(),
        "site1's basket untouched"
    );
    assert_eq!(after.lines[0].quantity, before.lines[0].quantity);
    let store2 = shared_checkout::domain::StoreId::parse("site2").unwrap();
    assert!(
        shared_checkout::db::baskets::find(&app.state.db, &store2, id)
            .await
            .unwrap()
            .is_none(),
        "no site2 basket under site1's id"
    );
}

async fn adding_to_a_basket_line_caps_its_quantity_at_99(backend: Backend) {
    use shared_checkout::db;
    use shared_checkout::domain::{Currency, StoreId};
    let app = spawn_app(backend).await;
    let store = StoreId::parse("site1").unwrap();
    let product = db::products::list(&app.state.db).await.unwrap()[0].id;
    let basket = db::baskets::create(&app.state.db, &store, None, Currency::parse("EUR").unwrap())
        .await
        .unwrap();
    for (added, expected) in [(60, 60), (30, 90), (60, 99)] {
        assert!(
            db::baskets::set_line(&app.state.db, &store, basket, product, added, true)
                .await
                .unwrap()
        );
        let lines = db::baskets::find(&app.state.db, &store, basket)
            .await
            .unwrap()
            .unwrap()
            .lines;
        assert_eq!(lines[0].quantity, expected, "after adding {added}");
    }
}

/// Every `<img>` of a page: (src, alt).
fn images(html: &str) -> Vec<(String, String)> {
    html.match_indices("<img ")
        .map(|(at, _)| {
            let tag = &html[at..=at + html[at..].find('>').expect("the tag ends")];
            let src = attribute(tag, "src").unwrap_or_default();
            (src, attribute(tag, "alt").unwrap_or_default())
        })
        .collect()
}

async fn the_demo_products_have_pictures_served_by_every_host(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut names: Vec<String> = shared_checkout::db::products::list(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|p| p.price.currency.as_str() == "USD")
        .map(|p| p.name)
        .collect();
    names.sort();
    let browser = Browser::new();
    // site1 sells in dollars.
    let html = browser.page(&app.store_url("site1", "/")).await;
    let images = images(&html);
    let mut alts: Vec<String> = images.iter().map(|(_, alt)| alt.clone()).collect();
    alts.sort();
    assert_eq!(images.len(), 6, "{html}");
    assert_eq!(alts, names, "each picture is named by its product");
    for (src, alt) in &images {
        assert!(
            src.starts_with("/static/products/") && src.ends_with(".svg"),
            "{alt}: {src}"
        );
        for url in [
            app.store_url("site1", src),
            app.store_url("site2", src),
            app.checkout_url(src),
        ] {
            let response = browser.get(&url).await;
            assert_eq!(response.status(), 200, "{url}");
            let headers = response.headers().clone();
            assert_eq!(header(&headers, "content-type"), Some("image/svg+xml"));
            assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
            let cache = header(&headers, "cache-control").unwrap_or_default();
            assert!(cache.contains("max-age="), "{url}: {cache}");
            let svg = response.text().await.unwrap();
            assert!(svg.starts_with("<svg") && svg.len() < 2048, "{url}");
            // A browser that has it asks again with its ETag and gets no body.
            let etag = header(&headers, "etag").expect("an ETag").to_owned();
            let revalidated = browser
                .client
                .get(&url)
                .header("if-none-match", &etag)
                .send()
                .await
                .unwrap();
            assert_eq!(revalidated.status(), 304, "{url}");
        }
    }
    for unknown in [
        "/static/products/x.svg",
        "/static/products/..%2Fstyle.css",
        "/static/products/",
    ] {
        let response = browser.get(&app.store_url("site1", unknown)).await;
        assert_eq!(response.status(), 404, "{unknown}");
    }
}

async fn the_demo_seed_gives_pictures_to_products_an_earlier_seed_left_without(backend: Backend) {
    use shared_checkout::db;
    let app = spawn_app(backend).await;
    let image_of = |sku: &'static str| {
        let db = app.state.db.clone();
        async move {
            db::products::list(&db)
                .await
                .unwrap()
                .into_iter()
                .find(|p| p.sku == sku)
                .expect("a demo product")
                .image
        }
    };
    // As an earlier demo seeded them: no pictures; and one imported since.
    sqlx::query("UPDATE products SET image = NULL")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE products SET image = 'https://img.example/mug.png' WHERE sku = 'MUG-ENAMEL-350'",
    )
    .execute(&app.state.db.pool)
    .await
    .unwrap();
    for _ in 0..2 {
        shared_checkout::demo::seed(&app.state).await.unwrap();
        assert_eq!(
            image_of("SOCKS-WOOL").await.as_deref(),
            Some("/static/products/wool-socks.svg")
        );
        assert_eq!(
            image_of("MUG-ENAMEL-350").await.as_deref(),
            Some("https://img.example/mug.png"),
            "an image set since stays"
        );
        // Six products, in euros and in dollars.
        assert_eq!(db::products::list(&app.state.db).await.unwrap().len(), 12);
    }
}

crate::on_both_backends!(
    the_demo_products_have_pictures_served_by_every_host,
    the_demo_seed_gives_pictures_to_products_an_earlier_seed_left_without,
    adding_to_a_basket_line_caps_its_quantity_at_99,
    the_catalog_lists_every_product_with_an_add_to_basket_form,
    adding_to_the_basket_shows_the_total_and_a_checkout_button,
    a_registered_customer_logs_in_and_sees_their_profile,
    the_same_email_at_two_stores_is_two_accounts,
    registering_without_a_csrf_token_is_forbidden,
    a_bad_country_is_shown_next_to_its_field_and_typed_values_stay,
    a_basket_cookie_of_site1_is_ignored_at_site2,
);
