//! The admission handler: v1 and v1beta1 round trips, skips, failures, bad input, and the patch.

use mesh_inject::admission::{ADMISSION_V1, ADMISSION_V1BETA1, review};
use mesh_inject::{InjectConfig, Outcome, PodContext, PodInjector, apply_patch};
use serde_json::{Value, json};

/// A stand-in injector: appends an `istio-proxy` container and a status annotation, idempotently;
/// fails on pods carrying the label `test/fail`.
struct FakeInjector {
    config: InjectConfig,
}

impl PodInjector for FakeInjector {
    type Error = String;

    fn inject_config(&self) -> &InjectConfig {
        &self.config
    }

    fn inject_pod_in(&self, pod: &Value, _context: &PodContext) -> Result<Value, String> {
        if pod["metadata"]["labels"].get("test/fail").is_some() {
            return Err("template \"broken\" not found".into());
        }
        let mut out = pod.clone();
        let containers = out["spec"]["containers"]
            .as_array_mut()
            .ok_or("no containers")?;
        if !containers.iter().any(|c| c["name"] == "istio-proxy") {
            containers.push(json!({"name": "istio-proxy", "image": "proxyv2"}));
        }
        out["metadata"]["annotations"]["sidecar.istio.io/status"] =
            json!(format!("{{\"ns\":{}}}", pod["metadata"]["namespace"]));
        Ok(out)
    }
}

fn injector() -> FakeInjector {
    FakeInjector {
        config: InjectConfig::default(),
    }
}

fn pod(labels: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": "web-",
            "labels": labels,
            "managedFields": [{"manager": "kube-controller-manager"}],
        },
        "spec": {"containers": [{"name": "web", "image": "nginx"}]},
    })
}

fn request(api_version: &str, object: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": api_version,
        "kind": "AdmissionReview",
        "request": {
            "uid": "0b5f6a1e-1111-2222-3333-444455556666",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "shop",
            "operation": "CREATE",
            "object": object,
        }
    }))
    .unwrap()
}

fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let data: Vec<u8> = chunk.iter().copied().filter(|&c| c != b'=').collect();
        let mut n = 0u32;
        for (i, &c) in data.iter().enumerate() {
            n |= value(c) << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..data.len() - 1]);
    }
    out
}

fn patch_of(response: &Value) -> json_patch::Patch {
    let bytes = decode_base64(response["patch"].as_str().unwrap());
    serde_json::from_slice(&bytes).unwrap()
}

