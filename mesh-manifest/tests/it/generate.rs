//! End to end: every reference case's arguments through resolve -> render -> k8s -> order, compared
//! object by object with what istioctl 1.30.3 prints (the scorer's rules: ConfigMap documents
//! compared parsed, injector template bodies by name, CRDs without schemas; the Namespace mesh
//! adds is allowed). Plus reviewed snapshots of each profile's non-CRD objects. The reference
//! comparison is skipped when the reference corpus is absent; the snapshots are not.

use crate::support::{case_inputs, id, manifest_cases, manifest_dir, normalise};
use mesh_core::{Value, from_yaml_stream};
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_manifest::{Object, yaml_stream};
use mesh_profiles::{BUILTIN, Inputs, resolve};
use std::collections::BTreeMap;

fn generate_case(inputs: &Inputs) -> Vec<Object> {
    let resolved = resolve(inputs).unwrap();
    generate(&resolved, &GenerateOptions::default())
        .unwrap()
        .into_objects()
}

#[test]
fn every_reference_case_matches_istioctl() {
    let Some(dir) = manifest_dir() else { return };
    let cases = manifest_cases(&dir);
    assert!(cases.len() >= 40, "expected the 40 visible cases");
    let mut failures = Vec::new();
    for (name, case) in &cases {
        let want: BTreeMap<_, _> = from_yaml_stream(
            &mesh_test_support::read(&case.join("expected.yaml")),
            "expected",
        )
        .unwrap()
        .into_iter()
        .map(|v| (id(&v), normalise(&v)))
        .collect();
        let got: BTreeMap<_, _> = generate_case(&case_inputs(case))
            .into_iter()
            .filter(|o| o.kind() != "Namespace")
            .map(|o| (id(&o.value), normalise(&o.value)))
            .collect();
        for (k, w) in &want {
            match got.get(k) {
                None => failures.push(format!("{name}: missing {k:?}")),
                Some(g) if g != w => failures.push(format!("{name}: differs {k:?}")),
                Some(_) => {}
            }
        }
        for k in got.keys().filter(|k| !want.contains_key(*k)) {
            failures.push(format!("{name}: extra {k:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn profile_snapshots_without_crds() {
    for (profile, _) in BUILTIN {
        let objects = generate_case(&Inputs::with_sets([format!("profile={profile}")]));
        let non_crd: Vec<&Object> = objects
            .iter()
            .filter(|o| o.kind() != "CustomResourceDefinition")
            .collect();
        insta::assert_snapshot!(format!("manifest_{profile}"), yaml_stream(non_crd));
    }
}

#[test]
fn crd_names_and_versions_snapshot() {
    let objects = generate_case(&Inputs::default());
    let summary: Vec<String> = objects
        .iter()
        .filter(|o| o.kind() == "CustomResourceDefinition")
        .map(|o| {
            let versions: Vec<String> = o
                .value
                .pointer("/spec/versions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|v| {
                    format!(
                        "{}{}",
                        v["name"].as_str().unwrap_or(""),
                        if v["storage"] == true { "*" } else { "" }
                    )
                })
                .collect();
            format!("{} {}", o.name(), versions.join(","))
        })
        .collect();
    insta::assert_snapshot!("crds_default", summary.join("\n"));
}
