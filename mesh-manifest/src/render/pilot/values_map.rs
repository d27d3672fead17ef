//! The `values` ConfigMap: the values istioctl passed to the chart (`original-values`) and the
//! chart's effective values (`merged-values`), as pretty JSON, kept for debugging and tools.

use mesh_core::{Value, obj};
use serde_json::json;

use super::chart::Chart;
use crate::render::RenderError;

/// What the ConfigMap's description annotation says.
const DESCRIPTION: &str = "This ConfigMap contains the Helm values used during chart rendering. \
This ConfigMap is rendered for debugging purposes and external tooling; modifying these values \
has no effect.";

/// The `values[-<rev>]` ConfigMap.
pub(super) fn render(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    if !chart.namespace_scope() {
        return Ok(Vec::new());
    }
    let mut md = chart.metadata(
        &chart.revisioned("values"),
        Some(chart.namespace),
        chart.component_labels(&[]),
    );
    md.insert(
        "annotations".into(),
        obj! { "kubernetes.io/description" => DESCRIPTION },
    );
    Ok(vec![obj! {
        "apiVersion" => "v1",
        "kind" => "ConfigMap",
        "metadata" => md,
        "data" => json!({
            "original-values": pretty(chart.original),
            "merged-values": pretty(chart.values),
        }),
    }])
}

/// Helm's `toPrettyJson`: two-space indented JSON.
fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
