//! Ordering the objects of every reference manifest satisfies all of the conformance scorer's
//! strict install-order rules (reimplemented here from `shared/tools/conformance.py`).

use crate::support::{manifest_cases, manifest_dir};
use mesh_core::Value;
use mesh_manifest::{Object, ObjectId, OrderOptions, StageKind, order};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

/// (case name, objects of expected.yaml in file order) for every reference case, read once per
/// test binary. Documents are parsed once per distinct text: most cases share their CRDs.
fn reference_cases() -> &'static [(String, Vec<Value>)] {
    static CASES: OnceLock<Vec<(String, Vec<Value>)>> = OnceLock::new();
    CASES.get_or_init(|| {
        let Some(dir) = manifest_dir() else {
            return Vec::new();
        };
        let mut cache: HashMap<String, Value> = HashMap::new();
        let mut cases = Vec::new();
        for (name, case) in manifest_cases(&dir) {
            let text = mesh_test_support::read(&case.join("expected.yaml"));
            let docs: Vec<Value> = text
                .split("\n---\n")
                .map(|doc| {
                    cache
                        .entry(doc.to_string())
                        .or_insert_with(|| mesh_core::from_yaml_str(doc, "expected.yaml").unwrap())
                        .clone()
                })
                .filter(Value::is_object)
                .collect();
            cases.push((name, docs));
        }
        cases
    })
}

// ---- the scorer's rules -------------------------------------------------------------------

