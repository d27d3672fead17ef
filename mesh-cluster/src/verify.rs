//! verify-install's judgement, without IO: each expected object of the install plan against what
//! the cluster has: present, ours, and for CRDs and workloads, ready.

use crate::labels::{Ownership, is_shared_base, labels_of};
use crate::plan::{PlannedObject, is_rollable};
use crate::readiness::{Readiness, crd_established, crd_problem, workload_readiness};
use crate::resource::{is_crd, is_namespace};
use mesh_core::{ComponentName, Value};
use mesh_manifest::order::ObjectId;

/// The state of one expected object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowStatus {
    /// Present (and ready, where that applies).
    Ok,
    /// Not on the cluster.
    Missing,
    /// Present but not ready, with why.
    NotReady(String),
    /// Present but without this installation's labels (made by someone else, or by another
    /// revision or owner).
    NotOurs,
}

/// One row of the verification table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyRow {
    /// The object.
    pub id: ObjectId,
    /// The component that renders it.
    pub component: Option<ComponentName>,
    /// Its state.
    pub status: RowStatus,
}

/// The verification of a whole installation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// One row per expected object, in apply order.
    pub rows: Vec<VerifyRow>,
}

impl VerifyReport {
    /// Whether every object is present, ours and ready.
    pub fn healthy(&self) -> bool {
        self.rows.iter().all(|r| r.status == RowStatus::Ok)
    }

    /// The rows that are not [`RowStatus::Ok`].
    pub fn problems(&self) -> impl Iterator<Item = &VerifyRow> {
        self.rows.iter().filter(|r| r.status != RowStatus::Ok)
    }
}

/// Judges one expected object against what the cluster has (`None`: absent).
pub fn verify_row(
    expected: &PlannedObject,
    found: Option<&Value>,
    ownership: &Ownership,
) -> VerifyRow {
    let status = match found {
        None => RowStatus::Missing,
        Some(v) => judge(expected, v, ownership),
    };
    VerifyRow {
        id: expected.id.clone(),
        component: expected.component,
        status,
    }
}

fn judge(expected: &PlannedObject, found: &Value, ownership: &Ownership) -> RowStatus {
    let id = &expected.id;
    if is_namespace(&id.group, &id.kind) {
        let phase = found.pointer("/status/phase").and_then(Value::as_str);
        return match phase {
            Some("Terminating") => RowStatus::NotReady("Terminating".into()),
            _ => RowStatus::Ok,
        };
    }
    let labels = labels_of(found);
    let shared = expected.component == Some(ComponentName::Base) && is_shared_base(labels);
    if expected.component.is_some() && !ownership.owns(labels) && !shared {
        return RowStatus::NotOurs;
    }
    if is_crd(&id.group, &id.kind) && !crd_established(found) {
        return RowStatus::NotReady(crd_problem(found));
    }
    if is_rollable(id)
        && let Readiness::NotReady(why) = workload_readiness(&id.kind, found)
    {
        return RowStatus::NotReady(why);
    }
    RowStatus::Ok
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::resource::ApiTarget;
    use serde_json::json;

    fn planned(kind: &str, group: &str, component: Option<ComponentName>) -> PlannedObject {
        PlannedObject {
            id: ObjectId::new(group, kind, "istio-system", "x"),
            component,
            target: ApiTarget::new(group, "v1", kind, "xs", true),
            value: json!({}),
        }
    }

    #[test]
    fn rows_report_missing_foreign_and_unready_objects() {
        let owner = Ownership::from_operator(&json!({}), "1.30.3");
        let labels = json!({"operator.istio.io/component": "Pilot", "istio.io/rev": "default",
            "install.operator.istio.io/owning-resource-namespace": "istio-system"});
        let dep = planned("Deployment", "apps", Some(ComponentName::Pilot));
        assert_eq!(verify_row(&dep, None, &owner).status, RowStatus::Missing);
        let foreign = json!({"metadata": {"name": "x"}});
        assert_eq!(
            verify_row(&dep, Some(&foreign), &owner).status,
            RowStatus::NotOurs
        );
        let unready = json!({"metadata": {"labels": labels}, "spec": {"replicas": 1},
            "status": {"updatedReplicas": 1, "replicas": 1, "availableReplicas": 0}});
        assert_eq!(
            verify_row(&dep, Some(&unready), &owner).status,
            RowStatus::NotReady("0 of 1 updated replicas available".into())
        );
        // Base objects are shared by revisions: another revision's labels are fine there, not
        // on a revision's own objects.
        let canary = json!({"metadata": {"labels": {"operator.istio.io/component": "Base",
            "istio.io/rev": "canary", "operator.istio.io/managed": "Reconcile",
            "install.operator.istio.io/owning-resource-namespace": "istio-system"}}});
        let sa = planned("ServiceAccount", "", Some(ComponentName::Base));
        assert_eq!(verify_row(&sa, Some(&canary), &owner).status, RowStatus::Ok);
        assert_eq!(
            verify_row(&dep, Some(&canary), &owner).status,
            RowStatus::NotOurs
        );
        let ns = planned("Namespace", "", None);
        assert_eq!(
            verify_row(&ns, Some(&json!({})), &owner).status,
            RowStatus::Ok
        );
    }
}
