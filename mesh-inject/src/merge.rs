//! Kubernetes strategic merge of a pod overlay onto a pod: maps merge, lists with a merge key
//! (containers, volumes, env, ports, volume mounts, ...) merge item by item (new items appended),
//! other lists and scalars are replaced, `null` deletes, `$patch: replace|delete` directives apply.

use mesh_core::Value;
use serde_json::Map;

const PATCH_DIRECTIVE: &str = "$patch";

/// The merge key of a list field of a pod, given the field name and the name of the object
/// holding it; `None` for lists that are replaced as a whole.
fn merge_key(field: &str, holder: Holder) -> Option<&'static str> {
    match (holder, field) {
        (
            Holder::PodSpec,
            "containers"
            | "initContainers"
            | "ephemeralContainers"
            | "volumes"
            | "imagePullSecrets"
            | "resourceClaims"
            | "schedulingGates",
        ) => Some("name"),
        (Holder::PodSpec, "hostAliases") => Some("ip"),
        (Holder::PodSpec, "topologySpreadConstraints") => Some("topologyKey"),
        (Holder::Container, "env" | "resizePolicy") => Some(if field == "env" {
            "name"
        } else {
            "resourceName"
        }),
        (Holder::Container, "ports") => Some("containerPort"),
        (Holder::Container, "volumeMounts") => Some("mountPath"),
        (Holder::Container, "volumeDevices") => Some("devicePath"),
        _ => None,
    }
}

/// What kind of object holds the field being merged (decides the list merge keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    Pod,
    PodSpec,
    Container,
    Other,
}

fn child_holder(holder: Holder, field: &str) -> Holder {
    match (holder, field) {
        (Holder::Pod, "spec") => Holder::PodSpec,
        (Holder::PodSpec, "containers" | "initContainers" | "ephemeralContainers") => {
            Holder::Container
        }
        _ => Holder::Other,
    }
}

/// Merges `patch` (a pod: `metadata` and `spec`) into `target` (a pod) with strategic merge rules.
pub fn merge_pod(target: &mut Value, patch: Value) {
    merge_value(target, patch, Holder::Pod, true);
}

/// [`merge_pod`] for a patch known to hold no `$patch` directives (mesh's own overlays): skips
/// looking for them.
pub fn merge_pod_plain(target: &mut Value, patch: Value) {
    merge_value(target, patch, Holder::Pod, false);
}

fn merge_value(target: &mut Value, patch: Value, holder: Holder, directives: bool) {
    match (target, patch) {
        (Value::Object(t), Value::Object(mut p)) => {
            if directives && p.get(PATCH_DIRECTIVE).and_then(Value::as_str) == Some("replace") {
                p.remove(PATCH_DIRECTIVE);
                let mut replaced = Value::Object(p);
                strip_directives(&mut replaced);
                *t = match replaced {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                return;
            }
            merge_map(t, p, holder, directives);
        }
        (t, mut p) => {
            if directives {
                strip_directives(&mut p);
            }
            *t = p;
        }
    }
}

fn merge_map(
    target: &mut Map<String, Value>,
    patch: Map<String, Value>,
    holder: Holder,
    directives: bool,
) {
    for (key, pv) in patch {
        if directives && key == PATCH_DIRECTIVE {
            continue;
        }
        if pv.is_null() {
            target.remove(&key);
            continue;
        }
        let child = child_holder(holder, &key);
        let list_key = merge_key(&key, holder);
        match (target.get_mut(&key), pv) {
            (Some(Value::Array(tl)), Value::Array(mut pl)) => match list_key {
                Some(mk) => merge_list(tl, pl, mk, child, directives),
                None => {
                    if directives {
                        pl.iter_mut().for_each(strip_directives);
                    }
                    *tl = pl;
                }
            },
            (Some(tv @ Value::Object(_)), pv @ Value::Object(_)) => {
                merge_value(tv, pv, child, directives)
            }
            (_, mut pv) => {
                if directives {
                    if let (Value::Array(pl), Some(_)) = (&mut pv, list_key) {
                        pl.retain(|item| !is_delete(item));
                    }
                    strip_directives(&mut pv);
                }
                target.insert(key, pv);
            }
        }
    }
}

/// Merges a keyed list. Items are merged by key; the result keeps the patch's order for the
/// patched items and slots the items only the target has in between, by their original order
/// (Kubernetes' "enforce the order" step of strategic merge).
fn merge_list(
    target: &mut Vec<Value>,
    patch: Vec<Value>,
    key: &str,
    holder: Holder,
    directives: bool,
) {
    let original_keys: Vec<Option<Value>> = target.iter().map(|t| t.get(key).cloned()).collect();
    let index_in = |keys: &[Option<Value>], v: &Value| -> Option<usize> {
        let k = v.get(key)?;
        keys.iter()
            .position(|o| o.as_ref().is_some_and(|o| same_key(o, k)))
    };
    let mut merged = std::mem::take(target);
    let mut patch_keys: Vec<Option<Value>> = Vec::with_capacity(patch.len());
    for mut item in patch {
        let Some(kv) = item.get(key).cloned() else {
            continue;
        };
        let pos = merged
            .iter()
            .position(|t| t.get(key).is_some_and(|tk| same_key(tk, &kv)));
        if directives && is_delete(&item) {
            if let Some(i) = pos {
                merged.remove(i);
            }
            continue;
        }
        patch_keys.push(Some(kv));
        match pos {
            Some(i) => merge_value(&mut merged[i], item, holder, directives),
            None => {
                if directives {
                    strip_directives(&mut item);
                }
                merged.push(item);
            }
        }
    }
    if original_keys.is_empty() {
        *target = merged;
        return;
    }
    *target = enforce_order(
        merged,
        |v| index_in(&patch_keys, v),
        |v| index_in(&original_keys, v),
    );
}

/// Kubernetes' "enforce the order" step of strategic merge: the patched items (those with a
/// position in the patch) keep the patch's order, and the items only the target had are
/// slotted in between by their original position.
pub(crate) fn enforce_order<T>(
    merged: Vec<T>,
    patch_index: impl Fn(&T) -> Option<usize>,
    original_index: impl Fn(&T) -> Option<usize>,
) -> Vec<T> {
    let (mut patched, mut target_only): (Vec<T>, Vec<T>) =
        merged.into_iter().partition(|v| patch_index(v).is_some());
    patched.sort_by_key(|v| patch_index(v));
    target_only.sort_by_key(|v| original_index(v));
    let mut out = Vec::with_capacity(patched.len() + target_only.len());
    let (mut left, mut right) = (
        target_only.into_iter().peekable(),
        patched.into_iter().peekable(),
    );
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => matches!(
                (original_index(l), original_index(r)),
                (Some(li), Some(ri)) if li < ri
            ),
        };
        out.extend(if take_left { left.next() } else { right.next() });
    }
    out
}

