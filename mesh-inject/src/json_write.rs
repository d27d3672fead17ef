//! Compact JSON output of a value tree, byte for byte what `serde_json::to_writer` prints, with
//! a fast path for the long strings admission responses carry (the base64 patch, `PROXY_CONFIG`):
//! a string that needs no escape is copied whole instead of byte by byte.

use mesh_core::Value;

/// Appends `v` as compact JSON.
pub(crate) fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_serde(out, n),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Object(m) => {
            out.push(b'{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, k);
                out.push(b':');
                write_value(out, item);
            }
            out.push(b'}');
        }
    }
}

/// Appends a JSON string literal.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        write_serde(out, s);
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// Whether JSON needs an escape in these bytes (a quote, a backslash or a control character).
/// Whole 16-byte blocks are tested without an early exit inside a block, which the compiler
/// turns into vector compares.
fn needs_escape(bytes: &[u8]) -> bool {
    let special = |b: u8| (b < 0x20) | (b == b'"') | (b == b'\\');
    let (blocks, rest) = bytes.as_chunks::<16>();
    blocks
        .iter()
        .any(|block| block.iter().fold(false, |acc, &b| acc | special(b)))
        || rest.iter().any(|&b| special(b))
}

/// Writes through serde_json (numbers, strings with escapes): writing into a `Vec` cannot fail
/// and these types always serialise, so the result carries no information.
fn write_serde<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    let _ = serde_json::to_writer(out, v);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn same_as_serde(v: Value) {
        let mut out = Vec::new();
        write_value(&mut out, &v);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&v).unwrap()
        );
    }

    #[test]
    fn prints_what_serde_json_prints() {
        same_as_serde(json!(null));
        same_as_serde(json!({"a": [1, -2, 2.5, 1e300, true, false, null], "b": {}, "c": []}));
        same_as_serde(json!({"q\"k\\": "tab\there \u{1} \u{7f} é \"x\" \\ /", "": ""}));
        same_as_serde(json!(
            "a string longer than sixteen bytes without escapes at all"
        ));
        same_as_serde(json!(
            "a string longer than sixteen bytes with a newline at the end\n"
        ));
        same_as_serde(json!(u64::MAX));
        same_as_serde(json!(i64::MIN));
    }
}
