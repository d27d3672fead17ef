//! Every served version of every CRD mesh installs has a generated type whose
//! `kube::core::Resource` facts (kind, group, version, plural) are the CRD's, and no type
//! exists for anything else.

use std::collections::BTreeSet;

use mesh_manifest::RenderContext;
use mesh_manifest::render::crds::render_crds;
use serde_json::{Value, json};

/// (kind, group, version, plural) of every served version of mesh's embedded CRDs.
fn crd_versions() -> BTreeSet<(String, String, String, String)> {
    let crds = render_crds(&json!({}), &RenderContext::default()).unwrap();
    let mut out = BTreeSet::new();
    for crd in crds {
        let crd = crd.into_value();
        let text = |pointer: &str| {
            crd.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap()
                .to_string()
        };
        for version in crd["spec"]["versions"].as_array().unwrap() {
            if version["served"] == true {
                out.insert((
                    text("/spec/names/kind"),
                    text("/spec/group"),
                    version["name"].as_str().unwrap().to_string(),
                    text("/spec/names/plural"),
                ));
            }
        }
    }
    out
}

#[test]
fn every_served_crd_version_has_a_type_with_its_facts() {
    let crds = crd_versions();
    let types: BTreeSet<_> = mesh_api::kinds()
        .into_iter()
        .map(|k| (k.kind, k.group, k.version, k.plural))
        .collect();
    assert_eq!(types, crds);
    assert_eq!(
        crds.iter()
            .map(|(kind, ..)| kind)
            .collect::<BTreeSet<_>>()
            .len(),
        15
    );
    println!(
        "{} kind/versions of 15 CRDs; {} generated types",
        types.len(),
        mesh_api::GENERATED_TYPES
    );
}

#[test]
fn kube_urls_follow_the_crd_names() {
    use kube::core::Resource;
    use mesh_api::security::v1::AuthorizationPolicy;
    assert_eq!(
        AuthorizationPolicy::url_path(&(), Some("prod")),
        "/apis/security.istio.io/v1/namespaces/prod/authorizationpolicies"
    );
    assert_eq!(
        AuthorizationPolicy::api_version(&()),
        "security.istio.io/v1"
    );
}
