//! Fuzzes the `--set` flag parser and writing the flag into a profile: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesh_core::{SetFlag, path};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(flag) = text.parse::<SetFlag>() {
        let mut doc = serde_json::json!({"spec": {"components": {"ingressGateways": [{"name": "a"}]}, "values": {"l": [1, "x"]}}});
        let _ = path::set(&mut doc, &flag.path.prefixed(&["spec"]), flag.value.clone());
        let _ = path::get(&doc, &flag.path);
        let _ = path::delete(&mut doc, &flag.path);
        // Printing a parsed path and parsing it again gives the same path.
        let again: mesh_core::Path = flag.path.to_string().parse().expect("printed paths parse");
        assert_eq!(again, flag.path);
    }
});
