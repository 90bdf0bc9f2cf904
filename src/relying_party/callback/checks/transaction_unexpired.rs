// A login must be finished within the transaction's lifetime (ten minutes, handoff step 6):
// a stale tab's answer is refused even though its transaction was found, and consumed.

use crate::relying_party::callback::Login;
use crate::relying_party::callback::error::CallbackError;

pub fn transaction_unexpired(login: &Login) -> Result<(), CallbackError> {
    if login.tx.is_expired() {
        return Err(CallbackError::ExpiredTransaction);
    }
    Ok(())
}
