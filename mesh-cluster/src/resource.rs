//! Where a kind lives in the Kubernetes API: its group, version, plural resource name and scope,
//! and the URL paths built from them.

use mesh_core::Value;
use mesh_manifest::Object;
use std::collections::BTreeMap;

/// One API resource: enough to build the URL of its objects.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApiTarget {
    /// API group, empty for the core group.
    pub group: String,
    /// API version inside the group (`v1`, `v1alpha3`, ...).
    pub version: String,
    /// Kind, e.g. `Deployment`.
    pub kind: String,
    /// Plural resource name used in URLs, e.g. `deployments`.
    pub plural: String,
    /// Whether objects of this kind live in a namespace.
    pub namespaced: bool,
}

impl ApiTarget {
    /// Builds a target from its parts.
    pub fn new(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Self {
        ApiTarget {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            plural: plural.to_string(),
            namespaced,
        }
    }

    /// `apiVersion` as objects carry it: `v1` for the core group, `group/version` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The URL of the group version: `/api/v1` or `/apis/<group>/<version>`.
    pub fn group_version_path(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }

    /// The collection URL. `namespace` is used only for namespaced kinds; an empty namespace
    /// gives the all-namespaces collection (for listing).
    pub fn collection_path(&self, namespace: &str) -> String {
        if self.namespaced && !namespace.is_empty() {
            format!(
                "{}/namespaces/{namespace}/{}",
                self.group_version_path(),
                self.plural
            )
        } else {
            format!("{}/{}", self.group_version_path(), self.plural)
        }
    }
}

/// The kinds the engine knows how to address: Kubernetes' own kinds that meshes use, plus the
/// custom resources of the CRDs being installed.
#[derive(Debug, Clone, Default)]
pub struct KindCatalog {
    kinds: BTreeMap<(String, String), ApiTarget>,
}

/// (group, version, kind, plural, namespaced) of the built-in kinds.
const BUILTIN: &[(&str, &str, &str, &str, bool)] = &[
    ("", "v1", "Namespace", "namespaces", false),
    ("", "v1", "ServiceAccount", "serviceaccounts", true),
    ("", "v1", "ConfigMap", "configmaps", true),
    ("", "v1", "Secret", "secrets", true),
    ("", "v1", "Service", "services", true),
    ("", "v1", "Pod", "pods", true),
    ("", "v1", "Endpoints", "endpoints", true),
    ("", "v1", "ResourceQuota", "resourcequotas", true),
    ("", "v1", "LimitRange", "limitranges", true),
    (
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        true,
    ),
    ("apps", "v1", "Deployment", "deployments", true),
    ("apps", "v1", "DaemonSet", "daemonsets", true),
    ("apps", "v1", "StatefulSet", "statefulsets", true),
    ("apps", "v1", "ReplicaSet", "replicasets", true),
    ("batch", "v1", "Job", "jobs", true),
    ("batch", "v1", "CronJob", "cronjobs", true),
    (
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        true,
    ),
    (
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        true,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
    ),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", true),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
        false,
    ),
    (
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
    ),
    (
        "apiregistration.k8s.io",
        "v1",
        "APIService",
        "apiservices",
        false,
    ),
    (
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        true,
    ),
    (
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        "priorityclasses",
        false,
    ),
    (
        "networking.istio.io",
        "v1alpha3",
        "EnvoyFilter",
        "envoyfilters",
        true,
    ),
    (
        "k8s.cni.cncf.io",
        "v1",
        "NetworkAttachmentDefinition",
        "network-attachment-definitions",
        true,
    ),
    (
        "gateway.networking.k8s.io",
        "v1",
        "Gateway",
        "gateways",
        true,
    ),
];

