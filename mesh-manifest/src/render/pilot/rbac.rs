//! istiod's identity and permissions: its ServiceAccount, the istiod and gateway-controller
//! ClusterRoles and bindings, the namespaced Role and binding, and the reader ClusterRole bound
//! to the `istio-reader-service-account` that the base chart creates.

use mesh_core::{Value, obj};
use serde_json::json;

use super::chart::{Chart, RELEASE, annotate};
use crate::render::RenderError;
use crate::render::common::{dig_default_true, go_format};

/// The Istio configuration API groups istiod and the reader watch.
const ISTIO_GROUPS: [&str; 7] = [
    "config.istio.io",
    "security.istio.io",
    "networking.istio.io",
    "authentication.istio.io",
    "rbac.istio.io",
    "telemetry.istio.io",
    "extensions.istio.io",
];

/// Every verb that creates, changes or removes an object, in the order the chart lists them.
const READ_WRITE: [&str; 7] = [
    "get", "watch", "list", "update", "patch", "create", "delete",
];

/// The status subresources of the Istio kinds istiod may write when analysis is on.
const ANALYSIS_STATUS: [&str; 14] = [
    "authorizationpolicies/status",
    "destinationrules/status",
    "envoyfilters/status",
    "gateways/status",
    "peerauthentications/status",
    "proxyconfigs/status",
    "requestauthentications/status",
    "serviceentries/status",
    "sidecars/status",
    "telemetries/status",
    "virtualservices/status",
    "wasmplugins/status",
    "workloadentries/status",
    "workloadgroups/status",
];

/// The Gateway API status subresources istiod writes.
const GATEWAY_STATUS: [&str; 10] = [
    "backendtlspolicies/status",
    "gatewayclasses/status",
    "gateways/status",
    "grpcroutes/status",
    "httproutes/status",
    "referencegrants/status",
    "tcproutes/status",
    "tlsroutes/status",
    "udproutes/status",
    "listenersets/status",
];

/// One RBAC policy rule.
pub(crate) fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Value {
    obj! { "apiGroups" => groups, "resources" => resources, "verbs" => verbs }
}

/// All objects of this module that the values call for.
pub(super) fn render(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    let mut out = Vec::new();
    let remote = chart.remote();
    let has_identity = !remote || chart.config_cluster() || chart.local_injector();
    if chart.namespace_scope() && has_identity {
        out.push(service_account(chart)?);
        out.push(role(chart));
        out.push(role_binding(chart));
    }
    if chart.cluster_scope() {
        if has_identity {
            out.push(istiod_cluster_role(chart)?);
            if gateway_controller_enabled(chart) {
                out.push(gateway_controller_role(chart));
            }
            out.push(cluster_role_binding(chart, "istiod-clusterrole"));
            if gateway_controller_enabled(chart) {
                out.push(cluster_role_binding(chart, "istiod-gateway-controller"));
            }
        }
        if dig_default_true(chart.values, "global.enableReaderRBAC") {
            out.push(reader_cluster_role(chart));
            out.push(reader_binding(chart));
        }
    }
    Ok(out)
}

/// The gateway deployment controller is on unless `env.PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER`
/// prints as `false`.
fn gateway_controller_enabled(chart: &Chart<'_>) -> bool {
    go_format(chart.get("env.PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER")) != "false"
}

/// The labels of istiod's RBAC objects.
fn istiod_labels(chart: &Chart<'_>) -> serde_json::Map<String, Value> {
    chart.labels(
        "istiod",
        &[("app", "istiod".into()), ("release", RELEASE.into())],
    )
}

/// The labels of the reader's RBAC objects.
fn reader_labels(chart: &Chart<'_>) -> serde_json::Map<String, Value> {
    chart.labels(
        "istio-reader",
        &[("app", "istio-reader".into()), ("release", RELEASE.into())],
    )
}

/// `<base>[-<revision>]-<release namespace>`: the name of a cluster-scoped RBAC object.
fn cluster_name(chart: &Chart<'_>, base: &str) -> String {
    format!("{}-{}", chart.revisioned(base), chart.namespace)
}

