//! The process's states, failure reasons and the request it carries.

use serde::{Deserialize, Serialize};

use super::{Address, CustomerId, Email, Money, PhoneNumber};
use crate::secrets::SecretHash;

/// The states after Flamingo's place-order state machine, plus `rolling_back`, which
/// persists a decided failure while its rollbacks (cancel payment, reopen basket) run, so
/// a crash mid-rollback resumes the rollback instead of re-deciding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessState {
    New,
    PrepareBasket,
    ValidateBasket,
    ValidatePaymentSelection,
    CreatePayment,
    /// The shopper must act at the gateway (the view carries the `FlowAction`).
    WaitForCustomer,
    ValidatePayment,
    PlaceOrder,
    RollingBack,
    Success,
    Failed,
}

impl ProcessState {
    pub const ALL: [ProcessState; 11] = [
        Self::New,
        Self::PrepareBasket,
        Self::ValidateBasket,
        Self::ValidatePaymentSelection,
        Self::CreatePayment,
        Self::WaitForCustomer,
        Self::ValidatePayment,
        Self::PlaceOrder,
        Self::RollingBack,
        Self::Success,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::PrepareBasket => "prepare_basket",
            Self::ValidateBasket => "validate_basket",
            Self::ValidatePaymentSelection => "validate_payment_selection",
            Self::CreatePayment => "create_payment",
            Self::WaitForCustomer => "wait_for_customer",
            Self::ValidatePayment => "validate_payment",
            Self::PlaceOrder => "place_order",
            Self::RollingBack => "rolling_back",
            Self::Success => "success",
            Self::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Success | Self::Failed)
    }

    /// A cancel request still stops the process here; from `place_order` on it is too late.
    pub fn is_cancellable(self) -> bool {
        !matches!(
            self,
            Self::PlaceOrder | Self::RollingBack | Self::Success | Self::Failed
        )
    }

    /// States a worker runs as soon as they are due. `wait_for_customer` waits for the
    /// shopper (refresh) or the reconciler; the final states have nothing left to do.
    pub fn is_active(self) -> bool {
        !matches!(self, Self::WaitForCustomer | Self::Success | Self::Failed)
    }
}

/// Why a process failed; the checkout decides what to show from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// Empty, gone, already ordered, wrong currency, or another customer's.
    BasketInvalid,
    /// The gateway or method is not offered at this store.
    PaymentSelectionInvalid,
    PaymentDeclined,
    /// The shopper abandoned the payment, or never came back in time.
    PaymentAborted,
    /// The gateway reported the payment cancelled.
    PaymentCancelled,
    /// The gateway could not be reached after several tries.
    PaymentError,
    /// The checkout (the shopper) cancelled the process.
    Cancelled,
    /// Something of ours kept failing; logged.
    Internal,
}

impl FailureReason {
    pub const ALL: [FailureReason; 8] = [
        Self::BasketInvalid,
        Self::PaymentSelectionInvalid,
        Self::PaymentDeclined,
        Self::PaymentAborted,
        Self::PaymentCancelled,
        Self::PaymentError,
        Self::Cancelled,
        Self::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BasketInvalid => "basket_invalid",
            Self::PaymentSelectionInvalid => "payment_selection_invalid",
            Self::PaymentDeclined => "payment_declined",
            Self::PaymentAborted => "payment_aborted",
            Self::PaymentCancelled => "payment_cancelled",
            Self::PaymentError => "payment_error",
            Self::Cancelled => "cancelled",
            Self::Internal => "internal",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Flamingo's "payment error": the shopper may pick another payment and try again.
    pub fn is_payment_problem(self) -> bool {
        matches!(
            self,
            Self::PaymentDeclined
                | Self::PaymentAborted
                | Self::PaymentCancelled
                | Self::PaymentError
        )
    }
}

/// A failure with words a shopper may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub reason: FailureReason,
    pub message: String,
}

/// Who places the order: the identity the checkout verified at the store's provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRef {
    /// The provider's issuer identifier.
    pub issuer: String,
    /// The provider's `sub`.
    pub subject: String,
    /// Set when the provider is this deployment's own provider for the store, where
    /// `sub` is the customer id; the order then appears in the customer's account.
    pub customer_id: Option<CustomerId>,
}

/// The gateway and method the shopper chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentSelection {
    pub gateway: String,
    pub method: String,
}

/// Who started a place-order attempt; only they may follow, read or stop it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Starter {
    /// A browser, by its checkout session's row key (a SHA-256 of its session token with
    /// the store and basket).
    Browser { session_hash: SecretHash },
    /// A headless storefront, by the id of its API key.
    ApiKey { key_id: String },
}

impl Starter {
    /// Whether `caller` is who started the attempt (hashes and ids, not secrets, so a
    /// plain comparison is enough).
    pub fn is(&self, caller: Option<&Starter>) -> bool {
        caller == Some(self)
    }
}

/// What the checkout hands over when the shopper places the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceOrderRequest {
    pub starter: Starter,
    /// `None` for a guest.
    pub customer: Option<CustomerRef>,
    #[serde(with = "email_text")]
    pub email: Email,
    pub billing: Address,
    /// From the personal-data form, when the store asks for it.
    #[serde(default)]
    pub phone: Option<PhoneNumber>,
    /// `None`: deliver to the billing address.
    pub delivery: Option<Address>,
    pub delivery_method: String,
    pub payment: PaymentSelection,
    /// The checkout's payment step (`{checkout}/{store}/{basket}/payment`), where a hosted
    /// payment page returns the shopper. Must be on the checkout's origin.
    pub return_url: String,
}

