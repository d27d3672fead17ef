//! Grafana: its configuration (server settings, the Prometheus and Loki data sources, the two
//! dashboard folders), Service, Deployment and the two dashboard ConfigMaps.

use super::common::*;
use super::settings::{AddonSettings, StorageType};
use super::wiring::GRAFANA_PORT;
use super::{Addon, RenderInputs, Wiring};
use crate::Object;
use crate::dashboards::{CONTROL_PLANE_CONFIG_MAP, DashboardFile, SERVICES_CONFIG_MAP, builtin};
use k8s_openapi::api::apps::v1::DeploymentStrategy;
use k8s_openapi::api::core::v1::{ConfigMap, PodSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const NAME: &str = "grafana";
const VERSION: &str = "12.0.1";
const DATA_DIR: &str = "/var/lib/grafana";
const PROVISIONING_DIR: &str = "/etc/grafana/provisioning";
/// The dashboard folders: (provider and volume suffix, ConfigMap).
const FOLDERS: [(&str, &str); 2] = [
    ("istio", CONTROL_PLANE_CONFIG_MAP),
    ("istio-services", SERVICES_CONFIG_MAP),
];

/// `grafana.ini`.
fn ini() -> String {
    [
        "[analytics]",
        "check_for_updates = true",
        "[grafana_net]",
        "url = https://grafana.net",
        "[log]",
        "mode = console",
        "[paths]",
        &format!("data = {DATA_DIR}/"),
        "logs = /var/log/grafana",
        &format!("plugins = {DATA_DIR}/plugins"),
        &format!("provisioning = {PROVISIONING_DIR}"),
        "[server]",
        "domain = ''",
        "",
    ]
    .join("\n")
}

/// `datasources.yaml`: Prometheus (the default) and Loki, where the wiring says they are.
pub fn datasources(wiring: &Wiring) -> Value {
    let source = |name: &str, kind: &str, url: &str, default: bool, interval: &str| {
        json!({
            "access": "proxy",
            "editable": true,
            "isDefault": default,
            "jsonData": {"timeInterval": interval},
            "name": name,
            "orgId": 1,
            "type": kind,
            "url": url,
        })
    };
    json!({
        "apiVersion": 1,
        "datasources": [
            source("Prometheus", "prometheus", &wiring.grafana_prometheus, true, "15s"),
            source("Loki", "loki", &wiring.grafana_loki, false, "5s"),
        ],
    })
}

/// `dashboardproviders.yaml`: one file provider per dashboard folder.
fn providers() -> Value {
    let providers: Vec<Value> = FOLDERS
        .iter()
        .map(|(name, _)| {
            json!({
                "disableDeletion": false,
                "folder": "istio",
                "name": name,
                "options": {"path": format!("{DATA_DIR}/dashboards/{name}")},
                "orgId": 1,
                "type": "file",
            })
        })
        .collect();
    json!({"apiVersion": 1, "providers": providers})
}

/// The two dashboard ConfigMaps.
fn dashboard_config_maps(ns: &str, dashboards: &[DashboardFile]) -> Vec<ConfigMap> {
    FOLDERS
        .iter()
        .map(|(_, config_map)| {
            let data: BTreeMap<String, String> = dashboards
                .iter()
                .filter(|d| d.config_map == *config_map)
                // Stored with a final newline, as `jq -c` prints it.
                .map(|d| (d.key.clone(), format!("{}\n", d.json.trim_end())))
                .collect();
            let mut meta = meta(config_map, ns, &BTreeMap::new());
            meta.labels = None;
            ConfigMap {
                metadata: meta,
                data: Some(data),
                ..ConfigMap::default()
            }
        })
        .collect()
}

/// Grafana's objects.
pub fn render(settings: &AddonSettings, wiring: &Wiring, inputs: &RenderInputs) -> Vec<Object> {
    let g = &settings.grafana;
    let ns = Addon::Grafana.namespace(settings);
    let labels = name_instance_version(NAME, VERSION);
    let providers_text = mesh_core::to_yaml_string(&providers());
    let cm = config_map(
        meta(NAME, ns, &labels),
        &[
            ("grafana.ini", ini()),
            (
                "datasources.yaml",
                mesh_core::to_yaml_string(&datasources(wiring)),
            ),
            ("dashboardproviders.yaml", providers_text.clone()),
        ],
    );
    let mut sa = service_account(meta(NAME, ns, &labels));
    sa.automount_service_account_token = Some(false);
    let mut out = vec![object(&sa), object(&cm)];
    let svc = cluster_ip_service(
        meta(NAME, ns, &labels),
        vec![service_port(
            Some("service"),
            GRAFANA_PORT.into(),
            Some(IntOrString::Int(GRAFANA_PORT.into())),
            Some("TCP"),
        )],
        &name_instance(NAME),
    );
    out.push(object(&svc));

    let mut c = container(NAME, &g.image);
    c.image_pull_policy = Some("IfNotPresent".into());
    c.security_context = Some(drop_all_security_context(true));
    let sub = |name: &str, path: &str, sub_path: &str| {
        let mut m = mount(name, path);
        m.sub_path = Some(sub_path.into());
        m
    };
    let mut mounts = vec![
        sub("config", "/etc/grafana/grafana.ini", "grafana.ini"),
        mount("storage", DATA_DIR),
    ];
    for (folder, _) in FOLDERS {
        mounts.push(mount(
            &format!("dashboards-{folder}"),
            &format!("{DATA_DIR}/dashboards/{folder}"),
        ));
    }
    mounts.push(sub(
        "config",
        &format!("{PROVISIONING_DIR}/datasources/datasources.yaml"),
        "datasources.yaml",
    ));
    mounts.push(sub(
        "config",
        &format!("{PROVISIONING_DIR}/dashboards/dashboardproviders.yaml"),
        "dashboardproviders.yaml",
    ));
    c.volume_mounts = Some(mounts);
    c.ports = Some(vec![
        container_port(Some("grafana"), GRAFANA_PORT.into(), Some("TCP")),
        container_port(Some("gossip-tcp"), 9094, Some("TCP")),
        container_port(Some("gossip-udp"), 9094, Some("UDP")),
        container_port(Some("profiling"), 6060, Some("TCP")),
    ]);
    let mut envs = vec![
        env_field("POD_IP", "status.podIP"),
        env("GF_PATHS_DATA", &format!("{DATA_DIR}/")),
        env("GF_PATHS_LOGS", "/var/log/grafana"),
        env("GF_PATHS_PLUGINS", &format!("{DATA_DIR}/plugins")),
        env("GF_PATHS_PROVISIONING", PROVISIONING_DIR),
        env(
            "GF_AUTH_ANONYMOUS_ENABLED",
            &g.anonymous.enabled.to_string(),
        ),
    ];
    if g.anonymous.enabled {
        envs.push(env("GF_AUTH_ANONYMOUS_ORG_ROLE", &g.anonymous.role));
    }
    envs.extend([
        env("GF_AUTH_BASIC_ENABLED", "false"),
        env("GF_SECURITY_ADMIN_PASSWORD", &g.admin_password),
        env("GF_SECURITY_ADMIN_USER", &g.admin_user),
    ]);
    c.env = Some(envs);
    let health = || http_probe("/api/health", IntOrString::Int(GRAFANA_PORT.into()), None);
    let mut live = health();
    live.failure_threshold = Some(10);
    live.initial_delay_seconds = Some(60);
    live.timeout_seconds = Some(30);
    c.liveness_probe = Some(live);
    c.readiness_probe = Some(health());
    c.resources = resources(g.resources.as_ref());

    let storage = storage_volume("storage", meta(NAME, ns, &labels), &g.persistence, &mut out);
    let mut volumes = vec![config_map_volume("config", NAME)];
    for (folder, config_map) in FOLDERS {
        volumes.push(config_map_volume(
            &format!("dashboards-{folder}"),
            config_map,
        ));
    }
    volumes.push(storage);
    let pod = PodSpec {
        service_account_name: Some(NAME.into()),
        automount_service_account_token: Some(true),
        share_process_namespace: Some(false),
        enable_service_links: Some(true),
        containers: vec![c],
        volumes: Some(volumes),
        ..PodSpec::default()
    };
    let mut pod_labels = labels.clone();
    pod_labels.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
    pod_labels.insert("sidecar.istio.io/inject".into(), "false".into());
    let provider_checksum = super::sha256::hex_digest(providers_text.as_bytes());
    let annotations = super::common::labels(&[
        ("checksum/config", &data_checksum(&cm)),
        ("checksum/sc-dashboard-provider-config", &provider_checksum),
        ("kubectl.kubernetes.io/default-container", NAME),
    ]);
    let template = pod_template(pod_labels, annotations, pod);
    let mut deploy = deployment(meta(NAME, ns, &labels), &name_instance(NAME), template);
    if let Some(spec) = deploy.spec.as_mut() {
        spec.replicas = Some(1);
        spec.revision_history_limit = Some(10);
        // A ReadWriteOnce claim cannot be mounted by the old and the new pod at once.
        let strategy = match g.persistence.kind {
            StorageType::PersistentVolumeClaim => "Recreate",
            _ => "RollingUpdate",
        };
        spec.strategy = Some(DeploymentStrategy {
            type_: Some(strategy.into()),
            rolling_update: None,
        });
    }
    out.push(object(&deploy));
    let dashboards = inputs.dashboards.clone().unwrap_or_else(builtin);
    out.extend(dashboard_config_maps(ns, &dashboards).iter().map(object));
    out
}
