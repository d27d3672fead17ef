//! The `istio-cni-config` ConfigMap: the agent's settings, read as environment variables.

use mesh_core::Value;

use super::{COMPONENT, Cni, NAME, object};
use crate::render::RenderError;
use crate::render::common::{ObjectMap, go_format, list_at, map_at, printed, truthy};

impl Cni<'_> {
    /// The ConfigMap.
    pub(super) fn config_map(&self) -> Result<Value, RenderError> {
        let quoted = |path: &str| Value::from(go_format(self.at(path)));
        let mut data = ObjectMap::new();
        let tag = self.at("tag");
        let tag = if truthy(tag) {
            tag
        } else {
            self.at("global.tag")
        };
        data.insert("CURRENT_AGENT_VERSION".into(), Value::from(go_format(tag)));
        data.insert("AMBIENT_ENABLED".into(), quoted("ambient.enabled"));
        data.insert(
            "AMBIENT_ENABLEMENT_SELECTOR".into(),
            Value::from(to_yaml(self.at("ambient.enablementSelectors"))),
        );
        data.insert("AMBIENT_DNS_CAPTURE".into(), quoted("ambient.dnsCapture"));
        data.insert("AMBIENT_IPV6".into(), quoted("ambient.ipv6"));
        data.insert(
            "AMBIENT_RECONCILE_POD_RULES_ON_STARTUP".into(),
            quoted("ambient.reconcileIptablesOnStartup"),
        );
        data.insert(
            "ENABLE_AMBIENT_DETECTION_RETRY".into(),
            quoted("ambient.enableAmbientDetectionRetry"),
        );
        let conf_name = self.at("cniConfFileName");
        if truthy(conf_name) {
            data.insert("CNI_CONF_NAME".into(), printed(conf_name));
        }
        data.insert(
            "ISTIO_OWNED_CNI_CONFIG".into(),
            quoted("istioOwnedCNIConfig"),
        );
        if truthy(self.at("istioOwnedCNIConfig")) {
            data.insert(
                "ISTIO_OWNED_CNI_CONF_FILENAME".into(),
                quoted("istioOwnedCNIConfigFileName"),
            );
        }
        data.insert("CHAINED_CNI_PLUGIN".into(), quoted("chained"));
        let excluded: Vec<String> = list_at(self.values, "excludeNamespaces", COMPONENT)?
            .iter()
            .map(go_format)
            .collect();
        data.insert("EXCLUDE_NAMESPACES".into(), Value::from(excluded.join(",")));
        data.insert("REPAIR_ENABLED".into(), quoted("repair.enabled"));
        data.insert("REPAIR_LABEL_PODS".into(), quoted("repair.labelPods"));
        data.insert("REPAIR_DELETE_PODS".into(), quoted("repair.deletePods"));
        data.insert("REPAIR_REPAIR_PODS".into(), quoted("repair.repairPods"));
        data.insert(
            "REPAIR_INIT_CONTAINER_NAME".into(),
            quoted("repair.initContainerName"),
        );
        data.insert(
            "REPAIR_BROKEN_POD_LABEL_KEY".into(),
            quoted("repair.brokenPodLabelKey"),
        );
        data.insert(
            "REPAIR_BROKEN_POD_LABEL_VALUE".into(),
            quoted("repair.brokenPodLabelValue"),
        );
        data.insert("NATIVE_NFTABLES".into(), quoted("global.nativeNftables"));
        for (key, val) in map_at(self.values, "env", COMPONENT)?.into_iter().flatten() {
            data.insert(key.clone(), Value::from(go_format(val)));
        }
        let mut cm = object(
            "v1",
            "ConfigMap",
            &format!("{NAME}-config"),
            Some(self.namespace),
            self.app_labels(),
        );
        cm.insert("data".into(), Value::Object(data));
        Ok(Value::Object(cm))
    }
}

/// Helm's `toYaml`: the value as a YAML document without the trailing newline.
fn to_yaml(value: &Value) -> String {
    if value.is_null() {
        return "null".to_string();
    }
    mesh_core::to_yaml_string(value).trim_end().to_string()
}