/// The kinds an installation's objects are searched among when pruning or uninstalling (in
/// addition to the kinds of the manifest itself). Namespaces and CRDs are handled separately.
pub const OWNED_KINDS: &[(&str, &str)] = &[
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apps", "Deployment"),
    ("apps", "DaemonSet"),
    ("apps", "StatefulSet"),
    ("", "Service"),
    ("", "ConfigMap"),
    ("", "Pod"),
    ("", "Secret"),
    ("", "ServiceAccount"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("rbac.authorization.k8s.io", "Role"),
    ("policy", "PodDisruptionBudget"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("networking.istio.io", "EnvoyFilter"),
];

impl KindCatalog {
    /// The built-in kinds only.
    pub fn builtin() -> Self {
        let mut catalog = KindCatalog::default();
        for &(group, version, kind, plural, namespaced) in BUILTIN {
            catalog.insert(ApiTarget::new(group, version, kind, plural, namespaced));
        }
        catalog
    }

    /// The built-in kinds plus the custom resources defined by the CRDs among `objects`.
    pub fn for_objects<'a>(objects: impl IntoIterator<Item = &'a Object>) -> Self {
        let mut catalog = Self::builtin();
        for object in objects {
            if let Some(target) = crd_target(&object.value) {
                catalog.insert(target);
            }
        }
        catalog
    }

    /// Adds or replaces a kind.
    pub fn insert(&mut self, target: ApiTarget) {
        self.kinds
            .insert((target.group.clone(), target.kind.clone()), target);
    }

    /// The known target of (group, kind), with the catalog's version.
    pub fn get(&self, group: &str, kind: &str) -> Option<&ApiTarget> {
        self.kinds.get(&(group.to_string(), kind.to_string()))
    }

    /// The target of an object: its own `apiVersion`, the catalog's plural and scope, or for an
    /// unknown kind a guessed plural and the scope its `metadata.namespace` suggests.
    pub fn target_of(&self, value: &Value) -> ApiTarget {
        let api_version = text(value, "/apiVersion");
        let kind = text(value, "/kind");
        let (group, version) = split_api_version(api_version);
        match self.get(group, kind) {
            Some(known) => ApiTarget {
                version: version.to_string(),
                ..known.clone()
            },
            None => ApiTarget::new(
                group,
                version,
                kind,
                &guess_plural(kind),
                !text(value, "/metadata/namespace").is_empty(),
            ),
        }
    }

    /// The targets of [`OWNED_KINDS`] and of `extra` (group, kind) pairs, without duplicates,
    /// leaving out Namespaces and CRDs.
    pub fn owned_targets<'a>(
        &self,
        extra: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Vec<ApiTarget> {
        let mut out: Vec<ApiTarget> = Vec::new();
        let pairs = OWNED_KINDS.iter().copied().chain(extra);
        for (group, kind) in pairs {
            if is_namespace(group, kind) || is_crd(group, kind) {
                continue;
            }
            let Some(target) = self.get(group, kind) else {
                continue;
            };
            if !out.iter().any(|t| t.group == group && t.kind == kind) {
                out.push(target.clone());
            }
        }
        out
    }
}

/// The custom resource kind a CRD object defines (its storage version, else its first served
/// version), if `value` is a CRD.
pub fn crd_target(value: &Value) -> Option<ApiTarget> {
    let (group, _) = split_api_version(text(value, "/apiVersion"));
    if !is_crd(group, text(value, "/kind")) {
        return None;
    }
    let spec = value.get("spec")?;
    let versions = spec.get("versions").and_then(Value::as_array)?;
    let version = versions
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .or_else(|| {
            versions
                .iter()
                .find(|v| v.get("served").and_then(Value::as_bool) == Some(true))
        })
        .and_then(|v| v.get("name"))
        .and_then(Value::as_str)?;
    Some(ApiTarget::new(
        text(spec, "/group"),
        version,
        text(spec, "/names/kind"),
        text(spec, "/names/plural"),
        text(spec, "/scope") != "Cluster",
    ))
}

/// The versions a CRD object serves, in its order.
pub fn crd_served_versions(value: &Value) -> Vec<String> {
    value
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|v| v.get("served").and_then(Value::as_bool) != Some(false))
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

/// Whether (group, kind) is a CustomResourceDefinition.
pub fn is_crd(group: &str, kind: &str) -> bool {
    group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition"
}

/// Whether (group, kind) is a Namespace.
pub fn is_namespace(group: &str, kind: &str) -> bool {
    group.is_empty() && kind == "Namespace"
}

/// Whether a kind of `group` is an admission webhook configuration or admission policy.
pub fn is_admission(group: &str) -> bool {
    group == "admissionregistration.k8s.io"
}

/// Splits `apiVersion` into (group, version); the core group is empty.
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// A lower-case plural for a kind the catalog does not know, following the usual English rules
/// the API server's own names follow.
pub fn guess_plural(kind: &str) -> String {
    let word = kind.to_ascii_lowercase();
    if word.ends_with('s')
        || word.ends_with('x')
        || word.ends_with('z')
        || word.ends_with("ch")
        || word.ends_with("sh")
    {
        return format!("{word}es");
    }
    let before_y = word
        .len()
        .checked_sub(2)
        .and_then(|i| word.as_bytes().get(i));
    if word.ends_with('y') && before_y.is_some_and(|c| !b"aeiou".contains(c)) {
        return format!("{}ies", &word[..word.len() - 1]);
    }
    format!("{word}s")
}

fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_follow_group_scope_and_namespace() {
        let cat = KindCatalog::builtin();
        let d = cat.target_of(&json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "x", "namespace": "ns"}}));
        assert_eq!(
            d.collection_path("ns"),
            "/apis/apps/v1/namespaces/ns/deployments"
        );
        assert_eq!(d.collection_path(""), "/apis/apps/v1/deployments");
        let ns = cat.target_of(&json!({"apiVersion": "v1", "kind": "Namespace"}));
        assert_eq!(ns.collection_path("ignored"), "/api/v1/namespaces");
        let hpa = cat.target_of(&json!({"apiVersion": "autoscaling/v1",
            "kind": "HorizontalPodAutoscaler"}));
        assert_eq!(hpa.version, "v1", "the object's own version wins");
    }

    #[test]
    fn crds_teach_the_catalog_their_kind() {
        let crd = Object::new(
            None,
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"kind": "Widget", "plural": "widgetz"},
                    "versions": [{"name": "v1alpha1", "served": true, "storage": false},
                                 {"name": "v1", "served": true, "storage": true},
                                 {"name": "v0", "served": false, "storage": false}]}}),
        );
        let cat = KindCatalog::for_objects([&crd]);
        let t = cat.target_of(
            &json!({"apiVersion": "example.com/v1alpha1", "kind": "Widget",
            "metadata": {"name": "w"}}),
        );
        assert_eq!(t.plural, "widgetz");
        assert!(t.namespaced);
        assert_eq!(crd_served_versions(&crd.value), ["v1alpha1", "v1"]);
        assert_eq!(crd_target(&crd.value).unwrap().version, "v1");
    }

    #[test]
    fn unknown_kinds_get_a_guessed_plural() {
        assert_eq!(guess_plural("ServiceEntry"), "serviceentries");
        assert_eq!(guess_plural("Gateway"), "gateways");
        assert_eq!(guess_plural("AuthorizationPolicy"), "authorizationpolicies");
        assert_eq!(guess_plural("Ingress"), "ingresses");
        assert_eq!(guess_plural("y"), "ys");
    }

    #[test]
    fn owned_targets_skip_namespaces_crds_and_duplicates() {
        let cat = KindCatalog::builtin();
        let t = cat.owned_targets([("apps", "Deployment"), ("", "Namespace"), ("batch", "Job")]);
        assert_eq!(t.iter().filter(|t| t.kind == "Deployment").count(), 1);
        assert!(t.iter().all(|t| t.kind != "Namespace"));
        assert_eq!(t.last().unwrap().kind, "Job");
    }
}
