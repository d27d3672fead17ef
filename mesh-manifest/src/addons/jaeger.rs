//! Jaeger (v2, all in one): its collector/query configuration (OTLP, Jaeger and Zipkin
//! receivers, Badger or in-memory storage, remote sampling), Deployment and Services.

use super::Addon;
use super::common::*;
use super::settings::{AddonSettings, StorageType};
use super::wiring::JAEGER_QUERY_GRPC_PORT;
use crate::Object;
use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};

const NAME: &str = "jaeger";
const CONFIG_DIR: &str = "/jaeger-configuration";
const DATA_DIR: &str = "/badger";
const HEALTH_PORT: i32 = 13133;
const METRICS_PORT: u16 = 8888;
const ZIPKIN_PORT: i32 = 9411;

/// A number as JSON, whole numbers as integers (`1`, not `1.0`).
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

fn endpoint(port: u16) -> Value {
    json!({"endpoint": format!("0.0.0.0:{port}")})
}

/// Jaeger's `config.yaml`, as a value.
pub fn config(settings: &AddonSettings) -> Value {
    let j = &settings.jaeger;
    let (backend_name, backend) = match j.storage.kind {
        StorageType::Memory => (
            "memory_storage",
            json!({"memory": {"max_traces": j.max_traces}}),
        ),
        _ => (
            "badger_storage",
            json!({"badger": {
                "ephemeral": false,
                "directories": {"keys": format!("{DATA_DIR}/key"), "values": format!("{DATA_DIR}/data/")},
            }}),
        ),
    };
    json!({
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "remote_sampling", "healthcheckv2", "expvar", "zpages"],
            "pipelines": {"traces": {
                "receivers": ["otlp", "jaeger", "zipkin"],
                "processors": ["batch"],
                "exporters": ["jaeger_storage_exporter"],
            }},
            "telemetry": {
                "resource": {"service.name": NAME},
                "metrics": {
                    "level": "detailed",
                    "readers": [{"pull": {"exporter": {"prometheus": {"host": "0.0.0.0", "port": METRICS_PORT}}}}],
                },
                "logs": {"level": "info"},
            },
        },
        "extensions": {
            "jaeger_query": {"base_path": "/jaeger", "storage": {"traces": backend_name}},
            "jaeger_storage": {"backends": {backend_name: backend}},
            "remote_sampling": {
                "file": {
                    "path": null,
                    "default_sampling_probability": number(j.sampling_probability),
                    "reload_interval": "1s",
                },
                "http": endpoint(5778),
                "grpc": endpoint(5779),
            },
            "healthcheckv2": {"use_v2": true, "http": endpoint(HEALTH_PORT as u16), "grpc": null},
            "expvar": endpoint(27777),
            "zpages": endpoint(27778),
        },
        "receivers": {
            "otlp": {"protocols": {"grpc": endpoint(4317), "http": endpoint(4318)}},
            "jaeger": {"protocols": {
                "grpc": endpoint(14250),
                "thrift_http": endpoint(14268),
                "thrift_binary": endpoint(6832),
                "thrift_compact": endpoint(6831),
            }},
            "zipkin": endpoint(ZIPKIN_PORT as u16),
        },
        "processors": {"batch": null},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": backend_name}},
    })
}

/// Jaeger's objects.
pub fn render(settings: &AddonSettings) -> Vec<Object> {
    let j = &settings.jaeger;
    let ns = Addon::Jaeger.namespace(settings);
    let app = labels(&[("app", NAME)]);
    let cm = config_map(
        meta(NAME, ns, &app),
        &[("config.yaml", mesh_core::to_yaml_string(&config(settings)))],
    );
    let mut out = Vec::new();

    let mut c = container(NAME, &j.image);
    c.args = Some(strings(&["--config", &format!("{CONFIG_DIR}/config.yaml")]));
    let health = || http_probe("/status", IntOrString::Int(HEALTH_PORT), None);
    c.liveness_probe = Some(health());
    c.readiness_probe = Some(health());
    let mut mounts = Vec::new();
    let mut volumes = Vec::new();
    if j.storage.kind != StorageType::Memory {
        mounts.push(mount("data", DATA_DIR));
        volumes.push(storage_volume(
            "data",
            meta(NAME, ns, &app),
            &j.storage,
            &mut out,
        ));
    }
    mounts.push(mount("jaeger-configuration", CONFIG_DIR));
    volumes.push(config_map_volume("jaeger-configuration", NAME));
    c.volume_mounts = Some(mounts);
    c.resources = resources(j.resources.as_ref());
    let pod = PodSpec {
        containers: vec![c],
        volumes: Some(volumes),
        ..PodSpec::default()
    };
    let mut pod_labels = app.clone();
    pod_labels.insert("sidecar.istio.io/inject".into(), "false".into());
    let annotations = labels(&[
        ("prometheus.io/scrape", "true"),
        ("prometheus.io/port", &METRICS_PORT.to_string()),
    ]);
    let mut deploy = deployment(
        meta(NAME, ns, &app),
        &app,
        pod_template(pod_labels, annotations, pod),
    );
    if j.storage.kind == StorageType::PersistentVolumeClaim
        && let Some(spec) = deploy.spec.as_mut()
    {
        // A ReadWriteOnce claim cannot be mounted by the old and the new pod at once.
        spec.strategy = Some(k8s_openapi::api::apps::v1::DeploymentStrategy {
            type_: Some("Recreate".into()),
            rolling_update: None,
        });
    }
    out.push(object(&deploy));

    let port = |name: &str, port: i32, target: Option<i32>, protocol: Option<&str>| {
        service_port(Some(name), port, target.map(IntOrString::Int), protocol)
    };
    let tracing = cluster_ip_service(
        meta("tracing", ns, &app),
        vec![
            port("http-query", 80, Some(16686), Some("TCP")),
            port(
                "grpc-query",
                JAEGER_QUERY_GRPC_PORT.into(),
                Some(JAEGER_QUERY_GRPC_PORT.into()),
                Some("TCP"),
            ),
        ],
        &app,
    );
    out.push(object(&tracing));
    out.push(object(&cm));
    out.push(object(&service(
        meta("zipkin", ns, &labels(&[("name", "zipkin")])),
        vec![port("http-query", ZIPKIN_PORT, Some(ZIPKIN_PORT), None)],
        &app,
    )));
    let collector = cluster_ip_service(
        meta("jaeger-collector", ns, &app),
        vec![
            port("jaeger-collector-http", 14268, Some(14268), Some("TCP")),
            port("jaeger-collector-grpc", 14250, Some(14250), Some("TCP")),
            port("http-zipkin", ZIPKIN_PORT, Some(ZIPKIN_PORT), None),
            port("grpc-otel", 4317, None, None),
            port("http-otel", 4318, None, None),
        ],
        &app,
    );
    out.push(object(&collector));
    out
}
