//! The install dependency graph: which object must exist on the cluster before which, and why.

use super::id::ObjectId;
use crate::Object;
use crate::object::pointer_get;
use mesh_core::Value;
use std::collections::{BTreeSet, HashMap};
use std::fmt;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
const ADMISSION_GROUP: &str = "admissionregistration.k8s.io";

/// Why one object has to be applied before another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeReason {
    /// The dependent object lives in this Namespace.
    Namespace,
    /// The dependent object is a custom resource of this CustomResourceDefinition; the CRD must also
    /// be `Established` before the resource can be applied.
    CustomResourceDefinition,
    /// The workload's pod template runs as this ServiceAccount.
    ServiceAccount,
    /// The workload's pod template mounts or reads this ConfigMap.
    ConfigMap,
    /// The workload's pod template mounts, reads or pulls images with this Secret.
    Secret,
    /// The binding grants this Role or ClusterRole.
    BoundRole,
    /// The binding grants permissions to the workload's ServiceAccount, which the workload needs
    /// as soon as it starts.
    ServiceAccountBinding,
    /// The webhook configuration sends admission requests to this Service.
    WebhookService,
    /// The admission policy binding refers to this policy.
    AdmissionPolicy,
}

impl EdgeReason {
    /// Whether the dependent object may only be applied after a stage boundary (a `kubectl wait`),
    /// not merely later in the same `kubectl apply`.
    pub fn needs_stage_boundary(self) -> bool {
        matches!(self, EdgeReason::CustomResourceDefinition)
    }

    /// A short phrase for messages and graph dumps.
    pub fn describe(self) -> &'static str {
        match self {
            EdgeReason::Namespace => "namespace of",
            EdgeReason::CustomResourceDefinition => "defines the kind of",
            EdgeReason::ServiceAccount => "service account of",
            EdgeReason::ConfigMap => "config map used by",
            EdgeReason::Secret => "secret used by",
            EdgeReason::BoundRole => "role granted by",
            EdgeReason::ServiceAccountBinding => "binds the service account of",
            EdgeReason::WebhookService => "service called by",
            EdgeReason::AdmissionPolicy => "policy of",
        }
    }
}

impl fmt::Display for EdgeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// One dependency: `from` must be applied before `to`. Both are indexes into [`Graph::nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Edge {
    /// The object needed first.
    pub from: usize,
    /// The object that needs it.
    pub to: usize,
    /// Why.
    pub reason: EdgeReason,
}

/// The dependency graph of a manifest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Graph {
    /// One node per object, by id, in the order of the objects the graph was built from.
    pub nodes: Vec<ObjectId>,
    /// Dependencies, sorted and without duplicates.
    pub edges: Vec<Edge>,
}

impl Graph {
    /// Builds the graph of `objects`: every dependency the install order must respect.
    pub fn build(objects: &[Object]) -> Graph {
        let nodes: Vec<ObjectId> = objects.iter().map(ObjectId::of).collect();
        let index = Index::new(objects, &nodes);
        let mut edges = BTreeSet::new();
        for (to, object) in objects.iter().enumerate() {
            let mut add = |from: usize, reason: EdgeReason| {
                if from != to {
                    edges.insert(Edge { from, to, reason });
                }
            };
            let id = &nodes[to];
            if !id.namespace.is_empty() {
                for &ns in index
                    .namespaces
                    .get(id.namespace.as_str())
                    .into_iter()
                    .flatten()
                {
                    add(ns, EdgeReason::Namespace);
                }
            }
            let crd_key = (id.group.as_str(), id.kind.as_str());
            for &crd in index.crds.get(&crd_key).into_iter().flatten() {
                add(crd, EdgeReason::CustomResourceDefinition);
            }
            if let Some(pod) = pod_spec(object) {
                workload_edges(pod, id, &index, &mut add);
            }
            binding_edges(object, id, &index, &mut add);
            webhook_edges(object, &index, &mut add);
            policy_edges(object, id, &index, &mut add);
        }
        Graph {
            nodes,
            edges: edges.into_iter().collect(),
        }
    }

