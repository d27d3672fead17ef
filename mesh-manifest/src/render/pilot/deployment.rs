//! The istiod Deployment: pod labels and annotations, scheduling, the `discovery` container's
//! image, arguments, environment, resources, security context, mounts and volumes.

use mesh_core::{Value, obj};
use serde_json::json;

use super::chart::{Chart, annotate};
use crate::render::RenderError;
use crate::render::common::{ObjectMap, go_format, helm_resources};

/// The ports the discovery container listens on: (port, name).
const PORTS: [(u16, &str); 5] = [
    (8080, "http-debug"),
    (15010, "grpc-xds"),
    (15012, "tls-xds"),
    (15017, "https-webhooks"),
    (15014, "http-monitoring"),
];

/// The Deployment, unless istiod runs in another cluster (and no local injector is kept).
pub(super) fn render(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    if !chart.namespace_scope() || (chart.remote() && !chart.local_injector()) {
        return Ok(Vec::new());
    }
    Ok(vec![deployment(chart)?])
}

/// Whether the Deployment carries a fixed replica count (autoscaling off).
fn fixed_replicas(chart: &Chart<'_>) -> Option<Value> {
    (!chart.on("autoscaleEnabled") && chart.on("replicaCount"))
        .then(|| chart.printed("replicaCount"))
}

fn deployment(chart: &Chart<'_>) -> Result<Value, RenderError> {
    let mut labels = chart.component_labels(&[("app", "istiod".into()), ("istio", "pilot".into())]);
    labels.extend(chart.string_map("deploymentLabels")?);
    let mut md = chart.metadata(&chart.revisioned("istiod"), Some(chart.namespace), labels);
    annotate(chart, &mut md, "deploymentAnnotations")?;

    let mut spec = ObjectMap::new();
    if let Some(replicas) = fixed_replicas(chart) {
        spec.insert("replicas".into(), replicas);
    }
    spec.insert(
        "strategy".into(),
        obj! {
            "rollingUpdate" => json!({
            "maxSurge": chart.printed("rollingMaxSurge"),
            "maxUnavailable": chart.printed("rollingMaxUnavailable"),
        }),
        },
    );
    let selector = if chart.revision().is_empty() {
        obj! { "istio" => "pilot" }
    } else {
        obj! { "app" => "istiod", "istio.io/rev" => chart.revision() }
    };
    spec.insert("selector".into(), obj! { "matchLabels" => selector });
    spec.insert(
        "template".into(),
        obj! { "metadata" => pod_metadata(chart)?, "spec" => pod_spec(chart)? },
    );
    Ok(obj! {
        "apiVersion" => "apps/v1",
        "kind" => "Deployment",
        "metadata" => md,
        "spec" => spec,
    })
}

/// The pod template's labels and annotations.
fn pod_metadata(chart: &Chart<'_>) -> Result<Value, RenderError> {
    let istio = if chart.revision().is_empty() {
        "pilot"
    } else {
        "istiod"
    };
    let mut labels = chart.component_labels(&[
        ("app", "istiod".into()),
        ("sidecar.istio.io/inject", "false".into()),
        ("istio", istio.into()),
    ]);
    labels.remove("release");
    labels.extend(chart.string_map("podLabels")?);
    labels.insert("istio.io/dataplane-mode".into(), "none".into());
    labels.insert("app.kubernetes.io/name".into(), "istiod".into());
    let mut annotations = ObjectMap::new();
    annotations.insert("prometheus.io/port".into(), "15014".into());
    annotations.insert("prometheus.io/scrape".into(), "true".into());
    annotations.insert("sidecar.istio.io/inject".into(), "false".into());
    if let Some(extra) = chart.nonempty_map("podAnnotations")? {
        annotations.extend(extra.clone());
    }
    Ok(obj! { "labels" => labels, "annotations" => annotations })
}

