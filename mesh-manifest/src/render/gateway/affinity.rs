//! The gateway pod's affinity: node affinity from `global.arch` and the node selector, pod
//! anti-affinity from the gateway's label selectors.

use mesh_core::{Value, obj};
use serde_json::json;

use super::Gateway;
use crate::render::RenderError;
use crate::render::common::{
    ObjectMap, bad_value, get, go_format, helm_int, list_at, map_at, printed, truthy,
};

impl Gateway<'_> {
    /// `affinity`: always a `nodeAffinity` with both scheduling keys (null when empty), plus a
    /// `podAntiAffinity` when the gateway sets label selectors for it.
    pub(super) fn affinity(&self) -> Result<Value, RenderError> {
        let arch = map_at(self.values, "global.arch", self.component())?;
        let mut node = ObjectMap::new();
        node.insert(
            "requiredDuringSchedulingIgnoredDuringExecution".into(),
            self.required_node_terms(arch)?,
        );
        node.insert(
            "preferredDuringSchedulingIgnoredDuringExecution".into(),
            preferred_arch(arch),
        );
        let mut affinity = ObjectMap::new();
        affinity.insert("nodeAffinity".into(), Value::Object(node));
        if let Some(anti) = self.pod_anti_affinity()? {
            affinity.insert("podAntiAffinity".into(), anti);
        }
        Ok(Value::Object(affinity))
    }

    /// One node selector term: the architectures weighted above zero, then one `In` match per
    /// node selector entry (the gateway's, or `global.defaultNodeSelector`). Null when both
    /// are empty.
    fn required_node_terms(&self, arch: Option<&ObjectMap>) -> Result<Value, RenderError> {
        let node_selector = match self.gw_map("nodeSelector")? {
            Some(m) if !m.is_empty() => Some(m),
            _ => map_at(self.values, "global.defaultNodeSelector", self.component())?,
        };
        let arch = arch.filter(|m| !m.is_empty());
        let selector = node_selector.filter(|m| !m.is_empty());
        if arch.is_none() && selector.is_none() {
            return Ok(Value::Null);
        }
        let mut expressions = Vec::new();
        if let Some(arch) = arch {
            let archs: Vec<Value> = arch
                .iter()
                .filter(|(_, w)| helm_int(w) > 0)
                .map(|(k, _)| Value::from(k.as_str()))
                .collect();
            let values = if archs.is_empty() {
                Value::Null
            } else {
                Value::Array(archs)
            };
            expressions.push(
                obj! { "key" => "kubernetes.io/arch", "operator" => "In", "values" => values },
            );
        }
        for (key, val) in selector.into_iter().flatten() {
            expressions.push(obj! {
                "key" => printed(&Value::from(key.as_str())),
                "operator" => "In",
                "values" => json!([go_format(val)]),
            });
        }
        Ok(obj! { "nodeSelectorTerms" => json!([{"matchExpressions": expressions}]) })
    }

    /// `podAntiAffinity` from `podAntiAffinityLabelSelector` (required) and
    /// `podAntiAffinityTermLabelSelector` (preferred, weight 100).
    fn pod_anti_affinity(&self) -> Result<Option<Value>, RenderError> {
        let required = self.gw_list("podAntiAffinityLabelSelector")?;
        let preferred = list_at(
            self.gw,
            "podAntiAffinityTermLabelSelector",
            self.component(),
        )?;
        if required.is_empty() && preferred.is_empty() {
            return Ok(None);
        }
        let mut anti = ObjectMap::new();
        if !required.is_empty() {
            let terms = required
                .iter()
                .map(|item| self.anti_affinity_term(item, true))
                .collect::<Result<Vec<_>, _>>()?;
            anti.insert(
                "requiredDuringSchedulingIgnoredDuringExecution".into(),
                Value::Array(terms),
            );
        }
        if !preferred.is_empty() {
            let terms = preferred
                .iter()
                .map(|item| {
                    self.anti_affinity_term(item, false)
                        .map(|term| obj! { "podAffinityTerm" => term, "weight" => 100 })
                })
                .collect::<Result<Vec<_>, _>>()?;
            anti.insert(
                "preferredDuringSchedulingIgnoredDuringExecution".into(),
                Value::Array(terms),
            );
        }
        Ok(Some(Value::Object(anti)))
    }

    /// One pod affinity term: a single match expression from `key`, `operator` and the
    /// comma-separated `values`, the `topologyKey`, and (required terms only) `namespaces`.
    fn anti_affinity_term(
        &self,
        item: &Value,
        with_namespaces: bool,
    ) -> Result<Value, RenderError> {
        if !matches!(item, Value::Object(_)) {
            return Err(bad_value(
                self.component(),
                &self.path("podAntiAffinityLabelSelector"),
                "a list of maps",
                item,
            ));
        }
        let mut expression = ObjectMap::new();
        expression.insert("key".into(), printed(get(item, "key")));
        expression.insert("operator".into(), printed(get(item, "operator")));
        let values = get(item, "values");
        if truthy(values) {
            let split: Vec<Value> = go_format(values).split(',').map(Value::from).collect();
            expression.insert("values".into(), Value::Array(split));
        }
        let mut term = ObjectMap::new();
        term.insert(
            "labelSelector".into(),
            obj! { "matchExpressions" => json!([Value::Object(expression)]) },
        );
        term.insert("topologyKey".into(), printed(get(item, "topologyKey")));
        let namespaces = get(item, "namespaces");
        if with_namespaces && truthy(namespaces) {
            let split: Vec<Value> = go_format(namespaces).split(',').map(Value::from).collect();
            term.insert("namespaces".into(), Value::Array(split));
        }
        Ok(Value::Object(term))
    }
}

/// Preferred scheduling terms: one per architecture weighted above zero; null when none.
fn preferred_arch(arch: Option<&ObjectMap>) -> Value {
    let terms: Vec<Value> = arch
        .into_iter()
        .flatten()
        .filter(|(_, w)| helm_int(w) > 0)
        .map(|(k, w)| {
            obj! {
                "weight" => helm_int(w),
                "preference" => json!({"matchExpressions": [
                    {"key": "kubernetes.io/arch", "operator": "In", "values": [k]}
                ]}),
            }
        })
        .collect();
    if terms.is_empty() {
        Value::Null
    } else {
        Value::Array(terms)
    }
}
