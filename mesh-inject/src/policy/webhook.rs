//! The injection webhook entries of the MutatingWebhookConfiguration, as data, and which of them a pod hits.

use super::selector::{Labels, Selector};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use serde::{Deserialize, Serialize};

/// Namespace label that turns injection on or off for the default revision.
pub const INJECTION_LABEL: &str = "istio-injection";
/// Namespace or pod label that picks a control-plane revision.
pub const REVISION_LABEL: &str = "istio.io/rev";
/// Pod label (and deprecated annotation) that opts a pod in or out.
pub const SIDECAR_INJECT: &str = "sidecar.istio.io/inject";
/// Label Kubernetes puts on every namespace, holding its name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";
/// The name the default revision answers to in `istio.io/rev`.
pub const DEFAULT_REVISION: &str = "default";
/// Namespaces the auto-injection entry and the injector leave alone.
pub const IGNORED_NAMESPACES: [&str; 4] = [
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
];
/// Suffix shared by every injection webhook entry name.
const ENTRY_SUFFIX: &str = "sidecar-injector.istio.io";

/// What shapes the webhook entries: the control plane's revision and `enableNamespacesByDefault`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebhookSettings {
    /// The control-plane revision; empty (or `default`) is the default revision.
    pub revision: String,
    /// `values.sidecarInjectorWebhook.enableNamespacesByDefault`: inject namespaces without any label.
    pub enable_namespaces_by_default: bool,
}

impl WebhookSettings {
    /// True when this is the default revision (no revision name, or `default`).
    pub fn is_default_revision(&self) -> bool {
        self.revision.is_empty() || self.revision == DEFAULT_REVISION
    }

    /// The revision's name as `istio.io/rev` labels carry it (`default` for the default revision).
    pub fn revision_label_value(&self) -> &str {
        if self.revision.is_empty() {
            DEFAULT_REVISION
        } else {
            &self.revision
        }
    }

    /// The webhook entries the chart installs for these settings, in the chart's order.
    ///
    /// Every revision gets the `rev.namespace.` and `rev.object.` entries; only the default revision
    /// also answers to `istio-injection=enabled` and a bare `sidecar.istio.io/inject=true` label, and,
    /// with `enableNamespacesByDefault`, to unlabelled namespaces (`auto.`).
    pub fn entries(&self) -> Vec<WebhookEntry> {
        let rev = self.revision_label_value();
        let mut entries = vec![
            // The namespace picks this revision; istio-injection, when present, wins over it.
            WebhookEntry::new(
                "rev.namespace.",
                vec![in_(REVISION_LABEL, &[rev]), absent(INJECTION_LABEL)],
                vec![not_in(SIDECAR_INJECT, &["false"])],
            ),
            // An unlabelled namespace, and the pod picks this revision itself.
            WebhookEntry::new(
                "rev.object.",
                vec![absent(REVISION_LABEL), absent(INJECTION_LABEL)],
                vec![
                    not_in(SIDECAR_INJECT, &["false"]),
                    in_(REVISION_LABEL, &[rev]),
                ],
            ),
        ];
        if !self.is_default_revision() {
            return entries;
        }
        entries.push(WebhookEntry::new(
            "namespace.",
            vec![in_(INJECTION_LABEL, &["enabled"])],
            vec![not_in(SIDECAR_INJECT, &["false"])],
        ));
        entries.push(WebhookEntry::new(
            "object.",
            vec![absent(INJECTION_LABEL), absent(REVISION_LABEL)],
            vec![in_(SIDECAR_INJECT, &["true"]), absent(REVISION_LABEL)],
        ));
        if self.enable_namespaces_by_default {
            entries.push(WebhookEntry::new(
                "auto.",
                vec![
                    absent(INJECTION_LABEL),
                    absent(REVISION_LABEL),
                    not_in(NAMESPACE_NAME_LABEL, &IGNORED_NAMESPACES),
                ],
                vec![absent(SIDECAR_INJECT), absent(REVISION_LABEL)],
            ));
        }
        entries
    }
}

