//! One insta snapshot per rendered object of a small custom install (minimal profile, a revision,
//! pilot settings); CRDs are left out here to keep the example small.

use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_manifest::object_snapshots;
use mesh_profiles::{Inputs, resolve};

#[test]
fn my_install_renders_as_reviewed() {
    let inputs = Inputs::with_sets([
        "profile=minimal",
        "revision=blue",
        "values.pilot.replicaCount=2",
        "values.pilot.autoscaleEnabled=false",
    ]);
    let resolved = resolve(&inputs).unwrap();
    let manifest = generate(&resolved, &GenerateOptions::default()).unwrap();
    let objects = manifest
        .objects()
        .filter(|o| o.kind() != "CustomResourceDefinition");
    let snapshots = object_snapshots(objects);
    assert!(
        snapshots
            .iter()
            .any(|s| s.name == "istio-system__deployment__istiod-blue")
    );
    for s in snapshots {
        insta::assert_snapshot!(s.name.as_str(), &s.yaml);
    }
}