/// The pod spec.
fn pod_spec(chart: &Chart<'_>) -> Result<Value, RenderError> {
    let mut spec = ObjectMap::new();
    if let Some(selector) = chart.nonempty_map("nodeSelector")? {
        spec.insert("nodeSelector".into(), Value::Object(selector.clone()));
    }
    if chart.on("affinity") {
        spec.insert("affinity".into(), chart.get("affinity").clone());
    }
    let mut tolerations = vec![obj! { "key" => "cni.istio.io/not-ready", "operator" => "Exists" }];
    tolerations.extend(chart.list("tolerations")?.iter().cloned());
    spec.insert("tolerations".into(), Value::Array(tolerations));
    if chart.on("topologySpreadConstraints") {
        spec.insert(
            "topologySpreadConstraints".into(),
            chart.get("topologySpreadConstraints").clone(),
        );
    }
    spec.insert(
        "serviceAccountName".into(),
        chart.revisioned("istiod").into(),
    );
    if chart.on("global.priorityClassName") {
        spec.insert(
            "priorityClassName".into(),
            chart.text("global.priorityClassName").into(),
        );
    }
    if chart.on("initContainers") {
        spec.insert("initContainers".into(), chart.get("initContainers").clone());
    }
    spec.insert("containers".into(), Value::Array(vec![container(chart)?]));
    spec.insert("volumes".into(), Value::Array(volumes(chart)?));
    Ok(Value::Object(spec))
}

/// The image reference: `pilot.image` as given when it contains a `/`, otherwise
/// `<hub>/<image>:<tag>[-<variant>]` with chart-level values taking precedence over globals.
fn image(chart: &Chart<'_>) -> String {
    let image = chart.text("image");
    if image.contains('/') {
        return image;
    }
    let pick = |own: &str, global: &str| {
        if chart.on(own) {
            chart.text(own)
        } else {
            chart.text(global)
        }
    };
    let hub = pick("hub", "global.hub");
    let tag = pick("tag", "global.tag");
    let variant = pick("variant", "global.variant");
    let name = if image.is_empty() {
        "pilot".to_string()
    } else {
        image
    };
    let mut reference = format!("{hub}/{name}:{tag}");
    if !variant.is_empty() {
        reference.push('-');
        reference.push_str(&variant);
    }
    reference
}

/// The `discovery` container.
fn container(chart: &Chart<'_>) -> Result<Value, RenderError> {
    let mut c = ObjectMap::new();
    c.insert("name".into(), "discovery".into());
    c.insert("image".into(), image(chart).into());
    if chart.on("global.imagePullPolicy") {
        c.insert(
            "imagePullPolicy".into(),
            chart.printed("global.imagePullPolicy"),
        );
    }
    if chart.on("terminationMessagePolicy") {
        c.insert(
            "terminationMessagePolicy".into(),
            chart.printed("terminationMessagePolicy"),
        );
    }
    c.insert("args".into(), Value::Array(args(chart)?));
    c.insert(
        "ports".into(),
        PORTS
            .iter()
            .map(|(port, name)| obj! { "containerPort" => *port, "protocol" => "TCP", "name" => *name })
            .collect(),
    );
    c.insert(
        "readinessProbe".into(),
        obj! {
            "httpGet" => json!({"path": "/ready", "port": 8080}),
            "initialDelaySeconds" => 1,
            "periodSeconds" => 3,
            "timeoutSeconds" => 5,
        },
    );
    c.insert("env".into(), Value::Array(env(chart)?));
    let resources = if chart.on("resources") {
        chart.get("resources")
    } else {
        chart.get("global.defaultResources")
    };
    c.insert("resources".into(), helm_resources(resources));
    let mut security = obj! {
        "allowPrivilegeEscalation" => false,
        "readOnlyRootFilesystem" => true,
        "runAsNonRoot" => true,
        "capabilities" => json!({"drop": ["ALL"]}),
    };
    if chart.on("seccompProfile") {
        security["seccompProfile"] = chart.get("seccompProfile").clone();
    }
    c.insert("securityContext".into(), security);
    c.insert("volumeMounts".into(), Value::Array(volume_mounts(chart)?));
    Ok(Value::Object(c))
}

