//! The JSON API for headless storefronts (`static/openapi.json`), mirroring Flamingo's
//! GraphQL place-order mutations: start, status, refresh, cancel. Bodies are validated by
//! the same form parse as the HTML checkout. Errors are `{error, message}` with a 4xx;
//! our own failures are a 500 with no detail.
//!
//! Callers are storefront servers, authenticated by a per-store API key
//! (`Authorization: Bearer …`, RFC 6750 §2.1; `shared-checkout api-key create`), never by
//! knowing a basket id. A process is shown and run only for the key that started it.
//!
//! No CSRF token: a body must be `application/json`, which a cross-site form cannot send
//! without a CORS preflight, and no CORS is granted; and a browser holds no API key.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, RawPathParams, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::flow;
use super::form::{self, DetailsInput, FieldErrors, FormRules};
use super::target::{BasketPath, Target, Unresolved};
use crate::db;
use crate::domain::{BasketStatus, StoreId};
use crate::i18n::Lang;
use crate::placeorder::{self, PlaceOrderError, ProcessView, Starter};
use crate::state::AppState;

const OPENAPI: &str = include_str!("../../static/openapi.json");

/// `GET /api/openapi.json`.
pub async fn openapi() -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        OPENAPI,
    )
        .into_response()
}

/// An API error: a stable code, a sentence, and for bad details a message per field.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: &'static str,
    message: String,
    fields: Option<serde_json::Map<String, serde_json::Value>>,
    /// The `WWW-Authenticate` challenge of a 401 (RFC 6750 §3).
    challenge: Option<&'static str>,
}

impl ApiError {
    fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            error,
            message: message.into(),
            fields: None,
            challenge: None,
        }
    }

    /// 401 with the Bearer challenge; `invalid_token` when a key was sent (RFC 6750 §3.1).
    fn unauthorized(key_sent: bool) -> Self {
        let (challenge, message) = if key_sent {
            (
                r#"Bearer realm="shared-checkout", error="invalid_token""#,
                "The API key is not valid for this store, or was revoked.",
            )
        } else {
            (
                r#"Bearer realm="shared-checkout""#,
                "Send this store's API key as `Authorization: Bearer <key>`.",
            )
        };
        Self {
            challenge: Some(challenge),
            ..Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
        }
    }

    fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No {what} with that id."),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.error, "message": self.message });
        if let Some(fields) = self.fields {
            body["fields"] = serde_json::Value::Object(fields);
        }
        let mut response = (self.status, Json(body)).into_response();
        if let Some(challenge) = self.challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        // The database out of reach for a moment: a retry will do (as for the pages).
        if crate::web::database_unavailable(&error) {
            tracing::warn!(error = %crate::telemetry::ShortIds(format!("{error:?}")), "API request failed: the database is unavailable");
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "The service cannot reach its database right now. Try again in a few seconds.",
            );
        }
        tracing::error!(error = %crate::telemetry::ShortIds(format!("{error:?}")), "API request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side. Try again in a moment.",
        )
    }
}

impl From<Unresolved> for ApiError {
    fn from(error: Unresolved) -> Self {
        match error {
            Unresolved::UnknownStore => Self::not_found("store"),
            Unresolved::Undecodable | Unresolved::UnknownBasket(_) => {
                Self::not_found("basket in this store")
            }
            Unresolved::Internal(error) => error.into(),
        }
    }
}

impl From<PlaceOrderError> for ApiError {
    fn from(error: PlaceOrderError) -> Self {
        match error {
            PlaceOrderError::UnknownStore => Self::not_found("store"),
            PlaceOrderError::BasketNotFound => Self::not_found("basket in this store"),
            PlaceOrderError::InvalidRequest(message) => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
            }
            PlaceOrderError::Conflict => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                "An order for this basket is already being placed with other details or by \
                 another caller; this request was not applied.",
            ),
            PlaceOrderError::Internal(error) => error.into(),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as application/json.",
            ),
            other => Self::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!(
                    "The body is not valid JSON for this request: {}",
                    other.body_text()
                ),
            ),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressBody {
    name: String,
    street: String,
    postal_code: String,
    city: String,
    country: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentBody {
    gateway: String,
    method: String,
}

/// The details of an order, as the checkout form asks for them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrderBody {
    email: String,
    #[serde(default)]
    phone: Option<String>,
    billing: AddressBody,
    #[serde(default)]
    delivery: Option<AddressBody>,
    delivery_method: String,
    payment: PaymentBody,
    #[serde(default)]
    privacy_policy_accepted: bool,
}

impl PlaceOrderBody {
    pub fn into_input(self) -> DetailsInput {
        let billing = self.billing;
        let mut input = DetailsInput {
            email: self.email,
            phone: self.phone.unwrap_or_default(),
            billing_name: billing.name,
            billing_street: billing.street,
            billing_postal_code: billing.postal_code,
            billing_city: billing.city,
            billing_country: billing.country,
            delivery_same: Some("yes".to_owned()),
            delivery_method: self.delivery_method,
            payment: format!("{}:{}", self.payment.gateway, self.payment.method),
            privacy_policy: self.privacy_policy_accepted.then(|| "accepted".to_owned()),
            ..DetailsInput::default()
        };
        if let Some(delivery) = self.delivery {
            input.delivery_same = None;
            input.delivery_name = delivery.name;
            input.delivery_street = delivery.street;
            input.delivery_postal_code = delivery.postal_code;
            input.delivery_city = delivery.city;
            input.delivery_country = delivery.country;
        }
        input
    }
}

