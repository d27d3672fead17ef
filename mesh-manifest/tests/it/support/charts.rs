//! Helpers of the gateway, CNI and ztunnel tests: component values from a case's arguments or
//! passed straight to a chart, rendering those components, and their expected objects.

use std::path::Path;

use mesh_core::{ComponentName, Value};
use mesh_manifest::Object;
use mesh_manifest::render::RenderContext;
use mesh_profiles::values::{Chart, chart_values};
use mesh_profiles::{ComponentValues, Inputs, resolve};

/// The component instances of a case as the resolver computes them (profile, files, flags,
/// istioctl's translation and component selection); the resolver's error as text when it
/// rejects the case (resolution is not this helper's to test).
pub fn case_components(case_dir: &Path) -> Result<Vec<ComponentValues>, String> {
    resolve(&super::case_inputs(case_dir))
        .map(|r| r.components)
        .map_err(|e| e.to_string())
}

/// Renders every instance of this helper's components.
pub fn render_mine(cvs: &[ComponentValues]) -> Vec<Object> {
    let ctx = RenderContext::default();
    let mut out = Vec::new();
    for cv in cvs {
        let objs = match cv.component {
            ComponentName::IngressGateways | ComponentName::EgressGateways => {
                mesh_manifest::render::gateway::render_gateway(cv, &ctx)
            }
            ComponentName::Cni => mesh_manifest::render::cni::render_cni(cv, &ctx),
            ComponentName::Ztunnel => mesh_manifest::render::ztunnel::render_ztunnel(cv, &ctx),
            _ => continue,
        };
        out.extend(objs.unwrap());
    }
    out
}

/// Whether an expected object comes from one of this helper's charts.
pub fn is_mine(obj: &Value) -> bool {
    let labels = obj.pointer("/metadata/labels");
    let component = labels
        .and_then(|l| l.get("operator.istio.io/component"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let chart = labels
        .and_then(|l| l.get("helm.sh/chart"))
        .and_then(Value::as_str)
        .unwrap_or("");
    matches!(
        component,
        "IngressGateways" | "EgressGateways" | "Cni" | "Ztunnel"
    ) || ["istio-ingress-", "istio-egress-", "cni-", "ztunnel-"]
        .iter()
        .any(|p| chart.starts_with(p))
}

/// The expected objects of a case that come from this helper's charts.
pub fn expected_mine(case_dir: &Path) -> Vec<Value> {
    // Parse only the documents that can be ours: the CRDs make up most of the file.
    let markers = [
        "IngressGateways",
        "EgressGateways",
        "Cni",
        "Ztunnel",
        "helm.sh/chart: cni-",
        "helm.sh/chart: ztunnel-",
    ];
    super::expected_documents(case_dir, |doc| markers.iter().any(|m| doc.contains(m)))
        .into_iter()
        .filter(is_mine)
        .collect()
}

/// Component values for `component` as istioctl would pass `passed` to its chart (no
/// IstioOperator involved), rendered in `namespace`.
pub fn direct_values(component: ComponentName, passed: Value, namespace: &str) -> ComponentValues {
    let chart = Chart::for_component(component);
    let name = match component {
        ComponentName::IngressGateways | ComponentName::EgressGateways => passed
            .pointer(&format!("/gateways/{}/name", chart.values_root()[1]))
            .and_then(Value::as_str)
            .unwrap_or(chart.default_instance_name())
            .to_string(),
        _ => chart.default_instance_name().to_string(),
    };
    ComponentValues {
        component,
        name,
        namespace: namespace.to_string(),
        values: chart_values(chart, &passed).unwrap(),
        original: passed,
        k8s: None,
    }
}

/// The components of a profile with `--set` flags, resolved with the built-in profiles.
pub fn resolved_values(flags: &[&str]) -> Vec<ComponentValues> {
    resolve(&Inputs::with_sets(flags.iter().copied()))
        .unwrap()
        .components
}

/// The rendered object of `kind` named `name`.
pub fn find<'a>(objects: &'a [Object], kind: &str, name: &str) -> Option<&'a Value> {
    objects
        .iter()
        .find(|o| o.kind() == kind && o.name() == name)
        .map(|o| &*o.value)
}

/// The env entry named `name` of the first container of a workload.
pub fn env_of<'a>(workload: &'a Value, name: &str) -> Option<&'a Value> {
    workload
        .pointer("/spec/template/spec/containers/0/env")
        .and_then(Value::as_array)
        .and_then(|env| env.iter().find(|e| e["name"] == name))
}
