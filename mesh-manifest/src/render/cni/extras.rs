//! Optional CNI objects: the Multus NetworkAttachmentDefinition, the node-critical pod
//! ResourceQuota, the NetworkPolicy and the Prometheus PodMonitor.

use mesh_core::{Value, obj};
use serde_json::json;

use super::{COMPONENT, Cni, NAME, object};
use crate::render::common::{ObjectMap, go_format, printed, str_at, truthy};

impl Cni<'_> {
    /// The `istio-cni` NetworkAttachmentDefinition in `default`, when the provider is Multus.
    pub(super) fn network_attachment(&self) -> Option<Value> {
        if !(self.namespaced_scope() && str_at(self.values, "provider") == "multus") {
            return None;
        }
        let mut labels = ObjectMap::new();
        labels.insert("operator.istio.io/component".into(), COMPONENT.into());
        labels.extend(self.chart_labels());
        let nad = object(
            "k8s.cni.cncf.io/v1",
            "NetworkAttachmentDefinition",
            NAME,
            Some("default"),
            labels,
        );
        Some(Value::Object(nad))
    }

    /// A quota admitting `resourceQuotas.pods` pods of priority class `system-node-critical`
    /// in the release namespace (platforms such as GKE restrict that class elsewhere).
    pub(super) fn resource_quota(&self) -> Option<Value> {
        if !(self.namespaced_scope() && truthy(self.at("resourceQuotas.enabled"))) {
            return None;
        }
        let mut quota = object(
            "v1",
            "ResourceQuota",
            &format!("{NAME}-resource-quota"),
            Some(self.namespace),
            self.chart_labels(),
        );
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
        Some(Value::Object(quota))
    }

    /// Labels of the NetworkPolicy and PodMonitor: `k8s-app`, operator and chart labels.
    fn node_labels(&self, quoted_revision: bool) -> ObjectMap {
        let mut labels = ObjectMap::new();
        labels.insert("k8s-app".into(), format!("{NAME}-node").into());
        labels.extend(self.operator_labels());
        if quoted_revision {
            labels.insert(
                "istio.io/rev".into(),
                Value::from(go_format(&self.revision_label())),
            );
        }
        labels.extend(self.chart_labels());
        labels
    }

    /// A NetworkPolicy admitting the metrics and readiness ports, when
    /// `global.networkPolicy.enabled` is set.
    pub(super) fn network_policy(&self) -> Option<Value> {
        if !truthy(self.at("global.networkPolicy.enabled")) {
            return None;
        }
        let name = match self.revision() {
            "" => NAME.to_string(),
            rev => format!("{NAME}-{rev}"),
        };
        let mut np = object(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            &name,
            Some(self.namespace),
            self.node_labels(true),
        );
        np.insert(
            "spec".into(),
            obj! {
                "podSelector" => json!({"matchLabels": {"k8s-app": format!("{NAME}-node")}}),
                "policyTypes" => json!(["Ingress", "Egress"]),
                "ingress" => json!([
                    {"ports": [{"protocol": "TCP", "port": 15014}]},
                    {"ports": [{"protocol": "TCP", "port": 8000}]},
                ]),
                "egress" => json!([{}]),
            },
        );
        Some(Value::Object(np))
    }

    /// A PodMonitor scraping the agents' metrics port, when `podMonitor.enabled` is set.
    pub(super) fn pod_monitor(&self) -> Option<Value> {
        if !(truthy(self.at("podMonitor.enabled")) && self.namespaced_scope()) {
            return None;
        }
        let interval = self.at("podMonitor.interval");
        let interval = if truthy(interval) {
            printed(interval)
        } else {
            Value::from("30s")
        };
        let mut pm = object(
            "monitoring.coreos.com/v1",
            "PodMonitor",
            &format!("{NAME}-node"),
            Some(self.namespace),
            self.node_labels(false),
        );
        pm.insert(
            "spec".into(),
            obj! {
                "namespaceSelector" => json!({"matchNames": [self.namespace]}),
                "selector" => json!({"matchLabels": {"k8s-app": format!("{NAME}-node")}}),
                "podMetricsEndpoints" => json!([{"port": "metrics", "path": "/metrics", "interval": interval}]),
            },
        );
        Some(Value::Object(pm))
    }
}
