//! Every valid resource of the e2e CRD corpus (`examples/meshctl/tests/e2e/data/
//! istio-resources.yaml`, the resources Istio's CRDs accept) reads into the typed struct of its
//! kind and version and writes back to the same JSON (numbers compared by value).

use mesh_api::KindInfo;
use mesh_test_support::same_json;
use serde_json::Value;

/// The corpus of the e2e CRD parity test.
const CORPUS: &str = include_str!("../../examples/meshctl/tests/e2e/data/istio-resources.yaml");

/// The corpus's documents marked valid, by name.
fn valid_resources() -> Vec<(String, Value)> {
    let docs = mesh_core::yaml::from_yaml_stream(CORPUS, "istio-resources.yaml").unwrap();
    docs.into_iter()
        .filter(|doc| doc["metadata"]["annotations"]["e2e.mesh/expect"] == "valid")
        .map(|doc| (doc["metadata"]["name"].as_str().unwrap().to_string(), doc))
        .collect()
}

/// The generated type of `doc`'s apiVersion and kind.
fn kind_of<'a>(kinds: &'a [KindInfo], doc: &Value) -> Option<&'a KindInfo> {
    kinds
        .iter()
        .find(|k| doc["apiVersion"] == k.api_version().as_str() && doc["kind"] == k.kind.as_str())
}

#[test]
fn valid_corpus_resources_round_trip_through_their_types() {
    let kinds = mesh_api::kinds();
    let resources = valid_resources();
    let mut failures = Vec::new();
    for (name, doc) in &resources {
        let Some(kind) = kind_of(&kinds, doc) else {
            failures.push(format!(
                "{name}: no type for {} {}",
                doc["apiVersion"], doc["kind"]
            ));
            continue;
        };
        match (kind.reserialize)(doc) {
            Ok(back) if same_json(&back, doc) => {}
            Ok(back) => failures.push(format!("{name}: wrote back\n{back:#}\nnot\n{doc:#}")),
            Err(e) => failures.push(format!("{name}: does not read: {e}")),
        }
    }
    let kinds_seen: std::collections::BTreeSet<String> = resources
        .iter()
        .map(|(_, doc)| format!("{} {}", doc["apiVersion"], doc["kind"]))
        .collect();
    println!(
        "round trip: {} of {} valid resources ({} kind/versions) equal",
        resources.len() - failures.len(),
        resources.len(),
        kinds_seen.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every kind of the corpus was exercised, and the corpus covers all 15 kinds.
    let distinct_kinds: std::collections::BTreeSet<&str> = resources
        .iter()
        .filter_map(|(_, doc)| doc["kind"].as_str())
        .collect();
    assert_eq!(distinct_kinds.len(), 15, "{distinct_kinds:?}");
}

/// A resource read as another kind's type is refused, naming the field.
#[test]
fn reading_a_resource_as_another_kind_fails() {
    let kinds = mesh_api::kinds();
    let (_, vs) = valid_resources()
        .into_iter()
        .find(|(_, doc)| doc["kind"] == "VirtualService")
        .unwrap();
    let dr = kinds
        .iter()
        .find(|k| k.kind == "DestinationRule" && k.version == "v1")
        .unwrap();
    let err = (dr.reserialize)(&vs).unwrap_err().to_string();
    assert!(
        err.contains("kind: expected `DestinationRule`, found `VirtualService`"),
        "{err}"
    );
}

/// Typed fields check what serde can: a weight written as text does not read.
#[test]
fn typed_fields_refuse_wrong_types() {
    let doc: Value = serde_json::json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "x"},
        "spec": {"http": [{"route": [{"destination": {"host": "a"}, "weight": "80"}]}]}
    });
    let err = serde_json::from_value::<mesh_api::networking::v1::VirtualService>(doc)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("invalid type: string \"80\", expected i32"),
        "{err}"
    );
}
