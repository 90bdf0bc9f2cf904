//! Payment gateways behind one trait, after Flamingo's `WebCartPaymentGateway`.
//!
//! The place-order process (`crate::placeorder`) is the only caller of a gateway's flow:
//! it starts the flow, asks for its status, confirms and cancels. The checkout pages only
//! list the methods (`Gateways::methods_for`) and follow the `FlowAction` the process view
//! carries. Every call carries the payment's idempotency key (in `PaymentContext`); the
//! process regenerates it only after a failed, aborted or cancelled payment.
//!
//! Built in: `offline` (cash on delivery, cash in advance; completes at once) and
//! `testgateway` (a hosted payment page on the checkout host: approve, decline, abandon),
//! which exists only when `payments.test_gateway` is set (the demo sets it).

pub mod offline;
pub mod testgateway;

pub use crate::domain::PaymentId;
pub use crate::domain::payment::{FlowAction, FlowStatus, IdempotencyKey};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::{PaymentSettings, StoreConfig};
use crate::db::Db;
use crate::domain::{BasketId, Money, ProcessId};

/// A payment method of one gateway, as the checkout form offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Method {
    pub code: String,
    pub title: String,
}

/// A gateway's answer: where the payment stands and what the shopper must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowState {
    pub status: FlowStatus,
    pub action: Option<FlowAction>,
    /// Why the payment failed, in words a shopper may read.
    pub message: Option<String>,
}

impl FlowState {
    pub fn new(status: FlowStatus) -> Self {
        Self {
            status,
            action: None,
            message: None,
        }
    }
}

/// The result of starting a flow: the payment it created (or found, for a repeated key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowResult {
    pub payment_id: PaymentId,
    pub state: FlowState,
}

/// Everything a gateway call needs. `payment_id` is `None` only for `start_flow`.
pub struct PaymentContext<'a> {
    pub db: &'a Db,
    /// Where the built-in hosted pages live (the test gateway's page is on the checkout host).
    pub checkout_base_url: &'a str,
    pub store: &'a StoreConfig,
    pub basket_id: BasketId,
    pub process_id: ProcessId,
    pub payment_id: Option<PaymentId>,
    pub method: &'a str,
    pub amount: Money,
    /// The checkout's payment step, where a hosted page sends the shopper back.
    pub return_url: &'a str,
    pub idempotency_key: &'a IdempotencyKey,
}

impl PaymentContext<'_> {
    /// The payment id, which every call after `start_flow` has.
    pub fn require_payment(&self) -> anyhow::Result<PaymentId> {
        self.payment_id
            .ok_or_else(|| anyhow::anyhow!("gateway call without a payment id"))
    }

    /// Records a built-in gateway's payment for this attempt, once per idempotency key:
    /// a retried start gets the payment the first one stored.
    pub async fn start_own_payment(
        &self,
        gateway: &str,
        status: FlowStatus,
    ) -> anyhow::Result<crate::db::payments::Payment> {
        let new = self.new_payment(gateway, status);
        let mut conn = self.db.pool.acquire().await?;
        crate::db::payments::start_once(&mut conn, &self.store.id, &new).await
    }

    /// This attempt's payment as a built-in gateway records it.
    pub fn new_payment<'a>(
        &'a self,
        gateway: &'a str,
        status: FlowStatus,
    ) -> crate::db::payments::NewPayment<'a> {
        crate::db::payments::NewPayment {
            id: PaymentId::new_random(),
            basket_id: self.basket_id,
            process_id: self.process_id,
            gateway,
            method: self.method,
            idempotency_key: self.idempotency_key,
            amount: self.amount,
            status,
            return_url: self.return_url,
        }
    }

    /// The stored payment of a built-in gateway, refused unless it is this store's, this
    /// gateway's and this idempotency key's: a call for another attempt must not act on it.
    pub async fn own_payment(&self, gateway: &str) -> anyhow::Result<crate::db::payments::Payment> {
        let id = self.require_payment()?;
        let payment = crate::db::payments::find(self.db, &self.store.id, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("payment {id} not found"))?;
        anyhow::ensure!(
            payment.gateway == gateway && &payment.idempotency_key == self.idempotency_key,
            "payment {id} belongs to another gateway or attempt"
        );
        Ok(payment)
    }
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A payment gateway. Object safe (boxed futures), so the registry holds `dyn Gateway`.
///
/// `Err` means "could not find out" (network, database): the process retries the call
/// with the same idempotency key. A decline is `Ok` with `FlowStatus::Failed`.
pub trait Gateway: Send + Sync {
    /// Stable code, stored with processes, payments and orders.
    fn code(&self) -> &'static str;
    fn title(&self) -> &'static str;
    fn methods(&self) -> Vec<Method>;
    /// Starts the payment, or returns the one already started with this idempotency key.
    fn start_flow<'a>(
        &'a self,
        ctx: &'a PaymentContext<'_>,
    ) -> BoxFuture<'a, anyhow::Result<FlowResult>>;
    fn flow_status<'a>(
        &'a self,
        ctx: &'a PaymentContext<'_>,
    ) -> BoxFuture<'a, anyhow::Result<FlowState>>;
    /// Confirms (captures) an approved payment; a completed one stays completed.
    fn confirm<'a>(
        &'a self,
        ctx: &'a PaymentContext<'_>,
    ) -> BoxFuture<'a, anyhow::Result<FlowState>>;
    /// Voids (or refunds) the payment; safe to call in any status.
    fn cancel<'a>(
        &'a self,
        ctx: &'a PaymentContext<'_>,
    ) -> BoxFuture<'a, anyhow::Result<FlowState>>;
    /// For a gateway that collects nothing online: the status its payments start in. Such
    /// a payment is recorded in the transaction that places the order, so the whole process
    /// is one commit. `None` for a gateway with a service or a page of its own, whose
    /// payment runs step by step.
    fn settles_locally(&self) -> Option<FlowStatus> {
        None
    }
}

