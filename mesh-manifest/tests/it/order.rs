//! The dependency graph, stages and deterministic order of `order()`.

use crate::support::STAGE_FILES;
use mesh_core::Value;
use mesh_manifest::order::{EdgeReason, Graph};
use mesh_manifest::{Object, ObjectId, OrderError, OrderOptions, StageKind, order};
use serde_json::json;
use std::collections::BTreeMap;

/// Orders `objects` without adding Namespace objects.
fn order_without_namespaces(objects: Vec<Object>) -> mesh_manifest::Manifest {
    let opts = OrderOptions {
        namespaces: false,
        ..Default::default()
    };
    order(objects, &opts).unwrap()
}

fn obj(api: &str, kind: &str, ns: &str, name: &str) -> Object {
    let mut v = json!({"apiVersion": api, "kind": kind, "metadata": {"name": name}});
    if !ns.is_empty() {
        v["metadata"]["namespace"] = json!(ns);
    }
    Object::new(None, v)
}

fn with(mut o: Object, pointer_path: &[&str], value: Value) -> Object {
    let mut cur: &mut Value = &mut o.value;
    for key in pointer_path {
        if cur.get(*key).is_none() {
            cur[*key] = json!({});
        }
        cur = &mut cur[*key];
    }
    *cur = value;
    o
}

fn ids(manifest: &mesh_manifest::Manifest) -> Vec<String> {
    manifest
        .objects()
        .map(|o| ObjectId::of(o).to_string())
        .collect()
}

fn pos(list: &[String], id: &str) -> usize {
    list.iter()
        .position(|x| x == id)
        .unwrap_or_else(|| panic!("{id} not in {list:#?}"))
}

fn crd(group: &str, kind: &str, plural: &str) -> Object {
    with(
        obj(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "",
            &format!("{plural}.{group}"),
        ),
        &["spec"],
        json!({"group": group, "names": {"kind": kind, "plural": plural}, "scope": "Namespaced"}),
    )
}

