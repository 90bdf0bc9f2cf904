//! The UserInfo endpoint (OIDC Core §5.3): GET or POST with `Authorization: Bearer`
//! (RFC 6750 §2.1), or POST with `access_token` in a form body (§2.2); never in the query
//! (§2.3), where it would end up in logs. Claims by scope.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use openidconnect::core::CoreUserInfoClaims;
use openidconnect::{
    AddressClaim, AddressCountry, AddressLocality, AddressPostalCode, EmptyAdditionalClaims,
    EndUserEmail, EndUserName, EndUserPhoneNumber, FormattedAddress, LocalizedClaim,
    StandardClaims, StreetAddress, SubjectIdentifier,
};

use super::params::{Params, is_form_content_type};
use crate::db;
use crate::domain::Customer;
use crate::secrets::SecretHash;
use crate::state::AppState;
use crate::web::StoreTenant;

/// Our access tokens are 43 characters; anything much longer is not one.
const MAX_TOKEN_LEN: usize = 512;

/// Bearer token errors (RFC 6750 §3.1).
#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    /// No credentials at all: a bare challenge, no error code (RFC 6750 §3.1).
    #[error("no access token")]
    Missing,
    #[error("invalid_token")]
    InvalidToken,
    /// Malformed request, e.g. the credentials sent twice (RFC 6750 §3.1).
    #[error("invalid_request")]
    InvalidRequest,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let (status, challenge, body) = match &self {
            BearerError::Missing => (StatusCode::UNAUTHORIZED, "Bearer", None),
            BearerError::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                "Bearer error=\"invalid_token\", error_description=\"the access token is invalid, expired or revoked\"",
                Some("invalid_token"),
            ),
            BearerError::InvalidRequest => (
                StatusCode::BAD_REQUEST,
                "Bearer error=\"invalid_request\"",
                Some("invalid_request"),
            ),
            BearerError::Internal(error) => {
                tracing::error!(error = %crate::telemetry::ShortIds(format!("{error:?}")), "userinfo failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "", Some("server_error"))
            }
        };
        let mut response = match body {
            Some(code) => (status, Json(serde_json::json!({ "error": code }))).into_response(),
            None => status.into_response(),
        };
        if !challenge.is_empty() {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

/// `GET /userinfo`
pub async fn get(
    State(state): State<AppState>,
    store: StoreTenant,
    headers: HeaderMap,
) -> Result<Json<CoreUserInfoClaims>, BearerError> {
    userinfo(&state, &store, bearer_token(&headers)?).await
}

/// `POST /userinfo` (OIDC Core §5.3.1: both methods), the token in the header or the body.
pub async fn post(
    State(state): State<AppState>,
    store: StoreTenant,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CoreUserInfoClaims>, BearerError> {
    match body_token(&headers, &body)? {
        // RFC 6750 §2: a client MUST NOT send the token by more than one method.
        Some(_) if headers.contains_key(header::AUTHORIZATION) => Err(BearerError::InvalidRequest),
        Some(token) => userinfo(&state, &store, &token).await,
        None => userinfo(&state, &store, bearer_token(&headers)?).await,
    }
}

#[tracing::instrument(skip_all, fields(store = %store.id))]
async fn userinfo(
    state: &AppState,
    store: &StoreTenant,
    token: &str,
) -> Result<Json<CoreUserInfoClaims>, BearerError> {
    let active = db::tokens::find_active(&state.db, &store.id, &SecretHash::of(token), db::now())
        .await?
        .ok_or(BearerError::InvalidToken)?;
    let scopes: Vec<&str> = active.scope.split(' ').collect();
    Ok(Json(claims(&active.customer, &scopes)))
}

/// `access_token` of a form-encoded body (RFC 6750 §2.2), if the body is a form with one.
pub fn body_token(headers: &HeaderMap, body: &[u8]) -> Result<Option<String>, BearerError> {
    if !is_form_content_type(headers) {
        return Ok(None);
    }
    let params = Params::parse(body).map_err(|_| BearerError::InvalidRequest)?;
    match params.get("access_token") {
        Ok(None) => Ok(None),
        Ok(Some(token)) if token.len() <= MAX_TOKEN_LEN => Ok(Some(token.to_owned())),
        Ok(Some(_)) => Err(BearerError::InvalidToken),
        Err(_) => Err(BearerError::InvalidRequest),
    }
}

pub fn bearer_token(headers: &HeaderMap) -> Result<&str, BearerError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(BearerError::Missing);
    };
    if values.next().is_some() {
        return Err(BearerError::InvalidRequest);
    }
    let value = value.to_str().map_err(|_| BearerError::InvalidToken)?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            let token = token.trim();
            if token.is_empty() || token.len() > MAX_TOKEN_LEN {
                return Err(BearerError::InvalidToken);
            }
            Ok(token)
        }
        _ => Err(BearerError::Missing),
    }
}

