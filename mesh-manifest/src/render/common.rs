//! Small helpers shared by the renderers: reading chart values the way Helm templates do.

use mesh_core::Value;

static NULL: Value = Value::Null;

/// The value at a dotted path (`global.proxy.image`), or `null` when any step is missing.
/// Keys containing dots cannot be addressed this way; index the map directly for those.
pub fn get<'a>(values: &'a Value, path: &str) -> &'a Value {
    let mut cur = values;
    for key in path.split('.').filter(|k| !k.is_empty()) {
        cur = match cur {
            Value::Object(map) => map.get(key).unwrap_or(&NULL),
            _ => &NULL,
        };
    }
    cur
}

/// Go template truthiness: false, 0, "", null, empty list and empty map are false.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// The string at `path`, or `""` when it is missing or not a string (Helm prints missing as empty).
pub fn str_at<'a>(values: &'a Value, path: &str) -> &'a str {
    get(values, path).as_str().unwrap_or("")
}

/// Helm's `default`: the value at `path` when truthy, else `fallback`.
pub fn or_default<'a>(values: &'a Value, path: &str, fallback: &'a Value) -> &'a Value {
    let v = get(values, path);
    if truthy(v) { v } else { fallback }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn get_walks_maps_and_yields_null_when_missing() {
        let v = json!({"global": {"proxy": {"image": "proxyv2"}}});
        assert_eq!(get(&v, "global.proxy.image"), &json!("proxyv2"));
        assert_eq!(get(&v, "global.missing.image"), &Value::Null);
        assert_eq!(str_at(&v, "global.proxy"), "");
    }

    #[test]
    fn truthiness_follows_go_templates() {
        for (v, want) in [
            (json!(null), false),
            (json!(0), false),
            (json!(0.0), false),
            (json!(""), false),
            (json!([]), false),
            (json!({}), false),
            (json!(false), false),
            (json!(1), true),
            (json!("x"), true),
            (json!([0]), true),
            (json!({"a": 1}), true),
        ] {
            assert_eq!(truthy(&v), want, "{v}");
        }
    }
}
