//! CRDs read from an Istio release's `crd-all.gen.yaml` (`--manifests DIR`).
#![allow(clippy::unwrap_used)] // tests fail loudly on broken fixtures

mod crds_support;

use crds_support::{reference_crd_file, reference_dir};
use mesh_core::Value;
use mesh_manifest::render::crds::render_crds;
use mesh_manifest::render::{CrdSource, RenderContext, RenderError};
use serde_json::json;

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
    let Some(reference) = reference_dir() else {
        return;
    };
    let (name, text) = reference_crd_file(&reference);
    let got = render_crds(&json!({}), &file_ctx(&name, &text)).unwrap();
    let expected_path = reference.join("manifest/profile-default/expected.yaml");
    let expected_text = std::fs::read_to_string(&expected_path).unwrap();
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
    let Some(reference) = reference_dir() else {
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
    let Some(reference) = reference_dir() else {
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
