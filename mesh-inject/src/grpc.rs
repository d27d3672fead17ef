//! The built-in proxyless gRPC templates, rendered natively: `grpc-simple` (a bootstrap file
//! written by an init container) and `grpc-agent` (the Istio agent without Envoy).

use crate::annotations as ann;
use crate::error::InjectError;
use crate::sidecar::{cluster_id, readiness_probe, sidecar_args};
use crate::template_data::{
    TemplateData, bootstrap_volume, env, field_env, identity_env, image_pull_policy,
    image_pull_secrets, istiod_ca_volume, mesh_identity_env, mtls_certs_volume, object,
    podinfo_volume, proxy_metadata_env, strings, token_volume, workload_certs_mount,
    workload_certs_volume,
};
use mesh_core::{Value, obj};
use serde_json::{Map, json};

const BOOTSTRAP_DIR: &str = "/var/lib/grpc/data/";
const BOOTSTRAP_VOLUME: &str = "grpc-io-proxyless-bootstrap";

/// The shell script of the `grpc-bootstrap-init` container: writes a gRPC xDS bootstrap file
/// pointing at istiod's plaintext port.
fn bootstrap_script() -> String {
    let json_lines = [
        "{",
        "  \"xds_servers\": [",
        "    {",
        "      \"server_uri\": \"'${SERVER_URI}'\",",
        "      \"channel_creds\": [{\"type\": \"insecure\"}],",
        "      \"server_features\" : [\"xds_v3\"]",
        "    }",
        "  ],",
        "  \"node\": {",
        "    \"id\": \"'${NODE_ID}'\",",
        "    \"metadata\": {",
        "      \"GENERATOR\": \"grpc\"",
        "    }",
        "  }",
        "}",
    ];
    format!(
        "NODE_ID=\"sidecar~${{INSTANCE_IP}}~${{POD_NAME}}.${{POD_NAMESPACE}}~cluster.local\"\n\
         SERVER_URI=\"dns:///istiod.${{ISTIO_NAMESPACE}}.svc:15010\"\n\
         echo '\n{}' > {BOOTSTRAP_DIR}bootstrap.json",
        json_lines.join("\n")
    )
}