/// The ServiceAccount istiod runs as.
fn service_account(chart: &Chart<'_>) -> Result<Value, RenderError> {
    let ns = chart.istio_namespace();
    let mut md = chart.metadata(&chart.revisioned("istiod"), Some(&ns), istiod_labels(chart));
    annotate(chart, &mut md, "serviceAccountAnnotations")?;
    let mut sa = obj! { "apiVersion" => "v1", "kind" => "ServiceAccount", "metadata" => md };
    let secrets = pull_secrets(chart)?;
    if !secrets.is_empty() {
        sa["imagePullSecrets"] = Value::Array(secrets);
    }
    Ok(sa)
}

/// `global.imagePullSecrets` as ServiceAccount references (`- name: <secret>`).
pub(crate) fn pull_secrets(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    Ok(chart
        .list("global.imagePullSecrets")?
        .iter()
        .map(|s| obj! { "name" => go_format(s) })
        .collect())
}

/// The ClusterRole with everything istiod reads and writes cluster-wide.
fn istiod_cluster_role(chart: &Chart<'_>) -> Result<Value, RenderError> {
    let analysis = chart.on("global.istiod.enableAnalysis");
    let mcs = mcs_group(chart);
    let mut rules = vec![
        rule(
            &["admissionregistration.k8s.io"],
            &["mutatingwebhookconfigurations"],
            &["get", "list", "watch", "update", "patch"],
        ),
        rule(
            &["admissionregistration.k8s.io"],
            &["validatingwebhookconfigurations"],
            &["get", "list", "watch", "update"],
        ),
        rule(&ISTIO_GROUPS, &["*"], &["get", "watch", "list"]),
    ];
    if analysis {
        rules.push(rule(&ISTIO_GROUPS, &ANALYSIS_STATUS, &["update", "patch"]));
    }
    rules.extend([
        rule(&["networking.istio.io"], &["workloadentries"], &READ_WRITE),
        rule(
            &["networking.istio.io"],
            &["workloadentries/status", "serviceentries/status"],
            &READ_WRITE,
        ),
        rule(
            &["security.istio.io"],
            &["authorizationpolicies/status"],
            &READ_WRITE,
        ),
        rule(&[""], &["services/status"], &READ_WRITE),
        rule(
            &["apiextensions.k8s.io"],
            &["customresourcedefinitions"],
            &["get", "list", "watch"],
        ),
        rule(
            &[""],
            &["pods", "nodes", "services", "namespaces", "endpoints"],
            &["get", "list", "watch"],
        ),
        rule(
            &["discovery.k8s.io"],
            &["endpointslices"],
            &["get", "list", "watch"],
        ),
    ]);
    if chart.on("taint.enabled") {
        rules.push(rule(&[""], &["nodes"], &["patch"]));
    }
    if analysis {
        rules.push(rule(
            &["extensions", "networking.k8s.io"],
            &["ingresses"],
            &["get", "list", "watch"],
        ));
        rules.push(rule(
            &["extensions", "networking.k8s.io"],
            &["ingresses/status"],
            &["*"],
        ));
    }
    rules.extend([
        rule(
            &["networking.k8s.io"],
            &["ingresses", "ingressclasses"],
            &["get", "list", "watch"],
        ),
        rule(&["networking.k8s.io"], &["ingresses/status"], &["*"]),
        rule(
            &[""],
            &["configmaps"],
            &["create", "get", "list", "watch", "update"],
        ),
    ]);
    rules.extend(certificate_rules(chart)?);
    rules.extend([
        rule(&["authentication.k8s.io"], &["tokenreviews"], &["create"]),
        rule(
            &["authorization.k8s.io"],
            &["subjectaccessreviews"],
            &["create"],
        ),
        rule(
            &["gateway.networking.k8s.io", "gateway.networking.x-k8s.io"],
            &["*"],
            &["get", "watch", "list"],
        ),
        rule(
            &["gateway.networking.x-k8s.io"],
            &["xbackendtrafficpolicies/status"],
            &["update", "patch"],
        ),
        rule(
            &["gateway.networking.k8s.io"],
            &GATEWAY_STATUS,
            &["update", "patch"],
        ),
        rule(
            &["gateway.networking.k8s.io"],
            &["gatewayclasses"],
            &["create", "update", "patch", "delete"],
        ),
        rule(
            &["inference.networking.k8s.io"],
            &["inferencepools"],
            &["get", "watch", "list"],
        ),
        rule(
            &["inference.networking.k8s.io"],
            &["inferencepools/status"],
            &["update", "patch"],
        ),
        rule(&[""], &["secrets"], &["get", "watch", "list"]),
        rule(
            &[mcs.as_str()],
            &["serviceexports"],
            &["get", "watch", "list", "create", "delete"],
        ),
        rule(
            &[mcs.as_str()],
            &["serviceimports"],
            &["get", "watch", "list"],
        ),
    ]);
    Ok(obj! {
        "apiVersion" => "rbac.authorization.k8s.io/v1",
        "kind" => "ClusterRole",
        "metadata" => chart.metadata(&cluster_name(chart, "istiod-clusterrole"), None, istiod_labels(chart)),
        "rules" => rules,
    })
}

