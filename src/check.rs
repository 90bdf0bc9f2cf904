//! `shared-checkout check`: everything a login through each store needs from its provider,
//! tried before a shopper finds the fault. The same requests a login makes: discovery,
//! the JWKS, and a token request with a made-up code, whose `invalid_grant` answer shows
//! the provider accepted the checkout's credentials (`invalid_client` shows it did not).

use std::fmt;

use openidconnect::core::CoreErrorResponseType;
use openidconnect::{AuthorizationCode, PkceCodeVerifier, RequestTokenError};

use crate::config::{Config, StoreConfig};
use crate::domain::IdTokenAlg;
use crate::keys::SigningKeys;
use crate::registration::CheckoutAtStore;
use crate::relying_party::Registration;
use crate::secrets::OpaqueSecret;
use crate::store_providers::{Discovered, StoreProviders};

/// One store's registration and what was found at its provider.
pub struct StoreCheck {
    pub registration: CheckoutAtStore,
    pub passed: Vec<String>,
    pub faults: Vec<String>,
}

/// Checks every configured store's provider, one after the other.
pub async fn run(
    config: &Config,
    http: &reqwest::Client,
    checkout_keys: Option<&SigningKeys>,
) -> Vec<StoreCheck> {
    let mut checks = Vec::new();
    for store in &config.stores {
        checks.push(check_store(config, http, checkout_keys, store).await);
    }
    checks
}

async fn check_store(
    config: &Config,
    http: &reqwest::Client,
    checkout_keys: Option<&SigningKeys>,
    store: &StoreConfig,
) -> StoreCheck {
    let mut check = StoreCheck {
        registration: CheckoutAtStore::new(config, store),
        passed: Vec::new(),
        faults: Vec::new(),
    };
    // A fresh cache: what a node finds after a restart, not what it found an hour ago.
    let provider = match StoreProviders::default().discover(http, store).await {
        Ok(provider) => provider,
        Err(error) => {
            let hint = if check.registration.own_provider {
                " (this deployment is the store's provider: is `serve` running with this \
                 configuration?)"
            } else {
                ""
            };
            check.faults.push(format!("discovery: {error:#}{hint}"));
            return check;
        }
    };
    check.passed.push(format!(
        "discovery answers with issuer {}",
        provider.issuer()
    ));
    let extra = provider.metadata.additional_metadata();
    if extra
        .code_challenge_methods_supported
        .iter()
        .any(|m| m == "S256")
    {
        check.passed.push("PKCE with S256 advertised".to_owned());
    } else {
        check.faults.push(
            "PKCE: code_challenge_methods_supported does not list S256, which every login \
             uses"
                .to_owned(),
        );
    }
    if extra.authorization_response_iss_parameter_supported {
        check
            .passed
            .push("the iss parameter in authorization responses advertised".to_owned());
    } else {
        check.faults.push(
            "iss: authorization_response_iss_parameter_supported is not true; the checkout \
             refuses authorization responses without iss (RFC 9207)"
                .to_owned(),
        );
    }
    let alg = check.registration.id_token_alg;
    match signing_fault(&provider, alg) {
        None => check.passed.push(format!(
            "signs ID tokens with {} and publishes a key for it",
            alg.as_str()
        )),
        Some(fault) => check.faults.push(fault),
    }
    let registration = Registration::for_store(&config.checkout, store);
    match client_authenticates(config, http, checkout_keys, &registration, &provider).await {
        Ok(()) => check.passed.push(format!(
            "the token endpoint accepts client {}",
            registration.client_id
        )),
        Err(fault) => check.faults.push(fault),
    }
    check
}

