//! The authorization endpoint's parameters (`GET|POST /authorize`): the raw query string or
//! form body through `Params::parse`, then every check that reads only the parameters, in
//! the endpoint's order (`src/provider/authorize/checks/`).
//!
//! Properties: nothing panics; every parameter reads as `url::form_urlencoded` (the WHATWG
//! decoder browsers and clients encode for) reads it, or the request is refused as a whole;
//! a refused request is a typed `ParamError`; what the checks accept is well-formed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared_checkout::provider::authorize::checks::{
    Prompt, SUPPORTED_SCOPES, SessionParams, no_request_objects, openid_scope_present,
    parameters_are_single, pkce_s256_present, prompt_and_max_age, response_type_is_code,
};
use shared_checkout::provider::params::{MAX_VALUE_LEN, ParamError, Params};
use shared_checkout::provider::pkce;

/// Every parameter the authorization and token endpoints read by name.
const NAMES: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
    "basket_id",
    "request",
    "request_uri",
];

fuzz_target!(|data: &[u8]| {
    let params = match Params::parse(data) {
        Ok(params) => params,
        Err(ParamError::BadEncoding | ParamError::BadUtf8 | ParamError::TooMany) => return,
        Err(other) => panic!("parsing refused with a reading error: {other:?}"),
    };
    let reference: Vec<(String, String)> = url::form_urlencoded::parse(data)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    for &name in NAMES {
        let mut values = reference.iter().filter(|(n, _)| n == name).map(|(_, v)| v);
        let expected = match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(_), Some(_)) => Err(ParamError::Duplicate(name)),
            (Some(v), None) if v.len() > MAX_VALUE_LEN => Err(ParamError::TooLong(name)),
            (Some(v), None) if v.is_empty() => Ok(None),
            (Some(v), None) => Ok(Some(v.as_str())),
        };
        assert_eq!(params.get(name), expected, "{name} read differently");
    }

    // The endpoint's order; each refusal is an OAuth error with a fixed code.
    let checks = || -> Result<(), shared_checkout::provider::OAuthError> {
        parameters_are_single(&params)?;
        response_type_is_code(&params)?;
        no_request_objects(&params)?;
        let scope = openid_scope_present(&params)?;
        let granted: Vec<&str> = scope.split(' ').collect();
        assert_eq!(granted.first(), Some(&"openid"));
        assert!(granted.iter().all(|s| SUPPORTED_SCOPES.contains(s)));
        let challenge = pkce_s256_present(&params)?;
        assert!(pkce::is_valid_s256_challenge(&challenge));
        let session = prompt_and_max_age(&params)?;
        check_session(&session);
        Ok(())
    };
    if let Err(error) = checks() {
        assert!(!error.code().is_empty() && !error.description().is_empty());
    }
});

/// What `prompt_and_max_age` accepted is what the pending request stores as JSON.
fn check_session(session: &SessionParams) {
    assert!(session.max_age.is_none_or(|age| age >= 0));
    if let Some(hint) = &session.login_hint {
        assert!(hint.chars().count() <= 254 && !hint.chars().any(char::is_control));
    }
    let json = serde_json::to_string(session).expect("session parameters serialize");
    let back: SessionParams = serde_json::from_str(&json).expect("and read back");
    assert_eq!(&back, session);
    if session.prompt == Some(Prompt::Login) {
        assert!(!session.session_is_fresh_enough(0, 0));
    }
}
