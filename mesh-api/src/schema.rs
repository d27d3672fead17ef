//! Istio's API as mesh describes it: the catalog of kinds (`crds/catalog.yaml`) and their
//! types written in mesh's type language (`crds/schemas/*.yaml`), which `build.rs` expands
//! (with [`catalog`] and [`language`]) into the CRD trees [`crd_values`] returns and the
//! typed resources are generated from.

// Run by build.rs; the crate compiles it only to test the expanded trees against it.
#[cfg(test)]
mod catalog;
// The type language is expanded by build.rs (and the tests); the crate itself uses only
// `structural_problems`.
#[cfg_attr(not(test), allow(dead_code))]
mod language;

use std::sync::OnceLock;

use serde_json::Value;

pub use language::structural_problems;

/// Every CRD mesh installs as a value tree (`mesh_core::Value`, whose maps keep their keys
/// sorted, as mesh prints them), with all its versions and the labels Istio's CRD file
/// carries, in catalog order. Expanded when the crate is built, read on the first call.
pub fn crd_values() -> &'static [Value] {
    static CRDS: OnceLock<Vec<Value>> = OnceLock::new();
    CRDS.get_or_init(|| {
        serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/crds.json")))
            .unwrap_or_else(|e| panic!("mesh-api's build wrote JSON it cannot read back: {e}"))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The catalog built now from the files under version control, as `build.rs` builds it.
    fn built_now() -> Vec<Value> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let read = |name: &str| {
            let text = std::fs::read_to_string(dir.join(name)).map_err(|e| e.to_string())?;
            mesh_core::from_yaml_str(&text, name).map_err(|e| e.to_string())
        };
        catalog::build(&read).unwrap()
    }

    #[test]
    fn embedded_trees_are_what_the_catalog_builds() {
        let trees = crd_values();
        assert_eq!(trees, built_now().as_slice());
        assert_eq!(trees.len(), 15);
        for crd in trees {
            assert!(
                structural_problems(&crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])
                    .is_empty()
            );
        }
    }
}
