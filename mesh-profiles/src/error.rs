//! Errors of profile resolution, each naming the input (file, `--set` flag or profile) at fault.

use mesh_core::{SetFlagError, ValidationError, YamlError};

/// Resolving profile + files + `--set` flags failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResolveError {
    /// A file could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        message: String,
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
    /// A `--set` flag could not be parsed.
    #[error(transparent)]
    SetFlag(#[from] SetFlagError),
    /// A `--set` flag could not be applied (selector without match, path through a scalar).
    #[error("--set {flag}: {message}")]
    SetPath {
        /// The flag.
        flag: String,
        /// What went wrong.
        message: String,
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
    /// The configuration is invalid; every problem is listed, each with its source.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<SourcedError>),
    /// The chart values could not be computed.
    #[error("values: {0}")]
    Values(String),
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
