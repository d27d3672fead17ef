//! The errors of the chart values model.

use std::sync::Arc;

use super::chart::Chart;

/// A chart values computation that could not be done.
///
/// `Clone` because the embedded data is parsed once and its outcome, error included, is kept.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ValuesError {
    /// An embedded chart data file could not be parsed (a build defect, never user input: the
    /// build converts the YAML files to JSON and checks they round-trip).
    #[error("embedded chart data {file}: {source}")]
    EmbeddedData {
        /// The data file, relative to `mesh-profiles/charts`.
        file: String,
        /// What the parser said (shared, as the parse outcome is cached).
        #[source]
        source: Arc<serde_json::Error>,
    },
    /// An embedded chart data file holds something other than a mapping (a build defect).
    #[error("embedded chart data {file}: expected a mapping, found {found}")]
    EmbeddedNotAMap {
        /// The data file, relative to `mesh-profiles/charts`.
        file: String,
        /// The kind of value found instead.
        found: &'static str,
    },
    /// A value that must be a mapping is something else.
    #[error("{source_name} {path}: expected a mapping, found {found}")]
    NotAMap {
        /// Where the value came from (`IstioOperator`, `chart values of istiod`, ...).
        source_name: String,
        /// The dotted path of the value inside its source.
        path: String,
        /// The kind of value found instead.
        found: &'static str,
    },
    /// A field holds a value of the wrong type.
    #[error("{source_name} {path}: expected {expected}, found {found}")]
    WrongType {
        /// Where the value came from.
        source_name: String,
        /// The dotted path of the value inside its source.
        path: String,
        /// The type the field must have.
        expected: &'static str,
        /// The kind of value found instead.
        found: &'static str,
    },
    /// The helm profile named by `profile` / `global.profile` does not exist.
    #[error("chart values of {chart} profile: unknown profile {name:?}")]
    UnknownProfile {
        /// The chart being rendered.
        chart: Chart,
        /// The profile name as given.
        name: String,
    },
    /// No compatibility profile exists for `compatibilityVersion`.
    #[error(
        "chart values of {chart} compatibilityVersion: unknown compatibility version {version:?}"
    )]
    UnknownCompatibilityVersion {
        /// The chart being rendered.
        chart: Chart,
        /// The version as given.
        version: String,
    },
    /// No platform profile exists for `platform` / `global.platform`.
    #[error("chart values of {chart} global.platform: unknown platform {name:?}")]
    UnknownPlatform {
        /// The chart being rendered.
        chart: Chart,
        /// The platform as given.
        name: String,
    },
    /// The passed values contain a `defaults` key, which the charts refuse.
    #[error(
        "chart values of {chart} defaults: setting values with a `defaults.` prefix is not allowed; set them directly"
    )]
    DefaultsPrefix {
        /// The chart being rendered.
        chart: Chart,
    },
}

/// A short name of a value's kind, for error messages.
pub(crate) fn kind_name(value: &mesh_core::Value) -> &'static str {
    match value {
        mesh_core::Value::Null => "null",
        mesh_core::Value::Bool(_) => "a boolean",
        mesh_core::Value::Number(_) => "a number",
        mesh_core::Value::String(_) => "a string",
        mesh_core::Value::Array(_) => "a list",
        mesh_core::Value::Object(_) => "a mapping",
    }
}
