//! Delivery methods and their prices. Prices are minor units of the store's currency, so a
//! total is an integer sum; the checkout shows and the place-order process charges the
//! same table.

use serde::{Deserialize, Serialize};

use super::{Currency, Money};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMethod {
    Standard,
    Express,
}

impl DeliveryMethod {
    pub const ALL: [DeliveryMethod; 2] = [Self::Standard, Self::Express];

    pub fn code(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Express => "express",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Standard => "Standard delivery",
            Self::Express => "Express delivery",
        }
    }

    pub fn promise(self) -> &'static str {
        match self {
            Self::Standard => "2–4 working days",
            Self::Express => "Next working day when ordered before 2 pm",
        }
    }

    pub fn price(self, currency: Currency) -> Money {
        let minor = match self {
            Self::Standard => 490,
            Self::Express => 990,
        };
        Money::new(minor, currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_codes_round_trip_and_unknown_codes_are_refused() {
        for method in DeliveryMethod::ALL {
            assert_eq!(DeliveryMethod::parse(method.code()), Some(method));
        }
        for bad in ["", "Standard", "drone", "standard "] {
            assert_eq!(DeliveryMethod::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn express_costs_more_than_standard() {
        let eur = Currency::parse("EUR").unwrap();
        assert!(
            DeliveryMethod::Express.price(eur).minor > DeliveryMethod::Standard.price(eur).minor
        );
    }
}
