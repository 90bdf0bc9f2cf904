//! What a shopper does at a store's own pages: register, log in, fill a basket and press
//! its Checkout button, which hands the basket to the checkout with a one-time ticket.

use reqwest::Response;
use shared_checkout::domain::{BasketId, StoreId};

use super::app::TestApp;
use super::browser::{Browser, absolute, assert_redirect, location};
use super::html::{csrf_token, hidden_input};

impl Browser {
    /// Registers an account at `store` through its storefront; the browser is then logged in.
    pub async fn register(&self, app: &TestApp, store: &str, email: &str, password: &str) {
        let url = app.store_url(store, "/account/register");
        let token = csrf_token(&self.page(&url).await);
        let response = self
            .post_form(
                &url,
                &[
                    ("email", email),
                    ("name", "Test Shopper"),
                    ("password", password),
                    ("authenticity_token", &token),
                ],
            )
            .await;
        assert_redirect(&response);
        assert_eq!(location(&response), "/account", "registration at {store}");
    }

    /// Logs in through the storefront's own login form; returns the answer to the POST.
    pub async fn storefront_login(
        &self,
        app: &TestApp,
        store: &str,
        email: &str,
        password: &str,
    ) -> Response {
        let url = app.store_url(store, "/account/login");
        let token = csrf_token(&self.page(&url).await);
        self.post_form(
            &url,
            &[
                ("email", email),
                ("password", password),
                ("authenticity_token", &token),
            ],
        )
        .await
    }

    /// Puts `quantity` of the catalog's first product in this browser's basket at `store`.
    pub async fn add_first_product(&self, app: &TestApp, store: &str, quantity: u32) {
        let catalog = self.page(&app.store_url(store, "/")).await;
        let product = hidden_input(&catalog, "product_id").expect("catalog lists a product");
        let token = csrf_token(&catalog);
        let response = self
            .post_form(
                &app.store_url(store, "/basket/add"),
                &[
                    ("product_id", &product),
                    ("quantity", &quantity.to_string()),
                    ("authenticity_token", &token),
                ],
            )
            .await;
        assert_redirect(&response);
    }

    /// Adds the catalog's first product to the basket at `store` and hands the basket to
    /// the checkout in this browser (the store's Checkout button); returns the basket id.
    pub async fn fill_basket(&self, app: &TestApp, store: &str) -> String {
        self.add_first_product(app, store, 1).await;
        let checkout = self.open_checkout(app, store).await;
        checkout.rsplit('/').next().unwrap_or_default().to_owned()
    }

    /// Presses the Checkout button of the basket page at `store` and returns where the
    /// store sends the browser (`{checkout}/{store}/{basket}?ticket=…`), without going
    /// there; `None` when the basket page has no Checkout button.
    pub async fn checkout_ticket_url(&self, app: &TestApp, store: &str) -> Option<String> {
        let html = self.page(&app.store_url(store, "/basket")).await;
        if !html.contains("action=\"/basket/checkout\"") {
            return None;
        }
        let response = self
            .post_form(
                &app.store_url(store, "/basket/checkout"),
                &[("authenticity_token", &csrf_token(&html))],
            )
            .await;
        assert_redirect(&response);
        let url = location(&response);
        assert!(
            url.starts_with(&app.checkout_url(&format!("/{store}/"))) && url.contains("?ticket="),
            "{url}"
        );
        Some(url)
    }

    /// Presses the Checkout button at `store` and follows the handoff: the checkout
    /// redeems the ticket and sends the browser to the clean checkout URL, returned here.
    pub async fn open_checkout(&self, app: &TestApp, store: &str) -> String {
        let ticket_url = self
            .checkout_ticket_url(app, store)
            .await
            .expect("the basket page has a Checkout button");
        let response = self.get(&ticket_url).await;
        assert_redirect(&response);
        let clean = absolute(&ticket_url, &location(&response));
        assert_eq!(
            clean,
            ticket_url.split('?').next().unwrap_or_default(),
            "the handoff lands on the clean checkout URL"
        );
        clean
    }

    /// Hands `basket` (made directly in the database) to the checkout in this browser as
    /// the store's Checkout button would: a ticket issued by the store's code, redeemed
    /// over HTTP. Returns the clean checkout URL.
    pub async fn hand_over(&self, app: &TestApp, store: &str, basket: BasketId) -> String {
        let ticket = shared_checkout::db::checkout_tickets::issue(
            &app.state.db,
            &StoreId::parse(store).unwrap(),
            basket,
            60,
        )
        .await
        .expect("issue a checkout ticket");
        let clean = app.checkout_url(&format!("/{store}/{basket}"));
        let response = self
            .get(&format!("{clean}?ticket={}", ticket.secret()))
            .await;
        assert_redirect(&response);
        assert_eq!(location(&response), format!("/{store}/{basket}"));
        clean
    }

    /// The id of the basket the Checkout button of `store` hands over (the ticket is not
    /// redeemed); `None` when there is no button.
    pub async fn checkout_basket_id(&self, app: &TestApp, store: &str) -> Option<String> {
        let url = self.checkout_ticket_url(app, store).await?;
        let path = url.split('?').next()?;
        Some(path.rsplit('/').next()?.to_owned())
    }
}
