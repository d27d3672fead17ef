//! Fuzzes the admission function with arbitrary bytes: always a well-formed response, never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[path = "common_injector.rs"]
mod common_injector;

fuzz_target!(|data: &[u8]| {
    static INJECTOR: OnceLock<mesh_inject::Injector> = OnceLock::new();
    let injector = INJECTOR.get_or_init(common_injector::injector);
    let admission = mesh_inject::admission::review(data, injector);
    let bytes = admission.to_bytes();
    let parsed: serde_json::Value = serde_json::from_slice(&bytes).expect("responses are JSON");
    assert!(
        parsed.get("response").is_some(),
        "every answer has a response"
    );
});
