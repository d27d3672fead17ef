//! The built-in profiles, compiled in, and profiles read from an Istio release folder.

use crate::error::ResolveError;
use mesh_core::suggest::closest;
use std::path::{Path, PathBuf};

/// The hub an Istio 1.30.3 release build of istioctl compiles in.
pub const HUB: &str = "docker.io/istio";
/// The tag an Istio 1.30.3 release build of istioctl compiles in.
pub const TAG: &str = "1.30.3";
/// The Istio version mesh reproduces.
pub const ISTIO_VERSION: &str = "1.30.3";

/// Defines [`BUILTIN`] and [`BUILTIN_JSON`] from one list of profile names.
macro_rules! builtin_profiles {
    ($($name:literal),* $(,)?) => {
        /// The built-in profiles: `(name, YAML text)`, sorted by name.
        pub const BUILTIN: &[(&str, &str)] =
            &[$(($name, include_str!(concat!("../profiles/", $name, ".yaml")))),*];

        /// The built-in profiles as JSON, written by `build.rs` with the YAML parser a run used
        /// to call (so parsing it gives the very same tree): `(name, JSON text)`, in the order
        /// of [`BUILTIN`]. A run parses these rather than the YAML texts.
        const BUILTIN_JSON: &[(&str, &str)] = &[$((
            $name,
            include_str!(concat!(env!("OUT_DIR"), "/profiles/", $name, ".json")),
        )),*];
    };
}

builtin_profiles![
    "ambient",
    "default",
    "demo",
    "empty",
    "minimal",
    "openshift",
    "openshift-ambient",
    "preview",
    "remote",
    "stable",
];

/// The JSON form of built-in profile `name` and its name in messages, when `name` is one.
pub(crate) fn builtin_json(name: &str) -> Option<(String, &'static str)> {
    BUILTIN_JSON
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, json)| (format!("profile {n}"), *json))
}

/// Where profiles come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProfileSource {
    /// mesh's built-in profiles.
    #[default]
    Builtin,
    /// An Istio release's `manifests/` folder (`--manifests DIR`, istioctl's `-d`): profiles are
    /// read from `DIR/profiles/<name>.yaml`.
    Dir(PathBuf),
}

impl ProfileSource {
    /// The names of the available profiles, sorted.
    pub fn names(&self) -> Result<Vec<String>, ResolveError> {
        match self {
            ProfileSource::Builtin => Ok(BUILTIN.iter().map(|(n, _)| (*n).to_string()).collect()),
            ProfileSource::Dir(dir) => {
                let pdir = dir.join("profiles");
                let entries = std::fs::read_dir(&pdir).map_err(|source| ResolveError::Io {
                    path: pdir.clone(),
                    source,
                })?;
                let mut names: Vec<String> = entries
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        e.file_name()
                            .to_str()
                            .and_then(|n| n.strip_suffix(".yaml"))
                            .map(str::to_string)
                    })
                    .collect();
                names.sort();
                Ok(names)
            }
        }
    }

    /// The text of profile `name` and a name for it in messages.
    pub fn read(&self, name: &str) -> Result<(String, String), ResolveError> {
        let unknown = |names: Vec<String>| ResolveError::UnknownProfile {
            name: name.to_string(),
            suggestion: closest(name, names.iter().map(String::as_str)).map(str::to_string),
            available: names.clone(),
        };
        match self {
            ProfileSource::Builtin => BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(n, t)| (format!("profile {n}"), (*t).to_string()))
                .ok_or_else(|| unknown(self.names().unwrap_or_default())),
            ProfileSource::Dir(dir) => {
                if !is_plain_name(name) {
                    return Err(unknown(self.names()?));
                }
                let file = profile_file(dir, name);
                match std::fs::read_to_string(&file) {
                    Ok(text) => Ok((file.display().to_string(), text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        Err(unknown(self.names()?))
                    }
                    Err(source) => Err(ResolveError::Io { path: file, source }),
                }
            }
        }
    }
}

/// A profile name must not walk out of the profiles folder.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && !name.starts_with('.')
}

fn profile_file(dir: &Path, name: &str) -> PathBuf {
    dir.join("profiles").join(format!("{name}.yaml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_names_are_sorted_and_complete() {
        let names = ProfileSource::Builtin.names().unwrap();
        assert_eq!(names.len(), 10);
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }

    #[test]
    fn unknown_profile_suggests_the_closest() {
        let err = ProfileSource::Builtin.read("deafult").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown profile \"deafult\" (did you mean \"default\"?); available: ambient, default, demo, empty, minimal, openshift, openshift-ambient, preview, remote, stable"
        );
    }

    #[test]
    fn builtin_json_is_the_yaml_text_parsed() {
        assert_eq!(BUILTIN.len(), BUILTIN_JSON.len());
        for ((name, yaml), (json_name, json)) in BUILTIN.iter().zip(BUILTIN_JSON) {
            assert_eq!(name, json_name);
            let from_yaml = mesh_core::from_yaml_str(yaml, name).unwrap();
            let from_json: mesh_core::Value = serde_json::from_str(json).unwrap();
            assert_eq!(from_yaml, from_json, "{name}");
        }
    }

    #[test]
    fn dir_source_rejects_path_names() {
        let src = ProfileSource::Dir(PathBuf::from("/nonexistent"));
        assert!(src.read("../etc").is_err());
    }
}
