//! HTTP tests against the real application: real router, real port, real databases.

mod checkout_api;
mod checkout_flags;
mod checkout_helpers;
mod checkout_journey;
mod checkout_pages;
mod helpers;
mod operations;
