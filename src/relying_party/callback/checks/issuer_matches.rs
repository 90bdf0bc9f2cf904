// RFC 9207 §2.4: `iss` must be exactly the issuer we sent the shopper to, as stored with
// the transaction; never one taken from this response (mix-up defence). An answer without
// `iss` is refused too.

use crate::relying_party::callback::Login;
use crate::relying_party::callback::error::CallbackError;

pub fn issuer_matches(login: &Login) -> Result<(), CallbackError> {
    if !names_expected_issuer(login) {
        return Err(CallbackError::IssuerMismatch);
    }
    Ok(())
}

pub(super) fn names_expected_issuer(login: &Login) -> bool {
    login.answer.iss.as_deref() == Some(login.tx.issuer.as_str())
}

#[cfg(test)]
mod tests {
    use super::issuer_matches;
    use crate::relying_party::callback::{CallbackParams, test_login};

    #[test]
    fn only_the_transactions_issuer_exactly_passes() {
        for (iss, accepted) in [
            (Some("https://site3.test"), true),
            (Some("https://site3.test/"), false),
            (Some("https://evil.test"), false),
            (None, false),
        ] {
            let login = test_login(CallbackParams {
                iss: iss.map(str::to_owned),
                ..CallbackParams::default()
            });
            assert_eq!(issuer_matches(&login).is_ok(), accepted, "iss {iss:?}");
        }
    }
}
