//! The YAML printer round-trips every document of the reference corpus (manifests and injected
//! pods): print, read back, same value. Skipped when `../shared/reference` is absent.

use mesh_core::{from_yaml_str, from_yaml_stream, to_yaml_string};
use std::path::PathBuf;

#[test]
fn every_reference_document_round_trips() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference");
    if !root.is_dir() {
        eprintln!("skipped: no reference corpus");
        return;
    }
    let mut docs = 0;
    for sub in ["manifest", "inject"] {
        for case in std::fs::read_dir(root.join(sub)).unwrap() {
            let file = case.unwrap().path().join("expected.yaml");
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for doc in from_yaml_stream(&text, &file.display().to_string()).unwrap() {
                let printed = to_yaml_string(&doc);
                let back = from_yaml_str(&printed, "printed").unwrap();
                assert_eq!(back, doc, "{}", file.display());
                docs += 1;
            }
        }
    }
    assert!(docs > 1000, "only {docs} documents");
}