fn round_trip(api_version: &str) {
    let original = pod(json!({"app": "web"}));
    let admission = review(&request(api_version, original.clone()), &injector());
    let out = &admission.review;
    assert_eq!(out["apiVersion"], api_version);
    assert_eq!(out["kind"], "AdmissionReview");
    let response = &out["response"];
    assert_eq!(response["uid"], "0b5f6a1e-1111-2222-3333-444455556666");
    assert_eq!(response["allowed"], true);
    assert_eq!(response["patchType"], "JSONPatch");
    assert!(matches!(admission.outcome, Outcome::Injected { operations } if operations > 0));

    // Applied to the object the API server holds, the patch gives the injected pod.
    let patched = apply_patch(&original, &patch_of(response)).unwrap();
    let containers = patched["spec"]["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 2);
    assert_eq!(containers[1]["name"], "istio-proxy");
    // The injector saw the request's namespace; the patch itself does not add it.
    assert_eq!(
        patched["metadata"]["annotations"]["sidecar.istio.io/status"],
        "{\"ns\":\"shop\"}"
    );
    assert!(patched["metadata"].get("namespace").is_none());
    // managedFields were dropped before injection, and the patch leaves them alone.
    assert_eq!(
        patched["metadata"]["managedFields"],
        original["metadata"]["managedFields"]
    );

    let bytes = admission.to_bytes();
    let reparsed: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(&reparsed, out);
}

#[test]
fn v1_round_trip() {
    round_trip(ADMISSION_V1);
}

#[test]
fn v1beta1_round_trip() {
    round_trip(ADMISSION_V1BETA1);
}

#[test]
fn patch_applied_equals_injection() {
    let mut original = pod(json!({"app": "web"}));
    original["metadata"]["namespace"] = json!("shop");
    original["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("managedFields");
    let admission = review(&request(ADMISSION_V1, original.clone()), &injector());
    let expected = injector()
        .inject_pod_in(&original, &PodContext::default())
        .unwrap();
    let patched = apply_patch(&original, &patch_of(&admission.review["response"])).unwrap();
    assert_eq!(patched, expected);
}

#[test]
fn re_review_of_an_injected_pod_is_an_empty_patch() {
    let mut original = pod(json!({}));
    original["metadata"]["namespace"] = json!("shop");
    let injected = injector()
        .inject_pod_in(&original, &PodContext::default())
        .unwrap();
    let admission = review(&request(ADMISSION_V1, injected), &injector());
    assert!(matches!(
        admission.outcome,
        Outcome::Injected { operations: 0 }
    ));
    assert!(patch_of(&admission.review["response"]).0.is_empty());
}

#[test]
fn skipped_pod_is_allowed_without_patch() {
    let admission = review(
        &request(
            ADMISSION_V1,
            pod(json!({"sidecar.istio.io/inject": "false"})),
        ),
        &injector(),
    );
    let response = &admission.review["response"];
    assert_eq!(response["allowed"], true);
    assert!(response.get("patch").is_none());
    assert!(response.get("patchType").is_none());
    assert!(
        matches!(admission.outcome, Outcome::Skipped { ref reason } if reason.contains("refuses"))
    );
}

#[test]
fn system_namespace_from_request_is_skipped() {
    let body = serde_json::to_vec(&json!({
        "apiVersion": ADMISSION_V1,
        "kind": "AdmissionReview",
        "request": {"uid": "u1", "namespace": "kube-system", "object": pod(json!({}))},
    }))
    .unwrap();
    let admission = review(&body, &injector());
    assert!(
        matches!(admission.outcome, Outcome::Skipped { ref reason } if reason.contains("kube-system"))
    );
}

#[test]
fn injection_failure_is_denied_with_the_message() {
    let admission = review(
        &request(ADMISSION_V1BETA1, pod(json!({"test/fail": "1"}))),
        &injector(),
    );
    let out = &admission.review;
    assert_eq!(out["apiVersion"], ADMISSION_V1BETA1);
    assert_eq!(out["response"]["allowed"], false);
    assert_eq!(
        out["response"]["uid"],
        "0b5f6a1e-1111-2222-3333-444455556666"
    );
    let message = out["response"]["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("template \"broken\" not found"),
        "{message}"
    );
}

#[test]
fn bad_input_is_denied_never_a_panic() {
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{not json".to_vec(),
        b"[]".to_vec(),
        b"null".to_vec(),
        br#"{"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":{}}"#.to_vec(),
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{}}"#.to_vec(),
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#.to_vec(),
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"}}"#.to_vec(),
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":{"metadata":{"labels":{"a":1}}}}}"#.to_vec(),
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":{"metadata":[]}}}"#.to_vec(),
        vec![0xff, 0xfe, 0x00],
    ];
    for body in bodies {
        let admission = review(&body, &injector());
        let out = &admission.review;
        assert_eq!(out["kind"], "AdmissionReview");
        assert_eq!(
            out["response"]["allowed"],
            false,
            "{}",
            String::from_utf8_lossy(&body)
        );
        assert!(
            out["response"]["status"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert!(matches!(admission.outcome, Outcome::Failed { .. }));
    }
    let admission = review(b"{not json", &injector());
    assert_eq!(admission.review["apiVersion"], ADMISSION_V1);
    let bad_label = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","object":{"metadata":{"labels":{"a":1}}}}}"#;
    let admission = review(bad_label, &injector());
    assert_eq!(admission.review["response"]["uid"], "u");
    let msg = admission.review["response"]["status"]["message"]
        .as_str()
        .unwrap();
    assert!(msg.contains("metadata.labels.a"), "{msg}");
}
