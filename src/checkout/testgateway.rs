//! The test gateway's hosted payment page (`payment::testgateway`), on the checkout host:
//! `GET|POST /{store_id}/{basket_id}/testgateway/{payment_id}`, merged into the checkout
//! router only with `payments.test_gateway`. Under the basket's path, so the browser's
//! checkout session cookie comes along: a payment started from a browser is decided only
//! by that browser. A payment started through the JSON API is decided by whoever the
//! storefront hands the (unguessable) page URL to.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_csrf::CsrfToken;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::session::browser_starter;
use crate::db;
use crate::domain::payment::FlowStatus;
use crate::domain::{BasketId, PaymentId, StoreId};
use crate::payment::Gateway;
use crate::payment::testgateway::{CODE, TestGateway};
use crate::placeorder::Starter;
use crate::state::AppState;
use crate::web::{WebError, render};

/// `GET|POST /{store_id}/{basket_id}/testgateway/{payment_id}`, for the checkout host's
/// router.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/{store_id}/{basket_id}/testgateway/{payment_id}",
        get(show).post(decide),
    )
}

#[derive(Template)]
#[template(path = "testgateway/page.html")]
struct PaymentPage {
    store_name: String,
    amount: String,
    method: String,
    /// `None` while the shopper can still decide.
    decided: Option<&'static str>,
    return_url: String,
    authenticity_token: String,
}

/// The page's path, `/{store_id}/{basket_id}/testgateway/{payment_id}`: a malformed id
/// names no payment, so it is the payment's 404 page.
struct PaymentPath {
    store: StoreId,
    basket: BasketId,
    payment: PaymentId,
}

impl<S: Send + Sync> FromRequestParts<S> for PaymentPath {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        let not_found = |_| WebError::NotFound("payment");
        let Path((store, basket, payment)) =
            Path::<(String, String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| WebError::NotFound("payment"))?;
        Ok(Self {
            store: StoreId::parse(&store).map_err(not_found)?,
            basket: BasketId::parse(&basket).map_err(not_found)?,
            payment: PaymentId::parse(&payment).map_err(not_found)?,
        })
    }
}

/// The payment of this page, for this visitor: a payment of a process started from a
/// browser is shown to that browser only (403 to any other, revealing nothing of it).
async fn load(
    app: &AppState,
    path: &PaymentPath,
    jar: &CookieJar,
) -> Result<db::payments::Payment, WebError> {
    let not_found = || WebError::NotFound("payment");
    let (store, basket) = (&path.store, path.basket);
    let payment = db::payments::find(&app.db, store, path.payment)
        .await?
        .filter(|p| p.gateway == CODE && p.basket_id == basket)
        .ok_or_else(not_found)?;
    let process = db::placeorder::find(&app.db, store, payment.process_id)
        .await?
        .ok_or_else(not_found)?;
    if let Starter::Browser { .. } = &process.request.starter
        && !process
            .request
            .starter
            .is(browser_starter(app, jar, store, basket).as_ref())
    {
        return Err(WebError::Forbidden(
            "This payment belongs to a checkout in another browser. Go back to your own \
             checkout to pay."
                .to_owned(),
        ));
    }
    Ok(payment)
}

async fn show(
    State(app): State<AppState>,
    path: PaymentPath,
    jar: CookieJar,
    token: CsrfToken,
) -> Result<Response, WebError> {
    let payment = load(&app, &path, &jar).await?;
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
    path: PaymentPath,
    jar: CookieJar,
    token: CsrfToken,
    body: Bytes,
) -> Result<Response, WebError> {
    // Parsed by hand so that any malformed body is our readable 400 page.
    let form: DecisionForm = serde_urlencoded::from_bytes(&body)
        .map_err(|_| WebError::BadRequest("The payment form could not be read.".to_owned()))?;
    let payment = load(&app, &path, &jar).await?;
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
