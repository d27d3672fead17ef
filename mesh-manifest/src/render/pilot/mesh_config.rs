//! The `istio` ConfigMap: the mesh configuration (`mesh`) and the mesh networks
//! (`meshNetworks`) every istiod and proxy of the revision reads.
//!
//! The chart builds a base mesh config from individual values (trust domain, root namespace,
//! default metrics providers, mesh ID, image type, tracer, discovery address) and deep-merges
//! `.Values.meshConfig` over it, so `meshConfig` is the real API.

use mesh_core::{Value, obj};
use serde_json::json;

use super::chart::{Chart, RELEASE};
use crate::render::RenderError;
use crate::render::common::{ObjectMap, printed, truthy};

/// The `istio[-<rev>]` ConfigMap, when `.Values.configMap` asks for it.
pub(super) fn render(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    if !chart.namespace_scope() || !chart.on("configMap") {
        return Ok(Vec::new());
    }
    let mut mesh = base_mesh(chart)?;
    if let Some(user) = chart.map("meshConfig")? {
        merge_overwrite(&mut mesh, &Value::Object(user.clone()));
    }
    let labels = chart.labels(
        "istiod",
        &[
            ("istio.io/rev", chart.revision_or_default().into()),
            ("install.operator.istio.io/owning-resource", chart.owner()),
            ("operator.istio.io/component", "Pilot".into()),
            ("release", RELEASE.into()),
        ],
    );
    Ok(vec![obj! {
        "apiVersion" => "v1",
        "kind" => "ConfigMap",
        "metadata" => chart.metadata(&chart.revisioned("istio"), Some(chart.namespace), labels),
        "data" => obj! {
            "mesh" => yaml_block(&mesh),
            "meshNetworks" => mesh_networks(chart)?,
        },
    }])
}

/// A value as the body of a `|-` block: YAML without the trailing newline.
pub(super) fn yaml_block(value: &Value) -> String {
    block_body(mesh_core::to_yaml_string(value))
}

/// Printed YAML as the body of a `|-` block: trailing whitespace cut in place (these texts
/// reach 100 KB, and a trimmed copy cost more than printing the rest of the object).
pub(super) fn block_body(mut text: String) -> String {
    text.truncate(text.trim_end().len());
    text
}

/// `networks: {}`, or the configured `global.meshNetworks` under `networks:`.
fn mesh_networks(chart: &Chart<'_>) -> Result<String, RenderError> {
    let networks = chart.get("global.meshNetworks");
    if truthy(networks) {
        Ok(yaml_block(&obj! { "networks" => networks.clone() }))
    } else {
        Ok("networks: {}".to_string())
    }
}