/// Merge keys compare by value; a port written as a string matches the same number.
pub(crate) fn same_key(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // The common case (names): two strings match only when equal, no need to print them.
        (Value::String(x), Value::String(y)) => x == y,
        _ => a == b || mesh_core::go::scalar_string(a) == mesh_core::go::scalar_string(b),
    }
}

fn is_delete(item: &Value) -> bool {
    item.get(PATCH_DIRECTIVE).and_then(Value::as_str) == Some("delete")
}

/// Removes `$patch` directives left in a value that is inserted as a whole.
fn strip_directives(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove(PATCH_DIRECTIVE);
            m.values_mut().for_each(strip_directives);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_directives),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_containers_by_name_and_appends_new_ones() {
        let mut pod = json!({"spec": {"containers": [
            {"name": "app", "image": "a", "env": [{"name": "X", "value": "1"}]},
            {"name": "istio-proxy", "image": "auto", "args": ["-c", "x"]}
        ]}});
        let patch = json!({"spec": {"containers": [
            {"name": "istio-proxy", "image": "proxy", "args": ["proxy"], "env": [{"name": "A", "value": "b"}]},
            {"name": "new", "image": "n"}
        ], "volumes": [{"name": "v", "emptyDir": {}}]}});
        merge_pod(&mut pod, patch);
        assert_eq!(
            pod,
            json!({"spec": {"containers": [
                {"name": "app", "image": "a", "env": [{"name": "X", "value": "1"}]},
                {"name": "istio-proxy", "image": "proxy", "args": ["proxy"], "env": [{"name": "A", "value": "b"}]},
                {"name": "new", "image": "n"}
            ], "volumes": [{"name": "v", "emptyDir": {}}]}})
        );
    }

    #[test]
    fn merges_env_by_name_and_ports_by_number() {
        let mut pod = json!({"spec": {"containers": [{"name": "c",
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
            "ports": [{"containerPort": 80, "name": "http"}]}]}});
        let patch = json!({"spec": {"containers": [{"name": "c",
            "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
            "ports": [{"containerPort": 80, "protocol": "TCP"}]}]}});
        merge_pod(&mut pod, patch);
        assert_eq!(
            pod["spec"]["containers"][0]["env"],
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "3"}, {"name": "C", "value": "4"}])
        );
        assert_eq!(
            pod["spec"]["containers"][0]["ports"],
            json!([{"containerPort": 80, "name": "http", "protocol": "TCP"}])
        );
    }

    #[test]
    fn null_deletes_and_replace_directive_replaces() {
        let mut pod =
            json!({"metadata": {"labels": {"a": "1", "b": "2"}, "annotations": {"x": "y"}}});
        let patch = json!({"metadata": {"labels": {"$patch": "replace", "foo": "bar"}, "annotations": {"x": null}}});
        merge_pod(&mut pod, patch);
        assert_eq!(
            pod,
            json!({"metadata": {"labels": {"foo": "bar"}, "annotations": {}}})
        );
    }

    #[test]
    fn args_are_replaced_not_merged() {
        let mut pod = json!({"spec": {"containers": [{"name": "c", "args": ["a", "b"]}]}});
        merge_pod(
            &mut pod,
            json!({"spec": {"containers": [{"name": "c", "args": ["z"]}]}}),
        );
        assert_eq!(pod["spec"]["containers"][0]["args"], json!(["z"]));
    }
}
