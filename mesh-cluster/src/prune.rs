//! What pruning removes, without IO: after an install, the objects of this installation (same
//! labels, same revision, same owner) that the new manifest no longer has. Selection checks the
//! labels of every listed object again; CRDs and Namespaces are never pruned (removing a CRD
//! deletes every user resource of its kind).

use crate::labels::{Ownership, labels_of};
use crate::resource::{ApiTarget, is_crd, is_namespace};
use mesh_core::Value;
use mesh_manifest::order::ObjectId;
use std::collections::BTreeSet;

/// One object to delete.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deletion {
    /// Its identity.
    pub id: ObjectId,
    /// Where it is in the API.
    pub target: ApiTarget,
}

/// The identity of an object listed as an item of `target`'s collection (list items often
/// lack `apiVersion` and `kind`).
pub fn listed_id(target: &ApiTarget, item: &Value) -> ObjectId {
    let text = |p: &str| item.pointer(p).and_then(Value::as_str).unwrap_or("");
    ObjectId::new(
        &target.group,
        &target.kind,
        text("/metadata/namespace"),
        text("/metadata/name"),
    )
}

/// The listed objects of `target` that a prune removes: ours by label, not in `keep`, not a
/// CRD or Namespace, not already being deleted.
pub fn select_prune(
    target: &ApiTarget,
    items: &[Value],
    keep: &BTreeSet<ObjectId>,
    ownership: &Ownership,
) -> Vec<Deletion> {
    if is_crd(&target.group, &target.kind) || is_namespace(&target.group, &target.kind) {
        return Vec::new();
    }
    items
        .iter()
        .filter(|item| ownership.owns(labels_of(item)))
        .filter(|item| item.pointer("/metadata/deletionTimestamp").is_none())
        .map(|item| Deletion {
            id: listed_id(target, item),
            target: target.clone(),
        })
        .filter(|d| !d.id.name.is_empty() && !keep.contains(&d.id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_our_objects_outside_the_new_set_are_pruned() {
        let owner = Ownership::from_operator(
            &json!({"metadata": {"namespace": "istio-system"}}),
            "1.30.3",
        );
        let ours = |name: &str| {
            json!({"metadata": {"name": name, "namespace": "istio-system", "labels": {
                "operator.istio.io/component": "Pilot", "istio.io/rev": "default",
                "install.operator.istio.io/owning-resource-namespace": "istio-system"}}})
        };
        let mut canary = ours("istiod-canary");
        canary["metadata"]["labels"]["istio.io/rev"] = json!("canary");
        let mut going = ours("old");
        going["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:00:00Z");
        let unlabelled = json!({"metadata": {"name": "user", "namespace": "istio-system"}});
        let items = [ours("istiod"), ours("stale"), canary, going, unlabelled];
        let target = ApiTarget::new("apps", "v1", "Deployment", "deployments", true);
        let keep = BTreeSet::from([ObjectId::new(
            "apps",
            "Deployment",
            "istio-system",
            "istiod",
        )]);
        let got = select_prune(&target, &items, &keep, &owner);
        let names: Vec<&str> = got.iter().map(|d| d.id.name.as_str()).collect();
        assert_eq!(names, ["stale"]);
        let crd = ApiTarget::new(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
        );
        assert!(select_prune(&crd, &items, &BTreeSet::new(), &owner).is_empty());
    }
}
