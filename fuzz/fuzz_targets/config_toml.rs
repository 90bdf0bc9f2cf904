//! The configuration file (`serve --config FILE`): a TOML document layered over `serve`'s
//! defaults by `Settings::load` (parse, merge, secret files, validation), then resolved into
//! the running `Config` as `serve` does once its port is known (`src/config.rs`).
//!
//! Properties: nothing panics; a refused file is an error; in a resolved configuration
//! every store is the one found by its id and the one found by its host.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shared_checkout::config::{Config, Settings};

fuzz_target!(|data: &[u8]| {
    // `Settings::load` reads a file, as `serve` does; one per fuzzing process.
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    let file = FILE.get_or_init(|| {
        std::env::temp_dir().join(format!("shared-checkout-fuzz-{}.toml", std::process::id()))
    });
    std::fs::write(file, data).expect("writing the configuration file");
    let base = Settings::serve_defaults(
        std::path::Path::new("/nonexistent/data"),
        "127.0.0.1:8080".parse().expect("an address"),
    );
    let Ok(settings) = Settings::load(base, Some(file)) else {
        return;
    };
    let Ok(config) = Config::resolve(&settings, 8080) else {
        return;
    };
    // Requests find their store by `Host` and rows by store id: two stores answering to
    // one of either would share customers, baskets and orders.
    for store in &config.stores {
        let by_id = config.store(&store.id).map(|s| &s.host);
        assert_eq!(
            by_id,
            Some(&store.host),
            "store id {} configured twice",
            store.id
        );
        let by_host = config.store_by_host(&store.host).map(|s| &s.id);
        assert_eq!(
            by_host,
            Some(&store.id),
            "host {} configured twice",
            store.host
        );
        assert_ne!(
            store.host, config.checkout.host,
            "a store on the checkout's host"
        );
    }
});