/// A Deployment using a ServiceAccount, a ConfigMap (volume and env), a Secret (projected
/// volume, envFrom and image pull secret).
fn deployment(ns: &str, name: &str, sa: &str) -> Object {
    with(
        obj("apps/v1", "Deployment", ns, name),
        &["spec", "template", "spec"],
        json!({
            "serviceAccountName": sa,
            "imagePullSecrets": [{"name": "pull"}],
            "volumes": [
                {"name": "c", "configMap": {"name": "cfg"}},
                {"name": "p", "projected": {"sources": [{"secret": {"name": "certs"}}]}}
            ],
            "containers": [{"name": "main",
                "envFrom": [{"secretRef": {"name": "env-secret"}}],
                "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "env-cfg", "key": "x"}}}]}]
        }),
    )
}

fn binding(
    kind: &str,
    ns: &str,
    name: &str,
    role_kind: &str,
    role: &str,
    sa_ns: &str,
    sa: &str,
) -> Object {
    let o = obj("rbac.authorization.k8s.io/v1", kind, ns, name);
    let o = with(
        o,
        &["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role}),
    );
    with(
        o,
        &["subjects"],
        json!([{"kind": "ServiceAccount", "name": sa, "namespace": sa_ns}]),
    )
}

fn webhook(kind: &str, name: &str, svc_ns: &str, svc: &str) -> Object {
    with(
        obj("admissionregistration.k8s.io/v1", kind, "", name),
        &["webhooks"],
        json!([{"name": "w.example.com", "clientConfig": {"service": {"namespace": svc_ns, "name": svc}}}]),
    )
}

/// A small installation whose objects are given in the worst possible order.
fn installation() -> Vec<Object> {
    vec![
        webhook("MutatingWebhookConfiguration", "injector", "sys", "api"),
        webhook("ValidatingWebhookConfiguration", "validator", "sys", "api"),
        deployment("sys", "api", "api-sa"),
        with(
            obj("v1", "Service", "sys", "api"),
            &["spec"],
            json!({"selector": {"app": "api"}, "ports": [{"port": 443}]}),
        ),
        binding(
            "RoleBinding",
            "sys",
            "api-rb",
            "Role",
            "api-role",
            "sys",
            "api-sa",
        ),
        binding(
            "ClusterRoleBinding",
            "",
            "api-crb",
            "ClusterRole",
            "api-cr",
            "sys",
            "api-sa",
        ),
        obj("rbac.authorization.k8s.io/v1", "Role", "sys", "api-role"),
        obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", "api-cr"),
        obj("v1", "Secret", "sys", "pull"),
        obj("v1", "Secret", "sys", "certs"),
        obj("v1", "Secret", "sys", "env-secret"),
        obj("v1", "ConfigMap", "sys", "cfg"),
        obj("v1", "ConfigMap", "sys", "env-cfg"),
        obj("v1", "ServiceAccount", "sys", "api-sa"),
        with(
            obj("example.com/v1", "Widget", "sys", "w1"),
            &["spec"],
            json!({"size": 1}),
        ),
        crd("example.com", "Widget", "widgets"),
        obj("example.com/v1", "Gadget", "sys", "unknown-kind"),
    ]
}

#[test]
fn dependencies_come_first_with_their_reasons() {
    let manifest = order(installation(), &OrderOptions::default()).unwrap();
    let order = ids(&manifest);
    let deploy = pos(&order, "Deployment.apps/sys/api");
    for dep in [
        "Namespace/sys",
        "ServiceAccount/sys/api-sa",
        "ConfigMap/sys/cfg",
        "ConfigMap/sys/env-cfg",
        "Secret/sys/pull",
        "Secret/sys/certs",
        "Secret/sys/env-secret",
        "RoleBinding.rbac.authorization.k8s.io/sys/api-rb",
        "ClusterRoleBinding.rbac.authorization.k8s.io/api-crb",
        "Role.rbac.authorization.k8s.io/sys/api-role",
        "ClusterRole.rbac.authorization.k8s.io/api-cr",
    ] {
        assert!(
            pos(&order, dep) < deploy,
            "{dep} before the Deployment: {order:#?}"
        );
    }
    let service = pos(&order, "Service/sys/api");
    for hook in [
        "MutatingWebhookConfiguration.admissionregistration.k8s.io/injector",
        "ValidatingWebhookConfiguration.admissionregistration.k8s.io/validator",
    ] {
        assert!(service < pos(&order, hook), "{hook} after its Service");
    }

    let g = &manifest.graph;
    assert_eq!(g.nodes.len(), order.len());
    let reasons: BTreeMap<(String, String), EdgeReason> = g
        .edges
        .iter()
        .map(|e| {
            (
                (g.nodes[e.from].to_string(), g.nodes[e.to].to_string()),
                e.reason,
            )
        })
        .collect();
    let reason = |from: &str, to: &str| reasons.get(&(from.to_string(), to.to_string())).copied();
    let d = "Deployment.apps/sys/api";
    assert_eq!(
        reason("ServiceAccount/sys/api-sa", d),
        Some(EdgeReason::ServiceAccount)
    );
    assert_eq!(
        reason("ConfigMap/sys/env-cfg", d),
        Some(EdgeReason::ConfigMap)
    );
    assert_eq!(reason("Secret/sys/pull", d), Some(EdgeReason::Secret));
    assert_eq!(
        reason("ClusterRoleBinding.rbac.authorization.k8s.io/api-crb", d),
        Some(EdgeReason::ServiceAccountBinding)
    );
    assert_eq!(
        reason(
            "ClusterRole.rbac.authorization.k8s.io/api-cr",
            "ClusterRoleBinding.rbac.authorization.k8s.io/api-crb"
        ),
        Some(EdgeReason::BoundRole)
    );
    assert_eq!(
        reason(
            "Service/sys/api",
            "MutatingWebhookConfiguration.admissionregistration.k8s.io/injector"
        ),
        Some(EdgeReason::WebhookService)
    );
    assert_eq!(reason("Namespace/sys", d), Some(EdgeReason::Namespace));
    // Edges point forward in the output order.
    assert!(g.edges.iter().all(|e| e.from < e.to));
}

#[test]
fn custom_resources_of_our_crds_come_after_a_stage_boundary() {
    let manifest = order(installation(), &OrderOptions::default()).unwrap();
    let stage_of = |id: &str| {
        manifest
            .stages
            .iter()
            .find(|s| s.objects.iter().any(|o| ObjectId::of(o).to_string() == id))
            .map(|s| s.kind)
            .unwrap()
    };
    assert_eq!(
        stage_of("CustomResourceDefinition.apiextensions.k8s.io/widgets.example.com"),
        StageKind::NamespacesCrds
    );
    assert_eq!(stage_of("Widget.example.com/sys/w1"), StageKind::ConfigRbac);
    let g = &manifest.graph;
    let crd_edge = g
        .edges
        .iter()
        .find(|e| e.reason == EdgeReason::CustomResourceDefinition)
        .unwrap();
    assert_eq!(
        g.nodes[crd_edge.to].to_string(),
        "Widget.example.com/sys/w1"
    );
    assert!(crd_edge.reason.needs_stage_boundary());

    // Stage names and order.
    let names: Vec<String> = manifest.stages.iter().map(|s| s.file_name()).collect();
    assert_eq!(names, STAGE_FILES);
}

#[test]
fn unknown_kinds_are_ordered_by_their_references_only() {
    // An unknown kind with no references sits in the config stage, after the known config kinds
    // and before Services; within its namespace it still follows the Namespace.
    let manifest = order(installation(), &OrderOptions::default()).unwrap();
    let order = ids(&manifest);
    let unknown = pos(&order, "Gadget.example.com/sys/unknown-kind");
    assert!(pos(&order, "Namespace/sys") < unknown);
    assert!(pos(&order, "RoleBinding.rbac.authorization.k8s.io/sys/api-rb") < unknown);
    assert!(unknown < pos(&order, "Service/sys/api"));
    let g = &manifest.graph;
    let into: Vec<EdgeReason> = g
        .edges
        .iter()
        .filter(|e| g.nodes[e.to].kind == "Gadget")
        .map(|e| e.reason)
        .collect();
    assert_eq!(into, [EdgeReason::Namespace]);
}

#[test]
fn order_does_not_depend_on_input_order() {
    let forward = order(installation(), &OrderOptions::default()).unwrap();
    let mut reversed_input = installation();
    reversed_input.reverse();
    let backward = order(reversed_input, &OrderOptions::default()).unwrap();
    assert_eq!(ids(&forward), ids(&backward));
    assert_eq!(forward.graph, backward.graph);
}

#[test]
fn ties_break_by_kind_rank_then_group_kind_namespace_name() {
    let objects = vec![
        obj("v1", "ConfigMap", "b", "z"),
        obj("v1", "ConfigMap", "a", "y"),
        obj("v1", "ConfigMap", "a", "x"),
        obj("v1", "ServiceAccount", "b", "sa"),
    ];
    let m = order_without_namespaces(objects);
    assert_eq!(
        ids(&m),
        [
            "ServiceAccount/b/sa",
            "ConfigMap/a/x",
            "ConfigMap/a/y",
            "ConfigMap/b/z"
        ]
    );
}

#[test]
fn a_dependency_cycle_is_an_error_naming_the_objects() {
    // Two Namespace objects claiming to live in each other.
    let objects = vec![
        with(
            obj("v1", "Namespace", "", "a"),
            &["metadata", "namespace"],
            json!("b"),
        ),
        with(
            obj("v1", "Namespace", "", "b"),
            &["metadata", "namespace"],
            json!("a"),
        ),
        obj("v1", "ConfigMap", "a", "fine"),
    ];
    let err = order(objects, &OrderOptions::default()).unwrap_err();
    let OrderError::Cycle { cycle } = &err else {
        panic!("expected a cycle, got {err}");
    };
    let mut names: Vec<String> = cycle.iter().map(ToString::to_string).collect();
    names.sort();
    assert_eq!(names, ["Namespace/a/b", "Namespace/b/a"]);
    let message = err.to_string();
    assert!(
        message.starts_with("dependency cycle: Namespace/"),
        "{message}"
    );
    assert!(message.contains(" -> "), "{message}");
}

#[test]
fn objects_without_identity_are_rejected() {
    let objects = vec![
        obj("v1", "ConfigMap", "a", "ok"),
        Object::new(None, json!({"apiVersion": "v1", "kind": "ConfigMap"})),
    ];
    let err = order(objects, &OrderOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "object #1 (ConfigMap/): missing metadata.name"
    );
}

#[test]
fn namespaces_are_emitted_unless_disabled_and_never_for_system_namespaces() {
    let objects = vec![
        obj("v1", "ConfigMap", "istio-system", "a"),
        obj("v1", "ConfigMap", "kube-system", "b"),
        obj("v1", "ConfigMap", "default", "c"),
    ];
    let mut labels = BTreeMap::new();
    labels.insert(
        "istio-system".to_string(),
        BTreeMap::from([("topology.istio.io/network".to_string(), "net1".to_string())]),
    );
    let opts = OrderOptions {
        namespaces: true,
        namespace_labels: labels,
    };
    let m = order(objects.clone(), &opts).unwrap();
    let ns: Vec<&Object> = m.objects().filter(|o| o.kind() == "Namespace").collect();
    assert_eq!(ns.len(), 1);
    assert_eq!(
        ns[0].value,
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system",
            "labels": {"topology.istio.io/network": "net1"}}})
    );
    assert_eq!(ids(&m)[0], "Namespace/istio-system");

    let m = order_without_namespaces(objects);
    assert!(m.objects().all(|o| o.kind() != "Namespace"));
    assert_eq!(m.stages[0].kind, StageKind::ConfigRbac);
    assert_eq!(m.stages[0].file_name(), "01-config-rbac.yaml");
}

#[test]
fn admission_policy_bindings_follow_their_policy() {
    let objects = vec![
        with(
            obj(
                "admissionregistration.k8s.io/v1",
                "ValidatingAdmissionPolicyBinding",
                "",
                "b",
            ),
            &["spec"],
            json!({"policyName": "a-policy"}),
        ),
        obj(
            "admissionregistration.k8s.io/v1",
            "ValidatingAdmissionPolicy",
            "",
            "a-policy",
        ),
    ];
    let m = order(objects, &OrderOptions::default()).unwrap();
    let g = Graph::build(&m.clone().into_objects());
    assert_eq!(g.edges.len(), 1);
    assert_eq!(g.edges[0].reason, EdgeReason::AdmissionPolicy);
    assert_eq!(
        ids(&m),
        [
            "ValidatingAdmissionPolicy.admissionregistration.k8s.io/a-policy",
            "ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io/b"
        ]
    );
    assert!(m.stages.iter().all(|s| s.kind == StageKind::Webhooks));
}

#[test]
fn empty_input_gives_an_empty_manifest() {
    let m = order(Vec::new(), &OrderOptions::default()).unwrap();
    assert!(m.is_empty());
    assert_eq!(m.len(), 0);
    assert!(m.stages.is_empty());
}