fn container_names(d: &TemplateData<'_>) -> Vec<String> {
    d.spec
        .get("containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Renders `grpc-simple`.
pub(crate) fn render_simple(d: &TemplateData<'_>) -> Result<Value, InjectError> {
    let bootstrap_mount = obj! { "mountPath" => BOOTSTRAP_DIR, "name" => BOOTSTRAP_VOLUME };
    let init = object([
        ("name", json!("grpc-bootstrap-init")),
        ("image", json!("busybox:1.28")),
        ("resources", json!({})),
        ("volumeMounts", Value::Array(vec![bootstrap_mount.clone()])),
        (
            "env",
            Value::Array(vec![
                field_env("INSTANCE_IP", "status.podIP"),
                field_env("POD_NAME", "metadata.name"),
                field_env("POD_NAMESPACE", "metadata.namespace"),
                env(
                    "ISTIO_NAMESPACE",
                    format!("{}\n", d.values.str("global.istioNamespace")),
                ),
            ]),
        ),
        (
            "command",
            strings(vec!["sh".into(), "-c".into(), bootstrap_script()]),
        ),
    ]);
    let containers: Vec<Value> = container_names(d)
        .into_iter()
        .map(|name| {
            object([
                ("name", Value::String(name)),
                (
                    "env",
                    Value::Array(vec![
                        env(
                            "GRPC_XDS_BOOTSTRAP",
                            format!("{BOOTSTRAP_DIR}bootstrap.json"),
                        ),
                        env("GRPC_GO_LOG_VERBOSITY_LEVEL", "99"),
                        env("GRPC_GO_LOG_SEVERITY_LEVEL", "info"),
                    ]),
                ),
                ("volumeMounts", Value::Array(vec![bootstrap_mount.clone()])),
                ("resources", json!({})),
            ])
        })
        .collect();
    Ok(object([
        (
            "metadata",
            obj! { "annotations" => json!({ann::REWRITE_APP_HTTP_PROBERS: "false"}) },
        ),
        (
            "spec",
            object([
                ("initContainers", Value::Array(vec![init])),
                ("containers", Value::Array(containers)),
                (
                    "volumes",
                    json!([{"name": BOOTSTRAP_VOLUME, "emptyDir": {}}]),
                ),
            ]),
        ),
    ]))
}

/// Renders `grpc-agent`.
pub(crate) fn render_agent(d: &TemplateData<'_>) -> Result<Value, InjectError> {
    let (name, revision) = d.canonical_labels(false);
    let mut annotations = d.common_annotations();
    annotations.insert(ann::REWRITE_APP_HTTP_PROBERS.to_string(), json!("false"));

    let mut containers = vec![agent_container(d)?];
    for name in d.app_containers() {
        containers.push(object([
            ("name", Value::String(name)),
            (
                "env",
                Value::Array(vec![
                    env("GRPC_XDS_EXPERIMENTAL_SECURITY_SUPPORT", "true"),
                    env("GRPC_XDS_BOOTSTRAP", "/etc/istio/proxy/grpc-bootstrap.json"),
                ]),
            ),
            (
                "volumeMounts",
                Value::Array(vec![
                    obj! { "mountPath" => "/var/lib/istio/data", "name" => "istio-data" },
                    obj! { "mountPath" => "/etc/istio/proxy", "name" => "istio-xds" },
                    workload_certs_mount(d),
                ]),
            ),
            ("resources", json!({})),
        ]));
    }
    let mut spec = Map::new();
    spec.insert("containers".into(), Value::Array(containers));
    spec.insert("volumes".into(), Value::Array(volumes(d)?));
    if let Some(secrets) = image_pull_secrets(d) {
        spec.insert("imagePullSecrets".into(), secrets);
    }
    Ok(crate::template_data::partial_pod(
        (name, revision),
        annotations,
        spec,
    ))
}

fn agent_container(d: &TemplateData<'_>) -> Result<Value, InjectError> {
    let mut c = Map::new();
    c.insert("name".into(), json!("istio-proxy"));
    c.insert("image".into(), Value::String(d.image("global.proxy.image")));
    c.insert(
        "ports".into(),
        json!([{"containerPort": 15020, "protocol": "TCP", "name": "mesh-metrics"}]),
    );
    c.insert("args".into(), strings(sidecar_args(d)));
    c.insert(
        "lifecycle".into(),
        obj! {
            "postStart" => json!({"exec": {"command": [
            "pilot-agent", "wait", "--url=http://localhost:15020/healthz/ready"
        ]}}),
        },
    );
    c.insert("env".into(), Value::Array(agent_env(d)));
    if let Some(p) = image_pull_policy(d) {
        c.insert("imagePullPolicy".into(), p);
    }
    let mut mounts = Vec::new();
    if d.status_port() != "0" {
        c.insert("readinessProbe".into(), readiness_probe(d, 15020, true));
        c.insert("resources".into(), d.resources()?);
        mounts.push(
            obj! { "name" => "workload-socket", "mountPath" => "/var/run/secrets/workload-spiffe-uds" },
        );
        mounts.push(workload_certs_mount(d));
        if d.values.str("global.pilotCertProvider") == "istiod" {
            mounts
                .push(obj! { "mountPath" => "/var/run/secrets/istio", "name" => "istiod-ca-cert" });
        }
        mounts.push(obj! { "mountPath" => "/var/lib/istio/data", "name" => "istio-data" });
        mounts.push(obj! { "mountPath" => "/etc/istio/proxy", "name" => "istio-xds" });
        mounts.push(obj! { "mountPath" => "/var/run/secrets/tokens", "name" => "istio-token" });
        if d.values.truthy("global.mountMtlsCerts") {
            mounts.push(
                obj! { "mountPath" => "/etc/certs/", "name" => "istio-certs", "readOnly" => true },
            );
        }
        mounts.push(obj! { "name" => "istio-podinfo", "mountPath" => "/etc/istio/pod" });
    }
    mounts.extend(d.named_entries(ann::USER_VOLUME_MOUNT)?);
    if !mounts.is_empty() {
        c.insert("volumeMounts".into(), Value::Array(mounts));
    }
    c.entry("resources").or_insert_with(|| json!({}));
    Ok(Value::Object(c))
}

fn agent_env(d: &TemplateData<'_>) -> Vec<Value> {
    let mut e = vec![
        env("ISTIO_META_GENERATOR", "grpc"),
        env("OUTPUT_CERTS", "/var/lib/istio/data"),
    ];
    if d.inbound_localhost() {
        e.push(env("REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION", "true"));
    }
    e.push(env(
        "PILOT_CERT_PROVIDER",
        d.values.str("global.pilotCertProvider"),
    ));
    e.push(env("CA_ADDR", d.ca_address()));
    e.extend(identity_env());
    e.push(env(
        "PROXY_CONFIG",
        format!("{}\n", d.proxy_config.cleaned_json()),
    ));
    e.push(env("ISTIO_META_POD_PORTS", d.pod_ports()));
    e.push(env(
        "ISTIO_META_APP_CONTAINERS",
        d.app_containers().join(","),
    ));
    e.push(env("ISTIO_META_CLUSTER_ID", cluster_id(d)));
    e.push(field_env("ISTIO_META_NODE_NAME", "spec.nodeName"));
    let network = d.values.str("global.network");
    if !network.is_empty() {
        e.push(env("ISTIO_META_NETWORK", network));
    }
    if !d.deploy.name.is_empty() {
        e.push(env("ISTIO_META_WORKLOAD_NAME", d.deploy.name.clone()));
    }
    if let Some(owner) = d.owner() {
        e.push(env("ISTIO_META_OWNER", owner));
    }
    e.extend(mesh_identity_env(d));
    e.extend(proxy_metadata_env(d));
    e.push(env("ISTIO_META_DNS_CAPTURE", "false"));
    e.push(env("DISABLE_ENVOY", "true"));
    e
}

fn volumes(d: &TemplateData<'_>) -> Result<Vec<Value>, InjectError> {
    let mut v = vec![
        obj! { "name" => "workload-socket" },
        workload_certs_volume(d, false),
    ];
    v.extend(bootstrap_volume(d));
    v.push(obj! { "name" => "istio-xds", "emptyDir" => json!({"medium": "Memory"}) });
    v.push(obj! { "name" => "istio-data", "emptyDir" => json!({}) });
    v.push(podinfo_volume());
    v.push(token_volume(d));
    v.extend(istiod_ca_volume(d));
    v.extend(mtls_certs_volume(d));
    v.extend(d.named_entries(ann::USER_VOLUME)?);
    Ok(v)
}
