//! Admission control of the revision: the sidecar-injection MutatingWebhookConfiguration, the
//! per-revision ValidatingWebhookConfiguration, the stable-channel ValidatingAdmissionPolicy
//! and its binding, and the webhooks of each revision tag.

use mesh_core::{Value, obj};
use serde_json::json;

use super::chart::{Chart, RELEASE, annotate};
use crate::render::RenderError;
use crate::render::common::{ObjectMap, go_format};

/// The Istio API groups whose objects istiod validates.
const VALIDATED_GROUPS: [&str; 4] = [
    "security.istio.io",
    "networking.istio.io",
    "telemetry.istio.io",
    "extensions.istio.io",
];

/// Namespaces that automatic injection (`enableNamespacesByDefault`) never touches.
const NEVER_AUTO_INJECTED: [&str; 4] = [
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
];

/// All objects of this module that the values call for.
pub(super) fn render(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    let mut out = Vec::new();
    let hooks = Hooks::new(chart);
    if chart.cluster_scope() && !chart.on("global.operatorManageWebhooks") {
        out.push(injection_webhooks(chart, &hooks)?);
    }
    let config_side = !chart.remote() || chart.config_cluster() || chart.local_injector();
    if chart.cluster_scope() && chart.on("global.configValidation") && config_side {
        out.push(validating_webhooks(chart));
    }
    let policy_side = !chart.remote() || chart.local_injector();
    if chart.cluster_scope() && chart.on("experimental.stableValidationPolicy") && policy_side {
        let rev = chart.revision_or_default();
        let suffix = format!(
            "{}-{}.istio.io",
            chart.revisioned(""),
            chart.istio_namespace()
        );
        let policy = format!("stable-channel-policy{suffix}");
        let mut labels = chart.chart_labels();
        labels.insert("app.kubernetes.io/name".into(), "istiod".into());
        out.push(stable_policy(&policy, labels, Some(&rev)));
        out.push(stable_policy_binding(
            &format!("stable-channel-policy-binding{suffix}"),
            &policy,
        ));
    }
    out.extend(revision_tags(chart, &hooks)?);
    Ok(out)
}

/// What every injection webhook entry of this revision shares.
struct Hooks {
    /// `istiodRemote.injectionURL`: call this URL instead of the istiod Service.
    url: String,
    /// The istiod Service of the revision.
    service: String,
    /// The release namespace.
    namespace: String,
    /// `istiodRemote.injectionPath`.
    path: String,
    /// `istiodRemote.injectionCABundle`.
    ca_bundle: String,
    /// `sidecarInjectorWebhook.reinvocationPolicy`.
    reinvocation: String,
}

impl Hooks {
    fn new(chart: &Chart<'_>) -> Self {
        Hooks {
            url: chart.text("istiodRemote.injectionURL"),
            service: chart.revisioned("istiod"),
            namespace: chart.namespace.to_string(),
            path: chart.text("istiodRemote.injectionPath"),
            ca_bundle: chart.text("istiodRemote.injectionCABundle"),
            reinvocation: chart.text("sidecarInjectorWebhook.reinvocationPolicy"),
        }
    }

    /// One webhook entry named `<prefix>sidecar-injector.istio.io` with its selectors.
    fn entry(&self, prefix: &str, namespace_selector: Value, object_selector: Value) -> Value {
        let mut client = ObjectMap::new();
        if self.url.is_empty() {
            client.insert(
                "service".into(),
                obj! { "name" => self.service.as_str(), "namespace" => self.namespace.as_str(), "path" => self.path.as_str(), "port" => 443 },
            );
        } else {
            client.insert("url".into(), self.url.clone().into());
        }
        if !self.ca_bundle.is_empty() {
            client.insert("caBundle".into(), self.ca_bundle.clone().into());
        }
        obj! {
            "name" => format!("{prefix}sidecar-injector.istio.io"),
            "clientConfig" => client,
            "sideEffects" => "None",
            "rules" => json!([{
                "operations": ["CREATE"],
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "resources": ["pods"],
            }]),
            "failurePolicy" => "Fail",
            "reinvocationPolicy" => self.reinvocation.as_str(),
            "admissionReviewVersions" => json!(["v1"]),
            "namespaceSelector" => namespace_selector,
            "objectSelector" => object_selector,
        }
    }

