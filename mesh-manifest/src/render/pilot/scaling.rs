//! istiod's scaling: the HorizontalPodAutoscaler (when autoscaling is on) and the
//! PodDisruptionBudget (only when more than one replica is guaranteed: a budget over a single
//! replica would block node drains).

use mesh_core::{Value, obj};
use serde_json::json;

use super::chart::Chart;
use crate::render::RenderError;
use crate::render::common::{ObjectMap, go_format};

/// The HPA and the PDB, as the values ask.
pub(super) fn render(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    let mut out = Vec::new();
    if !chart.namespace_scope() {
        return Ok(out);
    }
    let local = !chart.remote() || chart.local_injector();
    if local && chart.on("autoscaleEnabled") && chart.on("autoscaleMin") && chart.on("autoscaleMax")
    {
        out.push(autoscaler(chart)?);
    }
    if !chart.remote()
        && chart.on("global.defaultPodDisruptionBudget.enabled")
        && needs_budget(chart)
    {
        out.push(disruption_budget(chart));
    }
    Ok(out)
}

/// Helm's `int` of a value: numbers truncate, numeric strings parse, anything else is 0.
fn helm_int(value: &Value) -> i64 {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or(0),
        Value::String(s) => s.trim().parse::<i64>().unwrap_or(0),
        Value::Bool(true) => 1,
        _ => 0,
    }
}

/// Whether more than one replica is guaranteed: autoscaling with a minimum above one, or a
/// fixed replica count above one.
fn needs_budget(chart: &Chart<'_>) -> bool {
    if chart.on("autoscaleEnabled") {
        helm_int(chart.get("autoscaleMin")) > 1
    } else {
        helm_int(chart.get("replicaCount")) > 1
    }
}

/// A resource utilization metric.
fn utilization(resource: &str, target: Value) -> Value {
    obj! {
        "type" => "Resource",
        "resource" => json!({"name": resource, "target": {
        "type": "Utilization",
        "averageUtilization": target,
    }}),
    }
}

/// The autoscaler of the istiod Deployment.
fn autoscaler(chart: &Chart<'_>) -> Result<Value, RenderError> {
    let name = chart.revisioned("istiod");
    let labels = chart.component_labels(&[("app", "istiod".into())]);
    let mut metrics = vec![utilization(
        "cpu",
        chart.printed("cpu.targetAverageUtilization"),
    )];
    if chart.on("memory.targetAverageUtilization") {
        metrics.push(utilization(
            "memory",
            chart.printed("memory.targetAverageUtilization"),
        ));
    }
    let mut spec = ObjectMap::new();
    spec.insert("maxReplicas".into(), chart.printed("autoscaleMax"));
    spec.insert("minReplicas".into(), chart.printed("autoscaleMin"));
    spec.insert(
        "scaleTargetRef".into(),
        obj! { "apiVersion" => "apps/v1", "kind" => "Deployment", "name" => name.as_str() },
    );
    spec.insert("metrics".into(), Value::Array(metrics));
    if let Some(behavior) = chart.nonempty_map("autoscaleBehavior")? {
        spec.insert("behavior".into(), Value::Object(behavior.clone()));
    }
    // autoscaling/v2 is served from Kubernetes 1.23 on; older clusters only have v2beta2.
    let api_version = if chart.kube_version >= (1, 23) {
        "autoscaling/v2"
    } else {
        "autoscaling/v2beta2"
    };
    Ok(obj! {
        "apiVersion" => api_version,
        "kind" => "HorizontalPodAutoscaler",
        "metadata" => chart.metadata(&name, Some(chart.namespace), labels),
        "spec" => spec,
    })
}

/// The disruption budget of the istiod pods.
fn disruption_budget(chart: &Chart<'_>) -> Value {
    let labels = chart.component_labels(&[("app", "istiod".into()), ("istio", "pilot".into())]);
    let mut spec = ObjectMap::new();
    let pdb = chart.get("pdb");
    let has_max = pdb.get("maxUnavailable").is_some();
    if chart.on("pdb.minAvailable") && !has_max {
        spec.insert("minAvailable".into(), chart.printed("pdb.minAvailable"));
    } else if chart.on("pdb.maxUnavailable") {
        spec.insert("maxUnavailable".into(), chart.printed("pdb.maxUnavailable"));
    }
    if chart.on("pdb.unhealthyPodEvictionPolicy") {
        spec.insert(
            "unhealthyPodEvictionPolicy".into(),
            go_format(chart.get("pdb.unhealthyPodEvictionPolicy")).into(),
        );
    }
    spec.insert(
        "selector".into(),
        obj! { "matchLabels" => chart.pod_selector() },
    );
    obj! {
        "apiVersion" => "policy/v1",
        "kind" => "PodDisruptionBudget",
        "metadata" => chart.metadata(&chart.revisioned("istiod"), Some(chart.namespace), labels),
        "spec" => spec,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_int_truncates_and_parses() {
        assert_eq!(helm_int(&json!(3)), 3);
        assert_eq!(helm_int(&json!(2.9)), 2);
        assert_eq!(helm_int(&json!("4")), 4);
        assert_eq!(helm_int(&json!(null)), 0);
    }
}
