//! shared-checkout: one checkout for many stores, with login handed off to each store
//! through OpenID Connect. See `docs/architecture.md` for the map.

pub mod accounts;
pub mod app;
pub mod catalog;
pub mod check;
pub mod checkout;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod i18n;
pub mod keys;
#[cfg(test)]
mod layers;
pub mod ops;
pub mod passwords;
pub mod payment;
pub mod placeorder;
pub mod provider;
pub mod registration;
pub mod relying_party;
pub mod secrets;
pub mod state;
pub mod store;
pub mod store_providers;
pub mod telemetry;
pub mod web;
pub mod webhooks;