fn s<'v>(v: &'v Value, pointer: &str) -> &'v str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn list<'v>(v: &'v Value, pointer: &str) -> &'v [Value] {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn pod_spec(o: &Value) -> &Value {
    static EMPTY: Value = Value::Null;
    let pointer = match s(o, "/kind") {
        "Pod" => "/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        _ => "/spec/template/spec",
    };
    o.pointer(pointer).unwrap_or(&EMPTY)
}

/// (kind, name) references of a workload's pod spec, and its explicit service account.
fn workload_refs(o: &Value) -> (BTreeSet<(&'static str, String)>, String) {
    let ps = pod_spec(o);
    let mut refs = BTreeSet::new();
    let mut sa = s(ps, "/serviceAccountName").to_string();
    if sa.is_empty() {
        sa = s(ps, "/serviceAccount").to_string();
    }
    if !sa.is_empty() {
        refs.insert(("ServiceAccount", sa.clone()));
    }
    for vol in list(ps, "/volumes") {
        refs.insert(("ConfigMap", s(vol, "/configMap/name").to_string()));
        refs.insert(("Secret", s(vol, "/secret/secretName").to_string()));
        for src in list(vol, "/projected/sources") {
            refs.insert(("ConfigMap", s(src, "/configMap/name").to_string()));
            refs.insert(("Secret", s(src, "/secret/name").to_string()));
        }
    }
    let containers = list(ps, "/containers").iter();
    for c in containers.chain(list(ps, "/initContainers")) {
        for ef in list(c, "/envFrom") {
            refs.insert(("ConfigMap", s(ef, "/configMapRef/name").to_string()));
            refs.insert(("Secret", s(ef, "/secretRef/name").to_string()));
        }
        for ev in list(c, "/env") {
            refs.insert((
                "ConfigMap",
                s(ev, "/valueFrom/configMapKeyRef/name").to_string(),
            ));
            refs.insert(("Secret", s(ev, "/valueFrom/secretKeyRef/name").to_string()));
        }
    }
    refs.retain(|(_, n)| !n.is_empty());
    (refs, sa)
}

/// Every break of the scorer's install-order rules in `objs`, as readable lines.
fn order_violations(objs: &[Value]) -> Vec<String> {
    let ids: Vec<ObjectId> = objs.iter().map(ObjectId::of_value).collect();
    let mut pos: HashMap<&ObjectId, usize> = HashMap::new();
    for (i, id) in ids.iter().enumerate() {
        pos.entry(id).or_insert(i);
    }
    let mut viol = Vec::new();
    let before = |dep: ObjectId, user: usize, why: &str, viol: &mut Vec<String>| {
        if let Some(&p) = pos.get(&dep)
            && p > user
        {
            viol.push(format!("{dep} must come before {} ({why})", ids[user]));
        }
    };
    let mut crd_groups: HashMap<&str, usize> = HashMap::new();
    let mut namespaces: HashMap<&str, usize> = HashMap::new();
    for (i, o) in objs.iter().enumerate() {
        if s(o, "/kind") == "CustomResourceDefinition" && !s(o, "/spec/group").is_empty() {
            crd_groups.entry(s(o, "/spec/group")).or_insert(i);
        }
        if s(o, "/kind") == "Namespace" && s(o, "/apiVersion") == "v1" {
            namespaces.insert(ids[i].name.as_str(), i);
        }
    }
    for (i, o) in objs.iter().enumerate() {
        let id = &ids[i];
        if let Some(&c) = crd_groups.get(id.group.as_str())
            && s(o, "/kind") != "CustomResourceDefinition"
            && c > i
        {
            viol.push(format!("CRD {} must come before {id}", ids[c]));
        }
        if let Some(&n) = namespaces.get(id.namespace.as_str())
            && n > i
        {
            viol.push(format!("Namespace {} must come before {id}", id.namespace));
        }
    }
    let bindings: Vec<usize> = (0..objs.len())
        .filter(|&i| {
            matches!(s(&objs[i], "/kind"), "RoleBinding" | "ClusterRoleBinding")
                && s(&objs[i], "/apiVersion").starts_with("rbac.authorization.k8s.io/")
        })
        .collect();
    for (i, o) in objs.iter().enumerate() {
        if !matches!(s(o, "/kind"), "Deployment" | "DaemonSet" | "StatefulSet") {
            continue;
        }
        let ns = ids[i].namespace.clone();
        let (refs, sa) = workload_refs(o);
        for (kind, name) in refs {
            let dep = ObjectId::new("", kind, &ns, &name);
            before(dep, i, "used by the pod template", &mut viol);
        }
        if sa.is_empty() {
            continue;
        }
        for &b in &bindings {
            let binding = &objs[b];
            let binds = list(binding, "/subjects").iter().any(|sub| {
                let sub_ns = match s(sub, "/namespace") {
                    "" => ids[b].namespace.as_str(),
                    n => n,
                };
                s(sub, "/kind") == "ServiceAccount" && s(sub, "/name") == sa && sub_ns == ns
            });
            if !binds {
                continue;
            }
            before(ids[b].clone(), i, "binds its service account", &mut viol);
            let role = s(binding, "/roleRef/name");
            match s(binding, "/roleRef/kind") {
                "ClusterRole" => before(
                    ObjectId::new("rbac.authorization.k8s.io", "ClusterRole", "", role),
                    i,
                    "bound to its service account",
                    &mut viol,
                ),
                "Role" => before(
                    ObjectId::new("rbac.authorization.k8s.io", "Role", &ids[b].namespace, role),
                    i,
                    "bound to its service account",
                    &mut viol,
                ),
                _ => {}
            }
        }
    }
    for (i, o) in objs.iter().enumerate() {
        if s(o, "/kind") != "MutatingWebhookConfiguration" {
            continue;
        }
        for wh in list(o, "/webhooks") {
            let name = s(wh, "/clientConfig/service/name");
            if name.is_empty() {
                continue;
            }
            let sid = ObjectId::new(
                "",
                "Service",
                s(wh, "/clientConfig/service/namespace"),
                name,
            );
            before(sid, i, "called by a webhook", &mut viol);
        }
    }
    let mut seen = BTreeSet::new();
    viol.retain(|v| seen.insert(v.clone()));
    viol
}

// ---- tests --------------------------------------------------------------------------------

fn ordered(docs: &[Value], namespaces: bool) -> mesh_manifest::Manifest {
    let objects = docs.iter().cloned().map(|v| Object::new(None, v)).collect();
    let opts = OrderOptions {
        namespaces,
        ..OrderOptions::default()
    };
    order(objects, &opts).unwrap()
}

#[test]
fn every_reference_manifest_orders_without_strict_order_violations() {
    let cases = reference_cases();
    let mut istio_breaks = 0;
    for (name, docs) in cases {
        istio_breaks += order_violations(docs).len();
        for namespaces in [true, false] {
            let manifest = ordered(docs, namespaces);
            let out: Vec<Value> = manifest.objects().map(|o| o.value.clone()).collect();
            let viol = order_violations(&out);
            assert!(
                viol.is_empty(),
                "{name} (namespaces={namespaces}): {viol:#?}"
            );

            // Nothing lost, nothing added except Namespaces for non-system namespaces.
            let want: BTreeMap<ObjectId, &Value> =
                docs.iter().map(|d| (ObjectId::of_value(d), d)).collect();
            let got: BTreeMap<ObjectId, &Value> = out
                .iter()
                .filter(|o| !(namespaces && s(o, "/kind") == "Namespace"))
                .map(|d| (ObjectId::of_value(d), d))
                .collect();
            assert_eq!(
                out.len() - (manifest.len() - got.len()),
                docs.len(),
                "{name}: count"
            );
            assert!(want == got, "{name}: objects changed");
        }
    }
    if !cases.is_empty() {
        // The rules are real: istioctl's own order breaks some of them.
        assert!(
            istio_breaks > 0,
            "the rule checker found nothing in istioctl's order"
        );
    }
}

#[test]
fn reference_manifests_get_namespace_objects_for_their_own_namespaces() {
    for (name, docs) in reference_cases() {
        let manifest = ordered(docs, true);
        if manifest.is_empty() {
            continue;
        }
        let added: BTreeSet<String> = manifest
            .objects()
            .filter(|o| o.kind() == "Namespace")
            .map(|o| o.name().to_string())
            .collect();
        let used: BTreeSet<String> = docs
            .iter()
            .map(|d| s(d, "/metadata/namespace").to_string())
            .filter(|ns| {
                !ns.is_empty() && !mesh_manifest::order::SYSTEM_NAMESPACES.contains(&ns.as_str())
            })
            .collect();
        assert_eq!(added, used, "{name}");
        let first = &manifest.stages[0];
        assert_eq!(first.kind, StageKind::NamespacesCrds, "{name}");
        assert!(
            first
                .objects
                .iter()
                .all(|o| matches!(o.kind(), "Namespace" | "CustomResourceDefinition")),
            "{name}: stage 0 holds only Namespaces and CRDs"
        );
    }
}

#[test]
fn reference_manifests_put_webhooks_last_and_workloads_before_them() {
    for (name, docs) in reference_cases() {
        let manifest = ordered(docs, true);
        let stage_of: BTreeMap<String, StageKind> = manifest
            .stages
            .iter()
            .flat_map(|st| {
                st.objects
                    .iter()
                    .map(move |o| (o.kind().to_string(), st.kind))
            })
            .collect();
        for (kind, stage) in &stage_of {
            let want = match kind.as_str() {
                "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration" => {
                    StageKind::Webhooks
                }
                "Deployment" | "DaemonSet" | "Service" => StageKind::Workloads,
                "ServiceAccount" | "ConfigMap" | "ClusterRole" | "RoleBinding" => {
                    StageKind::ConfigRbac
                }
                _ => continue,
            };
            assert_eq!(*stage, want, "{name}: {kind}");
        }
    }
}
