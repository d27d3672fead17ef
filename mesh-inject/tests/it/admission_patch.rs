//! The JSON patch on the reference corpus: for every inject case, the patch from the input object to
//! Istio's injected golden, applied to the input, gives exactly the golden.

use crate::support::corpus;
use mesh_inject::{apply_patch, create_patch, patch_bytes};
use serde_json::Value;
use std::path::Path;

fn read_docs(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    mesh_core::from_yaml_stream(&text, &path.display().to_string()).unwrap()
}

/// The pod (template) inside a workload, where injection happens.
fn pod_part(doc: &Value) -> Option<&Value> {
    if doc["kind"] == "Pod" {
        return Some(doc);
    }
    doc["spec"]["template"]
        .as_object()
        .map(|_| &doc["spec"]["template"])
        .or_else(|| {
            doc["spec"]["jobTemplate"]["spec"]["template"]
                .as_object()
                .map(|_| &doc["spec"]["jobTemplate"]["spec"]["template"])
        })
}

#[test]
fn patch_turns_every_reference_input_into_its_golden() {
    let Some(root) = corpus() else { return };
    let mut checked = 0;
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    for case in cases {
        let golden = case.join("expected.yaml");
        if !golden.exists() {
            continue;
        }
        let inputs = read_docs(&case.join("input.yaml"));
        let outputs = read_docs(&golden);
        assert_eq!(inputs.len(), outputs.len(), "{}", case.display());
        for (i, (input, output)) in inputs.iter().zip(&outputs).enumerate() {
            let patch = create_patch(input, output);
            let applied = apply_patch(input, &patch).unwrap();
            assert_eq!(&applied, output, "{} document {i}", case.display());
            // The same on the pod part alone, as the webhook sees it.
            if let (Some(a), Some(b)) = (pod_part(input), pod_part(output)) {
                let patch = create_patch(a, b);
                assert_eq!(
                    &apply_patch(a, &patch).unwrap(),
                    b,
                    "{} pod {i}",
                    case.display()
                );
                let bytes = patch_bytes(&patch);
                let reread: json_patch::Patch = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(reread, patch);
            }
            checked += 1;
        }
    }
    assert!(checked >= 89, "only {checked} documents checked");
}

/// Injection adds containers; their patch operations are whole-container `add`s, not field-by-field
/// rewrites of the application's containers.
#[test]
fn injected_containers_are_added_whole() {
    let Some(root) = corpus() else { return };
    let case = root.join("hello");
    let input = &read_docs(&case.join("input.yaml"))[0];
    let output = &read_docs(&case.join("expected.yaml"))[0];
    let (a, b) = (pod_part(input).unwrap(), pod_part(output).unwrap());
    let ops = serde_json::to_value(create_patch(a, b)).unwrap();
    let ops = ops.as_array().unwrap();
    // An added list (initContainers absent before) or an added item of a list.
    let adds_of = |list: &str| -> Vec<String> {
        ops.iter()
            .filter(|op| op["op"] == "add" && op["path"].as_str().unwrap().starts_with(list))
            .flat_map(|op| match &op["value"] {
                Value::Array(items) => items.clone(),
                item => vec![item.clone()],
            })
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .collect()
    };
    let added: Vec<String> =
        [adds_of("/spec/initContainers"), adds_of("/spec/containers")].concat();
    assert!(added.iter().any(|n| n == "istio-proxy"), "{ops:#?}");
    assert!(
        !ops.iter().any(|op| op["path"] == "/spec/containers/0/name"),
        "the application container keeps its name: {ops:#?}"
    );
}
