//! The demo: seeds a shared catalog and a customer at site1 (every node registers the
//! checkout at its own stores itself). Safe to run on every start: nothing is added twice.

use anyhow::Context;

use crate::accounts;
use crate::db;
use crate::domain::{Address, Currency, Email, Money, Password, StoreId};
use crate::state::AppState;

pub const DEMO_STORE: &str = "site1";
pub const DEMO_EMAIL: &str = "alice@example.com";
pub const DEMO_PASSWORD: &str = "correct horse battery staple";

/// (sku, name, description, price in cents, picture under /static/products/)
const PRODUCTS: [(&str, &str, &str, i64, &str); 6] = [
    (
        "MUG-ENAMEL-350",
        "Enamel camping mug",
        "A 350 ml steel mug with a speckled enamel finish. Light, tough, and happy over a campfire.",
        1490,
        "enamel-mug.svg",
    ),
    (
        "TOWEL-LINEN",
        "Linen tea towel",
        "Stonewashed European linen that dries glasses without lint and gets softer with every wash.",
        950,
        "linen-tea-towel.svg",
    ),
    (
        "CANDLE-BEESWAX-2",
        "Beeswax candle pair",
        "Two hand-dipped candles of pure beeswax with cotton wicks. About eight hours each.",
        1800,
        "beeswax-candles.svg",
    ),
    (
        "TOTE-CANVAS",
        "Canvas tote bag",
        "Heavy 12 oz organic cotton canvas with long handles and an inside pocket for keys.",
        2400,
        "canvas-tote.svg",
    ),
    (
        "POT-CERAMIC-M",
        "Ceramic plant pot",
        "A glazed stoneware pot, 14 cm across, with a drainage hole and a matching saucer.",
        2990,
        "ceramic-plant-pot.svg",
    ),
    (
        "SOCKS-WOOL",
        "Wool blend socks",
        "Merino-rich everyday socks with a reinforced heel and toe. One pair, sizes 39 to 46.",
        1250,
        "wool-socks.svg",
    ),
];

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    seed_catalog(state).await?;
    seed_customer(state).await
}

/// Every product in every currency a store sells in (site1 USD, site2 EUR), since a store
/// sells only products priced in its own currency. The euro products keep their plain
/// SKUs, which earlier demos seeded; the others get the currency after theirs.
async fn seed_catalog(state: &AppState) -> anyhow::Result<()> {
    let eur = Currency::parse("EUR")?;
    let mut currencies: Vec<Currency> = state.config.stores.iter().map(|s| s.currency).collect();
    currencies.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    currencies.dedup();
    for currency in currencies {
        for (sku, name, description, cents, picture) in PRODUCTS {
            let sku = if currency == eur {
                sku.to_owned()
            } else {
                format!("{sku}-{currency}")
            };
            let price = Money::new(cents, currency);
            db::products::insert_if_absent(&state.db, &sku, name, description, price)
                .await
                .with_context(|| format!("seeding product {sku}"))?;
            // Also for products an earlier demo seeded without a picture.
            let image = format!("/static/products/{picture}");
            db::products::set_image_if_none(&state.db, &sku, &image).await?;
        }
    }
    Ok(())
}

/// Alice exists at site1 only; at site2 the same email is free to register.
async fn seed_customer(state: &AppState) -> anyhow::Result<()> {
    let store = StoreId::parse(DEMO_STORE)?;
    if state.config.store(&store).is_none() {
        return Ok(());
    }
    let email = Email::parse(DEMO_EMAIL)?;
    if db::customers::find_for_login(&state.db, &store, &email)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let hash = accounts::hash_password(state, Password::parse(DEMO_PASSWORD.to_owned())?).await?;
    let Some(id) = db::customers::create(&state.db, &store, &email, &hash, "Alice Example").await?
    else {
        // Another node seeded her between our check and our insert.
        return Ok(());
    };
    let address = Address {
        name: "Alice Example".to_owned(),
        street: "Invalidenstraße 117".to_owned(),
        postal_code: "10115".to_owned(),
        city: "Berlin".to_owned(),
        country: "DE".to_owned(),
    };
    db::customers::update_profile(
        &state.db,
        &store,
        id,
        "Alice Example",
        Some("+49 30 1234567"),
        Some(&address),
    )
    .await
    .context("seeding the demo customer's profile")
}

pub fn print_welcome(state: &AppState, metrics_port: Option<u16>) {
    let config = &state.config;
    println!();
    println!("shared-checkout demo is running. Open a store in your browser:");
    println!();
    for store in &config.stores {
        println!(
            "  {:<24} {}",
            format!("{} ({})", store.name, store.id),
            store.base_url
        );
    }
    println!("  {:<24} {}", "Checkout", config.checkout.base_url);
    println!();
    if config.stores.iter().any(|s| s.id.as_str() == DEMO_STORE) {
        println!("Demo customer at {DEMO_STORE} (only there):");
        println!("  email:    {DEMO_EMAIL}");
        println!("  password: {DEMO_PASSWORD}");
        println!();
    }
    if let Some(port) = metrics_port {
        println!("Metrics: http://127.0.0.1:{port}/metrics");
        println!();
    }
    println!("Browsers resolve *.localhost to this machine; no hosts file needed. Ctrl-C stops.");
    println!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_catalog_is_priced_and_unique() {
        let mut skus: Vec<_> = PRODUCTS.iter().map(|p| p.0).collect();
        skus.sort_unstable();
        skus.dedup();
        assert_eq!(skus.len(), PRODUCTS.len());
        assert!(PRODUCTS.iter().all(|p| p.3 > 0));
    }
}
