use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::{WebError, host_of};
use crate::app::AppState;
use crate::config::StoreConfig;

/// The store whose site this request is for, resolved from `Host`; unknown hosts are a 404.
pub struct StoreTenant(pub StoreConfig);

impl FromRequestParts<AppState> for StoreTenant {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        host_of(&parts.headers, &parts.uri)
            .and_then(|host| state.config.store_by_host(&host).cloned())
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
