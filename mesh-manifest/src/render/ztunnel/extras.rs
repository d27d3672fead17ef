//! Optional ztunnel objects: the OpenShift SCC role and binding, the ResourceQuota, the
//! NetworkPolicy and the PodMonitor.

use mesh_core::{Value, obj};
use serde_json::json;

use super::{CHART, Ztunnel, object};
use crate::render::RenderError;
use crate::render::common::RELEASE;
use crate::render::common::{ObjectMap, go_format, printed, str_at, truthy};

impl Ztunnel<'_> {
    /// Metadata of the OpenShift RBAC objects: `app` and `release` labels, owner and chart
    /// labels, and the chart's `annotations`.
    fn openshift_metadata(&self) -> ObjectMap {
        let mut labels = ObjectMap::new();
        labels.insert("app".into(), CHART.into());
        labels.insert("release".into(), self.resource_name().into());
        labels.insert(
            "install.operator.istio.io/owning-resource".into(),
            self.owner(),
        );
        labels.extend(self.chart_labels());
        let mut metadata = ObjectMap::new();
        metadata.insert("name".into(), self.resource_name().into());
        metadata.insert("labels".into(), Value::Object(labels));
        metadata.insert("annotations".into(), self.annotations());
        metadata
    }

    /// On OpenShift, a ClusterRole allowing the `privileged` SCC and its binding to ztunnel's
    /// service account.
    pub(super) fn openshift_rbac(&self) -> Vec<Value> {
        if str_at(self.values, "platform") != "openshift" {
            return Vec::new();
        }
        let mut role = object(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            self.openshift_metadata(),
        );
        role.insert(
            "rules".into(),
            json!([{
                "apiGroups": ["security.openshift.io"],
                "resources": ["securitycontextconstraints"],
                "resourceNames": ["privileged"],
                "verbs": ["use"],
            }]),
        );
        let mut binding = object(
            "rbac.authorization.k8s.io/v1",
            "ClusterRoleBinding",
            self.openshift_metadata(),
        );
        binding.insert(
            "roleRef".into(),
            obj! {
                "apiGroup" => "rbac.authorization.k8s.io",
                "kind" => "ClusterRole",
                "name" => self.resource_name(),
            },
        );
        binding.insert(
            "subjects".into(),
            json!([{"kind": "ServiceAccount", "name": self.resource_name(), "namespace": self.namespace}]),
        );
        vec![Value::Object(role), Value::Object(binding)]
    }

    /// Whether `resourceScope` lets cluster-scoped resources render.
    pub(super) fn cluster_scope(&self) -> bool {
        matches!(str_at(self.values, "resourceScope"), "all" | "cluster")
    }

    /// Whether `resourceScope` lets namespaced resources render.
    pub(super) fn namespaced_scope(&self) -> bool {
        matches!(str_at(self.values, "resourceScope"), "all" | "namespace")
    }

    /// A quota admitting `resourceQuotas.pods` node-critical pods in the release namespace.
    pub(super) fn resource_quota(&self) -> Result<Option<Value>, RenderError> {
        if !(self.namespaced_scope() && truthy(self.at("resourceQuotas.enabled"))) {
            return Ok(None);
        }
        let mut metadata = ObjectMap::new();
        metadata.insert("name".into(), self.resource_name().into());
        metadata.insert("namespace".into(), self.namespace.into());
        metadata.insert("labels".into(), Value::Object(self.object_labels()?));
        let mut quota = object("v1", "ResourceQuota", metadata);
        quota.insert(
            "spec".into(),
            obj! {
                "hard" => json!({"pods": go_format(self.at("resourceQuotas.pods"))}),
                "scopeSelector" => json!({"matchExpressions": [{
                    "operator": "In",
                    "scopeName": "PriorityClass",
                    "values": ["system-node-critical"],
                }]}),
            },
        );
        Ok(Some(Value::Object(quota)))
    }

    /// A NetworkPolicy admitting metrics, admin and traffic ports, when
    /// `global.networkPolicy.enabled` is set.
    pub(super) fn network_policy(&self) -> Option<Value> {
        if !truthy(self.at("global.networkPolicy.enabled")) {
            return None;
        }
        let rev = self.at("revision");
        let mut labels = ObjectMap::new();
        labels.insert("app".into(), CHART.into());
        labels.insert(
            "istio.io/rev".into(),
            Value::from(if truthy(rev) {
                go_format(rev)
            } else {
                "default".to_string()
            }),
        );
        labels.insert(
            "install.operator.istio.io/owning-resource".into(),
            self.owner(),
        );
        labels.insert("operator.istio.io/component".into(), "Ztunnel".into());
        labels.insert("release".into(), RELEASE.into());
        labels.extend(self.chart_labels());
        let mut name = self.resource_name();
        if truthy(rev) {
            name = format!("{name}-{}", go_format(rev));
        }
        let mut metadata = ObjectMap::new();
        metadata.insert("name".into(), name.into());
        metadata.insert("namespace".into(), self.namespace.into());
        metadata.insert("labels".into(), Value::Object(labels));
        let tcp = |port: u16| obj! { "protocol" => "TCP", "port" => port };
        // Readiness, metrics, admin, HBONE, outbound, inbound plaintext, DNS (TCP and UDP).
        let mut ingress: Vec<Value> = [15021, 15020, 15000, 15008, 15001, 15006]
            .into_iter()
            .map(|port| obj! { "ports" => json!([tcp(port)]) })
            .collect();
        ingress.push(obj! { "ports" => json!([tcp(15053), {"protocol": "UDP", "port": 15053}]) });
        let mut np = object("networking.k8s.io/v1", "NetworkPolicy", metadata);
        np.insert(
            "spec".into(),
            obj! {
                "podSelector" => json!({"matchLabels": {"app": CHART}}),
                "policyTypes" => json!(["Ingress", "Egress"]),
                "ingress" => ingress,
                "egress" => json!([{}]),
            },
        );
        Some(Value::Object(np))
    }

    /// A PodMonitor scraping ztunnel's stats port, when `podMonitor.enabled` is set.
    pub(super) fn pod_monitor(&self) -> Option<Value> {
        if !truthy(self.at("podMonitor.enabled")) {
            return None;
        }
        let mut metadata = ObjectMap::new();
        metadata.insert("name".into(), "ztunnel-pod-monitor".into());
        metadata.insert("namespace".into(), self.namespace.into());
        metadata.insert("labels".into(), Value::Object(self.chart_labels()));
        let mut pm = object("monitoring.coreos.com/v1", "PodMonitor", metadata);
        pm.insert(
            "spec".into(),
            obj! {
                "selector" => json!({"matchLabels": {"app.kubernetes.io/name": CHART}}),
                "podMetricsEndpoints" => json!([{
                    "port": "ztunnel-stats",
                    "path": "/metrics",
                    "interval": printed(&Value::from("30s")),
                }]),
            },
        );
        Some(Value::Object(pm))
    }
}
