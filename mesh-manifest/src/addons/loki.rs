//! Loki (single binary, filesystem storage): its configuration, RBAC for the rules sidecar,
//! the Services (HTTP/gRPC, headless, memberlist) and the StatefulSet.

use super::Addon;
use super::common::*;
use super::settings::{AddonSettings, StorageType};
use super::wiring::LOKI_PORT;
use crate::Object;
use k8s_openapi::api::apps::v1::{
    RollingUpdateStatefulSetStrategy, StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy,
    StatefulSetSpec, StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::{
    Affinity, ConfigMapVolumeSource, KeyToPath, PodAffinityTerm, PodAntiAffinity,
    PodSecurityContext, PodSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const NAME: &str = "loki";
const VERSION: &str = "3.6.5";
const GRPC_PORT: i32 = 9095;
const MEMBERLIST_PORT: i32 = 7946;
const DATA_DIR: &str = "/var/loki";
const RULES_DIR: &str = "/rules";
const USER: i64 = 10001;

/// Loki's `config.yaml`, as a value.
pub fn config(namespace: &str) -> Value {
    let no_address = json!({"server_address": ""});
    json!({
        "auth_enabled": false,
        "bloom_build": {"builder": {"planner_address": ""}, "enabled": false},
        "bloom_gateway": {"client": {"addresses": ""}, "enabled": false},
        "common": {
            "compactor_grpc_address": format!("{NAME}.{namespace}.svc.cluster.local:{GRPC_PORT}"),
            "path_prefix": DATA_DIR,
            "replication_factor": 1,
            "storage": {"filesystem": {
                "chunks_directory": format!("{DATA_DIR}/chunks"),
                "rules_directory": format!("{DATA_DIR}/rules"),
            }},
        },
        "frontend": {"scheduler_address": "", "tail_proxy_url": ""},
        "frontend_worker": {"scheduler_address": ""},
        "index_gateway": {"mode": "simple"},
        "limits_config": {
            "max_cache_freshness_per_query": "10m",
            "query_timeout": "300s",
            "reject_old_samples": true,
            "reject_old_samples_max_age": "168h",
            "split_queries_by_interval": "15m",
            "volume_enabled": true,
        },
        "memberlist": {"join_members": [format!("{NAME}-memberlist.{namespace}.svc.cluster.local")]},
        "pattern_ingester": {"enabled": false},
        "query_range": {"align_queries_with_step": true},
        "ruler": {"storage": {"type": "local"}, "wal": {"dir": format!("{DATA_DIR}/ruler-wal")}},
        "runtime_config": {"file": "/etc/loki/runtime-config/runtime-config.yaml"},
        "schema_config": {"configs": [{
            "from": "2024-04-01",
            "index": {"period": "24h", "prefix": "index_"},
            "object_store": "filesystem",
            "schema": "v13",
            "store": "tsdb",
        }]},
        "server": {
            "grpc_listen_port": GRPC_PORT,
            "http_listen_port": LOKI_PORT,
            "http_server_read_timeout": "600s",
            "http_server_write_timeout": "600s",
        },
        "storage_config": {
            "bloom_shipper": {"working_directory": format!("{DATA_DIR}/data/bloomshipper")},
            "boltdb_shipper": {"index_gateway_client": no_address},
            "hedging": {"at": "250ms", "max_per_second": 20, "up_to": 3},
            "tsdb_shipper": {"index_gateway_client": no_address},
            "use_thanos_objstore": false,
        },
        "tracing": {"enabled": false},
    })
}

fn read_only_security_context() -> k8s_openapi::api::core::v1::SecurityContext {
    let mut s = drop_all_security_context(false);
    s.read_only_root_filesystem = Some(true);
    s
}

/// Loki's objects.
pub fn render(settings: &AddonSettings) -> Vec<Object> {
    let l = &settings.loki;
    let ns = Addon::Loki.namespace(settings);
    let labels = name_instance_version(NAME, VERSION);
    let cm = config_map(
        meta(NAME, ns, &labels),
        &[("config.yaml", mesh_core::to_yaml_string(&config(ns)))],
    );
    let runtime = config_map(
        meta("loki-runtime", ns, &labels),
        &[("runtime-config.yaml", "{}\n".into())],
    );
    let mut sa = service_account(meta(NAME, ns, &labels));
    sa.automount_service_account_token = Some(true);
    let role = format!("{NAME}-clusterrole");
    let mut out = vec![object(&sa), object(&cm), object(&runtime)];
    out.extend(cluster_rbac(
        &role,
        &format!("{NAME}-clusterrolebinding"),
        &labels,
        vec![rule(
            &[""],
            &["configmaps", "secrets"],
            &["get", "watch", "list"],
        )],
        NAME,
        ns,
    ));
    let named = |name: &str, port: i32, target: &str| {
        service_port(
            Some(name),
            port,
            Some(IntOrString::String(target.into())),
            Some("TCP"),
        )
    };
    let mut memberlist_selector = name_instance(NAME);
    memberlist_selector.insert("app.kubernetes.io/part-of".into(), "memberlist".into());
    let mut memberlist = service(
        meta("loki-memberlist", ns, &labels),
        vec![named("tcp", MEMBERLIST_PORT, "http-memberlist")],
        &memberlist_selector,
    );
    if let Some(spec) = memberlist.spec.as_mut() {
        spec.type_ = Some("ClusterIP".into());
        spec.cluster_ip = Some("None".into());
    }
    out.push(object(&memberlist));
    let mut headless_labels = labels.clone();
    headless_labels.insert("variant".into(), "headless".into());
    headless_labels.insert("prometheus.io/service-monitor".into(), "false".into());
    let mut headless = service(
        meta("loki-headless", ns, &headless_labels),
        vec![named("http-metrics", LOKI_PORT.into(), "http-metrics")],
        &name_instance(NAME),
    );
    if let Some(spec) = headless.spec.as_mut() {
        spec.cluster_ip = Some("None".into());
    }
    out.push(object(&headless));
    let mut component = name_instance(NAME);
    component.insert("app.kubernetes.io/component".into(), "single-binary".into());
    let svc = cluster_ip_service(
        meta(NAME, ns, &labels),
        vec![
            named("http-metrics", LOKI_PORT.into(), "http-metrics"),
            named("grpc", GRPC_PORT, "grpc"),
        ],
        &component,
    );
    out.push(object(&svc));

    let mut loki = container(NAME, &l.image);
    loki.image_pull_policy = Some("IfNotPresent".into());
    loki.args = Some(strings(&[
        "-config.file=/etc/loki/config/config.yaml",
        "-target=all",
    ]));
    loki.ports = Some(vec![
        container_port(Some("http-metrics"), LOKI_PORT.into(), Some("TCP")),
        container_port(Some("grpc"), GRPC_PORT, Some("TCP")),
        container_port(Some("http-memberlist"), MEMBERLIST_PORT, Some("TCP")),
    ]);
    loki.security_context = Some(read_only_security_context());
    let mut ready = http_probe("/ready", IntOrString::String("http-metrics".into()), None);
    ready.failure_threshold = Some(3);
    ready.initial_delay_seconds = Some(15);
    ready.period_seconds = Some(10);
    ready.success_threshold = Some(1);
    ready.timeout_seconds = Some(1);
    loki.readiness_probe = Some(ready);
    loki.volume_mounts = Some(vec![
        mount("tmp", "/tmp"),
        mount("config", "/etc/loki/config"),
        mount("runtime-config", "/etc/loki/runtime-config"),
        mount("storage", DATA_DIR),
        mount("sc-rules-volume", RULES_DIR),
    ]);
    loki.resources = resources(l.resources.as_ref());

    let mut rules = container("loki-sc-rules", &l.sidecar_image);
    rules.image_pull_policy = Some("IfNotPresent".into());
    rules.env = Some(vec![
        env("METHOD", "WATCH"),
        env("LABEL", "loki_rule"),
        env("FOLDER", RULES_DIR),
        env("RESOURCE", "both"),
        env("WATCH_SERVER_TIMEOUT", "60"),
        env("WATCH_CLIENT_TIMEOUT", "60"),
        env("LOG_LEVEL", "INFO"),
    ]);
    rules.security_context = Some(read_only_security_context());
    rules.volume_mounts = Some(vec![mount("sc-rules-volume", RULES_DIR)]);

    let persistent = l.storage.kind == StorageType::PersistentVolumeClaim;
    let mut volumes = vec![
        empty_dir_volume("tmp"),
        Volume {
            name: "config".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: NAME.into(),
                items: Some(vec![KeyToPath {
                    key: "config.yaml".into(),
                    path: "config.yaml".into(),
                    mode: None,
                }]),
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        },
        config_map_volume("runtime-config", "loki-runtime"),
        empty_dir_volume("sc-rules-volume"),
    ];
    if !persistent {
        volumes.push(empty_dir_volume("storage"));
    }
    let mut pod_labels = component.clone();
    pod_labels.insert("app.kubernetes.io/part-of".into(), "memberlist".into());
    let pod = PodSpec {
        service_account_name: Some(NAME.into()),
        automount_service_account_token: Some(true),
        enable_service_links: Some(true),
        security_context: Some(PodSecurityContext {
            fs_group: Some(USER),
            fs_group_change_policy: Some("OnRootMismatch".into()),
            run_as_group: Some(USER),
            run_as_non_root: Some(true),
            run_as_user: Some(USER),
            ..PodSecurityContext::default()
        }),
        termination_grace_period_seconds: Some(30),
        containers: vec![loki, rules],
        affinity: Some(Affinity {
            pod_anti_affinity: Some(PodAntiAffinity {
                required_during_scheduling_ignored_during_execution: Some(vec![PodAffinityTerm {
                    label_selector: Some(LabelSelector {
                        match_labels: Some(component.clone()),
                        match_expressions: None,
                    }),
                    topology_key: "kubernetes.io/hostname".into(),
                    ..PodAffinityTerm::default()
                }]),
                ..PodAntiAffinity::default()
            }),
            ..Affinity::default()
        }),
        volumes: Some(volumes),
        ..PodSpec::default()
    };
    let mut annotations = BTreeMap::new();
    annotations.insert("checksum/config".to_string(), data_checksum(&cm));
    if persistent {
        annotations.insert("storage/size".into(), l.storage.size.clone());
    }
    annotations.insert(
        "kubectl.kubernetes.io/default-container".into(),
        NAME.into(),
    );
    let mut set_labels = labels.clone();
    set_labels.insert("app.kubernetes.io/component".into(), "single-binary".into());
    set_labels.insert("app.kubernetes.io/part-of".into(), "memberlist".into());
    let claim_templates = persistent.then(|| {
        let c = claim(
            ObjectMeta {
                name: Some("storage".into()),
                ..ObjectMeta::default()
            },
            &l.storage.size,
            l.storage.storage_class.as_deref(),
        );
        vec![c]
    });
    let set = StatefulSet {
        metadata: meta(NAME, ns, &set_labels),
        spec: Some(StatefulSetSpec {
            replicas: Some(1),
            pod_management_policy: Some("Parallel".into()),
            update_strategy: Some(StatefulSetUpdateStrategy {
                rolling_update: Some(RollingUpdateStatefulSetStrategy {
                    partition: Some(0),
                    max_unavailable: None,
                }),
                type_: None,
            }),
            service_name: Some("loki-headless".into()),
            revision_history_limit: Some(10),
            persistent_volume_claim_retention_policy: Some(
                StatefulSetPersistentVolumeClaimRetentionPolicy {
                    when_deleted: Some("Delete".into()),
                    when_scaled: Some("Delete".into()),
                },
            ),
            selector: LabelSelector {
                match_labels: Some(component.clone()),
                match_expressions: None,
            },
            template: pod_template(pod_labels, annotations, pod),
            volume_claim_templates: claim_templates,
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    };
    out.push(object(&set));
    out
}
