//! The injector's own rules (host network, system namespaces, label/annotation, never/always
//! selectors, policy) and the combined decision with its reasons.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use mesh_inject::policy::{
    Labels, PodFacts, PolicyError, PolicyInput, Rule, WebhookSettings, decide, injector_decision,
};
use mesh_inject::{InjectConfig, InjectionPolicy};
use serde_json::{Value, json};

fn pod(namespace: &str, labels: Value, annotations: Value, host_network: bool) -> PodFacts {
    PodFacts::from_pod(&json!({
        "metadata": {"name": "p", "namespace": namespace, "labels": labels, "annotations": annotations},
        "spec": {"hostNetwork": host_network, "containers": [{"name": "app", "image": "app"}]},
    }))
    .unwrap()
}

fn labelled(labels: Value) -> PodFacts {
    pod("apps", labels, json!({}), false)
}

fn annotated(annotations: Value) -> PodFacts {
    pod("apps", json!({}), annotations, false)
}

fn match_labels(k: &str, v: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some([(k.to_string(), v.to_string())].into()),
        match_expressions: None,
    }
}

fn config(
    policy: InjectionPolicy,
    never: Vec<LabelSelector>,
    always: Vec<LabelSelector>,
) -> InjectConfig {
    InjectConfig {
        policy,
        never_inject_selector: never,
        always_inject_selector: always,
        ..InjectConfig::default()
    }
}

fn enabled() -> InjectConfig {
    config(InjectionPolicy::Enabled, vec![], vec![])
}

fn disabled() -> InjectConfig {
    config(InjectionPolicy::Disabled, vec![], vec![])
}

#[test]
fn host_network_is_never_injected() {
    let p = pod(
        "apps",
        json!({"sidecar.istio.io/inject": "true"}),
        json!({}),
        true,
    );
    let d = injector_decision(&enabled(), &p);
    assert!(!d.inject);
    assert_eq!(d.rule, Rule::HostNetwork);
}

#[test]
fn system_namespaces_are_never_injected() {
    for ns in [
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "local-path-storage",
    ] {
        let p = pod(
            ns,
            json!({"sidecar.istio.io/inject": "true"}),
            json!({}),
            false,
        );
        let d = injector_decision(&enabled(), &p);
        assert!(!d.inject, "{ns}");
        assert_eq!(d.rule, Rule::SystemNamespace);
        assert!(d.reason.contains(ns));
    }
    let d = injector_decision(
        &enabled(),
        &pod("istio-system", json!({}), json!({}), false),
    );
    assert!(
        d.inject,
        "istio-system is not a Kubernetes system namespace"
    );
}

#[test]
fn label_values_follow_yaml_booleans() {
    for yes in ["true", "TRUE", "y", "Yes", "on"] {
        let d = injector_decision(
            &disabled(),
            &labelled(json!({"sidecar.istio.io/inject": yes})),
        );
        assert!(d.inject, "{yes}");
        assert_eq!(d.rule, Rule::PodLabel);
    }
    for no in ["false", "no", "off", "n", "maybe", "1"] {
        let d = injector_decision(
            &enabled(),
            &labelled(json!({"sidecar.istio.io/inject": no})),
        );
        assert!(!d.inject, "{no}");
        assert_eq!(d.rule, Rule::PodLabel);
        assert!(d.reason.contains("refuses"));
    }
}

#[test]
fn deprecated_annotation_is_read_when_no_label() {
    let d = injector_decision(
        &disabled(),
        &annotated(json!({"sidecar.istio.io/inject": "true"})),
    );
    assert!(d.inject);
    assert_eq!(d.rule, Rule::PodAnnotation);
    assert!(d.reason.contains("deprecated"));
    let d = injector_decision(
        &enabled(),
        &annotated(json!({"sidecar.istio.io/inject": "false"})),
    );
    assert!(!d.inject);
}

#[test]
fn label_wins_over_annotation() {
    let p = pod(
        "apps",
        json!({"sidecar.istio.io/inject": "false"}),
        json!({"sidecar.istio.io/inject": "true"}),
        false,
    );
    let d = injector_decision(&enabled(), &p);
    assert!(!d.inject);
    assert_eq!(d.rule, Rule::PodLabel);
}

#[test]
fn empty_label_hides_the_annotation_and_falls_back_to_policy() {
    let p = pod(
        "apps",
        json!({"sidecar.istio.io/inject": ""}),
        json!({"sidecar.istio.io/inject": "true"}),
        false,
    );
    let d = injector_decision(&disabled(), &p);
    assert!(!d.inject);
    assert_eq!(d.rule, Rule::Policy);
    assert_eq!(d.warnings.len(), 1);
}

#[test]
fn never_selector_refuses_and_wins_over_always() {
    let never = vec![match_labels("team", "batch")];
    let always = vec![match_labels("team", "batch")];
    let cfg = config(InjectionPolicy::Enabled, never, always);
    let d = injector_decision(&cfg, &labelled(json!({"team": "batch"})));
    assert!(!d.inject);
    assert_eq!(d.rule, Rule::NeverInjectSelector);
    assert!(d.reason.contains("neverInjectSelector[0] (team=batch)"));
    let d = injector_decision(&cfg, &labelled(json!({"team": "web"})));
    assert_eq!(d.rule, Rule::Policy);
}

