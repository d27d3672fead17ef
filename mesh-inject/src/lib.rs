//! mesh-inject: Istio 1.30.3's sidecar injection as a pure library: who gets injected and why,
//! the injected pod, the JSON patch and the admission response.

pub mod config;
pub use config::{InjectConfig, InjectionPolicy};
