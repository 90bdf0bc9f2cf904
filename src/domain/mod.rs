//! Pure domain types: they parse once and cannot hold an invalid value.

mod address;
mod basket;
mod colour;
mod customer;
mod delivery;
mod id_token_alg;
mod identity;
mod ids;
mod locale;
mod money;
pub mod payment;
mod phone;
pub mod placeorder;
mod signing_alg;
mod store;

pub use address::{Address, AddressInput, PostalAddress};
pub use basket::{Basket, BasketLine, BasketStatus};
pub use colour::{AA_TEXT_CONTRAST, Colour};
pub use customer::{Customer, Email, Password};
pub use delivery::DeliveryMethod;
pub use id_token_alg::IdTokenAlg;
pub use identity::{BACKCHANNEL_LOGOUT_EVENT, VerifiedIdentity};
pub use ids::{BasketId, CustomerId, OrderId, PaymentId, ProcessId, ProductId};
pub use locale::{Country, Locale};
pub use money::{Currency, Money};
pub use phone::PhoneNumber;
pub use signing_alg::SigningAlg;
pub use store::StoreId;

/// Why a value from outside (a form, a URL, a row) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct DomainError {
    pub field: &'static str,
    pub reason: &'static str,
}

impl DomainError {
    pub const fn new(field: &'static str, reason: &'static str) -> Self {
        Self { field, reason }
    }
}

/// Trims and bounds a free-text field; control characters are never stored.
pub(crate) fn bounded_text(
    field: &'static str,
    value: &str,
    max_chars: usize,
) -> Result<String, DomainError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(DomainError::new(field, "is required"));
    }
    if value.chars().count() > max_chars {
        return Err(DomainError::new(field, "is too long"));
    }
    if value.chars().any(char::is_control) {
        return Err(DomainError::new(field, "contains control characters"));
    }
    Ok(value.to_owned())
}