    /// The edges into `node`: what it needs first.
    pub fn dependencies(&self, node: usize) -> impl Iterator<Item = &Edge> {
        self.edges.iter().filter(move |e| e.to == node)
    }
}

/// Lookup tables from ids and names to node indexes.
struct Index<'a> {
    by_id: HashMap<&'a ObjectId, Vec<usize>>,
    namespaces: HashMap<&'a str, Vec<usize>>,
    crds: HashMap<(&'a str, &'a str), Vec<usize>>,
    /// (node index, object) of every RoleBinding and ClusterRoleBinding.
    bindings: Vec<(usize, &'a Object)>,
}

impl<'a> Index<'a> {
    fn new(objects: &'a [Object], nodes: &'a [ObjectId]) -> Self {
        let mut index = Index {
            by_id: HashMap::new(),
            namespaces: HashMap::new(),
            crds: HashMap::new(),
            bindings: Vec::new(),
        };
        for (i, (object, id)) in objects.iter().zip(nodes).enumerate() {
            index.by_id.entry(id).or_default().push(i);
            match (id.group.as_str(), id.kind.as_str()) {
                ("", "Namespace") => index.namespaces.entry(&id.name).or_default().push(i),
                ("apiextensions.k8s.io", "CustomResourceDefinition") => {
                    // Read without parsing the whole tree of a prebuilt CRD.
                    let text = |p| object.value.lookup(p).and_then(Value::as_str);
                    let group = text("/spec/group").unwrap_or("");
                    let kind = text("/spec/names/kind").unwrap_or("");
                    if !group.is_empty() && !kind.is_empty() {
                        index.crds.entry((group, kind)).or_default().push(i);
                    }
                }
                (RBAC_GROUP, "RoleBinding" | "ClusterRoleBinding") => {
                    index.bindings.push((i, object));
                }
                _ => {}
            }
        }
        index
    }

    fn find(&self, group: &str, kind: &str, namespace: &str, name: &str) -> &[usize] {
        if name.is_empty() {
            return &[];
        }
        let id = ObjectId::new(group, kind, namespace, name);
        self.by_id.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }
}

