//! Overlay merge of value trees: maps merge key by key, lists and scalars replace.
//!
//! Two flavours, because `null` means two things in an IstioOperator. In the operator's own
//! fields, `null` deletes (RFC 7396 merge patch): `components: {egressGateways: null}` removes the
//! profile's list. Inside `spec.values` and `spec.unvalidatedValues`, which are Helm values,
//! `null` must survive the overlay: it reaches the chart and deletes the chart's default there
//! (e.g. `values.global.proxy.resources: null` removes the default proxy resources).

use crate::Value;

/// RFC 7396 merge patch: maps merge recursively, `null` deletes the key, anything else replaces.
pub fn merge_patch(base: &mut Value, patch: Value) {
    merge_with(base, patch, &mut |_| false, &mut Vec::new());
}

/// Merge that keeps `null`s: maps merge recursively and every other value, `null` included,
/// replaces (istioctl's `MergeFrom`, Helm's view of values layers).
pub fn merge_keep_nulls(base: &mut Value, over: Value) {
    merge_with(base, over, &mut |_| true, &mut Vec::new());
}

/// Overlays one IstioOperator document on another: RFC 7396 in the operator's fields, `null`s
/// kept under `spec.values` and `spec.unvalidatedValues` (see the module docs).
pub fn overlay_operator(base: &mut Value, over: Value) {
    merge_with(base, over, &mut keeps_nulls_at, &mut Vec::new());
}

fn keeps_nulls_at(path: &[String]) -> bool {
    matches!(path, [spec, section, ..] if spec == "spec" && (section == "values" || section == "unvalidatedValues"))
        && path.len() > 2
}

/// `keep_null(path)` says whether a `null` at `path` (the key's full path) is kept or deletes.
fn merge_with(
    base: &mut Value,
    over: Value,
    keep_null: &mut dyn FnMut(&[String]) -> bool,
    path: &mut Vec<String>,
) {
    match (base, over) {
        (Value::Object(bm), Value::Object(om)) => {
            for (k, ov) in om {
                path.push(k.clone());
                if ov.is_null() && !keep_null(path) {
                    bm.remove(&k);
                } else {
                    match bm.get_mut(&k) {
                        Some(bv) if bv.is_object() && ov.is_object() => {
                            merge_with(bv, ov, keep_null, path)
                        }
                        _ => {
                            bm.insert(k, strip_nulls_unless_kept(ov, keep_null, path));
                        }
                    }
                }
                path.pop();
            }
        }
        (base, over) => *base = over,
    }
}

/// A map inserted where the base had nothing follows the same null rule as a merged one.
fn strip_nulls_unless_kept(
    v: Value,
    keep_null: &mut dyn FnMut(&[String]) -> bool,
    path: &mut Vec<String>,
) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter_map(|(k, v)| {
                    path.push(k.clone());
                    let out = if v.is_null() && !keep_null(path) {
                        None
                    } else {
                        Some((k, strip_nulls_unless_kept(v, keep_null, path)))
                    };
                    path.pop();
                    out
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc7396_examples() {
        // The examples of RFC 7396, section 3 (that apply to objects).
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (mut base, patch, want) in cases {
            merge_patch(&mut base, patch.clone());
            assert_eq!(base, want, "patch {patch}");
        }
    }

    #[test]
    fn keep_nulls_overwrites_with_null() {
        let mut base = json!({"a": {"b": 1, "c": 2}});
        merge_keep_nulls(&mut base, json!({"a": {"b": null}}));
        assert_eq!(base, json!({"a": {"b": null, "c": 2}}));
    }

    #[test]
    fn operator_overlay_keeps_nulls_only_in_values() {
        let mut base = json!({"spec": {
            "components": {"egressGateways": [{"name": "e"}]},
            "values": {"global": {"proxy": {"resources": {"requests": {}}}}}
        }});
        overlay_operator(
            &mut base,
            json!({"spec": {
                "components": {"egressGateways": null},
                "values": {"global": {"proxy": {"resources": null}}, "new": {"x": null}},
                "unvalidatedValues": {"y": null}
            }}),
        );
        assert_eq!(
            base,
            json!({"spec": {
                "components": {},
                "values": {"global": {"proxy": {"resources": null}}, "new": {"x": null}},
                "unvalidatedValues": {"y": null}
            }})
        );
    }

    #[test]
    fn lists_replace_whole() {
        let mut base = json!({"l": [1, 2, 3]});
        merge_patch(&mut base, json!({"l": [4]}));
        assert_eq!(base, json!({"l": [4]}));
    }
}
