//! mesh-inject: Istio 1.30.3's sidecar injection as a pure library: who gets injected and why,
//! the injected pod, the JSON patch and the admission response.
//!
//! The injector ([`Injector`]) renders Istio's built-in templates (`sidecar`, `gateway`,
//! `grpc-simple`, `grpc-agent`) natively — no template engine — and reproduces the webhook's
//! post-processing (probe rewriting, Prometheus merge, status annotation, container order).

// Library code never unwraps what comes from input; tests may (clippy.toml allows it there).
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod added;
pub mod config;
pub use config::{InjectConfig, InjectionPolicy};

pub mod annotations;
pub mod error;
mod gateway;
mod grpc;
pub mod inject;
mod json_write;
pub mod mesh_config;
pub mod normalize;
mod pod_merge;
pub mod probes;
pub mod prometheus;
pub mod quantity;
mod sidecar;
pub mod status;
pub mod template;
mod template_funcs;
pub use template_funcs::template_funcs;
pub mod values;
pub mod workload;

pub use error::{AnnotationProblem, InjectError};
pub use inject::{Injector, NativeSidecars, PodContext, deploy_meta_from_pod};
pub use mesh_config::{MeshConfig, ProxyConfig};
pub use template::{DeployMeta, TypeMeta};
pub use values::Values;
pub use workload::{Document, KubeInjectOutput, WorkloadKind};

pub mod admission;
pub mod patch;
pub mod policy;
