//! The CRDs as k8s-openapi's typed `CustomResourceDefinition`s: every CRD with all its
//! versions ([`crds`]) and one kind's CRD with one version (what `CustomResourceExt::crd`
//! returns), read from the trees of [`crate::crd_values`].

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::Value;

/// Every CRD mesh installs, typed, with all its versions (served, stored and deprecated as
/// Istio has them), in catalog order. Their labels are the ones Istio's CRD file carries;
/// mesh's installer replaces them with the `base` chart's.
pub fn crds() -> Vec<CustomResourceDefinition> {
    crate::crd_values().iter().map(typed).collect()
}

/// The CRD named `name` with only its version `version`, marked served and stored (a CRD
/// that can be applied alone or merged with `kube::core::crd::merge_crds`).
pub(crate) fn version_crd(name: &str, version: &str) -> CustomResourceDefinition {
    let Some(crd) = crate::crd_values()
        .iter()
        .find(|crd| crd["metadata"]["name"] == name)
    else {
        panic!("mesh-api was generated with a type for a CRD it lacks: {name}");
    };
    let mut crd = crd.clone();
    if let Some(Value::Array(versions)) = crd.pointer_mut("/spec/versions") {
        versions.retain(|v| v["name"] == version);
        for v in versions {
            v["served"] = true.into();
            v["storage"] = true.into();
        }
    }
    typed(&crd)
}

/// A CRD tree as k8s-openapi's type; every tree reads (the crate's tests check them all).
fn typed(crd: &Value) -> CustomResourceDefinition {
    serde_json::from_value(crd.clone()).unwrap_or_else(|e| {
        panic!(
            "CRD {} does not read as a CustomResourceDefinition: {e}",
            crd["metadata"]["name"]
        )
    })
}
