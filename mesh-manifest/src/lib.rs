//! mesh-manifest: typed rendering of the Istio control plane into Kubernetes objects, install
//! ordering and output.

// Library code never unwraps what comes from input; tests may (clippy.toml allows it there).
#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod object;
pub use object::Object;

pub mod render;

pub mod order;
pub use order::{Manifest, ObjectId, OrderError, OrderOptions, Stage, StageKind, order};

pub mod output;
pub use output::{StageFile, apply_instructions, manifest_yaml, stage_files, yaml_stream};

pub mod diff;
pub use diff::{ManifestDiff, diff_streams};

pub mod smp;

pub mod k8s_settings;
pub use k8s_settings::{ComponentTarget, K8sError, apply_k8s};

pub mod generate;
pub use generate::{GenerateError, GenerateOptions, generate, render_all};

#[cfg(feature = "kube")]
pub mod apply;
