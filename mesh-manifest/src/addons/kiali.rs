//! Kiali: its configuration (auth, scope, wiring to Prometheus, Grafana and Jaeger), RBAC,
//! Service and Deployment.

use super::common::*;
use super::settings::{AddonSettings, AuthStrategy, KialiSettings};
use super::sha256::hex_digest;
use super::{Addon, AddonsError, RenderInputs, Wiring};
use crate::Object;
use k8s_openapi::api::apps::v1::{DeploymentStrategy, RollingUpdateDeployment};
use k8s_openapi::api::core::v1::{PodSpec, Probe};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const NAME: &str = "kiali";
/// The Kiali version the labels name.
const VERSION: &str = "v2.26.0";
/// The API port.
pub const PORT: i32 = 20001;
/// The metrics port.
const METRICS_PORT: i32 = 9090;
const CONFIG_DIR: &str = "/kiali-configuration";

fn labels() -> BTreeMap<String, String> {
    super::common::labels(&[
        ("app", NAME),
        ("app.kubernetes.io/name", NAME),
        ("app.kubernetes.io/instance", NAME),
        ("version", VERSION),
        ("app.kubernetes.io/version", VERSION),
        ("app.kubernetes.io/part-of", NAME),
    ])
}

fn selector() -> BTreeMap<String, String> {
    super::common::labels(&[
        ("app.kubernetes.io/name", NAME),
        ("app.kubernetes.io/instance", NAME),
    ])
}

/// Kiali's token signing key: the one set, else derived from the caller's secret.
pub fn signing_key(settings: &KialiSettings, inputs: &RenderInputs) -> Result<String, AddonsError> {
    if let Some(key) = &settings.auth.signing_key {
        return Ok(key.clone());
    }
    if inputs.secret.is_empty() {
        return Err(AddonsError::NoSigningKey);
    }
    let mut bytes = b"mesh kiali signing key\0".to_vec();
    bytes.extend_from_slice(&inputs.secret);
    Ok(hex_digest(&bytes)[..32].to_string())
}

