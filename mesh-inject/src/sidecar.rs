//! The built-in `sidecar` template, rendered natively: the `istio-init`/`istio-validation`
//! container with its `istio-iptables` arguments, the `istio-proxy` container (classic or
//! native sidecar), the proxy volumes, and the labels and annotations the pod receives.

use crate::annotations as ann;
use crate::error::InjectError;
use crate::template_data::{
    TemplateData, bootstrap_volume, env, field_env, identity_env, image_pull_policy,
    image_pull_secrets, istiod_ca_volume, mesh_identity_env, mtls_certs_volume, object,
    podinfo_volume, proxy_metadata_env, pruned, resource_env, strings, token_volume,
    workload_certs_mount, workload_certs_volume, yaml_scalar,
};
use mesh_core::{Value, obj};
use serde_json::{Map, json};

/// Renders the `sidecar` template: a partial pod to merge onto the application pod.
pub(crate) fn render(d: &TemplateData<'_>) -> Result<Value, InjectError> {
    let native = d.native_sidecar();
    let mode = d.interception_mode();
    let tproxy = mode == "TPROXY";
    let hold = (d.proxy_config.hold_application_until_proxy_starts()
        || d.values
            .truthy("global.proxy.holdApplicationUntilProxyStarts"))
        && !native;

    let mut spec = Map::new();
    let proxy = proxy_container(d, native, hold, tproxy)?;
    let mut init = Vec::new();
    if mode != "NONE" {
        init.push(init_container(d, &mode, tproxy)?);
    }
    if native {
        init.push(proxy);
        spec.insert("initContainers".to_string(), Value::Array(init));
    } else {
        spec.insert("initContainers".to_string(), Value::Array(init));
        spec.insert("containers".to_string(), Value::Array(vec![proxy]));
    }
    spec.insert("volumes".to_string(), Value::Array(volumes(d)?));
    if let Some(secrets) = image_pull_secrets(d) {
        spec.insert("imagePullSecrets".to_string(), secrets);
    }
    Ok(object([
        (
            "metadata",
            object([("labels", labels(d)), ("annotations", annotations(d))]),
        ),
        ("spec", Value::Object(spec)),
    ]))
}