/// The container arguments.
fn args(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    let mut args = vec![json!("discovery"), json!("--monitoringAddr=:15014")];
    if chart.on("global.logging.level") {
        args.push(format!("--log_output_level={}", chart.text("global.logging.level")).into());
    }
    if chart.on("global.logAsJson") {
        args.push("--log_as_json".into());
    }
    args.push("--domain".into());
    args.push(chart.printed("global.proxy.clusterDomain"));
    if chart.on("taint.namespace") {
        args.push(format!("--cniNamespace={}", chart.text("taint.namespace")).into());
    }
    args.push("--keepaliveMaxServerConnectionAge".into());
    args.push(chart.text("keepaliveMaxServerConnectionAge").into());
    args.extend(chart.list("extraContainerArgs")?.iter().cloned());
    Ok(args)
}

/// `name: value` environment variable.
fn var(name: &str, value: impl Into<Value>) -> Value {
    obj! { "name" => name, "value" => value.into() }
}

/// An environment variable read from a field of the pod.
fn field_var(name: &str, path: &str) -> Value {
    obj! { "name" => name, "valueFrom" => json!({"fieldRef": {"apiVersion": "v1", "fieldPath": path}}) }
}

/// The container environment, in the chart's order.
fn env(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    let user_env = chart.map("env")?;
    let user_has =
        |key: &str| user_env.is_some_and(|m| m.get(key).is_some_and(crate::render::common::truthy));
    let mut env = vec![
        var("REVISION", chart.revision_or_default()),
        var(
            "PILOT_CERT_PROVIDER",
            chart.printed("global.pilotCertProvider"),
        ),
        field_var("POD_NAME", "metadata.name"),
        field_var("POD_NAMESPACE", "metadata.namespace"),
        field_var("SERVICE_ACCOUNT", "spec.serviceAccountName"),
        var("KUBECONFIG", "/var/run/secrets/remote/config"),
    ];
    if !user_has("CA_TRUSTED_NODE_ACCOUNTS") {
        let ns = if chart.on("trustedZtunnelNamespace") {
            chart.text("trustedZtunnelNamespace")
        } else {
            chart.namespace.to_string()
        };
        let name = if chart.on("trustedZtunnelName") {
            chart.text("trustedZtunnelName")
        } else {
            "ztunnel".to_string()
        };
        env.push(var("CA_TRUSTED_NODE_ACCOUNTS", format!("{ns}/{name}")));
    }
    if let Some(user_env) = user_env {
        for (key, value) in user_env {
            env.push(var(key, go_format(value)));
        }
    }
    env.extend(chart.list("envVarFrom")?.iter().cloned());
    if chart.on("traceSampling") {
        env.push(var("PILOT_TRACE_SAMPLING", chart.text("traceSampling")));
    }
    if chart.on("taint.enabled") {
        env.push(var("PILOT_ENABLE_NODE_UNTAINT_CONTROLLERS", "true"));
        env.push(var(
            "PILOT_NODE_UNTAINT_CONTROLLERS_TAINT_NAME",
            chart.text("taint.name"),
        ));
    }
    if chart.on("global.externalIstiod") && !user_has("EXTERNAL_ISTIOD") {
        env.push(var("EXTERNAL_ISTIOD", chart.text("global.externalIstiod")));
    }
    if chart.on("global.trustBundleName") {
        env.push(var(
            "PILOT_CA_CERT_CONFIGMAP",
            chart.text("global.trustBundleName"),
        ));
    }
    if chart.on("crlConfigMapName") {
        env.push(var("PILOT_CRL_CONFIGMAP", chart.text("crlConfigMapName")));
    }
    env.push(var(
        "PILOT_ENABLE_ANALYSIS",
        chart.text("global.istiod.enableAnalysis"),
    ));
    let cluster = if chart.on("global.multiCluster.clusterName") {
        chart.text("global.multiCluster.clusterName")
    } else {
        "Kubernetes".to_string()
    };
    env.push(var("CLUSTER_ID", cluster));
    env.push(obj! {
        "name" => "GOMAXPROCS",
        "valueFrom" => json!({"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1"}}),
    });
    let platform = if chart.on("global.platform") {
        chart.text("global.platform")
    } else {
        chart.text("platform")
    };
    env.push(var("PLATFORM", platform));
    Ok(env)
}