    /// The two entries that select pods of revision (or tag) `rev`: by namespace label, or by
    /// pod label in an unlabeled namespace.
    fn revision_entries(&self, rev: &str) -> [Value; 2] {
        [
            self.entry(
                "rev.namespace.",
                selector(&[in_("istio.io/rev", &[rev]), absent("istio-injection")]),
                selector(&[not_in("sidecar.istio.io/inject", &["false"])]),
            ),
            self.entry(
                "rev.object.",
                selector(&[absent("istio.io/rev"), absent("istio-injection")]),
                selector(&[
                    not_in("sidecar.istio.io/inject", &["false"]),
                    in_("istio.io/rev", &[rev]),
                ]),
            ),
        ]
    }

    /// The entries only the default revision has: the legacy `istio-injection=enabled`
    /// namespace label, the `sidecar.istio.io/inject=true` pod label, and (with
    /// `enableNamespacesByDefault`) every other namespace.
    fn default_entries(&self, all_namespaces: bool) -> Vec<Value> {
        let mut out = vec![
            self.entry(
                "namespace.",
                selector(&[in_("istio-injection", &["enabled"])]),
                selector(&[not_in("sidecar.istio.io/inject", &["false"])]),
            ),
            self.entry(
                "object.",
                selector(&[absent("istio-injection"), absent("istio.io/rev")]),
                selector(&[
                    in_("sidecar.istio.io/inject", &["true"]),
                    absent("istio.io/rev"),
                ]),
            ),
        ];
        if all_namespaces {
            out.push(self.entry(
                "auto.",
                selector(&[
                    absent("istio-injection"),
                    absent("istio.io/rev"),
                    not_in("kubernetes.io/metadata.name", &NEVER_AUTO_INJECTED),
                ]),
                selector(&[absent("sidecar.istio.io/inject"), absent("istio.io/rev")]),
            ));
        }
        out
    }
}

/// `{matchExpressions: [...]}`.
fn selector(exprs: &[Value]) -> Value {
    obj! { "matchExpressions" => exprs }
}

/// `key In values`.
fn in_(key: &str, values: &[&str]) -> Value {
    obj! { "key" => key, "operator" => "In", "values" => values }
}

/// `key NotIn values`.
fn not_in(key: &str, values: &[&str]) -> Value {
    obj! { "key" => key, "operator" => "NotIn", "values" => values }
}

/// `key DoesNotExist`.
fn absent(key: &str) -> Value {
    obj! { "key" => key, "operator" => "DoesNotExist" }
}

/// `<base>`, with `-<release namespace>` appended outside `istio-system`.
fn cluster_unique(chart: &Chart<'_>, base: String) -> String {
    if chart.namespace == "istio-system" {
        base
    } else {
        format!("{base}-{}", chart.namespace)
    }
}

/// The injection MutatingWebhookConfiguration of the revision.
fn injection_webhooks(chart: &Chart<'_>, hooks: &Hooks) -> Result<Value, RenderError> {
    let name = cluster_unique(chart, chart.revisioned("istio-sidecar-injector"));
    let labels = chart.component_labels(&[("app", "sidecar-injector".into())]);
    let mut md = chart.metadata(&name, None, labels);
    annotate(chart, &mut md, "sidecarInjectorWebhookAnnotations")?;
    let mut webhooks: Vec<Value> = hooks.revision_entries(&chart.revision_or_default()).into();
    if chart.revision().is_empty() {
        webhooks.extend(
            hooks.default_entries(chart.on("sidecarInjectorWebhook.enableNamespacesByDefault")),
        );
    }
    Ok(obj! {
        "apiVersion" => "admissionregistration.k8s.io/v1",
        "kind" => "MutatingWebhookConfiguration",
        "metadata" => md,
        "webhooks" => webhooks,
    })
}

