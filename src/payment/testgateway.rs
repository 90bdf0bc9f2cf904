//! The test gateway: a hosted payment page on the checkout host, reached by redirect and
//! returning by redirect, the path every real provider takes. The shopper approves,
//! declines or abandons; the decision is stored in `payments`, so any node reads it. The
//! page itself is `checkout::testgateway`, served only with `payments.test_gateway`.

use super::{
    BoxFuture, FlowAction, FlowResult, FlowState, FlowStatus, Gateway, Method, PaymentContext,
    PaymentId,
};
use crate::db;

pub const CODE: &str = "testgateway";

pub struct TestGateway;

/// The hosted page of a payment, on the checkout host under the basket's path.
pub fn page_url(ctx: &PaymentContext<'_>, payment: PaymentId) -> String {
    format!(
        "{}/{}/{}/testgateway/{payment}",
        ctx.checkout_base_url.trim_end_matches('/'),
        ctx.store.id,
        ctx.basket_id
    )
}

fn state_of(ctx: &PaymentContext<'_>, id: PaymentId, status: FlowStatus) -> FlowState {
    let mut state = FlowState::new(status);
    match status {
        FlowStatus::Unapproved | FlowStatus::WaitingForCustomer => {
            state.action = Some(FlowAction::Redirect {
                url: page_url(ctx, id),
            });
        }
        FlowStatus::Failed => state.message = Some("The payment was declined.".to_owned()),
        FlowStatus::Aborted => {
            state.message = Some("The payment was abandoned at the payment page.".to_owned());
        }
        _ => {}
    }
    state
}

impl Gateway for TestGateway {
    fn code(&self) -> &'static str {
        CODE
    }

    fn title(&self) -> &'static str {
        "Test payment page"
    }

    fn methods(&self) -> Vec<Method> {
        vec![Method {
            code: "card".to_owned(),
            title: "Card (test payment page)".to_owned(),
        }]
    }

    fn start_flow<'a>(
        &'a self,
        ctx: &'a PaymentContext<'_>,
    ) -> BoxFuture<'a, anyhow::Result<FlowResult>> {
        Box::pin(async move {
            let payment = ctx.start_own_payment(CODE, FlowStatus::Unapproved).await?;
            Ok(FlowResult {
                payment_id: payment.id,
                state: state_of(ctx, payment.id, payment.status),
            })
        })
    }

    fn flow_status<'a>(
        &'a self,
        ctx: &'a PaymentContext<'_>,
    ) -> BoxFuture<'a, anyhow::Result<FlowState>> {
        Box::pin(async move {
            let payment = ctx.own_payment(CODE).await?;
            Ok(state_of(ctx, payment.id, payment.status))
        })
    }

    fn confirm<'a>(
        &'a self,
        ctx: &'a PaymentContext<'_>,
    ) -> BoxFuture<'a, anyhow::Result<FlowState>> {
        Box::pin(async move {
            let payment = ctx.own_payment(CODE).await?;
            db::payments::transition(
                ctx.db,
                &ctx.store.id,
                payment.id,
                &[FlowStatus::Approved],
                FlowStatus::Completed,
            )
            .await?;
            let payment = ctx.own_payment(CODE).await?;
            Ok(state_of(ctx, payment.id, payment.status))
        })
    }

    fn cancel<'a>(
        &'a self,
        ctx: &'a PaymentContext<'_>,
    ) -> BoxFuture<'a, anyhow::Result<FlowState>> {
        Box::pin(async move {
            let payment = ctx.own_payment(CODE).await?;
            // Voids a pending or approved payment, refunds a completed one.
            let from = [
                FlowStatus::Unapproved,
                FlowStatus::WaitingForCustomer,
                FlowStatus::Approved,
                FlowStatus::Completed,
            ];
            db::payments::transition(
                ctx.db,
                &ctx.store.id,
                payment.id,
                &from,
                FlowStatus::Cancelled,
            )
            .await?;
            let payment = ctx.own_payment(CODE).await?;
            Ok(state_of(ctx, payment.id, payment.status))
        })
    }
}
