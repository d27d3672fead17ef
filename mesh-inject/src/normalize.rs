//! The shape Kubernetes' Go types give a pod when it is decoded and printed again: empty and zero
//! `omitempty` fields dropped, `resources: {}` on every container, quantities canonical. Istio's
//! output goes through that round trip, so ours is normalized the same way.

use crate::quantity::{self, QuantityError};
use mesh_core::Value;
use serde_json::Map;

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
pub(crate) const CONTAINER_LISTS: [&str; 3] =
    ["initContainers", "containers", "ephemeralContainers"];

/// Normalizes pod template metadata (`name`, `labels`, `annotations`, ...).
pub(crate) fn normalize_metadata(meta: &mut Value) {
    if let Value::Object(m) = meta {
        prune_map(m, None);
        m.remove("creationTimestamp");
    }
}

/// A bad quantity and where it is (`spec.containers[0].resources.limits.cpu`).
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub(crate) struct QuantityAt {
    /// The path of the quantity.
    pub path: String,
    /// Why it is not a quantity.
    #[source]
    pub source: QuantityError,
}

impl QuantityAt {
    fn new(path: String) -> impl FnOnce(QuantityError) -> QuantityAt {
        move |source| QuantityAt { path, source }
    }

    /// The same error with its path inside `prefix`.
    fn under(self, prefix: &str) -> QuantityAt {
        QuantityAt {
            path: format!("{prefix}.{}", self.path),
            source: self.source,
        }
    }
}

/// Normalizes a pod spec in place. Errors name the path of a bad quantity.
pub(crate) fn normalize_pod_spec(spec: &mut Value) -> Result<(), QuantityAt> {
    let Value::Object(m) = spec else {
        return Ok(());
    };
    for list in CONTAINER_LISTS {
        if let Some(Value::Array(items)) = m.get_mut(list) {
            for (i, c) in items.iter_mut().enumerate() {
                normalize_container(c).map_err(|e| e.under(&format!("spec.{list}[{i}]")))?;
            }
        }
    }
    if let Some(Value::Array(vols)) = m.get_mut("volumes") {
        for (i, v) in vols.iter_mut().enumerate() {
            if let Some(limit) = v.get_mut("emptyDir").and_then(|e| e.get_mut("sizeLimit")) {
                let canon = quantity::canonicalize_value(limit).map_err(QuantityAt::new(
                    format!("spec.volumes[{i}].emptyDir.sizeLimit"),
                ))?;
                *limit = Value::String(canon);
            }
        }
    }
    prune_map(m, None);
    Ok(())
}

/// Normalizes one container: canonical quantities and `resources: {}` when missing.
/// Errors name the path inside the container.
pub(crate) fn normalize_container(c: &mut Value) -> Result<(), QuantityAt> {
    let Value::Object(m) = c else {
        return Ok(());
    };
    if let Some(res) = m.get_mut("resources") {
        normalize_resources(res).map_err(|e| e.under("resources"))?;
    }
    if let Some(Value::Array(env)) = m.get_mut("env") {
        for (i, e) in env.iter_mut().enumerate() {
            let div = e
                .get_mut("valueFrom")
                .and_then(|v| v.get_mut("resourceFieldRef"))
                .and_then(|r| r.get_mut("divisor"));
            if let Some(div) = div {
                if div.is_null() {
                    continue;
                }
                let canon = quantity::canonicalize_value(div).map_err(QuantityAt::new(format!(
                    "env[{i}].valueFrom.resourceFieldRef.divisor"
                )))?;
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

/// Canonicalizes the quantities of a `resources` value (`limits`, `requests`) and drops null
/// and empty entries. Errors name the entry (`limits.cpu: ...`).
pub(crate) fn normalize_resources(res: &mut Value) -> Result<(), QuantityAt> {
    let Value::Object(res) = res else {
        return Ok(());
    };
    for kind in ["limits", "requests"] {
        if let Some(Value::Object(list)) = res.get_mut(kind) {
            list.retain(|_, q| !q.is_null());
            for (k, q) in list.iter_mut() {
                let canon = quantity::canonicalize_value(q)
                    .map_err(QuantityAt::new(format!("{kind}.{k}")))?;
                *q = Value::String(canon);
            }
        }
    }
    prune_map(res, None);
    Ok(())
}

/// Drops the empty and zero `omitempty` fields of any value (used for pieces copied from
/// values or annotations into a rendered template).
pub(crate) fn prune_value(v: &mut Value) {
    match v {
        Value::Object(m) => prune_map(m, None),
        Value::Array(items) => items.iter_mut().for_each(prune_value),
        _ => {}
    }
}

fn is_string_map(key: &str) -> bool {
    matches!(
        key,
        "labels" | "annotations" | "nodeSelector" | "matchLabels" | "volumeAttributes" | "data"
    )
}

/// Drops null, empty-string, empty-list and zero/false `omitempty` fields, recursively.
fn prune_map(m: &mut Map<String, Value>, parent: Option<&str>) {
    for (k, v) in m.iter_mut() {
        match v {
            Value::Object(child) if !is_string_map(k) => prune_map(child, Some(k)),
            Value::Array(items) => {
                for item in items.iter_mut() {
                    if let Value::Object(child) = item {
                        prune_map(child, Some(k));
                    }
                }
            }
            _ => {}
        }
    }
    if m.iter().any(|(k, v)| should_drop(k, v, parent)) {
        m.retain(|k, v| !should_drop(k, v, parent));
    }
}

fn should_drop(key: &str, v: &Value, parent: Option<&str>) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty() && key != "containers",
        Value::Object(o) => o.is_empty() && EMPTY_MAP_FIELDS.contains(&key),
        Value::Bool(false) => FALSE_DROPPED.contains(&key) && parent != Some("csi"),
        Value::Number(n) => n.as_f64() == Some(0.0) && ZERO_DROPPED.contains(&key),
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
        assert_eq!(err.path, "spec.containers[0].resources.limits.cpu");
        assert!(
            err.to_string()
                .starts_with("spec.containers[0].resources.limits.cpu: quantities must match"),
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
