//! Fuzzes IstioOperator file parsing, merging and validation: errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesh_profiles::{InputFile, Inputs, merge_inputs};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let inputs = Inputs {
        files: vec![InputFile {
            name: "fuzz.yaml".into(),
            text: text.to_string(),
        }],
        ..Inputs::default()
    };
    let _ = merge_inputs(&inputs);
});