/// The validation webhook entry `rev.validation.istio.io` for objects labelled with `rev`.
fn validation_entry(chart: &Chart<'_>, rev: &str) -> Value {
    let mut client = ObjectMap::new();
    if chart.on("base.validationURL") {
        client.insert("url".into(), chart.printed("base.validationURL"));
    } else {
        client.insert(
            "service".into(),
            obj! {
                "name" => chart.revisioned("istiod"),
                "namespace" => chart.istio_namespace(),
                "path" => "/validate",
            },
        );
    }
    // A pinned CA bundle means istiod will not patch the webhook: it must fail closed from
    // the start. Otherwise it fails open until istiod has patched in its CA.
    let pinned = chart.on("base.validationCABundle");
    if pinned {
        client.insert(
            "caBundle".into(),
            chart.text("base.validationCABundle").into(),
        );
    }
    // A failure policy the user chose (base.validationFailurePolicy) applies when none is pinned.
    let failure_policy = if pinned {
        Value::from("Fail")
    } else if chart.on("base.validationFailurePolicy") {
        chart.printed("base.validationFailurePolicy")
    } else {
        Value::from("Ignore")
    };
    let mut groups: Vec<&str> = VALIDATED_GROUPS.to_vec();
    if chart.on("base.validateGateway") {
        groups.push("gateway.networking.k8s.io");
    }
    obj! {
        "name" => "rev.validation.istio.io",
        "clientConfig" => client,
        "rules" => json!([{
            "operations": ["CREATE", "UPDATE"],
            "apiGroups": groups,
            "apiVersions": ["*"],
            "resources": ["*"],
        }]),
        "failurePolicy" => failure_policy,
        "sideEffects" => "None",
        "admissionReviewVersions" => json!(["v1"]),
        "objectSelector" => selector(&[in_("istio.io/rev", &[rev])]),
    }
}

/// The labels of the validating webhook configurations.
fn validator_labels(chart: &Chart<'_>, extra: &[(&str, Value)]) -> ObjectMap {
    let mut labels = chart.labels(
        "istiod",
        &[
            ("app", "istiod".into()),
            ("release", RELEASE.into()),
            ("istio", "istiod".into()),
            ("istio.io/rev", chart.revision_or_default().into()),
        ],
    );
    for (k, v) in extra {
        labels.insert((*k).to_string(), v.clone());
    }
    labels
}

/// The revision's ValidatingWebhookConfiguration `istio-validator[-<rev>]-<istio namespace>`.
fn validating_webhooks(chart: &Chart<'_>) -> Value {
    let name = format!(
        "{}-{}",
        chart.revisioned("istio-validator"),
        chart.istio_namespace()
    );
    obj! {
        "apiVersion" => "admissionregistration.k8s.io/v1",
        "kind" => "ValidatingWebhookConfiguration",
        "metadata" => chart.metadata(&name, None, validator_labels(chart, &[])),
        "webhooks" => json!([validation_entry(chart, &chart.revision_or_default())]),
    }
}

/// The CEL rules of the stable channel: refuse kinds and fields that are not yet stable.
fn stable_validations() -> Value {
    let telemetry = [
        "!(",
        "  variables.isTelemetry && (",
        "    (has(object.spec.tracing) ? object.spec.tracing : {}).exists(t, has(t.useRequestIdForTraceSampling)) ||",
        "    (has(object.spec.metrics) ? object.spec.metrics : {}).exists(m, has(m.reportingInterval)) ||",
        "    (has(object.spec.accessLogging) ? object.spec.accessLogging : {}).exists(l, has(l.filter))",
        "  )",
        ")",
        "",
    ]
    .join("\n");
    let authorization = [
        "!(",
        "  variables.isAuthorizationPolicy &&",
        "  has(object.spec.rules) &&",
        "  object.spec.rules.exists(r,",
        "    has(r.from) && r.from.exists(f,",
        "      has(f.source) && (has(f.source.trustDomains) || has(f.source.notTrustDomains))",
        "    )",
        "  )",
        ")",
        "",
    ]
    .join("\n");
    json!([
        {"expression": "!variables.isEnvoyFilter"},
        {"expression": "!variables.isWasmPlugin"},
        {"expression": "!variables.isProxyConfig"},
        {"expression": telemetry},
        {"expression": authorization},
    ])
}

