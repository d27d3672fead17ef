//! The installable components of an Istio control plane, named as istioctl names them.

use std::fmt;
use std::str::FromStr;

/// One installable component, in istioctl's install order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ComponentName {
    /// CRDs, reader RBAC and the default-revision validating webhook (chart `base`).
    Base,
    /// istiod (chart `istio-control/istio-discovery`).
    Pilot,
    /// Each enabled ingress gateway (chart `gateways/istio-ingress`).
    IngressGateways,
    /// Each enabled egress gateway (chart `gateways/istio-egress`).
    EgressGateways,
    /// The Istio CNI node agent (chart `istio-cni`).
    Cni,
    /// The ambient node proxy (chart `ztunnel`).
    Ztunnel,
}

impl ComponentName {
    /// All components in istioctl's order.
    pub const ALL: [ComponentName; 6] = [
        ComponentName::Base,
        ComponentName::Pilot,
        ComponentName::IngressGateways,
        ComponentName::EgressGateways,
        ComponentName::Cni,
        ComponentName::Ztunnel,
    ];

    /// The name istioctl uses in the `operator.istio.io/component` label.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentName::Base => "Base",
            ComponentName::Pilot => "Pilot",
            ComponentName::IngressGateways => "IngressGateways",
            ComponentName::EgressGateways => "EgressGateways",
            ComponentName::Cni => "Cni",
            ComponentName::Ztunnel => "Ztunnel",
        }
    }

    /// The key of this component under `spec.components` in an IstioOperator.
    pub fn spec_key(self) -> &'static str {
        match self {
            ComponentName::Base => "base",
            ComponentName::Pilot => "pilot",
            ComponentName::IngressGateways => "ingressGateways",
            ComponentName::EgressGateways => "egressGateways",
            ComponentName::Cni => "cni",
            ComponentName::Ztunnel => "ztunnel",
        }
    }

    /// Whether `spec.components.<key>` is a list of named items (gateways) rather than one block.
    pub fn is_multi(self) -> bool {
        matches!(
            self,
            ComponentName::IngressGateways | ComponentName::EgressGateways
        )
    }
}

impl fmt::Display for ComponentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a string that names no component.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown component {0:?}")]
pub struct ParseComponentNameError(pub String);

impl FromStr for ComponentName {
    type Err = ParseComponentNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ComponentName::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s) || c.spec_key() == s)
            .ok_or_else(|| ParseComponentNameError(s.to_string()))
    }
}
