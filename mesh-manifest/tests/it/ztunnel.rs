//! Branches of the ztunnel chart checked on (flattened) values passed straight to the chart.

use crate::support::charts::*;
use mesh_core::ComponentName;
use serde_json::{Value, json};

fn ztunnel(passed: Value) -> Vec<mesh_manifest::Object> {
    render_mine(&[direct_values(
        ComponentName::Ztunnel,
        passed,
        "istio-system",
    )])
}

#[test]
fn revisions_point_ztunnel_at_their_istiod() {
    let objs = ztunnel(json!({"revision": "canary"}));
    let ds = find(&objs, "DaemonSet", "ztunnel").unwrap();
    for var in ["CA_ADDRESS", "XDS_ADDRESS"] {
        assert_eq!(
            env_of(ds, var).unwrap()["value"],
            "istiod-canary.istio-system.svc:15012"
        );
    }
    assert_eq!(
        ds["spec"]["template"]["metadata"]["annotations"]["istio.io/rev"],
        "canary"
    );
}

#[test]
fn network_cluster_and_json_logs_reach_the_environment() {
    let objs = ztunnel(json!({
        "network": "net1", "logAsJson": true, "multiCluster": {"clusterName": "c1"},
    }));
    let ds = find(&objs, "DaemonSet", "ztunnel").unwrap();
    assert_eq!(env_of(ds, "NETWORK").unwrap()["value"], "net1");
    assert_eq!(env_of(ds, "LOG_FORMAT").unwrap()["value"], "json");
    assert_eq!(env_of(ds, "ISTIO_META_CLUSTER_ID").unwrap()["value"], "c1");
}

#[test]
fn openshift_grants_the_privileged_scc() {
    let objs = ztunnel(json!({"global": {"platform": "openshift"}}));
    let role = find(&objs, "ClusterRole", "ztunnel").unwrap();
    assert_eq!(role["rules"][0]["resourceNames"], json!(["privileged"]));
    let binding = find(&objs, "ClusterRoleBinding", "ztunnel").unwrap();
    assert_eq!(binding["subjects"][0]["namespace"], "istio-system");
    assert!(find(&ztunnel(json!({})), "ClusterRole", "ztunnel").is_none());
}

#[test]
fn resource_name_names_the_service_account_and_daemonset() {
    let objs = ztunnel(json!({"resourceName": "zt", "imagePullSecrets": ["regcred"]}));
    let sa = find(&objs, "ServiceAccount", "zt").unwrap();
    assert_eq!(sa["imagePullSecrets"], json!([{"name": "regcred"}]));
    let ds = find(&objs, "DaemonSet", "zt").unwrap();
    assert_eq!(ds["spec"]["template"]["spec"]["serviceAccountName"], "zt");
}

#[test]
fn images_use_the_flattened_hub_tag_and_variant() {
    let objs = ztunnel(json!({"global": {"hub": "example.com/istio", "variant": "distroless"}}));
    let ds = find(&objs, "DaemonSet", "ztunnel").unwrap();
    assert_eq!(
        ds["spec"]["template"]["spec"]["containers"][0]["image"],
        "example.com/istio/ztunnel:1.30.3-distroless"
    );
    let objs = ztunnel(json!({"image": "mirror.example.com/zt:v1"}));
    let ds = find(&objs, "DaemonSet", "ztunnel").unwrap();
    assert_eq!(
        ds["spec"]["template"]["spec"]["containers"][0]["image"],
        "mirror.example.com/zt:v1"
    );
}

#[test]
fn quotas_render_only_when_enabled() {
    assert!(find(&ztunnel(json!({})), "ResourceQuota", "ztunnel").is_none());
    let objs = ztunnel(json!({"resourceQuotas": {"enabled": true, "pods": 100}}));
    let quota = find(&objs, "ResourceQuota", "ztunnel").unwrap();
    assert_eq!(quota["spec"]["hard"]["pods"], "100");
}

#[test]
fn resource_scope_splits_the_chart() {
    // global.resourceScope is lifted by the chart; cluster scope keeps the (OpenShift) RBAC only.
    let objs = ztunnel(json!({"global": {"resourceScope": "cluster", "platform": "openshift"}}));
    assert!(find(&objs, "DaemonSet", "ztunnel").is_none());
    assert!(find(&objs, "ServiceAccount", "ztunnel").is_none());
    assert!(objs.iter().any(|o| o.kind() == "ClusterRole"));
    let objs = ztunnel(json!({"resourceScope": "namespace", "platform": "openshift"}));
    assert!(find(&objs, "DaemonSet", "ztunnel").is_some());
    assert!(objs.iter().all(|o| o.kind() != "ClusterRole"));
}

#[test]
fn resources_print_like_the_charts_helper() {
    let objs = ztunnel(json!({"resources": {"requests": {"cpu": "1", "memory": ""}}}));
    let ds = find(&objs, "DaemonSet", "ztunnel").unwrap();
    assert_eq!(
        ds["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"],
        json!({"cpu": 1})
    );
}

#[test]
fn a_peer_ca_crl_adds_its_path_mount_and_optional_volume() {
    let objs = ztunnel(json!({"peerCaCrl": {"enabled": true}, "env": {"A": "b"}}));
    let ds = find(&objs, "DaemonSet", "ztunnel").unwrap();
    // After the user's env, last.
    let env = ds["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    assert_eq!(env[env.len() - 1]["name"], "CRL_PATH");
    assert_eq!(env[env.len() - 2]["name"], "A");
    assert_eq!(
        env_of(ds, "CRL_PATH").unwrap()["value"],
        "/var/run/secrets/istio/crl/ca-crl.pem"
    );
    let pod = &ds["spec"]["template"]["spec"];
    assert!(pod["containers"][0]["volumeMounts"]
        .as_array()
        .unwrap()
        .contains(&json!({"mountPath": "/var/run/secrets/istio/crl", "name": "crl-volume", "readOnly": true})));
    assert!(pod["volumes"].as_array().unwrap().contains(
        &json!({"name": "crl-volume", "configMap": {"name": "istio-ca-crl", "optional": true}})
    ));
    let objs = ztunnel(json!({}));
    let ds = find(&objs, "DaemonSet", "ztunnel").unwrap();
    assert!(env_of(ds, "CRL_PATH").is_none());
}
