use super::{BasketId, CustomerId, Money, ProductId, StoreId};

/// Where a basket is in its life. Only `Open` baskets can change or be bound to a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasketStatus {
    Open,
    /// A place-order process runs for it; reopened if that process fails.
    Frozen,
    Ordered,
}

impl BasketStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Frozen => "frozen",
            Self::Ordered => "ordered",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "open" => Some(Self::Open),
            "frozen" => Some(Self::Frozen),
            "ordered" => Some(Self::Ordered),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct BasketLine {
    pub product_id: ProductId,
    pub name: String,
    pub quantity: i64,
    pub unit_price: Money,
    /// The product's picture: an https URL or a path under /static/.
    pub image: Option<String>,
}

impl BasketLine {
    pub fn total(&self) -> Option<Money> {
        self.unit_price.checked_mul(self.quantity)
    }
}

#[derive(Debug, Clone)]
pub struct Basket {
    pub id: BasketId,
    pub store_id: StoreId,
    pub customer_id: Option<CustomerId>,
    pub status: BasketStatus,
    /// Grows with every change to the lines or the owner (db::baskets).
    pub version: i64,
    pub lines: Vec<BasketLine>,
}

impl Basket {
    /// `None` when the basket is empty or its lines cannot be summed.
    pub fn total(&self) -> Option<Money> {
        let mut lines = self.lines.iter();
        let first = lines.next()?.total()?;
        lines.try_fold(first, |sum, line| sum.checked_add(line.total()?))
    }

    pub fn item_count(&self) -> i64 {
        self.lines.iter().map(|l| l.quantity).sum()
    }
}
