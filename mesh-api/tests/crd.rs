//! The CRDs mesh-api defines: each type's `CustomResourceExt::crd()` is its CRD with that
//! version and its full validation schema; `crds()` is what `manifest generate` emits (mesh's
//! embedded CRDs); the versions of a kind merge with kube's `merge_crds` into that CRD; typed
//! enumerations and the typed status read and write back resources unchanged.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps,
};
use kube::core::CustomResourceExt;
use kube::core::crd::merge_crds;
use mesh_api::networking::v1::VirtualService;
use mesh_api::networking::{v1, v1alpha3, v1beta1};
use mesh_manifest::RenderContext;
use mesh_manifest::render::crds::render_crds;
use mesh_test_support::same_json;
use serde_json::{Value, json};

/// The schema of `field` below `schema`'s properties, through list items for a `[]` suffix.
fn field<'a>(schema: &'a JSONSchemaProps, path: &str) -> &'a JSONSchemaProps {
    path.split('.').fold(schema, |node, name| {
        let (name, items) = match name.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (name, false),
        };
        let node = &node.properties.as_ref().unwrap()[name];
        match (items, &node.items) {
            (true, Some(k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaPropsOrArray::Schema(item))) => item,
            (true, other) => panic!("{name}: no item schema: {other:?}"),
            (false, _) => node,
        }
    })
}

/// The `openAPIV3Schema` of the only version of `crd`.
fn only_schema(crd: &CustomResourceDefinition) -> &JSONSchemaProps {
    assert_eq!(crd.spec.versions.len(), 1);
    crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .unwrap()
}

#[test]
fn a_kinds_crd_has_its_version_and_validation_schema() {
    let crd = VirtualService::crd();
    assert_eq!(
        VirtualService::crd_name(),
        "virtualservices.networking.istio.io"
    );
    assert_eq!(
        crd.metadata.name.as_deref(),
        Some(VirtualService::crd_name())
    );
    assert_eq!(VirtualService::shortnames(), ["vs"]);
    assert_eq!(VirtualService::api_resource().plural, "virtualservices");
    let version = &crd.spec.versions[0];
    assert_eq!(
        (version.name.as_str(), version.served, version.storage),
        ("v1", true, true)
    );
    let root = only_schema(&crd);
    let weight = field(root, "spec.http[].route[].weight");
    assert_eq!(weight.type_.as_deref(), Some("integer"));
    assert_eq!(weight.format.as_deref(), Some("int32"));
    let port = field(root, "spec.http[].route[].destination.port.number");
    assert_eq!(
        (port.minimum, port.maximum),
        (Some(0.0), Some(4_294_967_295.0))
    );
    let timeout = field(root, "spec.http[].timeout");
    let rules = timeout.x_kubernetes_validations.as_ref().unwrap();
    assert_eq!(rules[0].rule, "duration(self) >= duration('1ms')");
    assert_eq!(
        rules[0].message.as_deref(),
        Some("must be a valid duration greater than 1ms")
    );
    let host = field(root, "spec.http[].route[].destination");
    assert_eq!(host.required.as_deref(), Some(&["host".to_string()][..]));
    // The status is the shared Istio status, open to fields it does not list.
    let status = field(root, "status");
    assert_eq!(status.x_kubernetes_preserve_unknown_fields, Some(true));
}