/// Kiali's `config.yaml`, as a value.
pub fn config(settings: &AddonSettings, wiring: &Wiring, signing_key: &str) -> Value {
    let k = &settings.kiali;
    let ns = Addon::Kiali.namespace(settings);
    let (image_name, image_version) = split_image(&k.image);
    let openid = match k.auth.strategy {
        AuthStrategy::Openid => json!({
            "client_id": k.auth.openid.client_id,
            "issuer_uri": k.auth.openid.issuer_uri,
            "scopes": k.auth.openid.scopes,
            "username_claim": k.auth.openid.username_claim,
        }),
        _ => json!({}),
    };
    let discovery = if k.namespaces.is_empty() {
        json!({})
    } else {
        json!({"default": [{"matchExpressions": [{
            "key": "kubernetes.io/metadata.name",
            "operator": "In",
            "values": k.namespaces,
        }]}]})
    };
    let mut prometheus = json!({"enabled": true});
    if let Some(url) = &wiring.kiali_prometheus {
        prometheus["url"] = url.as_str().into();
    }
    let tracing = match &wiring.kiali_tracing {
        Some(url) => json!({
            "enabled": true,
            "provider": "jaeger",
            "internal_url": url,
            "use_grpc": true,
        }),
        None => json!({"enabled": false}),
    };
    let mut external = json!({
        "custom_dashboards": {"enabled": true},
        "istio": {"root_namespace": settings.istio_namespace},
        "prometheus": prometheus,
        "tracing": tracing,
    });
    if let Some(url) = &wiring.kiali_grafana {
        external["grafana"] = json!({"enabled": true, "internal_url": url});
    }
    // As the chart prints it: `{}` when no resources are set.
    let resources = serde_json::to_value(resources(k.resources.as_ref()).unwrap_or_default())
        .unwrap_or_default();
    let deployment = json!({
        "additional_pod_containers_yaml": [],
        "additional_pod_init_containers_yaml": [],
        "additional_service_yaml": {},
        "affinity": {"node": {}, "pod": {}, "pod_anti": {}},
        "cluster_wide_access": k.namespaces.is_empty(),
        "configmap_annotations": {},
        "custom_envs": [],
        "custom_secrets": [],
        "discovery_selectors": discovery,
        "dns": {"config": {}, "policy": ""},
        "extra_labels": {},
        "host_aliases": [],
        "hpa": {"api_version": "autoscaling/v2", "spec": {}},
        "image_digest": "",
        "image_name": image_name,
        "image_pull_policy": "IfNotPresent",
        "image_pull_secrets": [],
        "image_version": image_version,
        "ingress": {
            "additional_labels": {},
            "class_name": "nginx",
            "override_yaml": {"metadata": {}},
        },
        "ingress_enabled": false,
        "instance_name": NAME,
    });
    let rest = json!({
        "logger": {
            "log_format": "text",
            "log_level": "info",
            "sampler_rate": "1",
            "time_field_format": "2006-01-02T15:04:05Z07:00",
        },
        "namespace": ns,
        "network_policy": {"enabled": false},
        "node_selector": {},
        "pod_annotations": {"proxy.istio.io/config": HOLD_APPLICATION},
        "pod_disruption_budget": {"api_version": "policy/v1", "spec": {}},
        "pod_labels": {"sidecar.istio.io/inject": "false"},
        "priority_class_name": "",
        "probes": {
            "liveness": {"initial_delay_seconds": 5, "period_seconds": 30},
            "readiness": {"initial_delay_seconds": 5, "period_seconds": 30},
            "startup": {"failure_threshold": 6, "initial_delay_seconds": 30, "period_seconds": 10},
        },
        "remote_cluster_resources_only": false,
        "replicas": 1,
        "resources": resources,
        "secret_name": NAME,
        "security_context": {},
        "service_annotations": {},
        "service_type": "",
        "strategy": {},
        "tls_config": {"cipher_suites": [], "max_version": "", "min_version": "", "source": "config"},
        "tolerations": [],
        "topology_spread_constraints": [],
        "version_label": VERSION,
        "view_only_mode": k.view_only,
    });
    let mut deployment = deployment;
    if let (Some(d), Value::Object(r)) = (deployment.as_object_mut(), rest) {
        d.extend(r);
    }
    let mut config = json!({
        "additional_display_details": [{
            "annotation": "kiali.io/api-spec",
            "icon_annotation": "kiali.io/api-type",
            "title": "API Documentation",
        }],
        "auth": {
            "openid": openid,
            "openshift": {"client_id_prefix": NAME},
            "strategy": k.auth.strategy.name(),
        },
        "chat_ai": {
            "default_provider": "",
            "enabled": false,
            "providers": [],
            "store_config": {
                "enabled": true,
                "max_cache_memory_mb": 1024,
                "reduce_threshold": 15,
                "reduce_with_ai": false,
            },
        },
        "clustering": {
            "autodetect_secrets": {"enabled": true, "label": "kiali.io/multiCluster=true"},
            "clusters": [],
        },
        "deployment": deployment,
        "external_services": external,
        "identity": {"cert_file": "", "private_key_file": ""},
        "kiali_feature_flags": {
            "custom_workload_types": [],
            "disabled_features": [],
            "validations": {"ignore": ["KIA1301"]},
        },
        "login_token": {"signing_key": signing_key},
        "server": {
            "observability": {
                "metrics": {
                    "enabled": true,
                    "health_status": {"enabled": false, "max_consecutive_na": 3},
                    "port": METRICS_PORT,
                },
            },
            "port": PORT,
            "web_root": "/kiali",
        },
        "skipResources": [],
    });
    if settings.istio_namespace != ns {
        config["istio_namespace"] = settings.istio_namespace.as_str().into();
    }
    config
}

/// Istio's proxy setting for Kiali's pod, should it get a sidecar.
const HOLD_APPLICATION: &str = r#"{ "holdApplicationUntilProxyStarts": true }"#;

