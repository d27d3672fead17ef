//! istiod and base chart branches the reference corpus does not reach, on the charts' real
//! default values (from the values model): revision tags, a remote control plane, JWKS extras,
//! network policy, gateway classes, analysis, tracers, injector templates, bad values, and the
//! typed view of every kind rendered.
//!
//! And the injector and mesh ConfigMaps against the reference's injection settings: each
//! settings folder holds the `istio-sidecar-injector` values and config and the `istio` mesh
//! config that Istio 1.30.3 rendered for some flags or IstioOperator file. The same inputs go
//! through the values model and the Pilot renderer here; templates compare by name only, and
//! mesh configs that the folder edited after rendering (`mesh_edits`) are not compared.

use crate::support::diff;
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding,
    ValidatingWebhookConfiguration,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use mesh_core::{ComponentName, Value};
use mesh_manifest::Object;
use mesh_manifest::render::base::render_base;
use mesh_manifest::render::pilot::render_pilot;
use mesh_manifest::render::{RenderContext, RenderError};
use mesh_profiles::{Chart, ComponentValues, InputFile, Inputs, chart_values};
use serde_json::json;

/// The component values of `chart` when istioctl passes `passed`.
fn values(chart: Chart, passed: Value) -> ComponentValues {
    let effective = chart_values(chart, &passed).unwrap();
    ComponentValues {
        component: chart.component(),
        name: chart.default_instance_name().to_string(),
        namespace: "istio-system".to_string(),
        values: effective,
        original: passed,
        k8s: None,
    }
}

fn pilot(passed: Value) -> Vec<Object> {
    render_pilot(&values(Chart::Istiod, passed), &RenderContext::default()).unwrap()
}

fn base(passed: Value) -> Vec<Object> {
    render_base(&values(Chart::Base, passed), &RenderContext::default()).unwrap()
}

fn find<'a>(objects: &'a [Object], kind: &str, name: &str) -> &'a Object {
    objects
        .iter()
        .find(|o| o.kind() == kind && o.name() == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {:?}", names(objects)))
}

fn names(objects: &[Object]) -> Vec<String> {
    objects
        .iter()
        .map(|o| format!("{}/{}", o.kind(), o.name()))
        .collect()
}

/// Deserializes an object into the k8s-openapi type of its kind.
fn check_typed(o: &Object) {
    let result = match o.kind() {
        "ServiceAccount" => o.typed::<ServiceAccount>().map(drop),
        "ClusterRole" => o.typed::<ClusterRole>().map(drop),
        "ClusterRoleBinding" => o.typed::<ClusterRoleBinding>().map(drop),
        "Role" => o.typed::<Role>().map(drop),
        "RoleBinding" => o.typed::<RoleBinding>().map(drop),
        "ConfigMap" => o.typed::<ConfigMap>().map(drop),
        "Secret" => o.typed::<Secret>().map(drop),
        "MutatingWebhookConfiguration" => o.typed::<MutatingWebhookConfiguration>().map(drop),
        "ValidatingWebhookConfiguration" => o.typed::<ValidatingWebhookConfiguration>().map(drop),
        "ValidatingAdmissionPolicy" => o.typed::<ValidatingAdmissionPolicy>().map(drop),
        "ValidatingAdmissionPolicyBinding" => {
            o.typed::<ValidatingAdmissionPolicyBinding>().map(drop)
        }
        "Deployment" => o.typed::<Deployment>().map(drop),
        "HorizontalPodAutoscaler" => o.typed::<HorizontalPodAutoscaler>().map(drop),
        "PodDisruptionBudget" => o.typed::<PodDisruptionBudget>().map(drop),
        "Service" => o.typed::<Service>().map(drop),
        "EndpointSlice" => o.typed::<EndpointSlice>().map(drop),
        "NetworkPolicy" => o.typed::<NetworkPolicy>().map(drop),
        // A Prometheus-operator CRD: no k8s-openapi type exists.
        "ServiceMonitor" => Ok(()),
        other => panic!("unexpected kind {other}"),
    };
    if let Err(e) = result {
        panic!("{} {}: {e}", o.kind(), o.name());
    }
}

