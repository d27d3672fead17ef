//! mesh-inject: Istio 1.30.3's sidecar injection as a pure library: who gets injected and why,
//! the injected pod, the JSON patch and the admission response.
//!
//! The injector ([`Injector`]) renders Istio's built-in templates (`sidecar`, `gateway`,
//! `grpc-simple`, `grpc-agent`) natively, custom Go templates with [`mesh_gotmpl`], and
//! reproduces the webhook's post-processing (probe rewriting, Prometheus merge, status
//! annotation, container order).
//!
//! * [`Injector`]: built once from an [`InjectConfig`], the values tree, a [`MeshConfig`], a
//!   revision and [`NativeSidecars`]; [`Injector::inject_pod`] injects one pod and
//!   [`Injector::kube_inject`] the pod templates of workload documents ([`workload`]).
//! * [`admission`]: AdmissionReview bytes in, AdmissionReview response out.
//! * [`policy`]: whether a pod is injected, with the reasons.
//! * [`create_patch`]: the JSON patch from the original to the injected pod.
//!
//! ```
//! use mesh_inject::{InjectConfig, Injector, MeshConfig, NativeSidecars, Outcome};
//! use serde_json::json;
//!
//! let mesh = MeshConfig::from_yaml("", "mesh.yaml")?;
//! let values = json!({"global": {"hub": "docker.io/istio", "tag": "1.30.3"}});
//! let injector = Injector::new(InjectConfig::default(), values, mesh, "", NativeSidecars::Disabled)?;
//!
//! let pod = json!({
//!     "metadata": {"name": "web", "namespace": "shop"},
//!     "spec": {"containers": [{"name": "web", "image": "nginx"}]},
//! });
//! let injected = injector.inject_pod(&pod)?;
//! let containers = injected["spec"]["containers"].as_array().map_or(0, Vec::len);
//! assert_eq!(containers, 2); // web and istio-proxy
//!
//! let review = json!({
//!     "apiVersion": "admission.k8s.io/v1",
//!     "kind": "AdmissionReview",
//!     "request": {"uid": "1", "namespace": "shop", "object": pod},
//! });
//! let admission = mesh_inject::admission::review(&serde_json::to_vec(&review)?, &injector);
//! assert!(matches!(admission.outcome, Outcome::Injected { .. }));
//! assert_eq!(admission.review["response"]["allowed"], true);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Library code never unwraps what comes from input; tests may (clippy.toml allows it there).
#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod admission;
pub mod policy;
pub mod workload;

mod annotations;
mod config;
mod error;
mod gateway;
mod grpc;
mod injected_names;
mod injector;
mod json_write;
mod mesh_config;
mod normalize;
mod otel;
mod patch;
mod pod;
mod pod_merge;
mod probes;
mod prometheus;
mod quantity;
mod reinject;
mod render;
mod sidecar;
mod status;
mod template_data;
mod template_funcs;
mod values;

pub use admission::{Admission, AdmissionError, Outcome, PodInjector};
pub use config::{InjectConfig, InjectionPolicy};
pub use error::{AnnotationProblem, InjectError, InputProblem, ProxyConfigError, TemplateProblem};
pub use injector::{Injector, NativeSidecars};
pub use mesh_config::{MeshConfig, ProxyConfig};
pub use patch::{ApplyPatchError, apply_patch, create_patch, patch_bytes};
pub use pod::PodContext;
pub use quantity::QuantityError;
pub use template_funcs::template_funcs;
pub use values::Values;
pub use workload::{Document, KubeInjectOutput, WorkloadKind};

/// Brings a pod (`metadata`, `spec`) to the shape Kubernetes' Go types give it, as the injector
/// does before injecting: `omitempty` fields dropped, quantities canonical, `resources: {}` on
/// every container. Errors name the bad quantity.
///
/// Hidden: for tests comparing Istio's rendered templates with the injector's.
#[doc(hidden)]
pub fn normalize_pod(pod: &mut mesh_core::Value) -> Result<(), InjectError> {
    pod::normalize_pod(pod)
}
