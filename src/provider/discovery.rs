//! OpenID Provider metadata (OIDC Discovery §3, RFC 8414) and the JWKS (RFC 7517), one
//! issuer per store.

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthUrl, IssuerUrl, JsonWebKeySetUrl, ProviderMetadata,
    ResponseTypes, Scope, TokenUrl, UserInfoUrl,
};
use serde::{Deserialize, Serialize};

use super::authorize::checks::SUPPORTED_SCOPES;
use crate::config::StoreConfig;
use crate::domain::SigningAlg;
use crate::state::AppState;
use crate::web::{StoreTenant, WebError};

/// Metadata beyond `openidconnect`'s standard fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExtraMetadata {
    /// RFC 8414 §2; only S256 (RFC 9700 §2.1.1).
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 9207 §3: every authorization response carries `iss`.
    pub authorization_response_iss_parameter_supported: bool,
    /// Our extension: the authorization endpoint accepts `basket_id` and the ID token
    /// carries it back as a claim.
    pub basket_binding_supported: bool,
    /// Back-Channel Logout 1.0 §2.1: logout tokens are sent, and carry `sid`.
    pub backchannel_logout_supported: bool,
    pub backchannel_logout_session_supported: bool,
    /// RP-Initiated Logout 1.0 §2.1.
    pub end_session_endpoint: String,
    /// RFC 9126 §5: where clients push authorization requests; not required of every
    /// client (a client's registration may require it).
    pub pushed_authorization_request_endpoint: String,
    pub require_pushed_authorization_requests: bool,
}

impl AdditionalProviderMetadata for ExtraMetadata {}

pub type StoreProviderMetadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// Claims this provider can return, in the ID token or from userinfo.
pub const CLAIMS_SUPPORTED: [&str; 16] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "azp",
    "at_hash",
    "basket_id",
    "sid",
    "email",
    "email_verified",
    "name",
    "address",
    "phone_number",
];

pub fn metadata(store: &StoreConfig) -> anyhow::Result<StoreProviderMetadata> {
    let url = |path: &str| store.url(path);
    let algs = SigningAlg::ALL.map(SigningAlg::jws).to_vec();
    let extra = ExtraMetadata {
        code_challenge_methods_supported: vec!["S256".to_owned()],
        authorization_response_iss_parameter_supported: true,
        basket_binding_supported: true,
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
        end_session_endpoint: url("/end-session"),
        pushed_authorization_request_endpoint: url("/par"),
        require_pushed_authorization_requests: false,
    };
    Ok(StoreProviderMetadata::new(
        IssuerUrl::new(store.issuer()).context("issuer URL")?,
        AuthUrl::new(url("/authorize")).context("authorization endpoint")?,
        JsonWebKeySetUrl::new(url("/jwks.json")).context("jwks_uri")?,
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        algs,
        extra,
    )
    .set_token_endpoint(Some(
        TokenUrl::new(url("/token")).context("token endpoint")?,
    ))
    .set_userinfo_endpoint(Some(
        UserInfoUrl::new(url("/userinfo")).context("userinfo endpoint")?,
    ))
    .set_scopes_supported(Some(
        SUPPORTED_SCOPES
            .iter()
            .map(|s| Scope::new((*s).to_owned()))
            .collect(),
    ))
    .set_response_modes_supported(Some(vec![CoreResponseMode::Query]))
    .set_grant_types_supported(Some(vec![CoreGrantType::AuthorizationCode]))
    .set_token_endpoint_auth_methods_supported(Some(vec![
        CoreClientAuthMethod::ClientSecretBasic,
        CoreClientAuthMethod::ClientSecretPost,
        CoreClientAuthMethod::PrivateKeyJwt,
    ]))
    .set_token_endpoint_auth_signing_alg_values_supported(Some(
        super::token::checks::ASSERTION_ALGS
            .iter()
            .map(|alg| match alg {
                jsonwebtoken::Algorithm::RS256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                jsonwebtoken::Algorithm::PS256 => CoreJwsSigningAlgorithm::RsaSsaPssSha256,
                _ => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            })
            .collect(),
    ))
    .set_claims_supported(Some(
        CLAIMS_SUPPORTED
            .iter()
            .map(|c| CoreClaimName::new((*c).to_owned()))
            .collect(),
    ))
    .set_claims_parameter_supported(Some(false))
    .set_request_parameter_supported(Some(false))
    // Defaults to true when absent (OIDC Discovery §3), so say it. This is about request
    // objects by reference; a pushed request's `request_uri` is RFC 9126's own.
    .set_request_uri_parameter_supported(Some(false)))
}

/// `GET /.well-known/openid-configuration`
pub async fn configuration(StoreTenant(store): StoreTenant) -> Result<Response, WebError> {
    Ok(public_json(Json(metadata(&store)?)))
}

/// `GET /jwks.json`: every key this store publishes, including those kept for rotation;
/// never another store's.
pub async fn jwks(
    State(state): State<AppState>,
    StoreTenant(store): StoreTenant,
) -> Result<Response, WebError> {
    Ok(public_json(Json(state.keys.for_store(&store.id)?.jwks())))
}

/// Public documents: cacheable for a few minutes and readable from any origin.
fn public_json(body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_advertises_what_the_endpoints_enforce() {
        let settings = crate::config::Settings::demo(
            std::path::Path::new("/tmp"),
            "127.0.0.1:0".parse().unwrap(),
        );
        let config = crate::config::Config::resolve(&settings, 8080).unwrap();
        let json = serde_json::to_value(metadata(&config.stores[0]).unwrap()).unwrap();
        assert_eq!(json["issuer"], "http://site1.localhost:8080");
        assert_eq!(json["token_endpoint"], "http://site1.localhost:8080/token");
        assert_eq!(
            json["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(json["authorization_response_iss_parameter_supported"], true);
        assert_eq!(json["basket_binding_supported"], true);
        assert_eq!(json["backchannel_logout_supported"], true);
        assert_eq!(json["backchannel_logout_session_supported"], true);
        assert_eq!(
            json["end_session_endpoint"],
            "http://site1.localhost:8080/end-session"
        );
        assert_eq!(json["request_uri_parameter_supported"], false);
        assert_eq!(
            json["pushed_authorization_request_endpoint"],
            "http://site1.localhost:8080/par"
        );
        assert_eq!(json["require_pushed_authorization_requests"], false);
        assert_eq!(
            json["id_token_signing_alg_values_supported"],
            serde_json::json!(["RS256", "ES256"])
        );
        assert_eq!(
            json["token_endpoint_auth_methods_supported"],
            serde_json::json!([
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt"
            ])
        );
        assert_eq!(
            json["response_types_supported"],
            serde_json::json!(["code"])
        );
    }
}
