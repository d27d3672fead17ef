//! Branches of the gateway charts that the reference cases do not all reach, checked on values
//! passed straight to the chart; and every object the gateway, CNI and ztunnel renderers
//! produce reads back as its typed k8s-openapi struct (custom resources excepted), across
//! profiles and value variants.

use crate::support::charts::*;
use crate::support::manifest_cases;
use crate::support::manifest_dir;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, ResourceQuota, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use mesh_core::ComponentName;
use mesh_manifest::Object;
use mesh_manifest::render::gateway::render_gateway;
use mesh_manifest::render::{RenderContext, RenderError};
use serde_json::{Value, json};

fn ingress(gw: Value, global: Value, namespace: &str) -> Vec<mesh_manifest::Object> {
    let passed = json!({"gateways": {"istio-ingressgateway": gw}, "global": global});
    render_mine(&[direct_values(
        ComponentName::IngressGateways,
        passed,
        namespace,
    )])
}

#[test]
fn fixed_replicas_drop_the_autoscaler_and_add_a_disruption_budget() {
    let objs = ingress(
        json!({"autoscaleEnabled": false, "replicaCount": 3}),
        json!({}),
        "istio-system",
    );
    let dep = find(&objs, "Deployment", "istio-ingressgateway").unwrap();
    assert_eq!(dep["spec"]["replicas"], 3);
    assert!(find(&objs, "HorizontalPodAutoscaler", "istio-ingressgateway").is_none());
    let pdb = find(&objs, "PodDisruptionBudget", "istio-ingressgateway").unwrap();
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"],
        json!({"app": "istio-ingressgateway", "istio": "ingressgateway"})
    );
}

#[test]
fn a_single_autoscaled_replica_gets_no_disruption_budget() {
    let objs = ingress(json!({}), json!({}), "istio-system");
    assert!(find(&objs, "HorizontalPodAutoscaler", "istio-ingressgateway").is_some());
    assert!(find(&objs, "PodDisruptionBudget", "istio-ingressgateway").is_none());
    let objs = ingress(json!({"autoscaleMin": 2}), json!({}), "istio-system");
    assert!(find(&objs, "PodDisruptionBudget", "istio-ingressgateway").is_some());
}

#[test]
fn root_gateways_drop_every_non_root_setting() {
    let objs = ingress(json!({"runAsRoot": true}), json!({}), "istio-system");
    let dep = find(&objs, "Deployment", "istio-ingressgateway").unwrap();
    let pod = &dep["spec"]["template"]["spec"];
    assert!(pod.get("securityContext").is_none());
    assert!(pod["containers"][0].get("securityContext").is_none());
    assert!(env_of(dep, "ISTIO_META_UNPRIVILEGED_POD").is_none());
}

#[test]
fn openshift_leaves_the_user_ids_to_the_platform() {
    let objs = ingress(json!({}), json!({"platform": "openshift"}), "istio-system");
    let dep = find(&objs, "Deployment", "istio-ingressgateway").unwrap();
    assert_eq!(
        dep["spec"]["template"]["spec"]["securityContext"],
        json!({"runAsNonRoot": true})
    );
}

#[test]
fn service_annotations_are_quoted_and_absent_ones_print_null() {
    let objs = ingress(
        json!({"serviceAnnotations": {"lb/port": 8080, "lb/internal": true}}),
        json!({}),
        "istio-system",
    );
    let svc = find(&objs, "Service", "istio-ingressgateway").unwrap();
    assert_eq!(
        svc["metadata"]["annotations"],
        json!({"lb/port": "8080", "lb/internal": "true"})
    );
    let objs = ingress(json!({}), json!({}), "istio-system");
    let svc = find(&objs, "Service", "istio-ingressgateway").unwrap();
    assert_eq!(svc["metadata"]["annotations"], Value::Null);
}

#[test]
fn legacy_pod_labels_only_in_istio_system() {
    for (ns, legacy) in [("istio-system", true), ("gateways", false)] {
        let objs = ingress(json!({}), json!({}), ns);
        let dep = find(&objs, "Deployment", "istio-ingressgateway").unwrap();
        let labels = &dep["spec"]["template"]["metadata"]["labels"];
        assert_eq!(labels.get("heritage").is_some(), legacy, "{ns}");
        assert_eq!(labels.get("chart").is_some(), legacy, "{ns}");
        assert_eq!(dep["metadata"]["namespace"], ns);
    }
}