/// Form field names as JSON paths: `billing_city` → `billing.city`.
fn json_field(name: &str) -> String {
    match name {
        "privacy_policy" => "privacy_policy_accepted".to_owned(),
        "delivery_method" => name.to_owned(),
        "payment" => "payment".to_owned(),
        _ => match name.split_once('_') {
            Some((part @ ("billing" | "delivery"), rest)) => format!("{part}.{rest}"),
            _ => name.to_owned(),
        },
    }
}

pub fn invalid_details(errors: FieldErrors) -> ApiError {
    let fields = errors
        .0
        .into_iter()
        // The API speaks en-US, whatever the store's locale.
        .map(|(field, error)| {
            let message = error.in_words(Lang::default());
            (json_field(field), serde_json::Value::String(message))
        })
        .collect();
    ApiError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        error: "invalid_details",
        message: "Some details are missing or wrong; `fields` says which.".to_owned(),
        fields: Some(fields),
        challenge: None,
    }
}

/// The storefront server calling, by its API key for the store in the path. The key is
/// checked against the stored hashes of that store's live keys only, so a key of another
/// store is as unknown here as a made-up one.
pub struct ApiCaller {
    key_id: String,
}

impl ApiCaller {
    fn starter(&self) -> Starter {
        Starter::ApiKey {
            key_id: self.key_id.clone(),
        }
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split_once(' ')
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            })
            .map(|(_, key)| key.trim().to_owned())
            .filter(|key| !key.is_empty());
        let Some(presented) = presented else {
            return Err(ApiError::unauthorized(
                parts.headers.contains_key(header::AUTHORIZATION),
            ));
        };
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::unauthorized(true))?;
        let store = params
            .iter()
            .find(|(name, _)| *name == "store_id")
            .and_then(|(_, value)| StoreId::parse(value).ok())
            .ok_or_else(|| ApiError::unauthorized(true))?;
        match db::api_keys::authenticate(&state.db, &store, &presented).await? {
            Some(key_id) => Ok(Self { key_id }),
            None => Err(ApiError::unauthorized(true)),
        }
    }
}

/// The basket the path names, in the store the path names; an unknown one is the JSON 404.
pub struct ApiTarget(Target);

impl FromRequestParts<AppState> for ApiTarget {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let path = BasketPath::from_request_parts(parts, state).await?;
        Ok(Self(path.resolve(state).await?))
    }
}

/// `POST /api/v1/{store_id}/{basket_id}/place-order`.
pub async fn start(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiTarget(target): ApiTarget,
    body: Result<Json<PlaceOrderBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    if target.status() == BasketStatus::Open && target.is_empty() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "basket_empty",
            "The basket has no items, so it cannot be ordered.",
        ));
    }
    let input = body.into_input();
    let options = flow::payment_options(&state, &target.store);
    let details =
        form::parse(&input, &FormRules::new(target.flags(), &options)).map_err(invalid_details)?;
    let request = flow::request(&state, &target, caller.starter(), None, &details);
    let view = placeorder::start(&state, &target.basket, request).await?;
    Ok(Json(view).into_response())
}

/// `GET /api/v1/{store_id}/{basket_id}/place-order`.
pub async fn status(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiTarget(target): ApiTarget,
) -> Result<Response, ApiError> {
    let view = placeorder::status(&state, &target.store.id, target.basket.id).await?;
    Ok(Json(owned(view, &caller)?).into_response())
}

/// `POST /api/v1/{store_id}/{basket_id}/place-order/refresh`.
pub async fn refresh(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiTarget(target): ApiTarget,
) -> Result<Response, ApiError> {
    owned(
        placeorder::status(&state, &target.store.id, target.basket.id).await?,
        &caller,
    )?;
    let view = placeorder::refresh(&state, &target.store.id, target.basket.id).await?;
    Ok(Json(owned(view, &caller)?).into_response())
}

/// `POST /api/v1/{store_id}/{basket_id}/place-order/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiTarget(target): ApiTarget,
) -> Result<Response, ApiError> {
    owned(
        placeorder::status(&state, &target.store.id, target.basket.id).await?,
        &caller,
    )?;
    let view = placeorder::cancel(&state, &target.store.id, target.basket.id).await?;
    Ok(Json(owned(view, &caller)?).into_response())
}

/// The process, if this key started it; 403 (and nothing of it) if someone else did.
fn owned(view: Option<ProcessView>, caller: &ApiCaller) -> Result<ProcessView, ApiError> {
    let view = view.ok_or_else(|| ApiError::not_found("place-order process for this basket"))?;
    match &view.started_by {
        Some(starter) if starter.is(Some(&caller.starter())) => Ok(view),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "This basket's order was started by someone else; only they can see or change it.",
        )),
    }
}

/// Unknown API paths answer in JSON too.
pub async fn not_found() -> ApiError {
    ApiError::not_found("API endpoint at this path")
}
