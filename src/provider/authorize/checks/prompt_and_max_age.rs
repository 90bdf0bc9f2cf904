// `prompt` is `none` or `login` (never both, OIDC Core §3.1.2.1), `max_age` a number of
// seconds, `login_hint` only a hint: what decides whether the customer must log in again.

use serde::{Deserialize, Serialize};

use crate::provider::error::OAuthError;
use crate::provider::params::Params;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Prompt {
    /// Never show a page: answer `login_required` if a login would be needed.
    None,
    /// Always ask for the password, even with a session.
    Login,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionParams {
    pub prompt: Option<Prompt>,
    pub max_age: Option<i64>,
    /// Pre-fills the email field; an email is at most 254 characters (RFC 5321 §4.5.3.1).
    pub login_hint: Option<String>,
}

/// `consent` and `select_account` are refused rather than silently ignored: we have no
/// consent screen or account chooser, and OIDC gives ignoring them no meaning.
pub fn prompt_and_max_age(params: &Params) -> Result<SessionParams, OAuthError> {
    let prompt = match params.get("prompt")? {
        None => None,
        Some(raw) => {
            let values: Vec<&str> = raw.split(' ').filter(|v| !v.is_empty()).collect();
            match values.as_slice() {
                [] => None,
                ["none"] => Some(Prompt::None),
                ["login"] => Some(Prompt::Login),
                v if v.contains(&"none") => {
                    return Err(OAuthError::InvalidRequest(
                        "prompt=none cannot be combined with other values",
                    ));
                }
                _ => return Err(OAuthError::InvalidRequest("unsupported prompt value")),
            }
        }
    };
    let max_age = match params.get("max_age")? {
        None => None,
        Some(raw) if raw.len() <= 10 && raw.bytes().all(|b| b.is_ascii_digit()) => Some(
            raw.parse()
                .map_err(|_| OAuthError::InvalidRequest("max_age is not a number"))?,
        ),
        Some(_) => {
            return Err(OAuthError::InvalidRequest(
                "max_age must be a non-negative number of seconds",
            ));
        }
    };
    let login_hint = params
        .get("login_hint")?
        .map(str::trim)
        .filter(|h| h.chars().count() <= 254 && !h.chars().any(char::is_control))
        .map(str::to_owned);
    Ok(SessionParams {
        prompt,
        max_age,
        login_hint,
    })
}

impl SessionParams {
    /// Whether a session that authenticated at `auth_time` is good enough now.
    pub fn session_is_fresh_enough(&self, auth_time: i64, now: i64) -> bool {
        if self.prompt == Some(Prompt::Login) {
            return false;
        }
        // OIDC Core §3.1.2.1: re-authenticate when more than max_age seconds have passed.
        self.max_age
            .is_none_or(|max_age| now - auth_time <= max_age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<SessionParams, OAuthError> {
        prompt_and_max_age(&Params::parse(raw.as_bytes()).unwrap())
    }

    #[test]
    fn prompt_values() {
        assert_eq!(parse("prompt=none").unwrap().prompt, Some(Prompt::None));
        assert_eq!(parse("prompt=login").unwrap().prompt, Some(Prompt::Login));
        assert_eq!(parse("").unwrap().prompt, None);
        for bad in [
            "prompt=none+login",
            "prompt=consent",
            "prompt=none%20consent",
        ] {
            assert!(
                matches!(parse(bad), Err(OAuthError::InvalidRequest(_))),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn max_age_is_a_non_negative_integer() {
        assert_eq!(parse("max_age=0").unwrap().max_age, Some(0));
        assert_eq!(parse("max_age=3600").unwrap().max_age, Some(3600));
        for bad in [
            "max_age=-1",
            "max_age=1.5",
            "max_age=abc",
            "max_age=99999999999",
        ] {
            assert!(parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn freshness_follows_prompt_and_max_age() {
        let now = 1_000_000;
        assert!(parse("").unwrap().session_is_fresh_enough(0, now));
        assert!(
            !parse("prompt=login")
                .unwrap()
                .session_is_fresh_enough(now, now)
        );
        assert!(
            parse("max_age=60")
                .unwrap()
                .session_is_fresh_enough(now - 60, now)
        );
        assert!(
            !parse("max_age=60")
                .unwrap()
                .session_is_fresh_enough(now - 61, now)
        );
        assert!(
            !parse("max_age=0")
                .unwrap()
                .session_is_fresh_enough(now - 1, now)
        );
    }

    #[test]
    fn login_hint_is_kept_only_when_plausible() {
        assert_eq!(
            parse("login_hint=alice%40example.com")
                .unwrap()
                .login_hint
                .as_deref(),
            Some("alice@example.com")
        );
        let long = format!("login_hint={}", "a".repeat(255));
        assert_eq!(parse(&long).unwrap().login_hint, None);
    }
}