#[test]
fn always_selector_injects_under_disabled_policy() {
    let cfg = config(
        InjectionPolicy::Disabled,
        vec![],
        vec![match_labels("x", "1"), match_labels("app", "web")],
    );
    let d = injector_decision(&cfg, &labelled(json!({"app": "web"})));
    assert!(d.inject);
    assert_eq!(d.rule, Rule::AlwaysInjectSelector);
    assert!(d.reason.contains("alwaysInjectSelector[1]"));
}

#[test]
fn explicit_label_wins_over_selectors() {
    let cfg = config(
        InjectionPolicy::Enabled,
        vec![match_labels("app", "web")],
        vec![],
    );
    let d = injector_decision(
        &cfg,
        &labelled(json!({"app": "web", "sidecar.istio.io/inject": "true"})),
    );
    assert!(d.inject);
    assert_eq!(d.rule, Rule::PodLabel);
}

#[test]
fn empty_and_invalid_selectors_are_skipped() {
    let bad = LabelSelector {
        match_labels: None,
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: "app".into(),
            operator: "Sometimes".into(),
            values: None,
        }]),
    };
    let cfg = config(
        InjectionPolicy::Enabled,
        vec![LabelSelector::default(), bad],
        vec![],
    );
    let d = injector_decision(&cfg, &labelled(json!({"app": "web"})));
    assert!(d.inject, "an empty never selector must not match every pod");
    assert_eq!(d.rule, Rule::Policy);
    assert_eq!(d.warnings.len(), 1);
    assert!(d.warnings[0].contains("neverInjectSelector[1] ignored"));
}

#[test]
fn policy_decides_when_nothing_else_does() {
    assert!(injector_decision(&enabled(), &labelled(json!({}))).inject);
    let d = injector_decision(&disabled(), &labelled(json!({})));
    assert!(!d.inject);
    assert_eq!(d.rule, Rule::Policy);
}

#[test]
fn pod_facts_reject_non_string_labels_and_name_the_path() {
    let err =
        PodFacts::from_pod(&json!({"metadata": {"labels": {"sidecar.istio.io/inject": true}}}))
            .unwrap_err();
    assert_eq!(
        err,
        PolicyError::NotAString {
            path: "metadata.labels.sidecar.istio.io/inject".into()
        }
    );
    assert!(PodFacts::from_pod(&json!({"spec": {"hostNetwork": "yes"}})).is_err());
    assert!(PodFacts::from_pod(&json!([])).is_err());
    let facts = PodFacts::from_pod(&json!({"metadata": {"generateName": "web-"}})).unwrap();
    assert_eq!(facts.name, "web-***");
}

fn decide_for(
    ns_labels: &[(&str, &str)],
    facts: &PodFacts,
    cfg: &InjectConfig,
) -> mesh_inject::policy::Decision {
    let ns: Labels = ns_labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    decide(
        facts,
        PolicyInput {
            config: cfg,
            webhooks: &WebhookSettings::default(),
            namespace_labels: &ns,
        },
    )
}

#[test]
fn decision_needs_both_stages() {
    let facts = labelled(json!({}));
    let d = decide_for(&[("istio-injection", "enabled")], &facts, &enabled());
    assert!(d.inject);
    assert_eq!(d.webhook.matched, ["namespace.sidecar-injector.istio.io"]);
    assert_eq!(d.reasons.last().unwrap(), "verdict: injected");
    assert_eq!(d.namespace_labels["kubernetes.io/metadata.name"], "apps");

    // No entry matches: the injector is never called, whatever it would say.
    let d = decide_for(&[], &facts, &enabled());
    assert!(!d.inject);
    assert!(d.injector.inject);
    assert!(
        d.reasons
            .iter()
            .any(|r| r.starts_with("injector (not called)"))
    );
    assert!(
        d.reasons
            .last()
            .unwrap()
            .contains("no webhook entry of revision default matches")
    );

    // The webhook calls the injector, which refuses.
    let d = decide_for(&[("istio-injection", "enabled")], &facts, &disabled());
    assert!(!d.inject);
    assert!(d.reasons.last().unwrap().contains("policy is disabled"));
}

#[test]
fn decision_serialises_to_json() {
    let facts = pod(
        "kube-system",
        json!({"sidecar.istio.io/inject": "true"}),
        json!({}),
        false,
    );
    let d = decide_for(&[], &facts, &enabled());
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["inject"], false);
    assert_eq!(v["pod"], "kube-system/p");
    assert_eq!(v["injector"]["rule"], "system-namespace");
    assert_eq!(
        v["webhook"]["entries"][0]["name"],
        "rev.namespace.sidecar-injector.istio.io"
    );
    assert!(v["webhook"]["entries"][0]["namespaceSelector"]["selector"].is_string());
    assert!(v["reasons"].as_array().unwrap().len() >= 3);
}
