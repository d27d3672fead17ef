//! Uninstall planning, without IO: which objects of a revision, of one installation, or (purge)
//! of every installation to delete by their labels, webhooks first, then in reverse install
//! order. Nothing without our labels is ever selected, and the namespace only goes if asked for
//! and mesh created it.

use crate::labels::{
    ADDONS_COMPONENT, COMPONENT_LABEL, MANAGED_LABEL, MANAGED_VALUE, Ownership, REVISION_LABEL,
    label_of, labels_of,
};
use crate::prune::{Deletion, listed_id};
use crate::resource::{ApiTarget, KindCatalog, is_admission, is_crd, is_namespace};
use mesh_core::{ComponentName, Value};
use mesh_manifest::order::{ObjectId, SYSTEM_NAMESPACES, StageKind, kind_rank};

/// Which objects an uninstall removes (istioctl's `--revision`, `-f` and `--purge`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The control plane of one revision: every component but Base (which revisions share).
    Revision(String),
    /// The installation described by a configuration (its revision and owner), but Base.
    Installation(Ownership),
    /// Every object of every installation, Base and CRDs included (this deletes every Istio
    /// custom resource on the cluster).
    Purge,
}

/// Components whose objects a non-purge uninstall removes (and the addons installed with them,
/// [`ADDONS_COMPONENT`]).
const NON_BASE: [ComponentName; 5] = [
    ComponentName::Pilot,
    ComponentName::IngressGateways,
    ComponentName::EgressGateways,
    ComponentName::Cni,
    ComponentName::Ztunnel,
];

impl Scope {
    /// The label selector listing this scope's objects.
    pub fn selector(&self) -> String {
        let non_base = || {
            let names: Vec<&str> = NON_BASE
                .iter()
                .map(|c| c.as_str())
                .chain([ADDONS_COMPONENT])
                .collect();
            format!("{COMPONENT_LABEL} in ({})", names.join(","))
        };
        match self {
            Scope::Revision(rev) => format!("{},{REVISION_LABEL}={rev}", non_base()),
            Scope::Installation(o) => format!("{},{}", o.selector(), non_base()),
            Scope::Purge => COMPONENT_LABEL.to_string(),
        }
    }

    /// Whether an object with these labels is in scope: checked on every listed object, so
    /// that nothing is deleted on the strength of the server's filtering alone.
    pub fn covers(&self, labels: Option<&Value>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        let Some(component) = get(COMPONENT_LABEL) else {
            return false;
        };
        let non_base =
            NON_BASE.iter().any(|c| c.as_str() == component) || component == ADDONS_COMPONENT;
        match self {
            Scope::Revision(rev) => non_base && get(REVISION_LABEL) == Some(rev.as_str()),
            Scope::Installation(o) => non_base && o.owns(labels),
            Scope::Purge => true,
        }
    }
}

/// An uninstall, planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UninstallPlan {
    /// What to remove.
    pub scope: Scope,
    /// The kinds to list (all namespaces).
    pub kinds: Vec<ApiTarget>,
    /// A namespace to remove at the end, if mesh created it.
    pub namespace: Option<String>,
    /// Server-side dry run of the deletes.
    pub dry_run: bool,
}

/// Plans an uninstall. `extra_kinds` adds (group, kind) pairs to list beyond the usual ones
/// (the kinds of a rendered manifest, say).
pub fn uninstall_plan<'a>(
    scope: Scope,
    namespace: Option<String>,
    extra_kinds: impl IntoIterator<Item = (&'a str, &'a str)>,
    dry_run: bool,
) -> UninstallPlan {
    let catalog = KindCatalog::builtin();
    let mut kinds = catalog.owned_targets(extra_kinds);
    if scope == Scope::Purge {
        for (group, kind) in [
            ("k8s.cni.cncf.io", "NetworkAttachmentDefinition"),
            ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ] {
            if let Some(t) = catalog.get(group, kind) {
                kinds.push(t.clone());
            }
        }
    }
    UninstallPlan {
        scope,
        kinds,
        namespace,
        dry_run,
    }
}

/// Where an object of (group, kind) goes in the deletion order: admission webhooks and
/// policies first (so that nothing calls a webhook whose backend is gone), then the install
/// stages backwards (workloads before their configuration), custom resources before CRDs, CRDs
/// last.
pub fn deletion_rank(group: &str, kind: &str) -> (u8, u8, u8) {
    if is_admission(group) {
        return (0, 0, kind_rank(&ObjectId::new(group, kind, "", "")));
    }
    if is_crd(group, kind) {
        return (3, 0, 0);
    }
    if is_namespace(group, kind) {
        return (4, 0, 0);
    }
    let id = ObjectId::new(group, kind, "", "");
    let stage = StageKind::of_kind(&id).number() as u8;
    (1, u8::MAX - stage, u8::MAX - kind_rank(&id))
}

