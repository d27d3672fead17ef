//! The base chart's objects other than CRDs (those are [`super::crds`]'s): the
//! `istio-reader-service-account`, and for a default revision (`defaultRevision`) the
//! `istiod-default-validator` webhook plus, on the stable channel, its ValidatingAdmissionPolicy.

use mesh_core::obj;
use mesh_core::{ComponentName, Value};
use mesh_profiles::ComponentValues;
use serde_json::json;

use super::common::{
    ObjectMap, chart_labels, dig_default_true, get, go_format, list_at, printed, truthy,
};
use super::pilot::webhooks::{stable_policy, stable_policy_binding};
use super::{RenderContext, RenderError};
use crate::Object;

/// The chart name in the `helm.sh/chart` label.
const CHART: &str = "base";

/// The component name used in error messages.
const COMPONENT: &str = "Base";

/// Renders the base chart's non-CRD objects from its effective values.
pub fn render_base(cv: &ComponentValues, ctx: &RenderContext) -> Result<Vec<Object>, RenderError> {
    let base = Base {
        values: &cv.values,
        version: &ctx.istio_version,
    };
    let mut out = Vec::new();
    if base.namespace_scope() && dig_default_true(base.values, "global.enableReaderRBAC") {
        out.push(base.reader_service_account()?);
    }
    if base.cluster_scope() && !base.default_revision().is_empty() {
        out.push(base.default_validator());
        if truthy(base.get("experimental.stableValidationPolicy")) {
            out.push(base.default_policy());
            out.push(stable_policy_binding(
                "stable-channel-default-policy-binding.istio.io",
                "stable-channel-default-policy.istio.io",
            ));
        }
    }
    Ok(out
        .into_iter()
        .map(|v| Object::new(Some(ComponentName::Base), v))
        .collect())
}

/// The base chart's values and the release facts.
struct Base<'a> {
    values: &'a Value,
    version: &'a str,
}

impl Base<'_> {
    fn get(&self, path: &str) -> &Value {
        get(self.values, path)
    }

    fn text(&self, path: &str) -> String {
        go_format(self.get(path))
    }

    /// `global.resourceScope`, `all` when missing.
    fn scope(&self) -> String {
        match self.text("global.resourceScope") {
            s if s.is_empty() => "all".to_string(),
            s => s,
        }
    }

    fn cluster_scope(&self) -> bool {
        matches!(self.scope().as_str(), "all" | "cluster")
    }

    fn namespace_scope(&self) -> bool {
        matches!(self.scope().as_str(), "all" | "namespace")
    }

    /// `defaultRevision`: the revision whose webhook validates unlabelled objects.
    fn default_revision(&self) -> String {
        self.text("defaultRevision")
    }

    /// Chart labels plus the given pairs.
    fn labels(&self, pairs: &[(&str, Value)]) -> ObjectMap {
        let mut labels = chart_labels(CHART, self.version);
        for (k, v) in pairs {
            labels.insert((*k).to_string(), v.clone());
        }
        labels
    }

    /// The ServiceAccount remote secrets use to read this cluster.
    fn reader_service_account(&self) -> Result<Value, RenderError> {
        let labels = self.labels(&[
            ("app", "istio-reader".into()),
            ("release", "istio".into()),
            ("app.kubernetes.io/name", "istio-reader".into()),
        ]);
        let mut sa = obj! {
            "apiVersion" => "v1",
            "kind" => "ServiceAccount",
            "metadata" => json!({
                "name": "istio-reader-service-account",
                "namespace": self.text("global.istioNamespace"),
                "labels": labels,
            }),
        };
        let secrets: Vec<Value> = list_at(self.values, "global.imagePullSecrets", COMPONENT)?
            .iter()
            .map(|s| obj! { "name" => go_format(s) })
            .collect();
        if !secrets.is_empty() {
            sa["imagePullSecrets"] = Value::Array(secrets);
        }
        Ok(sa)
    }

    /// The labels of the default-revision admission objects.
    fn default_labels(&self) -> ObjectMap {
        self.labels(&[
            ("app", "istiod".into()),
            ("release", "istio".into()),
            ("istio", "istiod".into()),
            ("istio.io/rev", self.default_revision().into()),
            ("app.kubernetes.io/name", "istiod".into()),
        ])
    }

    /// `istiod-default-validator`: validates objects without a revision label through the
    /// default revision's istiod.
    fn default_validator(&self) -> Value {
        let rev = self.default_revision();
        let mut client = ObjectMap::new();
        if truthy(self.get("base.validationURL")) {
            client.insert("url".into(), printed(self.get("base.validationURL")));
        } else {
            let service = if rev == "default" {
                "istiod".to_string()
            } else {
                format!("istiod-{rev}")
            };
            client.insert(
                "service".into(),
                obj! {
                    "name" => service,
                    "namespace" => self.text("global.istioNamespace"),
                    "path" => "/validate",
                },
            );
        }
        let pinned = truthy(self.get("base.validationCABundle"));
        if pinned {
            client.insert(
                "caBundle".into(),
                self.text("base.validationCABundle").into(),
            );
        }
        obj! {
            "apiVersion" => "admissionregistration.k8s.io/v1",
            "kind" => "ValidatingWebhookConfiguration",
            "metadata" => json!({"name": "istiod-default-validator", "labels": self.default_labels()}),
            "webhooks" => json!([{
                "name": "validation.istio.io",
                "clientConfig": client,
                "rules": [{
                    "operations": ["CREATE", "UPDATE"],
                    "apiGroups": [
                        "security.istio.io",
                        "networking.istio.io",
                        "telemetry.istio.io",
                        "extensions.istio.io",
                    ],
                    "apiVersions": ["*"],
                    "resources": ["*"],
                }],
                // With a pinned CA bundle istiod does not patch the webhook, so it must fail
                // closed from the start; otherwise it fails open until istiod is ready.
                "failurePolicy": if pinned { "Fail" } else { "Ignore" },
                "sideEffects": "None",
                "admissionReviewVersions": ["v1"],
            }]),
        }
    }

    /// The stable-channel policy for objects of every revision.
    fn default_policy(&self) -> Value {
        let mut labels = self.default_labels();
        labels.remove("app");
        stable_policy("stable-channel-default-policy.istio.io", labels, None)
    }
}
