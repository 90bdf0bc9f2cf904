//! Every store's provider as the checkout knows it: discovery metadata and JWKS, fetched
//! over the back channel and cached in memory. A cache, not state: any node refetches.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{AdditionalProviderMetadata, ProviderMetadata};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::StoreConfig;
use crate::domain::StoreId;

/// Metadata beyond `openidconnect`'s fields: our extension (the provider binds codes and
/// ID tokens to a basket, `basket_id`), RP-Initiated Logout 1.0 §2.1, Pushed Authorization
/// Requests (RFC 9126 §5), and what a login
/// requires of every provider (RFC 8414 §2 for PKCE, RFC 9207 §3 for `iss`), which
/// `check` reads.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ExtraMetadata {
    #[serde(default)]
    pub basket_binding_supported: bool,
    #[serde(default)]
    pub end_session_endpoint: Option<Url>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    #[serde(default)]
    pub pushed_authorization_request_endpoint: Option<Url>,
}

impl AdditionalProviderMetadata for ExtraMetadata {}

pub(crate) type Metadata = ProviderMetadata<
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

/// A provider's discovery document with its JWKS (`metadata.jwks()`).
pub(crate) struct Discovered {
    pub metadata: Metadata,
    fetched_at: Instant,
    /// When an unknown `kid` last made us refetch the keys.
    keys_refreshed_at: Option<Instant>,
}

impl Discovered {
    pub fn issuer(&self) -> &str {
        self.metadata.issuer().as_str()
    }

    pub fn basket_binding(&self) -> bool {
        self.metadata.additional_metadata().basket_binding_supported
    }

    /// Those of `wanted` that discovery lists in `scopes_supported`; all of them when it
    /// lists none (the member is only RECOMMENDED, OIDC Discovery §3).
    pub fn supported_scopes<'a>(&self, wanted: &[&'a str]) -> Vec<&'a str> {
        match self.metadata.scopes_supported() {
            Some(listed) => wanted
                .iter()
                .filter(|w| listed.iter().any(|s| s.as_str() == **w))
                .copied()
                .collect(),
            None => wanted.to_vec(),
        }
    }

    /// Where the checkout pushes its authorization requests, when the provider takes them.
    pub fn pushed_authorization_request_endpoint(&self) -> Option<&Url> {
        self.metadata
            .additional_metadata()
            .pushed_authorization_request_endpoint
            .as_ref()
    }

    pub fn end_session_endpoint(&self) -> Option<&Url> {
        self.metadata
            .additional_metadata()
            .end_session_endpoint
            .as_ref()
    }
}

/// Discovery documents change rarely; an hour bounds how long a changed endpoint is missed.
/// Keys are refetched sooner, whenever an ID token names a `kid` we do not know.
const METADATA_TTL: Duration = Duration::from_secs(60 * 60);

/// At most one refetch of a provider's keys per this long: anyone can post a logout token
/// naming an unknown `kid`, and each must not become a request to the provider.
const KEY_REFRESH_COOLDOWN: Duration = Duration::from_secs(30);

/// Per-store provider metadata and JWKS, cached (a cache, not state: any node refetches).
#[derive(Default)]
pub struct StoreProviders {
    cache: RwLock<HashMap<StoreId, Arc<Discovered>>>,
}

impl StoreProviders {
    /// The store's provider, from the cache while fresh, else discovered anew.
    pub(crate) async fn discover(
        &self,
        http: &reqwest::Client,
        store: &StoreConfig,
    ) -> anyhow::Result<Arc<Discovered>> {
        if let Some(hit) = self.cached(&store.id)
            && hit.fetched_at.elapsed() < METADATA_TTL
        {
            return Ok(hit);
        }
        let fresh = Arc::new(fetch(http, store).await?);
        self.put(&store.id, fresh.clone());
        Ok(fresh)
    }

