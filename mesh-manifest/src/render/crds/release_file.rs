//! Reading an Istio release's CRD file (`crd-all.gen.yaml`) given by `--manifests DIR`.

use mesh_core::Value;

use crate::render::{CrdFileProblem, RenderError};

/// The documents of the CRD file `name`, each checked to be an object with a `metadata.name`.
pub(super) fn parse(name: &str, text: &str) -> Result<Vec<Value>, RenderError> {
    let docs = mesh_core::from_yaml_stream(text, name).map_err(|e| RenderError::CrdFile {
        name: name.to_string(),
        problem: CrdFileProblem::Yaml(e),
    })?;
    for (index, doc) in docs.iter().enumerate() {
        if doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .is_none()
        {
            return Err(RenderError::CrdFile {
                name: name.to_string(),
                problem: CrdFileProblem::Unnamed {
                    document: index + 1,
                },
            });
        }
    }
    Ok(docs)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_documents_and_names_bad_ones() {
        let docs = parse(
            "f.yaml",
            "# c\nmetadata: {name: a}\n---\nmetadata: {name: b}\n",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        let err = parse("f.yaml", "metadata: {name: a}\n---\nkind: X\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.yaml: document 2: metadata.name: missing or not a string"
        );
        let err = parse("f.yaml", "a: [\n").unwrap_err();
        assert!(err.to_string().starts_with("f.yaml: "), "{err}");
    }
}
