//! Prometheus: the scrape configuration (Kubernetes service discovery of annotated pods and
//! services, the API servers and nodes), RBAC, Service and the server with its config reloader.

use super::common::*;
use super::settings::AddonSettings;
use super::{Addon, wiring::PROMETHEUS_PORT};
use crate::Object;
use k8s_openapi::api::apps::v1::DeploymentStrategy;
use k8s_openapi::api::core::v1::{PodSpec, Probe};
use k8s_openapi::api::rbac::v1::PolicyRule;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const NAME: &str = "prometheus";
const VERSION: &str = "v3.10.0";
const CONFIG_DIR: &str = "/etc/config";
const SA_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
const RELOADER_PORT: i32 = 8080;

fn selector() -> BTreeMap<String, String> {
    labels(&[
        ("app.kubernetes.io/component", "server"),
        ("app.kubernetes.io/name", NAME),
        ("app.kubernetes.io/instance", NAME),
    ])
}

fn object_labels() -> BTreeMap<String, String> {
    let mut l = selector();
    l.insert("app.kubernetes.io/version".into(), VERSION.into());
    l.insert("app.kubernetes.io/part-of".into(), NAME.into());
    l
}

/// A relabel regex: `true` is written as YAML's boolean, as Prometheus reads it either way.
fn regex(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        _ => text.into(),
    }
}

fn keep(re: &str, labels: &[&str]) -> Value {
    json!({"action": "keep", "regex": regex(re), "source_labels": labels})
}

fn drop(re: &str, labels: &[&str]) -> Value {
    json!({"action": "drop", "regex": regex(re), "source_labels": labels})
}

fn replace(regex: Option<&str>, labels: &[&str], target: &str) -> Value {
    let mut r = json!({"action": "replace", "source_labels": labels, "target_label": target});
    if let Some(re) = regex {
        r["regex"] = re.into();
    }
    r
}

fn labelmap(regex: &str, replacement: Option<&str>) -> Value {
    let mut r = json!({"action": "labelmap", "regex": regex});
    if let Some(rep) = replacement {
        r["replacement"] = rep.into();
    }
    r
}

/// The relabelling shared by the jobs over annotated pods (`kind` `pod`) or services
/// (`service`); `slow` selects the `prometheus.io/scrape_slow` variant.
fn annotated_job(kind: &str, slow: bool) -> Value {
    let (role, what) = match kind {
        "pod" => ("pod", "pod"),
        _ => ("endpoints", "service"),
    };
    let annotation = |a: &str| format!("__meta_kubernetes_{what}_annotation_prometheus_io_{a}");
    let mut relabel = Vec::new();
    if slow {
        relabel.push(keep("true", &[&annotation("scrape_slow")]));
    } else {
        relabel.push(keep("true", &[&annotation("scrape")]));
        relabel.push(drop("true", &[&annotation("scrape_slow")]));
    }
    relabel.push(replace(
        Some("(https?)"),
        &[&annotation("scheme")],
        "__scheme__",
    ));
    relabel.push(replace(
        Some("(.+)"),
        &[&annotation("path")],
        "__metrics_path__",
    ));
    if what == "pod" {
        let port = annotation("port");
        let mut v6 = replace(
            Some(r"(\d+);(([A-Fa-f0-9]{1,4}::?){1,7}[A-Fa-f0-9]{1,4})"),
            &[&port, "__meta_kubernetes_pod_ip"],
            "__address__",
        );
        v6["replacement"] = "[$2]:$1".into();
        let mut v4 = replace(
            Some(r"(\d+);((([0-9]+?)(\.|$)){4})"),
            &[&port, "__meta_kubernetes_pod_ip"],
            "__address__",
        );
        v4["replacement"] = "$2:$1".into();
        relabel.extend([v6, v4]);
    } else {
        let mut addr = replace(
            Some(r"(.+?)(?::\d+)?;(\d+)"),
            &["__address__", &annotation("port")],
            "__address__",
        );
        addr["replacement"] = "$1:$2".into();
        relabel.push(addr);
    }
    relabel.push(labelmap(
        &format!("__meta_kubernetes_{what}_annotation_prometheus_io_param_(.+)"),
        Some("__param_$1"),
    ));
    relabel.push(labelmap(
        &format!("__meta_kubernetes_{what}_label_(.+)"),
        None,
    ));
    relabel.push(replace(None, &["__meta_kubernetes_namespace"], "namespace"));
    if what == "pod" {
        relabel.push(replace(None, &["__meta_kubernetes_pod_name"], "pod"));
        relabel.push(drop(
            "Pending|Succeeded|Failed|Completed",
            &["__meta_kubernetes_pod_phase"],
        ));
    } else {
        relabel.push(replace(
            None,
            &["__meta_kubernetes_service_name"],
            "service",
        ));
    }
    relabel.push(replace(None, &["__meta_kubernetes_pod_node_name"], "node"));
    let base = if what == "pod" {
        "kubernetes-pods".to_string()
    } else {
        "kubernetes-service-endpoints".to_string()
    };
    let mut job = json!({
        "job_name": if slow { format!("{base}-slow") } else { base },
        "honor_labels": true,
        "kubernetes_sd_configs": [{"role": role}],
        "relabel_configs": relabel,
    });
    if slow {
        job["scrape_interval"] = "5m".into();
        job["scrape_timeout"] = "30s".into();
    }
    job
}

