//! The injector's configuration as a cluster mounts it: the values, mesh config and injector
//! config files, read into a snapshot and turned into an [`Injector`].

use crate::error::WebhookError;
use mesh_inject::{InjectConfig, Injector, MeshConfig, NativeSidecars};
use std::path::{Path, PathBuf};

/// Where the configuration files are and the settings that do not come from files.
#[derive(Debug, Clone)]
pub struct ConfigFiles {
    /// Injector values (the `values` key of the `istio-sidecar-injector` ConfigMap).
    pub values: PathBuf,
    /// Mesh config (the `mesh` key of the `istio` ConfigMap); Istio's defaults when absent.
    pub mesh_config: Option<PathBuf>,
    /// Injector config (the `config` key of the `istio-sidecar-injector` ConfigMap).
    pub inject_config: PathBuf,
    /// Control plane revision stamped on injected pods.
    pub revision: String,
    /// Whether `istio-proxy` is injected as a native sidecar.
    pub native_sidecars: NativeSidecars,
    /// Compliance policy written to proxies (empty for none).
    pub compliance_policy: String,
}

impl ConfigFiles {
    /// The two required files, with the defaults of everything else: Istio's default mesh
    /// config, the default revision, classic sidecars (`auto`), no compliance policy.
    pub fn new(values: impl Into<PathBuf>, inject_config: impl Into<PathBuf>) -> Self {
        ConfigFiles {
            values: values.into(),
            mesh_config: None,
            inject_config: inject_config.into(),
            revision: String::new(),
            native_sidecars: NativeSidecars::Auto,
            compliance_policy: String::new(),
        }
    }

    /// Every file the configuration is read from, for the reload watcher.
    pub(crate) fn paths(&self) -> Vec<PathBuf> {
        let mut paths = vec![self.values.clone(), self.inject_config.clone()];
        paths.extend(self.mesh_config.clone());
        paths
    }
}

/// The raw contents of the configuration files at one moment; two equal snapshots build the same
/// injector, so the watcher rebuilds only when a snapshot changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot {
    values: Vec<u8>,
    mesh_config: Option<Vec<u8>>,
    inject_config: Vec<u8>,
}

/// Reads every configuration file.
pub(crate) fn read_snapshot(files: &ConfigFiles) -> Result<Snapshot, WebhookError> {
    Ok(Snapshot {
        values: read(&files.values)?,
        mesh_config: files.mesh_config.as_deref().map(read).transpose()?,
        inject_config: read(&files.inject_config)?,
    })
}

/// Builds the injector from a snapshot and the settings in `files`.
pub(crate) fn build_injector(
    snapshot: &Snapshot,
    files: &ConfigFiles,
) -> Result<Injector, WebhookError> {
    let values_text = text(&snapshot.values, &files.values)?;
    let values = mesh_core::from_yaml_str(values_text, &files.values.display().to_string())
        .map_err(|e| parse_error(&files.values, e.located_problem()))?;
    let mesh = match (&snapshot.mesh_config, &files.mesh_config) {
        (Some(bytes), Some(path)) => {
            MeshConfig::from_yaml(text(bytes, path)?, &path.display().to_string())?
        }
        _ => MeshConfig::default(),
    };
    let config = inject_config(&snapshot.inject_config, &files.inject_config)?;
    let injector = Injector::new(
        config,
        values,
        mesh,
        files.revision.clone(),
        files.native_sidecars,
    )?;
    Ok(if files.compliance_policy.is_empty() {
        injector
    } else {
        injector.with_compliance_policy(files.compliance_policy.clone())
    })
}

/// Reads the files and builds the injector in one step (startup).
pub(crate) fn load(files: &ConfigFiles) -> Result<(Snapshot, Injector), WebhookError> {
    let snapshot = read_snapshot(files)?;
    let injector = build_injector(&snapshot, files)?;
    Ok((snapshot, injector))
}

fn inject_config(bytes: &[u8], path: &Path) -> Result<InjectConfig, WebhookError> {
    let doc = mesh_core::from_yaml_str(text(bytes, path)?, &path.display().to_string())
        .map_err(|e| parse_error(path, e.located_problem()))?;
    if doc.is_null() {
        return Ok(InjectConfig::default());
    }
    serde_json::from_value(doc)
        .map_err(|e| parse_error(path, format!("invalid injector config: {e}")))
}

fn read(path: &Path) -> Result<Vec<u8>, WebhookError> {
    std::fs::read(path).map_err(|source| WebhookError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn text<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a str, WebhookError> {
    std::str::from_utf8(bytes).map_err(|e| parse_error(path, format!("not UTF-8: {e}")))
}

fn parse_error(path: &Path, message: String) -> WebhookError {
    WebhookError::Parse {
        path: path.to_path_buf(),
        message,
    }
}
