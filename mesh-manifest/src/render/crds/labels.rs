//! The labels the `base` chart's CRD template puts on every CRD; shared with `build.rs`, which
//! pre-builds the embedded CRDs with the default ones.

use mesh_core::Value;
use serde_json::Map;

/// The Helm release name istioctl renders every chart with.
const RELEASE_NAME: &str = "istio";
/// The chart's name, used in the `helm.sh/chart` label.
const CHART_NAME: &str = "base";

/// The labels the chart puts on every object it renders: its standard ones for `istio_version`,
/// then `extra` (the values' `labels`, already filtered and quoted).
pub(super) fn chart_labels(istio_version: &str, extra: &Map<String, Value>) -> Map<String, Value> {
    let mut labels = Map::new();
    let mut put = |k: &str, v: String| labels.insert(k.to_string(), Value::String(v));
    put("app.kubernetes.io/managed-by", "Helm".to_string());
    put("app.kubernetes.io/instance", RELEASE_NAME.to_string());
    put("app.kubernetes.io/part-of", "istio".to_string());
    put("app.kubernetes.io/version", istio_version.to_string());
    put(
        "helm.sh/chart",
        format!("{CHART_NAME}-{}", istio_version.replace('+', "_")),
    );
    labels.extend(extra.clone());
    labels
}

/// Replaces a CRD's labels (the chart's templates relabel every CRD).
pub(super) fn set_labels(crd: &mut Value, labels: &Map<String, Value>) {
    if let Some(metadata) = crd.get_mut("metadata") {
        metadata["labels"] = Value::Object(labels.clone());
    }
}
