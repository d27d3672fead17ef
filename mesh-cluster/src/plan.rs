//! The install plan, computed without IO from an ordered manifest: the labelled objects of each
//! stage in apply order, the waits between stages (CRDs Established and served by discovery,
//! workloads rolled out) and what a prune may look at.

use crate::labels::Ownership;
use crate::resource::{
    ApiTarget, KindCatalog, crd_served_versions, crd_target, is_crd, is_namespace,
};
use mesh_core::{ComponentName, Value};
use mesh_manifest::order::{Manifest, ObjectId, StageKind};
use std::collections::BTreeSet;

/// What the plan includes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// Server-side dry run: apply with `dryRun=All`, do not wait (nothing would ever become
    /// ready), prune as a dry run too.
    pub dry_run: bool,
    /// Remove objects of this installation that the new manifest no longer has.
    pub prune: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            dry_run: false,
            prune: true,
        }
    }
}

/// One object to apply.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedObject {
    /// Its identity.
    pub id: ObjectId,
    /// The component that rendered it.
    pub component: Option<ComponentName>,
    /// Where it goes in the API.
    pub target: ApiTarget,
    /// The object with the ownership labels.
    pub value: Value,
}

/// One CRD to wait for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrdWait {
    /// The CRD's name (`gateways.networking.istio.io`).
    pub name: String,
    /// The group of its kind.
    pub group: String,
    /// The plural of its kind, as discovery lists it.
    pub plural: String,
    /// The versions it serves: each must appear in discovery.
    pub versions: Vec<String>,
}

/// One workload to wait for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadWait {
    /// Its identity.
    pub id: ObjectId,
    /// Where it is in the API.
    pub target: ApiTarget,
}

/// What a prune looks at: objects of these kinds that match the selector, minus `keep`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrunePlan {
    /// The label selector of this installation ([`Ownership::selector`]).
    pub selector: String,
    /// The kinds to list (all namespaces).
    pub kinds: Vec<ApiTarget>,
    /// The objects of the new manifest: never pruned.
    pub keep: BTreeSet<ObjectId>,
}

/// One step of an install.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Server-side apply the objects of a stage, in order.
    Apply {
        /// The stage.
        stage: StageKind,
        /// Its objects, labelled, in apply order.
        objects: Vec<PlannedObject>,
    },
    /// Wait until these CRDs are Established and their kinds are served by discovery.
    WaitCrds(Vec<CrdWait>),
    /// Wait until these workloads are rolled out.
    WaitWorkloads(Vec<WorkloadWait>),
    /// Remove objects of this installation that the manifest no longer has.
    Prune(PrunePlan),
}

/// A whole install, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct InstallPlan {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Who owns the objects.
    pub ownership: Ownership,
    /// Whether this is a server-side dry run.
    pub dry_run: bool,
    /// The namespaces the manifest creates (a dry run cannot check objects inside them).
    pub namespaces: BTreeSet<String>,
    /// The (group, kind) of the CRDs the manifest creates (a dry run cannot check their
    /// custom resources).
    pub crd_kinds: BTreeSet<(String, String)>,
}

impl InstallPlan {
    /// Every object the plan applies, in order.
    pub fn objects(&self) -> impl Iterator<Item = &PlannedObject> {
        self.steps.iter().flat_map(|s| match s {
            Step::Apply { objects, .. } => objects.as_slice(),
            _ => &[],
        })
    }

    /// The workloads the plan waits for (or would, for a dry run: every rollable workload).
    pub fn workloads(&self) -> Vec<WorkloadWait> {
        self.objects()
            .filter(|o| is_rollable(&o.id))
            .map(|o| WorkloadWait {
                id: o.id.clone(),
                target: o.target.clone(),
            })
            .collect()
    }
}

/// Whether the engine waits for an object's rollout.
pub fn is_rollable(id: &ObjectId) -> bool {
    id.group == "apps" && matches!(id.kind.as_str(), "Deployment" | "DaemonSet" | "StatefulSet")
}

/// Relabels the planned objects whose ids are in `addons` as addons of the installation
/// ([`Ownership::addon_labels`]), so that prune and uninstall treat them as the installation's.
pub fn mark_addons(plan: &mut InstallPlan, addons: &BTreeSet<ObjectId>) {
    let labels = plan.ownership.addon_labels();
    for step in &mut plan.steps {
        let Step::Apply { objects, .. } = step else {
            continue;
        };
        for object in objects.iter_mut().filter(|o| addons.contains(&o.id)) {
            if let Some(map) = object
                .value
                .pointer_mut("/metadata/labels")
                .and_then(Value::as_object_mut)
            {
                for (k, v) in &labels {
                    map.insert(k.clone(), Value::String(v.clone()));
                }
            }
        }
    }
}