fn labels(d: &TemplateData<'_>) -> Value {
    let mut out = Map::new();
    let label_or = |key: &str, default: &str| {
        d.labels
            .get(key)
            .filter(|v| !v.is_empty())
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    out.insert(
        ann::LABEL_TLS_MODE.to_string(),
        Value::String(label_or(ann::LABEL_TLS_MODE, "istio")),
    );
    if d.proxy_metadata
        .get("ISTIO_META_ENABLE_HBONE")
        .is_some_and(|v| v == "true")
    {
        out.insert(
            ann::LABEL_TUNNEL.to_string(),
            Value::String(label_or(ann::LABEL_TUNNEL, "http")),
        );
    }
    let (name, revision) = d.canonical_labels(true);
    out.insert(ann::LABEL_CANONICAL_NAME.to_string(), Value::String(name));
    out.insert(
        ann::LABEL_CANONICAL_REVISION.to_string(),
        Value::String(revision),
    );
    Value::Object(out)
}

fn annotations(d: &TemplateData<'_>) -> Value {
    let mut out = d.common_annotations();
    if d.values.truthy("pilot.cni.enabled") {
        cni_annotations(d, &mut out);
    }
    Value::Object(out)
}

/// With the CNI plugin, the traffic settings travel to the node agent as pod annotations.
fn cni_annotations(d: &TemplateData<'_>, out: &mut Map<String, Value>) {
    let mut put = |k: &str, v: String| {
        out.insert(k.to_string(), Value::String(v));
    };
    if d.values.str("pilot.cni.provider") == "multus" {
        let existing = d.annotation_or(ann::MULTUS_NETWORKS, "");
        put(
            ann::MULTUS_NETWORKS,
            append_multus_network(&existing, "default/istio-cni"),
        );
    }
    put(ann::INTERCEPTION_MODE, d.interception_mode());
    let include_ranges = include_ip_ranges(d);
    if !include_ranges.is_empty() {
        put(ann::INCLUDE_OUTBOUND_IP_RANGES, include_ranges);
    }
    let exclude_ranges = exclude_ip_ranges(d);
    if !exclude_ranges.is_empty() {
        put(ann::EXCLUDE_OUTBOUND_IP_RANGES, exclude_ranges);
    }
    put(ann::INCLUDE_INBOUND_PORTS, include_inbound_ports(d));
    put(ann::EXCLUDE_INBOUND_PORTS, exclude_inbound_ports(d));
    if let Some(v) = include_outbound_ports(d) {
        put(ann::INCLUDE_OUTBOUND_PORTS, v);
    }
    if let Some(v) = exclude_outbound_ports(d) {
        put(ann::EXCLUDE_OUTBOUND_PORTS, v);
    }
    for key in [
        ann::KUBEVIRT_INTERFACES,
        ann::REROUTE_VIRTUAL_INTERFACES,
        ann::EXCLUDE_INTERFACES,
    ] {
        if let Some(v) = d.annotations.get(key).filter(|v| !v.is_empty()) {
            put(key, v.clone());
        }
    }
}

fn include_ip_ranges(d: &TemplateData<'_>) -> String {
    d.annotation_or_value(
        ann::INCLUDE_OUTBOUND_IP_RANGES,
        "global.proxy.includeIPRanges",
    )
}

fn exclude_ip_ranges(d: &TemplateData<'_>) -> String {
    d.annotation_or_value(
        ann::EXCLUDE_OUTBOUND_IP_RANGES,
        "global.proxy.excludeIPRanges",
    )
}

fn include_inbound_ports(d: &TemplateData<'_>) -> String {
    d.annotation_or_value(
        ann::INCLUDE_INBOUND_PORTS,
        "global.proxy.includeInboundPorts",
    )
}

/// The excluded inbound ports, with the status port added.
fn exclude_inbound_ports(d: &TemplateData<'_>) -> String {
    exclude_inbound_port(
        &d.status_port(),
        &d.annotation_or_value(
            ann::EXCLUDE_INBOUND_PORTS,
            "global.proxy.excludeInboundPorts",
        ),
    )
}

fn include_outbound_ports(d: &TemplateData<'_>) -> Option<String> {
    let configured = d.values.str("global.proxy.includeOutboundPorts");
    (d.has_annotation(ann::INCLUDE_OUTBOUND_PORTS) || !configured.is_empty())
        .then(|| d.annotation_or(ann::INCLUDE_OUTBOUND_PORTS, configured))
}

fn exclude_outbound_ports(d: &TemplateData<'_>) -> Option<String> {
    let configured = d.values.str("global.proxy.excludeOutboundPorts");
    (d.has_annotation(ann::EXCLUDE_OUTBOUND_PORTS) || !configured.is_empty())
        .then(|| d.annotation_or(ann::EXCLUDE_OUTBOUND_PORTS, configured))
}

/// Adds `port` to a comma-separated port list unless it is already there (or is 0/empty).
pub(crate) fn exclude_inbound_port(port: &str, excluded: &str) -> String {
    let port = port.trim();
    if port.is_empty() || port == "0" {
        return excluded.to_string();
    }
    let mut out = Vec::new();
    for p in excluded.split(',') {
        if p == port {
            return excluded.to_string();
        }
        let p = p.trim();
        if !p.is_empty() {
            out.push(p);
        }
    }
    out.push(port);
    out.join(",")
}

/// Appends the Istio CNI network to a Multus networks annotation, in the annotation's own form:
/// a comma-separated list gets `namespace/name` (`default/istio-cni`), a JSON list gets an
/// object (`{"name": "istio-cni", "namespace": "default"}`). A network already listed (in
/// either spelling) is not added twice; an unparsable JSON list is left alone.
pub(crate) fn append_multus_network(existing: &str, network: &str) -> String {
    if existing.is_empty() {
        return network.to_string();
    }
    let (namespace, name) = match network.split_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, network),
    };
    if let Some(i) = existing.rfind(']') {
        let Ok(nets) = serde_json::from_str::<Vec<Map<String, Value>>>(existing) else {
            return existing.to_string();
        };
        let listed = nets.iter().any(|n| {
            let n_name = n.get("name").and_then(Value::as_str);
            let n_ns = n.get("namespace").and_then(Value::as_str);
            n_name == Some(network) || (n_name == Some(name) && n_ns == namespace)
        });
        if listed {
            return existing.to_string();
        }
        let entry = match namespace {
            Some(ns) => format!("{{\"name\": \"{name}\", \"namespace\": \"{ns}\"}}"),
            None => format!("{{\"name\": \"{name}\"}}"),
        };
        let head = existing[..i].trim_end();
        // An empty list gets no leading comma.
        let sep = if head.ends_with('[') { "" } else { ", " };
        return format!("{head}{sep}{entry}{}", &existing[i..]);
    }
    if existing.split(',').any(|n| n.trim() == network) {
        return existing.to_string();
    }
    format!("{existing}, {network}")
}

