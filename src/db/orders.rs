//! Orders: created once per basket by the place-order process, read by the store's
//! account pages and the checkout's success page.

use std::sync::LazyLock;

use anyhow::Context;
use sqlx::AnyConnection;

use super::{Bind, Db, now, placeholders};
use crate::domain::{
    Address, BasketId, Currency, CustomerId, Email, Money, OrderId, PaymentId, ProductId, StoreId,
};

#[derive(Debug, Clone)]
pub struct OrderSummary {
    pub id: OrderId,
    pub number: String,
    pub total: Money,
    pub payment_method: String,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: String,
    number: String,
    total_minor: i64,
    currency: String,
    payment_method: String,
    created_at: i64,
}

pub async fn list_for_customer(
    db: &Db,
    store: &StoreId,
    customer: CustomerId,
) -> anyhow::Result<Vec<OrderSummary>> {
    sqlx::query_as::<_, SummaryRow>(
        "SELECT id, number, total_minor, currency, payment_method, created_at FROM orders
         WHERE store_id = $1 AND customer_id = $2 ORDER BY created_at DESC, number DESC",
    )
    .bind(store.as_str())
    .bind(customer.to_string())
    .fetch_all(&db.pool)
    .await
    .context("listing a customer's orders")?
    .into_iter()
    .map(|row| {
        Ok(OrderSummary {
            id: OrderId::parse(&row.id)?,
            number: row.number,
            total: Money::new(row.total_minor, Currency::parse(&row.currency)?),
            payment_method: row.payment_method,
            created_at: row.created_at,
        })
    })
    .collect()
}

/// A line of a new order, priced as the shopper saw it when the basket was validated.
/// Serialized as the `order.placed` event reports it and the one-statement order binds it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NewOrderLine {
    pub product_id: ProductId,
    pub name: String,
    pub quantity: i64,
    pub unit_price_minor: i64,
}

/// Everything an order records. `customer_id` only for a customer of this store (our own
/// provider); a third-party provider's customer is kept as (issuer, subject).
#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    pub basket_id: BasketId,
    pub customer_id: Option<CustomerId>,
    pub customer_issuer: Option<&'a str>,
    pub customer_subject: Option<&'a str>,
    pub email: &'a Email,
    pub billing: &'a Address,
    pub phone: Option<&'a str>,
    pub delivery: Option<&'a Address>,
    pub delivery_method: &'a str,
    pub payment_gateway: &'a str,
    /// The method's title, as the account page shows it.
    pub payment_method: &'a str,
    pub payment_id: Option<PaymentId>,
    pub total: Money,
    pub lines: &'a [NewOrderLine],
}

/// The basket's order, whether this call created it or found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedOrder {
    pub id: OrderId,
    pub number: String,
    pub created: bool,
}

/// The columns of a new order, in the order [`bind_new`] binds them.
pub(super) const NEW_COLUMNS: &str = "id, store_id, basket_id, customer_id, number, email, \
     billing_address, delivery_address, delivery_method, payment_method, total_minor, currency, \
     created_at, customer_issuer, customer_subject, payment_gateway, payment_id, phone";

/// Binds a new order's [`NEW_COLUMNS`], next in the statement's numbering.
pub(super) fn bind_new<'q, Q: Bind<'q>>(
    query: Q,
    id: OrderId,
    number: String,
    store: &StoreId,
    order: &NewOrder<'_>,
) -> anyhow::Result<Q> {
    let billing = serde_json::to_string(order.billing)?;
    let delivery = order.delivery.map(serde_json::to_string).transpose()?;
    Ok(query
        .bind_value(id.to_string())
        .bind_value(store.as_str().to_owned())
        .bind_value(order.basket_id.to_string())
        .bind_value(order.customer_id.map(|c| c.to_string()))
        .bind_value(number)
        .bind_value(order.email.as_str().to_owned())
        .bind_value(billing)
        .bind_value(delivery)
        .bind_value(order.delivery_method.to_owned())
        .bind_value(order.payment_method.to_owned())
        .bind_value(order.total.minor)
        .bind_value(order.total.currency.as_str().to_owned())
        .bind_value(now())
        .bind_value(order.customer_issuer.map(str::to_owned))
        .bind_value(order.customer_subject.map(str::to_owned))
        .bind_value(order.payment_gateway.to_owned())
        .bind_value(order.payment_id.map(|p| p.to_string()))
        .bind_value(order.phone.map(str::to_owned)))
}

