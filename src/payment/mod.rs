//! Payment gateways behind one trait.

/// The gateways this deployment offers.
#[derive(Default)]
pub struct Gateways;