fn uid_text(id: i64) -> String {
    if id == 0 {
        "1337".to_string()
    } else {
        id.to_string()
    }
}

fn uid_number(id: i64) -> i64 {
    if id == 0 { 1337 } else { id }
}

fn port_text(port: i64, default: &str) -> String {
    if port == 0 {
        default.to_string()
    } else {
        port.to_string()
    }
}

/// The `istio-iptables` arguments of the init (or validation) container.
fn iptables_args(d: &TemplateData<'_>, mode: &str, tproxy: bool) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "istio-iptables".into(),
        "-p".into(),
        port_text(d.mesh.proxy_listen_port(), "15001"),
        "-z".into(),
        port_text(d.mesh.proxy_inbound_listen_port(), "15006"),
        "-u".into(),
        if tproxy {
            "1337".into()
        } else {
            uid_text(d.proxy_uid)
        },
        "-m".into(),
        mode.to_string(),
        "-i".into(),
        include_ip_ranges(d),
        "-x".into(),
        exclude_ip_ranges(d),
        "-b".into(),
        include_inbound_ports(d),
        "-d".into(),
    ];
    let excluded = exclude_inbound_ports(d);
    args.push(if excluded.is_empty() {
        "15090,15021".to_string()
    } else {
        format!("15090,15021,{excluded}")
    });
    if let Some(v) = include_outbound_ports(d) {
        args.extend(["-q".to_string(), v]);
    }
    if let Some(v) = exclude_outbound_ports(d) {
        args.extend(["-o".to_string(), v]);
    }
    if let Some(v) = d.annotations.get(ann::REROUTE_VIRTUAL_INTERFACES) {
        args.extend(["-k".to_string(), v.clone()]);
    } else if let Some(v) = d.annotations.get(ann::KUBEVIRT_INTERFACES) {
        args.extend(["-k".to_string(), v.clone()]);
    }
    if let Some(v) = d.annotations.get(ann::EXCLUDE_INTERFACES) {
        args.extend(["-c".to_string(), v.clone()]);
    }
    args.push(format!(
        "--log_output_level={}",
        d.annotation_or_value(ann::AGENT_LOG_LEVEL, "global.logging.level")
    ));
    if d.values.truthy("global.logAsJson") {
        args.push("--log_as_json".into());
    }
    if d.values.truthy("pilot.cni.enabled") {
        args.extend([
            "--run-validation".to_string(),
            "--skip-rule-apply".to_string(),
        ]);
    } else if d.values.truthy("global.proxy_init.forceApplyIptables") {
        args.push("--force-apply".into());
    }
    if d.values.truthy("global.nativeNftables") {
        args.push("--native-nftables".into());
    }
    args
}

