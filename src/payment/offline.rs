//! Offline payment (Flamingo's `OfflineWebCartPaymentGateway`): nothing to collect online,
//! so the flow completes at once and the order is placed.

use super::{BoxFuture, FlowResult, FlowState, FlowStatus, Gateway, Method, PaymentContext};
use crate::db;

pub const CODE: &str = "offline";
/// Nothing is collected online, so a payment is complete as soon as it is recorded.
const SETTLED: FlowStatus = FlowStatus::Completed;

pub struct Offline;

impl Gateway for Offline {
    fn code(&self) -> &'static str {
        CODE
    }

    fn title(&self) -> &'static str {
        "Pay offline"
    }

    fn methods(&self) -> Vec<Method> {
        vec![
            Method {
                code: "cash_on_delivery".to_owned(),
                title: "Cash on delivery".to_owned(),
            },
            Method {
                code: "cash_in_advance".to_owned(),
                title: "Cash in advance".to_owned(),
            },
        ]
    }

    fn start_flow<'a>(
        &'a self,
        ctx: &'a PaymentContext<'_>,
    ) -> BoxFuture<'a, anyhow::Result<FlowResult>> {
        Box::pin(async move {
            let payment = ctx.start_own_payment(CODE, SETTLED).await?;
            Ok(FlowResult {
                payment_id: payment.id,
                state: FlowState::new(payment.status),
            })
        })
    }

    fn flow_status<'a>(
        &'a self,
        ctx: &'a PaymentContext<'_>,
    ) -> BoxFuture<'a, anyhow::Result<FlowState>> {
        Box::pin(async move { Ok(FlowState::new(stored_status(ctx).await?)) })
    }

    fn confirm<'a>(
        &'a self,
        ctx: &'a PaymentContext<'_>,
    ) -> BoxFuture<'a, anyhow::Result<FlowState>> {
        Box::pin(async move { Ok(FlowState::new(stored_status(ctx).await?)) })
    }

    fn settles_locally(&self) -> Option<FlowStatus> {
        Some(SETTLED)
    }

    fn cancel<'a>(
        &'a self,
        ctx: &'a PaymentContext<'_>,
    ) -> BoxFuture<'a, anyhow::Result<FlowState>> {
        Box::pin(async move {
            // Nothing was collected, so any payment can be cancelled.
            let id = ctx.own_payment(CODE).await?.id;
            let from = [
                FlowStatus::Unapproved,
                FlowStatus::Approved,
                FlowStatus::Completed,
                FlowStatus::WaitingForCustomer,
            ];
            db::payments::transition(ctx.db, &ctx.store.id, id, &from, FlowStatus::Cancelled)
                .await?;
            Ok(FlowState::new(stored_status(ctx).await?))
        })
    }
}

async fn stored_status(ctx: &PaymentContext<'_>) -> anyhow::Result<FlowStatus> {
    Ok(ctx.own_payment(CODE).await?.status)
}