/// The CEL variables naming the kinds the stable-channel rules look at.
fn stable_variables() -> Value {
    let kinds = [
        ("isEnvoyFilter", "EnvoyFilter"),
        ("isWasmPlugin", "WasmPlugin"),
        ("isProxyConfig", "ProxyConfig"),
        ("isTelemetry", "Telemetry"),
        ("isAuthorizationPolicy", "AuthorizationPolicy"),
    ];
    Value::Array(
        kinds
            .iter()
            .map(|(name, kind)| obj! { "name" => *name, "expression" => format!("object.kind == '{kind}'") })
            .collect(),
    )
}

/// A stable-channel ValidatingAdmissionPolicy; `rev` restricts it to objects of one revision.
pub(crate) fn stable_policy(name: &str, labels: ObjectMap, rev: Option<&str>) -> Value {
    let mut constraints = obj! {
        "resourceRules" => json!([{
            "apiGroups": VALIDATED_GROUPS,
            "apiVersions": ["*"],
            "operations": ["CREATE", "UPDATE"],
            "resources": ["*"],
        }]),
    };
    if let Some(rev) = rev {
        constraints["objectSelector"] = selector(&[in_("istio.io/rev", &[rev])]);
    }
    obj! {
        "apiVersion" => "admissionregistration.k8s.io/v1",
        "kind" => "ValidatingAdmissionPolicy",
        "metadata" => json!({"name": name, "labels": labels}),
        "spec" => json!({
            "failurePolicy": "Fail",
            "matchConstraints": constraints,
            "variables": stable_variables(),
            "validations": stable_validations(),
        }),
    }
}

/// The binding that enforces a stable-channel policy (`Deny`).
pub(crate) fn stable_policy_binding(name: &str, policy: &str) -> Value {
    obj! {
        "apiVersion" => "admissionregistration.k8s.io/v1",
        "kind" => "ValidatingAdmissionPolicyBinding",
        "metadata" => json!({"name": name}),
        "spec" => json!({"policyName": policy, "validationActions": ["Deny"]}),
    }
}

/// For each of `revisionTags`: a MutatingWebhookConfiguration that injects pods labelled with
/// the tag (and, for the tag `default`, the default-revision selectors). Istio 1.30's charts
/// render no validating webhook per tag (the revision's own validator serves tagged objects).
fn revision_tags(chart: &Chart<'_>, hooks: &Hooks) -> Result<Vec<Value>, RenderError> {
    let mut out = Vec::new();
    for tag in chart.list("revisionTags")? {
        let tag = go_format(tag);
        let name = cluster_unique(chart, format!("istio-revision-tag-{tag}"));
        if chart.namespace_scope() && !chart.on("global.operatorManageWebhooks") {
            let labels = chart.component_labels(&[
                ("istio.io/tag", tag.clone().into()),
                ("app", "sidecar-injector".into()),
            ]);
            let mut md = chart.metadata(&name, None, labels);
            annotate(chart, &mut md, "sidecarInjectorWebhookAnnotations")?;
            let mut webhooks: Vec<Value> = hooks.revision_entries(&tag).into();
            if tag == "default" {
                webhooks.extend(
                    hooks.default_entries(
                        chart.on("sidecarInjectorWebhook.enableNamespacesByDefault"),
                    ),
                );
            }
            out.push(obj! {
                "apiVersion" => "admissionregistration.k8s.io/v1",
                "kind" => "MutatingWebhookConfiguration",
                "metadata" => md,
                "webhooks" => webhooks,
            });
        }
    }
    Ok(out)
}
