//! The ingress and egress gateways (charts `gateways/istio-ingress` and `gateways/istio-egress`).
//!
//! Both charts render the same objects for one gateway, read from
//! `.Values.gateways.istio-ingressgateway` (or `istio-egressgateway`): a ServiceAccount, a
//! Deployment (or, with `injectionTemplate` set, a minimal Deployment left to the injector), a
//! Role and RoleBinding giving the gateway read access to secrets (SDS), a Service, an HPA when
//! autoscaling is on, a PodDisruptionBudget when more than one replica is kept, and a
//! NetworkPolicy when `global.networkPolicy.enabled` is set.

mod affinity;
mod deployment;
mod proxy;
mod rbac;
mod scaling;
mod service;
mod volumes;

use mesh_core::{ComponentName, Value};

use super::common::{
    ObjectMap, bad_value, chart_labels, get, list_at, map_at, printed, str_at, truthy,
};
use super::{RenderContext, RenderError};
use crate::Object;

/// What differs between the ingress and the egress chart.
#[derive(Debug, Clone, Copy)]
struct Flavor {
    /// The component whose objects these are.
    component: ComponentName,
    /// The chart name, used in the `helm.sh/chart` label.
    chart: &'static str,
    /// The key under `.Values.gateways`, also the fixed `app.kubernetes.io/name` label.
    key: &'static str,
    /// The list of extra service ports (`ingressPorts` / `egressPorts`).
    extra_ports: &'static str,
}

const INGRESS: Flavor = Flavor {
    component: ComponentName::IngressGateways,
    chart: "istio-ingress",
    key: "istio-ingressgateway",
    extra_ports: "ingressPorts",
};

const EGRESS: Flavor = Flavor {
    component: ComponentName::EgressGateways,
    chart: "istio-egress",
    key: "istio-egressgateway",
    extra_ports: "egressPorts",
};

/// Everything the gateway templates read, resolved once.
struct Gateway<'a> {
    flavor: Flavor,
    /// The chart's `.Values`.
    values: &'a Value,
    /// `.Values.gateways.<key>`.
    gw: &'a Value,
    /// The gateway (and Deployment) name.
    name: String,
    /// The release namespace.
    namespace: &'a str,
    /// The Istio version, for the chart labels.
    version: &'a str,
}

/// Renders one gateway of `cv.component` (`IngressGateways` or `EgressGateways`) from its
/// effective chart values.
pub fn render_gateway(
    cv: &mesh_profiles::ComponentValues,
    ctx: &RenderContext,
) -> Result<Vec<Object>, RenderError> {
    let flavor = match cv.component {
        ComponentName::IngressGateways => INGRESS,
        ComponentName::EgressGateways => EGRESS,
        other => {
            return Err(RenderError::BadValue {
                component: other.to_string(),
                path: "component".to_string(),
                expected: "IngressGateways or EgressGateways".to_string(),
                got: other.to_string(),
            });
        }
    };
    let gw = match get(&cv.values, "gateways") {
        Value::Object(map) => map.get(flavor.key).unwrap_or(&Value::Null),
        _ => &Value::Null,
    };
    if !matches!(gw, Value::Object(_)) {
        return Err(bad_value(
            flavor.component.as_str(),
            &format!("gateways.{}", flavor.key),
            "a map",
            gw,
        ));
    }
    let name = match str_at(gw, "name") {
        "" => cv.name.clone(),
        n => n.to_string(),
    };
    let g = Gateway {
        flavor,
        values: &cv.values,
        gw,
        name,
        namespace: &cv.namespace,
        version: &ctx.istio_version,
    };
    g.render()
}

