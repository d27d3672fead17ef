//! Kubernetes strategic merge patch over value trees, for the kinds `components.*.k8s` patches.
//!
//! Semantics follow the API server's (`k8s.io/apimachinery/pkg/util/strategicpatch`): maps merge
//! recursively and `null` deletes a key; lists replace, except the lists the Kubernetes types mark
//! as merge lists, whose items are matched by their merge key (containers, env and volumes by
//! `name`, volume mounts by `mountPath`, container ports by `containerPort`, Service ports by
//! `port`, ...). Merged lists keep the patch's order for the items it names, with the other items
//! kept where they were relative to them. The `$patch: replace|delete` directive (on maps and on list
//! items), `$retainKeys` and `$deleteFromPrimitiveList/<field>` are understood.

use mesh_core::Value;
use serde_json::Map;
use std::cmp::Ordering;

/// A strategic merge patch that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmpError {
    /// The object's kind has no known patch schema.
    #[error("strategic merge patch of {kind} ({api_version}) is not supported")]
    UnsupportedKind {
        /// The object's apiVersion.
        api_version: String,
        /// The object's kind.
        kind: String,
    },
    /// The patch uses a directive wrongly or one that is not supported.
    #[error("{path}: {message}")]
    Directive {
        /// Where in the patch.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// An item of a merge list lacks the merge key.
    #[error("{path}: list item has no merge key {key:?}")]
    MissingMergeKey {
        /// The list.
        path: String,
        /// The merge key.
        key: String,
    },
    /// A merge list mixes maps, scalars or lists.
    #[error("{path}: list items are not all of the same type")]
    MixedList {
        /// The list.
        path: String,
    },
}

/// The type a part of an object has, as far as patch strategies differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    /// Deployment, DaemonSet, StatefulSet, ReplicaSet, Job.
    Workload,
    /// `spec` of a workload.
    WorkloadSpec,
    /// `spec.template` of a workload.
    PodTemplate,
    /// A Pod.
    Pod,
    /// ObjectMeta.
    Meta,
    /// PodSpec.
    PodSpec,
    /// Container (also init and ephemeral containers).
    Container,
    /// A Service.
    Service,
    /// ServiceSpec.
    ServiceSpec,
    /// Any object kind without merge lists of its own (HPA, PDB, ConfigMap, ...).
    Plain,
    /// Anything else: maps merge, lists replace.
    Other,
}

/// How a list field is patched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListStrategy {
    /// The patch's list replaces the original.
    Replace,
    /// Items are merged: maps by this key, scalars as a set.
    Merge(&'static str),
}

fn root_type(api_version: &str, kind: &str) -> Option<Ty> {
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    Some(match (group, kind) {
        ("apps", "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet") | ("batch", "Job") => {
            Ty::Workload
        }
        ("", "Pod") => Ty::Pod,
        ("", "Service") => Ty::Service,
        ("", "ConfigMap" | "Secret" | "ServiceAccount")
        | ("autoscaling", "HorizontalPodAutoscaler")
        | ("policy", "PodDisruptionBudget") => Ty::Plain,
        _ => return None,
    })
}

/// The type of `key` inside `ty`, and how it is patched when it is a list.
fn field(ty: Ty, key: &str) -> (Ty, ListStrategy) {
    use ListStrategy::{Merge, Replace};
    match (ty, key) {
        (Ty::Workload | Ty::Pod | Ty::Service | Ty::Plain | Ty::PodTemplate, "metadata") => {
            (Ty::Meta, Replace)
        }
        (Ty::Workload, "spec") => (Ty::WorkloadSpec, Replace),
        (Ty::Pod | Ty::PodTemplate, "spec") => (Ty::PodSpec, Replace),
        (Ty::Service, "spec") => (Ty::ServiceSpec, Replace),
        (Ty::WorkloadSpec, "template") => (Ty::PodTemplate, Replace),
        (Ty::Meta, "finalizers") => (Ty::Other, Merge("")),
        (Ty::Meta, "ownerReferences") => (Ty::Other, Merge("uid")),
        (Ty::PodSpec, "containers" | "initContainers" | "ephemeralContainers") => {
            (Ty::Container, Merge("name"))
        }
        (Ty::PodSpec, "volumes" | "imagePullSecrets" | "resourceClaims" | "schedulingGates") => {
            (Ty::Other, Merge("name"))
        }
        (Ty::PodSpec, "hostAliases") => (Ty::Other, Merge("ip")),
        (Ty::PodSpec, "topologySpreadConstraints") => (Ty::Other, Merge("topologyKey")),
        (Ty::Container, "env") => (Ty::Other, Merge("name")),
        (Ty::Container, "ports") => (Ty::Other, Merge("containerPort")),
        (Ty::Container, "volumeMounts") => (Ty::Other, Merge("mountPath")),
        (Ty::Container, "volumeDevices") => (Ty::Other, Merge("devicePath")),
        (Ty::ServiceSpec, "ports") => (Ty::Other, Merge("port")),
        _ => (Ty::Other, Replace),
    }
}