#[test]
fn every_kind_rendered_deserializes_into_its_typed_struct() {
    let everything = json!({
        "revision": "canary",
        "revisionTags": ["default", "prod"],
        "autoscaleMin": 2,
        "jwksResolverExtraRootCA": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "jwksResolverCert": "cert",
        "jwksResolverKey": "key",
        "gatewayClasses": {"istio": {"service": {"spec": {"type": "ClusterIP"}}}},
        "experimental": {"stableValidationPolicy": true},
        "serviceMonitor": {"enabled": true},
        "istiodRemote": {"enabled": true, "enabledLocalInjectorIstiod": true},
        "global": {
            "remotePilotAddress": "10.1.2.3",
            "configCluster": true,
            "networkPolicy": {"enabled": true},
            "imagePullSecrets": ["regcred"],
        },
    });
    let mut objects = pilot(everything);
    // A remote cluster keeps no disruption budget: render a local one for it.
    objects.extend(pilot(json!({"autoscaleMin": 2})));
    let kinds: std::collections::BTreeSet<&str> = objects.iter().map(Object::kind).collect();
    for kind in [
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "ConfigMap",
        "Secret",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Service",
        "EndpointSlice",
        "NetworkPolicy",
        "ServiceMonitor",
    ] {
        assert!(
            kinds.contains(kind),
            "no {kind} rendered: {:?}",
            names(&objects)
        );
    }
    for o in &objects {
        assert_eq!(o.component, Some(ComponentName::Pilot));
        check_typed(o);
    }
    let base_objects = base(json!({
        "defaultRevision": "canary",
        "experimental": {"stableValidationPolicy": true},
    }));
    assert_eq!(base_objects.len(), 4, "{:?}", names(&base_objects));
    for o in &base_objects {
        assert_eq!(o.component, Some(ComponentName::Base));
        check_typed(o);
    }
}