/// The listed objects in scope, in deletion order.
pub fn select_deletions(scope: &Scope, listed: &[(ApiTarget, Vec<Value>)]) -> Vec<Deletion> {
    let mut out: Vec<Deletion> = listed
        .iter()
        .flat_map(|(target, items)| {
            items
                .iter()
                .filter(|item| scope.covers(labels_of(item)))
                .map(|item| Deletion {
                    id: listed_id(target, item),
                    target: target.clone(),
                })
        })
        .filter(|d| !d.id.name.is_empty() && !is_namespace(&d.id.group, &d.id.kind))
        .collect();
    out.sort_by(|a, b| {
        let ka = (deletion_rank(&a.id.group, &a.id.kind), &a.id);
        let kb = (deletion_rank(&b.id.group, &b.id.kind), &b.id);
        ka.cmp(&kb)
    });
    out.dedup();
    out
}

/// Whether a Namespace read from the cluster may be deleted: mesh labelled it when creating
/// it, and it is not one every cluster has.
pub fn namespace_deletable(ns: &Value) -> bool {
    let name = ns
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    !SYSTEM_NAMESPACES.contains(&name) && label_of(ns, MANAGED_LABEL) == Some(MANAGED_VALUE)
}

/// What an uninstall did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UninstallReport {
    /// The objects deleted, in order.
    pub deleted: Vec<ObjectId>,
    /// Why the namespace asked for was kept, if it was.
    pub namespace_kept: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn item(name: &str, component: &str, rev: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": "istio-system", "labels": {
            "operator.istio.io/component": component, "istio.io/rev": rev,
            "install.operator.istio.io/owning-resource-namespace": "istio-system"}}})
    }

    fn listed() -> Vec<(ApiTarget, Vec<Value>)> {
        let cat = KindCatalog::builtin();
        let t = |g: &str, k: &str| cat.get(g, k).unwrap().clone();
        vec![
            (
                t("", "ServiceAccount"),
                vec![item("istiod", "Pilot", "default")],
            ),
            (t("", "Service"), vec![item("istiod", "Pilot", "default")]),
            (
                t("apps", "Deployment"),
                vec![
                    item("istiod", "Pilot", "default"),
                    item("istiod-canary", "Pilot", "canary"),
                    json!({"metadata": {"name": "user-app", "namespace": "istio-system"}}),
                ],
            ),
            (
                t("rbac.authorization.k8s.io", "ClusterRole"),
                vec![
                    item("istiod-clusterrole", "Pilot", "default"),
                    item("istio-reader", "Base", "default"),
                ],
            ),
            (
                t(
                    "admissionregistration.k8s.io",
                    "MutatingWebhookConfiguration",
                ),
                vec![item("istio-sidecar-injector", "Pilot", "default")],
            ),
            (
                t("apiextensions.k8s.io", "CustomResourceDefinition"),
                vec![item("gateways.networking.istio.io", "Base", "default")],
            ),
            (
                t("autoscaling", "HorizontalPodAutoscaler"),
                vec![item("istiod", "Pilot", "default")],
            ),
        ]
    }

    fn names(d: &[Deletion]) -> Vec<String> {
        d.iter()
            .map(|d| format!("{}/{}", d.id.kind, d.id.name))
            .collect()
    }

    #[test]
    fn a_revision_uninstall_removes_its_control_plane_webhooks_first() {
        let got = select_deletions(&Scope::Revision("default".into()), &listed());
        assert_eq!(
            names(&got),
            [
                "MutatingWebhookConfiguration/istio-sidecar-injector",
                "HorizontalPodAutoscaler/istiod",
                "Deployment/istiod",
                "Service/istiod",
                "ClusterRole/istiod-clusterrole",
                "ServiceAccount/istiod",
            ]
        );
    }

    #[test]
    fn purge_removes_base_and_crds_last_but_never_unlabelled_objects() {
        let got = names(&select_deletions(&Scope::Purge, &listed()));
        assert_eq!(
            got.first().unwrap(),
            "MutatingWebhookConfiguration/istio-sidecar-injector"
        );
        assert_eq!(
            got.last().unwrap(),
            "CustomResourceDefinition/gateways.networking.istio.io"
        );
        assert!(got.contains(&"ClusterRole/istio-reader".to_string()));
        assert!(got.contains(&"Deployment/istiod-canary".to_string()));
        assert!(!got.iter().any(|n| n.contains("user-app")));
    }

    #[test]
    fn selectors_and_namespace_rules() {
        assert_eq!(
            Scope::Revision("canary".into()).selector(),
            "operator.istio.io/component in (Pilot,IngressGateways,EgressGateways,Cni,Ztunnel,Addons),istio.io/rev=canary"
        );
        let addon = json!({"operator.istio.io/component": "Addons", "istio.io/rev": "canary"});
        assert!(Scope::Revision("canary".into()).covers(Some(&addon)));
        let base = json!({"operator.istio.io/component": "Base", "istio.io/rev": "canary"});
        assert!(!Scope::Revision("canary".into()).covers(Some(&base)));
        assert_eq!(Scope::Purge.selector(), "operator.istio.io/component");
        let ours = json!({"metadata": {"name": "istio-system",
            "labels": {"operator.istio.io/managed": "Reconcile"}}});
        assert!(namespace_deletable(&ours));
        assert!(!namespace_deletable(
            &json!({"metadata": {"name": "istio-system"}})
        ));
        let system = json!({"metadata": {"name": "kube-system",
            "labels": {"operator.istio.io/managed": "Reconcile"}}});
        assert!(!namespace_deletable(&system));
    }
}
