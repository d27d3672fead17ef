//! The `istio-sidecar-injector` ConfigMap: the injector's values (`values`, JSON) and its
//! configuration (`config`, YAML: policy, selectors, injected annotations, default templates and
//! the templates themselves).
//!
//! The built-in template bodies are mesh's own Go templates (`templates/injection/<name>.tmpl`),
//! written for istiod's injector and gateway deployment controller; mesh-inject renders the same
//! templates natively and its tests check the two agree.

use mesh_core::{Value, obj};
use serde_json::json;

use super::chart::Chart;
use super::mesh_config::{block_body, yaml_block};
use crate::render::RenderError;
use crate::render::common::{ObjectMap, go_format, printed};

/// mesh's built-in template bodies, one embedded file per template name, in the chart's order.
const BUILTIN_TEMPLATES: [(&str, &str); 7] = [
    (
        "sidecar",
        include_str!("../../../templates/injection/sidecar.tmpl"),
    ),
    (
        "gateway",
        include_str!("../../../templates/injection/gateway.tmpl"),
    ),
    (
        "grpc-simple",
        include_str!("../../../templates/injection/grpc-simple.tmpl"),
    ),
    (
        "grpc-agent",
        include_str!("../../../templates/injection/grpc-agent.tmpl"),
    ),
    (
        "waypoint",
        include_str!("../../../templates/injection/waypoint.tmpl"),
    ),
    (
        "kube-gateway",
        include_str!("../../../templates/injection/kube-gateway.tmpl"),
    ),
    (
        "agentgateway",
        include_str!("../../../templates/injection/agentgateway.tmpl"),
    ),
];

/// The `templates:` block of the injector's `config` document with every built-in template and
/// nothing else, as `build.rs` printed it (with the run-time printer) from the same files.
const BUILTIN_TEMPLATES_YAML: &str =
    include_str!(concat!(env!("OUT_DIR"), "/injection/templates.yaml"));

/// The marker the chart puts under `template`: an old injector that still reads this single
/// template fails loudly instead of injecting something stale.
const VERSION_MISMATCH_MARKER: &str =
    "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}";

/// The names of the built-in injection templates, in the order the chart lists them.
pub fn builtin_template_names() -> [&'static str; 7] {
    BUILTIN_TEMPLATES.map(|(name, _)| name)
}

/// mesh's own body of a built-in template (a Go template, as istiod evaluates it).
pub fn builtin_template(name: &str) -> Option<&'static str> {
    BUILTIN_TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, body)| *body)
}

/// The injector ConfigMap unless `global.omitSidecarInjectorConfigMap` is set or namespaced
/// objects are not rendered (`global.resourceScope: cluster`).
pub(super) fn render(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    if chart.on("global.omitSidecarInjectorConfigMap") || !chart.namespace_scope() {
        return Ok(Vec::new());
    }
    let values = injector_values(chart);
    let values_json = serde_json::to_string_pretty(&values).unwrap_or_default();
    Ok(vec![obj! {
        "apiVersion" => "v1",
        "kind" => "ConfigMap",
        "metadata" => chart.metadata(
            &chart.revisioned("istio-sidecar-injector"),
            Some(chart.namespace),
            chart.component_labels(&[]),
        ),
        "data" => obj! {
            "values" => values_json,
            "config" => config_block(chart)?,
        },
    }])
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

/// The injector's `config` document as text. With only the built-in templates, their block is
/// the one printed when mesh was built: `templates` sorts after every other key of the
/// document, so its block comes last, and a block map's entries print independently.
fn config_block(chart: &Chart<'_>) -> Result<String, RenderError> {
    let user_templates = chart.map("sidecarInjectorWebhook.templates")?;
    let mut config = injector_config(chart)?;
    if user_templates.is_none_or(|t| t.is_empty()) {
        let mut text = mesh_core::to_yaml_string(&Value::Object(config));
        text.reserve_exact(BUILTIN_TEMPLATES_YAML.len());
        text.push_str(BUILTIN_TEMPLATES_YAML);
        return Ok(block_body(text));
    }
    config.insert("templates".into(), Value::Object(templates(chart)?));
    Ok(yaml_block(&Value::Object(config)))
}

/// The injector's `config` document without its `templates`.
fn injector_config(chart: &Chart<'_>) -> Result<ObjectMap, RenderError> {
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
    Ok(config)
}

/// The built-in templates the user did not replace, then the user's own templates.
fn templates(chart: &Chart<'_>) -> Result<ObjectMap, RenderError> {
    let user = chart.map("sidecarInjectorWebhook.templates")?;
    let mut out = ObjectMap::new();
    for (name, body) in BUILTIN_TEMPLATES {
        if user.is_some_and(|u| u.contains_key(name)) {
            continue;
        }
        out.insert(name.to_string(), Value::String(body.to_string()));
    }
    if let Some(user) = user {
        for (name, body) in user {
            out.insert(name.clone(), body.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_has_a_body() {
        for name in builtin_template_names() {
            let body = builtin_template(name).unwrap();
            assert!(body.contains("{{"), "{name}: {body}");
        }
        assert_eq!(builtin_template("nope"), None);
    }

    #[test]
    fn prebuilt_templates_block_is_the_printed_builtin_templates() {
        let templates: ObjectMap = BUILTIN_TEMPLATES
            .iter()
            .map(|(name, body)| (name.to_string(), json!(body)))
            .collect();
        let printed = mesh_core::to_yaml_string(&json!({ "templates": templates }));
        assert_eq!(BUILTIN_TEMPLATES_YAML, printed);
        // The block is the last of a config document, whatever comes before it.
        let config = json!({"policy": "enabled", "template": "x", "templates": templates});
        let mut spliced = mesh_core::to_yaml_string(&json!({"policy": "enabled", "template": "x"}));
        spliced.push_str(BUILTIN_TEMPLATES_YAML);
        assert_eq!(spliced, mesh_core::to_yaml_string(&config));
    }

    #[test]
    fn pick_keeps_only_present_keys() {
        let v = json!({"a": 1, "b": 2});
        assert_eq!(Value::Object(pick(&v, &["a", "c"])), json!({"a": 1}));
    }
}
