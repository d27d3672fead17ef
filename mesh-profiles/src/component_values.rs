//! The effective chart values of one component instance: what a chart's templates read as `.Values`.

use mesh_core::{ComponentName, Value};

/// One component instance to render (one per enabled gateway for the gateway components).
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentValues {
    /// Which component this is.
    pub component: ComponentName,
    /// The instance name: the gateway name for gateways, otherwise the component's default name
    /// (`base`, `istiod`, `istio-cni`, `ztunnel`).
    pub name: String,
    /// The namespace the component installs into.
    pub namespace: String,
    /// Effective chart values after the chart's own profile merge (chart defaults < helm profile
    /// < compatibility version < platform < the values istioctl passes): the chart's `.Values`.
    pub values: Value,
    /// The values istioctl handed to the chart, before chart defaults (`.Values._original`).
    pub original: Value,
    /// The raw `components.<name>.k8s` block of the IstioOperator, if any.
    pub k8s: Option<Value>,
}
