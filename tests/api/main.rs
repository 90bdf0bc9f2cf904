//! HTTP tests against the real application: real router, real port, real databases.

#[path = "../common"]
mod common {
    pub mod app;
    pub mod browser;
    pub mod checkout;
    pub mod database;
    pub mod deployment;
    pub mod html;
    pub mod oauth;
    pub mod rogue;
    pub mod storefront;
}

mod basket_ownership;
mod checkout_api;
mod checkout_flags;
mod checkout_handoff;
mod checkout_journey;
mod checkout_pages;
mod checkout_trust;
mod conformance;
mod conformance_client;
mod cookie_binding;
mod locales;
mod logout;
mod operations;
mod operators;
mod provider_concurrency;
mod provider_discovery;
mod provider_expiry;
mod provider_flow;
mod provider_malformed;
mod provider_par;
mod provider_refusals;
mod provider_stores;
mod relying_party;
mod relying_party_oidc_provider;
mod relying_party_store;
mod storefront;
mod throttling;
mod webhooks;
