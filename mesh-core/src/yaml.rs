//! YAML in and out of the value tree, with the output conventions of Kubernetes tooling.

use crate::Value;

/// A YAML document that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: invalid YAML: {message}")]
pub struct YamlError {
    /// Where the text came from (a file name, `--set`, `<stdin>`, ...).
    pub source_name: String,
    /// What the parser said, with line and column.
    pub message: String,
}

/// Parses one YAML document into a value tree. An empty document is `null`.
pub fn from_yaml_str(text: &str, source_name: &str) -> Result<Value, YamlError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str::<Value>(text).map_err(|e| YamlError {
        source_name: source_name.to_string(),
        message: e.to_string(),
    })
}

/// Parses a stream of `---`-separated YAML documents; empty documents are dropped.
pub fn from_yaml_stream(text: &str, source_name: &str) -> Result<Vec<Value>, YamlError> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).map_err(|e| YamlError {
        source_name: source_name.to_string(),
        message: e.to_string(),
    })?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Prints a value as a block-style YAML document with sorted keys (no leading `---`), laid out
/// and quoted as Kubernetes tooling prints (see [`crate::yaml_emit`]).
pub fn to_yaml_string(value: &Value) -> String {
    crate::yaml_emit::emit(value)
}
