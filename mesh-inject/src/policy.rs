//! Who gets injected and why: the webhook entries' selectors, then the injector's own rules.
//!
//! A pod is injected when the API server calls the injector (some webhook entry's namespace and
//! object selectors both match) and the injector then decides to inject (host network, system
//! namespaces, the `sidecar.istio.io/inject` label or annotation, the never/always selectors, the
//! policy). [`decide`] runs both stages and keeps the reasons.

mod selector;
mod webhook;

pub use selector::{Labels, Operator, Requirement, Selector, SelectorError};
pub use webhook::{
    DEFAULT_REVISION, EntryCheck, IGNORED_NAMESPACES, INJECTION_LABEL, NAMESPACE_NAME_LABEL,
    REVISION_LABEL, SIDECAR_INJECT, SelectorCheck, WebhookEntry, WebhookSettings,
};

use crate::config::{InjectConfig, InjectionPolicy};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Serialize;
use serde_json::Value;

/// A pod whose metadata or spec cannot be read for the policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The pod, its `metadata` or its `spec` is not a map.
    #[error("{path}: expected a map")]
    NotAMap {
        /// Path inside the pod, e.g. `metadata`.
        path: String,
    },
    /// A label, an annotation, the name or the namespace is not a string.
    #[error("{path}: expected a string")]
    NotAString {
        /// Path inside the pod, e.g. `metadata.labels.app`.
        path: String,
    },
    /// `spec.hostNetwork` is not a boolean.
    #[error("{path}: expected a boolean")]
    NotABool {
        /// Path inside the pod.
        path: String,
    },
}

/// What the policy reads from a pod.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodFacts {
    /// Name, or `generateName` followed by `***` when the name is not known yet.
    pub name: String,
    /// The pod's namespace (may be empty when neither the pod nor the caller names one).
    pub namespace: String,
    /// `metadata.labels`.
    pub labels: Labels,
    /// `metadata.annotations`.
    pub annotations: Labels,
    /// `spec.hostNetwork`.
    pub host_network: bool,
}

impl PodFacts {
    /// Reads the facts from a pod (or any object with pod-shaped `metadata` and `spec`).
    pub fn from_pod(pod: &Value) -> Result<PodFacts, PolicyError> {
        let pod = as_map(pod, "")?;
        let empty = serde_json::Map::new();
        let metadata = match pod.get("metadata") {
            None | Some(Value::Null) => &empty,
            Some(v) => as_map(v, "metadata")?,
        };
        let spec = match pod.get("spec") {
            None | Some(Value::Null) => &empty,
            Some(v) => as_map(v, "spec")?,
        };
        let name = opt_string(metadata, "name", "metadata.name")?;
        let generate_name = opt_string(metadata, "generateName", "metadata.generateName")?;
        let name = match (name, generate_name) {
            (Some(n), _) if !n.is_empty() => n,
            (_, Some(g)) if !g.is_empty() => format!("{g}***"),
            _ => String::new(),
        };
        let host_network = match spec.get("hostNetwork") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(PolicyError::NotABool {
                    path: "spec.hostNetwork".into(),
                });
            }
        };
        Ok(PodFacts {
            name,
            namespace: opt_string(metadata, "namespace", "metadata.namespace")?.unwrap_or_default(),
            labels: string_map(metadata.get("labels"), "metadata.labels")?,
            annotations: string_map(metadata.get("annotations"), "metadata.annotations")?,
            host_network,
        })
    }

    /// `namespace/name` for messages.
    pub fn display_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

fn as_map<'a>(v: &'a Value, path: &str) -> Result<&'a serde_json::Map<String, Value>, PolicyError> {
    v.as_object().ok_or_else(|| PolicyError::NotAMap {
        path: if path.is_empty() {
            "(pod)".into()
        } else {
            path.into()
        },
    })
}

fn opt_string(
    map: &serde_json::Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<String>, PolicyError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(PolicyError::NotAString { path: path.into() }),
    }
}

fn string_map(v: Option<&Value>, path: &str) -> Result<Labels, PolicyError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Labels::new());
    };
    as_map(v, path)?
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            _ => Err(PolicyError::NotAString {
                path: format!("{path}.{k}"),
            }),
        })
        .collect()
}

/// The rule of the injector that settled the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// `spec.hostNetwork: true`: never injected.
    HostNetwork,
    /// A Kubernetes system namespace: never injected.
    SystemNamespace,
    /// The `sidecar.istio.io/inject` pod label.
    PodLabel,
    /// The deprecated `sidecar.istio.io/inject` pod annotation.
    PodAnnotation,
    /// An entry of `neverInjectSelector` matched the pod labels.
    NeverInjectSelector,
    /// An entry of `alwaysInjectSelector` matched the pod labels.
    AlwaysInjectSelector,
    /// Nothing on the pod decided: the configured policy did.
    Policy,
}

