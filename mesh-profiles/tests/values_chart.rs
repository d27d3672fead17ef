//! Chart merge tests: the istiod chart's effective values against every reference case's
//! `values` ConfigMap, plus the merge rules of the other charts.

#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::PathBuf;

use mesh_profiles::values::{Chart, ValuesError, chart_defaults, chart_values, helm_profile_names};
use serde_json::{Value, json};

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/manifest")
}

/// `(case, original-values, merged-values)` of every case whose output has a `values` ConfigMap.
fn values_configmaps() -> Option<Vec<(String, Value, Value)>> {
    let dir = reference_dir();
    let entries = std::fs::read_dir(&dir).ok()?;
    let mut out = Vec::new();
    let mut names: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    names.sort();
    for case in names {
        let Ok(text) = std::fs::read_to_string(case.join("expected.yaml")) else {
            continue;
        };
        // Parsing only the ConfigMap documents keeps the test fast on the large CRD outputs.
        let docs = text
            .split("\n---")
            .filter(|d| d.contains("kind: ConfigMap") && d.contains("merged-values"))
            .map(|d| mesh_core::from_yaml_str(d, "expected.yaml").unwrap());
        for doc in docs {
            let is_values = doc["kind"] == "ConfigMap"
                && doc["metadata"]["name"]
                    .as_str()
                    .is_some_and(|n| n == "values" || n.starts_with("values-"));
            if !is_values {
                continue;
            }
            let original = serde_json::from_str(doc["data"]["original-values"].as_str().unwrap());
            let merged = serde_json::from_str(doc["data"]["merged-values"].as_str().unwrap());
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name, original.unwrap(), merged.unwrap()));
        }
    }
    Some(out)
}

/// Numbers compare by value (Go prints every number as a float64 without a trailing `.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// The first path where two values differ, for failure messages.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(v), Some(w)) => {
                        if let Some(d) = first_difference(v, w, &p) {
                            return Some(d);
                        }
                    }
                    (v, w) => return Some(format!("{p}: {v:?} vs {w:?}")),
                }
            }
            None
        }
        _ if same(a, b) => None,
        _ => Some(format!("{path}: {a} vs {b}")),
    }
}

