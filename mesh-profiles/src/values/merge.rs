//! The value merges Helm charts and istioctl perform, and Go template truthiness.
//!
//! Both sprig's `mustMergeOverwrite` (as the charts use it on plain value maps) and istioctl's
//! `values.Map.MergeFrom` behave the same way on JSON-like trees: mappings merge key by key,
//! everything else (scalars, lists and `null`) replaces what was there. Notably `null` does not
//! delete a key: it is stored as `null`, which the templates then treat as empty.

use mesh_core::Value;
use serde_json::Map;

/// Merges `src` into `dst`: mappings recursively, every other value replacing.
pub fn merge_into(dst: &mut Map<String, Value>, src: &Map<String, Value>) {
    for (key, incoming) in src {
        match (dst.get_mut(key), incoming) {
            (Some(Value::Object(existing)), Value::Object(incoming)) => {
                merge_into(existing, incoming)
            }
            _ => {
                dst.insert(key.clone(), incoming.clone());
            }
        }
    }
}

/// Merges `src` into `dst` when both are mappings; a non-mapping `src` changes nothing.
pub fn merge_value_into(dst: &mut Map<String, Value>, src: &Value) {
    if let Value::Object(src) = src {
        merge_into(dst, src);
    }
}

/// Whether a value counts as set in a Go template `if`/`with` (and for sprig's `coalesce`):
/// everything except `null`, `false`, zero, and empty strings, lists and mappings.
pub use mesh_core::go::truthy;

/// The value at a path of mapping keys, if every step exists.
pub fn get_path<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |cur, key| cur.as_object()?.get(*key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn merged(dst: Value, src: Value) -> Value {
        let mut dst = dst.as_object().cloned().unwrap_or_default();
        merge_value_into(&mut dst, &src);
        Value::Object(dst)
    }

    #[test]
    fn maps_merge_and_scalars_replace() {
        let out = merged(
            json!({"a": {"b": 1, "c": 2}, "d": 1}),
            json!({"a": {"c": 3, "e": 4}, "d": "x"}),
        );
        assert_eq!(out, json!({"a": {"b": 1, "c": 3, "e": 4}, "d": "x"}));
    }

    #[test]
    fn lists_replace_even_when_empty() {
        let out = merged(json!({"l": [1, 2]}), json!({"l": []}));
        assert_eq!(out, json!({"l": []}));
    }

    #[test]
    fn null_is_stored_not_deleted() {
        let out = merged(
            json!({"r": {"cpu": "1", "mem": "2"}}),
            json!({"r": {"cpu": null}}),
        );
        assert_eq!(out, json!({"r": {"cpu": null, "mem": "2"}}));
    }

    #[test]
    fn map_replaces_scalar_and_scalar_replaces_map() {
        let out = merged(
            json!({"a": 1, "b": {"x": 1}}),
            json!({"a": {"y": 2}, "b": false}),
        );
        assert_eq!(out, json!({"a": {"y": 2}, "b": false}));
    }
}
