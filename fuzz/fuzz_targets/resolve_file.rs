//! Fuzzes the `-f` reader end to end: arbitrary bytes as an IstioOperator file through the whole
//! resolution (parsing, kind checks, merging over the profile, schema and values validation,
//! component values), then rendering what was accepted: errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_profiles::{InputFile, Inputs, resolve};

fuzz_target!(|data: &[u8]| {
    // Files are read as UTF-8 text, as meshctl does.
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
    if let Ok(resolved) = resolve(&inputs) {
        let _ = generate(&resolved, &GenerateOptions::default());
    }
});
