//! The shape Kubernetes' Go types give a pod when it is decoded and printed again: empty and zero
//! `omitempty` fields dropped, `resources: {}` on every container, quantities canonical. Istio's
//! output goes through that round trip, so ours is normalized the same way.

use crate::quantity;
use mesh_core::Value;
use serde_json::Map;

/// Fields holding Go maps of strings: their entries are kept as they are (empty values too).
const STRING_MAP_FIELDS: &[&str] = &[
    "labels",
    "annotations",
    "nodeSelector",
    "matchLabels",
    "volumeAttributes",
    "data",
];

/// Go map fields (`omitempty`): dropped when empty.
const EMPTY_MAP_FIELDS: &[&str] = &[
    "labels",
    "annotations",
    "nodeSelector",
    "matchLabels",
    "volumeAttributes",
    "limits",
    "requests",
];

/// Non-pointer `omitempty` booleans: dropped when false.
const FALSE_DROPPED: &[&str] = &[
    "readOnly",
    "stdin",
    "stdinOnce",
    "tty",
    "hostNetwork",
    "hostPID",
    "hostIPC",
];

/// Non-pointer `omitempty` integers: dropped when zero.
const ZERO_DROPPED: &[&str] = &[
    "initialDelaySeconds",
    "timeoutSeconds",
    "periodSeconds",
    "successThreshold",
    "failureThreshold",
    "hostPort",
];

/// The kinds of container lists in a pod spec.
pub const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

/// Normalizes pod template metadata (`name`, `labels`, `annotations`, ...).
pub fn normalize_metadata(meta: &mut Value) {
    if let Value::Object(m) = meta {
        prune_map(m, None);
        m.remove("creationTimestamp");
    }
}

/// Normalizes a pod spec in place. Errors name the path of a bad quantity.
pub fn normalize_pod_spec(spec: &mut Value) -> Result<(), String> {
    let Value::Object(m) = spec else {
        return Ok(());
    };
    for list in CONTAINER_LISTS {
        if let Some(Value::Array(items)) = m.get_mut(list) {
            for (i, c) in items.iter_mut().enumerate() {
                normalize_container(c).map_err(|e| format!("spec.{list}[{i}].{e}"))?;
            }
        }
    }
    if let Some(Value::Array(vols)) = m.get_mut("volumes") {
        for (i, v) in vols.iter_mut().enumerate() {
            if let Some(limit) = v.pointer_mut("/emptyDir/sizeLimit") {
                let canon = quantity::canonicalize_value(limit)
                    .map_err(|e| format!("spec.volumes[{i}].emptyDir.sizeLimit: {e}"))?;
                *limit = Value::String(canon);
            }
        }
    }
    prune_map(m, None);
    Ok(())
}

/// Normalizes one container: canonical quantities and `resources: {}` when missing.
/// Errors name the path inside the container.
pub fn normalize_container(c: &mut Value) -> Result<(), String> {
    let Value::Object(m) = c else {
        return Ok(());
    };
    if let Some(Value::Object(res)) = m.get_mut("resources") {
        for kind in ["limits", "requests"] {
            if let Some(Value::Object(list)) = res.get_mut(kind) {
                let keys: Vec<String> = list.keys().cloned().collect();
                for k in keys {
                    let Some(q) = list.get_mut(&k) else { continue };
                    if q.is_null() {
                        list.remove(&k);
                        continue;
                    }
                    let canon = quantity::canonicalize_value(q)
                        .map_err(|e| format!("resources.{kind}.{k}: {e}"))?;
                    *q = Value::String(canon);
                }
            }
        }
    }
    if let Some(Value::Array(env)) = m.get_mut("env") {
        for (i, e) in env.iter_mut().enumerate() {
            if let Some(div) = e.pointer_mut("/valueFrom/resourceFieldRef/divisor") {
                if div.is_null() {
                    continue;
                }
                let canon = quantity::canonicalize_value(div)
                    .map_err(|err| format!("env[{i}].valueFrom.resourceFieldRef.divisor: {err}"))?;
                *div = Value::String(canon);
            }
        }
    }
    prune_map(m, None);
    if !m.contains_key("resources") {
        m.insert("resources".to_string(), Value::Object(Map::new()));
    }
    Ok(())
}

/// Drops null, empty-string, empty-list and zero/false `omitempty` fields, recursively.
fn prune_map(m: &mut Map<String, Value>, parent: Option<&str>) {
    let keys: Vec<String> = m.keys().cloned().collect();
    for k in keys {
        let Some(v) = m.get_mut(&k) else { continue };
        let is_string_map = STRING_MAP_FIELDS.contains(&k.as_str());
        match v {
            Value::Object(child) if !is_string_map => prune_map(child, Some(&k)),
            Value::Array(items) => {
                for item in items.iter_mut() {
                    if let Value::Object(child) = item {
                        prune_map(child, Some(&k));
                    }
                }
            }
            _ => {}
        }
        if should_drop(&k, v, parent) {
            m.remove(&k);
        }
    }
}

fn should_drop(key: &str, v: &Value, parent: Option<&str>) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty() && key != "containers",
        Value::Object(o) => o.is_empty() && EMPTY_MAP_FIELDS.contains(&key),
        Value::Bool(false) => FALSE_DROPPED.contains(&key) && parent != Some("csi"),
        Value::Number(n) => ZERO_DROPPED.contains(&key) && n.as_f64() == Some(0.0),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn container_gets_go_shape() {
        let mut c = json!({
            "name": "c", "image": "", "env": [{"name": "A", "value": ""}],
            "resources": {"limits": {"cpu": "2000m", "memory": null}, "requests": {}},
            "readinessProbe": {"initialDelaySeconds": 0, "periodSeconds": 15, "httpGet": {"port": 15021}},
            "volumeMounts": [{"name": "v", "mountPath": "/x", "readOnly": false}],
            "args": [], "securityContext": {"runAsUser": 0, "privileged": false}
        });
        normalize_container(&mut c).unwrap();
        assert_eq!(
            c,
            json!({
                "name": "c", "env": [{"name": "A"}],
                "resources": {"limits": {"cpu": "2"}},
                "readinessProbe": {"periodSeconds": 15, "httpGet": {"port": 15021}},
                "volumeMounts": [{"name": "v", "mountPath": "/x"}],
                "securityContext": {"runAsUser": 0, "privileged": false}
            })
        );
    }

    #[test]
    fn adds_empty_resources_and_keeps_empty_structs() {
        let mut spec = json!({"containers": [{"name": "a"}], "volumes": [{"name": "v", "emptyDir": {}}, {"name": "w", "emptyDir": null}]});
        normalize_pod_spec(&mut spec).unwrap();
        assert_eq!(
            spec,
            json!({"containers": [{"name": "a", "resources": {}}], "volumes": [{"name": "v", "emptyDir": {}}, {"name": "w"}]})
        );
    }

    #[test]
    fn bad_quantity_names_path() {
        let mut spec =
            json!({"containers": [{"name": "a", "resources": {"limits": {"cpu": "lots"}}}]});
        let err = normalize_pod_spec(&mut spec).unwrap_err();
        assert!(
            err.starts_with("spec.containers[0].resources.limits.cpu"),
            "{err}"
        );
    }

    #[test]
    fn metadata_keeps_empty_annotation_values() {
        let mut meta = json!({"name": "", "annotations": {"a": ""}, "labels": {}});
        normalize_metadata(&mut meta);
        assert_eq!(meta, json!({"annotations": {"a": ""}}));
    }
}
