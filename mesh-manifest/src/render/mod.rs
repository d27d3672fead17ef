//! One renderer per component: effective chart values in, Kubernetes objects out.
//!
//! Each renderer reproduces what the matching Istio 1.30.3 chart renders for the same values, as
//! value trees (see [`crate::Object`] for why not typed structs), in no particular order: ordering
//! is [`crate::order`]'s job.

pub mod base;
pub mod cni;
pub(crate) mod common;
pub mod crds;
pub mod gateway;
pub mod pilot;
pub mod ztunnel;

/// What every renderer may need besides the component's values.
#[derive(Debug, Clone)]
pub struct RenderContext {
    /// The Istio version being installed, used in chart labels (`1.30.3`).
    pub istio_version: String,
    /// The Kubernetes version rendered for, as (major, minor); istioctl without a cluster uses 1.32.
    pub kube_version: (u32, u32),
    /// Where CRD definitions come from.
    pub crds: CrdSource,
}

impl Default for RenderContext {
    fn default() -> Self {
        RenderContext {
            istio_version: mesh_profiles::ISTIO_VERSION.to_string(),
            kube_version: (1, 32),
            crds: CrdSource::Embedded,
        }
    }
}

/// The source of CRD definitions.
#[derive(Debug, Clone, Default)]
pub enum CrdSource {
    /// mesh's own CRD definitions, compiled in.
    #[default]
    Embedded,
    /// The text of an Istio release's `crd-all.gen.yaml` (from `--manifests DIR`), used as is.
    File {
        /// The file's path, for error messages.
        name: String,
        /// The file's content.
        text: String,
    },
}

/// A component could not be rendered from its values.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A value had the wrong type or an impossible content.
    #[error("{component}: values.{path}: expected {expected}, got {got}")]
    BadValue {
        /// The component being rendered.
        component: String,
        /// Dotted path of the value inside the chart values.
        path: String,
        /// What was expected.
        expected: String,
        /// What was found (short rendering).
        got: String,
    },
    /// A CRD source file could not be read.
    #[error("{name}: {problem}")]
    CrdFile {
        /// The file name.
        name: String,
        /// What is wrong with it.
        #[source]
        problem: CrdFileProblem,
    },
}

/// What is wrong with a CRD source (the cause of [`RenderError::CrdFile`]).
#[derive(Debug, thiserror::Error)]
pub enum CrdFileProblem {
    /// The text is not a YAML stream.
    #[error("{}", .0.located_problem())]
    Yaml(#[source] mesh_core::YamlError),
    /// A document (counted from 1) has no `metadata.name` string.
    #[error("document {document}: metadata.name: missing or not a string")]
    Unnamed {
        /// The document's position in the stream, from 1.
        document: usize,
    },
}