/// The verbs that change objects, left out in view-only mode.
const WRITE_VERBS: [&str; 3] = ["create", "delete", "patch"];

/// Kiali's permissions: `(cluster_scoped, rule)`; cluster-scoped rules stay in a ClusterRole
/// when Kiali sees only some namespaces.
fn rules(view_only: bool, namespace: &str) -> Vec<(bool, PolicyRule)> {
    let read = ["get", "list", "watch"];
    let read_patch = ["get", "list", "watch", "patch"];
    let write_unless_view = |verbs: &[&'static str]| -> Vec<&'static str> {
        verbs
            .iter()
            .copied()
            .filter(|v| !view_only || !WRITE_VERBS.contains(v))
            .collect()
    };
    let oauth_client = format!("kiali-{namespace}");
    let mut oauth = rule(&["oauth.openshift.io"], &["oauthclients"], &["get"]);
    oauth.resource_names = Some(vec![oauth_client]);
    vec![
        (
            false,
            rule(&[""], &["configmaps", "endpoints", "pods/log"], &read),
        ),
        (
            false,
            rule(
                &[""],
                &["namespaces", "pods", "replicationcontrollers", "services"],
                &write_unless_view(&read_patch),
            ),
        ),
        (
            false,
            rule(&[""], &["pods/portforward"], &["create", "post"]),
        ),
        (
            false,
            rule(
                &["extensions", "apps"],
                &["daemonsets", "deployments", "replicasets", "statefulsets"],
                &write_unless_view(&read_patch),
            ),
        ),
        (
            false,
            rule(
                &["batch"],
                &["cronjobs", "jobs"],
                &write_unless_view(&read_patch),
            ),
        ),
        (
            false,
            rule(
                &[
                    "networking.istio.io",
                    "security.istio.io",
                    "extensions.istio.io",
                    "telemetry.istio.io",
                    "gateway.networking.k8s.io",
                    "inference.networking.k8s.io",
                ],
                &["*"],
                &write_unless_view(&["get", "list", "watch", "create", "delete", "patch"]),
            ),
        ),
        (
            false,
            rule(
                &["apps.openshift.io"],
                &["deploymentconfigs"],
                &write_unless_view(&read_patch),
            ),
        ),
        (false, rule(&["route.openshift.io"], &["routes"], &["get"])),
        (
            true,
            rule(&["authentication.k8s.io"], &["tokenreviews"], &["create"]),
        ),
        (true, oauth),
        (
            true,
            rule(
                &["admissionregistration.k8s.io"],
                &["mutatingwebhookconfigurations"],
                &read,
            ),
        ),
    ]
}

fn probe(extra: impl FnOnce(&mut Probe)) -> Probe {
    let mut p = http_probe(
        "/kiali/healthz",
        IntOrString::String("api-port".into()),
        Some("HTTP"),
    );
    extra(&mut p);
    p
}

/// Kiali's objects.
pub fn render(
    settings: &AddonSettings,
    wiring: &Wiring,
    inputs: &RenderInputs,
) -> Result<Vec<Object>, AddonsError> {
    let k = &settings.kiali;
    let ns = Addon::Kiali.namespace(settings);
    let labels = labels();
    let key = signing_key(k, inputs)?;
    let config_text = mesh_core::to_yaml_string(&config(settings, wiring, &key));
    let cm = config_map(meta(NAME, ns, &labels), &[("config.yaml", config_text)]);

    let mut out = vec![object(&service_account(meta(NAME, ns, &labels)))];
    let rules = rules(k.view_only, ns);
    // Seeing only some namespaces: the namespaced rules go into a Role in each of them.
    let (cluster, local): (Vec<_>, Vec<_>) = rules
        .into_iter()
        .partition(|(cluster, _)| *cluster || k.namespaces.is_empty());
    let cluster = cluster.into_iter().map(|(_, r)| r).collect();
    out.extend(cluster_rbac(NAME, NAME, &labels, cluster, NAME, ns));
    if !local.is_empty() {
        let local: Vec<PolicyRule> = local.into_iter().map(|(_, r)| r).collect();
        let seen: BTreeSet<&str> = k
            .namespaces
            .iter()
            .map(String::as_str)
            .chain([ns, settings.istio_namespace.as_str()])
            .collect();
        for watched in seen {
            out.push(object(&Role {
                metadata: meta(NAME, watched, &labels),
                rules: Some(local.clone()),
            }));
            let binding = cluster_role_binding(meta(NAME, watched, &labels), NAME, NAME, ns);
            out.push(object(&RoleBinding {
                metadata: binding.metadata,
                role_ref: k8s_openapi::api::rbac::v1::RoleRef {
                    kind: "Role".into(),
                    ..binding.role_ref
                },
                subjects: binding.subjects,
            }));
        }
    }

    let mut svc = service(
        meta(NAME, ns, &labels),
        vec![
            service_port(Some("http"), PORT, None, Some("TCP")),
            service_port(Some("http-metrics"), METRICS_PORT, None, Some("TCP")),
        ],
        &selector(),
    );
    if let Some(ports) = svc.spec.as_mut().and_then(|s| s.ports.as_mut()) {
        for p in ports {
            p.app_protocol = Some("http".into());
        }
    }
    out.push(object(&svc));

    let mut container = container(NAME, &k.image);
    container.image_pull_policy = Some("IfNotPresent".into());
    container.command = Some(strings(&[
        "/opt/kiali/kiali",
        "-config",
        &format!("{CONFIG_DIR}/config.yaml"),
    ]));
    container.termination_message_policy = Some("FallbackToLogsOnError".into());
    let mut security = drop_all_security_context(true);
    security.privileged = Some(false);
    security.read_only_root_filesystem = Some(true);
    security.run_as_non_root = Some(true);
    container.security_context = Some(security);
    container.ports = Some(vec![
        container_port(Some("api-port"), PORT, None),
        container_port(Some("http-metrics"), METRICS_PORT, None),
    ]);
    let period = |p: &mut Probe| {
        p.initial_delay_seconds = Some(5);
        p.period_seconds = Some(30);
    };
    container.readiness_probe = Some(probe(period));
    container.liveness_probe = Some(probe(period));
    container.startup_probe = Some(probe(|p| {
        p.failure_threshold = Some(6);
        p.initial_delay_seconds = Some(30);
        p.period_seconds = Some(10);
    }));
    container.env = Some(vec![
        env_field("ACTIVE_NAMESPACE", "metadata.namespace"),
        env("LOG_LEVEL", "info"),
        env("LOG_FORMAT", "text"),
        env("LOG_TIME_FIELD_FORMAT", "2006-01-02T15:04:05Z07:00"),
        env("LOG_SAMPLER_RATE", "1"),
    ]);
    let mut multi_cluster = mount(
        "kiali-multi-cluster-secret",
        "/kiali-remote-cluster-secrets/kiali-multi-cluster-secret",
    );
    multi_cluster.read_only = Some(true);
    container.volume_mounts = Some(vec![
        mount("kiali-configuration", CONFIG_DIR),
        mount("kiali-cert", "/kiali-cert"),
        mount("kiali-secret", "/kiali-secret"),
        mount("kiali-cabundle", "/kiali-cabundle"),
        multi_cluster,
    ]);
    container.resources = resources(k.resources.as_ref());
    let mut cabundle = config_map_volume("kiali-cabundle", "kiali-cabundle");
    if let Some(source) = cabundle.config_map.as_mut() {
        source.optional = Some(true);
    }
    let pod = PodSpec {
        service_account_name: Some(NAME.into()),
        containers: vec![container],
        volumes: Some(vec![
            config_map_volume("kiali-configuration", NAME),
            secret_volume("kiali-cert", "istio.kiali-service-account", true),
            secret_volume("kiali-secret", NAME, true),
            cabundle,
            secret_volume(
                "kiali-multi-cluster-secret",
                "kiali-multi-cluster-secret",
                true,
            ),
        ]),
        ..PodSpec::default()
    };
    let mut pod_labels = labels.clone();
    pod_labels.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
    pod_labels.insert("sidecar.istio.io/inject".into(), "false".into());
    let annotations = super::common::labels(&[
        ("checksum/config", &data_checksum(&cm)),
        ("prometheus.io/scrape", "true"),
        ("prometheus.io/port", "9090"),
        ("prometheus.io/scheme", "http"),
        ("kiali.io/dashboards", "go,kiali"),
        ("proxy.istio.io/config", HOLD_APPLICATION),
    ]);
    let mut template = pod_template(pod_labels, annotations, pod);
    if let Some(m) = template.metadata.as_mut() {
        m.name = Some(NAME.into());
    }
    let mut deploy = deployment(meta(NAME, ns, &labels), &selector(), template);
    if let Some(spec) = deploy.spec.as_mut() {
        spec.replicas = Some(1);
        spec.strategy = Some(DeploymentStrategy {
            type_: Some("RollingUpdate".into()),
            rolling_update: Some(RollingUpdateDeployment {
                max_surge: Some(IntOrString::Int(1)),
                max_unavailable: Some(IntOrString::Int(1)),
            }),
        });
    }
    out.insert(1, object(&cm));
    out.push(object(&deploy));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> RenderInputs {
        RenderInputs {
            secret: b"s".to_vec(),
            ..RenderInputs::default()
        }
    }

    #[test]
    fn signing_key_is_derived_from_the_secret_or_taken_as_set() {
        let mut k = KialiSettings::default();
        let a = signing_key(&k, &inputs()).unwrap();
        assert_eq!(a.len(), 32);
        let other = RenderInputs {
            secret: b"t".to_vec(),
            ..RenderInputs::default()
        };
        assert_ne!(a, signing_key(&k, &other).unwrap());
        assert!(matches!(
            signing_key(&k, &RenderInputs::default()),
            Err(AddonsError::NoSigningKey)
        ));
        k.auth.signing_key = Some("0123456789abcdef".into());
        assert_eq!(
            signing_key(&k, &RenderInputs::default()).unwrap(),
            "0123456789abcdef"
        );
    }

    #[test]
    fn view_only_drops_write_verbs() {
        let all: Vec<String> = rules(true, "istio-system")
            .into_iter()
            .filter(|(_, r)| r.resources.as_deref() != Some(&["pods/portforward".to_string()][..]))
            .filter(|(_, r)| r.resources.as_deref() != Some(&["tokenreviews".to_string()][..]))
            .flat_map(|(_, r)| r.verbs)
            .collect();
        assert!(
            all.iter().all(|v| !WRITE_VERBS.contains(&v.as_str())),
            "{all:?}"
        );
        let writable: Vec<String> = rules(false, "x")
            .into_iter()
            .flat_map(|(_, r)| r.verbs)
            .collect();
        assert!(writable.iter().any(|v| v == "patch"));
    }

    #[test]
    fn some_namespaces_give_roles_in_each() {
        let mut s = AddonSettings::default();
        s.kiali.namespaces = vec!["bookinfo".into()];
        let w = Wiring::new(&[Addon::Kiali, Addon::Prometheus], &s).unwrap();
        let objects = render(&s, &w, &inputs()).unwrap();
        let roles: Vec<&str> = objects
            .iter()
            .filter(|o| o.kind() == "Role")
            .map(|o| o.namespace())
            .collect();
        assert_eq!(roles, ["bookinfo", "istio-system"]);
        let cm = objects.iter().find(|o| o.kind() == "ConfigMap").unwrap();
        let text = cm.value["data"]["config.yaml"].as_str().unwrap();
        let config = mesh_core::from_yaml_str(text, "config.yaml").unwrap();
        assert_eq!(config["deployment"]["cluster_wide_access"], json!(false));
    }
}
