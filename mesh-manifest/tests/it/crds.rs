//! The CRDs: the embedded ones against the reference manifests (equal without schemas, how much
//! of Istio's schemas mesh's own schemas cover, and the same validation facts); mesh's own
//! schemas are structural and shaped the way the API server needs them; and CRDs read from an
//! Istio release's `crd-all.gen.yaml` (`--manifests DIR`).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::support::crds::{
    reference_crd_file, schema_paths, schema_types, validation_facts, version_schemas,
    without_schema,
};
use crate::support::manifest_cases;
use mesh_api::structural_problems;
use mesh_core::Value;
use mesh_manifest::render::crds::render_crds;
use mesh_manifest::render::{CrdSource, RenderContext, RenderError};
use mesh_test_support::reference;
use serde_json::json;

/// The chart values of a case, read back from the istiod `merged-values` ConfigMap of its
/// expected manifest (every chart receives the same `global` and `base` values), or no values
/// when the case renders no istiod.
fn case_values(docs: &[Value]) -> Value {
    docs.iter()
        .filter(|d| d["kind"] == "ConfigMap")
        .find_map(|d| d.pointer("/data/merged-values").and_then(Value::as_str))
        .map(|text| serde_json::from_str(text).unwrap())
        .unwrap_or_else(|| json!({}))
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
    let text = mesh_test_support::read(&path);
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

#[test]
fn every_case_matches_expected_crds_without_schema() {
    let Some(reference) = reference() else {
        return;
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut cache = HashMap::new();
    for (_, case) in manifest_cases(&reference.join("manifest")) {
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
    let Some(reference) = reference() else {
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

/// Istio's CRDs (from the reference release) and mesh's embedded ones by name; `None` (after a
/// `skipping:` line) without the reference data.
fn istio_and_mesh_crds() -> Option<(Vec<Value>, BTreeMap<String, Value>)> {
    let reference = reference()?;
    let (name, text) = reference_crd_file(&reference);
    let istio = mesh_core::from_yaml_stream(&text, &name).unwrap();
    let ours = render_crds(&json!({}), &RenderContext::default())
        .unwrap()
        .into_iter()
        .map(|o| (o.name().to_string(), o.into_value()))
        .collect();
    Some((istio, ours))
}

/// Reports, per CRD, the share of Istio's schema property paths that mesh's schema has, and
/// requires full coverage, no field Istio does not have and the same value kind on every path:
/// a missing field would be pruned by the API server from users' resources, a wrong type would
/// reject valid ones.
#[test]
fn schemas_cover_istio_property_paths() {
    let Some((istio, ours)) = istio_and_mesh_crds() else {
        return;
    };
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

/// mesh's schemas validate exactly like Istio's: every version of every CRD has the same
/// validation facts (types, formats, enums, patterns, bounds, required fields, oneofs, CEL rules,
/// markers), none missing and none extra, so the API server gives both the same verdicts.
#[test]
fn schemas_carry_istios_validation_facts() {
    let Some((istio, ours)) = istio_and_mesh_crds() else {
        return;
    };
    let (mut compared, mut problems) = (0, Vec::new());
    for crd in &istio {
        let crd_name = crd["metadata"]["name"].as_str().unwrap();
        let our_schemas: BTreeMap<_, _> = version_schemas(&ours[crd_name]).into_iter().collect();
        for (version, schema) in version_schemas(crd) {
            let wanted = validation_facts(&schema);
            let got = validation_facts(our_schemas.get(&version).unwrap_or(&Value::Null));
            compared += wanted.len();
            for missing in wanted.difference(&got) {
                problems.push(format!("{crd_name} {version}: missing {missing}"));
            }
            for extra in got.difference(&wanted) {
                problems.push(format!("{crd_name} {version}: not in Istio {extra}"));
            }
        }
    }
    println!("validation facts compared: {compared}");
    assert!(compared > 5000, "only {compared} facts in Istio's CRDs");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---- structural schemas --------------------------------------------------------------------

fn embedded() -> Vec<Value> {
    render_crds(&json!({}), &RenderContext::default())
        .unwrap()
        .into_iter()
        .map(|o| o.into_value())
        .collect()
}

#[test]
fn every_generated_schema_is_structural() {
    let mut problems = Vec::new();
    for crd in embedded() {
        let name = crd["metadata"]["name"].as_str().unwrap().to_string();
        for version in crd["spec"]["versions"].as_array().unwrap() {
            let schema = &version["schema"]["openAPIV3Schema"];
            for p in structural_problems(schema) {
                problems.push(format!("{name} {}: {p}", version["name"]));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_version_has_typed_spec_and_open_status() {
    for crd in embedded() {
        let name = &crd["metadata"]["name"];
        for version in crd["spec"]["versions"].as_array().unwrap() {
            let root = &version["schema"]["openAPIV3Schema"];
            assert_eq!(root["type"], json!("object"), "{name}");
            let spec = &root["properties"]["spec"];
            assert_eq!(spec["type"], json!("object"), "{name}");
            assert!(
                spec["properties"]
                    .as_object()
                    .is_some_and(|p| !p.is_empty()),
                "{name}: spec lists no fields"
            );
            let status = &root["properties"]["status"];
            assert_eq!(status["type"], json!("object"), "{name}");
            assert_eq!(
                status["x-kubernetes-preserve-unknown-fields"],
                json!(true),
                "{name}"
            );
            assert_eq!(version["subresources"], json!({"status": {}}), "{name}");
        }
    }
}

#[test]
fn keyed_lists_require_their_keys() {
    let mut keyed = 0;
    for crd in embedded() {
        visit(
            &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"],
            &mut |node| {
                if let Some(keys) = node.get("x-kubernetes-list-map-keys") {
                    keyed += 1;
                    assert_eq!(node["x-kubernetes-list-type"], json!("map"));
                    let required = node["items"]["required"].as_array().unwrap();
                    for key in keys.as_array().unwrap() {
                        assert!(required.contains(key), "{key} not required: {node}");
                    }
                }
            },
        );
    }
    assert!(keyed > 0);
}

fn visit(node: &Value, f: &mut dyn FnMut(&Value)) {
    f(node);
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        props.values().for_each(|p| visit(p, f));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(sub) = node.get(key).filter(|v| v.is_object()) {
            visit(sub, f);
        }
    }
}

#[test]
fn identities_are_consistent() {
    let crds = embedded();
    assert_eq!(crds.len(), 15);
    for crd in &crds {
        let spec = &crd["spec"];
        let names = &spec["names"];
        let expected_name = format!(
            "{}.{}",
            names["plural"].as_str().unwrap(),
            spec["group"].as_str().unwrap()
        );
        assert_eq!(crd["metadata"]["name"], json!(expected_name));
        assert_eq!(
            names["listKind"],
            json!(format!("{}List", names["kind"].as_str().unwrap()))
        );
        let stored = spec["versions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["storage"] == json!(true))
            .count();
        assert_eq!(stored, 1, "{expected_name}");
    }
}

/// The typed API keeps schema bounds as floating point: `65535` comes back as `65535.0`, the
/// same number. Compare numbers by value.
fn numbers_as_floats(v: &Value) -> Value {
    match v {
        Value::Number(n) => n.as_f64().map_or(Value::Null, |f| json!(f)),
        Value::Array(items) => items.iter().map(numbers_as_floats).collect(),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), numbers_as_floats(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn every_crd_round_trips_through_the_typed_kubernetes_api() {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    for object in render_crds(&json!({}), &RenderContext::default()).unwrap() {
        let typed: CustomResourceDefinition = object.typed().unwrap();
        let back = serde_json::to_value(&typed).unwrap();
        assert_eq!(
            numbers_as_floats(&back),
            numbers_as_floats(&object.value),
            "{} loses fields",
            object.name()
        );
    }
}

// ---- CRDs from a release file ----------------------------------------------------------------

fn file_ctx(name: &str, text: &str) -> RenderContext {
    RenderContext {
        crds: CrdSource::File {
            name: name.to_string(),
            text: text.to_string(),
        },
        ..RenderContext::default()
    }
}

#[test]
fn templated_file_crds_equal_the_expected_manifest_schemas_included() {
    let Some(reference) = reference() else {
        return;
    };
    let (name, text) = reference_crd_file(&reference);
    let got = render_crds(&json!({}), &file_ctx(&name, &text)).unwrap();
    let expected_path = reference.join("manifest/profile-default/expected.yaml");
    let expected_text = mesh_test_support::read(&expected_path);
    let expected: Vec<Value> = mesh_core::from_yaml_stream(&expected_text, "expected")
        .unwrap()
        .into_iter()
        .filter(|d| d["kind"] == "CustomResourceDefinition")
        .collect();
    assert_eq!(got.len(), expected.len());
    for want in &expected {
        let name = want["metadata"]["name"].as_str().unwrap();
        let ours = got.iter().find(|o| o.name() == name).unwrap();
        assert!(ours.value == *want, "{name} differs");
    }
}

#[test]
fn untemplated_file_is_used_exactly_as_given() {
    let Some(reference) = reference() else {
        return;
    };
    let (name, text) = reference_crd_file(&reference);
    let values = json!({"base": {"enableCRDTemplates": false,
                                 "excludedCRDs": ["gateways.networking.istio.io"]}});
    let got: Vec<Value> = render_crds(&values, &file_ctx(&name, &text))
        .unwrap()
        .into_iter()
        .map(|o| o.into_value())
        .collect();
    let file = mesh_core::from_yaml_stream(&text, &name).unwrap();
    assert_eq!(got, file);
}

#[test]
fn file_source_honours_excluded_crds() {
    let Some(reference) = reference() else {
        return;
    };
    let (name, text) = reference_crd_file(&reference);
    let values = json!({"base": {"excludedCRDs": ["wasmplugins.extensions.istio.io"]}});
    let got = render_crds(&values, &file_ctx(&name, &text)).unwrap();
    assert_eq!(got.len(), 14);
    assert!(
        got.iter()
            .all(|o| o.name() != "wasmplugins.extensions.istio.io")
    );
}

#[test]
fn bad_yaml_is_a_crd_file_error_naming_the_file() {
    let err = render_crds(
        &json!({}),
        &file_ctx("dir/crd-all.gen.yaml", "kind: [unclosed\n"),
    )
    .unwrap_err();
    match &err {
        RenderError::CrdFile { name, .. } => assert_eq!(name, "dir/crd-all.gen.yaml"),
        other => panic!("unexpected error {other:?}"),
    }
    assert!(err.to_string().starts_with("dir/crd-all.gen.yaml: "));
}
