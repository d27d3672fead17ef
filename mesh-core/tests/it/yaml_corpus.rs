//! The YAML printer round-trips every document of the reference corpus (manifests and injected
//! pods): print, read back, same value. Skipped when the reference corpus is absent.

use mesh_core::{from_yaml_str, from_yaml_stream, to_yaml_string};
use mesh_test_support::{reference_path, sub_dirs};

#[test]
fn every_reference_document_round_trips() {
    let (Some(manifest), Some(inject)) = (reference_path("manifest"), reference_path("inject"))
    else {
        return;
    };
    let mut docs = 0;
    for case in [manifest, inject].iter().flat_map(|dir| sub_dirs(dir)) {
        let file = case.join("expected.yaml");
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
    assert!(docs > 1000, "only {docs} documents");
}