fn init_container(d: &TemplateData<'_>, mode: &str, tproxy: bool) -> Result<Value, InjectError> {
    let cni = d.values.truthy("pilot.cni.enabled");
    let mut c = Map::new();
    let name = if cni {
        "istio-validation"
    } else {
        "istio-init"
    };
    c.insert("name".into(), json!(name));
    c.insert(
        "image".into(),
        Value::String(d.image("global.proxy_init.image")),
    );
    c.insert("args".into(), strings(iptables_args(d, mode, tproxy)));
    if let Some(p) = image_pull_policy(d) {
        c.insert("imagePullPolicy".into(), p);
    }
    let metadata = proxy_metadata_env(d);
    if !metadata.is_empty() {
        c.insert("env".into(), Value::Array(metadata));
    }
    c.insert("resources".into(), d.resources()?);
    let mut sc = Map::new();
    if let Some(privileged) = d.values.get("global.proxy.privileged") {
        sc.insert("allowPrivilegeEscalation".into(), privileged.clone());
        sc.insert("privileged".into(), privileged.clone());
    }
    if cni {
        sc.insert("capabilities".into(), obj! { "drop" => json!(["ALL"]) });
        sc.insert("readOnlyRootFilesystem".into(), json!(true));
        let (uid, gid) = if tproxy {
            (1337, 1337)
        } else {
            (uid_number(d.proxy_uid), uid_number(d.proxy_gid))
        };
        sc.insert("runAsGroup".into(), json!(gid));
        sc.insert("runAsUser".into(), json!(uid));
        sc.insert("runAsNonRoot".into(), json!(true));
    } else {
        sc.insert(
            "capabilities".into(),
            obj! { "add" => json!(["NET_ADMIN", "NET_RAW"]), "drop" => json!(["ALL"]) },
        );
        sc.insert("readOnlyRootFilesystem".into(), json!(false));
        sc.insert("runAsGroup".into(), json!(0));
        sc.insert("runAsNonRoot".into(), json!(false));
        sc.insert("runAsUser".into(), json!(0));
    }
    add_seccomp(d, &mut sc);
    c.insert("securityContext".into(), Value::Object(sc));
    Ok(Value::Object(c))
}

fn add_seccomp(d: &TemplateData<'_>, sc: &mut Map<String, Value>) {
    if let Some(p) = d.values.get("global.proxy.seccompProfile")
        && mesh_core::go::truthy(p)
    {
        sc.insert("seccompProfile".into(), pruned(p));
    }
}

fn proxy_args(d: &TemplateData<'_>, role: &str) -> Vec<String> {
    let mut args = vec![
        "proxy".to_string(),
        role.to_string(),
        "--domain".to_string(),
        format!(
            "$(POD_NAMESPACE).svc.{}",
            d.values.str("global.proxy.clusterDomain")
        ),
        format!(
            "--proxyLogLevel={}",
            d.annotation_or_value(ann::LOG_LEVEL, "global.proxy.logLevel")
        ),
        format!(
            "--proxyComponentLogLevel={}",
            d.annotation_or_value(ann::COMPONENT_LOG_LEVEL, "global.proxy.componentLogLevel")
        ),
        format!(
            "--log_output_level={}",
            d.annotation_or_value(ann::AGENT_LOG_LEVEL, "global.logging.level")
        ),
    ];
    if d.values.truthy("global.sts.servicePort") {
        args.push(format!(
            "--stsPort={}",
            d.values.str("global.sts.servicePort")
        ));
    }
    if d.values.truthy("global.logAsJson") {
        args.push("--log_as_json".to_string());
    }
    args
}

/// The proxy arguments shared by the sidecar and the gRPC agent templates.
pub(crate) fn sidecar_args(d: &TemplateData<'_>) -> Vec<String> {
    proxy_args(d, "sidecar")
}

/// The proxy arguments of the gateway template.
pub(crate) fn router_args(d: &TemplateData<'_>) -> Vec<String> {
    proxy_args(d, "router")
}