impl PlaceOrderRequest {
    /// SHA-256 of the canonical form of what this attempt was started with: the details,
    /// the total they come to (none for an empty basket) and who started it. A repeated start is the same attempt
    /// only when it matches, as with an idempotency key that is reused for another
    /// request (draft-ietf-httpapi-idempotency-key-header §2.6: refused, never merged).
    pub fn fingerprint(&self, total: Option<Money>) -> String {
        #[derive(Serialize)]
        struct Canonical<'a> {
            version: u8,
            starter: &'a Starter,
            customer: Option<(&'a str, &'a str)>,
            email: &'a str,
            billing: &'a Address,
            phone: Option<&'a str>,
            delivery: Option<&'a Address>,
            delivery_method: &'a str,
            payment: (&'a str, &'a str),
            total: Option<(i64, &'a str)>,
        }
        // Struct fields serialize in declaration order, so the JSON text is canonical.
        let canonical = Canonical {
            version: 1,
            starter: &self.starter,
            customer: self
                .customer
                .as_ref()
                .map(|c| (c.issuer.as_str(), c.subject.as_str())),
            email: self.email.as_str(),
            billing: &self.billing,
            phone: self.phone.as_ref().map(PhoneNumber::as_str),
            delivery: self.delivery.as_ref(),
            delivery_method: &self.delivery_method,
            payment: (&self.payment.gateway, &self.payment.method),
            total: total.as_ref().map(|t| (t.minor, t.currency.as_str())),
        };
        let json = serde_json::to_string(&canonical).expect("plain data always serializes");
        crate::secrets::sha256_hex(&json)
    }
}

mod email_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::domain::Email;

    pub fn serialize<S: Serializer>(email: &Email, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(email.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Email, D::Error> {
        let text = String::deserialize(deserializer)?;
        Email::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_and_reason_names_round_trip_through_serde() {
        for state in ProcessState::ALL {
            assert_eq!(ProcessState::parse(state.as_str()), Some(state));
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
        for reason in FailureReason::ALL {
            assert_eq!(FailureReason::parse(reason.as_str()), Some(reason));
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(json, format!("\"{}\"", reason.as_str()));
        }
    }

    fn request() -> PlaceOrderRequest {
        PlaceOrderRequest {
            starter: Starter::Browser {
                session_hash: SecretHash::of("a browser's session token"),
            },
            customer: None,
            email: Email::parse("shopper@example.org").unwrap(),
            billing: Address {
                name: "Shopper".into(),
                street: "1 Road".into(),
                postal_code: "10115".into(),
                city: "Berlin".into(),
                country: "DE".into(),
            },
            phone: None,
            delivery: None,
            delivery_method: "standard".into(),
            payment: PaymentSelection {
                gateway: "offline".into(),
                method: "cash_on_delivery".into(),
            },
            return_url: "http://checkout.localhost/site1/x/payment".into(),
        }
    }

    #[test]
    fn the_fingerprint_changes_with_every_detail_the_total_and_the_starter() {
        let eur = crate::domain::Currency::parse("EUR").unwrap();
        let total = Some(Money::new(2990, eur));
        let base = request().fingerprint(total);
        assert_eq!(base, request().fingerprint(total), "stable");
        assert_eq!(base.len(), 64);
        let mut changes: Vec<PlaceOrderRequest> = Vec::new();
        let mut other = request();
        other.starter = Starter::ApiKey {
            key_id: "a".repeat(64),
        };
        changes.push(other);
        let mut other = request();
        other.email = Email::parse("mallory@evil.example").unwrap();
        changes.push(other);
        let mut other = request();
        other.billing.street = "1 Drop Street".into();
        changes.push(other);
        let mut other = request();
        other.delivery = Some(other.billing.clone());
        changes.push(other);
        let mut other = request();
        other.delivery_method = "express".into();
        changes.push(other);
        let mut other = request();
        other.payment.method = "cash_in_advance".into();
        changes.push(other);
        let mut other = request();
        other.phone = Some(PhoneNumber::parse("+49 30 1234").unwrap());
        changes.push(other);
        for changed in &changes {
            assert_ne!(changed.fingerprint(total), base, "{changed:?}");
        }
        assert_ne!(request().fingerprint(Some(Money::new(4090, eur))), base);
        assert_ne!(request().fingerprint(None), base);
    }

    #[test]
    fn a_request_with_a_bad_email_does_not_deserialize() {
        let json = serde_json::json!({
            "starter": {"kind": "api_key", "key_id": "k"},
            "customer": null, "email": "not-an-email",
            "billing": {"name": "A", "street": "S", "postal_code": "1", "city": "C", "country": "DE"},
            "delivery": null, "delivery_method": "standard",
            "payment": {"gateway": "offline", "method": "cash_on_delivery"},
            "return_url": "http://checkout.localhost/site1/x/payment"
        });
        assert!(serde_json::from_value::<PlaceOrderRequest>(json).is_err());
    }
}
