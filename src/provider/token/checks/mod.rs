//! The token endpoint's checks, one rule per file, in the order the endpoint runs them
//! (see `provider/mod.rs`).

mod client_assertion;
mod client_authenticated;
mod client_secret;
mod code_consumed_once;
mod form_is_well_formed;
mod grant_type_is_authorization_code;
mod pkce_verifier_matches;
mod redirect_uri_identical;

pub use client_assertion::{ASSERTION_ALGS, claimed_client};
pub use client_authenticated::client_authenticated;
// Public for the fuzz targets (fuzz/), which drive these parsers directly.
pub use client_secret::basic_credentials;
pub use code_consumed_once::code_consumed_once;
pub use form_is_well_formed::form_is_well_formed;
pub use grant_type_is_authorization_code::grant_type_is_authorization_code;
pub use pkce_verifier_matches::pkce_verifier_matches;
pub use redirect_uri_identical::redirect_uri_identical;
