//! Branches of the CNI chart checked on values passed straight to the chart.

use crate::support::charts::*;
use mesh_core::ComponentName;
use serde_json::{Value, json};

fn cni(passed: Value) -> Vec<mesh_manifest::Object> {
    render_mine(&[direct_values(ComponentName::Cni, passed, "istio-system")])
}

fn names(objs: &[mesh_manifest::Object]) -> Vec<String> {
    objs.iter()
        .map(|o| format!("{}/{}", o.kind(), o.name()))
        .collect()
}

#[test]
fn sidecar_mode_renders_the_agent_with_repair() {
    let objs = cni(json!({}));
    assert_eq!(
        names(&objs),
        [
            "ServiceAccount/istio-cni",
            "ClusterRole/istio-cni",
            "ClusterRole/istio-cni-repair-role",
            "ClusterRoleBinding/istio-cni",
            "ClusterRoleBinding/istio-cni-repair-rolebinding",
            "ConfigMap/istio-cni-config",
            "DaemonSet/istio-cni-node",
        ]
    );
    let cm = find(&objs, "ConfigMap", "istio-cni-config").unwrap();
    assert_eq!(cm["data"]["AMBIENT_ENABLED"], "false");
    assert_eq!(cm["data"]["EXCLUDE_NAMESPACES"], "kube-system");
}

#[test]
fn ambient_adds_its_role_and_the_ztunnel_socket() {
    let objs = cni(json!({"cni": {"ambient": {"enabled": true}}}));
    assert!(
        find(&objs, "ClusterRole", "istio-cni-ambient").is_some(),
        "{:?}",
        names(&objs)
    );
    let binding = find(&objs, "ClusterRoleBinding", "istio-cni-ambient").unwrap();
    assert_eq!(binding["metadata"]["labels"]["k8s-app"], "istio-cni-repair");
    let ds = find(&objs, "DaemonSet", "istio-cni-node").unwrap();
    let mounts = &ds["spec"]["template"]["spec"]["containers"][0]["volumeMounts"];
    assert!(
        mounts
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "cni-ztunnel-sock-dir")
    );
    let cm = find(&objs, "ConfigMap", "istio-cni-config").unwrap();
    assert_eq!(cm["data"]["AMBIENT_ENABLED"], "true");
}

#[test]
fn sharing_the_host_network_changes_pod_networking() {
    let objs =
        cni(json!({"cni": {"ambient": {"enabled": true, "shareHostNetworkNamespace": true}}}));
    let ds = find(&objs, "DaemonSet", "istio-cni-node").unwrap();
    let pod = &ds["spec"]["template"]["spec"];
    assert_eq!(pod["hostNetwork"], true);
    assert_eq!(pod["dnsPolicy"], "ClusterFirstWithHostNet");
    assert!(env_of(ds, "ALLOW_SWITCH_TO_HOST_NS").is_none());
}

#[test]
fn repair_modes_choose_the_extra_rights() {
    let rules = |repair: Value| {
        let objs = cni(json!({"cni": {"repair": repair}}));
        find(&objs, "ClusterRole", "istio-cni-repair-role").map(|r| r["rules"].clone())
    };
    let delete = rules(json!({"repairPods": false, "deletePods": true})).unwrap();
    assert_eq!(
        delete[2],
        json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]})
    );
    let label = rules(json!({"repairPods": false, "labelPods": true})).unwrap();
    assert_eq!(label[2]["resources"], json!(["pods/status"]));
    assert_eq!(rules(json!({})).unwrap().as_array().unwrap().len(), 2);
    assert!(rules(json!({"enabled": false})).is_none());
}

#[test]
fn apparmor_moves_to_the_security_context_on_request() {
    let objs = cni(json!({"cni": {"useAppArmorAnnotation": false}}));
    let ds = find(&objs, "DaemonSet", "istio-cni-node").unwrap();
    let pod = &ds["spec"]["template"];
    assert!(
        pod["metadata"]["annotations"]
            .get("container.apparmor.security.beta.kubernetes.io/install-cni")
            .is_none()
    );
    assert_eq!(
        pod["spec"]["containers"][0]["securityContext"]["appArmorProfile"],
        json!({"type": "Unconfined"})
    );
}

#[test]
fn multus_and_quotas_add_their_objects() {
    let objs = cni(json!({"cni": {"provider": "multus", "resourceQuotas": {"enabled": true}}}));
    let nad = find(&objs, "NetworkAttachmentDefinition", "istio-cni").unwrap();
    assert_eq!(nad["metadata"]["namespace"], "default");
    let quota = find(&objs, "ResourceQuota", "istio-cni-resource-quota").unwrap();
    assert_eq!(quota["spec"]["hard"]["pods"], "5000");
}

#[test]
fn selinux_options_default_their_type() {
    let objs = cni(json!({"cni": {"seLinuxOptions": {"level": "s0"}}}));
    let ds = find(&objs, "DaemonSet", "istio-cni-node").unwrap();
    assert_eq!(
        ds["spec"]["template"]["spec"]["containers"][0]["securityContext"]["seLinuxOptions"],
        json!({"level": "s0", "type": "spc_t"})
    );
}

#[test]
fn extra_settings_land_in_the_config_map_as_strings() {
    let objs = cni(json!({"cni": {"env": {"CNI_CONF_GROUP_READ": true, "N": 3}}}));
    let cm = find(&objs, "ConfigMap", "istio-cni-config").unwrap();
    assert_eq!(cm["data"]["CNI_CONF_GROUP_READ"], "true");
    assert_eq!(cm["data"]["N"], "3");
}

#[test]
fn env_entries_reach_the_container_too() {
    // Istio 1.30's DaemonSet lists `env` after the fixed entries (sorted, values quoted), besides
    // the ConfigMap.
    let objs = cni(json!({"cni": {"env": {"ZED": 1, "ALPHA": "a"}}}));
    let ds = find(&objs, "DaemonSet", "istio-cni-node").unwrap();
    let env = ds["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    let tail: Vec<_> = env[env.len() - 2..].to_vec();
    assert_eq!(
        tail,
        [
            json!({"name": "ALPHA", "value": "a"}),
            json!({"name": "ZED", "value": "1"})
        ]
    );
    let cm = find(&objs, "ConfigMap", "istio-cni-config").unwrap();
    assert_eq!(cm["data"]["ALPHA"], "a");
}

#[test]
fn resource_scope_splits_the_chart() {
    let objs =
        cni(json!({"global": {"resourceScope": "cluster"}, "cni": {"ambient": {"enabled": true}}}));
    assert!(
        objs.iter().all(|o| o.kind().starts_with("Cluster")),
        "{:?}",
        names(&objs)
    );
    assert!(
        find(&objs, "ClusterRole", "istio-cni-ambient").is_some(),
        "{:?}",
        names(&objs)
    );
    let objs = cni(json!({"global": {"resourceScope": "namespace"}}));
    assert!(
        objs.iter().all(|o| !o.kind().starts_with("Cluster")),
        "{:?}",
        names(&objs)
    );
    assert!(find(&objs, "DaemonSet", "istio-cni-node").is_some());
}

#[test]
fn resources_print_like_the_charts_helper() {
    let objs = cni(json!({"cni": {"resources": {"requests": {"cpu": "1"}}}}));
    let ds = find(&objs, "DaemonSet", "istio-cni-node").unwrap();
    assert_eq!(
        ds["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"],
        json!(1)
    );
}
