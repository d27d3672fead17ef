//! The ambient node proxy (chart `ztunnel`).
//!
//! istioctl hands this chart flattened values: `ztunnel.*` and `global.*` both appear at the
//! top level (`hub`, `tag`, `istioNamespace`, `multiCluster.clusterName`, ...). The chart
//! renders a ServiceAccount and the `ztunnel` DaemonSet, plus, depending on the values, the
//! OpenShift SCC ClusterRole and binding, a ResourceQuota, a NetworkPolicy and a PodMonitor.
//! Unlike the other charts its objects carry no operator labels.

mod daemonset;
mod extras;

use mesh_core::obj;
use mesh_core::{ComponentName, Value};

use super::common::{ObjectMap, chart_labels, get, list_at, map_at, printed, str_at, truthy};
use super::{RenderContext, RenderError};
use crate::Object;

/// The chart name, used in the `helm.sh/chart` label and as the fixed `app` label.
const CHART: &str = "ztunnel";
/// The component, for errors.
const COMPONENT: &str = "Ztunnel";

/// What the ztunnel templates read, resolved once.
struct Ztunnel<'a> {
    /// The chart's (flattened) `.Values`.
    values: &'a Value,
    /// The release namespace.
    namespace: &'a str,
    /// The Istio version, for the chart labels.
    version: &'a str,
}

/// Renders ztunnel from its effective (flattened) chart values.
pub fn render_ztunnel(
    cv: &mesh_profiles::ComponentValues,
    ctx: &RenderContext,
) -> Result<Vec<Object>, RenderError> {
    let z = Ztunnel {
        values: &cv.values,
        namespace: &cv.namespace,
        version: &ctx.istio_version,
    };
    // `resourceScope` (global's, lifted by the chart) splits the chart: cluster-scoped RBAC,
    // namespaced workload.
    let mut out = Vec::new();
    if z.namespaced_scope() {
        out.push(z.service_account()?);
    }
    if z.cluster_scope() {
        out.extend(z.openshift_rbac());
    }
    if z.namespaced_scope() {
        out.push(z.daemon_set()?);
    }
    out.extend(z.resource_quota()?);
    out.extend(z.network_policy());
    out.extend(z.pod_monitor());
    Ok(out
        .into_iter()
        .map(|value| Object::new(Some(ComponentName::Ztunnel), value))
        .collect())
}

impl Ztunnel<'_> {
    /// A chart value.
    fn at(&self, path: &str) -> &Value {
        get(self.values, path)
    }

    /// `resourceName | default "ztunnel"`: the name of the DaemonSet, its service account and
    /// the Helm-style `release` label.
    fn resource_name(&self) -> String {
        match str_at(self.values, "resourceName") {
            "" => CHART.to_string(),
            n => n.to_string(),
        }
    }

    /// `.Values.revision`, empty when unset.
    fn revision(&self) -> &str {
        str_at(self.values, "revision")
    }

    /// `app.kubernetes.io/name: ztunnel` and the chart's standard labels.
    fn chart_labels(&self) -> ObjectMap {
        let mut m = ObjectMap::new();
        m.insert("app.kubernetes.io/name".into(), CHART.into());
        m.extend(chart_labels(CHART, self.version));
        m
    }

    /// The chart labels plus the user's `labels`.
    fn object_labels(&self) -> Result<ObjectMap, RenderError> {
        let mut m = self.chart_labels();
        if let Some(extra) = map_at(self.values, "labels", COMPONENT)? {
            m.extend(extra.clone());
        }
        Ok(m)
    }

    /// `annotations`, printed as given (`{}` when empty), plus `istio.io/rev` when a revision is
    /// set (the chart sets it into the map it prints).
    fn annotations(&self) -> Value {
        let mut annotations = match self.at("annotations") {
            Value::Null => Value::Null,
            v => v.clone(),
        };
        let revision = self.revision();
        if !revision.is_empty() {
            if !annotations.is_object() {
                annotations = Value::Object(ObjectMap::new());
            }
            if let Value::Object(m) = &mut annotations {
                m.insert("istio.io/rev".into(), revision.into());
            }
        }
        annotations
    }

    /// `ownerName | default "unknown"`.
    fn owner(&self) -> Value {
        let owner = self.at("ownerName");
        if truthy(owner) {
            printed(owner)
        } else {
            Value::from("unknown")
        }
    }

    /// The ServiceAccount, with the (flattened) `imagePullSecrets`.
    fn service_account(&self) -> Result<Value, RenderError> {
        let mut metadata = ObjectMap::new();
        metadata.insert("name".into(), self.resource_name().into());
        metadata.insert("namespace".into(), self.namespace.into());
        metadata.insert("labels".into(), Value::Object(self.object_labels()?));
        metadata.insert("annotations".into(), self.annotations());
        let mut sa = object("v1", "ServiceAccount", metadata);
        let secrets = list_at(self.values, "imagePullSecrets", COMPONENT)?;
        if !secrets.is_empty() {
            let refs: Vec<Value> = secrets
                .iter()
                .map(|s| obj! { "name" => printed(s) })
                .collect();
            sa.insert("imagePullSecrets".into(), Value::Array(refs));
        }
        Ok(Value::Object(sa))
    }
}

/// An object with `apiVersion`, `kind` and `metadata`.
fn object(api_version: &str, kind: &str, metadata: ObjectMap) -> ObjectMap {
    let mut m = ObjectMap::new();
    m.insert("apiVersion".into(), api_version.into());
    m.insert("kind".into(), kind.into());
    m.insert("metadata".into(), Value::Object(metadata));
    m
}
