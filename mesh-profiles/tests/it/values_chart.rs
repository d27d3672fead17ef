//! Chart merge tests: the istiod chart's effective values against every reference case's
//! `values` ConfigMap, plus the merge rules of the other charts.

use mesh_profiles::values::{Chart, ValuesError, chart_defaults, chart_values, helm_profile_names};
use serde_json::{Value, json};

use crate::{
    case_dirs, case_name, configmap_values, expected_docs, first_difference, is_values_configmap,
};

/// `(case, original-values, merged-values)` of every case whose output has a `values` ConfigMap.
fn values_configmaps() -> Option<Vec<(String, Value, Value)>> {
    let mut out = Vec::new();
    for dir in case_dirs()? {
        let keep = |doc: &str| doc.contains("kind: ConfigMap") && doc.contains("merged-values");
        for cm in expected_docs(&dir, keep) {
            if is_values_configmap(&cm) {
                let (original, merged) = configmap_values(&cm);
                out.push((case_name(&dir), original, merged));
            }
        }
    }
    Some(out)
}

/// The effective values of `chart` for `passed`; an error fails the test.
fn values_of(chart: Chart, passed: Value) -> Value {
    chart_values(chart, &passed).unwrap()
}

#[test]
fn istiod_chart_values_match_every_reference_case() {
    let Some(cases) = values_configmaps() else {
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
    let got = values_of(
        Chart::Istiod,
        json!({"profile": "", "global": {"platform": ""}}),
    );
    assert_eq!(got["profile"], "");
}

#[test]
fn top_level_profile_wins_over_global_profile() {
    let got = values_of(
        Chart::Istiod,
        json!({"profile": "stable", "global": {"profile": "demo"}}),
    );
    assert_eq!(got["experimental"]["stableValidationPolicy"], true);
    assert_eq!(got["autoscaleEnabled"], true);
    let got = values_of(Chart::Istiod, json!({"global": {"profile": "demo"}}));
    assert_eq!(got["autoscaleEnabled"], false);
}

#[test]
fn platform_overrides_profile_and_passed_values_override_both() {
    let passed = json!({"profile": "ambient", "global": {"platform": "openshift"}, "cni": {"cniBinDir": "/x"}});
    let got = values_of(Chart::IstioCni, passed);
    assert_eq!(got["cniBinDir"], "/x");
    assert_eq!(got["cniConfDir"], "/etc/cni/multus/net.d");
    assert_eq!(got["ambient"]["enabled"], true);
    assert_eq!(got["seLinuxOptions"]["type"], "spc_t");
}

#[test]
fn cni_chart_lifts_its_cni_subtree() {
    let got = values_of(
        Chart::IstioCni,
        json!({"cni": {"resourceQuotas": {"enabled": true}}}),
    );
    assert_eq!(
        got["resourceQuotas"],
        json!({"enabled": true, "pods": 5000})
    );
    // Also when the chart renders only cluster-scoped resources (Istio 1.30's descoping
    // template has no resourceScope condition).
    let passed = json!({"global": {"resourceScope": "cluster"}, "cni": {"chained": false}});
    let got = values_of(Chart::IstioCni, passed);
    assert_eq!(got["chained"], false);
}

#[test]
fn istiod_lifts_pilot_subtree_over_top_level_values() {
    let passed = json!({"replicaCount": 2, "pilot": {"replicaCount": 3, "cni": {"enabled": true}}});
    let got = values_of(Chart::Istiod, passed);
    assert_eq!(got["replicaCount"], 3);
    assert_eq!(got["cni"], json!({"enabled": true, "provider": "default"}));
}

#[test]
fn ztunnel_lifts_globals_between_profile_and_passed_values() {
    let got = values_of(
        Chart::Ztunnel,
        json!({"profile": "ambient", "global": {"hub": "h"}}),
    );
    assert_eq!(got["variant"], "distroless");
    assert_eq!(got["hub"], "h");
    let got = values_of(
        Chart::Ztunnel,
        json!({"global": {"hub": "h"}, "hub": "mine"}),
    );
    assert_eq!(got["hub"], "mine");
    // Other charts keep `global` where it is.
    let got = values_of(Chart::IstioIngress, json!({"global": {"hub": "h"}}));
    assert!(got.get("hub").is_none());
    assert_eq!(got["global"]["hub"], "h");
}

#[test]
fn null_values_are_kept_as_null() {
    let passed = json!({"global": {"proxy": {"resources": {"limits": {"cpu": null}}}}});
    let got = values_of(Chart::Istiod, passed);
    assert_eq!(
        got["global"]["proxy"]["resources"]["limits"],
        json!({"cpu": null, "memory": "1024Mi"})
    );
}

#[test]
fn compatibility_profile_applies_to_every_chart() {
    let got = values_of(Chart::IstioCni, json!({"compatibilityVersion": "1.28"}));
    assert_eq!(got["ambient"]["reconcileIptablesOnStartup"], false);
    let got = values_of(Chart::Istiod, json!({"compatibilityVersion": "1.29"}));
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

#[test]
fn the_k3s_platform_profile_points_cni_at_k3s_paths() {
    // Istio 1.30.3's platform-k3s profile.
    let got = values_of(Chart::IstioCni, json!({"global": {"platform": "k3s"}}));
    assert_eq!(got["cniBinDir"], "/var/lib/rancher/k3s/data/cni");
    assert_eq!(
        got["cniConfDir"],
        "/var/lib/rancher/k3s/agent/etc/cni/net.d"
    );
}
