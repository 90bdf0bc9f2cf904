//! The authorization endpoint's checks, one rule per file, in the order the endpoint runs
//! them (see `provider/mod.rs`). The first two render their errors; the rest may redirect.

mod basket_belongs_to_customer;
mod basket_open_in_store;
mod client_is_registered;
mod no_request_objects;
mod openid_scope_present;
mod parameters_are_single;
mod pkce_s256_present;
mod prompt_and_max_age;
mod pushed_when_required;
mod redirect_uri_exact_match;
mod response_type_is_code;

pub use basket_belongs_to_customer::basket_belongs_to_customer;
pub use basket_open_in_store::basket_open_in_store;
pub use client_is_registered::{client_id, client_is_registered};
pub use no_request_objects::no_request_objects;
pub use openid_scope_present::{SUPPORTED_SCOPES, openid_scope_present};
pub use parameters_are_single::parameters_are_single;
pub use pkce_s256_present::pkce_s256_present;
pub use prompt_and_max_age::{Prompt, SessionParams, prompt_and_max_age};
pub use pushed_when_required::pushed_when_required;
pub use redirect_uri_exact_match::{
    VerifiedRedirect, redirect_uri_exact_match, registered_redirect,
};
pub use response_type_is_code::response_type_is_code;