impl Gateway<'_> {
    fn render(&self) -> Result<Vec<Object>, RenderError> {
        let mut out = vec![
            self.service_account()?,
            self.deployment()?,
            self.role(),
            self.role_binding(),
        ];
        out.extend(self.autoscaler()?);
        out.extend(self.disruption_budget()?);
        out.extend(self.service()?);
        out.extend(self.network_policy()?);
        let component = Some(self.flavor.component);
        Ok(out
            .into_iter()
            .map(|value| Object::new(component, value))
            .collect())
    }

    /// Path of a gateway value inside the chart values, for error messages.
    fn path(&self, key: &str) -> String {
        format!("gateways.{}.{key}", self.flavor.key)
    }

    /// The component name, for error messages.
    fn component(&self) -> &'static str {
        self.flavor.component.as_str()
    }

    /// A gateway value.
    fn at(&self, key: &str) -> &Value {
        get(self.gw, key)
    }

    /// The list at a gateway key (empty when unset), or an error naming its full path.
    fn gw_list(&self, key: &str) -> Result<&[Value], RenderError> {
        list_at(self.gw, key, self.component())
            .map_err(|_| bad_value(self.component(), &self.path(key), "a list", self.at(key)))
    }

    /// The map at a gateway key (`None` when unset), or an error naming its full path.
    fn gw_map(&self, key: &str) -> Result<Option<&ObjectMap>, RenderError> {
        map_at(self.gw, key, self.component())
            .map_err(|_| bad_value(self.component(), &self.path(key), "a map", self.at(key)))
    }

    /// `$gateway.labels`: the selector labels of the gateway's pods.
    fn labels(&self) -> Result<ObjectMap, RenderError> {
        Ok(self.gw_map("labels")?.cloned().unwrap_or_default())
    }

    /// `.Values.revision | default "default"`.
    fn revision_label(&self) -> Value {
        let rev = get(self.values, "revision");
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

    /// `.Values.ownerName | default "unknown"`.
    fn owner(&self) -> Value {
        let owner = get(self.values, "ownerName");
        if truthy(owner) {
            printed(owner)
        } else {
            Value::from("unknown")
        }
    }

    /// The labels istioctl's charts put on every gateway object besides the gateway's own:
    /// release, revision, owner and component.
    fn operator_labels(&self) -> ObjectMap {
        let mut m = ObjectMap::new();
        m.insert("release".into(), "istio".into());
        m.insert("istio.io/rev".into(), self.revision_label());
        m.insert(
            "install.operator.istio.io/owning-resource".into(),
            self.owner(),
        );
        m.insert(
            "operator.istio.io/component".into(),
            self.component().into(),
        );
        m
    }

    /// `app.kubernetes.io/name` and the chart's standard labels.
    fn chart_labels(&self) -> ObjectMap {
        let mut m = ObjectMap::new();
        m.insert("app.kubernetes.io/name".into(), self.flavor.key.into());
        m.extend(chart_labels(self.flavor.chart, self.version));
        m
    }

    /// Labels of the ServiceAccount, HPA, PDB and Service: the gateway's labels, then the
    /// operator and chart labels (later keys win, as in the rendered YAML).
    fn object_labels(&self) -> Result<ObjectMap, RenderError> {
        let mut m = self.labels()?;
        m.extend(self.operator_labels());
        m.extend(self.chart_labels());
        Ok(m)
    }

    /// `$gateway.namespace | default .Release.Namespace`, used by the ServiceAccount and the
    /// RoleBinding (and the egress Service).
    fn own_namespace(&self) -> Value {
        let ns = self.at("namespace");
        if truthy(ns) {
            printed(ns)
        } else {
            Value::from(self.namespace)
        }
    }

    /// `coalesce .Values.platform .Values.global.platform`.
    fn platform(&self) -> &str {
        match str_at(self.values, "platform") {
            "" => str_at(self.values, "global.platform"),
            p => p,
        }
    }

    /// Standard object metadata with the given name and labels.
    fn metadata(&self, name: &str, namespace: Value, labels: ObjectMap) -> ObjectMap {
        let mut m = ObjectMap::new();
        m.insert("name".into(), name.into());
        m.insert("namespace".into(), namespace);
        m.insert("labels".into(), Value::Object(labels));
        m
    }
}

/// An object with `apiVersion`, `kind` and `metadata`, to which the caller adds the rest.
fn object(api_version: &str, kind: &str, metadata: ObjectMap) -> ObjectMap {
    let mut m = ObjectMap::new();
    m.insert("apiVersion".into(), api_version.into());
    m.insert("kind".into(), kind.into());
    m.insert("metadata".into(), Value::Object(metadata));
    m
}

/// Helm's `a | default b` (here written `or(a, b)`): `a` when truthy, else `b`.
fn or<'v>(a: &'v Value, b: &'v Value) -> &'v Value {
    if truthy(a) { a } else { b }
}