/// Applies `patch` to `original` (a whole object of the given apiVersion and kind) the way
/// the API server applies a strategic merge patch.
pub fn strategic_merge(
    original: &mut Value,
    patch: &Value,
    api_version: &str,
    kind: &str,
) -> Result<(), SmpError> {
    let ty = root_type(api_version, kind).ok_or_else(|| SmpError::UnsupportedKind {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
    })?;
    match (original, patch) {
        (Value::Object(o), Value::Object(p)) => merge_map(o, p, ty, ""),
        (o, p) => {
            *o = p.clone();
            Ok(())
        }
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const DELETE_FROM_LIST: &str = "$deleteFromPrimitiveList/";
const SET_ORDER: &str = "$setElementOrder/";

fn merge_map(
    original: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    ty: Ty,
    path: &str,
) -> Result<(), SmpError> {
    if let Some(directive) = patch.get(DIRECTIVE) {
        return match directive.as_str() {
            Some("replace") => {
                *original = patch.clone();
                original.remove(DIRECTIVE);
                Ok(())
            }
            Some("delete") => {
                original.clear();
                Ok(())
            }
            _ => Err(SmpError::Directive {
                path: child(path, DIRECTIVE),
                message: format!("unknown directive {directive}"),
            }),
        };
    }
    if let Some(keys) = patch.get(RETAIN_KEYS) {
        retain_keys(original, patch, keys, path)?;
    }
    for (key, patch_value) in patch {
        if key == RETAIN_KEYS {
            continue;
        }
        if key.starts_with(SET_ORDER) {
            return Err(SmpError::Directive {
                path: child(path, key),
                message: "$setElementOrder is not supported".to_string(),
            });
        }
        if let Some(list_key) = key.strip_prefix(DELETE_FROM_LIST) {
            delete_from_list(original, list_key, patch_value, path)?;
            continue;
        }
        if patch_value.is_null() {
            original.remove(key);
            continue;
        }
        let Some(current) = original.get_mut(key) else {
            original.insert(key.clone(), patch_value.clone());
            continue;
        };
        let (child_ty, strategy) = field(ty, key);
        let here = child(path, key);
        match (current, patch_value) {
            (Value::Object(o), Value::Object(p)) => merge_map(o, p, child_ty, &here)?,
            (Value::Array(o), Value::Array(p)) => match strategy {
                ListStrategy::Replace => *o = p.clone(),
                ListStrategy::Merge(merge_key) => merge_list(o, p, merge_key, child_ty, &here)?,
            },
            (current, _) => *current = patch_value.clone(),
        }
    }
    Ok(())
}

fn retain_keys(
    original: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    keys: &Value,
    path: &str,
) -> Result<(), SmpError> {
    let bad = |message: &str| SmpError::Directive {
        path: child(path, RETAIN_KEYS),
        message: message.to_string(),
    };
    let keys: Vec<&str> = keys
        .as_array()
        .ok_or_else(|| bad("must be a list of field names"))?
        .iter()
        .map(Value::as_str)
        .collect::<Option<_>>()
        .ok_or_else(|| bad("must be a list of field names"))?;
    let outside = patch
        .iter()
        .find(|(k, v)| !v.is_null() && !k.starts_with('$') && !keys.contains(&k.as_str()));
    if let Some((k, _)) = outside {
        return Err(bad(&format!("patch sets {k}, which is not in the list")));
    }
    original.retain(|k, _| keys.contains(&k.as_str()));
    Ok(())
}

fn delete_from_list(
    original: &mut Map<String, Value>,
    list_key: &str,
    to_delete: &Value,
    path: &str,
) -> Result<(), SmpError> {
    let Some(items) = to_delete.as_array() else {
        return Err(SmpError::Directive {
            path: child(path, &format!("{DELETE_FROM_LIST}{list_key}")),
            message: "must be a list".to_string(),
        });
    };
    if let Some(Value::Array(list)) = original.get_mut(list_key) {
        list.retain(|v| !items.iter().any(|d| same(d, v)));
    }
    Ok(())
}

/// Equality as Go compares decoded JSON: every number is a float64.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        _ => a == b,
    }
}

/// The identity of a list item: its merge key's value for maps, itself for scalars.
fn item_key<'v>(item: &'v Value, merge_key: &str) -> Option<&'v Value> {
    if merge_key.is_empty() {
        Some(item)
    } else {
        item.get(merge_key)
    }
}

fn position(keys: &[&Value], key: &Value) -> Option<usize> {
    keys.iter().position(|k| same(k, key))
}

#[derive(PartialEq)]
enum ItemType {
    Map,
    List,
    Scalar,
}

fn item_type(v: &Value) -> ItemType {
    match v {
        Value::Object(_) => ItemType::Map,
        Value::Array(_) => ItemType::List,
        _ => ItemType::Scalar,
    }
}

