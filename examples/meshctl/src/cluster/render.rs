//! Resolving the configuration flags and rendering the manifest for the cluster's Kubernetes
//! version, as `manifest generate` does for a fixed one.

use super::connect::{Connected, KubeArgs, connect};
use crate::CliError;
use crate::inputs::InputArgs;
use crate::profile::resolve_error;
use mesh_cluster::{KubeVersion, Ownership};
use mesh_manifest::Manifest;
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_profiles::Resolved;
use std::path::Path;

/// The configuration, resolved, and what it renders to.
pub struct Rendered {
    /// The merged configuration.
    pub resolved: Resolved,
    /// The ordered manifest.
    pub manifest: Manifest,
    /// Who will own the objects.
    pub ownership: Ownership,
}

impl Rendered {
    /// The profile named by the configuration.
    pub fn profile(&self) -> &str {
        self.resolved
            .operator
            .pointer("/spec/profile")
            .and_then(|v| v.as_str())
            .unwrap_or("default")
    }
}

/// Resolves `inputs` (plus `--revision`); done before connecting, so that bad input is
/// reported as such whether or not a cluster is reachable.
pub fn resolve(inputs: &InputArgs, revision: Option<&str>) -> Result<Resolved, CliError> {
    let mut resolver_inputs = inputs.to_inputs(&[])?;
    if let Some(rev) = revision {
        resolver_inputs.set_flags.push(format!("revision={rev}"));
    }
    mesh_profiles::resolve(&resolver_inputs).map_err(resolve_error)
}

/// Renders a resolved configuration for a cluster running `kube_version`; `manifests` is the
/// `--manifests` folder, whose CRD file then replaces the embedded CRDs.
pub fn render(
    resolved: Resolved,
    manifests: Option<&Path>,
    kube_version: &KubeVersion,
) -> Result<Rendered, CliError> {
    let mut opts = GenerateOptions::default();
    opts.render.kube_version = (kube_version.major, kube_version.minor);
    opts.render.crds = crate::inputs::crd_source(manifests)?;
    let manifest = generate(&resolved, &opts)?;
    let ownership = Ownership::from_operator(&resolved.operator, &opts.render.istio_version);
    Ok(Rendered {
        resolved,
        manifest,
        ownership,
    })
}

/// Resolves `inputs` (bad input is reported before any connection), connects, and renders for
/// the cluster's version: the first steps of `install`, `upgrade` and `verify-install`.
pub async fn resolve_and_render(
    inputs: &InputArgs,
    revision: Option<&str>,
    kube: &KubeArgs,
) -> Result<(Connected, Rendered), CliError> {
    let resolved = resolve(inputs, revision)?;
    let connected = connect(kube).await?;
    let rendered = render(resolved, inputs.manifests.as_deref(), &connected.version)?;
    Ok((connected, rendered))
}
