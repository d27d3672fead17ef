//! The Namespace objects a manifest needs so that `kubectl apply` works on an empty cluster.

use crate::Object;
use mesh_core::Value;
use serde_json::{Map, json};
use std::collections::{BTreeMap, BTreeSet};

/// Namespaces every cluster has: never emitted, so that deleting the manifest cannot delete them.
pub const SYSTEM_NAMESPACES: [&str; 4] =
    ["default", "kube-system", "kube-public", "kube-node-lease"];

/// Namespace objects for every namespace the objects live in that neither exists on every
/// cluster nor is already among the objects, sorted by name. `labels` gives extra labels per
/// namespace name (e.g. `topology.istio.io/network` for the control plane namespace).
pub fn missing_namespaces(
    objects: &[Object],
    labels: &BTreeMap<String, BTreeMap<String, String>>,
) -> Vec<Object> {
    let present: BTreeSet<&str> = objects
        .iter()
        .filter(|o| o.group().is_empty() && o.kind() == "Namespace")
        .map(Object::name)
        .collect();
    let wanted: BTreeSet<&str> = objects
        .iter()
        .map(Object::namespace)
        .filter(|ns| !ns.is_empty() && !SYSTEM_NAMESPACES.contains(ns) && !present.contains(ns))
        .collect();
    wanted
        .into_iter()
        .map(|ns| Object::new(None, namespace_object(ns, labels.get(ns))))
        .collect()
}

fn namespace_object(name: &str, labels: Option<&BTreeMap<String, String>>) -> Value {
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(name));
    if let Some(labels) = labels.filter(|l| !l.is_empty()) {
        metadata.insert("labels".into(), json!(labels));
    }
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": metadata})
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn obj(kind: &str, ns: &str, name: &str) -> Object {
        Object::new(
            None,
            json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": ns}}),
        )
    }

    #[test]
    fn emits_each_user_namespace_once_and_skips_system_and_existing_ones() {
        let objects = vec![
            obj("ConfigMap", "istio-system", "a"),
            obj("ConfigMap", "istio-system", "b"),
            obj("ConfigMap", "kube-system", "c"),
            obj("ConfigMap", "default", "d"),
            obj("ConfigMap", "istio-ingress", "e"),
            Object::new(
                None,
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-ingress"}}),
            ),
        ];
        let mut labels = BTreeMap::new();
        labels.insert(
            "istio-system".to_string(),
            BTreeMap::from([("topology.istio.io/network".to_string(), "n1".to_string())]),
        );
        let got = missing_namespaces(&objects, &labels);
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].value,
            json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "istio-system", "labels": {"topology.istio.io/network": "n1"}}})
        );
        assert_eq!(got[0].component, None);
    }
}
