//! The shared catalog from the command line: `products import` and `products list`, and the
//! line `serve` logs when there is nothing to sell (only the demo seeds products).

mod product_file;

use std::path::Path;

use crate::config::Settings;
use crate::db::products::Upserted;
use crate::db::{self, Db};

/// `products import FILE`: prints each product added or updated, then the counts.
pub async fn import(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    // A bad file is refused before the database is touched.
    let products = product_file::read(file)?;
    let db = connect(settings).await?;
    let outcomes = db::products::upsert_all(&db, &products).await?;
    let (mut added, mut updated, mut unchanged) = (0, 0, 0);
    for (product, outcome) in products.iter().zip(outcomes) {
        let verb = match outcome {
            Upserted::Added => {
                added += 1;
                "added"
            }
            Upserted::Updated => {
                updated += 1;
                "updated"
            }
            Upserted::Unchanged => {
                unchanged += 1;
                continue;
            }
        };
        println!(
            "{verb}  {}  {}  {}",
            product.sku, product.price, product.name
        );
    }
    println!("{added} added, {updated} updated, {unchanged} unchanged");
    Ok(())
}

/// `products list`: one product a line, by name.
pub async fn list(settings: &Settings) -> anyhow::Result<()> {
    let db = connect(settings).await?;
    for product in db::products::list(&db).await? {
        println!("{}  {}  {}", product.sku, product.price, product.name);
    }
    Ok(())
}

async fn connect(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database_url, settings.database_pool_size).await?;
    db.migrate().await?;
    Ok(db)
}

/// Tells the operator of a new deployment how to fill its empty catalog.
pub async fn notice_if_empty(db: &Db) -> anyhow::Result<()> {
    if db::products::is_empty(db).await? {
        tracing::warn!(
            "the catalog is empty: add products with `shared-checkout products import FILE`"
        );
    }
    Ok(())
}
