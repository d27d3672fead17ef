//! Fuzzes the `-f` reader end to end: arbitrary bytes as IstioOperator files (up to three,
//! separated by NUL bytes, like `-f a -f b -f c`) through the whole resolution (parsing, kind
//! checks, layering over the profile, schema and values validation, component values), then
//! rendering what was accepted: errors, never a panic. `istio_operator` stops at the merge.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_profiles::{InputFile, Inputs, resolve};

fuzz_target!(|data: &[u8]| {
    let mut files = Vec::new();
    for (i, part) in data.split(|b| *b == 0).take(3).enumerate() {
        // meshctl reads files as UTF-8 text; other bytes never reach the resolver.
        match std::str::from_utf8(part) {
            Ok(text) => files.push(InputFile {
                name: format!("fuzz-{i}.yaml"),
                text: text.to_owned(),
            }),
            Err(_) => return,
        }
    }
    let inputs = Inputs {
        files,
        ..Inputs::default()
    };
    if let Ok(resolved) = resolve(&inputs) {
        let _ = generate(&resolved, &GenerateOptions::default());
    }
});