/// `name`, `mountPath` and `readOnly: true`.
fn read_only_mount(name: &str, path: &str) -> Value {
    obj! { "name" => name, "mountPath" => path, "readOnly" => true }
}

/// The container's volume mounts.
fn volume_mounts(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    let mut mounts = vec![
        read_only_mount("istio-token", "/var/run/secrets/tokens"),
        obj! { "name" => "local-certs", "mountPath" => "/var/run/secrets/istio-dns" },
        read_only_mount("cacerts", "/etc/cacerts"),
        read_only_mount("istio-kubeconfig", "/var/run/secrets/remote"),
    ];
    if chart.on("jwksResolverExtraRootCA") {
        mounts.push(obj! { "name" => "extracacerts", "mountPath" => "/cacerts" });
    }
    mounts.push(read_only_mount(
        "istio-csr-dns-cert",
        "/var/run/secrets/istiod/tls",
    ));
    mounts.push(read_only_mount(
        "istio-csr-ca-configmap",
        "/var/run/secrets/istiod/ca",
    ));
    mounts.extend(chart.list("volumeMounts")?.iter().cloned());
    Ok(mounts)
}

/// An optional Secret volume.
fn secret_volume(name: &str, secret: &str) -> Value {
    obj! { "name" => name, "secret" => json!({"secretName": secret, "optional": true}) }
}

/// The pod's volumes.
fn volumes(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    let mut volumes = vec![
        obj! { "name" => "local-certs", "emptyDir" => json!({"medium": "Memory"}) },
        obj! {
            "name" => "istio-token",
            "projected" => json!({"sources": [{"serviceAccountToken": {
            "audience": chart.printed("global.sds.token.aud"),
            "expirationSeconds": 43200,
            "path": "istio-token",
        }}]}),
        },
        secret_volume("cacerts", "cacerts"),
        secret_volume("istio-kubeconfig", "istio-kubeconfig"),
        secret_volume("istio-csr-dns-cert", "istiod-tls"),
        root_cert_volume(chart),
    ];
    if chart.on("jwksResolverExtraRootCA") {
        volumes.push(obj! {
            "name" => "extracacerts",
            "configMap" => json!({
            "name": chart.revisioned("pilot-jwks-extra-cacerts"),
        }),
        });
    }
    volumes.extend(chart.list("volumes")?.iter().cloned());
    Ok(volumes)
}

/// The CA root certificate for istio-csr: a ClusterTrustBundle projection when that API is on,
/// otherwise the (optional) root-cert ConfigMap.
fn root_cert_volume(chart: &Chart<'_>) -> Value {
    let bundle = chart.on("global.trustBundleName");
    if chart.get("env.ENABLE_CLUSTER_TRUST_BUNDLE_API") == &Value::Bool(true) {
        let name = if bundle {
            chart.text("global.trustBundleName")
        } else {
            "root-cert".to_string()
        };
        obj! {
            "name" => "istio-csr-ca-configmap",
            "projected" => json!({"sources": [{"clusterTrustBundle": {
            "name": format!("istio.io:istiod-ca:{name}"),
            "path": "root-cert.pem",
            "optional": true,
        }}]}),
        }
    } else {
        let name = if bundle {
            chart.text("global.trustBundleName")
        } else {
            "istio-ca-root-cert".to_string()
        };
        obj! {
            "name" => "istio-csr-ca-configmap",
            "configMap" => json!({
            "name": name,
            "defaultMode": 420,
            "optional": true,
        }),
        }
    }
}