#[test]
fn every_kinds_crd_is_its_version_of_the_crd_trees() {
    let trees = mesh_api::crd_values();
    for kind in mesh_api::kinds() {
        let crd = serde_json::to_value((kind.crd)()).unwrap();
        let name = format!("{}.{}", kind.plural, kind.group);
        let tree = trees
            .iter()
            .find(|t| t["metadata"]["name"] == name)
            .unwrap();
        let want = tree["spec"]["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == kind.version.as_str())
            .unwrap();
        let got = &crd["spec"]["versions"];
        assert_eq!(got.as_array().unwrap().len(), 1, "{name}");
        let mut want = want.clone();
        want["storage"] = json!(true);
        assert!(same_json(&got[0], &want), "{name} {}", kind.version);
        // All but the versions is the CRD's: names (with short names), group, scope, labels.
        let (mut crd, mut tree) = (crd.clone(), tree.clone());
        crd["spec"]["versions"].take();
        tree["spec"]["versions"].take();
        assert!(same_json(&crd, &tree), "{name}");
    }
}

#[test]
fn the_versions_of_a_kind_merge_into_its_crd() {
    let merged = merge_crds(
        vec![
            v1alpha3::DestinationRule::crd(),
            v1beta1::DestinationRule::crd(),
            v1::DestinationRule::crd(),
        ],
        "v1",
    )
    .unwrap();
    let all = mesh_api::crds()
        .into_iter()
        .find(|c| c.metadata.name == merged.metadata.name)
        .unwrap();
    let mut merged_versions = merged.spec.versions.clone();
    let mut all_versions = all.spec.versions.clone();
    merged_versions.sort_by(|a, b| a.name.cmp(&b.name));
    all_versions.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(merged_versions, all_versions);
    assert_eq!(
        all_versions
            .iter()
            .map(|v| (v.name.as_str(), v.storage))
            .collect::<Vec<_>>(),
        [("v1", true), ("v1alpha3", false), ("v1beta1", false)]
    );
    // One version's CRD can be applied alone: its version is stored.
    let alone = v1alpha3::DestinationRule::crd();
    assert!(alone.spec.versions[0].storage);
    assert_eq!(
        only_schema(&alone),
        only_schema(&v1::DestinationRule::crd())
    );
}

#[test]
fn crds_are_what_manifest_generate_emits() {
    let typed = mesh_api::crds();
    let trees = mesh_api::crd_values();
    assert_eq!(typed.len(), 15);
    for (typed, tree) in typed.iter().zip(trees) {
        assert!(same_json(&serde_json::to_value(typed).unwrap(), tree));
    }
    let ctx = RenderContext::default();
    // With the chart's templates off, the CRDs are printed exactly as defined.
    let untouched = render_crds(&json!({"base": {"enableCRDTemplates": false}}), &ctx).unwrap();
    let untouched: Vec<Value> = untouched.into_iter().map(|o| o.into_value()).collect();
    assert_eq!(untouched, trees);
    // By default the chart replaces their labels with its own, and changes nothing else.
    let installed = render_crds(&json!({}), &ctx).unwrap();
    assert_eq!(installed.len(), trees.len());
    for (installed, tree) in installed.into_iter().zip(trees) {
        let mut installed = installed.into_value();
        assert_eq!(
            installed["metadata"]["labels"]["app.kubernetes.io/part-of"],
            "istio"
        );
        let mut tree = tree.clone();
        installed["metadata"]["labels"].take();
        tree["metadata"]["labels"].take();
        assert_eq!(installed, tree);
    }
}

#[test]
fn enumerations_are_enums_that_keep_unknown_values() {
    use mesh_api::networking::v1::{ServiceEntry, ServiceEntryLocation, ServiceEntryResolution};
    let doc = json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "ServiceEntry",
        "metadata": {"name": "ext"},
        "spec": {"hosts": ["a.example"], "location": "MESH_EXTERNAL", "resolution": "DNS_LATER"}
    });
    let se: ServiceEntry = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(se.spec.location, Some(ServiceEntryLocation::MeshExternal));
    assert_eq!(
        se.spec.resolution,
        Some(ServiceEntryResolution::Other("DNS_LATER".into()))
    );
    assert_eq!(serde_json::to_value(&se).unwrap(), doc);
    assert_eq!(
        ServiceEntryResolution::from("DNS_ROUND_ROBIN"),
        ServiceEntryResolution::DnsRoundRobin
    );
    assert_eq!(
        ServiceEntryResolution::DnsRoundRobin.to_string(),
        "DNS_ROUND_ROBIN"
    );
    assert_eq!(
        ServiceEntryResolution::default(),
        ServiceEntryResolution::None
    );
    assert_eq!(
        ServiceEntryLocation::VALUES,
        ["MESH_EXTERNAL", "MESH_INTERNAL"]
    );
    // A text that is not a string does not read.
    let bad = json!({"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
        "metadata": {"name": "x"}, "spec": {"hosts": ["a"], "location": 1}});
    let err = serde_json::from_value::<ServiceEntry>(bad)
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected a string"), "{err}");
}

#[test]
fn status_is_typed_and_keeps_fields_it_does_not_list() {
    use mesh_api::IstioStatusValidationMessagesLevel as Level;
    let doc = json!({
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "reviews", "generation": 3},
        "spec": {"hosts": ["reviews"]},
        "status": {
            "conditions": [{"type": "Reconciled", "status": "True",
                "lastTransitionTime": "2026-01-02T03:04:05Z", "message": "ok"}],
            "observedGeneration": 3,
            "validationMessages": [
                {"level": "WARNING", "type": {"code": "IST0101", "name": "ReferencedResourceNotFound"},
                 "documentationUrl": "https://istio.io/latest/docs/reference/config/analysis/ist0101/"},
                {"level": "CRITICAL"}
            ],
            "futureField": {"x": [1, 2]}
        }
    });
    let vs: VirtualService = serde_json::from_value(doc.clone()).unwrap();
    let status = vs.status.as_ref().unwrap();
    let conditions = status.conditions.as_ref().unwrap();
    assert_eq!(conditions[0].type_.as_deref(), Some("Reconciled"));
    let messages = status.validation_messages.as_ref().unwrap();
    assert_eq!(messages[0].level, Some(Level::Warning));
    assert_eq!(messages[1].level, Some(Level::Other("CRITICAL".into())));
    assert_eq!(
        messages[0].type_.as_ref().and_then(|t| t.code.as_deref()),
        Some("IST0101")
    );
    assert_eq!(status.other_fields["futureField"], json!({"x": [1, 2]}));
    assert_eq!(serde_json::to_value(&vs).unwrap(), doc);
}