/// Creates the basket's order, or returns the one that exists: `UNIQUE (store_id,
/// basket_id)` decides, so retries, double clicks and racing nodes all get the same order.
/// Runs inside the caller's transaction.
pub async fn create_once(
    conn: &mut AnyConnection,
    store: &StoreId,
    order: &NewOrder<'_>,
) -> anyhow::Result<PlacedOrder> {
    static INSERT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "INSERT INTO orders ({NEW_COLUMNS}) VALUES ({}) ON CONFLICT DO NOTHING RETURNING number",
            placeholders(1, NEW_COLUMNS)
        )
    });
    // A clash on the random number (not on the basket) inserts nothing and finds nothing:
    // draw another number. 40 random bits make a second clash vanishingly rare.
    for _ in 0..5 {
        let id = OrderId::new_random();
        let query = sqlx::query_as(INSERT.as_str());
        let inserted: Option<(String,)> = bind_new(query, id, order_number(store), store, order)?
            .fetch_optional(&mut *conn)
            .await
            .context("inserting an order")?;
        if let Some((number,)) = inserted {
            insert_lines(conn, id, order.lines).await?;
            return Ok(PlacedOrder {
                id,
                number,
                created: true,
            });
        }
        let existing: Option<(String, String)> =
            sqlx::query_as("SELECT id, number FROM orders WHERE store_id = $1 AND basket_id = $2")
                .bind(store.as_str())
                .bind(order.basket_id.to_string())
                .fetch_optional(&mut *conn)
                .await
                .context("reading the basket's order")?;
        if let Some((existing, number)) = existing {
            return Ok(PlacedOrder {
                id: OrderId::parse(&existing)?,
                number,
                created: false,
            });
        }
    }
    anyhow::bail!("could not draw a free order number")
}

/// The order's lines, in one statement.
async fn insert_lines(
    conn: &mut AnyConnection,
    order: OrderId,
    lines: &[NewOrderLine],
) -> anyhow::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let rows: Vec<String> = (0..lines.len())
        .map(|i| {
            let n = i * 5;
            format!(
                "(${}, ${}, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO order_lines (order_id, product_id, name, quantity, unit_price_minor)
         VALUES {}",
        rows.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for line in lines {
        query = query
            .bind(order.to_string())
            .bind(line.product_id.to_string())
            .bind(&line.name)
            .bind(line.quantity)
            .bind(line.unit_price_minor);
    }
    query
        .execute(&mut *conn)
        .await
        .context("inserting the order's lines")?;
    Ok(())
}

/// `SITE1-7KQ2M9XH`: the store's slug (up to 6 letters and digits) and 8 random Crockford
/// base32 characters (40 bits). Short enough to read on the phone, and not a counter, so
/// it tells nobody how many orders a store takes or what the next number is.
pub fn order_number(store: &StoreId) -> String {
    use rand::Rng;
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let prefix: String = store
        .as_str()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(6)
        .collect::<String>()
        .to_ascii_uppercase();
    let mut rng = rand::rngs::OsRng;
    let random: String = (0..8)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("{prefix}-{random}")
}

/// An order as the checkout's success page and the reconciler read it.
#[derive(Debug, Clone)]
pub struct Order {
    pub id: OrderId,
    pub basket_id: BasketId,
    pub number: String,
    pub customer_id: Option<CustomerId>,
    pub customer_issuer: Option<String>,
    pub customer_subject: Option<String>,
    pub email: String,
    pub delivery_method: String,
    pub payment_gateway: Option<String>,
    pub payment_method: String,
    pub payment_id: Option<PaymentId>,
    pub total: Money,
    pub created_at: i64,
    pub lines: Vec<NewOrderLine>,
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: String,
    basket_id: String,
    number: String,
    customer_id: Option<String>,
    customer_issuer: Option<String>,
    customer_subject: Option<String>,
    email: String,
    delivery_method: String,
    payment_gateway: Option<String>,
    payment_method: String,
    payment_id: Option<String>,
    total_minor: i64,
    currency: String,
    created_at: i64,
}

/// The basket's order, with its lines.
pub async fn find_for_basket(
    db: &Db,
    store: &StoreId,
    basket: BasketId,
) -> anyhow::Result<Option<Order>> {
    let row: Option<OrderRow> = sqlx::query_as(
        "SELECT id, basket_id, number, customer_id, customer_issuer, customer_subject, email,
                delivery_method, payment_gateway, payment_method, payment_id, total_minor,
                currency, created_at
         FROM orders WHERE store_id = $1 AND basket_id = $2",
    )
    .bind(store.as_str())
    .bind(basket.to_string())
    .fetch_optional(&db.pool)
    .await
    .context("finding a basket's order")?;
    let Some(row) = row else { return Ok(None) };
    let lines: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT l.product_id, l.name, l.quantity, l.unit_price_minor
         FROM order_lines l JOIN orders o ON o.id = l.order_id
         WHERE o.store_id = $1 AND l.order_id = $2 ORDER BY l.name",
    )
    .bind(store.as_str())
    .bind(&row.id)
    .fetch_all(&db.pool)
    .await
    .context("loading order lines")?;
    Ok(Some(Order {
        id: OrderId::parse(&row.id)?,
        basket_id: BasketId::parse(&row.basket_id)?,
        number: row.number,
        customer_id: row
            .customer_id
            .as_deref()
            .map(CustomerId::parse)
            .transpose()?,
        customer_issuer: row.customer_issuer,
        customer_subject: row.customer_subject,
        email: row.email,
        delivery_method: row.delivery_method,
        payment_gateway: row.payment_gateway,
        payment_method: row.payment_method,
        payment_id: row
            .payment_id
            .as_deref()
            .map(PaymentId::parse)
            .transpose()?,
        total: Money::new(row.total_minor, Currency::parse(&row.currency)?),
        created_at: row.created_at,
        lines: lines
            .into_iter()
            .map(|(product_id, name, quantity, unit_price_minor)| {
                Ok(NewOrderLine {
                    product_id: ProductId::parse(&product_id)?,
                    name,
                    quantity,
                    unit_price_minor,
                })
            })
            .collect::<anyhow::Result<_>>()?,
    }))
}
