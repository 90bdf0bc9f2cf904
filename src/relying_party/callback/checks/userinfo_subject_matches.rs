// OIDC Core §5.3.2: the userinfo `sub` must be the ID token's, or the profile is someone
// else's. The crate compares it when given the expected subject.

use anyhow::Context;
use openidconnect::core::CoreGenderClaim;
use openidconnect::{AccessToken, EmptyAdditionalClaims, OAuth2TokenResponse, UserInfoClaims};

use super::{Exchanged, VerifiedIdToken};
use crate::relying_party::callback::error::CallbackError;
use crate::state::AppState;

pub type UserInfo = UserInfoClaims<EmptyAdditionalClaims, CoreGenderClaim>;

pub async fn userinfo_subject_matches(
    state: &AppState,
    exchanged: &Exchanged,
    id_token: &VerifiedIdToken,
) -> Result<UserInfo, CallbackError> {
    exchanged
        .client
        .user_info(
            AccessToken::new(exchanged.tokens.access_token().secret().clone()),
            Some(id_token.claims.subject().clone()),
        )
        .request_async(&state.http)
        .await
        .context("userinfo refused")
        .map_err(CallbackError::VerificationFailed)
}
