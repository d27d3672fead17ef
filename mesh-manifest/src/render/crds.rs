//! The Istio CustomResourceDefinitions of the `base` chart: which render for given values, and how.
//!
//! The chart (Istio 1.30.3) renders its CRD file only when `global.resourceScope` is `all` or
//! `cluster`. With `base.enableCRDTemplates` on (the default) it drops the CRDs named in
//! `base.excludedCRDs` and replaces each CRD's labels with the chart's standard labels; with it
//! off it prints the file untouched. `base.enableIstioConfigCRDs` is read by istioctl only for
//! CRDs shipped in a chart's `crds/` folder, which the 1.30.3 `base` chart does not have, so it
//! changes nothing here.
//!
//! The CRDs come from mesh-api's definitions of Istio's API ([`CrdSource::Embedded`], printed
//! when mesh is built) or from an Istio release's `crd-all.gen.yaml` ([`CrdSource::File`]).

mod embedded;
mod labels;
mod release_file;

use mesh_core::{ComponentName, Value};
use serde_json::Map;

use super::common::{get, truthy};
use super::{CrdSource, RenderContext, RenderError};
use crate::{Object, SharedValue};
use labels::{chart_labels, set_labels};

/// `global.resourceScope` when the values do not set it (the chart's default).
const DEFAULT_RESOURCE_SCOPE: &str = "all";

/// The CustomResourceDefinitions the `base` chart renders for `base_values` (the chart's
/// effective values), in the order of the CRD source. Each object's component is `Base`.
pub fn render_crds(base_values: &Value, ctx: &RenderContext) -> Result<Vec<Object>, RenderError> {
    let settings = Settings::from_values(base_values)?;
    if !settings.in_scope {
        return Ok(Vec::new());
    }
    let labels = settings
        .templated
        .then(|| chart_labels(&ctx.istio_version, &settings.extra_labels));
    let crds: Vec<SharedValue> = match &ctx.crds {
        // Built when mesh is built (or once per process per label set) and shared.
        CrdSource::Embedded => match &labels {
            Some(labels) => embedded::embedded_labelled(labels),
            None => embedded::embedded(),
        },
        CrdSource::File { name, text } => release_file::parse(name, text)?
            .into_iter()
            .map(|mut crd| {
                if let Some(labels) = &labels {
                    set_labels(&mut crd, labels);
                }
                SharedValue::new(crd)
            })
            .collect(),
    };
    Ok(crds
        .into_iter()
        .filter(|crd| !settings.excludes(crd))
        .map(|crd| Object::shared(Some(ComponentName::Base), crd))
        .collect())
}

/// What the chart's CRD template reads from its values.
#[derive(Debug)]
struct Settings {
    /// `global.resourceScope` lets the chart render cluster-scoped objects.
    in_scope: bool,
    /// `base.enableCRDTemplates`: relabel and filter the CRDs rather than print the file as is.
    templated: bool,
    /// `base.excludedCRDs`: CRD names left out (templated mode only).
    excluded: Vec<String>,
    /// `labels`: extra labels the chart's label helper adds (except `app` and `istio`).
    extra_labels: Map<String, Value>,
}

impl Settings {
    fn from_values(values: &Value) -> Result<Self, RenderError> {
        Ok(Settings {
            in_scope: resource_scope_allows_crds(values)?,
            templated: match get(values, "base.enableCRDTemplates") {
                Value::Null => true,
                v => truthy(v),
            },
            excluded: excluded_crds(values)?,
            extra_labels: extra_labels(values),
        })
    }

    /// Whether `crd` is left out by `base.excludedCRDs`.
    fn excludes(&self, crd: &SharedValue) -> bool {
        let name = crd.lookup("/metadata/name").and_then(Value::as_str);
        self.templated && name.is_some_and(|n| self.excluded.iter().any(|e| e == n))
    }
}

fn resource_scope_allows_crds(values: &Value) -> Result<bool, RenderError> {
    match get(values, "global.resourceScope") {
        Value::Null => Ok(scope_renders_crds(DEFAULT_RESOURCE_SCOPE)),
        Value::String(scope) => Ok(scope_renders_crds(scope)),
        other => Err(bad_value("global.resourceScope", "a string", other)),
    }
}

/// CRDs are cluster-scoped: the chart renders them for the `all` and `cluster` scopes.
fn scope_renders_crds(scope: &str) -> bool {
    matches!(scope, "all" | "cluster")
}

fn excluded_crds(values: &Value) -> Result<Vec<String>, RenderError> {
    match get(values, "base.excludedCRDs") {
        Value::Null => Ok(Vec::new()),
        // Helm's `has` compares whole values, so entries that are not strings match nothing.
        Value::Array(names) => Ok(names
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()),
        other => Err(bad_value("base.excludedCRDs", "a list of CRD names", other)),
    }
}