/// The multicluster-services API group: `env.MCS_API_GROUP` or `multicluster.x-k8s.io`.
fn mcs_group(chart: &Chart<'_>) -> String {
    if chart.on("env.MCS_API_GROUP") {
        chart.text("env.MCS_API_GROUP")
    } else {
        "multicluster.x-k8s.io".to_string()
    }
}

/// Certificate signing permissions: needed when istiod signs through Kubernetes CSRs (an
/// external CA or a cert provider other than istiod/custom/none), and for ClusterTrustBundles.
fn certificate_rules(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    let mut rules = Vec::new();
    let provider = chart.text("global.pilotCertProvider");
    let istiod_signs = ["istiod", "custom", "none"].contains(&provider.as_str());
    if chart.on("env.EXTERNAL_CA") || !istiod_signs {
        rules.push(rule(
            &["certificates.k8s.io"],
            &[
                "certificatesigningrequests",
                "certificatesigningrequests/approval",
                "certificatesigningrequests/status",
            ],
            &["update", "create", "get", "delete", "watch"],
        ));
        let signers: Vec<Value> = chart
            .list("global.certSigners")?
            .iter()
            .map(|s| Value::String(go_format(s)))
            .collect();
        // The chart prints the key even with no signers, which reads back as null.
        let names = if signers.is_empty() {
            Value::Null
        } else {
            Value::Array(signers)
        };
        rules.push(obj! {
            "apiGroups" => json!(["certificates.k8s.io"]),
            "resources" => json!(["signers"]),
            "resourceNames" => names,
            "verbs" => json!(["approve"]),
        });
    }
    if chart.get("env.ENABLE_CLUSTER_TRUST_BUNDLE_API") == &Value::Bool(true) {
        rules.push(rule(
            &["certificates.k8s.io"],
            &["clustertrustbundles"],
            &["update", "create", "delete", "list", "watch", "get"],
        ));
        rules.push(obj! {
            "apiGroups" => json!(["certificates.k8s.io"]),
            "resources" => json!(["signers"]),
            "resourceNames" => json!(["istio.io/istiod-ca"]),
            "verbs" => json!(["attest"]),
        });
    }
    Ok(rules)
}

/// The ClusterRole that lets istiod deploy gateways for Gateway API resources.
fn gateway_controller_role(chart: &Chart<'_>) -> Value {
    let rules = vec![
        rule(&["apps"], &["deployments"], &READ_WRITE),
        rule(&["autoscaling"], &["horizontalpodautoscalers"], &READ_WRITE),
        rule(&["policy"], &["poddisruptionbudgets"], &READ_WRITE),
        rule(&[""], &["services"], &READ_WRITE),
        rule(&[""], &["serviceaccounts"], &READ_WRITE),
    ];
    obj! {
        "apiVersion" => "rbac.authorization.k8s.io/v1",
        "kind" => "ClusterRole",
        "metadata" => chart.metadata(&cluster_name(chart, "istiod-gateway-controller"), None, istiod_labels(chart)),
        "rules" => rules,
    }
}

/// A ClusterRoleBinding of `<base>[-rev]-<ns>` to istiod's ServiceAccount.
fn cluster_role_binding(chart: &Chart<'_>, base: &str) -> Value {
    let name = cluster_name(chart, base);
    obj! {
        "apiVersion" => "rbac.authorization.k8s.io/v1",
        "kind" => "ClusterRoleBinding",
        "metadata" => chart.metadata(&name, None, istiod_labels(chart)),
        "roleRef" => json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}),
        "subjects" => json!([{
            "kind": "ServiceAccount",
            "name": chart.revisioned("istiod"),
            "namespace": chart.istio_namespace(),
        }]),
    }
}

