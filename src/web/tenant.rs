use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;

use super::{WebError, host_of};
use crate::config::{Config, StoreConfig};

/// The store whose site this request is for, resolved from `Host`; unknown hosts are a 404.
pub struct StoreTenant(pub StoreConfig);

impl<S> FromRequestParts<S> for StoreTenant
where
    S: Send + Sync,
    Arc<Config>: FromRef<S>,
{
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WebError> {
        let config = Arc::<Config>::from_ref(state);
        host_of(&parts.headers, &parts.uri)
            .and_then(|host| config.store_by_host(&host).cloned())
            .map(StoreTenant)
            .ok_or(WebError::NotFound("store"))
    }
}

impl std::ops::Deref for StoreTenant {
    type Target = StoreConfig;
    fn deref(&self) -> &StoreConfig {
        &self.0
    }
}
