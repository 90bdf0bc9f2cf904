//! The test gateway: a hosted payment page on the checkout host, reached by redirect and
//! returning by redirect, the path every real provider takes. The shopper approves,
//! declines or abandons; the decision is stored in `payments`, so any node reads it.
//!
//! Routes (merged into the checkout router): `GET|POST /testgateway/{payment_id}`.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_csrf::CsrfToken;
use serde::Deserialize;

use super::{
    BoxFuture, FlowAction, FlowResult, FlowState, FlowStatus, Gateway, Method, PaymentContext,
    PaymentId,
};
use crate::app::AppState;
use crate::db;
use crate::web::{WebError, render};

pub const CODE: &str = "testgateway";

pub struct TestGateway;

/// The hosted page of a payment, on the checkout host.
pub fn page_url(app: &AppState, payment: PaymentId) -> String {
    format!(
        "{}/testgateway/{payment}",
        app.config.checkout.base_url.as_str().trim_end_matches('/')
    )
}

fn state_of(app: &AppState, id: PaymentId, status: FlowStatus) -> FlowState {
    let mut state = FlowState::new(status);
    match status {
        FlowStatus::Unapproved | FlowStatus::WaitingForCustomer => {
            state.action = Some(FlowAction::Redirect {
                url: page_url(app, id),
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
                state: state_of(ctx.app, payment.id, payment.status),
            })
        })
    }

    fn flow_status<'a>(
        &'a self,
        ctx: &'a PaymentContext<'_>,
    ) -> BoxFuture<'a, anyhow::Result<FlowState>> {
        Box::pin(async move {
            let payment = ctx.own_payment(CODE).await?;
            Ok(state_of(ctx.app, payment.id, payment.status))
        })
    }

    fn confirm<'a>(
        &'a self,
        ctx: &'a PaymentContext<'_>,
    ) -> BoxFuture<'a, anyhow::Result<FlowState>> {
        Box::pin(async move {
            let payment = ctx.own_payment(CODE).await?;
            db::payments::transition(
                &ctx.app.db,
                &ctx.store.id,
                payment.id,
                &[FlowStatus::Approved],
                FlowStatus::Completed,
            )
            .await?;
            let payment = ctx.own_payment(CODE).await?;
            Ok(state_of(ctx.app, payment.id, payment.status))
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
                &ctx.app.db,
                &ctx.store.id,
                payment.id,
                &from,
                FlowStatus::Cancelled,
            )
            .await?;
            let payment = ctx.own_payment(CODE).await?;
            Ok(state_of(ctx.app, payment.id, payment.status))
        })
    }
}

/// `GET|POST /testgateway/{payment_id}`, for the checkout host's router.
pub fn router() -> Router<AppState> {
    Router::new().route("/testgateway/{payment_id}", get(show).post(decide))
}

#[derive(Template)]
#[template(path = "testgateway/page.html")]
struct PaymentPage {
    store_name: String,
    amount: String,
    method: String,
    payment_id: String,
    /// `None` while the shopper can still decide.
    decided: Option<&'static str>,
    return_url: String,
    authenticity_token: String,
}

async fn load(app: &AppState, raw_id: &str) -> Result<db::payments::Payment, WebError> {
    let id = PaymentId::parse(raw_id).map_err(|_| WebError::NotFound("payment"))?;
    db::payments::find_for_hosted_page(&app.db, id)
        .await?
        .filter(|p| p.gateway == CODE)
        .ok_or(WebError::NotFound("payment"))
}

async fn show(
    State(app): State<AppState>,
    Path(raw_id): Path<String>,
    token: CsrfToken,
) -> Result<Response, WebError> {
    let payment = load(&app, &raw_id).await?;
    let store = app
        .config
        .store(&payment.store_id)
        .ok_or(WebError::NotFound("store"))?;
    let method = TestGateway
        .methods()
        .into_iter()
        .find(|m| m.code == payment.method)
        .map_or_else(|| payment.method.clone(), |m| m.title);
    let page = PaymentPage {
        store_name: store.name.clone(),
        amount: payment.amount.to_string(),
        method,
        payment_id: payment.id.to_string(),
        decided: (!payment.status.is_pending()).then(|| decided_label(payment.status)),
        return_url: payment.return_url.clone(),
        authenticity_token: token
            .authenticity_token()
            .map_err(|e| anyhow::anyhow!("CSRF token: {e:?}"))?,
    };
    Ok((token, render(&page)).into_response())
}

fn decided_label(status: FlowStatus) -> &'static str {
    match status {
        FlowStatus::Approved | FlowStatus::Completed => "approved",
        FlowStatus::Failed => "declined",
        FlowStatus::Aborted => "abandoned",
        FlowStatus::Cancelled => "cancelled",
        FlowStatus::Unapproved | FlowStatus::WaitingForCustomer => "pending",
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
    authenticity_token: String,
    #[serde(default)]
    decision: String,
}

/// Records the shopper's decision, then 303s back to the checkout (a top-level GET, so
/// the checkout's `Lax` cookies come along).
async fn decide(
    State(app): State<AppState>,
    Path(raw_id): Path<String>,
    token: CsrfToken,
    body: Bytes,
) -> Result<Response, WebError> {
    // Parsed by hand so that any malformed body is our readable 400 page.
    let form: DecisionForm = serde_urlencoded::from_bytes(&body)
        .map_err(|_| WebError::BadRequest("The payment form could not be read.".to_owned()))?;
    let payment = load(&app, &raw_id).await?;
    token.verify(&form.authenticity_token).map_err(|_| {
        WebError::Forbidden(
            "This payment form has expired. Go back to the checkout and try again.".to_owned(),
        )
    })?;
    let to = match form.decision.as_str() {
        "approve" => FlowStatus::Approved,
        "decline" => FlowStatus::Failed,
        "abandon" => FlowStatus::Aborted,
        _ => {
            return Err(WebError::BadRequest(
                "Choose approve, decline or abandon.".to_owned(),
            ));
        }
    };
    // A second decision (another tab, the back button) changes nothing: the first stands.
    let pending = [FlowStatus::Unapproved, FlowStatus::WaitingForCustomer];
    db::payments::transition(&app.db, &payment.store_id, payment.id, &pending, to).await?;
    Ok(Redirect::to(&payment.return_url).into_response())
}
