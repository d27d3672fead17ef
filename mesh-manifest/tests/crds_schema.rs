//! mesh's own CRD schemas are structural and shaped the way the API server needs them.
#![allow(clippy::unwrap_used)] // tests fail loudly on broken fixtures

use mesh_core::Value;
use mesh_manifest::render::RenderContext;
use mesh_manifest::render::crds::{render_crds, structural_problems};
use serde_json::json;

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
                    assert_eq!(&node["items"]["required"], keys);
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

#[test]
fn every_crd_round_trips_through_the_typed_kubernetes_api() {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    for object in render_crds(&json!({}), &RenderContext::default()).unwrap() {
        let typed: CustomResourceDefinition = object.typed().unwrap();
        let back = serde_json::to_value(&typed).unwrap();
        assert_eq!(back, object.value, "{} loses fields", object.name());
    }
}
