//! Pruning: after an install, remove the objects of this installation (same labels, same
//! revision, same owner) that the new manifest no longer has. Selection is pure and checks the
//! labels of every listed object again; CRDs and Namespaces are never pruned (removing a CRD
//! deletes every user resource of its kind).

use super::cluster::Cluster;
use super::error::ClusterError;
use super::labels::{Ownership, labels_of};
use super::plan::PrunePlan;
use super::progress::Event;
use super::resource::{ApiTarget, is_crd, is_namespace};
use crate::order::ObjectId;
use mesh_core::Value;
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

/// Lists every kind of the plan and deletes what [`select_prune`] selects. Returns the deleted
/// objects.
pub async fn prune(
    cluster: &Cluster,
    plan: &PrunePlan,
    ownership: &Ownership,
    dry_run: bool,
    progress: &mut dyn FnMut(Event),
) -> Result<Vec<ObjectId>, ClusterError> {
    let mut selected = Vec::new();
    for target in &plan.kinds {
        let items = cluster.list(target, "", &plan.selector).await?;
        selected.extend(select_prune(target, &items, &plan.keep, ownership));
    }
    progress(Event::PruneStarted {
        objects: selected.len(),
    });
    delete_all(cluster, &selected, dry_run, progress).await
}

/// Deletes objects in the given order; objects already gone are reported, not errors.
pub async fn delete_all(
    cluster: &Cluster,
    deletions: &[Deletion],
    dry_run: bool,
    progress: &mut dyn FnMut(Event),
) -> Result<Vec<ObjectId>, ClusterError> {
    let mut deleted = Vec::new();
    for d in deletions {
        if cluster
            .delete(&d.target, &d.id.namespace, &d.id.name, dry_run)
            .await?
        {
            progress(Event::Deleted { id: d.id.clone() });
            deleted.push(d.id.clone());
        } else {
            progress(Event::AlreadyGone { id: d.id.clone() });
        }
    }
    Ok(deleted)
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
