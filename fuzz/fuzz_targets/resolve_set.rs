//! Fuzzes `--set` typing: arbitrary `path=value` flags (one per line) resolved over the default
//! profile, so that each value is typed and validated against the schema, then rendering what
//! was accepted: errors, never a panic.
//!
//! A line starting with byte 0x01 names its path by index: the next two bytes choose one of the
//! leaves of the resolved default profile (`values.global.proxy.logLevel`, ...) and the rest of
//! the line is the value, so that the fuzzer spends its time on values of real settings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_profiles::{Inputs, resolve};
use serde_json::Value;
use std::sync::OnceLock;

/// The `--set` paths of every leaf under `spec` of the resolved default profile.
fn leaves() -> &'static [String] {
    static LEAVES: OnceLock<Vec<String>> = OnceLock::new();
    LEAVES.get_or_init(|| {
        let resolved = resolve(&Inputs::default()).expect("the default profile resolves");
        let mut out = Vec::new();
        if let Some(spec) = resolved.operator.get("spec") {
            walk(spec, String::new(), &mut out);
        }
        out
    })
}

fn walk(value: &Value, path: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                // Keys a path cannot spell plainly are left out.
                if key.is_empty() || key.contains(['.', '=', '[', ']']) {
                    continue;
                }
                let p = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(child, p, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, child) in items.iter().enumerate() {
                walk(child, format!("{path}[{i}]"), out);
            }
        }
        _ if !path.is_empty() => out.push(path),
        _ => {}
    }
}

fn flag(line: &str) -> String {
    let leaves = leaves();
    match line.as_bytes() {
        [1, hi, lo, ..] if !leaves.is_empty() && line.is_char_boundary(3) => {
            let i = usize::from(u16::from_be_bytes([*hi, *lo])) % leaves.len();
            format!("{}={}", leaves[i], &line[3..])
        }
        _ => line.to_string(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let flags: Vec<String> = text.split('\n').take(8).map(flag).collect();
    if let Ok(resolved) = resolve(&Inputs::with_sets(flags)) {
        let _ = generate(&resolved, &GenerateOptions::default());
    }
});