/// A job over nodes, read through the API server with the pod's token.
fn node_job(name: &str, metrics_path: Option<&str>) -> Value {
    let mut relabel = vec![labelmap("__meta_kubernetes_node_label_(.+)", None)];
    if metrics_path.is_some() {
        relabel
            .push(json!({"source_labels": ["__metrics_path__"], "target_label": "metrics_path"}));
    }
    let mut job = json!({
        "job_name": name,
        "bearer_token_file": format!("{SA_DIR}/token"),
        "kubernetes_sd_configs": [{"role": "node"}],
        "relabel_configs": relabel,
        "scheme": "https",
        "tls_config": {"ca_file": format!("{SA_DIR}/ca.crt"), "insecure_skip_verify": true},
    });
    if let Some(path) = metrics_path {
        job["metrics_path"] = path.into();
    }
    job
}

/// `prometheus.yml`, as a value.
pub fn config(settings: &AddonSettings) -> Value {
    let api_servers = json!({
        "job_name": "kubernetes-api-servers",
        "bearer_token_file": format!("{SA_DIR}/token"),
        "kubernetes_sd_configs": [{"role": "endpoints"}],
        "relabel_configs": [keep(
            "default;kubernetes;https",
            &[
                "__meta_kubernetes_namespace",
                "__meta_kubernetes_service_name",
                "__meta_kubernetes_endpoint_port_name",
            ],
        )],
        "scheme": "https",
        "tls_config": {"ca_file": format!("{SA_DIR}/ca.crt")},
    });
    let probe_label = "__meta_kubernetes_service_annotation_prometheus_io_probe";
    let services = json!({
        "job_name": "kubernetes-services",
        "honor_labels": true,
        "kubernetes_sd_configs": [{"role": "service"}],
        "metrics_path": "/probe",
        "params": {"module": ["http_2xx"]},
        "relabel_configs": [
            keep("true", &[probe_label]),
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"replacement": "blackbox", "target_label": "__address__"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            labelmap("__meta_kubernetes_service_label_(.+)", None),
            {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
            {"source_labels": ["__meta_kubernetes_service_name"], "target_label": "service"},
        ],
    });
    json!({
        "global": {
            "evaluation_interval": "1m",
            "scrape_interval": settings.prometheus.scrape_interval,
            "scrape_timeout": "10s",
        },
        "scrape_configs": [
            api_servers,
            node_job("kubernetes-nodes", None),
            node_job("kubernetes-nodes-cadvisor", Some("/metrics/cadvisor")),
            annotated_job("pod", false),
            annotated_job("pod", true),
            annotated_job("service", false),
            annotated_job("service", true),
            services,
            {"job_name": "prometheus", "static_configs": [{"targets": [format!("localhost:{PROMETHEUS_PORT}")]}]},
            {
                "job_name": "prometheus-pushgateway",
                "honor_labels": true,
                "kubernetes_sd_configs": [{"role": "service"}],
                "relabel_configs": [keep("pushgateway", &[probe_label])],
            },
        ],
        "rule_files": [
            format!("{CONFIG_DIR}/recording_rules.yml"),
            format!("{CONFIG_DIR}/alerting_rules.yml"),
            format!("{CONFIG_DIR}/rules"),
            format!("{CONFIG_DIR}/alerts"),
        ],
    })
}

fn cluster_rules() -> Vec<PolicyRule> {
    let read = ["get", "list", "watch"];
    vec![
        rule(
            &[""],
            &[
                "nodes",
                "nodes/metrics",
                "services",
                "endpoints",
                "pods",
                "ingresses",
                "configmaps",
            ],
            &read,
        ),
        rule(
            &["networking.k8s.io"],
            &["ingresses/status", "ingresses"],
            &read,
        ),
        rule(&["discovery.k8s.io"], &["endpointslices"], &read),
        PolicyRule {
            non_resource_urls: Some(strings(&["/metrics"])),
            verbs: strings(&["get"]),
            ..PolicyRule::default()
        },
    ]
}

fn probe(path: &str, extra: impl FnOnce(&mut Probe)) -> Probe {
    let mut p = http_probe(path, IntOrString::Int(PROMETHEUS_PORT.into()), Some("HTTP"));
    extra(&mut p);
    p
}

/// Prometheus' objects.
pub fn render(settings: &AddonSettings) -> Vec<Object> {
    let p = &settings.prometheus;
    let ns = Addon::Prometheus.namespace(settings);
    let labels = object_labels();
    let empty = "{}\n".to_string();
    let cm = config_map(
        meta(NAME, ns, &labels),
        &[
            ("allow-snippet-annotations", "false".into()),
            ("alerting_rules.yml", empty.clone()),
            ("alerts", empty.clone()),
            (
                "prometheus.yml",
                mesh_core::to_yaml_string(&config(settings)),
            ),
            ("recording_rules.yml", empty.clone()),
            ("rules", empty),
        ],
    );
    let mut sa_meta = meta(NAME, ns, &labels);
    sa_meta.annotations = Some(BTreeMap::new());
    let mut out = vec![object(&service_account(sa_meta)), object(&cm)];
    out.extend(cluster_rbac(NAME, NAME, &labels, cluster_rules(), NAME, ns));
    let mut svc = cluster_ip_service(
        meta(NAME, ns, &labels),
        vec![service_port(
            Some("http"),
            PROMETHEUS_PORT.into(),
            Some(IntOrString::Int(PROMETHEUS_PORT.into())),
            Some("TCP"),
        )],
        &selector(),
    );
    if let Some(spec) = svc.spec.as_mut() {
        spec.session_affinity = Some("None".into());
    }
    out.push(object(&svc));

    let mut reloader = container(
        "prometheus-server-configmap-reload",
        &p.config_reloader_image,
    );
    reloader.image_pull_policy = Some("IfNotPresent".into());
    reloader.args = Some(vec![
        format!("--watched-dir={CONFIG_DIR}"),
        format!("--listen-address=0.0.0.0:{RELOADER_PORT}"),
        format!("--reload-url=http://127.0.0.1:{PROMETHEUS_PORT}/-/reload"),
    ]);
    reloader.ports = Some(vec![container_port(Some("metrics"), RELOADER_PORT, None)]);
    let health = |p: &mut Probe| p.period_seconds = Some(10);
    let mut live = http_probe(
        "/healthz",
        IntOrString::String("metrics".into()),
        Some("HTTP"),
    );
    health(&mut live);
    live.initial_delay_seconds = Some(2);
    let mut ready = http_probe(
        "/healthz",
        IntOrString::String("metrics".into()),
        Some("HTTP"),
    );
    health(&mut ready);
    reloader.liveness_probe = Some(live);
    reloader.readiness_probe = Some(ready);
    let mut config_mount = mount("config-volume", CONFIG_DIR);
    config_mount.read_only = Some(true);
    reloader.volume_mounts = Some(vec![config_mount]);

    let mut server = container("prometheus-server", &p.image);
    server.image_pull_policy = Some("IfNotPresent".into());
    server.args = Some(vec![
        format!("--storage.tsdb.retention.time={}", p.retention),
        format!("--config.file={CONFIG_DIR}/prometheus.yml"),
        "--storage.tsdb.path=/data".into(),
        "--web.console.libraries=/etc/prometheus/console_libraries".into(),
        "--web.console.templates=/etc/prometheus/consoles".into(),
        "--web.enable-lifecycle".into(),
    ]);
    server.ports = Some(vec![container_port(None, PROMETHEUS_PORT.into(), None)]);
    server.readiness_probe = Some(probe("/-/ready", |p| {
        p.initial_delay_seconds = Some(0);
        p.period_seconds = Some(5);
        p.timeout_seconds = Some(4);
        p.failure_threshold = Some(3);
        p.success_threshold = Some(1);
    }));
    server.liveness_probe = Some(probe("/-/healthy", |p| {
        p.initial_delay_seconds = Some(30);
        p.period_seconds = Some(15);
        p.timeout_seconds = Some(10);
        p.failure_threshold = Some(3);
        p.success_threshold = Some(1);
    }));
    let mut data = mount("storage-volume", "/data");
    data.sub_path = Some(String::new());
    server.volume_mounts = Some(vec![mount("config-volume", CONFIG_DIR), data]);
    server.resources = resources(p.resources.as_ref());

    let storage = storage_volume(
        "storage-volume",
        meta(NAME, ns, &labels),
        &p.storage,
        &mut out,
    );
    let pod = PodSpec {
        enable_service_links: Some(true),
        service_account_name: Some(NAME.into()),
        containers: vec![reloader, server],
        dns_policy: Some("ClusterFirst".into()),
        termination_grace_period_seconds: Some(300),
        volumes: Some(vec![config_map_volume("config-volume", NAME), storage]),
        ..PodSpec::default()
    };
    let mut pod_labels = labels.clone();
    pod_labels.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
    pod_labels.insert("sidecar.istio.io/inject".into(), "false".into());
    // No checksum annotation: the config reloader applies ConfigMap changes without a restart.
    let annotations = BTreeMap::new();
    let template = pod_template(pod_labels, annotations, pod);
    let mut deploy = deployment(meta(NAME, ns, &labels), &selector(), template);
    if let Some(spec) = deploy.spec.as_mut() {
        spec.strategy = Some(DeploymentStrategy {
            type_: Some("Recreate".into()),
            rolling_update: None,
        });
        spec.replicas = Some(1);
        spec.revision_history_limit = Some(10);
    }
    out.push(object(&deploy));
    out
}
