//! Prometheus metrics merge: the application's `prometheus.io/*` scrape annotations move into the
//! proxy's `ISTIO_PROMETHEUS_ANNOTATIONS` and the pod is scraped through the agent instead.

use crate::annotations::{self as ann, parse_go_bool};
use mesh_core::{Value, obj};
use serde_json::{Map, json};

/// The environment variable carrying the application's scrape settings to the agent.
pub const PROMETHEUS_ENV: &str = "ISTIO_PROMETHEUS_ANNOTATIONS";

/// Whether `key`, sanitized the way Prometheus sanitizes label names (every character outside
/// `[a-zA-Z0-9_]` becomes `_`), equals `name`.
fn sanitized_eq(key: &str, name: &str) -> bool {
    key.len() == name.len()
        && key.bytes().zip(name.bytes()).all(|(k, n)| {
            let k = if k.is_ascii_alphanumeric() || k == b'_' {
                k
            } else {
                b'_'
            };
            k == n
        })
}

/// The annotation value whose sanitized name is `name` (`prometheus_io_port`, ...).
fn find<'a>(annotations: &'a Map<String, Value>, name: &str) -> Option<(&'a String, &'a str)> {
    annotations
        .iter()
        .find(|(k, _)| sanitized_eq(k, name))
        .map(|(k, v)| (k, v.as_str().unwrap_or("")))
}

/// Whether scraping is on: an explicit `prometheus.io/scrape` bool, else true.
fn scrape_enabled(annotations: &Map<String, Value>) -> bool {
    annotations
        .iter()
        .filter(|(k, _)| sanitized_eq(k, "prometheus_io_scrape"))
        .find_map(|(_, v)| parse_go_bool(v.as_str().unwrap_or("")))
        .unwrap_or(true)
}

/// Whether metrics merging applies: the pod annotation (when a valid bool) wins over the mesh.
fn merge_enabled(annotations: &Map<String, Value>, mesh_setting: bool) -> bool {
    annotations
        .get(ann::PROMETHEUS_MERGE_METRICS)
        .and_then(Value::as_str)
        .and_then(parse_go_bool)
        .unwrap_or(mesh_setting)
}

/// Removes every spelling of the three prometheus scrape annotations.
pub fn clear_annotations(annotations: &mut Map<String, Value>) {
    annotations.retain(|k, _| {
        ![
            "prometheus_io_scrape",
            "prometheus_io_port",
            "prometheus_io_path",
        ]
        .iter()
        .any(|name| sanitized_eq(k, name))
    });
}

/// The current prometheus port annotation, if any.
pub fn current_port(annotations: &Map<String, Value>) -> Option<String> {
    find(annotations, "prometheus_io_port").map(|(_, v)| v.to_string())
}

/// Applies the metrics merge to a pod: `annotations` are the pod's annotations (as merged so
/// far), `proxy_env` the proxy container's env, `status_port` the agent port.
pub fn apply_merge(
    annotations: &mut Map<String, Value>,
    proxy_env: Option<&mut Vec<Value>>,
    mesh_setting: bool,
    status_port: i64,
) {
    if !scrape_enabled(annotations) || !merge_enabled(annotations, mesh_setting) {
        return;
    }
    let target = status_port.to_string();
    if current_port(annotations).as_deref() == Some(target.as_str()) {
        return;
    }
    let mut scrape = Map::new();
    for (field, name) in [
        ("scrape", "prometheus_io_scrape"),
        ("path", "prometheus_io_path"),
        ("port", "prometheus_io_port"),
    ] {
        // Go ranges over a map in random order; with several spellings the last one seen wins.
        // Sorted order keeps the result stable.
        if let Some(v) = annotations
            .iter()
            .filter(|(k, _)| sanitized_eq(k, name))
            .map(|(_, v)| v.as_str().unwrap_or(""))
            .next_back()
            && !v.is_empty()
        {
            scrape.insert(field.to_string(), json!(v));
        }
    }
    if let Some(env) = proxy_env
        && !scrape.is_empty()
    {
        env.push(obj! { "name" => PROMETHEUS_ENV, "value" => Value::Object(scrape).to_string() });
    }
    clear_annotations(annotations);
    annotations.insert("prometheus.io/port".to_string(), json!(target));
    annotations.insert("prometheus.io/path".to_string(), json!("/stats/prometheus"));
    annotations.insert("prometheus.io/scrape".to_string(), json!("true"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anns(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect()
    }

    #[test]
    fn moves_scrape_settings_to_env() {
        let mut a = anns(&[("prometheus.io/port", "8080"), ("prometheus.io/path", "/m")]);
        let mut env = Vec::new();
        apply_merge(&mut a, Some(&mut env), true, 15020);
        assert_eq!(a["prometheus.io/port"], json!("15020"));
        assert_eq!(a["prometheus.io/path"], json!("/stats/prometheus"));
        let v: Value = serde_json::from_str(env[0]["value"].as_str().unwrap()).unwrap();
        assert_eq!(v, json!({"port": "8080", "path": "/m"}));
    }

    #[test]
    fn scrape_false_disables_merge() {
        let mut a = anns(&[("prometheus.io/scrape", "false")]);
        apply_merge(&mut a, None, true, 15020);
        assert_eq!(a, anns(&[("prometheus.io/scrape", "false")]));
    }

    #[test]
    fn merge_annotation_wins_over_mesh() {
        let mut a = anns(&[(ann::PROMETHEUS_MERGE_METRICS, "false")]);
        apply_merge(&mut a, None, true, 15020);
        assert_eq!(a.len(), 1);
    }

    #[test]
    fn sanitizes_names() {
        assert!(sanitized_eq("prometheus.io/scrape", "prometheus_io_scrape"));
        assert!(sanitized_eq("prometheus-io/port", "prometheus_io_port"));
        assert!(!sanitized_eq("prometheus.io/ports", "prometheus_io_port"));
    }
}
