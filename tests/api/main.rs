//! HTTP tests against the real application: real router, real port, real databases.

mod helpers;
mod operations;
mod relying_party;
mod relying_party_oidc_provider;
mod relying_party_store;
mod rp_helpers;
