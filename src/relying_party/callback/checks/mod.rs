//! The callback's checks, one rule per file, in the order `callback/mod.rs` runs them.

mod basket_bound;
mod code_exchanged;
mod id_token_valid;
mod issuer_matches;
mod not_an_error_response;
mod transaction_consumed;
mod transaction_unexpired;
mod userinfo_subject_matches;

pub use basket_bound::basket_bound;
pub use code_exchanged::{Exchanged, code_exchanged};
pub use id_token_valid::{IdClaims, VerifiedIdToken, id_token_valid};
pub use issuer_matches::issuer_matches;
pub use not_an_error_response::not_an_error_response;
pub use transaction_consumed::transaction_consumed;
pub use transaction_unexpired::transaction_unexpired;
pub use userinfo_subject_matches::{UserInfo, userinfo_subject_matches};
