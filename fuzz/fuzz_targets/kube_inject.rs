//! Fuzzes kube-inject over arbitrary YAML streams: errors or output, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[path = "common_injector.rs"]
mod common_injector;

fuzz_target!(|data: &[u8]| {
    static INJECTOR: OnceLock<mesh_inject::Injector> = OnceLock::new();
    let injector = INJECTOR.get_or_init(common_injector::injector);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = injector.kube_inject(text, "fuzz.yaml");
});
