//! The injector's configuration: the `config` entry of the `istio-sidecar-injector` ConfigMap.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether pods are injected when nothing on the pod says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InjectionPolicy {
    /// Inject unless the pod opts out.
    #[default]
    Enabled,
    /// Inject only when the pod opts in.
    Disabled,
}

/// The injector configuration (istio-sidecar-injector ConfigMap, key `config`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InjectConfig {
    /// Default injection policy.
    pub policy: InjectionPolicy,
    /// Pods matching any of these selectors are injected even when the policy is disabled.
    #[serde(deserialize_with = "null_as_default")]
    pub always_inject_selector: Vec<LabelSelector>,
    /// Pods matching any of these selectors are never injected.
    #[serde(deserialize_with = "null_as_default")]
    pub never_inject_selector: Vec<LabelSelector>,
    /// Annotations added to every injected pod.
    #[serde(deserialize_with = "null_as_default")]
    pub injected_annotations: BTreeMap<String, String>,
    /// Templates used when the pod names none (`inject.istio.io/templates`).
    #[serde(deserialize_with = "null_as_default")]
    pub default_templates: Vec<String>,
    /// Template aliases: a name that expands to several templates.
    #[serde(deserialize_with = "null_as_default")]
    pub aliases: BTreeMap<String, Vec<String>>,
    /// Template bodies by name (Go templates in Istio; mesh renders the built-in ones natively).
    #[serde(deserialize_with = "null_as_default")]
    pub templates: BTreeMap<String, String>,
    /// The legacy single template (Istio keeps a marker string here).
    pub template: String,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_empty_selectors_and_null_annotations() {
        let text = "defaultTemplates: [sidecar]\npolicy: disabled\nalwaysInjectSelector:\n  []\nneverInjectSelector:\n  - matchLabels: {a: b}\ninjectedAnnotations:\ntemplates:\n  sidecar: x\n";
        let cfg: InjectConfig = serde_saphyr::from_str(text).unwrap();
        assert_eq!(cfg.policy, InjectionPolicy::Disabled);
        assert_eq!(cfg.default_templates, vec!["sidecar".to_string()]);
        assert!(cfg.injected_annotations.is_empty());
        assert_eq!(cfg.never_inject_selector.len(), 1);
        assert_eq!(cfg.templates.len(), 1);
    }
}
