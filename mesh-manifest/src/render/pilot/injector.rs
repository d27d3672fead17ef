//! The `istio-sidecar-injector` ConfigMap: the injector's values (`values`, JSON) and its
//! configuration (`config`, YAML: policy, selectors, injected annotations, default templates and
//! the templates themselves).
//!
//! The built-in template bodies are mesh's own (see `templates/injection-templates.yaml`):
//! mesh-inject renders those templates natively, so the bodies only document that.

use std::sync::OnceLock;

use mesh_core::Value;
use serde_json::json;

use super::chart::{COMPONENT, Chart};
use super::mesh_config::yaml_block;
use crate::render::RenderError;
use crate::render::common::{ObjectMap, go_format, printed};

/// mesh's data file with one body per built-in template name.
const TEMPLATES_FILE: &str = include_str!("../../../templates/injection-templates.yaml");

/// Where that file lives, for error messages.
const TEMPLATES_PATH: &str = "mesh-manifest/templates/injection-templates.yaml";

/// The marker the chart puts under `template`: an old injector that still reads this single
/// template fails loudly instead of injecting something stale.
const VERSION_MISMATCH_MARKER: &str =
    "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}";

/// The names of the built-in injection templates, in the order the chart lists them.
pub fn builtin_template_names() -> [&'static str; 7] {
    [
        "sidecar",
        "gateway",
        "grpc-simple",
        "grpc-agent",
        "waypoint",
        "kube-gateway",
        "agentgateway",
    ]
}

/// The injector ConfigMap unless `global.omitSidecarInjectorConfigMap` is set.
pub(super) fn render(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    if chart.on("global.omitSidecarInjectorConfigMap") {
        return Ok(Vec::new());
    }
    let values = injector_values(chart);
    let values_json = serde_json::to_string_pretty(&values).unwrap_or_default();
    Ok(vec![json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": chart.metadata(
            &chart.revisioned("istio-sidecar-injector"),
            Some(chart.namespace),
            chart.component_labels(&[]),
        ),
        "data": {
            "values": values_json,
            "config": yaml_block(&injector_config(chart)?),
        },
    })])
}

/// The values the injection templates read, narrowed to the top-level keys they use:
/// `global`, `sidecarInjectorWebhook`, `revision`, `pilot` (`cni`, `env`) and `gateways`
/// (`securityContext`, `seccompProfile`).
fn injector_values(chart: &Chart<'_>) -> Value {
    let mut out = pick(
        chart.values,
        &["global", "sidecarInjectorWebhook", "revision"],
    );
    out.insert(
        "pilot".into(),
        Value::Object(pick(chart.values, &["cni", "env"])),
    );
    out.insert(
        "gateways".into(),
        Value::Object(pick(
            chart.get("gateways"),
            &["securityContext", "seccompProfile"],
        )),
    );
    Value::Object(out)
}

/// Sprig's `pick`: the entries of `map` whose keys are listed (absent ones stay absent).
fn pick(map: &Value, keys: &[&str]) -> ObjectMap {
    keys.iter()
        .filter_map(|k| map.get(*k).map(|v| ((*k).to_string(), v.clone())))
        .collect()
}

/// The injector's `config` document.
fn injector_config(chart: &Chart<'_>) -> Result<Value, RenderError> {
    let defaults = chart.list("sidecarInjectorWebhook.defaultTemplates")?;
    let default_templates: Vec<Value> = if defaults.is_empty() {
        vec![json!("sidecar")]
    } else {
        defaults.iter().map(printed).collect()
    };
    let annotations: ObjectMap = chart
        .map("sidecarInjectorWebhook.injectedAnnotations")?
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), Value::String(go_format(v))))
                .collect()
        })
        .unwrap_or_default();
    let mut config = ObjectMap::new();
    config.insert("defaultTemplates".into(), Value::Array(default_templates));
    config.insert("policy".into(), chart.printed("global.proxy.autoInject"));
    config.insert(
        "alwaysInjectSelector".into(),
        chart
            .get("sidecarInjectorWebhook.alwaysInjectSelector")
            .clone(),
    );
    config.insert(
        "neverInjectSelector".into(),
        chart
            .get("sidecarInjectorWebhook.neverInjectSelector")
            .clone(),
    );
    config.insert(
        "injectedAnnotations".into(),
        if annotations.is_empty() {
            Value::Null
        } else {
            Value::Object(annotations)
        },
    );
    config.insert("template".into(), VERSION_MISMATCH_MARKER.into());
    config.insert("templates".into(), Value::Object(templates(chart)?));
    Ok(Value::Object(config))
}

/// The built-in templates the user did not replace, then the user's own templates.
fn templates(chart: &Chart<'_>) -> Result<ObjectMap, RenderError> {
    let user = chart.map("sidecarInjectorWebhook.templates")?;
    let builtin = builtin_bodies()?;
    let mut out = ObjectMap::new();
    for name in builtin_template_names() {
        if user.is_some_and(|u| u.contains_key(name)) {
            continue;
        }
        let body = builtin.get(name).cloned().unwrap_or_else(|| json!(""));
        out.insert(name.to_string(), body);
    }
    if let Some(user) = user {
        for (name, body) in user {
            out.insert(name.clone(), body.clone());
        }
    }
    Ok(out)
}

/// mesh's built-in template bodies, read once from the embedded data file.
fn builtin_bodies() -> Result<&'static ObjectMap, RenderError> {
    static BODIES: OnceLock<Result<ObjectMap, String>> = OnceLock::new();
    let parsed =
        BODIES.get_or_init(
            || match mesh_core::from_yaml_str(TEMPLATES_FILE, TEMPLATES_PATH) {
                Ok(Value::Object(map)) => Ok(map),
                Ok(other) => Err(other.to_string()),
                Err(e) => Err(e.to_string()),
            },
        );
    parsed.as_ref().map_err(|got| RenderError::BadValue {
        component: COMPONENT.to_string(),
        path: TEMPLATES_PATH.to_string(),
        expected: "a map of template names to bodies".to_string(),
        got: got.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_has_an_own_body() {
        let bodies = builtin_bodies().unwrap();
        for name in builtin_template_names() {
            let body = bodies[name].as_str().unwrap();
            assert!(body.contains("mesh-inject"), "{name}: {body}");
            assert!(body.trim_start().starts_with("{{-") && body.trim_end().ends_with("-}}"));
        }
        assert_eq!(bodies.len(), builtin_template_names().len());
    }

    #[test]
    fn pick_keeps_only_present_keys() {
        let v = json!({"a": 1, "b": 2});
        assert_eq!(Value::Object(pick(&v, &["a", "c"])), json!({"a": 1}));
    }
}