/// Why ID tokens signed as configured could not be verified, if they could not.
fn signing_fault(provider: &Discovered, alg: IdTokenAlg) -> Option<String> {
    let advertised = provider.metadata.id_token_signing_alg_values_supported();
    if !advertised.contains(&alg.jws()) {
        let names: Vec<String> = advertised
            .iter()
            .filter_map(|a| serde_json::to_value(a).ok()?.as_str().map(str::to_owned))
            .collect();
        return Some(format!(
            "algorithm: login.id_token_alg is {} but the provider signs ID tokens with {}",
            alg.as_str(),
            names.join(", ")
        ));
    }
    let has_key = provider
        .metadata
        .jwks()
        .keys()
        .iter()
        .any(|key| serde_json::to_value(key).is_ok_and(|jwk| key_fits(&jwk, alg)));
    (!has_key).then(|| {
        format!(
            "keys: the JWKS at {} has no key that verifies {}",
            provider.metadata.jwks_uri().as_str(),
            alg.as_str()
        )
    })
}

/// Whether a public JWK (as JSON) can verify `alg`: its type and curve, and its `alg`
/// and `use` when it names them (RFC 7517 §4.2, §4.4).
fn key_fits(jwk: &serde_json::Value, alg: IdTokenAlg) -> bool {
    let field = |name: &str| jwk.get(name).and_then(serde_json::Value::as_str);
    let shape = match alg {
        IdTokenAlg::Rs256 | IdTokenAlg::Ps256 => field("kty") == Some("RSA"),
        IdTokenAlg::Es256 => field("kty") == Some("EC") && field("crv") == Some("P-256"),
        IdTokenAlg::EdDsa => field("kty") == Some("OKP") && field("crv") == Some("Ed25519"),
    };
    shape
        && field("alg").is_none_or(|a| a == alg.as_str())
        && field("use").is_none_or(|u| u == "sig")
}

/// A token request with a code the provider never issued: a provider that accepted the
/// checkout's credentials answers `invalid_grant`.
async fn client_authenticates(
    config: &Config,
    http: &reqwest::Client,
    checkout_keys: Option<&SigningKeys>,
    registration: &Registration,
    provider: &Discovered,
) -> Result<(), String> {
    let client = registration
        .client(provider, &config.checkout.url("/callback"))
        .map_err(|e| format!("token endpoint: {e:#}"))?;
    let made_up = AuthorizationCode::new(OpaqueSecret::generate().secret().to_owned());
    let verifier = PkceCodeVerifier::new(OpaqueSecret::generate().secret().to_owned());
    let mut request = client.exchange_code(made_up).set_pkce_verifier(verifier);
    if registration.secret.is_none() {
        let keys = checkout_keys
            .ok_or("client assertion: the checkout has no signing keys yet (serve creates them)")?;
        let params = registration
            .assertion_params(keys, client.token_uri().as_str())
            .map_err(|e| format!("client assertion: {e:#}"))?;
        for (name, value) in params {
            request = request.add_extra_param(name, value);
        }
    }
    let endpoint = client.token_uri().as_str().to_owned();
    match request.request_async(http).await {
        Err(RequestTokenError::ServerResponse(answer)) => match answer.error() {
            CoreErrorResponseType::InvalidGrant => Ok(()),
            CoreErrorResponseType::InvalidClient | CoreErrorResponseType::UnauthorizedClient => {
                Err(format!(
                    "client authentication: {endpoint} answered {} for client {}: the \
                     client id or secret is wrong, or the checkout is not registered there{}",
                    answer.error().as_ref(),
                    registration.client_id,
                    answer
                        .error_description()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                ))
            }
            other => Err(format!(
                "token endpoint: {endpoint} answered {} to a made-up code, expected \
                 invalid_grant",
                other.as_ref()
            )),
        },
        Err(error) => Err(format!("token endpoint: {endpoint}: {error}")),
        Ok(_) => Err(format!(
            "token endpoint: {endpoint} issued tokens for a code it never issued"
        )),
    }
}

impl fmt::Display for StoreCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.registration)?;
        for passed in &self.passed {
            writeln!(f, "  ok     {passed}")?;
        }
        for fault in &self.faults {
            writeln!(f, "  FAULT  {fault}")?;
        }
        Ok(())
    }
}
