//! The webhook selector matrix: namespace labels × pod labels × revision × enableNamespacesByDefault.

use mesh_inject::policy::{Labels, WebhookSettings, webhook_decision};

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn settings(revision: &str, by_default: bool) -> WebhookSettings {
    WebhookSettings {
        revision: revision.to_string(),
        enable_namespaces_by_default: by_default,
    }
}

/// Istio's documented precedence, written independently of the entry data: the namespace's
/// `istio-injection` label wins, then its `istio.io/rev`, then (unlabelled namespace) the pod's
/// `istio.io/rev`, then the pod's `sidecar.istio.io/inject=true`, then auto-injection.
fn expected_entry(
    ns: &Labels,
    pod: &Labels,
    revision: &str,
    by_default: bool,
) -> Option<&'static str> {
    let rev = if revision.is_empty() {
        "default"
    } else {
        revision
    };
    let is_default = rev == "default";
    let pod_inject = pod.get("sidecar.istio.io/inject").map(String::as_str);
    let pod_opted_out = pod_inject == Some("false");
    if let Some(inj) = ns.get("istio-injection") {
        return (inj == "enabled" && is_default && !pod_opted_out).then_some("namespace.");
    }
    if let Some(ns_rev) = ns.get("istio.io/rev") {
        return (ns_rev == rev && !pod_opted_out).then_some("rev.namespace.");
    }
    if let Some(pod_rev) = pod.get("istio.io/rev") {
        return (pod_rev == rev && !pod_opted_out).then_some("rev.object.");
    }
    match pod_inject {
        Some("true") => is_default.then_some("object."),
        None => {
            let system = [
                "kube-system",
                "kube-public",
                "kube-node-lease",
                "local-path-storage",
            ];
            let ns_name = ns.get("kubernetes.io/metadata.name").map(String::as_str);
            let system_ns = ns_name.is_some_and(|n| system.contains(&n));
            (is_default && by_default && !system_ns).then_some("auto.")
        }
        Some(_) => None,
    }
}

#[test]
fn full_matrix_matches_the_documented_precedence() {
    let namespaces: Vec<Labels> = vec![
        labels(&[]),
        labels(&[("istio-injection", "enabled")]),
        labels(&[("istio-injection", "disabled")]),
        labels(&[("istio.io/rev", "default")]),
        labels(&[("istio.io/rev", "canary")]),
        labels(&[("istio-injection", "enabled"), ("istio.io/rev", "canary")]),
        labels(&[("istio-injection", "disabled"), ("istio.io/rev", "default")]),
        labels(&[("kubernetes.io/metadata.name", "kube-system")]),
        labels(&[("kubernetes.io/metadata.name", "apps")]),
    ];
    let pods: Vec<Labels> = vec![
        labels(&[]),
        labels(&[("app", "web")]),
        labels(&[("sidecar.istio.io/inject", "true")]),
        labels(&[("sidecar.istio.io/inject", "false")]),
        labels(&[("sidecar.istio.io/inject", "maybe")]),
        labels(&[("istio.io/rev", "default")]),
        labels(&[("istio.io/rev", "canary")]),
        labels(&[
            ("sidecar.istio.io/inject", "true"),
            ("istio.io/rev", "canary"),
        ]),
        labels(&[
            ("sidecar.istio.io/inject", "false"),
            ("istio.io/rev", "default"),
        ]),
    ];
    let mut checked = 0;
    for revision in ["", "canary"] {
        for by_default in [false, true] {
            let s = settings(revision, by_default);
            for ns in &namespaces {
                for pod in &pods {
                    let d = webhook_decision(&s, ns, pod);
                    let want = expected_entry(ns, pod, revision, by_default)
                        .map(|p| format!("{p}sidecar-injector.istio.io"));
                    let got: Vec<String> = d.matched.clone();
                    assert_eq!(
                        got,
                        want.into_iter().collect::<Vec<_>>(),
                        "revision {revision:?} byDefault {by_default} ns {ns:?} pod {pod:?}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 2 * 2 * 9 * 9);
}

#[test]
fn entry_sets_per_revision() {
    let names =
        |s: &WebhookSettings| -> Vec<String> { s.entries().into_iter().map(|e| e.name).collect() };
    assert_eq!(
        names(&settings("", false)),
        [
            "rev.namespace.sidecar-injector.istio.io",
            "rev.object.sidecar-injector.istio.io",
            "namespace.sidecar-injector.istio.io",
            "object.sidecar-injector.istio.io"
        ]
    );
    assert_eq!(names(&settings("", true)).len(), 5);
    assert_eq!(names(&settings("default", true)).len(), 5);
    assert_eq!(
        names(&settings("canary", true)),
        [
            "rev.namespace.sidecar-injector.istio.io",
            "rev.object.sidecar-injector.istio.io"
        ]
    );
}

/// The entries equal the selectors of the rendered charts in the reference corpus.
#[test]
fn entries_equal_the_reference_webhook_configurations() {
    let Some(root) = mesh_test_support::reference_path("manifest") else {
        return;
    };
    let root = root.display();
    let cases = [
        ("profile-default", settings("", false)),
        ("revision-canary", settings("canary", false)),
        ("enable-ns-by-default", settings("", true)),
    ];
    for (case, s) in cases {
        let text = std::fs::read_to_string(format!("{root}/{case}/expected.yaml")).unwrap();
        let docs = mesh_core::from_yaml_stream(&text, case).unwrap();
        let mwc = docs
            .iter()
            .find(|d| d["kind"] == "MutatingWebhookConfiguration")
            .unwrap();
        let reference: Vec<serde_json::Value> = mwc["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                serde_json::json!({
                    "name": w["name"],
                    "namespaceSelector": w["namespaceSelector"],
                    "objectSelector": w["objectSelector"],
                })
            })
            .collect();
        let ours = serde_json::to_value(s.entries()).unwrap();
        assert_eq!(ours, serde_json::Value::Array(reference), "case {case}");
    }
}

#[test]
fn unmatched_entries_say_which_label_is_wrong() {
    let d = webhook_decision(
        &settings("", false),
        &labels(&[("istio-injection", "disabled")]),
        &labels(&[("sidecar.istio.io/inject", "true")]),
    );
    assert!(d.matched.is_empty());
    let object = d
        .entries
        .iter()
        .find(|e| e.name == "object.sidecar-injector.istio.io")
        .unwrap();
    assert!(object.object_selector.matched);
    assert_eq!(
        object.namespace_selector.unmet.as_deref(),
        Some("needs !istio-injection, found istio-injection=disabled")
    );
    assert!(
        object
            .summary()
            .contains("namespace needs !istio-injection")
    );
    assert!(
        d.hints
            .iter()
            .any(|h| h.contains("istio-injection=disabled"))
    );
}

#[test]
fn hints_point_at_other_revisions_and_precedence() {
    let d = webhook_decision(
        &settings("", false),
        &labels(&[("istio.io/rev", "canary")]),
        &labels(&[]),
    );
    assert!(d.matched.is_empty());
    assert!(
        d.hints
            .iter()
            .any(|h| h.contains("selects revision canary, not default"))
    );

    let d = webhook_decision(
        &settings("canary", false),
        &labels(&[("istio-injection", "enabled"), ("istio.io/rev", "canary")]),
        &labels(&[]),
    );
    assert!(d.matched.is_empty());
    assert!(d.hints.iter().any(|h| h.contains("takes precedence")));
}
