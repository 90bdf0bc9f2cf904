// Handoff step 5: the code, and so the ID token, is bound to the basket the login was
// started for. The `basket_id` claim is required when the provider advertised the binding
// (recorded with the transaction); a claim that is present must match in any case.

use crate::relying_party::callback::Login;
use crate::relying_party::callback::error::CallbackError;

use super::VerifiedIdToken;

pub fn basket_bound(login: &Login, id_token: &VerifiedIdToken) -> Result<(), CallbackError> {
    let claim = id_token.claims.additional_claims().basket_id.as_deref();
    if claim_matches(
        claim,
        &login.tx.basket_id.to_string(),
        login.tx.basket_bound,
    ) {
        return Ok(());
    }
    Err(CallbackError::VerificationFailed(anyhow::anyhow!(
        "ID token refused: basket_id does not match the login's basket"
    )))
}

fn claim_matches(claim: Option<&str>, basket: &str, binding_required: bool) -> bool {
    match claim {
        Some(bound) => bound == basket,
        None => !binding_required,
    }
}

#[cfg(test)]
mod tests {
    use super::claim_matches;

    #[test]
    fn a_present_claim_must_match_and_a_required_one_be_present() {
        for (claim, required, accepted) in [
            (Some("b1"), true, true),
            (Some("b1"), false, true),
            (Some("b2"), true, false),
            (Some("b2"), false, false),
            (None, true, false),
            (None, false, true),
        ] {
            assert_eq!(
                claim_matches(claim, "b1", required),
                accepted,
                "claim {claim:?}, required {required}"
            );
        }
    }
}
