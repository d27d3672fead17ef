//! Each chart's renderer against every manifest case of the reference corpus, object for
//! object under the scorer's rules:
//!
//! * Base and Pilot fed with the chart values the values model computes from the case's
//!   arguments (profiles, files, flags, chart defaults and helm profiles);
//! * Pilot fed with the chart values the case's own `values` ConfigMap records
//!   (`merged-values`, `original-values`): every object of the istiod chart must be rendered,
//!   equal, and nothing else;
//! * the gateway, CNI and ztunnel objects rendered from the case's resolved components.

use crate::support::charts::{case_components, expected_mine, render_mine};
use crate::support::{
    Totals, check_component_against_reference, compare, compare_with, expected_objects, from_chart,
    label, manifest_cases, manifest_dir, name,
};
use mesh_core::{ComponentName, Value};
use mesh_manifest::render::RenderContext;
use mesh_manifest::render::base::render_base;
use mesh_manifest::render::pilot::render_pilot;
use mesh_profiles::ComponentValues;

#[test]
fn base_matches_every_reference_case() {
    check_component_against_reference("base", ComponentName::Base, render_base);
}

#[test]
fn pilot_from_case_arguments_matches_every_reference_case() {
    check_component_against_reference("istiod", ComponentName::Pilot, render_pilot);
}

/// The chart values recorded in the case's `values[-<rev>]` ConfigMap, if istiod is installed.
fn recorded_values(expected: &[Value]) -> Option<ComponentValues> {
    let cm = expected.iter().find(|o| {
        o.get("kind").and_then(Value::as_str) == Some("ConfigMap")
            && label(o, "operator.istio.io/component") == "Pilot"
            && name(o).starts_with("values")
    })?;
    let data = |key: &str| -> Value {
        let text = cm
            .pointer(&format!("/data/{key}"))
            .and_then(Value::as_str)
            .unwrap();
        serde_json::from_str(text).unwrap()
    };
    Some(ComponentValues {
        component: ComponentName::Pilot,
        name: "istiod".to_string(),
        namespace: cm
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap()
            .to_string(),
        values: data("merged-values"),
        original: data("original-values"),
        k8s: None,
    })
}

#[test]
fn pilot_matches_every_reference_case() {
    let Some(manifests) = manifest_dir() else {
        return;
    };
    let ctx = RenderContext::default();
    let mut totals = Totals::default();
    for (case, dir) in manifest_cases(&manifests) {
        let expected = expected_objects(&dir);
        let want: Vec<Value> = expected
            .iter()
            .filter(|o| from_chart(o, "istiod"))
            .cloned()
            .collect();
        let Some(cv) = recorded_values(&expected) else {
            assert!(
                want.is_empty(),
                "{case}: istiod objects without a values ConfigMap"
            );
            continue;
        };
        let got: Vec<Value> = render_pilot(&cv, &ctx)
            .unwrap()
            .into_iter()
            .map(|o| o.into_value())
            .collect();
        let cmp = compare(&want, &got);
        eprintln!("{case}: Pilot objects {}/{} equal", cmp.equal, cmp.expected);
        totals.add(&case, cmp);
    }
    eprintln!(
        "total: Pilot objects {}/{} equal",
        totals.equal, totals.expected
    );
    totals.assert_no_failures();
}

#[test]
fn the_comparison_catches_changes_but_not_template_bodies() {
    let Some(manifests) = manifest_dir() else {
        return;
    };
    let expected = expected_objects(&manifests.join("profile-default"));
    let want: Vec<Value> = expected
        .iter()
        .filter(|o| from_chart(o, "istiod"))
        .cloned()
        .collect();
    assert_eq!(compare(&want, &want).problems.len(), 0);

    let mut changed = want.clone();
    let deployment = changed
        .iter_mut()
        .find(|o| o["kind"] == "Deployment")
        .unwrap();
    deployment["spec"]["template"]["spec"]["containers"][0]["args"][1] = "--other".into();
    assert_eq!(compare(&want, &changed).problems.len(), 1);

    let injector_config = |objects: &mut Vec<Value>, f: &dyn Fn(&mut Value)| {
        let cm = objects
            .iter_mut()
            .find(|o| o["metadata"]["name"] == "istio-sidecar-injector")
            .unwrap();
        let mut config =
            mesh_core::from_yaml_str(cm["data"]["config"].as_str().unwrap(), "config").unwrap();
        f(&mut config);
        cm["data"]["config"] = mesh_core::to_yaml_string(&config).into();
    };
    let mut bodies = want.clone();
    injector_config(&mut bodies, &|c| {
        c["templates"]["sidecar"] = "other body".into()
    });
    assert_eq!(compare(&want, &bodies).problems.len(), 0);
    let mut keys = want.clone();
    injector_config(&mut keys, &|c| {
        c["templates"].as_object_mut().unwrap().remove("waypoint");
    });
    assert_eq!(compare(&want, &keys).problems.len(), 1);
}

#[test]
fn gateway_cni_ztunnel_objects_match_every_reference_case() {
    let Some(dir) = manifest_dir() else { return };
    let mut totals = Totals::default();
    for (case, case_dir) in manifest_cases(&dir) {
        let components = match case_components(&case_dir) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("SKIP {case}: the resolver rejects the case: {e}");
                continue;
            }
        };
        let got = render_mine(&components);
        let got: Vec<&Value> = got.iter().map(|o| &*o.value).collect();
        let expected = expected_mine(&case_dir);
        let result = compare_with(&expected, &got, Value::clone);
        let verdict = if result.problems.is_empty() {
            "PASS"
        } else {
            "FAIL"
        };
        eprintln!("{verdict} {case} {}/{}", result.equal, result.expected);
        totals.add(&case, result);
    }
    eprintln!("objects: {}/{} equal", totals.equal, totals.expected);
    totals.assert_no_failures();
}
