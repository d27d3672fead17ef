//! The typed IstioOperator: istioctl's `IstioOperator` API with k8s-openapi types in `k8s`.

use crate::Value;
use k8s_openapi::api::apps::v1::DeploymentStrategy;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerSpec;
use k8s_openapi::api::core::v1::{
    Affinity, EnvVar, PodSecurityContext, Probe, ResourceRequirements, ServiceSpec, Toleration,
    Volume, VolumeMount,
};
use k8s_openapi::api::policy::v1::PodDisruptionBudgetSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An IstioOperator resource (`install.istio.io/v1alpha1`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IstioOperator {
    /// `install.istio.io/v1alpha1`.
    #[serde(default)]
    pub api_version: String,
    /// `IstioOperator`.
    #[serde(default)]
    pub kind: String,
    /// Object metadata; `namespace` is the install namespace when nothing else sets one.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The installation spec.
    #[serde(default)]
    pub spec: IstioOperatorSpec,
}

/// What to install and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IstioOperatorSpec {
    /// Built-in profile name (`default` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// An Istio release's `manifests/` folder to read profiles and charts from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_package_path: Option<String>,
    /// Image registry root, e.g. `docker.io/istio`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub: Option<String>,
    /// Image tag; a scalar because `tag: 1` has historically been accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Value>,
    /// Install namespace for control plane resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Control plane revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Behave like an older minor version (`1.28`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_version: Option<String>,
    /// Mesh-wide configuration (MeshConfig).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesh_config: Option<Value>,
    /// Per-component settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<IstioComponentSpec>,
    /// Validated pass-through to the charts' values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Value>,
    /// Unvalidated pass-through to the charts' values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unvalidated_values: Option<Value>,
}

/// The components block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IstioComponentSpec {
    /// CRDs and cluster-wide base resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseComponentSpec>,
    /// istiod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pilot: Option<ComponentSpec>,
    /// Istio CNI node agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cni: Option<ComponentSpec>,
    /// Ambient node proxy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ztunnel: Option<ComponentSpec>,
    /// Remote cluster using an external control plane.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub istiod_remote: Option<ComponentSpec>,
    /// Ingress gateways, one per item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress_gateways: Vec<GatewayComponentSpec>,
    /// Egress gateways, one per item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress_gateways: Vec<GatewayComponentSpec>,
}

/// The base component (no namespace, hub or tag of its own).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BaseComponentSpec {
    /// Whether the component is installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Kubernetes settings.
    #[serde(default, rename = "k8s", skip_serializing_if = "Option::is_none")]
    pub k8s: Option<Box<KubernetesResources>>,
}

/// A single-instance component.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentSpec {
    /// Whether the component is installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The component's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Image hub for this component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub: Option<String>,
    /// Image tag for this component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Value>,
    /// Kubernetes settings.
    #[serde(default, rename = "k8s", skip_serializing_if = "Option::is_none")]
    pub k8s: Option<Box<KubernetesResources>>,
}

/// One gateway.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayComponentSpec {
    /// The gateway's name (its Deployment, Service and ServiceAccount).
    #[serde(default)]
    pub name: String,
    /// Labels of the gateway's pods and selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<BTreeMap<String, String>>,
    /// Whether the gateway is installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The gateway's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Image hub.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub: Option<String>,
    /// Image tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<Value>,
    /// Kubernetes settings.
    #[serde(default, rename = "k8s", skip_serializing_if = "Option::is_none")]
    pub k8s: Option<Box<KubernetesResources>>,
}

/// Kubernetes settings of a component, applied to its rendered objects.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesResources {
    /// Pod affinity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// Container environment variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<EnvVar>>,
    /// HorizontalPodAutoscaler spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hpa_spec: Option<HorizontalPodAutoscalerSpec>,
    /// Container image pull policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    /// Pod node selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    /// PodDisruptionBudget spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_disruption_budget: Option<PodDisruptionBudgetSpec>,
    /// Pod annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_annotations: Option<BTreeMap<String, String>>,
    /// Pod priority class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// Container readiness probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    /// Deployment replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_count: Option<u32>,
    /// Container resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// Service spec, merged into the component's Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceSpec>,
    /// Deployment strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<DeploymentStrategy>,
    /// Pod tolerations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Vec<Toleration>>,
    /// Service annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_annotations: Option<BTreeMap<String, String>>,
    /// Pod security context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<PodSecurityContext>,
    /// Pod volumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Vec<Volume>>,
    /// Container volume mounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_mounts: Option<Vec<VolumeMount>>,
    /// Patches to rendered objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlays: Option<Vec<KubernetesOverlay>>,
}

/// Patches to one rendered object of the component.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesOverlay {
    /// The object's apiVersion.
    #[serde(default)]
    pub api_version: String,
    /// The object's kind.
    #[serde(default)]
    pub kind: String,
    /// The object's name (its namespace is the component's).
    #[serde(default)]
    pub name: String,
    /// The patches, applied in order.
    #[serde(default)]
    pub patches: Vec<OverlayPatch>,
}

/// One overlay patch: set `value` at `path`, or delete the node when `value` is absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OverlayPatch {
    /// Path such as `spec.template.spec.containers.[name:discovery].env.[name:X]`.
    #[serde(default)]
    pub path: String,
    /// The value to set; `None` deletes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}
