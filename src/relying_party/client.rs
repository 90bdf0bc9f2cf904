//! The checkout as a client of one store's provider: its registration there (client id,
//! authentication, ID token algorithm) and the `openidconnect` client built from discovery.

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreRevocableToken,
    CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthType, Client, ClientId, EmptyExtraTokenFields, EndpointNotSet,
    EndpointSet, IdTokenFields, IssuerUrl, RedirectUrl, StandardErrorResponse,
    StandardTokenResponse,
};
use serde::{Deserialize, Serialize};

use crate::config::{CheckoutConfig, StoreConfig};
use crate::domain::IdTokenAlg;
use crate::keys::{SigningAlg, SigningKeys};
use crate::secrets::ClientSecret;
use crate::state::AppState;
use crate::store_providers::Discovered;

/// ID token claims beyond `openidconnect`'s: our extension (the basket the login was for,
/// handoff step 5) and the provider's session id (Back-Channel Logout §2.1).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct BasketClaim {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basket_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl AdditionalClaims for BasketClaim {}

pub(crate) type TokenResponse = StandardTokenResponse<
    IdTokenFields<
        BasketClaim,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

/// An `openidconnect` client with the authorization, token and userinfo endpoints set.
pub(crate) type RpClient = Client<
    BasketClaim,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointSet,
>;

/// How the checkout is registered at a store's provider.
pub(crate) struct Registration {
    pub client_id: String,
    /// `client_secret_basic` with this secret; `private_key_jwt` (our ES256 key) without.
    pub secret: Option<ClientSecret>,
    /// The one algorithm the provider signs our ID tokens with (OIDC Core §3.1.3.7 step 7:
    /// the registered `id_token_signed_response_alg`, RS256 when none was registered).
    pub id_token_alg: IdTokenAlg,
    /// The provider is this deployment's own for the store: `sub` is a customer id.
    pub own_provider: bool,
}

impl Registration {
    pub fn for_store(checkout: &CheckoutConfig, store: &StoreConfig) -> Self {
        let own_provider = store.has_own_provider();
        Self {
            client_id: store
                .login
                .client_id
                .clone()
                .unwrap_or_else(|| checkout.client_id.clone()),
            secret: store.login.client_secret.clone(),
            // Our providers register the checkout with ES256 (cheaper to sign); any other
            // provider gets the registration default unless the store says otherwise.
            id_token_alg: match (store.login.id_token_alg, own_provider) {
                (Some(alg), _) => alg,
                (None, true) => IdTokenAlg::Es256,
                (None, false) => IdTokenAlg::Rs256,
            },
            own_provider,
        }
    }

    /// The `openidconnect` client for this registration and the provider's metadata.
    pub fn client(&self, provider: &Discovered, redirect_uri: &str) -> anyhow::Result<RpClient> {
        let metadata = &provider.metadata;
        let token_endpoint = metadata
            .token_endpoint()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("the provider has no token endpoint"))?;
        let userinfo_endpoint = metadata
            .userinfo_endpoint()
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("the provider has no userinfo endpoint"))?;
        let client = Client::new(
            ClientId::new(self.client_id.clone()),
            IssuerUrl::new(provider.issuer().to_owned())?,
            metadata.jwks().clone(),
        )
        .set_auth_uri(metadata.authorization_endpoint().clone())
        .set_token_uri(token_endpoint)
        .set_user_info_url(userinfo_endpoint)
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned())?);
        Ok(match &self.secret {
            Some(secret) => client
                .set_client_secret(openidconnect::ClientSecret::new(secret.expose().to_owned()))
                .set_auth_type(AuthType::BasicAuth),
            // No secret: `client_id` goes in the body beside the assertion (RFC 7523 §2.2).
            None => client.set_auth_type(AuthType::RequestBody),
        })
    }

    /// The body parameters that authenticate the checkout at `audience` (the token or
    /// pushed authorization request endpoint, or the issuer) with `private_key_jwt` (OIDC
    /// Core §9, RFC 7523 §2.2); none with a secret, which travels as Basic credentials.
    pub fn assertion_params(
        &self,
        checkout_keys: &SigningKeys,
        audience: &str,
    ) -> anyhow::Result<Vec<(&'static str, String)>> {
        if self.secret.is_some() {
            return Ok(Vec::new());
        }
        Ok(vec![
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ),
            (
                "client_assertion",
                self.client_assertion(checkout_keys, audience)?,
            ),
        ])
    }

    /// A client assertion (RFC 7523 §3): short-lived, single-use `jti`.
    fn client_assertion(
        &self,
        checkout_keys: &SigningKeys,
        audience: &str,
    ) -> anyhow::Result<String> {
        let now = crate::db::now();
        let claims = serde_json::json!({
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "jti": crate::secrets::OpaqueSecret::generate().secret(),
            "iat": now,
            "exp": now + 60,
        });
        checkout_keys.sign(SigningAlg::Es256, "JWT", &claims)
    }
}

/// `{checkout}/callback`, exactly as registered at every store.
pub(crate) fn redirect_uri(state: &AppState) -> String {
    state.config.checkout.url("/callback")
}