#[test]
fn injection_template_leaves_the_proxy_to_the_injector() {
    let objs = ingress(
        json!({"injectionTemplate": "gateway"}),
        json!({}),
        "istio-system",
    );
    let dep = find(&objs, "Deployment", "istio-ingressgateway").unwrap();
    let pod = &dep["spec"]["template"];
    assert_eq!(pod["spec"]["containers"][0]["image"], "auto");
    assert_eq!(pod["metadata"]["labels"]["sidecar.istio.io/inject"], "true");
    assert_eq!(
        pod["metadata"]["annotations"]["inject.istio.io/templates"],
        "gateway"
    );
}

#[test]
fn injection_template_pod_carries_canonical_and_chart_labels_and_no_dataplane_opt_out() {
    // Istio 1.30's injected-deployment template: the Deployment has no
    // `istio.io/dataplane-mode: none`, the pod has the canonical-service and chart labels.
    let objs = ingress(
        json!({"injectionTemplate": "gateway", "labels": {"app": "istio-ingressgateway", "istio": "ingressgateway", "version": "v2"}}),
        json!({}),
        "istio-system",
    );
    let dep = find(&objs, "Deployment", "istio-ingressgateway").unwrap();
    assert!(
        dep["metadata"]["labels"]
            .get("istio.io/dataplane-mode")
            .is_none()
    );
    let labels = &dep["spec"]["template"]["metadata"]["labels"];
    assert_eq!(
        labels["service.istio.io/canonical-name"],
        "istio-ingressgateway"
    );
    assert_eq!(labels["service.istio.io/canonical-revision"], "v2");
    assert_eq!(labels["app.kubernetes.io/name"], "istio-ingressgateway");
    assert_eq!(labels["app.kubernetes.io/part-of"], "istio");
    // The router variant keeps the opt-out.
    let objs = ingress(json!({}), json!({}), "istio-system");
    let dep = find(&objs, "Deployment", "istio-ingressgateway").unwrap();
    assert_eq!(dep["metadata"]["labels"]["istio.io/dataplane-mode"], "none");
}

#[test]
fn the_autoscaler_targets_cpu_only() {
    let objs = ingress(
        json!({"cpu": {"targetAverageUtilization": 60}, "memory": {"targetAverageUtilization": 70}}),
        json!({}),
        "istio-system",
    );
    let hpa = find(&objs, "HorizontalPodAutoscaler", "istio-ingressgateway").unwrap();
    assert_eq!(
        hpa["spec"]["metrics"],
        json!([{"type": "Resource", "resource": {"name": "cpu",
            "target": {"type": "Utilization", "averageUtilization": 60}}}])
    );
}

#[test]
fn resources_print_like_the_charts_helper() {
    // Only limits/requests, only non-empty entries, printed unquoted ("1" reads back as 1).
    for injection in ["", "gateway"] {
        let objs = ingress(
            json!({"injectionTemplate": injection, "resources": {
                "requests": {"cpu": "1", "memory": ""}, "limits": {"cpu": ""}, "claims": [{"name": "x"}]}}),
            json!({}),
            "istio-system",
        );
        let dep = find(&objs, "Deployment", "istio-ingressgateway").unwrap();
        assert_eq!(
            dep["spec"]["template"]["spec"]["containers"][0]["resources"],
            // limits.memory is the chart's default
            json!({"requests": {"cpu": 1}, "limits": {"memory": "1024Mi"}}),
            "{injection:?}"
        );
    }
}