/// Plans the install of `manifest` by `ownership`.
pub fn install_plan(manifest: &Manifest, ownership: &Ownership, opts: &PlanOptions) -> InstallPlan {
    let catalog = KindCatalog::for_objects(manifest.objects());
    let mut steps = Vec::new();
    let count = manifest.stages.len();
    for (i, stage) in manifest.stages.iter().enumerate() {
        let objects: Vec<PlannedObject> = stage
            .objects
            .iter()
            .map(|o| PlannedObject {
                id: ObjectId::of(o),
                component: o.component,
                target: catalog.target_of(&o.value),
                value: ownership.label(o),
            })
            .collect();
        let crds: Vec<CrdWait> = stage
            .objects
            .iter()
            .filter_map(|o| crd_wait(&o.value))
            .collect();
        let workloads: Vec<WorkloadWait> = objects
            .iter()
            .filter(|o| is_rollable(&o.id))
            .map(|o| WorkloadWait {
                id: o.id.clone(),
                target: o.target.clone(),
            })
            .collect();
        steps.push(Step::Apply {
            stage: stage.kind,
            objects,
        });
        if opts.dry_run {
            continue;
        }
        if !crds.is_empty() && i + 1 < count {
            steps.push(Step::WaitCrds(crds));
        }
        if !workloads.is_empty() {
            steps.push(Step::WaitWorkloads(workloads));
        }
    }
    if opts.prune {
        steps.push(Step::Prune(prune_plan(manifest, ownership, &catalog)));
    }
    InstallPlan {
        steps,
        ownership: ownership.clone(),
        dry_run: opts.dry_run,
        namespaces: manifest
            .objects()
            .filter(|o| is_namespace(o.group(), o.kind()))
            .map(|o| o.name().to_string())
            .collect(),
        crd_kinds: manifest
            .objects()
            .filter_map(|o| crd_target(&o.value))
            .map(|t| (t.group, t.kind))
            .collect(),
    }
}

fn crd_wait(value: &Value) -> Option<CrdWait> {
    let target = crd_target(value)?;
    Some(CrdWait {
        name: value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        group: target.group,
        plural: target.plural,
        versions: crd_served_versions(value),
    })
}

fn prune_plan(manifest: &Manifest, ownership: &Ownership, catalog: &KindCatalog) -> PrunePlan {
    let manifest_kinds: Vec<(&str, &str)> = manifest
        .objects()
        .filter(|o| !is_namespace(o.group(), o.kind()) && !is_crd(o.group(), o.kind()))
        .map(|o| (o.group(), o.kind()))
        .collect();
    PrunePlan {
        selector: ownership.selector(),
        kinds: catalog.owned_targets(manifest_kinds),
        keep: manifest.objects().map(ObjectId::of).collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use mesh_manifest::Object;
    use mesh_manifest::order::{OrderOptions, order};
    use serde_json::json;

    fn manifest() -> Manifest {
        let objects = vec![
            Object::new(
                Some(ComponentName::Base),
                json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"kind": "Widget", "plural": "widgets"},
                    "versions": [{"name": "v1", "served": true, "storage": true}]}}),
            ),
            Object::new(
                Some(ComponentName::Pilot),
                json!({"apiVersion": "example.com/v1", "kind": "Widget",
                "metadata": {"name": "w", "namespace": "mesh"}}),
            ),
            Object::new(
                Some(ComponentName::Pilot),
                json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "d", "namespace": "mesh"}}),
            ),
        ];
        order(objects, &OrderOptions::default()).unwrap()
    }

    fn owner() -> Ownership {
        Ownership::from_operator(&json!({"metadata": {"namespace": "mesh"}}), "1.30.3")
    }

    fn shape(plan: &InstallPlan) -> Vec<String> {
        plan.steps
            .iter()
            .map(|s| match s {
                Step::Apply { stage, objects } => format!("apply {stage} x{}", objects.len()),
                Step::WaitCrds(c) => format!("crds {}", c[0].name),
                Step::WaitWorkloads(w) => format!("workloads {}", w[0].id),
                Step::Prune(p) => format!("prune keep {}", p.keep.len()),
            })
            .collect()
    }

    #[test]
    fn marked_addons_get_the_addons_component_and_the_installation_labels() {
        let m = manifest();
        let mut plan = install_plan(&m, &owner(), &PlanOptions::default());
        let marked: BTreeSet<ObjectId> = m
            .objects()
            .filter(|o| o.kind() == "Deployment")
            .map(ObjectId::of)
            .collect();
        assert!(!marked.is_empty());
        mark_addons(&mut plan, &marked);
        for o in plan.objects() {
            let component = o
                .value
                .pointer("/metadata/labels/operator.istio.io~1component")
                .and_then(Value::as_str);
            if marked.contains(&o.id) {
                assert_eq!(component, Some(crate::labels::ADDONS_COMPONENT), "{}", o.id);
                assert!(
                    owner().owns(o.value.pointer("/metadata/labels")),
                    "{}",
                    o.id
                );
            } else {
                assert_ne!(component, Some(crate::labels::ADDONS_COMPONENT), "{}", o.id);
            }
        }
    }

    #[test]
    fn waits_follow_the_stages_that_need_them() {
        let plan = install_plan(&manifest(), &owner(), &PlanOptions::default());
        assert_eq!(
            shape(&plan),
            [
                "apply 00-namespaces-crds x2",
                "crds widgets.example.com",
                "apply 01-config-rbac x1",
                "apply 02-workloads x1",
                "workloads Deployment.apps/mesh/d",
                "prune keep 4",
            ]
        );
        assert_eq!(plan.namespaces, BTreeSet::from(["mesh".to_string()]));
        assert!(
            plan.crd_kinds
                .contains(&("example.com".into(), "Widget".into()))
        );
        let widget = plan.objects().find(|o| o.id.kind == "Widget").unwrap();
        assert_eq!(widget.target.plural, "widgets");
        assert_eq!(
            widget
                .value
                .pointer("/metadata/labels/operator.istio.io~1component"),
            Some(&json!("Pilot"))
        );
    }

    #[test]
    fn dry_runs_do_not_wait_and_prune_can_be_left_out() {
        let opts = PlanOptions {
            dry_run: true,
            prune: false,
        };
        let plan = install_plan(&manifest(), &owner(), &opts);
        assert_eq!(
            shape(&plan),
            [
                "apply 00-namespaces-crds x2",
                "apply 01-config-rbac x1",
                "apply 02-workloads x1"
            ]
        );
        assert!(plan.dry_run);
        assert_eq!(plan.workloads().len(), 1);
    }
}
