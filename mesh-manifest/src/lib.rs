//! mesh-manifest: typed rendering of the Istio control plane into Kubernetes objects, install
//! ordering and output.

pub mod object;
pub use object::Object;

pub mod render;