#[test]
fn revision_tags_get_their_own_webhooks_and_services() {
    let objects = pilot(json!({"revisionTags": ["default", "prod"]}));
    let default_tag = find(
        &objects,
        "MutatingWebhookConfiguration",
        "istio-revision-tag-default",
    );
    let prod_tag = find(
        &objects,
        "MutatingWebhookConfiguration",
        "istio-revision-tag-prod",
    );
    let hooks = |o: &Object| -> Vec<String> {
        o.value["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(hooks(default_tag).len(), 4);
    assert_eq!(
        hooks(prod_tag),
        [
            "rev.namespace.sidecar-injector.istio.io",
            "rev.object.sidecar-injector.istio.io"
        ]
    );
    assert_eq!(
        prod_tag
            .value
            .pointer("/webhooks/0/namespaceSelector/matchExpressions/0/values/0"),
        Some(&json!("prod"))
    );
    assert_eq!(
        prod_tag.value.pointer("/metadata/labels/istio.io~1tag"),
        Some(&json!("prod"))
    );
    let svc = find(&objects, "Service", "istiod-revision-tag-prod");
    assert_eq!(
        svc.value["spec"]["selector"],
        json!({"app": "istiod", "istio": "pilot"})
    );
    // Istio 1.30's charts render no validating webhook per tag.
    assert!(
        !objects
            .iter()
            .any(|o| o.kind() == "ValidatingWebhookConfiguration"
                && o.name().starts_with("istio-revision-tag-")),
        "{:?}",
        names(&objects)
    );
}

#[test]
fn a_remote_cluster_points_at_the_external_control_plane() {
    let objects = pilot(json!({
        "profile": "remote",
        "global": {"remotePilotAddress": "istiod.example.com"},
    }));
    let svc = find(&objects, "Service", "istiod");
    assert_eq!(svc.value["spec"]["type"], json!("ExternalName"));
    assert_eq!(
        svc.value["spec"]["externalName"],
        json!("istiod.example.com")
    );
    assert!(
        objects
            .iter()
            .all(|o| o.kind() != "Deployment" && o.kind() != "EndpointSlice")
    );
    let reader = find(
        &objects,
        "ClusterRole",
        "istio-reader-clusterrole-istio-system",
    );
    let rules = reader.value["rules"].as_array().unwrap();
    assert!(
        rules
            .iter()
            .any(|r| r["resources"] == json!(["mutatingwebhookconfigurations"]))
    );

    let with_ip = pilot(json!({
        "profile": "remote",
        "global": {"remotePilotAddress": "10.0.0.7"},
    }));
    let slice = find(&with_ip, "EndpointSlice", "istiod");
    assert_eq!(
        slice.value["endpoints"][0]["addresses"],
        json!(["10.0.0.7"])
    );
    assert!(
        find(&with_ip, "Service", "istiod").value["spec"]
            .get("type")
            .is_none()
    );
}

#[test]
fn the_remote_istiod_stand_in_needs_a_remote_cluster() {
    // A primary with a remote pilot address keeps its own istiod Service and no stand-in.
    let objects = pilot(json!({"global": {"remotePilotAddress": "istiod.example.com"}}));
    let svc = find(&objects, "Service", "istiod");
    assert!(svc.value["spec"].get("type").is_none());
    assert_eq!(
        objects
            .iter()
            .filter(|o| o.kind() == "Service" && o.name() == "istiod")
            .count(),
        1
    );
    // An IPv6 address is an address too: an EndpointSlice of type IPv6, no ExternalName.
    let v6 = pilot(json!({"profile": "remote", "global": {"remotePilotAddress": "fd00::7"}}));
    assert!(
        find(&v6, "Service", "istiod").value["spec"]
            .get("type")
            .is_none()
    );
    assert_eq!(
        find(&v6, "EndpointSlice", "istiod").value["addressType"],
        json!("IPv6")
    );
}

#[test]
fn a_remote_config_cluster_binds_istiod_roles() {
    let objects = pilot(json!({"profile": "remote", "global": {"configCluster": true}}));
    find(
        &objects,
        "ClusterRoleBinding",
        "istiod-clusterrole-istio-system",
    );
    find(
        &objects,
        "ClusterRoleBinding",
        "istiod-gateway-controller-istio-system",
    );
}

#[test]
fn reader_rbac_can_be_turned_off() {
    let off = json!({"global": {"enableReaderRBAC": false}});
    let objects = pilot(off.clone());
    assert!(
        objects
            .iter()
            .all(|o| !o.name().starts_with("istio-reader"))
    );
    let objects = base(off);
    assert!(
        objects
            .iter()
            .all(|o| !o.name().starts_with("istio-reader"))
    );
    let objects = base(json!({}));
    find(&objects, "ServiceAccount", "istio-reader-service-account");
}

#[test]
fn the_mesh_config_follows_tracer_remote_address_and_mesh_config() {
    let objects = pilot(json!({
        "global": {"proxy": {"tracer": "zipkin"}, "remotePilotAddress": "10.0.0.7"},
        "meshConfig": {"defaultConfig": {"holdApplicationUntilProxyStarts": true}},
    }));
    let cm = find(&objects, "ConfigMap", "istio");
    let mesh =
        mesh_core::from_yaml_str(cm.value["data"]["mesh"].as_str().unwrap(), "mesh").unwrap();
    assert_eq!(
        mesh["defaultConfig"]["tracing"],
        json!({"zipkin": {"address": "zipkin.istio-system:9411"}})
    );
    assert_eq!(
        mesh["defaultConfig"]["discoveryAddress"],
        json!("istiod.istio-system.svc:15012")
    );
    assert_eq!(
        mesh["defaultConfig"]["holdApplicationUntilProxyStarts"],
        json!(true)
    );
    assert_eq!(cm.value["data"]["meshNetworks"], json!("networks: {}"));

    let networks =
        pilot(json!({"global": {"meshNetworks": {"n1": {"gateways": [{"port": 15443}]}}}}));
    let text = find(&networks, "ConfigMap", "istio").value["data"]["meshNetworks"].clone();
    let parsed = mesh_core::from_yaml_str(text.as_str().unwrap(), "meshNetworks").unwrap();
    assert_eq!(
        parsed,
        json!({"networks": {"n1": {"gateways": [{"port": 15443}]}}})
    );
}

#[test]
fn analysis_and_the_gateway_controller_switch_change_rbac() {
    let objects = pilot(json!({
        "global": {"istiod": {"enableAnalysis": true}},
        "env": {"PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER": false},
    }));
    let role = find(&objects, "ClusterRole", "istiod-clusterrole-istio-system");
    let rules = role.value["rules"].as_array().unwrap();
    assert!(rules.iter().any(|r| {
        r["resources"]
            .as_array()
            .unwrap()
            .contains(&json!("sidecars/status"))
    }));
    assert!(
        rules
            .iter()
            .any(|r| r["apiGroups"] == json!(["extensions", "networking.k8s.io"]))
    );
    assert!(
        !objects
            .iter()
            .any(|o| o.name().starts_with("istiod-gateway-controller"))
    );
}

#[test]
fn user_injection_templates_replace_builtin_ones() {
    let objects = pilot(json!({"sidecarInjectorWebhook": {
        "templates": {"sidecar": "spec: {}\n", "custom": "metadata: {}\n"},
        "defaultTemplates": ["sidecar", "custom"],
        "injectedAnnotations": {"a.example.com/x": 1},
    }}));
    let cm = find(&objects, "ConfigMap", "istio-sidecar-injector");
    let config =
        mesh_core::from_yaml_str(cm.value["data"]["config"].as_str().unwrap(), "config").unwrap();
    assert_eq!(config["defaultTemplates"], json!(["sidecar", "custom"]));
    assert_eq!(config["templates"]["sidecar"], json!("spec: {}\n"));
    assert_eq!(config["templates"]["custom"], json!("metadata: {}\n"));
    assert!(
        config["templates"]["gateway"]
            .as_str()
            .unwrap()
            .contains("mesh-inject")
    );
    assert_eq!(
        config["injectedAnnotations"],
        json!({"a.example.com/x": "1"})
    );
    let values: Value = serde_json::from_str(cm.value["data"]["values"].as_str().unwrap()).unwrap();
    assert_eq!(
        values["sidecarInjectorWebhook"]["defaultTemplates"],
        json!(["sidecar", "custom"])
    );
}

#[test]
fn deployment_settings_reach_the_pod() {
    let objects = pilot(json!({"pilot": {
        "nodeSelector": {"disk": "ssd"},
        "tolerations": [{"key": "dedicated", "operator": "Exists"}],
        "podLabels": {"team": "mesh"},
        "podAnnotations": {"a": "b"},
        "env": {"CA_TRUSTED_NODE_ACCOUNTS": "x/y"},
        "taint": {"enabled": true, "namespace": "kube-system"},
        "jwksResolverExtraRootCA": "pem",
        "image": "registry.example.com/custom/pilot:dev",
    }}));
    let d = &find(&objects, "Deployment", "istiod").value;
    let pod = &d["spec"]["template"];
    assert_eq!(pod["spec"]["nodeSelector"], json!({"disk": "ssd"}));
    assert_eq!(pod["spec"]["tolerations"].as_array().unwrap().len(), 2);
    assert_eq!(pod["metadata"]["labels"]["team"], json!("mesh"));
    assert_eq!(pod["metadata"]["annotations"]["a"], json!("b"));
    let c = &pod["spec"]["containers"][0];
    assert_eq!(c["image"], json!("registry.example.com/custom/pilot:dev"));
    let env: Vec<&Value> = c["env"].as_array().unwrap().iter().collect();
    let trusted: Vec<&&Value> = env
        .iter()
        .filter(|e| e["name"] == "CA_TRUSTED_NODE_ACCOUNTS")
        .collect();
    assert_eq!(trusted.len(), 1);
    assert_eq!(trusted[0]["value"], json!("x/y"));
    assert!(
        env.iter()
            .any(|e| e["name"] == "PILOT_ENABLE_NODE_UNTAINT_CONTROLLERS")
    );
    assert!(
        c["args"]
            .as_array()
            .unwrap()
            .contains(&json!("--cniNamespace=kube-system"))
    );
    assert!(
        pod["spec"]["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["name"] == "extracacerts")
    );
    let taint_rule =
        find(&objects, "ClusterRole", "istiod-clusterrole-istio-system").value["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["resources"] == json!(["nodes"]) && r["verbs"] == json!(["patch"]));
    assert!(taint_rule);
    find(&objects, "ConfigMap", "pilot-jwks-extra-cacerts");
}

#[test]
fn values_the_charts_notes_refuse_are_errors() {
    for passed in [
        json!({"global": {"pilotCertProvider": "kubernetes"}}),
        json!({"global": {"tracer": {"stackdriver": {"debug": false}}}}),
        json!({"meshConfig": {"defaultConfig": {"tracing": {"stackdriver": {"debug": true}}}}}),
    ] {
        let cv = values(Chart::Istiod, passed.clone());
        let err = render_pilot(&cv, &RenderContext::default()).unwrap_err();
        assert!(
            matches!(err, RenderError::BadValue { .. }),
            "{passed}: {err}"
        );
    }
    pilot(json!({"global": {"pilotCertProvider": "istiod"}}));
}

#[test]
fn istiod_resources_print_like_the_charts_helper() {
    let objects = pilot(json!({"pilot": {"resources": {"requests": {"cpu": "1", "memory": ""}}}}));
    let dep = find(&objects, "Deployment", "istiod");
    assert_eq!(
        dep.value["spec"]["template"]["spec"]["containers"][0]["resources"],
        json!({"requests": {"cpu": 1}})
    );
}

#[test]
fn bad_values_are_typed_errors_naming_the_path() {
    let mut cv = values(Chart::Istiod, json!({}));
    cv.values["env"] = json!(["not", "a", "map"]);
    let err = render_pilot(&cv, &RenderContext::default()).unwrap_err();
    assert!(
        matches!(&err, RenderError::BadValue { path, .. } if path == "env"),
        "{err}"
    );
    assert!(err.to_string().contains("values.env"), "{err}");

    let mut cv = values(Chart::Base, json!({}));
    cv.values["global"]["imagePullSecrets"] = json!("regcred");
    let err = render_base(&cv, &RenderContext::default()).unwrap_err();
    assert!(err.to_string().contains("global.imagePullSecrets"), "{err}");
}

#[test]
fn base_renders_the_default_revision_validator() {
    let objects = base(json!({"defaultRevision": "default"}));
    let vwc = find(
        &objects,
        "ValidatingWebhookConfiguration",
        "istiod-default-validator",
    );
    assert_eq!(
        vwc.value.pointer("/webhooks/0/clientConfig/service/name"),
        Some(&json!("istiod"))
    );
    assert_eq!(
        vwc.value.pointer("/webhooks/0/failurePolicy"),
        Some(&json!("Ignore"))
    );
    let canary = base(json!({"defaultRevision": "canary", "base": {"validationCABundle": "Q0E="}}));
    let vwc = find(
        &canary,
        "ValidatingWebhookConfiguration",
        "istiod-default-validator",
    );
    assert_eq!(
        vwc.value.pointer("/webhooks/0/clientConfig/service/name"),
        Some(&json!("istiod-canary"))
    );
    assert_eq!(
        vwc.value.pointer("/webhooks/0/failurePolicy"),
        Some(&json!("Fail"))
    );
    let none = base(json!({"defaultRevision": ""}));
    assert_eq!(
        names(&none),
        ["ServiceAccount/istio-reader-service-account"]
    );
}

// ---- injection settings ----------------------------------------------------------------------

/// The inputs a settings folder was rendered with (its `source.yaml`).
fn settings_inputs(dir: &std::path::Path, source: &Value) -> Inputs {
    let how = &source["getInjectionSettings"];
    let mut inputs = Inputs::default();
    if how["file"].is_string() {
        inputs.files.push(InputFile {
            name: "iop.yaml".to_string(),
            text: mesh_test_support::read(&dir.join("iop.yaml")),
        });
    }
    // Istio's test binary was built with this hub and tag compiled in.
    inputs
        .set_flags
        .push("hub=registry.istio.io/testing".to_string());
    inputs.set_flags.push("tag=latest".to_string());
    for flag in how["set"].as_array().unwrap() {
        inputs.set_flags.push(flag.as_str().unwrap().to_string());
    }
    inputs
}

/// An injector config with every template body replaced by a marker.
fn templates_by_name(mut config: Value) -> Value {
    if let Some(Value::Object(templates)) = config.get_mut("templates") {
        for body in templates.values_mut() {
            *body = json!("<body>");
        }
    }
    config
}

fn data<'a>(objects: &'a [Object], name: &str, key: &str) -> &'a str {
    objects
        .iter()
        .find(|o| o.kind() == "ConfigMap" && o.name() == name)
        .and_then(|o| o.value.pointer(&format!("/data/{key}")))
        .and_then(Value::as_str)
        .unwrap()
}

#[test]
fn injector_and_mesh_config_match_every_settings_folder() {
    let Some(settings) = mesh_test_support::reference_path("settings") else {
        return;
    };
    let folders = mesh_test_support::sub_dirs(&settings);
    let mut failures = Vec::new();
    for dir in folders {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let read = |file: &str| mesh_test_support::read(&dir.join(file));
        let source = mesh_core::from_yaml_str(&read("source.yaml"), "source.yaml").unwrap();
        let operator = mesh_profiles::merge_inputs(&settings_inputs(&dir, &source)).unwrap();
        let components = mesh_profiles::component_values(&operator).unwrap();
        let cv = components
            .iter()
            .find(|c| c.component == ComponentName::Pilot)
            .unwrap();
        let objects = render_pilot(cv, &RenderContext::default()).unwrap();

        let mut problems = Vec::new();
        let want_values: Value = serde_json::from_str(&read("values.json")).unwrap();
        let got_values: Value =
            serde_json::from_str(data(&objects, "istio-sidecar-injector", "values")).unwrap();
        problems.extend(diff(&want_values, &got_values));

        let want_config = mesh_core::from_yaml_str(&read("inject-config.yaml"), "config").unwrap();
        let got_config =
            mesh_core::from_yaml_str(data(&objects, "istio-sidecar-injector", "config"), "config")
                .unwrap();
        problems.extend(diff(
            &templates_by_name(want_config),
            &templates_by_name(got_config),
        ));

        if source.get("mesh_edits").is_none() {
            let want_mesh = mesh_core::from_yaml_str(&read("mesh.yaml"), "mesh").unwrap();
            let got_mesh =
                mesh_core::from_yaml_str(data(&objects, "istio", "mesh"), "mesh").unwrap();
            problems.extend(diff(&want_mesh, &got_mesh));
        }
        eprintln!("{name}: {} differences", problems.len());
        if !problems.is_empty() {
            failures.push(format!("{name}:\n  {}", problems.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