fn proxy_env(d: &TemplateData<'_>) -> Result<Vec<Value>, InjectError> {
    // Room for the usual ~20 variables without regrowing, and under 1 KiB: glibc malloc
    // serves a request of 1 KiB or more only after consolidating every small block freed so
    // far, which costs more than building this whole list.
    let mut e = Vec::with_capacity(31);
    if d.inbound_localhost() {
        e.push(env("REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION", "true"));
    }
    e.push(env(
        "PILOT_CERT_PROVIDER",
        d.values.str("global.pilotCertProvider"),
    ));
    e.push(env("CA_ADDR", d.ca_address()));
    e.extend(identity_env());
    e.push(resource_env("ISTIO_CPU_LIMIT", "limits.cpu"));
    e.push(env(
        "PROXY_CONFIG",
        format!("{}\n", d.proxy_config.cleaned_json()),
    ));
    e.push(env("ISTIO_META_POD_PORTS", d.pod_ports()));
    e.push(env(
        "ISTIO_META_APP_CONTAINERS",
        d.app_containers().join(","),
    ));
    e.push(resource_env("GOMEMLIMIT", "limits.memory"));
    e.push(resource_env("GOMAXPROCS", "limits.cpu"));
    if !d.compliance_policy.is_empty() {
        e.push(env("COMPLIANCE_POLICY", d.compliance_policy));
    }
    e.push(env("ISTIO_META_CLUSTER_ID", cluster_id(d)));
    e.push(field_env("ISTIO_META_NODE_NAME", "spec.nodeName"));
    let annotated_mode = d
        .annotations
        .get(ann::INTERCEPTION_MODE)
        .filter(|m| !m.is_empty())
        .cloned()
        .unwrap_or_else(|| d.proxy_config.interception_mode());
    e.push(env("ISTIO_META_INTERCEPTION_MODE", annotated_mode));
    let network = d.values.str("global.network");
    if !network.is_empty() {
        e.push(env("ISTIO_META_NETWORK", network));
    }
    let workload = d.workload_name();
    if !workload.is_empty() {
        e.push(env("ISTIO_META_WORKLOAD_NAME", workload));
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
    if d.values.str("global.proxy.tracer") == "datadog"
        && let Some(m) = d.json_map_annotation(ann::DATADOG_ENV)?
    {
        for (k, v) in m {
            e.push(env(&k, mesh_core::go::scalar_string(&v)));
        }
    }
    let containers = d.spec.get("containers").and_then(Value::as_array);
    let otel = crate::otel::resource_attributes(
        d.mesh.raw_fields().get("extensionProviders"),
        |k| d.annotations.get(k).cloned(),
        |k| d.labels.get(k).cloned(),
        &d.deploy.namespace,
        containers.map_or(&[], Vec::as_slice),
    );
    if !otel.is_empty() {
        e.push(env("OTEL_RESOURCE_ATTRIBUTES", otel));
    }
    e.extend(proxy_metadata_env(d));
    Ok(e)
}

/// `ISTIO_META_CLUSTER_ID`: the multicluster name or `Kubernetes`.
pub(crate) fn cluster_id(d: &TemplateData<'_>) -> String {
    let name = d.values.string("global.multiCluster.clusterName");
    if name.is_empty() {
        "Kubernetes".to_string()
    } else {
        name
    }
}

/// A probe of the agent's health endpoint; zero and unset settings are left out, as Go
/// leaves out a probe's zero integers.
fn probe(port: i64, path: &str, fields: &[(&str, Value)]) -> Value {
    let mut p = Map::new();
    p.insert("httpGet".into(), obj! { "path" => path, "port" => port });
    for (k, v) in fields {
        let zero = v.is_null() || v.as_f64() == Some(0.0);
        if !zero {
            p.insert((*k).to_string(), v.clone());
        }
    }
    Value::Object(p)
}

/// The readiness probe of the proxy (`port` is 15021 for Envoy, 15020 for the gRPC agent).
pub(crate) fn readiness_probe(d: &TemplateData<'_>, port: i64, annotated: bool) -> Value {
    let setting = |key: &str, path: &str| {
        if annotated {
            yaml_scalar(&d.annotation_or_value(key, path))
        } else {
            d.values.get(path).cloned().unwrap_or(Value::Null)
        }
    };
    probe(
        port,
        "/healthz/ready",
        &[
            (
                "initialDelaySeconds",
                setting(
                    ann::READINESS_INITIAL_DELAY,
                    "global.proxy.readinessInitialDelaySeconds",
                ),
            ),
            (
                "periodSeconds",
                setting(ann::READINESS_PERIOD, "global.proxy.readinessPeriodSeconds"),
            ),
            ("timeoutSeconds", json!(3)),
            (
                "failureThreshold",
                setting(
                    ann::READINESS_FAILURE_THRESHOLD,
                    "global.proxy.readinessFailureThreshold",
                ),
            ),
        ],
    )
}

fn proxy_security_context(d: &TemplateData<'_>, tproxy: bool) -> Value {
    let mut sc = Map::new();
    let trace_logging = d
        .proxy_metadata
        .get("IPTABLES_TRACE_LOGGING")
        .is_some_and(|v| v == "true");
    if trace_logging {
        sc.insert("allowPrivilegeEscalation".into(), json!(true));
        sc.insert(
            "capabilities".into(),
            obj! { "add" => json!(["NET_ADMIN"]), "drop" => json!(["ALL"]) },
        );
        sc.insert("privileged".into(), json!(true));
        sc.insert("readOnlyRootFilesystem".into(), json!(true));
        sc.insert("runAsGroup".into(), json!(uid_number(d.proxy_gid)));
        sc.insert("runAsNonRoot".into(), json!(false));
        sc.insert("runAsUser".into(), json!(0));
    } else {
        let privileged = d.values.get("global.proxy.privileged");
        let cap_bind = d
            .annotation_or_value(ann::CAP_NET_BIND_SERVICE, "global.proxy.capNetBindService")
            == "true";
        if let Some(p) = privileged {
            sc.insert("allowPrivilegeEscalation".into(), p.clone());
        }
        let mut caps = Map::new();
        if tproxy || cap_bind {
            let mut add = Vec::new();
            if tproxy {
                add.push("NET_ADMIN");
            }
            if cap_bind {
                add.push("NET_BIND_SERVICE");
            }
            caps.insert("add".into(), json!(add));
        }
        caps.insert("drop".into(), json!(["ALL"]));
        sc.insert("capabilities".into(), Value::Object(caps));
        if let Some(p) = privileged {
            sc.insert("privileged".into(), p.clone());
        }
        sc.insert("readOnlyRootFilesystem".into(), json!(true));
        if tproxy || cap_bind {
            sc.insert("runAsNonRoot".into(), json!(false));
            sc.insert("runAsUser".into(), json!(0));
            sc.insert("runAsGroup".into(), json!(1337));
        } else {
            sc.insert("runAsNonRoot".into(), json!(true));
            sc.insert("runAsUser".into(), json!(uid_number(d.proxy_uid)));
            sc.insert("runAsGroup".into(), json!(uid_number(d.proxy_gid)));
        }
    }
    add_seccomp(d, &mut sc);
    Value::Object(sc)
}

fn proxy_container(
    d: &TemplateData<'_>,
    native: bool,
    hold: bool,
    tproxy: bool,
) -> Result<Value, InjectError> {
    let mut c = Map::new();
    c.insert("name".into(), json!("istio-proxy"));
    c.insert("image".into(), Value::String(d.image("global.proxy.image")));
    if native {
        c.insert("restartPolicy".into(), json!("Always"));
    }
    c.insert(
        "ports".into(),
        json!([{"containerPort": 15090, "protocol": "TCP", "name": "http-envoy-prom"}]),
    );
    let mut args = sidecar_args(d);
    let outlier = d.values.str("global.proxy.outlierLogPath");
    if !outlier.is_empty() {
        args.push(format!("--outlierLogPath={outlier}"));
    }
    c.insert("args".into(), strings(args));
    if let Some(lc) = d
        .values
        .get("global.proxy.lifecycle")
        .filter(|v| mesh_core::go::truthy(v))
    {
        c.insert("lifecycle".into(), pruned(lc));
    } else if hold {
        c.insert(
            "lifecycle".into(),
            obj! { "postStart" => json!({"exec": {"command": ["pilot-agent", "wait"]}}) },
        );
    } else if native {
        c.insert(
            "lifecycle".into(),
            obj! {
                "preStop" => json!({"exec": {"command": [
                "pilot-agent", "request", format!("--debug-port={}", d.status_port()), "POST", "drain"
            ]}}),
            },
        );
    }
    c.insert("env".into(), Value::Array(proxy_env(d)?));
    if let Some(p) = image_pull_policy(d) {
        c.insert("imagePullPolicy".into(), p);
    }
    if d.status_port() != "0" {
        if d.values.truthy("global.proxy.startupProbe.enabled") {
            c.insert(
                "startupProbe".into(),
                probe(
                    15021,
                    "/healthz/ready",
                    &[
                        ("initialDelaySeconds", json!(0)),
                        ("periodSeconds", json!(1)),
                        ("timeoutSeconds", json!(3)),
                        (
                            "failureThreshold",
                            d.values
                                .get("global.proxy.startupProbe.failureThreshold")
                                .cloned()
                                .unwrap_or(Value::Null),
                        ),
                    ],
                ),
            );
        }
        c.insert("readinessProbe".into(), readiness_probe(d, 15021, true));
    }
    c.insert("securityContext".into(), proxy_security_context(d, tproxy));
    c.insert("resources".into(), d.resources()?);
    c.insert("volumeMounts".into(), Value::Array(volume_mounts(d)?));
    Ok(Value::Object(c))
}

pub(crate) fn mount(name: &str, path: &str) -> Value {
    obj! { "name" => name, "mountPath" => path }
}

/// The `istio-proxy` mounts the sidecar and gateway templates share, in their order; the
/// gateway template has no CA revocation list mount.
pub(crate) fn proxy_volume_mounts(d: &TemplateData<'_>, ca_crl: bool) -> Vec<Value> {
    let mut m = vec![
        mount("workload-socket", "/var/run/secrets/workload-spiffe-uds"),
        mount("credential-socket", "/var/run/secrets/credential-uds"),
        workload_certs_mount(d),
    ];
    if d.values.str("global.pilotCertProvider") == "istiod" {
        m.push(mount("istiod-ca-cert", "/var/run/secrets/istio"));
        if ca_crl {
            m.push(mount("istio-ca-crl", "/var/run/secrets/istio/crl"));
        }
    }
    m.push(mount("istio-data", "/var/lib/istio/data"));
    if d.has_annotation(ann::BOOTSTRAP_OVERRIDE) {
        m.push(mount(
            "custom-bootstrap-volume",
            "/etc/istio/custom-bootstrap",
        ));
    }
    m.push(mount("istio-envoy", "/etc/istio/proxy"));
    m.push(mount("istio-token", "/var/run/secrets/tokens"));
    if d.values.truthy("global.mountMtlsCerts") {
        m.push(obj! { "name" => "istio-certs", "mountPath" => "/etc/certs/", "readOnly" => true });
    }
    m.push(mount("istio-podinfo", "/etc/istio/pod"));
    m
}

fn volume_mounts(d: &TemplateData<'_>) -> Result<Vec<Value>, InjectError> {
    let mut m = proxy_volume_mounts(d, true);
    if lightstep_tls(d) {
        let ca = d.proxy_config.tracing_ca_certificates().unwrap_or_default();
        let dir = match ca.rfind('/') {
            Some(i) => ca[..=i].to_string(),
            None => String::new(),
        };
        m.push(obj! { "name" => "lightstep-certs", "mountPath" => dir, "readOnly" => true });
    }
    m.extend(d.named_entries(ann::USER_VOLUME_MOUNT)?);
    Ok(m)
}

fn lightstep_tls(d: &TemplateData<'_>) -> bool {
    d.values.str("global.proxy.tracer") == "lightstep" && d.proxy_config.has_tracing_tls()
}

fn volumes(d: &TemplateData<'_>) -> Result<Vec<Value>, InjectError> {
    let mut v = vec![
        obj! { "name" => "workload-socket" },
        obj! { "name" => "credential-socket" },
        workload_certs_volume(d, false),
    ];
    v.extend(bootstrap_volume(d));
    v.push(obj! { "name" => "istio-envoy", "emptyDir" => json!({"medium": "Memory"}) });
    v.push(obj! { "name" => "istio-data", "emptyDir" => json!({}) });
    v.push(podinfo_volume());
    v.push(token_volume(d));
    v.extend(istiod_ca_volume(d));
    let crl = d.values.string("pilot.crlConfigMapName");
    let crl = if crl.is_empty() {
        "istio-ca-crl".to_string()
    } else {
        crl
    };
    v.push(
        obj! { "name" => "istio-ca-crl", "configMap" => json!({"name": crl, "optional": true}) },
    );
    v.extend(mtls_certs_volume(d));
    v.extend(d.named_entries(ann::USER_VOLUME)?);
    if lightstep_tls(d) {
        v.push(obj! { "name" => "lightstep-certs", "secret" => json!({"optional": true, "secretName": "lightstep.cacert"}) });
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes_status_port_once() {
        assert_eq!(exclude_inbound_port("15020", ""), "15020");
        assert_eq!(exclude_inbound_port("15020", "4,5,6"), "4,5,6,15020");
        assert_eq!(exclude_inbound_port("15020", "15020"), "15020");
        assert_eq!(exclude_inbound_port("0", "4"), "4");
        assert_eq!(exclude_inbound_port("", ""), "");
    }

    #[test]
    fn appends_multus_network() {
        assert_eq!(append_multus_network("", "istio-cni"), "istio-cni");
        assert_eq!(
            append_multus_network("macvlan-conf-1", "istio-cni"),
            "macvlan-conf-1, istio-cni"
        );
        assert_eq!(
            append_multus_network(r#"[{"name": "a"}]"#, "istio-cni"),
            r#"[{"name": "a"}, {"name": "istio-cni"}]"#
        );
        assert_eq!(
            append_multus_network("a, istio-cni", "istio-cni"),
            "a, istio-cni"
        );
    }

    #[test]
    fn appends_a_namespaced_multus_network_in_the_annotations_form() {
        let net = "default/istio-cni";
        assert_eq!(
            append_multus_network("alt_cni", net),
            "alt_cni, default/istio-cni"
        );
        assert_eq!(
            append_multus_network(r#"[{"name": "macvlan", "namespace": "net"}]"#, net),
            r#"[{"name": "macvlan", "namespace": "net"}, {"name": "istio-cni", "namespace": "default"}]"#
        );
        assert_eq!(
            append_multus_network("[]", net),
            r#"[{"name": "istio-cni", "namespace": "default"}]"#
        );
        // Already there, in either spelling.
        let listed = r#"[{"name": "istio-cni", "namespace": "default"}]"#;
        assert_eq!(append_multus_network(listed, net), listed);
        let listed = r#"[{"name": "default/istio-cni"}]"#;
        assert_eq!(append_multus_network(listed, net), listed);
        // Another namespace's istio-cni is a different network.
        assert_eq!(
            append_multus_network(r#"[{"name": "istio-cni", "namespace": "other"}]"#, net),
            r#"[{"name": "istio-cni", "namespace": "other"}, {"name": "istio-cni", "namespace": "default"}]"#
        );
        assert_eq!(append_multus_network("[not json]", net), "[not json]");
    }
}
