//! mesh-profiles' integration tests (one test binary): profile dumps read back, the built-in
//! profiles against Istio's, and the chart values model against the reference cases.

use std::path::{Path, PathBuf};

use mesh_core::Value;
use mesh_test_support::{read, reference_path, sub_dirs};

mod dump_roundtrip;
mod profiles_reference;
mod values_chart;
mod values_components;
mod values_types;

/// The reference `manifest` cases that have an expected output, sorted; `None` (after one
/// `skipping:` line) when the corpus is absent.
fn case_dirs() -> Option<Vec<PathBuf>> {
    let mut dirs = sub_dirs(&reference_path("manifest")?);
    dirs.retain(|dir| dir.join("expected.yaml").exists());
    Some(dirs)
}

/// A case's name: its folder's name.
fn case_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The documents of a case's expected output whose text passes `keep`; the others (the large CRDs
/// among them) are left unparsed, which keeps the tests fast.
fn expected_docs(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<Value> {
    read(&dir.join("expected.yaml"))
        .split("\n---")
        .filter(|doc| keep(doc))
        .filter_map(|doc| mesh_core::from_yaml_str(doc, "expected.yaml").ok())
        .filter(|doc| !doc.is_null())
        .collect()
}

/// Whether a document is istiod's `values` ConfigMap (`values` or `values-<revision>`).
fn is_values_configmap(doc: &Value) -> bool {
    doc["kind"] == "ConfigMap"
        && doc["metadata"]["name"]
            .as_str()
            .is_some_and(|n| n == "values" || n.starts_with("values-"))
}

/// The `(original, merged)` values a `values` ConfigMap holds.
fn configmap_values(cm: &Value) -> (Value, Value) {
    let parse = |key: &str| serde_json::from_str(cm["data"][key].as_str().unwrap()).unwrap();
    (parse("original-values"), parse("merged-values"))
}

// Numbers compare by value (Go prints every number as a float64 without a trailing `.0`).
use mesh_test_support::same_json as same;

/// The first path where our value differs from the expected one, for failure messages.
fn first_difference(ours: &Value, expected: &Value, path: &str) -> Option<String> {
    match (ours, expected) {
        (Value::Object(x), Value::Object(y)) => x.keys().chain(y.keys()).find_map(|k| {
            let p = format!("{path}.{k}");
            match (x.get(k), y.get(k)) {
                (Some(v), Some(w)) => first_difference(v, w, &p),
                (v, w) => Some(format!("{p}: ours {v:?} vs expected {w:?}")),
            }
        }),
        _ if same(ours, expected) => None,
        _ => Some(format!("{path}: ours {ours} vs expected {expected}")),
    }
}