#[test]
fn istiod_chart_values_match_every_reference_case() {
    let Some(cases) = values_configmaps() else {
        eprintln!(
            "reference corpus not found at {:?}; skipping",
            reference_dir()
        );
        return;
    };
    assert!(!cases.is_empty(), "no values ConfigMap found in the corpus");
    let mut failures = Vec::new();
    for (case, original, merged) in &cases {
        let got = chart_values(Chart::Istiod, original).unwrap();
        if let Some(diff) = first_difference(&got, merged, "") {
            failures.push(format!("{case}: {diff}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_chart_and_profile_parses() {
    for chart in Chart::ALL {
        assert!(chart_defaults(chart).unwrap().is_object(), "{chart}");
    }
    for name in helm_profile_names() {
        let passed = if let Some(p) = name.strip_prefix("platform-") {
            json!({"global": {"platform": p}})
        } else if let Some(v) = name.strip_prefix("compatibility-version-") {
            json!({"compatibilityVersion": v})
        } else {
            json!({"profile": name})
        };
        for chart in Chart::ALL {
            chart_values(chart, &passed).unwrap();
        }
    }
}

#[test]
fn unknown_profile_compat_and_platform_are_errors() {
    let err = chart_values(Chart::Istiod, &json!({"profile": "nope"})).unwrap_err();
    assert!(matches!(err, ValuesError::UnknownProfile { ref name, .. } if name == "nope"));
    assert!(err.to_string().contains("istiod"));
    let err = chart_values(Chart::Base, &json!({"compatibilityVersion": "1.2"})).unwrap_err();
    assert!(matches!(
        err,
        ValuesError::UnknownCompatibilityVersion { .. }
    ));
    let err = chart_values(Chart::IstioCni, &json!({"global": {"platform": "mars"}})).unwrap_err();
    assert!(matches!(err, ValuesError::UnknownPlatform { .. }));
    let err = chart_values(Chart::IstioCni, &json!({"defaults": {"hub": "x"}})).unwrap_err();
    assert!(matches!(err, ValuesError::DefaultsPrefix { .. }));
    let err = chart_values(Chart::IstioCni, &json!([1])).unwrap_err();
    assert!(matches!(err, ValuesError::NotAMap { .. }));
}

#[test]
fn empty_profile_names_are_ignored() {
    let got = chart_values(
        Chart::Istiod,
        &json!({"profile": "", "global": {"platform": ""}}),
    )
    .unwrap();
    assert_eq!(got["profile"], "");
}

#[test]
fn top_level_profile_wins_over_global_profile() {
    let got = chart_values(
        Chart::Istiod,
        &json!({"profile": "stable", "global": {"profile": "demo"}}),
    )
    .unwrap();
    assert_eq!(got["experimental"]["stableValidationPolicy"], true);
    assert_eq!(got["autoscaleEnabled"], true);
    let got = chart_values(Chart::Istiod, &json!({"global": {"profile": "demo"}})).unwrap();
    assert_eq!(got["autoscaleEnabled"], false);
}

#[test]
fn platform_overrides_profile_and_passed_values_override_both() {
    let passed = json!({"profile": "ambient", "global": {"platform": "openshift"}, "cni": {"cniBinDir": "/x"}});
    let got = chart_values(Chart::IstioCni, &passed).unwrap();
    assert_eq!(got["cniBinDir"], "/x");
    assert_eq!(got["cniConfDir"], "/etc/cni/multus/net.d");
    assert_eq!(got["ambient"]["enabled"], true);
    assert_eq!(got["seLinuxOptions"]["type"], "spc_t");
}

#[test]
fn cni_chart_lifts_its_cni_subtree() {
    let got = chart_values(
        Chart::IstioCni,
        &json!({"cni": {"resourceQuotas": {"enabled": true}}}),
    )
    .unwrap();
    assert_eq!(
        got["resourceQuotas"],
        json!({"enabled": true, "pods": 5000})
    );
    // Not when the chart renders only cluster-scoped resources.
    let passed = json!({"global": {"resourceScope": "cluster"}, "cni": {"chained": false}});
    let got = chart_values(Chart::IstioCni, &passed).unwrap();
    assert_eq!(got["chained"], true);
}

#[test]
fn istiod_lifts_pilot_subtree_over_top_level_values() {
    let passed = json!({"replicaCount": 2, "pilot": {"replicaCount": 3, "cni": {"enabled": true}}});
    let got = chart_values(Chart::Istiod, &passed).unwrap();
    assert_eq!(got["replicaCount"], 3);
    assert_eq!(got["cni"], json!({"enabled": true, "provider": "default"}));
}

#[test]
fn ztunnel_lifts_globals_between_profile_and_passed_values() {
    let got = chart_values(
        Chart::Ztunnel,
        &json!({"profile": "ambient", "global": {"hub": "h"}}),
    )
    .unwrap();
    assert_eq!(got["variant"], "distroless");
    assert_eq!(got["hub"], "h");
    let got = chart_values(
        Chart::Ztunnel,
        &json!({"global": {"hub": "h"}, "hub": "mine"}),
    )
    .unwrap();
    assert_eq!(got["hub"], "mine");
    // Other charts keep `global` where it is.
    let got = chart_values(Chart::IstioIngress, &json!({"global": {"hub": "h"}})).unwrap();
    assert!(got.get("hub").is_none());
    assert_eq!(got["global"]["hub"], "h");
}

#[test]
fn null_values_are_kept_as_null() {
    let passed = json!({"global": {"proxy": {"resources": {"limits": {"cpu": null}}}}});
    let got = chart_values(Chart::Istiod, &passed).unwrap();
    assert_eq!(
        got["global"]["proxy"]["resources"]["limits"],
        json!({"cpu": null, "memory": "1024Mi"})
    );
}

#[test]
fn compatibility_profile_applies_to_every_chart() {
    let got = chart_values(Chart::IstioCni, &json!({"compatibilityVersion": "1.28"})).unwrap();
    assert_eq!(got["ambient"]["reconcileIptablesOnStartup"], false);
    let got = chart_values(Chart::Istiod, &json!({"compatibilityVersion": "1.29"})).unwrap();
    assert_eq!(
        got["env"]["PILOT_SIDECAR_PICK_BEST_SERVICE_NAMESPACE"],
        "false"
    );
}

#[test]
fn chart_labels_carry_the_release_version() {
    let labels: Vec<String> = Chart::ALL.iter().map(|c| c.chart_label()).collect();
    assert_eq!(
        labels,
        [
            "base-1.30.3",
            "istiod-1.30.3",
            "istio-ingress-1.30.3",
            "istio-egress-1.30.3",
            "cni-1.30.3",
            "ztunnel-1.30.3"
        ]
    );
}