/// The injector's own decision (Istio's `injectRequired`), once the webhook has called it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InjectorDecision {
    /// Whether the injector injects.
    pub inject: bool,
    /// The rule that decided.
    pub rule: Rule,
    /// Why, in words.
    pub reason: String,
    /// Things the injector ignored on the way (invalid selectors, a label hiding the annotation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl InjectorDecision {
    fn new(inject: bool, rule: Rule, reason: String, warnings: Vec<String>) -> Self {
        InjectorDecision {
            inject,
            rule,
            reason,
            warnings,
        }
    }
}

/// Decides like the injector does once called: host network, system namespaces, the
/// `sidecar.istio.io/inject` label then annotation, `neverInjectSelector`, `alwaysInjectSelector`,
/// then the policy.
pub fn injector_decision(config: &InjectConfig, pod: &PodFacts) -> InjectorDecision {
    let mut warnings = Vec::new();
    // iptables in a host-network pod would rewrite the node's routing, so such pods are left alone.
    if pod.host_network {
        let reason = "the pod uses host networking (spec.hostNetwork: true)".to_string();
        return InjectorDecision::new(false, Rule::HostNetwork, reason, warnings);
    }
    if IGNORED_NAMESPACES.contains(&pod.namespace.as_str()) {
        let reason = format!(
            "namespace {} is a Kubernetes system namespace",
            pod.namespace
        );
        return InjectorDecision::new(false, Rule::SystemNamespace, reason, warnings);
    }
    if let Some((rule, source, value)) = explicit_choice(pod, &mut warnings) {
        let inject = is_yes(value);
        let verdict = if inject { "asks for" } else { "refuses" };
        let reason = format!("{source} {SIDECAR_INJECT}={value} {verdict} injection");
        return InjectorDecision::new(inject, rule, reason, warnings);
    }
    if let Some(hit) = first_matching(
        "neverInjectSelector",
        &config.never_inject_selector,
        pod,
        &mut warnings,
    ) {
        let reason = format!("pod labels match {hit}");
        return InjectorDecision::new(false, Rule::NeverInjectSelector, reason, warnings);
    }
    if let Some(hit) = first_matching(
        "alwaysInjectSelector",
        &config.always_inject_selector,
        pod,
        &mut warnings,
    ) {
        let reason = format!("pod labels match {hit}");
        return InjectorDecision::new(true, Rule::AlwaysInjectSelector, reason, warnings);
    }
    let (inject, reason) = match config.policy {
        InjectionPolicy::Enabled => (true, "policy is enabled and nothing on the pod opts out"),
        InjectionPolicy::Disabled => (false, "policy is disabled and nothing on the pod opts in"),
    };
    InjectorDecision::new(inject, Rule::Policy, reason.to_string(), warnings)
}

/// The explicit opt-in/opt-out: the label wins over the annotation whenever it is present, even
/// empty; an empty value means "no choice".
fn explicit_choice<'a>(
    pod: &'a PodFacts,
    warnings: &mut Vec<String>,
) -> Option<(Rule, &'static str, &'a str)> {
    let annotation = pod.annotations.get(SIDECAR_INJECT);
    let (rule, source, value) = match pod.labels.get(SIDECAR_INJECT) {
        Some(label) => {
            if label.is_empty() && annotation.is_some_and(|a| !a.is_empty()) {
                warnings.push(format!(
                    "the empty pod label {SIDECAR_INJECT} hides the pod annotation of the same name"
                ));
            }
            (Rule::PodLabel, "pod label", label)
        }
        None => (
            Rule::PodAnnotation,
            "pod annotation (deprecated, use the label)",
            annotation?,
        ),
    };
    (!value.is_empty()).then_some((rule, source, value.as_str()))
}

/// The YAML 1.1 spellings of "true" the injector accepts, in any case; every other value refuses.
fn is_yes(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "y" | "yes" | "true" | "on"
    )
}

/// The first non-empty, valid selector of the list that matches the pod labels, as `list[i] (selector)`.
fn first_matching(
    list_name: &str,
    selectors: &[LabelSelector],
    pod: &PodFacts,
    warnings: &mut Vec<String>,
) -> Option<String> {
    selectors
        .iter()
        .enumerate()
        .find_map(|(i, s)| match Selector::from_label_selector(s) {
            Err(e) => {
                warnings.push(format!("{list_name}[{i}] ignored: {e}"));
                None
            }
            // An empty selector would match every pod; the injector skips it instead.
            Ok(sel) if sel.is_empty() => None,
            Ok(sel) => sel
                .matches(&pod.labels)
                .then(|| format!("{list_name}[{i}] ({sel})")),
        })
}

/// The webhook stage: which entries of one revision's configuration the API server would call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDecision {
    /// The revision whose entries were checked (`default` for the default revision).
    pub revision: String,
    /// Names of the entries that match (normally at most one).
    pub matched: Vec<String>,
    /// Every entry with its selector outcomes.
    pub entries: Vec<EntryCheck>,
    /// Why the webhook is or is not called, in words.
    pub reason: String,
    /// Hints about labels that point elsewhere (another revision, an opt-out).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