fn merge_list(
    original: &mut Vec<Value>,
    patch: &[Value],
    merge_key: &'static str,
    item_ty: Ty,
    path: &str,
) -> Result<(), SmpError> {
    if original.is_empty() && patch.is_empty() {
        return Ok(());
    }
    let first = original.iter().chain(patch).next().map(item_type);
    if original
        .iter()
        .chain(patch)
        .any(|v| Some(item_type(v)) != first)
        || first == Some(ItemType::List)
    {
        return Err(SmpError::MixedList {
            path: path.to_string(),
        });
    }
    if first != Some(ItemType::Map) {
        let mut merged = original.clone();
        for item in patch {
            if !merged.iter().any(|m| same(m, item)) {
                merged.push(item.clone());
            }
        }
        let patch_keys: Vec<&Value> = patch.iter().collect();
        *original = normalize_order(
            merged,
            &patch_keys,
            &original.iter().collect::<Vec<_>>(),
            "",
        );
        return Ok(());
    }
    if merge_key.is_empty() {
        return Err(SmpError::Directive {
            path: path.to_string(),
            message: "cannot merge a list of maps without a merge key".to_string(),
        });
    }
    let missing_key = || SmpError::MissingMergeKey {
        path: path.to_string(),
        key: merge_key.to_string(),
    };
    // Directive items first: `$patch: delete` removes matching items, `$patch: replace` makes the
    // patch's other items the whole list.
    let mut plain: Vec<&Value> = Vec::new();
    let mut replace = false;
    for item in patch {
        match item.get(DIRECTIVE).map(|d| d.as_str()) {
            None => plain.push(item),
            Some(Some("delete")) => {
                let key = item.get(merge_key).ok_or_else(missing_key)?;
                original.retain(|o| !o.get(merge_key).is_some_and(|k| same(k, key)));
            }
            Some(Some("replace")) => replace = true,
            Some(_) => {
                return Err(SmpError::Directive {
                    path: path.to_string(),
                    message: format!("unknown list item directive {}", item[DIRECTIVE]),
                });
            }
        }
    }
    if replace {
        *original = plain.into_iter().cloned().collect();
        return Ok(());
    }
    let server_order: Vec<Value> = original
        .iter()
        .map(|o| o.get(merge_key).cloned().unwrap_or(Value::Null))
        .collect();
    let mut merged = original.clone();
    for &item in &plain {
        let (Value::Object(patch_map), Some(key)) = (item, item.get(merge_key)) else {
            return Err(missing_key());
        };
        let found = merged
            .iter()
            .position(|o| o.get(merge_key).is_some_and(|k| same(k, key)));
        match found {
            Some(i) => match &mut merged[i] {
                Value::Object(target) => merge_map(target, patch_map, item_ty, path)?,
                other => *other = item.clone(),
            },
            None => merged.push(item.clone()),
        }
    }
    let patch_keys: Vec<&Value> = plain.iter().filter_map(|i| i.get(merge_key)).collect();
    let server_keys: Vec<&Value> = server_order.iter().collect();
    *original = normalize_order(merged, &patch_keys, &server_keys, merge_key);
    Ok(())
}

/// The item order the API server produces after a merge: items the patch names in the patch's
/// order, interleaved with the items only the original has, which keep their place relative to
/// the patched items that were already in the original.
fn normalize_order(
    merged: Vec<Value>,
    patch_keys: &[&Value],
    server_keys: &[&Value],
    merge_key: &str,
) -> Vec<Value> {
    let in_patch = |v: &Value| item_key(v, merge_key).and_then(|k| position(patch_keys, k));
    let (mut patched, server_only): (Vec<Value>, Vec<Value>) =
        merged.into_iter().partition(|v| in_patch(v).is_some());
    patched.sort_by_key(|v| in_patch(v));
    let server_pos = |v: &Value| item_key(v, merge_key).and_then(|k| position(server_keys, k));
    let mut out = Vec::with_capacity(patched.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = patched.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => match (server_pos(l), server_pos(r)) {
                (Some(li), Some(ri)) => li.cmp(&ri) == Ordering::Less,
                _ => false,
            },
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(list: &Value, key: &str) -> Vec<Value> {
        list.as_array()
            .map(|l| l.iter().map(|i| i[key].clone()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn new_patch_items_go_before_later_original_items() {
        // The API server interleaves: A (original only, before B), B (patched), D (new), C.
        let mut o = json!({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [
            {"name": "A"}, {"name": "B"}, {"name": "C"}]}});
        let p = json!({"spec": {"containers": [{"name": "B", "image": "x"}, {"name": "D"}]}});
        strategic_merge(&mut o, &p, "v1", "Pod").unwrap();
        assert_eq!(
            keys(&o["spec"]["containers"], "name"),
            vec![json!("A"), json!("B"), json!("D"), json!("C")]
        );
        assert_eq!(o["spec"]["containers"][1]["image"], json!("x"));
    }

    #[test]
    fn scalar_merge_lists_are_sets() {
        let mut o = json!({"metadata": {"finalizers": ["a", "b"]}});
        let p = json!({"metadata": {"finalizers": ["b", "c"]}});
        strategic_merge(&mut o, &p, "v1", "ConfigMap").unwrap();
        assert_eq!(o["metadata"]["finalizers"], json!(["a", "b", "c"]));
    }
}