/// Sprig's `mergeOverwrite` of two values: maps merge key by key (recursively), anything else
/// in `src` replaces what is in `dst`.
pub(crate) fn merge_overwrite(dst: &mut Value, src: &Value) {
    match (dst, src) {
        (Value::Object(d), Value::Object(s)) => {
            for (k, v) in s {
                match d.get_mut(k) {
                    Some(existing @ Value::Object(_)) if v.is_object() => {
                        merge_overwrite(existing, v)
                    }
                    // A map never replaces a non-empty scalar or list (mergo keeps the
                    // destination then).
                    Some(existing) if v.is_object() && truthy(existing) => {}
                    _ => {
                        d.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (d, s) => *d = s.clone(),
    }
}

/// The mesh config the chart derives from its individual values, before `meshConfig`.
fn base_mesh(chart: &Chart<'_>) -> Result<Value, RenderError> {
    let mut mesh = ObjectMap::new();
    mesh.insert("trustDomain".into(), "cluster.local".into());
    let root = if chart.on("meshConfig.rootNamespace") {
        chart.printed("meshConfig.rootNamespace")
    } else {
        chart.printed("global.istioNamespace")
    };
    mesh.insert("rootNamespace".into(), root);
    if let Some(providers) = default_providers(chart) {
        mesh.insert("defaultProviders".into(), providers);
    }
    mesh.insert("defaultConfig".into(), default_config(chart)?);
    Ok(Value::Object(mesh))
}

/// `defaultProviders`: Prometheus metrics and/or Stackdriver metrics and logs, when telemetry
/// is on and `meshConfig.defaultProviders` is not set.
fn default_providers(chart: &Chart<'_>) -> Option<Value> {
    let telemetry = !chart.on("meshConfig.defaultProviders")
        && chart.on("telemetry.enabled")
        && chart.on("telemetry.v2.enabled");
    let prometheus = telemetry && chart.on("telemetry.v2.prometheus.enabled");
    let stackdriver = telemetry && chart.on("telemetry.v2.stackdriver.enabled");
    if !prometheus && !stackdriver {
        return None;
    }
    let mut metrics = Vec::new();
    if prometheus {
        metrics.push(json!("prometheus"));
    }
    if stackdriver {
        metrics.push(json!("stackdriver"));
    }
    let mut providers = obj! { "metrics" => metrics };
    if stackdriver {
        providers["accessLogging"] = json!(["stackdriver"]);
    }
    Some(providers)
}

/// `defaultConfig`: mesh ID, proxy image type, tracing and the discovery address.
fn default_config(chart: &Chart<'_>) -> Result<Value, RenderError> {
    let mut dc = ObjectMap::new();
    if chart.on("global.meshID") {
        dc.insert("meshId".into(), chart.text("global.meshID").into());
    }
    let variant = if chart.on("global.proxy.variant") {
        chart.text("global.proxy.variant")
    } else {
        chart.text("global.variant")
    };
    if !variant.is_empty() {
        dc.insert("image".into(), obj! { "imageType" => variant });
    }
    let tracer = chart.text("global.proxy.tracer");
    if tracer != "none" {
        dc.insert("tracing".into(), tracing(chart, &tracer));
    }
    dc.insert("discoveryAddress".into(), discovery_address(chart).into());
    Ok(Value::Object(dc))
}

/// The tracer block for `global.proxy.tracer` (null for a tracer the chart does not know).
fn tracing(chart: &Chart<'_>, tracer: &str) -> Value {
    let or = |path: &str, fallback: &str| -> Value {
        if chart.on(path) {
            chart.printed(path)
        } else {
            printed(&Value::String(fallback.to_string()))
        }
    };
    match tracer {
        "lightstep" => obj! {
            "lightstep" => json!({
            "address": chart.printed("global.tracer.lightstep.address"),
            "accessToken": chart.printed("global.tracer.lightstep.accessToken"),
        }),
        },
        "zipkin" => {
            let fallback = format!("zipkin.{}:9411", chart.istio_namespace());
            obj! { "zipkin" => json!({"address": or("global.tracer.zipkin.address", &fallback)}) }
        }
        "datadog" => obj! {
            "datadog" => json!({
            "address": or("global.tracer.datadog.address", "$(HOST_IP):8126"),
        }),
        },
        "stackdriver" => obj! {
            "stackdriver" => json!({
            "debug": or("global.tracer.stackdriver.debug", "false"),
            "maxNumberOfAttributes": or("global.tracer.stackdriver.maxNumberOfAttributes", "200"),
            "maxNumberOfAnnotations": or("global.tracer.stackdriver.maxNumberOfAnnotations", "200"),
            "maxNumberOfMessageEvents": or("global.tracer.stackdriver.maxNumberOfMessageEvents", "200"),
        }),
        },
        "openCensusAgent" => chart.get("meshConfig.defaultConfig.tracing").clone(),
        _ => Value::Null,
    }
}

/// Where proxies reach istiod: this revision's Service, or (with a remote pilot address) the
/// remote istiod's local Service.
fn discovery_address(chart: &Chart<'_>) -> String {
    if chart.on("global.remotePilotAddress") {
        let service = if chart.remote() && chart.local_injector() {
            "istiod-remote"
        } else {
            "istiod"
        };
        format!("{service}.{}.svc:15012", chart.namespace)
    } else {
        format!(
            "{}.{}.svc:15012",
            chart.revisioned("istiod"),
            chart.namespace
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_overwrite_merges_maps_and_replaces_the_rest() {
        let mut dst = json!({"a": {"b": 1, "c": [1, 2]}, "d": "x"});
        merge_overwrite(&mut dst, &json!({"a": {"c": [3], "e": false}, "d": null}));
        assert_eq!(dst, json!({"a": {"b": 1, "c": [3], "e": false}, "d": null}));
    }
}
