//! What running an install plan takes and gives, without IO: the run and wait options, the
//! report, and the judgement of which failures a dry run may skip. The running itself is
//! the `client` module's (feature `client`).

use crate::error::ClusterError;
use crate::labels::{MANAGED_LABEL, MANAGED_VALUE, label_of};
use crate::plan::{InstallPlan, PlannedObject};
use crate::takeover::Takeover;
use mesh_core::Value;
use mesh_manifest::order::ObjectId;
use std::time::Duration;

/// How to run a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Timeouts and poll interval of the waits.
    pub wait: WaitOptions,
}

/// What an install did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallReport {
    /// The objects applied (accepted by the server-side dry run, for a dry run), in order.
    pub applied: Vec<ObjectId>,
    /// Dry run only: objects the server could not check because their namespace or CRD would
    /// only be created by the real install, with the reason.
    pub dry_run_skipped: Vec<(ObjectId, String)>,
    /// The objects pruned.
    pub pruned: Vec<ObjectId>,
    /// The objects in which another field manager had changed fields mesh sets, with those
    /// fields: the install took them back (a dry run: would take them back).
    pub taken_over: Vec<Takeover>,
    /// Namespaces of the manifest that existed without mesh's labels (created by someone
    /// else): applied without mesh's ownership labels (their rendered labels only), so that
    /// `uninstall --delete-namespace` never deletes them.
    pub existing_namespaces: Vec<ObjectId>,
}

/// How long to wait and how often to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// Give up after this long (istioctl's `--readiness-timeout`, 300 s by default).
    pub timeout: Duration,
    /// Time between two looks.
    pub interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(300),
            interval: Duration::from_secs(2),
        }
    }
}

/// Whether a Namespace of the manifest, as the cluster has it (`None`: absent), was created by
/// someone else: it exists without mesh's [`MANAGED_LABEL`]. Such a namespace is applied without
/// mesh's ownership labels ([`crate::Ownership::unlabel`]), since the label is what lets
/// `uninstall --delete-namespace`
/// delete a namespace (with everything in it, such as a `cacerts` secret made before the
/// install).
pub fn is_foreign_namespace(existing: Option<&Value>) -> bool {
    existing.is_some_and(|ns| label_of(ns, MANAGED_LABEL) != Some(MANAGED_VALUE))
}

/// Whether a namespace as the cluster has it is being deleted (`metadata.deletionTimestamp`
/// set, or phase `Terminating`). Nothing can be created in it until it is gone: an install
/// right after `uninstall --delete-namespace` waits for that first.
pub fn is_terminating(ns: &Value) -> bool {
    ns.pointer("/metadata/deletionTimestamp")
        .is_some_and(|t| !t.is_null())
        || ns.pointer("/status/phase").and_then(Value::as_str) == Some("Terminating")
}

/// Why a dry run could not check `object` when the server answered 404: its namespace or its
/// CRD is created by this very install, and a dry run creates nothing. `None` when the 404 has
/// another cause (or this is not a dry run): that is a real error.
pub fn dry_run_gap(
    plan: &InstallPlan,
    object: &PlannedObject,
    err: &ClusterError,
) -> Option<String> {
    let ClusterError::NotFound { message, .. } = err else {
        return None;
    };
    if !plan.dry_run {
        return None;
    }
    let ns = &object.id.namespace;
    if !ns.is_empty() && plan.namespaces.contains(ns) && message.contains(&format!("\"{ns}\"")) {
        return Some(format!("namespace {ns} does not exist yet"));
    }
    let kind = (object.id.group.clone(), object.id.kind.clone());
    if plan.crd_kinds.contains(&kind) {
        return Some(format!(
            "the CRD of {}.{} is not installed yet",
            object.id.kind, object.id.group
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Action;
    use crate::labels::Ownership;
    use crate::plan::Step;
    use crate::resource::ApiTarget;
    use serde_json::json;
    use std::collections::BTreeSet;

    fn object(kind: &str, group: &str, namespace: &str) -> PlannedObject {
        PlannedObject {
            id: ObjectId::new(group, kind, namespace, "x"),
            component: None,
            target: ApiTarget::new(group, "v1", kind, "xs", true),
            value: json!({}),
        }
    }

    fn not_found(message: &str) -> ClusterError {
        ClusterError::NotFound {
            action: Action::Apply,
            object: "x".into(),
            message: message.into(),
        }
    }

    #[test]
    fn namespaces_without_our_label_are_someone_elses() {
        assert!(!is_foreign_namespace(None));
        let theirs = json!({"metadata": {"name": "istio-system",
            "labels": {"kubernetes.io/metadata.name": "istio-system"}}});
        assert!(is_foreign_namespace(Some(&theirs)));
        assert!(is_foreign_namespace(Some(
            &json!({"metadata": {"name": "x"}})
        )));
        let ours = json!({"metadata": {"name": "istio-system",
            "labels": {"operator.istio.io/managed": "Reconcile"}}});
        assert!(!is_foreign_namespace(Some(&ours)));
    }

    #[test]
    fn namespaces_being_deleted_are_terminating() {
        let deleting = json!({"metadata": {"name": "istio-system",
            "deletionTimestamp": "2026-01-01T00:00:00Z"}, "status": {"phase": "Active"}});
        assert!(is_terminating(&deleting));
        assert!(is_terminating(&json!({"status": {"phase": "Terminating"}})));
        assert!(!is_terminating(
            &json!({"metadata": {"name": "x"}, "status": {"phase": "Active"}})
        ));
        assert!(!is_terminating(
            &json!({"metadata": {"deletionTimestamp": null}})
        ));
    }

    #[test]
    fn dry_runs_skip_only_404s_for_namespaces_and_crds_the_install_creates() {
        let mut plan = InstallPlan {
            steps: Vec::<Step>::new(),
            ownership: Ownership::from_operator(&json!({}), "1.30.3"),
            dry_run: true,
            namespaces: BTreeSet::from(["mesh".to_string()]),
            crd_kinds: BTreeSet::from([("example.com".to_string(), "Widget".to_string())]),
        };
        let cm = object("ConfigMap", "", "mesh");
        let gone = not_found("namespaces \"mesh\" not found");
        assert_eq!(
            dry_run_gap(&plan, &cm, &gone).as_deref(),
            Some("namespace mesh does not exist yet")
        );
        let widget = object("Widget", "example.com", "other");
        assert_eq!(
            dry_run_gap(&plan, &widget, &not_found("the server could not find")).as_deref(),
            Some("the CRD of Widget.example.com is not installed yet")
        );
        let elsewhere = object("ConfigMap", "", "other");
        assert_eq!(dry_run_gap(&plan, &elsewhere, &gone), None);
        let forbidden = ClusterError::Forbidden {
            action: Action::Apply,
            object: "x".into(),
            message: String::new(),
        };
        assert_eq!(dry_run_gap(&plan, &cm, &forbidden), None);
        plan.dry_run = false;
        assert_eq!(dry_run_gap(&plan, &cm, &gone), None);
    }
}
