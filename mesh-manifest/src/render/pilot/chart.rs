//! The istiod chart's view of its values: names, labels and the switches the templates share.

use mesh_core::{Value, obj};
use serde_json::json;

use crate::render::RenderContext;
use crate::render::RenderError;
use crate::render::common::{
    ObjectMap, bad_value, chart_labels, get, go_format, list_at, map_at, printed, truthy,
};

/// The component name used in error messages.
pub(crate) const COMPONENT: &str = "Pilot";

/// The chart name as it appears in the `helm.sh/chart` label.
const CHART: &str = "istiod";

/// The release name istioctl renders every chart with.
pub(crate) use crate::render::common::RELEASE;

/// The effective values of one istiod chart rendering plus the release facts.
pub(crate) struct Chart<'a> {
    /// The chart's `.Values`.
    pub values: &'a Value,
    /// The values istioctl passed (`.Values._original`).
    pub original: &'a Value,
    /// `.Release.Namespace`.
    pub namespace: &'a str,
    /// The Istio version, for the chart labels.
    pub version: &'a str,
    /// The Kubernetes version rendered for.
    pub kube_version: (u32, u32),
}

impl<'a> Chart<'a> {
    /// Binds the values and release facts of one rendering.
    pub fn new(
        values: &'a Value,
        original: &'a Value,
        namespace: &'a str,
        ctx: &'a RenderContext,
    ) -> Self {
        Chart {
            values,
            original,
            namespace,
            version: &ctx.istio_version,
            kube_version: ctx.kube_version,
        }
    }

