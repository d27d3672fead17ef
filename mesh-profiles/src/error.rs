//! Errors of profile resolution, each naming the input (file, `--set` flag or profile) at fault.

use std::path::PathBuf;

use mesh_core::{SetFlagError, SetPathError, ValidationError, YamlError};

use crate::values::ValuesError;

/// The `apiVersion` of an IstioOperator document.
pub(crate) const API_VERSION: &str = "install.istio.io/v1alpha1";
/// The `kind` of an IstioOperator document.
pub(crate) const KIND: &str = "IstioOperator";

/// Resolving profile + files + `--set` flags failed.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file or profile is not valid YAML.
    #[error(transparent)]
    Yaml(#[from] YamlError),
    /// A file holds more than one document.
    #[error("{file}: holds {count} YAML documents; one IstioOperator per file is supported")]
    MultipleDocuments {
        /// The file.
        file: String,
        /// How many documents it holds.
        count: usize,
    },
    /// A file's top level is not a map.
    #[error("{file}: expected an IstioOperator (a YAML map), got a {found}")]
    NotAMap {
        /// The file.
        file: String,
        /// What it holds instead.
        found: &'static str,
    },
    /// A file holds a Kubernetes object of another kind than IstioOperator.
    #[error(
        "{file}: expected an IstioOperator (apiVersion {API_VERSION}, kind {KIND}), found {found}"
    )]
    WrongKind {
        /// The file.
        file: String,
        /// What it holds instead: `kind Pod (apiVersion v1)`, `kind Pod` or `apiVersion v1`.
        found: String,
    },
    /// A `--set` flag could not be parsed.
    #[error(transparent)]
    SetFlag(#[from] SetFlagError),
    /// A `--set` flag could not be applied (selector without match, path through a scalar).
    #[error("--set {flag}: {source}")]
    SetPath {
        /// The flag.
        flag: String,
        /// What went wrong.
        #[source]
        source: SetPathError,
    },
    /// The requested profile does not exist.
    #[error("unknown profile {name:?}{}; available: {}", suggestion.as_ref().map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default(), available.join(", "))]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The closest available name, if close.
        suggestion: Option<String>,
        /// Every available name.
        available: Vec<String>,
    },
    /// An error about a value one input (a file or a `--set` flag) set, e.g. an unknown profile.
    #[error("{input}: {source}")]
    InInput {
        /// The file name or `--set <flag>`.
        input: String,
        /// The error.
        #[source]
        source: Box<ResolveError>,
    },
    /// The configuration is invalid; every problem is listed, each with its source.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<SourcedError>),
    /// The chart values could not be computed.
    #[error("values: {0}")]
    Values(#[from] ValuesError),
}

/// A validation error with the input it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcedError {
    /// The file name, `--set <flag>`, or `profile <name>`; `None` when it cannot be told.
    pub source: Option<String>,
    /// The error.
    pub error: ValidationError,
}

impl std::fmt::Display for SourcedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Some(s) => write!(f, "{s}: {}", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Inputs, ProfileSource, merge_inputs, resolve};
    use std::error::Error as _;

    /// Checks an error's cause and that its text is `prefix` followed by the cause's text.
    fn assert_cause(e: &ResolveError, prefix: &str, cause: &str) {
        let got = e.source().map(ToString::to_string).unwrap_or_default();
        assert_eq!(got, cause);
        assert_eq!(e.to_string(), format!("{prefix}{cause}"));
    }

    #[test]
    fn io_errors_name_the_path_and_keep_the_os_error() {
        let e = ProfileSource::Dir(PathBuf::from("/nonexistent"))
            .names()
            .unwrap_err();
        assert!(matches!(&e, ResolveError::Io { path, .. } if path.ends_with("profiles")));
        assert_cause(
            &e,
            "/nonexistent/profiles: ",
            "No such file or directory (os error 2)",
        );
    }

    #[test]
    fn a_flag_replacing_an_existing_list_item_is_refused() {
        // istioctl fails on it; appending and setting an item's field work.
        let e = merge_inputs(&Inputs::with_sets([
            "values.revisionTags[0]=a",
            "values.revisionTags[0]=b",
        ]))
        .unwrap_err();
        assert!(matches!(
            &e,
            ResolveError::SetPath {
                source: SetPathError::ReplacesItem { .. },
                ..
            }
        ));
        merge_inputs(&Inputs::with_sets([
            "values.revisionTags[0]=a",
            "values.revisionTags[1]=b",
            "components.ingressGateways[0].name=gw",
            "components.ingressGateways[0].enabled=true",
        ]))
        .unwrap();
    }

    #[test]
    fn set_path_errors_name_the_flag_and_keep_the_path_error() {
        let flag = "components.ingressGateways[name:nope].enabled=true";
        let e = merge_inputs(&Inputs::with_sets([flag])).unwrap_err();
        assert!(matches!(
            &e,
            ResolveError::SetPath { source: SetPathError::NoMatch { key, .. }, .. } if key == "name"
        ));
        assert_cause(
            &e,
            &format!("--set {flag}: "),
            "spec.components.ingressGateways[name:nope].enabled: no list item matches [name:nope]",
        );
    }

    #[test]
    fn values_errors_keep_the_values_error() {
        let e = resolve(&Inputs::with_sets(["unvalidatedValues.profile=nope"])).unwrap_err();
        assert!(matches!(
            &e,
            ResolveError::Values(ValuesError::UnknownProfile { name, .. }) if name == "nope"
        ));
        assert_cause(
            &e,
            "values: ",
            "chart values of base profile: unknown profile \"nope\"",
        );
    }
}
