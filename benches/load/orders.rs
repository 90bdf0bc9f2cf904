//! A guest order with offline payment through the JSON API, as a headless storefront's
//! server places it. The baskets are filled through the storefront beforehand (not timed).

use std::time::Duration;

use anyhow::{Context, bail, ensure};
use reqwest::header::LOCATION;
use serde_json::{Value, json};

use crate::oidc::{back_channel, browser, unescape};

/// Fills a basket at `store` the way a shopper does (catalog, add, the Checkout button)
/// and returns its id, as the store hands it to the checkout.
pub async fn fill_basket(store_url: &str) -> anyhow::Result<String> {
    let shopper = browser();
    let catalog = shopper
        .get(format!("{store_url}/"))
        .send()
        .await?
        .text()
        .await?;
    let product = hidden(&catalog, "product_id").context("a product in the catalog")?;
    let token = hidden(&catalog, "authenticity_token").context("a CSRF token")?;
    let added = shopper
        .post(format!("{store_url}/basket/add"))
        .form(&[
            ("product_id", product.as_str()),
            ("quantity", "2"),
            ("authenticity_token", token.as_str()),
        ])
        .send()
        .await?;
    ensure!(
        added.status().is_redirection(),
        "basket/add: {}",
        added.status()
    );
    let basket = shopper
        .get(format!("{store_url}/basket"))
        .send()
        .await?
        .text()
        .await?;
    let token = hidden(&basket, "authenticity_token").context("a CSRF token on the basket")?;
    let checkout = shopper
        .post(format!("{store_url}/basket/checkout"))
        .form(&[("authenticity_token", token.as_str())])
        .send()
        .await?;
    let location = checkout
        .headers()
        .get(LOCATION)
        .context("the Checkout button redirects")?
        .to_str()?;
    let path = location.split('?').next().unwrap_or_default();
    Ok(path.rsplit('/').next().unwrap_or_default().to_owned())
}

/// The storefront's server, placing orders with its API key.
pub struct Storefront {
    http: reqwest::Client,
    checkout_url: String,
    store: String,
    key: String,
}

impl Storefront {
    pub fn new(checkout_url: &str, store: &str, key: &str) -> Self {
        Self {
            http: back_channel(),
            checkout_url: checkout_url.to_owned(),
            store: store.to_owned(),
            key: key.to_owned(),
        }
    }

    /// Places the order for `basket` and returns its number and whether the API answered
    /// before the order was placed (then it is polled until it is).
    pub async fn place_order(&self, basket: &str) -> anyhow::Result<(String, bool)> {
        let url = format!(
            "{}/api/v1/{}/{basket}/place-order",
            self.checkout_url, self.store
        );
        let mut view = self.call(self.http.post(&url).json(&guest())).await?;
        let mut polled = false;
        for _ in 0..200 {
            match view["state"].as_str() {
                Some("success") => {
                    let number = view["order_number"].as_str().context("order number")?;
                    return Ok((number.to_owned(), polled));
                }
                Some("failed") => bail!("order failed: {view}"),
                _ => {
                    polled = true;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    view = self.call(self.http.get(&url)).await?;
                }
            }
        }
        bail!("order still not placed after 200 polls: {view}")
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let response = request.bearer_auth(&self.key).send().await?;
        let status = response.status();
        let body: Value = response.json().await.context("API answer")?;
        ensure!(status.is_success(), "place-order API: {status} {body}");
        Ok(body)
    }
}

/// A guest's details, offline payment.
fn guest() -> Value {
    json!({
        "email": "bench@example.org",
        "billing": {
            "name": "Bea Bench",
            "street": "1 Loopback Lane",
            "postal_code": "10115",
            "city": "Berlin",
            "country": "DE"
        },
        "delivery_method": "standard",
        "payment": { "gateway": "offline", "method": "cash_on_delivery" },
        "privacy_policy_accepted": true
    })
}

/// The `value` of the first `<input … name="{name}" … value="…">`.
fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..at + html[at..].find('>')?];
    let value = tag.find("value=\"")? + "value=\"".len();
    let raw = &tag[value..value + tag[value..].find('"')?];
    Some(unescape(raw))
}