/// One entry of the MutatingWebhookConfiguration: its name and its two selectors.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEntry {
    /// Entry name, e.g. `namespace.sidecar-injector.istio.io`.
    pub name: String,
    /// Selector over the labels of the pod's namespace.
    pub namespace_selector: LabelSelector,
    /// Selector over the pod's own labels.
    pub object_selector: LabelSelector,
}

impl WebhookEntry {
    fn new(
        prefix: &str,
        namespace: Vec<LabelSelectorRequirement>,
        object: Vec<LabelSelectorRequirement>,
    ) -> Self {
        WebhookEntry {
            name: format!("{prefix}{ENTRY_SUFFIX}"),
            namespace_selector: expressions(namespace),
            object_selector: expressions(object),
        }
    }

    /// Evaluates both selectors, as the API server does before calling the webhook.
    pub fn check(&self, namespace_labels: &Labels, pod_labels: &Labels) -> EntryCheck {
        let namespace = SelectorCheck::run(&self.namespace_selector, namespace_labels);
        let object = SelectorCheck::run(&self.object_selector, pod_labels);
        EntryCheck {
            name: self.name.clone(),
            matched: namespace.matched && object.matched,
            namespace_selector: namespace,
            object_selector: object,
        }
    }
}

/// The outcome of one selector against one label set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelectorCheck {
    /// The selector in `kubectl -l` notation.
    pub selector: String,
    /// Whether the labels satisfy it.
    pub matched: bool,
    /// Why not: the first unmet requirement and what was found, or why the selector is invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmet: Option<String>,
}

impl SelectorCheck {
    fn run(selector: &LabelSelector, labels: &Labels) -> SelectorCheck {
        match Selector::from_label_selector(selector) {
            Ok(sel) => SelectorCheck {
                selector: sel.to_string(),
                matched: sel.matches(labels),
                unmet: sel.first_unmet(labels).map(|r| r.explain_unmet(labels)),
            },
            // The API server refuses such a webhook configuration; treat it as never matching.
            Err(e) => SelectorCheck {
                selector: "(invalid)".to_string(),
                matched: false,
                unmet: Some(format!("invalid selector: {e}")),
            },
        }
    }
}

/// Whether one webhook entry matches a pod, with both selector outcomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntryCheck {
    /// Entry name.
    pub name: String,
    /// True when both selectors match: the API server calls the injector for this entry.
    pub matched: bool,
    /// The namespace selector's outcome.
    pub namespace_selector: SelectorCheck,
    /// The object selector's outcome.
    pub object_selector: SelectorCheck,
}

impl EntryCheck {
    /// One line: why the entry matches or the first selector that fails.
    pub fn summary(&self) -> String {
        let ns = &self.namespace_selector;
        let obj = &self.object_selector;
        if self.matched {
            return format!(
                "{} matches: namespace {{{}}}, pod {{{}}}",
                self.name, ns.selector, obj.selector
            );
        }
        let (what, check) = if ns.matched {
            ("pod", obj)
        } else {
            ("namespace", ns)
        };
        format!(
            "{} does not match: {what} {}",
            self.name,
            check.unmet.as_deref().unwrap_or("does not match")
        )
    }
}

fn expressions(reqs: Vec<LabelSelectorRequirement>) -> LabelSelector {
    LabelSelector {
        match_expressions: Some(reqs),
        match_labels: None,
    }
}

fn requirement(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
    LabelSelectorRequirement {
        key: key.to_string(),
        operator: operator.to_string(),
        values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
    }
}

fn in_(key: &str, values: &[&str]) -> LabelSelectorRequirement {
    requirement(key, "In", values)
}

fn not_in(key: &str, values: &[&str]) -> LabelSelectorRequirement {
    requirement(key, "NotIn", values)
}

fn absent(key: &str) -> LabelSelectorRequirement {
    requirement(key, "DoesNotExist", &[])
}
