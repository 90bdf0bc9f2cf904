// The request is an OpenID Connect request: `scope` contains `openid` (OIDC Core §3.1.2.1).
// Scopes we do not know are dropped from the grant (RFC 6749 §3.3 lets us narrow it).

use crate::provider::error::OAuthError;
use crate::provider::params::Params;

/// The scopes this provider grants, in a stable order.
pub const SUPPORTED_SCOPES: [&str; 5] = ["openid", "profile", "email", "address", "phone"];

/// Returns the granted scope, space-separated.
pub fn openid_scope_present(params: &Params) -> Result<String, OAuthError> {
    let requested: Vec<&str> = params
        .get("scope")?
        .unwrap_or_default()
        .split(' ')
        .collect();
    if !requested.contains(&"openid") {
        return Err(OAuthError::InvalidScope("the openid scope is required"));
    }
    let granted: Vec<&str> = SUPPORTED_SCOPES
        .into_iter()
        .filter(|s| requested.contains(s))
        .collect();
    Ok(granted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(raw: &str) -> Result<String, OAuthError> {
        openid_scope_present(&Params::parse(raw.as_bytes()).unwrap())
    }

    #[test]
    fn openid_is_required_and_unknown_scopes_are_dropped() {
        assert_eq!(
            scope("scope=openid+email+offline_access").unwrap(),
            "openid email"
        );
        assert_eq!(scope("scope=address%20openid").unwrap(), "openid address");
        assert!(matches!(
            scope("scope=email"),
            Err(OAuthError::InvalidScope(_))
        ));
        assert!(matches!(
            scope("scope=openidx"),
            Err(OAuthError::InvalidScope(_))
        ));
        assert!(matches!(scope(""), Err(OAuthError::InvalidScope(_))));
    }
}