/// The methods one gateway offers at one store, for the checkout form.
#[derive(Debug, Clone, Serialize)]
pub struct GatewayMethods {
    pub gateway: &'static str,
    pub title: &'static str,
    pub methods: Vec<Method>,
}

/// The gateways this deployment offers.
pub struct Gateways {
    all: Vec<Arc<dyn Gateway>>,
}

impl Gateways {
    /// The built-in gateways the configuration switches on: offline always, the test
    /// payment page only with `payments.test_gateway`.
    pub fn configured(settings: &PaymentSettings) -> Self {
        let mut all: Vec<Arc<dyn Gateway>> = vec![Arc::new(offline::Offline)];
        if settings.test_gateway {
            all.push(Arc::new(testgateway::TestGateway));
        }
        Self::new(all)
    }

    pub fn new(all: Vec<Arc<dyn Gateway>>) -> Self {
        Self { all }
    }

    /// The gateways a shopper of this store may choose (Flamingo's
    /// `enableOfflinePaymentProvider` switches `offline`).
    pub fn enabled_for(&self, store: &StoreConfig) -> Vec<Arc<dyn Gateway>> {
        self.all
            .iter()
            .filter(|g| g.code() != offline::CODE || store.checkout.enable_offline_payment)
            .cloned()
            .collect()
    }

    /// A gateway the shopper may choose at this store.
    pub fn enabled(&self, store: &StoreConfig, code: &str) -> Option<Arc<dyn Gateway>> {
        self.enabled_for(store)
            .into_iter()
            .find(|g| g.code() == code)
    }

    /// Any configured gateway, enabled or not: a payment already started must still be
    /// checked, confirmed or cancelled after a store switches its gateway off.
    pub fn by_code(&self, code: &str) -> Option<Arc<dyn Gateway>> {
        self.all.iter().find(|g| g.code() == code).cloned()
    }

    /// The checkout form's payment choices for this store.
    pub fn methods_for(&self, store: &StoreConfig) -> Vec<GatewayMethods> {
        self.enabled_for(store)
            .iter()
            .map(|g| GatewayMethods {
                gateway: g.code(),
                title: g.title(),
                methods: g.methods(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Locale;
    use crate::i18n::Lang;

    #[test]
    fn flow_status_names_round_trip() {
        for status in FlowStatus::ALL {
            assert_eq!(FlowStatus::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        assert_eq!(FlowStatus::parse("paid"), None);
    }

    #[test]
    fn idempotency_keys_are_bounded_tokens() {
        let key = IdempotencyKey::generate();
        assert_eq!(IdempotencyKey::parse(key.as_str()), Ok(key));
        for bad in ["", "short", "has space in it here", &"x".repeat(65)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn flow_actions_serialize_with_a_type_tag() {
        let action = FlowAction::Redirect {
            url: "https://pay.example/1".into(),
        };
        assert_eq!(
            serde_json::to_value(&action).unwrap(),
            serde_json::json!({"type": "redirect", "url": "https://pay.example/1"})
        );
    }

    /// A shopper at a German store reads every built-in gateway and method in German.
    #[test]
    fn built_in_gateways_are_named_in_every_locale() {
        let gateways: [&dyn Gateway; 2] =
            [&super::offline::Offline, &super::testgateway::TestGateway];
        let german = Lang(Locale::DeDe);
        for gateway in gateways {
            let own = gateway.title();
            assert_ne!(german.gateway_title(gateway.code(), own), own);
            assert_eq!(Lang::default().gateway_title(gateway.code(), own), own);
            for method in gateway.methods() {
                let title = german.method_title(gateway.code(), &method.code, &method.title);
                assert_ne!(title, method.title, "{}:{}", gateway.code(), method.code);
            }
        }
    }
}