    /// The value at a dotted path (`null` when missing).
    pub fn get(&self, path: &str) -> &'a Value {
        get(self.values, path)
    }

    /// Go template truthiness of the value at `path`.
    pub fn on(&self, path: &str) -> bool {
        truthy(self.get(path))
    }

    /// `{{ .Values.<path> }}` as printed text.
    pub fn text(&self, path: &str) -> String {
        go_format(self.get(path))
    }

    /// `{{ .Values.<path> }}` printed unquoted into YAML and read back.
    pub fn printed(&self, path: &str) -> Value {
        printed(self.get(path))
    }

    /// The list at `path` (empty when missing), or an error naming the path.
    pub fn list(&self, path: &str) -> Result<&'a [Value], RenderError> {
        list_at(self.values, path, COMPONENT)
    }

    /// The map at `path` (`None` when missing), or an error naming the path.
    pub fn map(&self, path: &str) -> Result<Option<&'a ObjectMap>, RenderError> {
        map_at(self.values, path, COMPONENT)
    }

    /// The map at `path` when it is a non-empty map (Helm's `{{ if }}` around a `toYaml`).
    pub fn nonempty_map(&self, path: &str) -> Result<Option<&'a ObjectMap>, RenderError> {
        Ok(self.map(path)?.filter(|m| !m.is_empty()))
    }

    /// A typed error for the value at `path`.
    pub fn bad(&self, path: &str, expected: &str) -> RenderError {
        bad_value(COMPONENT, path, expected, self.get(path))
    }

    /// `.Values.revision` as text, empty for the default revision.
    pub fn revision(&self) -> String {
        self.text("revision")
    }

    /// `.Values.revision | default "default"`.
    pub fn revision_or_default(&self) -> String {
        match self.revision() {
            r if r.is_empty() => "default".to_string(),
            r => r,
        }
    }

    /// `base` with `-<revision>` appended for a non-default revision (`istiod-canary`).
    pub fn revisioned(&self, base: &str) -> String {
        match self.revision() {
            r if r.is_empty() => base.to_string(),
            r => format!("{base}-{r}"),
        }
    }

    /// `.Values.global.istioNamespace` as text.
    pub fn istio_namespace(&self) -> String {
        self.text("global.istioNamespace")
    }

    /// `.Values.ownerName | default "unknown"`, printed unquoted.
    pub fn owner(&self) -> Value {
        if self.on("ownerName") {
            self.printed("ownerName")
        } else {
            json!("unknown")
        }
    }

    /// Whether istiod runs in another cluster (`istiodRemote.enabled`).
    pub fn remote(&self) -> bool {
        self.on("istiodRemote.enabled")
    }

    /// Whether a remote cluster still runs a local istiod for injection.
    pub fn local_injector(&self) -> bool {
        self.on("istiodRemote.enabledLocalInjectorIstiod")
    }

    /// Whether this cluster holds the configuration (`global.configCluster`).
    pub fn config_cluster(&self) -> bool {
        self.on("global.configCluster")
    }

    /// `global.resourceScope`; a missing value counts as `all` (the chart default).
    fn scope(&self) -> String {
        match self.text("global.resourceScope") {
            s if s.is_empty() => "all".to_string(),
            s => s,
        }
    }

    /// Whether cluster-scoped objects are rendered (`resourceScope` `all` or `cluster`).
    pub fn cluster_scope(&self) -> bool {
        matches!(self.scope().as_str(), "all" | "cluster")
    }

    /// Whether namespaced objects are rendered (`resourceScope` `all` or `namespace`).
    pub fn namespace_scope(&self) -> bool {
        matches!(self.scope().as_str(), "all" | "namespace")
    }

    /// The labels `istio.labels` adds to every object of the chart.
    pub fn chart_labels(&self) -> ObjectMap {
        chart_labels(CHART, self.version)
    }

    /// Chart labels plus `app.kubernetes.io/name` and the given fixed pairs.
    pub fn labels(&self, name: &str, pairs: &[(&str, Value)]) -> ObjectMap {
        let mut labels = self.chart_labels();
        labels.insert("app.kubernetes.io/name".into(), name.into());
        for (k, v) in pairs {
            labels.insert((*k).to_string(), v.clone());
        }
        labels
    }

    /// The labels of the objects istioctl tracks as the Pilot component: revision, owner and
    /// component, release, name and chart labels, plus `pairs`.
    pub fn component_labels(&self, pairs: &[(&str, Value)]) -> ObjectMap {
        let mut labels = self.labels(
            "istiod",
            &[
                ("istio.io/rev", self.revision_or_default().into()),
                ("install.operator.istio.io/owning-resource", self.owner()),
                ("operator.istio.io/component", "Pilot".into()),
                ("release", RELEASE.into()),
            ],
        );
        for (k, v) in pairs {
            labels.insert((*k).to_string(), v.clone());
        }
        labels
    }

    /// The label selecting this revision's istiod pods: `istio: pilot` for the default
    /// revision, `istio.io/rev: <rev>` otherwise (both with `app: istiod`).
    pub fn pod_selector(&self) -> Value {
        match self.revision() {
            r if r.is_empty() => obj! { "app" => "istiod", "istio" => "pilot" },
            r => obj! { "app" => "istiod", "istio.io/rev" => r },
        }
    }

    /// `metadata` with a name, an optional namespace and labels.
    pub fn metadata(&self, name: &str, namespace: Option<&str>, labels: ObjectMap) -> ObjectMap {
        let mut md = ObjectMap::new();
        md.insert("name".into(), name.into());
        if let Some(ns) = namespace {
            md.insert("namespace".into(), ns.into());
        }
        md.insert("labels".into(), Value::Object(labels));
        md
    }

    /// A `{{ $key }}: "{{ $val }}"` map: every value printed as a string.
    pub fn string_map(&self, path: &str) -> Result<ObjectMap, RenderError> {
        Ok(self
            .map(path)?
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::String(go_format(v))))
                    .collect()
            })
            .unwrap_or_default())
    }
}

/// Adds `annotations` to `metadata` when the map at `path` is non-empty (`toYaml`).
pub(crate) fn annotate(
    chart: &Chart<'_>,
    md: &mut ObjectMap,
    path: &str,
) -> Result<(), RenderError> {
    if let Some(ann) = chart.nonempty_map(path)? {
        md.insert("annotations".into(), Value::Object(ann.clone()));
    }
    Ok(())
}