/// The Role istiod needs in its own namespace (CA secrets, leases, webhook dry runs).
fn role(chart: &Chart<'_>) -> Value {
    let ns = chart.istio_namespace();
    obj! {
        "apiVersion" => "rbac.authorization.k8s.io/v1",
        "kind" => "Role",
        "metadata" => chart.metadata(&chart.revisioned("istiod"), Some(&ns), istiod_labels(chart)),
        "rules" => json!([
            rule(&["networking.istio.io"], &["gateways"], &["create"]),
            rule(&[""], &["secrets"], &["create", "get", "watch", "list", "update", "delete"]),
            rule(&[""], &["configmaps"], &["delete"]),
            rule(&["coordination.k8s.io"], &["leases"], &["get", "update", "patch", "create"]),
        ]),
    }
}

/// The RoleBinding of that Role to istiod's ServiceAccount.
fn role_binding(chart: &Chart<'_>) -> Value {
    let ns = chart.istio_namespace();
    let name = chart.revisioned("istiod");
    obj! {
        "apiVersion" => "rbac.authorization.k8s.io/v1",
        "kind" => "RoleBinding",
        "metadata" => chart.metadata(&name, Some(&ns), istiod_labels(chart)),
        "roleRef" => json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name}),
        "subjects" => json!([{"kind": "ServiceAccount", "name": name, "namespace": ns}]),
    }
}

/// The read-only ClusterRole for the reader ServiceAccount (used by remote secrets); a remote
/// istiod's reader may also manage the webhooks and ConfigMaps of this cluster.
fn reader_cluster_role(chart: &Chart<'_>) -> Value {
    let mcs = mcs_group(chart);
    let read = ["get", "list", "watch"];
    let mut rules = vec![
        rule(&ISTIO_GROUPS, &["*"], &read),
        rule(
            &[""],
            &[
                "endpoints",
                "pods",
                "services",
                "nodes",
                "replicationcontrollers",
                "namespaces",
                "secrets",
                "configmaps",
            ],
            &read,
        ),
        rule(
            &["networking.istio.io"],
            &["workloadentries"],
            &["get", "watch", "list"],
        ),
        rule(
            &["networking.x-k8s.io", "gateway.networking.k8s.io"],
            &["gateways"],
            &["get", "watch", "list"],
        ),
        rule(
            &["apiextensions.k8s.io"],
            &["customresourcedefinitions"],
            &read,
        ),
        rule(&["discovery.k8s.io"], &["endpointslices"], &read),
        rule(
            &[mcs.as_str()],
            &["serviceexports"],
            &["get", "list", "watch", "create", "delete"],
        ),
        rule(&[mcs.as_str()], &["serviceimports"], &read),
        rule(&["apps"], &["replicasets"], &read),
        rule(&["authentication.k8s.io"], &["tokenreviews"], &["create"]),
        rule(
            &["authorization.k8s.io"],
            &["subjectaccessreviews"],
            &["create"],
        ),
    ];
    if chart.remote() {
        rules.extend([
            rule(
                &[""],
                &["configmaps"],
                &["create", "get", "list", "watch", "update"],
            ),
            rule(
                &["admissionregistration.k8s.io"],
                &["mutatingwebhookconfigurations"],
                &["get", "list", "watch", "update", "patch"],
            ),
            rule(
                &["admissionregistration.k8s.io"],
                &["validatingwebhookconfigurations"],
                &["get", "list", "watch", "update"],
            ),
        ]);
    }
    obj! {
        "apiVersion" => "rbac.authorization.k8s.io/v1",
        "kind" => "ClusterRole",
        "metadata" => chart.metadata(&cluster_name(chart, "istio-reader-clusterrole"), None, reader_labels(chart)),
        "rules" => rules,
    }
}

/// The binding of the reader ClusterRole to `istio-reader-service-account`.
fn reader_binding(chart: &Chart<'_>) -> Value {
    let name = cluster_name(chart, "istio-reader-clusterrole");
    obj! {
        "apiVersion" => "rbac.authorization.k8s.io/v1",
        "kind" => "ClusterRoleBinding",
        "metadata" => chart.metadata(&name, None, reader_labels(chart)),
        "roleRef" => json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}),
        "subjects" => json!([{
            "kind": "ServiceAccount",
            "name": "istio-reader-service-account",
            "namespace": chart.istio_namespace(),
        }]),
    }
}