fn str_at<'v>(value: &'v Value, pointer: &str) -> &'v str {
    pointer_get(value, pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn items<'v>(value: &'v Value, pointer: &str) -> &'v [Value] {
    pointer_get(value, pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The pod spec of a workload kind, or `None` for objects that run no pods.
fn pod_spec(object: &Object) -> Option<&Value> {
    let pointer = match (object.group(), object.kind()) {
        ("", "Pod") => "/spec",
        ("batch", "CronJob") => "/spec/jobTemplate/spec/template/spec",
        ("apps", "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet")
        | ("batch", "Job")
        | ("", "ReplicationController") => "/spec/template/spec",
        _ => return None,
    };
    pointer_get(&object.value, pointer).filter(|v| v.is_object())
}

/// The ServiceAccount a pod runs as: Kubernetes uses `default` when none is named.
fn pod_service_account(pod: &Value) -> &str {
    let named = str_at(pod, "/serviceAccountName");
    let named = if named.is_empty() {
        str_at(pod, "/serviceAccount")
    } else {
        named
    };
    if named.is_empty() { "default" } else { named }
}

/// (kind, name) of the ConfigMaps and Secrets a pod spec refers to.
fn pod_config_refs(pod: &Value) -> Vec<(&'static str, &str)> {
    let mut refs = Vec::new();
    for volume in items(pod, "/volumes") {
        refs.push(("ConfigMap", str_at(volume, "/configMap/name")));
        refs.push(("Secret", str_at(volume, "/secret/secretName")));
        for source in items(volume, "/projected/sources") {
            refs.push(("ConfigMap", str_at(source, "/configMap/name")));
            refs.push(("Secret", str_at(source, "/secret/name")));
        }
    }
    for secret in items(pod, "/imagePullSecrets") {
        refs.push(("Secret", str_at(secret, "/name")));
    }
    let containers = items(pod, "/containers").iter();
    for container in containers.chain(items(pod, "/initContainers")) {
        for from in items(container, "/envFrom") {
            refs.push(("ConfigMap", str_at(from, "/configMapRef/name")));
            refs.push(("Secret", str_at(from, "/secretRef/name")));
        }
        for env in items(container, "/env") {
            refs.push(("ConfigMap", str_at(env, "/valueFrom/configMapKeyRef/name")));
            refs.push(("Secret", str_at(env, "/valueFrom/secretKeyRef/name")));
        }
    }
    refs.retain(|(_, name)| !name.is_empty());
    refs
}

fn workload_edges(
    pod: &Value,
    id: &ObjectId,
    index: &Index<'_>,
    add: &mut impl FnMut(usize, EdgeReason),
) {
    let ns = id.namespace.as_str();
    let account = pod_service_account(pod);
    for &sa in index.find("", "ServiceAccount", ns, account) {
        add(sa, EdgeReason::ServiceAccount);
    }
    for (kind, name) in pod_config_refs(pod) {
        let reason = if kind == "ConfigMap" {
            EdgeReason::ConfigMap
        } else {
            EdgeReason::Secret
        };
        for &dep in index.find("", kind, ns, name) {
            add(dep, reason);
        }
    }
    for &(binding, object) in &index.bindings {
        let binding_ns = object.namespace();
        let binds_account = items(&object.value, "/subjects").iter().any(|s| {
            let subject_ns = str_at(s, "/namespace");
            let subject_ns = if subject_ns.is_empty() {
                binding_ns
            } else {
                subject_ns
            };
            str_at(s, "/kind") == "ServiceAccount"
                && str_at(s, "/name") == account
                && subject_ns == ns
        });
        if binds_account {
            add(binding, EdgeReason::ServiceAccountBinding);
        }
    }
}

fn binding_edges(
    object: &Object,
    id: &ObjectId,
    index: &Index<'_>,
    add: &mut impl FnMut(usize, EdgeReason),
) {
    if id.group != RBAC_GROUP || !matches!(id.kind.as_str(), "RoleBinding" | "ClusterRoleBinding") {
        return;
    }
    let name = str_at(&object.value, "/roleRef/name");
    let targets = match str_at(&object.value, "/roleRef/kind") {
        "ClusterRole" => index.find(RBAC_GROUP, "ClusterRole", "", name),
        "Role" => index.find(RBAC_GROUP, "Role", &id.namespace, name),
        _ => &[],
    };
    for &role in targets {
        add(role, EdgeReason::BoundRole);
    }
}

fn webhook_edges(object: &Object, index: &Index<'_>, add: &mut impl FnMut(usize, EdgeReason)) {
    if object.group() != ADMISSION_GROUP
        || !matches!(
            object.kind(),
            "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration"
        )
    {
        return;
    }
    for webhook in items(&object.value, "/webhooks") {
        let ns = str_at(webhook, "/clientConfig/service/namespace");
        let name = str_at(webhook, "/clientConfig/service/name");
        for &service in index.find("", "Service", ns, name) {
            add(service, EdgeReason::WebhookService);
        }
    }
}

fn policy_edges(
    object: &Object,
    id: &ObjectId,
    index: &Index<'_>,
    add: &mut impl FnMut(usize, EdgeReason),
) {
    let policy_kind = match (id.group.as_str(), id.kind.as_str()) {
        (ADMISSION_GROUP, "ValidatingAdmissionPolicyBinding") => "ValidatingAdmissionPolicy",
        (ADMISSION_GROUP, "MutatingAdmissionPolicyBinding") => "MutatingAdmissionPolicy",
        _ => return,
    };
    let name = str_at(&object.value, "/spec/policyName");
    for &policy in index.find(ADMISSION_GROUP, policy_kind, "", name) {
        add(policy, EdgeReason::AdmissionPolicy);
    }
}