/// `sub` always; the rest by scope (OIDC Core §5.4).
fn claims(customer: &Customer, scopes: &[&str]) -> CoreUserInfoClaims {
    let has = |scope: &str| scopes.contains(&scope);
    let mut standard = StandardClaims::new(SubjectIdentifier::new(customer.id.to_string()));
    if has("email") {
        // We never sent the customer a confirmation link, so we cannot claim the address
        // is theirs (OIDC Core §5.1: email_verified true only after such a check).
        standard = standard
            .set_email(Some(EndUserEmail::new(customer.email.as_str().to_owned())))
            .set_email_verified(Some(false));
    }
    if has("profile") {
        standard = standard.set_name(Some(LocalizedClaim::from(EndUserName::new(
            customer.name.clone(),
        ))));
    }
    if has("address")
        && let Some(address) = &customer.billing_address
    {
        standard = standard.set_address(Some(AddressClaim {
            formatted: Some(FormattedAddress::new(address.formatted())),
            street_address: Some(StreetAddress::new(address.street.clone())),
            locality: Some(AddressLocality::new(address.city.clone())),
            region: None,
            postal_code: Some(AddressPostalCode::new(address.postal_code.clone())),
            country: Some(AddressCountry::new(address.country.clone())),
        }));
    }
    if has("phone")
        && let Some(phone) = &customer.phone
    {
        standard = standard.set_phone_number(Some(EndUserPhoneNumber::new(phone.clone())));
    }
    CoreUserInfoClaims::new(standard, EmptyAdditionalClaims {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Address, CustomerId, Email, StoreId};

    fn alice() -> Customer {
        Customer {
            id: CustomerId::new_random(),
            store_id: StoreId::parse("site1").unwrap(),
            email: Email::parse("alice@example.com").unwrap(),
            name: "Alice Liddell".into(),
            phone: Some("+44 20 7946 0000".into()),
            billing_address: Some(Address {
                name: "Alice Liddell".into(),
                street: "1 Rabbit Hole".into(),
                postal_code: "OX1 1AA".into(),
                city: "Oxford".into(),
                country: "GB".into(),
            }),
        }
    }

    #[test]
    fn claims_follow_the_granted_scopes() {
        let customer = alice();
        let only_openid = serde_json::to_value(claims(&customer, &["openid"])).unwrap();
        assert_eq!(
            only_openid,
            serde_json::json!({ "sub": customer.id.to_string() })
        );
        let all = serde_json::to_value(claims(
            &customer,
            &["openid", "email", "profile", "address", "phone"],
        ))
        .unwrap();
        assert_eq!(all["email"], "alice@example.com");
        assert_eq!(all["email_verified"], false);
        assert_eq!(all["name"], "Alice Liddell");
        assert_eq!(all["phone_number"], "+44 20 7946 0000");
        assert_eq!(all["address"]["street_address"], "1 Rabbit Hole");
        assert_eq!(all["address"]["locality"], "Oxford");
        assert_eq!(all["address"]["postal_code"], "OX1 1AA");
        assert_eq!(all["address"]["country"], "GB");
        assert!(
            all["address"]["formatted"]
                .as_str()
                .unwrap()
                .contains("Oxford")
        );
    }

    #[test]
    fn only_bearer_authorization_is_read() {
        let mut headers = HeaderMap::new();
        assert!(matches!(bearer_token(&headers), Err(BearerError::Missing)));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert!(matches!(bearer_token(&headers), Err(BearerError::Missing)));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer tok"),
        );
        assert_eq!(bearer_token(&headers).unwrap(), "tok");
    }

    #[test]
    fn a_form_body_may_carry_the_token() {
        let mut form = HeaderMap::new();
        form.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert_eq!(
            body_token(&form, b"access_token=tok").unwrap().as_deref(),
            Some("tok")
        );
        assert_eq!(body_token(&form, b"").unwrap(), None);
        assert!(matches!(
            body_token(&form, b"access_token=a&access_token=b"),
            Err(BearerError::InvalidRequest)
        ));
        // Only a form body counts (RFC 6750 §2.2).
        assert_eq!(
            body_token(&HeaderMap::new(), b"access_token=tok").unwrap(),
            None
        );
    }
}
