//! The Istio CNI node agent (chart `istio-cni`).
//!
//! Renders the agent's ServiceAccount, ClusterRoles and bindings (base, pod repair, ambient),
//! its ConfigMap of settings, the `istio-cni-node` DaemonSet, and, depending on the values, a
//! Multus NetworkAttachmentDefinition (OpenShift), a ResourceQuota for node-critical pods (GKE),
//! a NetworkPolicy and a PodMonitor. The chart reads flat values (`ambient.enabled`,
//! `cniBinDir`, ...) next to `global`.

mod config;
mod daemonset;
mod extras;
mod rbac;

use mesh_core::{ComponentName, Value};

use super::common::{ObjectMap, chart_labels, get, printed, str_at, truthy};
use super::{RenderContext, RenderError};
use crate::Object;

/// The fixed base name of the chart's objects.
const NAME: &str = "istio-cni";
/// The chart name, used in the `helm.sh/chart` label.
const CHART: &str = "cni";
/// The component, for labels and errors.
const COMPONENT: &str = "Cni";

/// What the CNI templates read, resolved once.
struct Cni<'a> {
    /// The chart's `.Values`.
    values: &'a Value,
    /// The release namespace.
    namespace: &'a str,
    /// The Istio version, for the chart labels.
    version: &'a str,
}

/// Renders the CNI node agent from its effective chart values.
pub fn render_cni(
    cv: &mesh_profiles::ComponentValues,
    ctx: &RenderContext,
) -> Result<Vec<Object>, RenderError> {
    let cni = Cni {
        values: &cv.values,
        namespace: &cv.namespace,
        version: &ctx.istio_version,
    };
    // `global.resourceScope` splits the chart: cluster-scoped RBAC, namespaced workload.
    let mut out = Vec::new();
    if cni.namespaced_scope() {
        out.push(cni.service_account()?);
    }
    if cni.cluster_scope() {
        out.extend(cni.cluster_roles());
        out.extend(cni.cluster_role_bindings());
    }
    if cni.namespaced_scope() {
        out.push(cni.config_map()?);
        out.push(cni.daemon_set()?);
    }
    out.extend(cni.network_attachment());
    out.extend(cni.resource_quota());
    out.extend(cni.network_policy());
    out.extend(cni.pod_monitor());
    Ok(out
        .into_iter()
        .map(|value| Object::new(Some(ComponentName::Cni), value))
        .collect())
}

impl Cni<'_> {
    /// A chart value.
    fn at(&self, path: &str) -> &Value {
        get(self.values, path)
    }

    /// Whether ambient redirection is on.
    fn ambient(&self) -> bool {
        truthy(self.at("ambient.enabled"))
    }

    /// `.Values.revision | default "default"`, printed unquoted.
    fn revision_label(&self) -> Value {
        let rev = self.at("revision");
        if truthy(rev) {
            printed(rev)
        } else {
            Value::from("default")
        }
    }

    /// `.Values.revision`, empty when unset.
    fn revision(&self) -> &str {
        str_at(self.values, "revision")
    }

    /// `coalesce .Values.platform .Values.global.platform`.
    fn platform(&self) -> &str {
        match str_at(self.values, "platform") {
            "" => str_at(self.values, "global.platform"),
            p => p,
        }
    }

    /// Whether `global.resourceScope` lets namespaced resources render (`all` or `namespace`).
    fn namespaced_scope(&self) -> bool {
        matches!(
            str_at(self.values, "global.resourceScope"),
            "all" | "namespace"
        )
    }

    /// Whether `global.resourceScope` lets cluster-scoped resources render (`all` or `cluster`).
    fn cluster_scope(&self) -> bool {
        matches!(
            str_at(self.values, "global.resourceScope"),
            "all" | "cluster"
        )
    }

    /// Release, revision, owner and component labels.
    fn operator_labels(&self) -> ObjectMap {
        let owner = self.at("ownerName");
        let mut m = ObjectMap::new();
        m.insert("release".into(), "istio".into());
        m.insert("istio.io/rev".into(), self.revision_label());
        m.insert(
            "install.operator.istio.io/owning-resource".into(),
            if truthy(owner) {
                printed(owner)
            } else {
                Value::from("unknown")
            },
        );
        m.insert("operator.istio.io/component".into(), COMPONENT.into());
        m
    }

    /// `app.kubernetes.io/name` and the chart's standard labels.
    fn chart_labels(&self) -> ObjectMap {
        let mut m = ObjectMap::new();
        m.insert("app.kubernetes.io/name".into(), NAME.into());
        m.extend(chart_labels(CHART, self.version));
        m
    }

    /// The labels most CNI objects carry: `app: istio-cni`, operator and chart labels.
    fn app_labels(&self) -> ObjectMap {
        let mut m = ObjectMap::new();
        m.insert("app".into(), NAME.into());
        m.extend(self.operator_labels());
        m.extend(self.chart_labels());
        m
    }
}

/// An object with `apiVersion`, `kind` and metadata (name, optional namespace, labels).
fn object(
    api_version: &str,
    kind: &str,
    name: &str,
    namespace: Option<&str>,
    labels: ObjectMap,
) -> ObjectMap {
    let mut metadata = ObjectMap::new();
    metadata.insert("name".into(), name.into());
    if let Some(ns) = namespace {
        metadata.insert("namespace".into(), ns.into());
    }
    metadata.insert("labels".into(), Value::Object(labels));
    let mut m = ObjectMap::new();
    m.insert("apiVersion".into(), api_version.into());
    m.insert("kind".into(), kind.into());
    m.insert("metadata".into(), Value::Object(metadata));
    m
}