fn extra_labels(values: &Value) -> Map<String, Value> {
    let Some(labels) = get(values, "labels").as_object() else {
        return Map::new();
    };
    labels
        .iter()
        .filter(|(key, _)| key.as_str() != "app" && key.as_str() != "istio")
        .map(|(key, value)| (key.clone(), Value::String(label_text(value))))
        .collect()
}

/// A label value as the chart's `quote` prints it.
fn label_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn bad_value(path: &str, expected: &str, got: &Value) -> RenderError {
    let mut got = got.to_string();
    if got.chars().count() > 60 {
        got = got.chars().take(57).chain("...".chars()).collect();
    }
    RenderError::BadValue {
        component: "base".to_string(),
        path: path.to_string(),
        expected: expected.to_string(),
        got,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(objects: &[Object]) -> Vec<&str> {
        objects.iter().map(Object::name).collect()
    }

    #[test]
    fn default_values_render_all_crds_with_chart_labels() {
        let crds = render_crds(&json!({}), &RenderContext::default()).unwrap();
        assert_eq!(crds.len(), 15);
        let first = &crds[0].value;
        assert_eq!(
            first["metadata"]["labels"],
            json!({
                "app.kubernetes.io/instance": "istio",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/part-of": "istio",
                "app.kubernetes.io/version": "1.30.3",
                "helm.sh/chart": "base-1.30.3",
            })
        );
        assert!(
            crds.iter()
                .all(|o| o.component == Some(ComponentName::Base))
        );
    }

    #[test]
    fn excluded_crds_only_apply_to_templates() {
        let values = json!({"base": {"excludedCRDs": ["gateways.networking.istio.io", 3]}});
        let crds = render_crds(&values, &RenderContext::default()).unwrap();
        assert_eq!(crds.len(), 14);
        assert!(!names(&crds).contains(&"gateways.networking.istio.io"));

        let values = json!({"base": {"enableCRDTemplates": false,
                                     "excludedCRDs": ["gateways.networking.istio.io"]}});
        let crds = render_crds(&values, &RenderContext::default()).unwrap();
        assert_eq!(crds.len(), 15);
        let ap = crds
            .iter()
            .find(|o| o.name() == "authorizationpolicies.security.istio.io")
            .unwrap();
        assert_eq!(ap.value["metadata"]["labels"]["istio"], json!("security"));
        assert_eq!(ap.value["metadata"]["labels"]["heritage"], json!("Tiller"));
    }

    #[test]
    fn resource_scope_and_extra_labels() {
        let ns = json!({"global": {"resourceScope": "namespace"}});
        assert!(
            render_crds(&ns, &RenderContext::default())
                .unwrap()
                .is_empty()
        );
        let cluster = json!({"global": {"resourceScope": "cluster"},
                             "labels": {"app": "x", "team": "mesh", "tier": 2}});
        let crds = render_crds(&cluster, &RenderContext::default()).unwrap();
        let labels = &crds[0].value["metadata"]["labels"];
        assert_eq!(labels["team"], json!("mesh"));
        assert_eq!(labels["tier"], json!("2"));
        assert!(labels.get("app").is_none());
    }

    #[test]
    fn istio_config_crds_flag_keeps_templated_crds() {
        // istioctl 1.30.3 applies base.enableIstioConfigCRDs=false only to a chart's crds/
        // folder; the base chart templates its CRDs, so all of them still render.
        let values = json!({"base": {"enableIstioConfigCRDs": false}});
        assert_eq!(
            render_crds(&values, &RenderContext::default())
                .unwrap()
                .len(),
            15
        );
    }

    #[test]
    fn bad_values_are_typed_errors() {
        let err = render_crds(
            &json!({"base": {"excludedCRDs": "x"}}),
            &RenderContext::default(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "base: values.base.excludedCRDs: expected a list of CRD names, got \"x\""
        );
    }

    #[test]
    fn file_source_is_relabelled_and_filtered() {
        let text = "metadata:\n  name: a.x.io\n  labels: {old: l}\nspec: {}\n---\nmetadata:\n  name: b.x.io\n";
        let ctx = RenderContext {
            crds: CrdSource::File {
                name: "crd.yaml".into(),
                text: text.into(),
            },
            ..RenderContext::default()
        };
        let values = json!({"base": {"excludedCRDs": ["b.x.io"]}});
        let crds = render_crds(&values, &ctx).unwrap();
        assert_eq!(names(&crds), ["a.x.io"]);
        assert_eq!(
            crds[0].value["metadata"]["labels"]["helm.sh/chart"],
            json!("base-1.30.3")
        );
        assert!(crds[0].value["metadata"]["labels"].get("old").is_none());
    }
}
