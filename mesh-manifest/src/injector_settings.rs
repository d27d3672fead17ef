//! The sidecar injector's settings as an install configures them: the texts of the injector
//! ConfigMap (`istio-sidecar-injector[-<rev>]`, keys `config` and `values`) and of the mesh
//! ConfigMap (`istio[-<rev>]`, key `mesh`) of a rendered [`Manifest`].
//!
//! This is what istiod reads to inject pods, so an injector built from these settings (with
//! mesh-inject's `Injector::new`) injects exactly as the rendered install would. The caller
//! builds the injector: this crate does not depend on mesh-inject.
//!
//! ```
//! use mesh_manifest::generate::{GenerateOptions, generate};
//! use mesh_manifest::injector_settings;
//! use mesh_profiles::{Inputs, resolve};
//!
//! let resolved = resolve(&Inputs::with_sets(["revision=canary"]))?;
//! let manifest = generate(&resolved, &GenerateOptions::default())?;
//! let settings = injector_settings(&manifest, "canary")?;
//! assert_eq!(settings.values["revision"], "canary");
//! assert!(settings.config.contains("templates:"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::order::Manifest;
use mesh_core::Value;

/// The injector settings of an install, as its ConfigMaps hold them.
#[derive(Debug, Clone, PartialEq)]
pub struct InjectorSettings {
    /// The injector config (YAML text of `data.config` of the injector ConfigMap).
    pub config: String,
    /// The injector values (`data.values` of the injector ConfigMap, parsed from its JSON).
    pub values: Value,
    /// The mesh config (YAML text of `data.mesh` of the mesh ConfigMap).
    pub mesh: String,
}

/// Why a manifest holds no usable injector settings.
#[derive(Debug, thiserror::Error)]
pub enum InjectorSettingsError {
    /// A ConfigMap the injector reads is not in the manifest (istiod not installed, or another
    /// revision).
    #[error(
        "the install renders no ConfigMap {name} (is components.pilot enabled, and is the revision right?)"
    )]
    MissingConfigMap {
        /// The ConfigMap's name.
        name: String,
    },
    /// The ConfigMap has no text under the key.
    #[error("ConfigMap {name}: data.{key} is missing or not a string")]
    MissingKey {
        /// The ConfigMap's name.
        name: String,
        /// The key under `data`.
        key: &'static str,
    },
    /// The injector values are not JSON.
    #[error("ConfigMap {name}: data.values is not JSON")]
    Values {
        /// The ConfigMap's name.
        name: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
}

/// The names of the injector and mesh ConfigMaps of a revision (`""` is the default revision).
pub fn injector_config_map_names(revision: &str) -> (String, String) {
    let named = |base: &str| match revision {
        "" => base.to_string(),
        rev => format!("{base}-{rev}"),
    };
    (named("istio-sidecar-injector"), named("istio"))
}

/// The injector settings the install of `manifest` gives istiod for `revision` (`""` is the
/// default revision; use the resolved `spec.revision`).
pub fn injector_settings(
    manifest: &Manifest,
    revision: &str,
) -> Result<InjectorSettings, InjectorSettingsError> {
    let (injector_name, mesh_name) = injector_config_map_names(revision);
    let data = |name: &str, key: &'static str| -> Result<&str, InjectorSettingsError> {
        let cm = manifest
            .objects()
            .find(|o| o.kind() == "ConfigMap" && o.name() == name)
            .ok_or_else(|| InjectorSettingsError::MissingConfigMap { name: name.into() })?;
        cm.value
            .get("data")
            .and_then(|d| d.get(key))
            .and_then(Value::as_str)
            .ok_or_else(|| InjectorSettingsError::MissingKey {
                name: name.into(),
                key,
            })
    };
    let values = serde_json::from_str(data(&injector_name, "values")?).map_err(|source| {
        InjectorSettingsError::Values {
            name: injector_name.clone(),
            source,
        }
    })?;
    Ok(InjectorSettings {
        config: data(&injector_name, "config")?.to_string(),
        values,
        mesh: data(&mesh_name, "mesh")?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GenerateOptions, generate};
    use mesh_profiles::{Inputs, resolve};

    fn manifest(sets: &[&str]) -> Manifest {
        let resolved = resolve(&Inputs::with_sets(sets.iter().copied())).unwrap();
        generate(&resolved, &GenerateOptions::default()).unwrap()
    }

    #[test]
    fn default_install_gives_the_configmaps_texts() {
        let m = manifest(&[]);
        let s = injector_settings(&m, "").unwrap();
        assert!(s.config.contains("templates:"));
        assert_eq!(s.values["revision"], "");
        assert!(s.values["global"].is_object());
        assert!(s.mesh.contains("defaultConfig:"));
    }

    #[test]
    fn revision_picks_the_revisioned_configmaps() {
        let m = manifest(&["revision=canary"]);
        let s = injector_settings(&m, "canary").unwrap();
        assert_eq!(s.values["revision"], "canary");
        let err = injector_settings(&m, "").unwrap_err();
        assert!(
            matches!(&err, InjectorSettingsError::MissingConfigMap { name } if name == "istio-sidecar-injector"),
            "{err}"
        );
    }

    #[test]
    fn user_settings_reach_values_and_mesh() {
        let m = manifest(&[
            "values.global.proxy.holdApplicationUntilProxyStarts=true",
            "meshConfig.defaultConfig.discoveryAddress=elsewhere:15012",
        ]);
        let s = injector_settings(&m, "").unwrap();
        assert_eq!(
            s.values["global"]["proxy"]["holdApplicationUntilProxyStarts"],
            true
        );
        assert!(s.mesh.contains("elsewhere:15012"), "{}", s.mesh);
    }

    #[test]
    fn no_istiod_is_an_error_naming_the_configmap() {
        let m = manifest(&["components.pilot.enabled=false"]);
        let err = injector_settings(&m, "").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the install renders no ConfigMap istio-sidecar-injector (is components.pilot enabled, and is the revision right?)"
        );
    }

    #[test]
    fn config_map_names_follow_the_revision() {
        assert_eq!(
            injector_config_map_names(""),
            ("istio-sidecar-injector".into(), "istio".into())
        );
        assert_eq!(
            injector_config_map_names("1-30"),
            ("istio-sidecar-injector-1-30".into(), "istio-1-30".into())
        );
    }
}
