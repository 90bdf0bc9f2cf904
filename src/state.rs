//! What every handler may use. Built once by `app::Application::build`; routers take it
//! from here, so no module below `app` imports `app`. Anything another node needs lives in
//! the database; what is here is configuration, keys, clients and per-node caches.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::config::Config;
use crate::db::Db;
use crate::keys::{SigningKeys, StoreKeys};
use crate::passwords::HashingQueue;
use crate::payment::Gateways;
use crate::store_providers::StoreProviders;
use crate::web::{RateLimits, SignedValues};

/// Everything a handler may need.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    /// Each store provider's own signing keys.
    pub keys: Arc<StoreKeys>,
    /// The checkout's own keys (private_key_jwt client assertions), kept apart from the stores'.
    pub checkout_keys: Arc<SigningKeys>,
    /// The stores' providers as the checkout knows them (discovery and keys, cached).
    pub store_providers: Arc<StoreProviders>,
    pub payments: Arc<Gateways>,
    /// Back-channel client; resolves `*.localhost` to loopback (RFC 6761).
    pub http: reqwest::Client,
    pub limits: Arc<RateLimits>,
    /// Argon2 behind a bounded queue: one hash per core, a few waiting, the rest 503.
    pub hashing: Arc<HashingQueue>,
    pub csrf: axum_csrf::CsrfConfig,
    /// Recognises values this deployment issued (the checkout's login binding).
    pub signed: Arc<SignedValues>,
}

impl FromRef<AppState> for axum_csrf::CsrfConfig {
    fn from_ref(state: &AppState) -> Self {
        state.csrf.clone()
    }
}

impl FromRef<AppState> for Arc<Config> {
    fn from_ref(state: &AppState) -> Self {
        state.config.clone()
    }
}