    /// Refetches the JWKS after a token named a key we do not have (key rotation), unless
    /// the keys were refetched for that reason within the cooldown.
    pub(crate) async fn refresh_keys(
        &self,
        http: &reqwest::Client,
        store: &StoreConfig,
        stale: &Discovered,
    ) -> anyhow::Result<Arc<Discovered>> {
        if let Some(recent) = self.cached(&store.id).filter(|cached| {
            cached
                .keys_refreshed_at
                .is_some_and(|at| at.elapsed() < KEY_REFRESH_COOLDOWN)
        }) {
            return Ok(recent);
        }
        let jwks = fetch_jwks(http, &stale.metadata).await?;
        let fresh = Arc::new(Discovered {
            metadata: stale.metadata.clone().set_jwks(jwks),
            fetched_at: stale.fetched_at,
            keys_refreshed_at: Some(Instant::now()),
        });
        self.put(&store.id, fresh.clone());
        Ok(fresh)
    }

    /// The origin of the store's authorization endpoint, if its metadata is cached.
    pub(crate) fn cached_authorization_origin(&self, store: &StoreId) -> Option<String> {
        self.cached(store).map(|d| {
            d.metadata
                .authorization_endpoint()
                .url()
                .origin()
                .ascii_serialization()
        })
    }

    fn cached(&self, store: &StoreId) -> Option<Arc<Discovered>> {
        self.cache
            .read()
            .ok()
            .and_then(|cache| cache.get(store).cloned())
    }

    fn put(&self, store: &StoreId, discovered: Arc<Discovered>) {
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(store.clone(), discovered);
        }
    }
}

/// The issuer configured for the store: its own provider unless `login.issuer` names another.
pub(crate) fn configured_issuer(store: &StoreConfig) -> Url {
    store
        .login
        .issuer
        .clone()
        .unwrap_or_else(|| store.base_url.clone())
}

/// The issuer strings the configuration allows. A `Url` always prints a bare origin with a
/// trailing `/`; issuers usually have none (ours don't), but a few do, so both are accepted
/// for a bare origin and the discovery document's own spelling is kept from then on.
pub(crate) fn accepted_issuers(configured: &Url) -> Vec<String> {
    let full = configured.as_str().to_owned();
    if configured.path() == "/" && configured.query().is_none() {
        vec![full.trim_end_matches('/').to_owned(), full]
    } else {
        vec![full]
    }
}

async fn fetch(http: &reqwest::Client, store: &StoreConfig) -> anyhow::Result<Discovered> {
    let configured = configured_issuer(store);
    let accepted = accepted_issuers(&configured);
    // OIDC Discovery §4: the document lives under the issuer, after any path it has.
    let url = format!(
        "{}/.well-known/openid-configuration",
        configured.as_str().trim_end_matches('/')
    );
    let response = http
        .get(&url)
        .send()
        .await
        .with_context(|| format!("fetching {url}"))?
        .error_for_status()
        .with_context(|| format!("fetching {url}"))?;
    let metadata: Metadata = serde_json::from_slice(&response.bytes().await?)
        .with_context(|| format!("parsing the discovery document at {url}"))?;
    // OIDC Discovery §4.3: the issuer in the document must be the one we asked for.
    anyhow::ensure!(
        accepted.iter().any(|a| a == metadata.issuer().as_str()),
        "discovery at {url} names issuer {:?}, expected {:?}",
        metadata.issuer().as_str(),
        accepted[0]
    );
    let jwks = fetch_jwks(http, &metadata).await?;
    Ok(Discovered {
        metadata: metadata.set_jwks(jwks),
        fetched_at: Instant::now(),
        keys_refreshed_at: None,
    })
}

async fn fetch_jwks(
    http: &reqwest::Client,
    metadata: &Metadata,
) -> anyhow::Result<CoreJsonWebKeySet> {
    let url = metadata.jwks_uri().url().clone();
    let response = http
        .get(url.clone())
        .send()
        .await
        .with_context(|| format!("fetching the JWKS at {url}"))?
        .error_for_status()
        .with_context(|| format!("fetching the JWKS at {url}"))?;
    serde_json::from_slice(&response.bytes().await?)
        .with_context(|| format!("parsing the JWKS at {url}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_origin_issuer_is_accepted_with_or_without_its_slash() {
        let origin = Url::parse("http://site1.localhost:8080").unwrap();
        assert_eq!(
            accepted_issuers(&origin),
            [
                "http://site1.localhost:8080",
                "http://site1.localhost:8080/"
            ]
        );
        let with_path = Url::parse("https://idp.example/realms/shop").unwrap();
        assert_eq!(
            accepted_issuers(&with_path),
            ["https://idp.example/realms/shop"]
        );
    }
}
