// An error response (RFC 6749 §4.1.2.1) ends the login. The provider's own words
// (`error_description`) are shown only when the answer names the expected issuer
// (RFC 9207 §2.4), so another provider cannot put its text on the page.

use super::issuer_matches::names_expected_issuer;
use crate::relying_party::callback::Login;
use crate::relying_party::callback::error::CallbackError;

pub fn not_an_error_response(login: &Login) -> Result<(), CallbackError> {
    let Some(error) = &login.answer.error else {
        return Ok(());
    };
    let description = login
        .answer
        .error_description
        .clone()
        .filter(|_| names_expected_issuer(login));
    Err(CallbackError::ErrorResponse {
        error: error.clone(),
        description,
    })
}

#[cfg(test)]
mod tests {
    use super::not_an_error_response;
    use crate::relying_party::callback::error::CallbackError;
    use crate::relying_party::callback::{CallbackParams, test_login};

    fn description_shown(iss: Option<&str>) -> Option<String> {
        let login = test_login(CallbackParams {
            iss: iss.map(str::to_owned),
            error: Some("access_denied".to_owned()),
            error_description: Some("no thanks".to_owned()),
            ..CallbackParams::default()
        });
        match not_an_error_response(&login) {
            Err(CallbackError::ErrorResponse { description, .. }) => description,
            _ => panic!("an error response is refused as one"),
        }
    }

    #[test]
    fn the_providers_words_are_kept_only_from_the_expected_issuer() {
        assert_eq!(
            description_shown(Some("https://site3.test")).as_deref(),
            Some("no thanks")
        );
        assert_eq!(description_shown(Some("https://evil.test")), None);
        assert_eq!(description_shown(None), None);
    }

    #[test]
    fn an_answer_with_a_code_passes() {
        let login = test_login(CallbackParams {
            code: Some("code".to_owned()),
            ..CallbackParams::default()
        });
        assert!(not_an_error_response(&login).is_ok());
    }
}
