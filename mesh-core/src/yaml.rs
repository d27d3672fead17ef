//! YAML in and out of the value tree, with the output conventions of Kubernetes tooling.

use crate::Value;

/// A YAML document that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: invalid YAML: {source}")]
pub struct YamlError {
    /// Where the text came from (a file name, `--set`, `<stdin>`, ...).
    pub source_name: String,
    /// What the parser said, with line and column (boxed: the parser's error is large).
    #[source]
    pub source: Box<serde_saphyr::Error>,
}

impl YamlError {
    fn new(source_name: &str, source: serde_saphyr::Error) -> Self {
        YamlError {
            source_name: source_name.to_string(),
            source: Box::new(source),
        }
    }
}

/// Parses one YAML document into a value tree. An empty document is `null`.
pub fn from_yaml_str(text: &str, source_name: &str) -> Result<Value, YamlError> {
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_saphyr::from_str::<Value>(text).map_err(|e| YamlError::new(source_name, e))
}

/// Parses a stream of `---`-separated YAML documents; empty documents are dropped.
pub fn from_yaml_stream(text: &str, source_name: &str) -> Result<Vec<Value>, YamlError> {
    let docs: Vec<Value> =
        serde_saphyr::from_multiple(text).map_err(|e| YamlError::new(source_name, e))?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Prints a value as a block-style YAML document with sorted keys (no leading `---`), laid out
/// and quoted as Kubernetes tooling prints (see [`crate::yaml_emit`]).
pub fn to_yaml_string(value: &Value) -> String {
    crate::yaml_emit::emit(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn errors_name_the_source_and_keep_the_parser_error() {
        let err = from_yaml_str("a: [1", "x.yaml").unwrap_err();
        let parser = err.source().map(ToString::to_string).unwrap_or_default();
        assert_eq!(
            parser,
            "error: line 1 column 4: unclosed bracket '['\n --> <input>:1:4\n  |\n1 | a: [1\n  |    ^ unclosed bracket '['"
        );
        assert_eq!(err.to_string(), format!("x.yaml: invalid YAML: {parser}"));
        let err = from_yaml_stream("a: 1\n---\nb: [", "<stdin>").unwrap_err();
        assert_eq!(err.source_name, "<stdin>");
        assert!(
            err.to_string().starts_with("<stdin>: invalid YAML: "),
            "{err}"
        );
    }
}
