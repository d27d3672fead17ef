//! The Helm charts istioctl renders, and the per-chart facts renderers and the values model need.

use std::fmt;

use mesh_core::ComponentName;

use crate::profiles::ISTIO_VERSION;

/// The Helm release name istioctl renders every chart with (`release` and
/// `app.kubernetes.io/instance` labels).
pub const RELEASE_NAME: &str = "istio";

/// One of the Helm charts behind the IstioOperator components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Chart {
    /// `manifests/charts/base`: CRDs, reader service account, default validator.
    Base,
    /// `manifests/charts/istio-control/istio-discovery`: istiod.
    Istiod,
    /// `manifests/charts/gateways/istio-ingress`: one ingress gateway per instance.
    IstioIngress,
    /// `manifests/charts/gateways/istio-egress`: one egress gateway per instance.
    IstioEgress,
    /// `manifests/charts/istio-cni`: the CNI node agent.
    IstioCni,
    /// `manifests/charts/ztunnel`: the ambient node proxy.
    Ztunnel,
}

impl Chart {
    /// Every chart, in istioctl's component order.
    pub const ALL: [Chart; 6] = [
        Chart::Base,
        Chart::Istiod,
        Chart::IstioIngress,
        Chart::IstioEgress,
        Chart::IstioCni,
        Chart::Ztunnel,
    ];

    /// The chart rendered for a component.
    pub fn for_component(component: ComponentName) -> Chart {
        match component {
            ComponentName::Base => Chart::Base,
            ComponentName::Pilot => Chart::Istiod,
            ComponentName::IngressGateways => Chart::IstioIngress,
            ComponentName::EgressGateways => Chart::IstioEgress,
            ComponentName::Cni => Chart::IstioCni,
            ComponentName::Ztunnel => Chart::Ztunnel,
        }
    }

    /// The component this chart renders.
    pub fn component(self) -> ComponentName {
        match self {
            Chart::Base => ComponentName::Base,
            Chart::Istiod => ComponentName::Pilot,
            Chart::IstioIngress => ComponentName::IngressGateways,
            Chart::IstioEgress => ComponentName::EgressGateways,
            Chart::IstioCni => ComponentName::Cni,
            Chart::Ztunnel => ComponentName::Ztunnel,
        }
    }

    /// The chart's `name` in its `Chart.yaml` (the `helm.sh/chart` label prefix).
    pub fn name(self) -> &'static str {
        match self {
            Chart::Base => "base",
            Chart::Istiod => "istiod",
            Chart::IstioIngress => "istio-ingress",
            Chart::IstioEgress => "istio-egress",
            Chart::IstioCni => "cni",
            Chart::Ztunnel => "ztunnel",
        }
    }

    /// The folder of the chart's default values below mesh-profiles' `charts/`.
    pub fn data_dir(self) -> &'static str {
        match self {
            Chart::IstioCni => "istio-cni",
            other => other.name(),
        }
    }

    /// The chart's version (also its `appVersion`).
    pub fn version(self) -> &'static str {
        ISTIO_VERSION
    }

    /// The `helm.sh/chart` label value, e.g. `istiod-1.30.3`.
    pub fn chart_label(self) -> String {
        format!("{}-{}", self.name(), self.version())
    }

    /// The folder of the chart below `manifests/charts` in an Istio release.
    pub fn release_dir(self) -> &'static str {
        match self {
            Chart::Base => "base",
            Chart::Istiod => "istio-control/istio-discovery",
            Chart::IstioIngress => "gateways/istio-ingress",
            Chart::IstioEgress => "gateways/istio-egress",
            Chart::IstioCni => "istio-cni",
            Chart::Ztunnel => "ztunnel",
        }
    }

    /// Where istioctl puts this component's settings (`hub`, `tag`, gateway `name`/`labels`)
    /// inside `spec.values`, as path segments.
    pub fn values_root(self) -> &'static [&'static str] {
        match self {
            Chart::Base => &["global"],
            Chart::Istiod => &["pilot"],
            Chart::IstioIngress => &["gateways", "istio-ingressgateway"],
            Chart::IstioEgress => &["gateways", "istio-egressgateway"],
            Chart::IstioCni => &["cni"],
            Chart::Ztunnel => &["ztunnel"],
        }
    }

    /// The name of a single-instance component's object set (gateways are named per instance).
    pub fn default_instance_name(self) -> &'static str {
        match self {
            Chart::Base => "base",
            Chart::Istiod => "istiod",
            Chart::IstioIngress => "istio-ingressgateway",
            Chart::IstioEgress => "istio-egressgateway",
            Chart::IstioCni => "istio-cni",
            Chart::Ztunnel => "ztunnel",
        }
    }

    /// The subtree the chart copies to its top level after the merge, so that legacy
    /// `pilot.x` / `cni.x` settings work like `x` (whatever `global.resourceScope` is).
    pub(crate) fn descoped_key(self) -> Option<&'static str> {
        match self {
            Chart::Istiod => Some("pilot"),
            Chart::IstioCni => Some("cni"),
            _ => None,
        }
    }

    /// Whether the chart lifts `global` (of the helm profile and of the passed values) to its
    /// top level, between the profile and the passed values.
    pub(crate) fn flattens_globals(self) -> bool {
        matches!(self, Chart::Ztunnel)
    }

    /// Whether istioctl hands this chart only `global`, the scalar top-level values and the
    /// component's own subtree lifted to the top (instead of the whole `spec.values`).
    pub(crate) fn istioctl_flattens(self) -> bool {
        matches!(self, Chart::Ztunnel)
    }
}

impl fmt::Display for Chart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