#[test]
fn network_and_mesh_identity_reach_the_proxy_environment() {
    let global =
        json!({"network": "net1", "meshID": "mesh1", "multiCluster": {"clusterName": "c1"}});
    let objs = ingress(json!({}), global.clone(), "istio-system");
    let dep = find(&objs, "Deployment", "istio-ingressgateway").unwrap();
    assert_eq!(env_of(dep, "ISTIO_META_NETWORK").unwrap()["value"], "net1");
    assert_eq!(env_of(dep, "ISTIO_META_MESH_ID").unwrap()["value"], "mesh1");
    assert_eq!(env_of(dep, "ISTIO_META_CLUSTER_ID").unwrap()["value"], "c1");
    // The gateway's own network setting wins over the global one.
    let objs = ingress(
        json!({"env": {"ISTIO_META_NETWORK": "own"}}),
        global,
        "istio-system",
    );
    let dep = find(&objs, "Deployment", "istio-ingressgateway").unwrap();
    let env = dep["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    let networks: Vec<&Value> = env
        .iter()
        .filter(|e| e["name"] == "ISTIO_META_NETWORK")
        .collect();
    assert_eq!(
        networks,
        vec![&json!({"name": "ISTIO_META_NETWORK", "value": "own"})]
    );
}

#[test]
fn images_follow_hub_tag_variant_and_full_image_names() {
    let objs = ingress(
        json!({"tag": "1.2.3-gw"}),
        json!({"hub": "example.com/istio", "variant": "distroless"}),
        "istio-system",
    );
    let dep = find(&objs, "Deployment", "istio-ingressgateway").unwrap();
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"][0]["image"],
        "example.com/istio/proxyv2:1.2.3-gw-distroless"
    );
    let objs = ingress(
        json!({}),
        json!({"proxy": {"image": "mirror.example.com/proxy:v1"}}),
        "istio-system",
    );
    let dep = find(&objs, "Deployment", "istio-ingressgateway").unwrap();
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"][0]["image"],
        "mirror.example.com/proxy:v1"
    );
}

