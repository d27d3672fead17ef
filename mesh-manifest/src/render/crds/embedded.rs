//! The embedded CRDs, mesh-api's CRD trees ([`mesh_api::crd_values`]) printed by `build.rs`:
//! shared trees that a render neither builds nor prints, and parses only when it reads more
//! than their kind, name and group (the fields `SUMMARIZED` lists).

use std::sync::{Mutex, PoisonError};

use mesh_core::Value;
use serde_json::Map;

use super::labels::set_labels;
use crate::SharedValue;
use crate::object::Prebuilt;

// `LEGACY` and `CHART`: the CRDs with their legacy labels and with the chart's labels
// `CHART_LABELS`, in catalog order, as `build.rs` wrote them; `SUMMARIZED`: the pointers whose
// text comes with each tree.
include!(concat!(env!("OUT_DIR"), "/crds/prebuilt.rs"));

/// How many label sets [`embedded_labelled`] keeps relabelled CRDs for.
const LABELLED_KEPT: usize = 4;

/// The embedded CRDs with their legacy labels (the chart's file untouched), in catalog order.
pub(super) fn embedded() -> Vec<SharedValue> {
    LEGACY.iter().map(SharedValue::prebuilt).collect()
}

/// The embedded CRDs with their labels replaced by `labels`, in catalog order.
///
/// The chart's own labels for the Istio version mesh installs (every render without extra
/// `labels` values) are the pre-built [`CHART`] trees. Other label sets relabel copies of the
/// [`LEGACY`] trees, kept for the last few label sets, so renders with the same labels share
/// one tree per CRD and print it once ([`SharedValue::keeping_yaml`]).
pub(super) fn embedded_labelled(labels: &Map<String, Value>) -> Vec<SharedValue> {
    if is_chart_labels(labels) {
        return CHART.iter().map(SharedValue::prebuilt).collect();
    }
    static KEPT: Mutex<Vec<Labelled>> = Mutex::new(Vec::new());
    // A panic while the lock was held leaves at worst an entry missing: the list stays valid.
    let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(pos) = kept.iter().position(|(l, _)| l == labels) {
        let entry = kept.remove(pos);
        let crds = share_all(&entry.1);
        kept.insert(0, entry);
        return crds;
    }
    let crds: Vec<SharedValue> = LEGACY
        .iter()
        .map(|prebuilt| {
            let mut crd = prebuilt.tree().clone();
            set_labels(&mut crd, labels);
            SharedValue::keeping_yaml(crd)
        })
        .collect();
    kept.insert(0, (labels.clone(), share_all(&crds)));
    kept.truncate(LABELLED_KEPT);
    crds
}

/// Whether `labels` is exactly the label set of the [`CHART`] trees.
fn is_chart_labels(labels: &Map<String, Value>) -> bool {
    labels.len() == CHART_LABELS.len()
        && CHART_LABELS
            .iter()
            .all(|(k, v)| labels.get(*k).and_then(Value::as_str) == Some(*v))
}

/// The embedded CRDs relabelled with one label set (the key).
type Labelled = (Map<String, Value>, Vec<SharedValue>);

fn share_all(crds: &[SharedValue]) -> Vec<SharedValue> {
    crds.iter().map(SharedValue::share).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::labels::chart_labels;
    use super::*;
    use crate::render::RenderContext;
    use serde_json::json;

    #[test]
    fn prebuilt_trees_and_texts_are_mesh_apis_crds_printed() {
        let legacy = mesh_api::crd_values();
        let labels = chart_labels(&RenderContext::default().istio_version, &Map::new());
        assert!(
            is_chart_labels(&labels),
            "CHART has other labels: {labels:?}"
        );
        assert_eq!(legacy.len(), LEGACY.len());
        assert_eq!(legacy.len(), CHART.len());
        for ((want, old), chart) in legacy.iter().zip(&LEGACY).zip(&CHART) {
            let mut relabelled = want.clone();
            set_labels(&mut relabelled, &labels);
            for (want, prebuilt) in [(want, old), (&relabelled, chart)] {
                assert_eq!(prebuilt.tree(), want);
                assert_eq!(prebuilt.yaml(), mesh_core::to_yaml_string(want));
            }
        }
    }

    #[test]
    fn summary_reads_equal_reads_of_the_tree() {
        let pointers = [
            "/apiVersion",
            "/kind",
            "/metadata/name",
            "/metadata/namespace",
            "/metadata/labels/app.kubernetes.io~1version",
            "/spec/group",
            "/spec/names/kind",
            "/spec/names",
            "/spec/names/plural",
            "/spec/versions/0/name",
            "/spec/versions",
            "/webhooks",
            "",
        ];
        for prebuilt in LEGACY.iter().chain(&CHART) {
            let crd = SharedValue::prebuilt(prebuilt);
            for p in SUMMARIZED.iter().chain(&pointers) {
                assert_eq!(crd.lookup(p), prebuilt.tree().pointer(p), "{p}");
            }
        }
    }

    #[test]
    fn labelled_crds_are_shared_per_label_set() {
        let team = |t: &str| {
            let mut m = Map::new();
            m.insert("team".into(), json!(t));
            m
        };
        // Other tests render with other label sets meanwhile: ask twice in a row.
        let a1 = embedded_labelled(&team("a"));
        let a2 = embedded_labelled(&team("a"));
        let b = embedded_labelled(&team("b"));
        assert_eq!(a1.len(), 15);
        assert!(a1.iter().zip(&a2).all(|(x, y)| x.is_shared_with(y)));
        assert!(!a1[0].is_shared_with(&b[0]));
        assert_eq!(a1[0]["metadata"]["labels"], json!({"team": "a"}));
        assert_eq!(b[0]["metadata"]["labels"], json!({"team": "b"}));
        let legacy = embedded();
        assert_eq!(legacy[0]["metadata"]["labels"]["heritage"], json!("Tiller"));
        let mut relabelled = b[0].share();
        relabelled["metadata"]["labels"] = legacy[0]["metadata"]["labels"].clone();
        assert_eq!(relabelled, legacy[0]);
    }

    #[test]
    fn every_crd_stores_one_version() {
        for crd in embedded() {
            let versions = crd["spec"]["versions"].as_array().unwrap();
            let stored = versions
                .iter()
                .filter(|v| v["storage"] == json!(true))
                .count();
            assert_eq!(stored, 1, "{}", crd["metadata"]["name"]);
        }
    }
}
