use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

use super::DomainError;

/// Random (v4) UUID identifiers: they appear in URLs, so they must not be guessable.
macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident, $field:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Uuid);

        impl $name {
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }

            pub fn parse(value: &str) -> Result<Self, DomainError> {
                Uuid::try_parse(value)
                    .map(Self)
                    .map_err(|_| DomainError::new($field, "is not a valid id"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = DomainError;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Self::parse(value)
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.to_string()
            }
        }
    };
}

uuid_id!(
    /// A basket, owned by exactly one store.
    BasketId,
    "basket_id"
);
uuid_id!(
    /// A customer account at one store; the same email at another store is another id.
    CustomerId,
    "customer_id"
);
uuid_id!(
    /// A placed order.
    OrderId,
    "order_id"
);
uuid_id!(
    /// A product of the shared catalog.
    ProductId,
    "product_id"
);
uuid_id!(
    /// A payment; appears in the hosted payment page's URL, so it must not be guessable.
    PaymentId,
    "payment_id"
);
uuid_id!(
    /// A place-order process (one per basket).
    ProcessId,
    "process_id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let id = BasketId::new_random();
        assert_eq!(BasketId::parse(&id.to_string()), Ok(id));
        for bad in ["", "1", "not-a-uuid", "../etc/passwd"] {
            assert!(BasketId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