#[test]
fn node_affinity_comes_from_architectures_and_node_selectors() {
    let objs = ingress(
        json!({"nodeSelector": {"disk": "ssd"}}),
        json!({"arch": {"amd64": 3, "s390x": 0}}),
        "istio-system",
    );
    let dep = find(&objs, "Deployment", "istio-ingressgateway").unwrap();
    let node = &dep["spec"]["template"]["spec"]["affinity"]["nodeAffinity"];
    assert_eq!(
        node["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"],
        json!([
            {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
            {"key": "disk", "operator": "In", "values": ["ssd"]},
        ])
    );
    assert_eq!(
        node["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"],
        3
    );
}

#[test]
fn egress_names_its_objects_after_the_gateway() {
    let passed = json!({"gateways": {"istio-egressgateway": {"name": "out"}}});
    let objs = render_mine(&[direct_values(
        ComponentName::EgressGateways,
        passed,
        "egress",
    )]);
    let names: Vec<String> = objs
        .iter()
        .map(|o| format!("{}/{}", o.kind(), o.name()))
        .collect();
    assert_eq!(
        names,
        [
            "ServiceAccount/out-service-account",
            "Deployment/out",
            "Role/out-sds",
            "RoleBinding/out-sds",
            "HorizontalPodAutoscaler/out",
            "Service/out",
        ]
    );
    assert!(
        objs.iter()
            .all(|o| o.component == Some(ComponentName::EgressGateways))
    );
}

#[test]
fn malformed_values_are_errors_naming_the_path() {
    let passed = json!({"gateways": {"istio-ingressgateway": {"ports": "80"}}});
    let cv = direct_values(ComponentName::IngressGateways, passed, "istio-system");
    let err = render_gateway(&cv, &RenderContext::default()).unwrap_err();
    let RenderError::BadValue { path, .. } = &err else {
        panic!("unexpected error {err}");
    };
    assert_eq!(path, "gateways.istio-ingressgateway.ports");

    let mut cv = direct_values(ComponentName::IngressGateways, json!({}), "istio-system");
    cv.component = ComponentName::Cni;
    assert!(render_gateway(&cv, &RenderContext::default()).is_err());
}

// ---- typed views ---------------------------------------------------------------------------

fn check_typed(o: &Object) -> Result<(), String> {
    let r = match o.kind() {
        "ServiceAccount" => o.typed::<ServiceAccount>().map(drop),
        "Deployment" => o.typed::<Deployment>().map(drop),
        "DaemonSet" => o.typed::<DaemonSet>().map(drop),
        "Service" => o.typed::<Service>().map(drop),
        "ConfigMap" => o.typed::<ConfigMap>().map(drop),
        "ResourceQuota" => o.typed::<ResourceQuota>().map(drop),
        "Role" => o.typed::<Role>().map(drop),
        "RoleBinding" => o.typed::<RoleBinding>().map(drop),
        "ClusterRole" => o.typed::<ClusterRole>().map(drop),
        "ClusterRoleBinding" => o.typed::<ClusterRoleBinding>().map(drop),
        "HorizontalPodAutoscaler" => o.typed::<HorizontalPodAutoscaler>().map(drop),
        "PodDisruptionBudget" => o.typed::<PodDisruptionBudget>().map(drop),
        "NetworkPolicy" => o.typed::<NetworkPolicy>().map(drop),
        // Custom resources without a k8s-openapi type.
        "NetworkAttachmentDefinition" | "PodMonitor" => Ok(()),
        other => return Err(format!("unexpected kind {other}")),
    };
    r.map_err(|e| format!("{} {}: {e}", o.kind(), o.name()))
}

fn scenarios() -> Vec<Vec<Object>> {
    let mut out = Vec::new();
    for profile in [
        "default",
        "demo",
        "ambient",
        "openshift",
        "openshift-ambient",
        "preview",
    ] {
        out.push(render_mine(&resolved_values(&[&format!(
            "profile={profile}"
        )])));
    }
    out.push(render_mine(&resolved_values(&[
        "components.cni.enabled=true",
        "values.global.platform=gke",
    ])));
    let rich = |key: &str| {
        json!({
            "revision": "canary",
            "global": {
                "networkPolicy": {"enabled": true},
                "arch": {"amd64": 2, "arm64": 0},
                "defaultNodeSelector": {"disk": "ssd"},
                "imagePullSecrets": ["regcred"],
                "logAsJson": true,
            },
            "gateways": {key: {
                "name": "edge",
                "labels": {"app": "edge", "istio": "edge"},
                "autoscaleEnabled": false,
                "replicaCount": 3,
                "serviceAnnotations": {"a": "b"},
                "podAntiAffinityLabelSelector": [
                    {"key": "security", "operator": "In", "values": "S1,S2", "topologyKey": "zone"}
                ],
                "podAntiAffinityTermLabelSelector": [
                    {"key": "app", "operator": "In", "values": "edge", "topologyKey": "host"}
                ],
                "ingressPorts": [{"port": 9000, "name": "extra"}],
                "loadBalancerSourceRanges": ["10.0.0.0/8"],
            }},
        })
    };
    for (component, key) in [
        (ComponentName::IngressGateways, "istio-ingressgateway"),
        (ComponentName::EgressGateways, "istio-egressgateway"),
    ] {
        out.push(render_mine(&[direct_values(
            component,
            rich(key),
            "istio-system",
        )]));
    }
    let injected = json!({"gateways": {"istio-egressgateway": {
        "name": "egress", "injectionTemplate": "gateway", "runAsRoot": true,
    }}});
    out.push(render_mine(&[direct_values(
        ComponentName::EgressGateways,
        injected,
        "istio-egress",
    )]));
    let cni = json!({"cni": {
        "ambient": {"enabled": true, "shareHostNetworkNamespace": true},
        "repair": {"repairPods": false, "deletePods": true},
        "useAppArmorAnnotation": false,
        "seccompProfile": {"type": "RuntimeDefault"},
        "podMonitor": {"enabled": true},
    }, "global": {"networkPolicy": {"enabled": true}}});
    out.push(render_mine(&[direct_values(
        ComponentName::Cni,
        cni,
        "kube-system",
    )]));
    let zt = json!({
        "revision": "canary", "network": "net1", "logAsJson": true,
        "resourceQuotas": {"enabled": true}, "platform": "openshift",
        "global": {"networkPolicy": {"enabled": true}}, "podMonitor": {"enabled": true},
        "env": {"A": 1}, "dnsPolicy": "ClusterFirst",
    });
    out.push(render_mine(&[direct_values(
        ComponentName::Ztunnel,
        zt,
        "istio-system",
    )]));
    out
}

#[test]
fn every_rendered_object_reads_back_as_its_kubernetes_type() {
    let mut kinds = std::collections::BTreeSet::new();
    let mut errors = Vec::new();
    for objects in scenarios() {
        for o in &objects {
            kinds.insert(o.kind().to_string());
            if let Err(e) = check_typed(o) {
                errors.push(e);
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    for kind in [
        "Deployment",
        "DaemonSet",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "HorizontalPodAutoscaler",
        "ResourceQuota",
        "ConfigMap",
    ] {
        assert!(kinds.contains(kind), "no scenario rendered a {kind}");
    }
}

#[test]
fn reference_case_objects_read_back_as_their_kubernetes_types() {
    let Some(dir) = manifest_dir() else { return };
    for (case, case_dir) in manifest_cases(&dir) {
        let Ok(components) = case_components(&case_dir) else {
            continue;
        };
        for o in render_mine(&components) {
            if let Err(e) = check_typed(&o) {
                panic!("{case}: {e}");
            }
        }
    }
}
