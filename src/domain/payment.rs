//! What a payment is, as the place-order process and the tables know it: the attempt's
//! idempotency key, Flamingo's flow statuses and the action the shopper's browser takes.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::DomainError;

/// The key every call for one payment attempt carries, so a retried call (after a crash,
/// a lost lease, a timeout) is the same payment at the gateway, never a second one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn generate() -> Self {
        Self(Uuid::new_v4().simple().to_string())
    }

    pub fn parse(value: &str) -> Result<Self, DomainError> {
        let ok = (16..=64).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(DomainError::new(
                "idempotency_key",
                "is not a valid idempotency key",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Flamingo's payment flow statuses; stored by name in `payments.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowStatus {
    /// Started; the customer has not approved yet (usually with an action to take).
    Unapproved,
    /// Approved by the customer; the checkout confirms it (captures) before the order.
    Approved,
    /// Paid, or nothing more to collect now (offline): the order can be placed.
    Completed,
    /// Declined or broken at the gateway.
    Failed,
    /// The customer gave up at the gateway.
    Aborted,
    /// Cancelled by us (rollback, reconciler) or the gateway.
    Cancelled,
    /// The gateway waits for the customer (e.g. a bank transfer in progress).
    WaitingForCustomer,
}

impl FlowStatus {
    pub const ALL: [FlowStatus; 7] = [
        Self::Unapproved,
        Self::Approved,
        Self::Completed,
        Self::Failed,
        Self::Aborted,
        Self::Cancelled,
        Self::WaitingForCustomer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unapproved => "unapproved",
            Self::Approved => "approved",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Aborted => "aborted",
            Self::Cancelled => "cancelled",
            Self::WaitingForCustomer => "waiting_for_customer",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// The customer still has to act at the gateway.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Unapproved | Self::WaitingForCustomer)
    }
}

/// What the shopper's browser must do next (Flamingo's flow actions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FlowAction {
    /// A top-level GET to the gateway's page.
    Redirect { url: String },
    /// A form POST to the gateway (auto-submitted where scripts run, a button otherwise).
    PostRedirect {
        url: String,
        params: Vec<(String, String)>,
    },
    /// HTML from the gateway to show in the payment step. Trusted gateway output only.
    ShowHtml { html: String },
}
