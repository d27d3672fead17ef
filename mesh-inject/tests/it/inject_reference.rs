//! Data-driven check against the Istio 1.30.3 inject corpus in `shared/reference/inject`:
//! every case runs through `Injector::kube_inject` and is compared the way the conformance
//! scorer compares (JSON-valued annotations and env parsed, `creationTimestamp: null` ignored).
//! Skips cleanly when the corpus is not there.

use crate::support::{case_injector as injector, corpus, read};
use mesh_core::Value;

/// Cases mesh is known not to pass, with the reason.
const KNOWN_FAILURES: &[(&str, &str)] = &[];

/// Replaces JSON text in annotations and env values by the parsed JSON, drops
/// `creationTimestamp: null`.
fn canonical(v: &mut Value, in_annotations: bool) {
    match v {
        Value::Object(m) => {
            if m.get("creationTimestamp").is_some_and(Value::is_null) {
                m.remove("creationTimestamp");
            }
            let is_env_entry = m.contains_key("name") && m.contains_key("value");
            for (k, child) in m.iter_mut() {
                let parse = in_annotations || (is_env_entry && k == "value");
                if parse && let Value::String(s) = child {
                    let t = s.trim();
                    if (t.starts_with('{') || t.starts_with('['))
                        && let Ok(parsed) = serde_json::from_str::<Value>(t)
                    {
                        *child = parsed;
                        continue;
                    }
                }
                canonical(child, k == "annotations");
            }
        }
        Value::Array(items) => {
            for item in items {
                canonical(item, false);
            }
        }
        _ => {}
    }
}

fn docs(text: &str) -> Vec<Value> {
    let mut out = mesh_core::from_yaml_stream(text, "docs").unwrap();
    for d in &mut out {
        canonical(d, false);
    }
    out
}

#[test]
fn reference_inject_cases() {
    let Some(dir) = corpus() else { return };
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.yaml").is_file())
        .collect();
    names.sort();
    let mut failures = Vec::new();
    let mut passed = 0;
    for case_dir in names {
        let name = case_dir.file_name().unwrap().to_string_lossy().to_string();
        let case = mesh_core::from_yaml_str(&read(&case_dir.join("case.yaml")), "case").unwrap();
        if case["cli_expressible"] == Value::Bool(false) {
            continue;
        }
        let known = KNOWN_FAILURES.iter().find(|(n, _)| *n == name);
        let inj = injector(&case_dir, &case);
        let result = inj.kube_inject(&read(&case_dir.join("input.yaml")), "input.yaml");
        if let Some(expected_error) = case["expect_error"].as_str() {
            match result {
                Err(e) if e.to_string().to_lowercase().contains(expected_error) => passed += 1,
                other => failures.push(format!(
                    "{name}: expected error {expected_error:?}, got {other:?}"
                )),
            }
            continue;
        }
        let ok = match &result {
            Ok(out) => docs(&out.to_yaml()) == docs(&read(&case_dir.join("expected.yaml"))),
            Err(_) => false,
        };
        match (ok, known) {
            (true, None) => passed += 1,
            (true, Some(_)) => {
                failures.push(format!("{name}: passes but is listed as a known failure"))
            }
            (false, Some((_, why))) => eprintln!("known failure {name}: {why}"),
            (false, None) => failures.push(match result {
                Ok(_) => format!("{name}: output differs from expected.yaml"),
                Err(e) => format!("{name}: {e}"),
            }),
        }
    }
    eprintln!("{passed} reference cases passed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Re-injects every expected output: the result must be the same pod. `merge-probers` starts
/// from a pod injected by an older Istio, so its expected output is only reached after one more
/// injection; from there on it must be stable too.
#[test]
fn reinjecting_reference_outputs_is_idempotent() {
    let Some(dir) = corpus() else { return };
    let mut bad = Vec::new();
    let mut checked = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let case_dir = e.unwrap().path();
        let name = case_dir.file_name().unwrap().to_string_lossy().to_string();
        let skip = KNOWN_FAILURES.iter().any(|(n, _)| *n == name) || name.contains("openshift");
        if skip || !case_dir.join("expected.yaml").is_file() {
            continue;
        }
        let case = mesh_core::from_yaml_str(&read(&case_dir.join("case.yaml")), "case").unwrap();
        let inj = injector(&case_dir, &case);
        let mut start = read(&case_dir.join("expected.yaml"));
        if name == "merge-probers" {
            start = inj.kube_inject(&start, "expected.yaml").unwrap().to_yaml();
        }
        match inj.kube_inject(&start, "expected.yaml") {
            Ok(again) if docs(&again.to_yaml()) == docs(&start) => checked += 1,
            Ok(_) => bad.push(name),
            Err(e) => bad.push(format!("{name}: {e}")),
        }
    }
    bad.sort();
    assert!(bad.is_empty(), "not idempotent: {bad:#?}");
    assert!(checked > 0);
}

/// The OpenShift cases need the pod's namespace (its UID/GID ranges), which the kube-inject CLI
/// cannot pass; the library takes it through `PodContext`. Compared like Istio's webhook test:
/// the pod template without the status annotation.
#[test]
fn openshift_cases_through_the_library() {
    let Some(dir) = corpus() else { return };
    let mut checked = 0;
    for name in ["hello-openshift", "hello-openshift-custom-injection"] {
        let case_dir = dir.join(name);
        if !case_dir.is_dir() {
            continue;
        }
        let case = mesh_core::from_yaml_str(&read(&case_dir.join("case.yaml")), "case").unwrap();
        let ns_annotations = case["namespace"]["annotations"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        let context = mesh_inject::PodContext {
            namespace_annotations: Some(ns_annotations),
            openshift: true,
            ..Default::default()
        };
        let inj = injector(&case_dir, &case);
        let out = inj
            .kube_inject_in(&read(&case_dir.join("input.yaml")), "input.yaml", &context)
            .unwrap();
        let template = |docs: Vec<Value>| {
            let mut t = docs[0]["spec"]["template"].clone();
            if let Some(a) = t["metadata"]["annotations"].as_object_mut() {
                a.remove("sidecar.istio.io/status");
            }
            t
        };
        assert_eq!(
            template(docs(&out.to_yaml())),
            template(docs(&read(&case_dir.join("expected.yaml")))),
            "{name}"
        );
        checked += 1;
    }
    assert_eq!(checked, 2);
}
