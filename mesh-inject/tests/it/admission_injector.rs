//! The admission handler with the real injector and the reference settings: for the pod templates
//! of the reference inputs, the patch applied to the request's pod equals the injected pod, and a
//! second review of the injected pod changes nothing.

use crate::support::{Settings, injector_of};
use mesh_inject::admission::{ADMISSION_V1, prepare_pod, review};
use mesh_inject::{Injector, Outcome, PodContext, apply_patch};
use mesh_test_support::reference;
use serde_json::{Value, json};
use std::path::Path;

fn injector(settings: &Path) -> Injector {
    injector_of(&Settings::load(settings), true)
}

/// The pod a workload's controller would create from its template, as the webhook receives it.
fn pod_from(doc: &Value) -> Option<Value> {
    if doc["kind"] == "Pod" {
        return Some(doc.clone());
    }
    let template = match doc["kind"].as_str()? {
        "CronJob" => &doc["spec"]["jobTemplate"]["spec"]["template"],
        _ => &doc["spec"]["template"],
    };
    let mut metadata = template.get("metadata").cloned().unwrap_or(json!({}));
    if let Some(name) = doc["metadata"]["name"].as_str() {
        metadata["generateName"] = json!(format!("{name}-"));
    }
    Some(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": template.get("spec")?.clone(),
    }))
}

fn admission_request(uid: &str, pod: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": ADMISSION_V1,
        "kind": "AdmissionReview",
        "request": {"uid": uid, "namespace": "shop", "operation": "CREATE", "object": pod},
    }))
    .unwrap()
}

fn decode_patch(response: &Value) -> json_patch::Patch {
    let text = response["patch"].as_str().unwrap();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = alphabet.iter().position(|&a| a == c).unwrap() as u32;
        bits = (bits << 6) | v;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn patch_applied_equals_injection_on_reference_pods() {
    let Some(root) = reference() else { return };
    let injector = injector(&root.join("settings/default"));
    let cases = [
        "hello",
        "multi-container",
        "hello-probes",
        "prometheus-scrape",
        "statefulset",
        "cronjob",
        "job",
        "user-volume",
        "traffic-annotations",
        "native-sidecar",
        "hello-proxy-override",
    ];
    let mut injected_count = 0;
    for case in cases {
        let dir = root.join("inject").join(case);
        let text = std::fs::read_to_string(dir.join("input.yaml")).unwrap();
        let docs = mesh_core::from_yaml_stream(&text, case).unwrap();
        for (i, doc) in docs.iter().enumerate() {
            let Some(pod) = pod_from(doc) else { continue };
            let admission = review(&admission_request(case, &pod), &injector);
            let response = &admission.review["response"];
            assert_eq!(response["uid"], case);
            match &admission.outcome {
                Outcome::Injected { .. } => {}
                other => panic!("{case} document {i}: {other:?}"),
            }
            let mut prepared = pod.clone();
            prepare_pod(&mut prepared, "shop");
            let context = PodContext {
                namespace: Some("shop".into()),
                ..PodContext::default()
            };
            let expected = injector.inject_pod_in(&prepared, &context).unwrap();
            let patched = apply_patch(&pod, &decode_patch(response)).unwrap();
            let mut patched_prepared = patched.clone();
            prepare_pod(&mut patched_prepared, "shop");
            assert_eq!(patched_prepared, expected, "{case} document {i}");
            assert!(
                patched["spec"].to_string().contains("istio-proxy"),
                "{case}: no proxy in the patched pod"
            );
            injected_count += 1;
        }
    }
    assert!(injected_count >= cases.len());
}

fn reference_pod(root: &Path, case: &str) -> Value {
    let text = std::fs::read_to_string(root.join("inject").join(case).join("input.yaml")).unwrap();
    let docs = mesh_core::from_yaml_stream(&text, case).unwrap();
    pod_from(&docs[0]).unwrap()
}

fn assert_skipped(body: &[u8], injector: &Injector, what: &str) {
    let admission = review(body, injector);
    let response = &admission.review["response"];
    assert_eq!(response["allowed"], true, "{what}");
    assert!(response.get("patch").is_none(), "{what}");
    assert!(
        matches!(admission.outcome, Outcome::Skipped { .. }),
        "{what}: {:?}",
        admission.outcome
    );
}

#[test]
fn skipped_reference_pods_get_no_patch() {
    let Some(root) = reference() else { return };
    let injector = injector(&root.join("settings/default"));

    let host_network = reference_pod(&root, "hello-host-network");
    assert_skipped(
        &admission_request("1", &host_network),
        &injector,
        "host network",
    );

    let mut opted_out = reference_pod(&root, "hello");
    opted_out["metadata"]["labels"]["sidecar.istio.io/inject"] = json!("false");
    assert_skipped(
        &admission_request("2", &opted_out),
        &injector,
        "label false",
    );

    let plain = reference_pod(&root, "hello");
    let body = serde_json::to_vec(&json!({
        "apiVersion": ADMISSION_V1,
        "kind": "AdmissionReview",
        "request": {"uid": "3", "namespace": "kube-system", "object": plain},
    }))
    .unwrap();
    assert_skipped(&body, &injector, "kube-system");
}

#[test]
fn second_review_of_an_injected_pod_changes_nothing() {
    let Some(root) = reference() else { return };
    let injector = injector(&root.join("settings/default"));
    let pod = reference_pod(&root, "hello");
    let first = review(&admission_request("1", &pod), &injector);
    let injected = apply_patch(&pod, &decode_patch(&first.review["response"])).unwrap();
    let second = review(&admission_request("2", &injected), &injector);
    let patch = decode_patch(&second.review["response"]);
    assert_eq!(apply_patch(&injected, &patch).unwrap(), injected);
    assert!(patch.0.is_empty(), "re-injection patch: {patch:?}");
}
