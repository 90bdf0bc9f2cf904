//! What the fuzz targets share.

use std::sync::OnceLock;

use tokio::runtime::Runtime;

/// One current-thread runtime for every run of a target: the axum extractors it drives
/// only await a body that is already in memory.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}
