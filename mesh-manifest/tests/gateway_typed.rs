//! Every object the gateway, CNI and ztunnel renderers produce reads back as its typed
//! k8s-openapi struct (custom resources excepted), across profiles and value variants.

mod gateway_support;

use gateway_support::*;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, ResourceQuota, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use mesh_core::ComponentName;
use mesh_manifest::Object;
use serde_json::json;

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
    let Some(dir) = reference_dir() else { return };
    for case in case_names(&dir) {
        let Ok(components) = case_components(&dir.join(&case)) else {
            continue;
        };
        for o in render_mine(&components) {
            if let Err(e) = check_typed(&o) {
                panic!("{case}: {e}");
            }
        }
    }
}
