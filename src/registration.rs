//! The checkout's registration at each store's provider, derived from the configuration
//! alone: every node makes it at start-up at the providers this deployment runs (so a
//! login cannot fail on a registration an operator typed), and `check` and `serve` print
//! it for the operator to make at any other provider.

use std::fmt;

use anyhow::Context;

use crate::config::{Config, StoreConfig};
use crate::db::Db;
use crate::domain::{IdTokenAlg, SigningAlg, StoreId};
use crate::provider::clients::{self, ClientAuth, NewClient};
use crate::relying_party::Registration;

/// What the checkout is at one store's provider.
pub struct CheckoutAtStore {
    pub store: StoreId,
    pub issuer: String,
    /// The provider is this deployment's own: the registration is made for the operator.
    pub own_provider: bool,
    pub client_id: String,
    pub auth: ClientAuth,
    pub redirect_uri: String,
    pub backchannel_logout_uri: String,
    pub post_logout_redirect_uri: String,
    pub id_token_alg: IdTokenAlg,
}

impl CheckoutAtStore {
    pub fn new(config: &Config, store: &StoreConfig) -> Self {
        let registration = Registration::for_store(&config.checkout, store);
        let checkout = &config.checkout;
        let auth = match registration.secret {
            Some(secret) => ClientAuth::SecretBasic(secret),
            None => ClientAuth::PrivateKeyJwt {
                jwks_uri: checkout.url("/.well-known/jwks.json"),
            },
        };
        Self {
            store: store.id.clone(),
            issuer: crate::store_providers::configured_issuer(store)
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            own_provider: registration.own_provider,
            client_id: registration.client_id,
            auth,
            redirect_uri: checkout.url("/callback"),
            backchannel_logout_uri: checkout.url("/backchannel-logout"),
            post_logout_redirect_uri: checkout.url("/logged-out"),
            id_token_alg: registration.id_token_alg,
        }
    }

    /// The client row of our own provider; an error when the configuration asks our
    /// provider for an algorithm it does not sign with.
    fn client(&self) -> anyhow::Result<NewClient> {
        let id_token_alg = SigningAlg::parse(self.id_token_alg.as_str()).with_context(|| {
            format!(
                "store {}: login.id_token_alg {} is not one this deployment's providers sign \
                 with (RS256 or ES256)",
                self.store,
                self.id_token_alg.as_str()
            )
        })?;
        Ok(NewClient {
            client_id: self.client_id.clone(),
            redirect_uris: vec![self.redirect_uri.clone()],
            auth: self.auth.clone(),
            id_token_alg,
            backchannel_logout_uri: Some(self.backchannel_logout_uri.clone()),
            post_logout_redirect_uris: vec![self.post_logout_redirect_uri.clone()],
            // The checkout pushes every request to our providers (they advertise the
            // endpoint), so a front-channel request in its name can only be forged.
            require_pushed_authorization_requests: true,
        })
    }
}

/// Registers (or re-registers, unchanged) the checkout at every store whose provider this
/// deployment runs. Stores on another provider are registered there by their operator.
pub async fn register_at_own_stores(db: &Db, config: &Config) -> anyhow::Result<()> {
    for store in &config.stores {
        let expected = CheckoutAtStore::new(config, store);
        if !expected.own_provider {
            continue;
        }
        clients::register(db, &store.id, &expected.client()?)
            .await
            .with_context(|| format!("registering the checkout at store {}", store.id))?;
    }
    Ok(())
}

/// Lines an operator can copy into a provider's client registration.
impl fmt::Display for CheckoutAtStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.own_provider {
            "this deployment's provider; registered automatically"
        } else {
            "external provider; register the checkout there"
        };
        writeln!(f, "store {}: {} ({kind})", self.store, self.issuer)?;
        writeln!(f, "  client_id                     {}", self.client_id)?;
        writeln!(f, "  redirect_uri                  {}", self.redirect_uri)?;
        match &self.auth {
            ClientAuth::PrivateKeyJwt { jwks_uri } => {
                writeln!(f, "  token_endpoint_auth_method    private_key_jwt (ES256)")?;
                writeln!(f, "  jwks_uri                      {jwks_uri}")?;
            }
            ClientAuth::SecretBasic(_) | ClientAuth::SecretPost(_) => writeln!(
                f,
                "  token_endpoint_auth_method    client_secret_basic (login.client_secret)"
            )?,
        }
        writeln!(
            f,
            "  id_token_signed_response_alg  {}",
            self.id_token_alg.as_str()
        )?;
        writeln!(
            f,
            "  scope                         openid {}",
            crate::relying_party::SCOPES.join(" ")
        )?;
        writeln!(
            f,
            "  grant_types / response_types  authorization_code / code"
        )?;
        writeln!(
            f,
            "  backchannel_logout_uri        {}",
            self.backchannel_logout_uri
        )?;
        writeln!(
            f,
            "  post_logout_redirect_uri      {}",
            self.post_logout_redirect_uri
        )?;
        writeln!(
            f,
            "  pushed authorization requests used when discovery advertises them (RFC 9126){}",
            if self.own_provider {
                "; required here"
            } else {
                ""
            }
        )?;
        write!(
            f,
            "  the provider must support     PKCE with S256, and the iss parameter in \
             authorization responses (RFC 9207)"
        )
    }
}
