//! The identity a verified login attaches: userinfo first (the profile's home), the ID token
//! as fallback. Values that would not fit our forms are dropped, not trusted.

use anyhow::Context;

use super::Login;
use super::checks::{IdClaims, UserInfo, VerifiedIdToken};
use super::error::CallbackError;
use crate::domain::VerifiedIdentity;
use crate::domain::{AddressInput, CustomerId, Email, PostalAddress};
use crate::relying_party::client::Registration;

pub(super) fn verified(
    registration: &Registration,
    login: &Login,
    id_token: &VerifiedIdToken,
    userinfo: &UserInfo,
) -> Result<VerifiedIdentity, CallbackError> {
    let subject = id_token.claims.subject().as_str().to_owned();
    let customer_id = if registration.own_provider {
        let id = CustomerId::parse(&subject).context("our provider's sub is not a customer id");
        Some(id.map_err(CallbackError::VerificationFailed)?)
    } else {
        None
    };
    Ok(identity_from(
        // The code exchange made sure the provider is still this issuer.
        login.tx.issuer.clone(),
        subject,
        customer_id,
        &id_token.claims,
        userinfo,
    ))
}

fn identity_from(
    issuer: String,
    subject: String,
    customer_id: Option<CustomerId>,
    id: &IdClaims,
    userinfo: &UserInfo,
) -> VerifiedIdentity {
    let email = userinfo
        .email()
        .or(id.email())
        .and_then(|e| Email::parse(e.as_str()).ok())
        .map(|e| e.as_str().to_owned());
    let name = userinfo
        .name()
        .or(id.name())
        .and_then(|n| n.get(None))
        .and_then(|n| short_text(n.as_str()));
    let phone = userinfo
        .phone_number()
        .or(id.phone_number())
        .and_then(|p| short_text(p.as_str()));
    let address = userinfo.address().or(id.address()).and_then(|a| {
        let text = |v: Option<String>| v.unwrap_or_default();
        // Kept without a name: the form then asks the shopper for that one field.
        PostalAddress::parse(&AddressInput {
            street: text(a.street_address.as_ref().map(|s| s.to_string())),
            postal_code: text(a.postal_code.as_ref().map(|s| s.to_string())),
            city: text(a.locality.as_ref().map(|s| s.to_string())),
            country: text(a.country.as_ref().map(|s| s.to_string())),
            ..AddressInput::default()
        })
        .ok()
    });
    VerifiedIdentity {
        issuer,
        subject,
        customer_id,
        email,
        name,
        phone,
        address,
    }
}

fn short_text(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty() && value.chars().count() <= 200 && !value.chars().any(char::is_control))
        .then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(userinfo: serde_json::Value) -> (IdClaims, UserInfo) {
        let id = serde_json::from_value(serde_json::json!({
            "iss": "https://login.example",
            "aud": "shared-checkout",
            "exp": 2_000_000_000,
            "iat": 1_700_000_000,
            "sub": "shopper-1",
        }))
        .unwrap();
        let userinfo =
            UserInfo::from_json::<std::convert::Infallible>(userinfo.to_string().as_bytes(), None)
                .unwrap();
        (id, userinfo)
    }

    #[test]
    fn an_address_without_a_name_is_kept() {
        let (id, userinfo) = claims(serde_json::json!({
            "sub": "shopper-1",
            "address": {
                "street_address": "1 Harbour Road",
                "postal_code": "20095",
                "locality": "Hamburg",
                "country": "de",
            },
        }));
        let identity = identity_from(String::new(), "shopper-1".into(), None, &id, &userinfo);
        assert_eq!(identity.name, None);
        let address = identity.address.expect("the address is kept");
        assert_eq!(
            (
                address.street.as_str(),
                address.postal_code.as_str(),
                address.city.as_str(),
                address.country.as_str()
            ),
            ("1 Harbour Road", "20095", "Hamburg", "DE")
        );
    }

    #[test]
    fn an_incomplete_address_is_dropped() {
        let (id, userinfo) = claims(serde_json::json!({
            "sub": "shopper-1",
            "name": "Rosa Rogue",
            "address": { "street_address": "1 Harbour Road", "country": "DE" },
        }));
        let identity = identity_from(String::new(), "shopper-1".into(), None, &id, &userinfo);
        assert_eq!(identity.name.as_deref(), Some("Rosa Rogue"));
        assert_eq!(identity.address, None);
    }
}
