//! The built-in `gateway` template, rendered natively: the router proxy for gateway
//! deployments (no traffic capture, no init container).

use crate::annotations as ann;
use crate::error::InjectError;
use crate::sidecar::{cluster_id, readiness_probe, router_args};
use crate::template_data::{
    TemplateData, bootstrap_volume, env, field_env, identity_env, image_pull_policy,
    image_pull_secrets, istiod_ca_volume, mesh_identity_env, mtls_certs_volume, podinfo_volume,
    proxy_metadata_env, resource_env, strings, token_volume, workload_certs_volume,
};
use mesh_core::{Value, obj};
use serde_json::{Map, json};

/// Renders the `gateway` template: a partial pod to merge onto the gateway pod.
pub(crate) fn render(d: &TemplateData<'_>) -> Result<Value, InjectError> {
    let (name, revision) = d.canonical_labels(false);
    let mut spec = Map::new();
    let pod_sc = match d.values.get("gateways.securityContext") {
        Some(sc) if mesh_core::go::truthy(sc) => crate::template_data::pruned(sc),
        _ => {
            obj! { "sysctls" => json!([{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]) }
        }
    };
    spec.insert("securityContext".into(), pod_sc);
    spec.insert("containers".into(), Value::Array(vec![proxy_container(d)]));
    spec.insert("volumes".into(), Value::Array(volumes(d)));
    if let Some(secrets) = image_pull_secrets(d) {
        spec.insert("imagePullSecrets".into(), secrets);
    }
    Ok(crate::template_data::partial_pod(
        (name, revision),
        d.common_annotations(),
        spec,
    ))
}

fn proxy_container(d: &TemplateData<'_>) -> Value {
    let mut c = Map::new();
    c.insert("name".into(), json!("istio-proxy"));
    c.insert("image".into(), Value::String(d.image("global.proxy.image")));
    c.insert(
        "ports".into(),
        json!([{"containerPort": 15090, "protocol": "TCP", "name": "http-envoy-prom"}]),
    );
    c.insert("args".into(), strings(router_args(d)));
    if let Some(lc) = d
        .values
        .get("global.proxy.lifecycle")
        .filter(|v| mesh_core::go::truthy(v))
    {
        c.insert("lifecycle".into(), crate::template_data::pruned(lc));
    }
    let id = |v: i64| if v == 0 { 1337 } else { v };
    c.insert(
        "securityContext".into(),
        obj! { "runAsUser" => id(d.proxy_uid), "runAsGroup" => id(d.proxy_gid) },
    );
    c.insert("env".into(), Value::Array(proxy_env(d)));
    if let Some(p) = image_pull_policy(d) {
        c.insert("imagePullPolicy".into(), p);
    }
    c.insert("readinessProbe".into(), readiness_probe(d, 15021, false));
    c.insert(
        "volumeMounts".into(),
        Value::Array(crate::sidecar::proxy_volume_mounts(d, false)),
    );
    c.insert("resources".into(), Value::Object(Map::new()));
    Value::Object(c)
}

fn proxy_env(d: &TemplateData<'_>) -> Vec<Value> {
    let mut e = vec![
        env(
            "PILOT_CERT_PROVIDER",
            d.values.str("global.pilotCertProvider"),
        ),
        env("CA_ADDR", d.ca_address()),
    ];
    e.extend(identity_env());
    e.push(resource_env("ISTIO_CPU_LIMIT", "limits.cpu"));
    e.push(env(
        "PROXY_CONFIG",
        format!("{}\n", d.proxy_config.cleaned_json()),
    ));
    e.push(env("ISTIO_META_POD_PORTS", d.pod_ports()));
    e.push(resource_env("GOMEMLIMIT", "limits.memory"));
    e.push(resource_env("GOMAXPROCS", "limits.cpu"));
    if !d.compliance_policy.is_empty() {
        e.push(env("COMPLIANCE_POLICY", d.compliance_policy));
    }
    e.push(env(
        "ISTIO_META_APP_CONTAINERS",
        d.app_containers().join(","),
    ));
    e.push(env("ISTIO_META_CLUSTER_ID", cluster_id(d)));
    e.push(field_env("ISTIO_META_NODE_NAME", "spec.nodeName"));
    e.push(env(
        "ISTIO_META_INTERCEPTION_MODE",
        d.proxy_config.interception_mode(),
    ));
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
    if d.has_annotation(ann::BOOTSTRAP_OVERRIDE) {
        e.push(env(
            "ISTIO_BOOTSTRAP_OVERRIDE",
            "/etc/istio/custom-bootstrap/custom_bootstrap.json",
        ));
    }
    e.extend(mesh_identity_env(d));
    e.extend(proxy_metadata_env(d));
    e
}

fn volumes(d: &TemplateData<'_>) -> Vec<Value> {
    let mut v = vec![
        obj! { "name" => "workload-socket" },
        obj! { "name" => "credential-socket", "emptyDir" => json!({}) },
        workload_certs_volume(d, true),
    ];
    v.extend(bootstrap_volume(d));
    v.push(obj! { "name" => "istio-envoy", "emptyDir" => json!({"medium": "Memory"}) });
    v.push(obj! { "name" => "istio-data", "emptyDir" => json!({}) });
    v.push(podinfo_volume());
    v.push(token_volume(d));
    v.extend(istiod_ca_volume(d));
    v.extend(mtls_certs_volume(d));
    v
}