/// Checks one revision's webhook entries against the namespace and pod labels.
pub fn webhook_decision(
    settings: &WebhookSettings,
    namespace_labels: &Labels,
    pod_labels: &Labels,
) -> WebhookDecision {
    let entries: Vec<EntryCheck> = settings
        .entries()
        .iter()
        .map(|e| e.check(namespace_labels, pod_labels))
        .collect();
    let matched: Vec<String> = entries
        .iter()
        .filter(|e| e.matched)
        .map(|e| e.name.clone())
        .collect();
    let revision = settings.revision_label_value().to_string();
    let reason = match matched.as_slice() {
        [] => format!("no webhook entry of revision {revision} matches"),
        [one] => format!("webhook entry {one} matches"),
        many => format!(
            "{} webhook entries match ({}); the injector is called for each",
            many.len(),
            many.join(", ")
        ),
    };
    WebhookDecision {
        hints: label_hints(&revision, namespace_labels, pod_labels),
        revision,
        matched,
        entries,
        reason,
    }
}

/// Explains labels that send the pod elsewhere or opt it out, whatever the entries say.
fn label_hints(revision: &str, namespace_labels: &Labels, pod_labels: &Labels) -> Vec<String> {
    let mut hints = Vec::new();
    let ns_injection = namespace_labels.get(INJECTION_LABEL);
    let ns_rev = namespace_labels.get(REVISION_LABEL);
    if let (Some(inj), Some(rev)) = (ns_injection, ns_rev) {
        hints.push(format!(
            "namespace has both {INJECTION_LABEL}={inj} and {REVISION_LABEL}={rev}: {INJECTION_LABEL} takes precedence"
        ));
    }
    if let Some(inj) = ns_injection.filter(|v| v.as_str() != "enabled") {
        hints.push(format!(
            "namespace label {INJECTION_LABEL}={inj} turns namespace-wide injection off"
        ));
    }
    if let (None, Some(rev)) = (ns_injection, ns_rev.filter(|r| r.as_str() != revision)) {
        hints.push(format!(
            "namespace label {REVISION_LABEL}={rev} selects revision {rev}, not {revision}"
        ));
    }
    if let Some(rev) = pod_labels
        .get(REVISION_LABEL)
        .filter(|r| r.as_str() != revision)
    {
        hints.push(format!(
            "pod label {REVISION_LABEL}={rev} selects revision {rev}, not {revision}"
        ));
    }
    if pod_labels.get(SIDECAR_INJECT).is_some_and(|v| v == "false") {
        hints.push(format!("pod label {SIDECAR_INJECT}=false opts the pod out"));
    }
    hints
}

/// Everything [`decide`] needs besides the pod.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    /// The injector configuration (policy, never/always selectors).
    pub config: &'a InjectConfig,
    /// Revision and `enableNamespacesByDefault`, which shape the webhook entries.
    pub webhooks: &'a WebhookSettings,
    /// Labels of the pod's namespace. `kubernetes.io/metadata.name` is added when missing, as the
    /// API server does for every namespace.
    pub namespace_labels: &'a Labels,
}

/// The full answer: is the pod injected, and why (webhook stage, then injector stage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// True when a webhook entry matches and the injector injects.
    pub inject: bool,
    /// The pod as `namespace/name`.
    pub pod: String,
    /// The namespace the decision was made for.
    pub namespace: String,
    /// The namespace labels the selectors saw.
    pub namespace_labels: Labels,
    /// The webhook stage.
    pub webhook: WebhookDecision,
    /// The injector stage (what it would decide if called).
    pub injector: InjectorDecision,
    /// The reason chain, from the webhook stage to the verdict.
    pub reasons: Vec<String>,
}

/// Runs both stages for a pod and keeps the reasons.
pub fn decide(pod: &PodFacts, input: PolicyInput<'_>) -> Decision {
    let mut namespace_labels = input.namespace_labels.clone();
    if !pod.namespace.is_empty() {
        namespace_labels
            .entry(NAMESPACE_NAME_LABEL.to_string())
            .or_insert_with(|| pod.namespace.clone());
    }
    let webhook = webhook_decision(input.webhooks, &namespace_labels, &pod.labels);
    let injector = injector_decision(input.config, pod);
    let called = !webhook.matched.is_empty();
    let inject = called && injector.inject;

    let mut reasons = vec![webhook.reason.clone()];
    if called {
        reasons.extend(
            webhook
                .entries
                .iter()
                .filter(|e| e.matched)
                .map(EntryCheck::summary),
        );
    } else {
        reasons.extend(webhook.entries.iter().map(EntryCheck::summary));
        reasons.extend(webhook.hints.iter().cloned());
    }
    let stage = if called {
        "injector"
    } else {
        "injector (not called)"
    };
    reasons.push(format!("{stage}: {}", injector.reason));
    reasons.extend(injector.warnings.iter().map(|w| format!("warning: {w}")));
    reasons.push(match (called, injector.inject) {
        (true, true) => "verdict: injected".to_string(),
        (true, false) => format!("verdict: not injected: {}", injector.reason),
        (false, _) => format!("verdict: not injected: {}", webhook.reason),
    });
    Decision {
        inject,
        pod: pod.display_name(),
        namespace: pod.namespace.clone(),
        namespace_labels,
        webhook,
        injector,
        reasons,
    }
}
