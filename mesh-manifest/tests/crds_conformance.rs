//! The embedded CRDs against the reference manifests: equal without schemas, and how much of
//! Istio's schemas mesh's own schemas cover.
#![allow(clippy::unwrap_used)] // tests fail loudly on broken fixtures

mod crds_support;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crds_support::{
    reference_crd_file, reference_dir, schema_paths, schema_types, version_schemas, without_schema,
};
use mesh_core::Value;
use mesh_manifest::render::RenderContext;
use mesh_manifest::render::crds::render_crds;

/// The chart values of a case, read back from the istiod `merged-values` ConfigMap of its
/// expected manifest (every chart receives the same `global` and `base` values), or no values
/// when the case renders no istiod.
fn case_values(docs: &[Value]) -> Value {
    docs.iter()
        .filter(|d| d["kind"] == "ConfigMap")
        .find_map(|d| d.pointer("/data/merged-values").and_then(Value::as_str))
        .map(|text| serde_json::from_str(text).unwrap())
        .unwrap_or_else(|| serde_json::json!({}))
}

fn expected_crds(docs: &[Value]) -> BTreeMap<String, Value> {
    docs.iter()
        .filter(|d| d["kind"] == "CustomResourceDefinition")
        .map(|d| {
            (
                d["metadata"]["name"].as_str().unwrap().to_string(),
                d.clone(),
            )
        })
        .collect()
}

/// The documents of a case's expected manifest this test needs (CRDs and ConfigMaps holding
/// `merged-values`). Documents are parsed once per distinct text: most cases share their CRDs.
fn case_docs(case: &Path, cache: &mut HashMap<String, Value>) -> Vec<Value> {
    let path = case.join("expected.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    text.split("\n---\n")
        .filter(|doc| {
            doc.contains("kind: CustomResourceDefinition\n") || doc.contains("  merged-values: ")
        })
        .map(|doc| {
            cache
                .entry(doc.to_string())
                .or_insert_with(|| {
                    mesh_core::from_yaml_str(doc, &path.display().to_string()).unwrap()
                })
                .clone()
        })
        .collect()
}

fn cases(reference: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(reference.join("manifest"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.yaml").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_case_matches_expected_crds_without_schema() {
    let Some(reference) = reference_dir() else {
        return;
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut cache = HashMap::new();
    for case in cases(&reference) {
        let docs = case_docs(&case, &mut cache);
        let want = expected_crds(&docs);
        if want.is_empty() {
            // Base is disabled in this case; whether to render it is not this renderer's call.
            continue;
        }
        checked += 1;
        let got = render_crds(&case_values(&docs), &RenderContext::default()).unwrap();
        let got: BTreeMap<String, Value> = got
            .into_iter()
            .map(|o| (o.name().to_string(), o.into_value()))
            .collect();
        let case_name = case.file_name().unwrap().to_string_lossy().to_string();
        let want_names: Vec<_> = want.keys().collect();
        let got_names: Vec<_> = got.keys().collect();
        if want_names != got_names {
            failures.push(format!(
                "{case_name}: names {got_names:?} != {want_names:?}"
            ));
            continue;
        }
        for (name, w) in &want {
            if without_schema(w) != without_schema(&got[name]) {
                failures.push(format!(
                    "{case_name}: {name} differs:\n got {}\nwant {}",
                    without_schema(&got[name]),
                    without_schema(w)
                ));
            }
        }
    }
    assert!(checked >= 30, "only {checked} cases with CRDs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn excluded_crds_case_drops_exactly_the_two_named() {
    let Some(reference) = reference_dir() else {
        return;
    };
    let docs = case_docs(
        &reference.join("manifest/excluded-crds"),
        &mut HashMap::new(),
    );
    let got = render_crds(&case_values(&docs), &RenderContext::default()).unwrap();
    let names: Vec<&str> = got.iter().map(|o| o.name()).collect();
    assert_eq!(names.len(), 13);
    assert!(!names.contains(&"wasmplugins.extensions.istio.io"));
    assert!(!names.contains(&"envoyfilters.networking.istio.io"));
}

/// Reports, per CRD, the share of Istio's schema property paths that mesh's schema has, and
/// requires full coverage, no field Istio does not have and the same value kind on every path:
/// a missing field would be pruned by the API server from users' resources, a wrong type would
/// reject valid ones.
#[test]
fn schemas_cover_istio_property_paths() {
    let Some(reference) = reference_dir() else {
        return;
    };
    let (name, text) = reference_crd_file(&reference);
    let istio = mesh_core::from_yaml_stream(&text, &name).unwrap();
    let ours: BTreeMap<String, Value> =
        render_crds(&serde_json::json!({}), &RenderContext::default())
            .unwrap()
            .into_iter()
            .map(|o| (o.name().to_string(), o.into_value()))
            .collect();
    let (mut total_have, mut total_want) = (0, 0);
    let mut problems = Vec::new();
    println!(
        "{:<45} {:>8} {:>8} {:>7}",
        "CRD", "paths", "covered", "share"
    );
    for crd in &istio {
        let crd_name = crd["metadata"]["name"].as_str().unwrap();
        let our_schemas: BTreeMap<_, _> = version_schemas(&ours[crd_name]).into_iter().collect();
        let (mut have, mut want) = (0, 0);
        for (version, schema) in version_schemas(crd) {
            let wanted = schema_paths(&schema);
            let got = schema_paths(our_schemas.get(&version).unwrap_or(&Value::Null));
            have += wanted.intersection(&got).count();
            want += wanted.len();
            for missing in wanted.difference(&got) {
                problems.push(format!("{crd_name} {version}: missing {missing}"));
            }
            for extra in got.difference(&wanted) {
                problems.push(format!("{crd_name} {version}: not in Istio {extra}"));
            }
            let our_types = schema_types(our_schemas.get(&version).unwrap_or(&Value::Null));
            for (path, kind) in schema_types(&schema) {
                match our_types.get(&path) {
                    Some(ours) if *ours != kind => problems.push(format!(
                        "{crd_name} {version}: {path} is {ours}, Istio has {kind}"
                    )),
                    _ => {}
                }
            }
        }
        println!(
            "{crd_name:<45} {want:>8} {have:>8} {:>6.1}%",
            100.0 * have as f64 / want.max(1) as f64
        );
        total_have += have;
        total_want += want;
    }
    println!(
        "{:<45} {total_want:>8} {total_have:>8} {:>6.1}%",
        "all",
        100.0 * total_have as f64 / total_want.max(1) as f64
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
