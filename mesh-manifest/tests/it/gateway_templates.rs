//! mesh's own `waypoint`, `kube-gateway` and `agentgateway` template bodies (the Go templates istiod's
//! Gateway API deployment controller evaluates) against Istio's bodies from the reference injector
//! config: both run through the Go template engine (mesh-gotmpl with mesh-inject's functions) on the same deployment-controller
//! data, and the parsed object lists must be equal. The data mirrors istiod's `TemplateInput`
//! (Go field names at the top, Kubernetes/protobuf JSON below); each case varies one input so that
//! every branch of mesh's bodies is taken at least once.

use std::path::Path;

use mesh_core::{Value, from_yaml_stream};
use mesh_gotmpl::Template;
use mesh_manifest::render::pilot::builtin_template;
use mesh_test_support::{read_value, reference_path, sub_dirs};
use serde_json::json;

/// The three gateway templates this file covers.
const TEMPLATES: [&str; 3] = ["waypoint", "kube-gateway", "agentgateway"];

/// Istio's body of `name` from a settings folder's injector config.
fn istio_body(settings: &Path, name: &str) -> String {
    let config = read_value(&settings.join("inject-config.yaml"));
    config["templates"][name].as_str().unwrap().to_string()
}

/// Sets `value` at a `/`-separated path, creating maps on the way.
fn set(data: &mut Value, path: &str, value: Value) {
    let mut node = data;
    for key in path.split('/') {
        if !node.is_object() {
            *node = json!({});
        }
        node = node
            .as_object_mut()
            .unwrap()
            .entry(key.to_string())
            .or_insert(Value::Null);
    }
    *node = value;
}

/// The deployment controller's data for a Gateway of the class `template` serves: the embedded
/// Gateway's promoted fields, the controller's own fields and the injector's settings.
fn base_input(template: &str, values: &Value, mesh: &Value) -> Value {
    let (name, class, deployment, service_type, controller) = match template {
        "waypoint" => (
            "waypoint",
            "istio-waypoint",
            "waypoint",
            "ClusterIP",
            "istio.io-mesh-controller",
        ),
        "agentgateway" => (
            "agents",
            "agentgateway",
            "agents-agentgateway",
            "LoadBalancer",
            "istio.io-agentgateway-controller",
        ),
        _ => (
            "edge",
            "istio",
            "edge-istio",
            "LoadBalancer",
            "istio.io-gateway-controller",
        ),
    };
    let ports = if template == "waypoint" {
        json!([
            {"name": "status-port", "port": 15021, "appProtocol": "tcp"},
            {"name": "mesh", "port": 15008, "appProtocol": "hbone"}
        ])
    } else {
        json!([
            {"name": "status-port", "port": 15021, "appProtocol": "tcp"},
            {"name": "http", "port": 80, "appProtocol": "http"}
        ])
    };
    let mut proxy_config = mesh["defaultConfig"].clone();
    set(&mut proxy_config, "interceptionMode", json!("REDIRECT"));
    let uid = "6f1c2b7e-0d41-4a55-9a7e-1f0c3b2d9e10";
    json!({
        "TypeMeta": {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway"},
        "ObjectMeta": {"name": name, "namespace": "apps", "uid": uid, "labels": {}, "annotations": {}},
        "Name": name,
        "Namespace": "apps",
        "UID": uid,
        "Labels": {},
        "Annotations": {},
        "Spec": {
            "gatewayClassName": class,
            "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]
        },
        "DeploymentName": deployment,
        "ServiceAccount": deployment,
        "Ports": ports,
        "ServiceType": service_type,
        "ClusterID": "Kubernetes",
        "KubeVersion": 133,
        "Revision": "",
        "ProxyUID": null,
        "ProxyGID": null,
        "CompliancePolicy": "",
        "InfrastructureLabels": {},
        "InfrastructureAnnotations": {},
        "GatewayNameLabel": "gateway.networking.k8s.io/gateway-name",
        "IsEastWestGateway": false,
        "ControllerLabel": controller,
        "GatewayClass": class,
        "ProxyImage": "registry.istio.io/testing/proxyv2:latest",
        "AgentgatewayImage": "registry.istio.io/testing/agentgateway:latest",
        "ProxyConfig": proxy_config,
        "MeshConfig": mesh,
        "Values": values,
    })
}

/// Sets a Gateway annotation where both the promoted field and `.ObjectMeta` show it.
fn annotate(data: &mut Value, key: &str, value: &str) {
    let value = json!(value);
    data["Annotations"][key] = value.clone();
    data["ObjectMeta"]["annotations"][key] = value;
}

/// One variation of the input, applied on top of a template's base input.
struct Case {
    name: &'static str,
    edit: fn(&mut Value),
}

/// Every variation; each applies to all three templates (a knob a template ignores must be ignored
/// by both bodies alike).
fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "default",
            edit: |_| {},
        },
        Case {
            name: "revision",
            edit: |d| {
                set(d, "Revision", json!("canary"));
                set(d, "Values/revision", json!("canary"));
            },
        },
        Case {
            name: "infrastructure-labels-and-annotations",
            edit: |d| {
                set(
                    d,
                    "InfrastructureLabels",
                    json!({
                        "team": "payments",
                        "istio.io/dataplane-mode": "ambient",
                        "service.istio.io/canonical-revision": "v2",
                        "sidecar.istio.io/inject": "true",
                        "gateway.istio.io/managed": "someone-else",
                    }),
                );
                set(
                    d,
                    "InfrastructureAnnotations",
                    json!({
                        "kubectl.kubernetes.io/last-applied-configuration": "{}",
                        "gateway.istio.io/controller-version": "5",
                        "gateway.istio.io/name-override": "renamed",
                        "gateway.istio.io/service-account": "other-sa",
                        "example.com/owner": "team-a",
                        "prometheus.io/port": "9999",
                        "istio.io/rev": "stable",
                        "networking.istio.io/traffic-distribution": "Any",
                    }),
                );
            },
        },
        Case {
            name: "waypoint-for-workload",
            edit: |d| {
                set(
                    d,
                    "InfrastructureLabels",
                    json!({"istio.io/waypoint-for": "workload"}),
                );
            },
        },
        Case {
            name: "load-balancer-address",
            edit: |d| {
                set(d, "ServiceType", json!("LoadBalancer"));
                set(
                    d,
                    "Spec/addresses",
                    json!([{"type": "IPAddress", "value": "10.0.0.9"}, {"type": "IPAddress", "value": "10.0.0.10"}]),
                );
            },
        },
        Case {
            name: "cluster-ip-ignores-address",
            edit: |d| {
                set(d, "ServiceType", json!("ClusterIP"));
                set(
                    d,
                    "Spec/addresses",
                    json!([{"type": "IPAddress", "value": "10.0.0.9"}]),
                );
            },
        },
        Case {
            name: "node-port-many-ports",
            edit: |d| {
                set(d, "ServiceType", json!("NodePort"));
                set(
                    d,
                    "Ports",
                    json!([
                        {"name": "status-port", "port": 15021, "appProtocol": "tcp"},
                        {"name": "http", "port": 80, "appProtocol": "http"},
                        {"name": "https-main", "port": 443, "appProtocol": "https"},
                        {"name": "tls-passthrough", "port": 8443, "appProtocol": "tls"},
                    ]),
                );
            },
        },
        Case {
            name: "kubernetes-1.27",
            edit: |d| set(d, "KubeVersion", json!(127)),
        },
        Case {
            name: "annotation-image-and-log-levels",
            edit: |d| {
                annotate(
                    d,
                    "sidecar.istio.io/proxyImage",
                    "example.com/custom/proxy:1",
                );
                annotate(
                    d,
                    "gateway.istio.io/agentgatewayImage",
                    "example.com/custom/agw:2",
                );
                annotate(d, "sidecar.istio.io/logLevel", "debug");
                annotate(d, "sidecar.istio.io/componentLogLevel", "upstream:trace");
                annotate(d, "sidecar.istio.io/agentLogLevel", "default:debug");
            },
        },
        Case {
            name: "annotation-image-short-name",
            edit: |d| {
                annotate(d, "sidecar.istio.io/proxyImage", "proxyv2-distroless");
                annotate(d, "gateway.istio.io/agentgatewayImage", "agentgateway");
            },
        },
        Case {
            name: "values-image-full-reference",
            edit: |d| {
                set(
                    d,
                    "Values/global/proxy/image",
                    json!("docker.io/istio/proxyv2:1.30.3"),
                );
                set(
                    d,
                    "Values/global/agentgateway/image",
                    json!("ghcr.io/agentgateway/agentgateway:0.9"),
                );
            },
        },
        Case {
            name: "resources-and-scheduling",
            edit: |d| {
                set(
                    d,
                    "Values/global/waypoint",
                    json!({
                        "resources": {"limits": {"cpu": null, "memory": "2Gi"}, "requests": {"cpu": "250m"}},
                        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [{"matchExpressions": [{"key": "pool", "operator": "In", "values": ["edge"]}]}]}}},
                        "nodeSelector": {"kubernetes.io/os": "linux"},
                        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "mesh", "effect": "NoSchedule"}],
                        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}],
                    }),
                );
                set(
                    d,
                    "Values/global/proxy/resources",
                    json!({"limits": {"cpu": null, "memory": "512Mi"}, "requests": {"cpu": "50m", "memory": null}}),
                );
            },
        },
        Case {
            name: "no-resources",
            edit: |d| {
                set(d, "Values/global/waypoint/resources", json!({}));
                set(d, "Values/global/proxy/resources", Value::Null);
            },
        },
        Case {
            name: "ca-and-mesh-identity",
            edit: |d| {
                set(d, "Values/global/caAddress", json!("ca.example.com:9443"));
                set(d, "Values/global/meshID", json!("mesh1"));
                set(d, "Values/global/trustDomain", json!("corp.example"));
                set(d, "Values/global/multiCluster/clusterName", json!("east"));
                set(d, "Values/global/network", json!("net1"));
                set(d, "ClusterID", json!("east"));
            },
        },
        Case {
            name: "trust-domain-from-mesh-config",
            edit: |d| {
                set(d, "MeshConfig/trustDomain", json!("td.example"));
                set(d, "Values/global/meshID", json!(""));
            },
        },
        Case {
            name: "no-trust-domain",
            edit: |d| {
                set(d, "MeshConfig/trustDomain", json!(""));
                set(d, "Values/global/meshID", json!(""));
                set(d, "Values/global/trustDomain", json!(""));
            },
        },
        Case {
            name: "network-label",
            edit: |d| {
                set(
                    d,
                    "InfrastructureLabels/topology.istio.io~1network",
                    json!("net2"),
                );
                set(d, "Values/global/network", json!("net1"));
            },
        },
        Case {
            name: "east-west",
            edit: |d| {
                set(d, "ControllerLabel", json!("istio.io-eastwest-controller"));
                set(d, "GatewayClass", json!("istio-east-west"));
                set(d, "IsEastWestGateway", json!(true));
                set(d, "ServiceType", json!("LoadBalancer"));
                set(
                    d,
                    "InfrastructureLabels/topology.istio.io~1network",
                    json!("net-east"),
                );
            },
        },
        Case {
            name: "cluster-trust-bundle",
            edit: |d| {
                set(
                    d,
                    "Values/pilot/env/ENABLE_CLUSTER_TRUST_BUNDLE_API",
                    json!(true),
                );
                set(d, "Values/global/trustBundleName", json!("corp-root"));
            },
        },
        Case {
            name: "cluster-trust-bundle-default-name",
            edit: |d| {
                set(
                    d,
                    "Values/pilot/env/ENABLE_CLUSTER_TRUST_BUNDLE_API",
                    json!(true),
                );
            },
        },
        Case {
            name: "trust-bundle-configmap",
            edit: |d| set(d, "Values/global/trustBundleName", json!("corp-root")),
        },
        Case {
            name: "kubernetes-cert-provider",
            edit: |d| set(d, "Values/global/pilotCertProvider", json!("kubernetes")),
        },
        Case {
            name: "gke-workload-certificates",
            edit: |d| set(d, "Values/global/caName", json!("GkeWorkloadCertificate")),
        },
        Case {
            name: "openshift",
            edit: |d| {
                set(d, "Values/global/platform", json!("openshift"));
                set(d, "ProxyUID", json!(1000650000));
                set(d, "ProxyGID", json!(1000650000));
            },
        },
        Case {
            name: "pod-security-context",
            edit: |d| {
                set(
                    d,
                    "Values/gateways/securityContext",
                    json!({"runAsNonRoot": true, "fsGroup": 1337}),
                );
                set(
                    d,
                    "Values/gateways/seccompProfile",
                    json!({"type": "RuntimeDefault"}),
                );
            },
        },
        Case {
            name: "seccomp-profile",
            edit: |d| {
                set(
                    d,
                    "Values/gateways/seccompProfile",
                    json!({"type": "Localhost", "localhostProfile": "profiles/proxy.json"}),
                );
            },
        },
        Case {
            name: "pull-settings",
            edit: |d| {
                set(
                    d,
                    "Values/global/imagePullSecrets",
                    json!(["regcred", "mirror-cred"]),
                );
                set(d, "Values/global/imagePullPolicy", json!("Always"));
            },
        },
        Case {
            name: "agent-flags-and-lifecycle",
            edit: |d| {
                set(d, "Values/global/logAsJson", json!(true));
                set(
                    d,
                    "Values/global/proxy/outlierLogPath",
                    json!("/dev/stdout"),
                );
                set(d, "Values/global/sts/servicePort", json!(15463));
                set(
                    d,
                    "Values/global/proxy/lifecycle",
                    json!({"preStop": {"exec": {"command": ["sleep", "5"]}}}),
                );
            },
        },
        Case {
            name: "proxy-metadata",
            edit: |d| {
                set(
                    d,
                    "ProxyConfig/proxyMetadata",
                    json!({"ISTIO_META_DNS_CAPTURE": "true", "BOOTSTRAP_XDS_AGENT": "false", "EXTRA": "a b"}),
                );
            },
        },
        Case {
            name: "interception-tproxy",
            edit: |d| set(d, "ProxyConfig/interceptionMode", json!("TPROXY")),
        },
        Case {
            name: "custom-discovery-address",
            edit: |d| {
                set(
                    d,
                    "ProxyConfig/discoveryAddress",
                    json!("istiod-canary.istio-system.svc:15012"),
                );
            },
        },
    ]
}

/// `set` takes plain keys; `~1` in a key stands for `/` as in a JSON pointer.
fn unescape_keys(data: &mut Value) {
    match data {
        Value::Object(map) => {
            let escaped: Vec<String> = map.keys().filter(|k| k.contains("~1")).cloned().collect();
            for key in escaped {
                let value = map.remove(&key).unwrap();
                map.insert(key.replace("~1", "/"), value);
            }
            map.values_mut().for_each(unescape_keys);
        }
        Value::Array(items) => items.iter_mut().for_each(unescape_keys),
        _ => {}
    }
}

/// Executes a body on the data and parses the YAML stream it prints.
fn run(name: &str, body: &str, data: &Value) -> Result<Vec<Value>, String> {
    let template = Template::parse(name, body, mesh_inject::template_funcs())
        .map_err(|e| format!("parse: {e}"))?;
    let text = template
        .execute(data)
        .map_err(|e| format!("execute: {e}"))?;
    from_yaml_stream(&text, name).map_err(|e| format!("yaml: {e}\n--- output ---\n{text}"))
}

/// Every path where two value trees differ, one line each.
fn differences(path: &str, istio: &Value, mesh: &Value, out: &mut Vec<String>) {
    match (istio, mesh) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let child = format!("{path}/{key}");
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => differences(&child, x, y, out),
                    (Some(x), None) => out.push(format!("{child}: only Istio has {x}")),
                    (None, Some(y)) => out.push(format!("{child}: only mesh has {y}")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(&format!("{path}/{i}"), x, y, out);
            }
            for (i, x) in a.iter().enumerate().skip(b.len()) {
                out.push(format!("{path}/{i}: only Istio has {x}"));
            }
            for (i, y) in b.iter().enumerate().skip(a.len()) {
                out.push(format!("{path}/{i}: only mesh has {y}"));
            }
        }
        _ if istio != mesh => out.push(format!("{path}: Istio {istio} / mesh {mesh}")),
        _ => {}
    }
}

/// Compares mesh's body with Istio's on one input: the number of objects both printed, or a
/// readable list of differences.
fn compare(template: &str, istio: &str, data: &Value) -> Result<usize, String> {
    let mesh = builtin_template(template).unwrap();
    let expected = run(template, istio, data).map_err(|e| format!("Istio's body: {e}"))?;
    let actual = run(template, mesh, data).map_err(|e| format!("mesh's body: {e}"))?;
    let count = expected.len();
    let mut out = Vec::new();
    differences("", &Value::Array(expected), &Value::Array(actual), &mut out);
    if out.is_empty() {
        Ok(count)
    } else {
        Err(out.join("\n"))
    }
}

#[test]
fn mesh_gateway_templates_match_istio_on_every_case() {
    let Some(default) = reference_path("settings/default") else {
        return;
    };
    let values = read_value(&default.join("values.json"));
    let mesh = read_value(&default.join("mesh.yaml"));
    let mut failures = Vec::new();
    let mut compared = 0;
    for template in TEMPLATES {
        let istio = istio_body(&default, template);
        for case in cases() {
            let mut data = base_input(template, &values, &mesh);
            (case.edit)(&mut data);
            unescape_keys(&mut data);
            match compare(template, &istio, &data) {
                // Every template prints its five objects whatever the input.
                Ok(count) => assert_eq!(count, 5, "{template} / {}", case.name),
                Err(e) => failures.push(format!("== {template} / {}:\n{e}", case.name)),
            }
            compared += 1;
        }
    }
    eprintln!(
        "{compared} template/case comparisons, {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn mesh_gateway_templates_match_istio_for_every_settings_folder() {
    let Some(root) = reference_path("settings") else {
        return;
    };
    let dirs = sub_dirs(&root);
    let mut failures = Vec::new();
    let mut compared = 0;
    for dir in dirs.iter().filter(|d| d.join("values.json").exists()) {
        let values = read_value(&dir.join("values.json"));
        let mesh = read_value(&dir.join("mesh.yaml"));
        for template in TEMPLATES {
            let istio = istio_body(dir, template);
            compared += 1;
            let folder = dir.file_name().unwrap().to_string_lossy();
            match compare(template, &istio, &base_input(template, &values, &mesh)) {
                Ok(count) => assert_eq!(count, 5, "{template} / settings {folder}"),
                Err(e) => failures.push(format!("== {template} / settings {folder}:\n{e}")),
            }
        }
    }
    eprintln!(
        "{compared} template/settings comparisons, {} failed",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Values enough for the gateway templates, for the checks that run without the reference.
fn inline_values() -> Value {
    json!({
        "revision": "",
        "gateways": {"securityContext": {}, "seccompProfile": {}},
        "pilot": {"env": {}},
        "global": {
            "caAddress": "", "caName": "", "imagePullPolicy": "", "imagePullSecrets": [],
            "istioNamespace": "istio-system", "logAsJson": false, "logging": {"level": "default:info"},
            "meshID": "", "multiCluster": {"clusterName": ""}, "network": "",
            "pilotCertProvider": "istiod", "sds": {"token": {"aud": "istio-ca"}}, "sts": {"servicePort": 0},
            "proxy": {
                "clusterDomain": "cluster.local", "componentLogLevel": "misc:error", "image": "proxyv2",
                "logLevel": "warning", "outlierLogPath": "",
                "resources": {"limits": {"cpu": "2000m", "memory": "1024Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}}
            },
            "waypoint": {"resources": {"limits": {"cpu": "2", "memory": "1Gi"}}}
        }
    })
}

fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects.iter().find(|o| o["kind"] == kind).unwrap()
}

#[test]
fn mesh_gateway_templates_render_their_objects_without_reference() {
    let mesh = json!({"defaultConfig": {"discoveryAddress": "istiod.istio-system.svc:15012"}, "trustDomain": "cluster.local"});
    for template in TEMPLATES {
        let mut data = base_input(template, &inline_values(), &mesh);
        set(&mut data, "ServiceType", json!("LoadBalancer"));
        set(
            &mut data,
            "Spec/addresses",
            json!([{"type": "IPAddress", "value": "192.0.2.7"}]),
        );
        let objects = run(template, builtin_template(template).unwrap(), &data).unwrap();
        let kinds: Vec<&str> = objects
            .iter()
            .map(|o| o["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "ServiceAccount",
                "Deployment",
                "Service",
                "HorizontalPodAutoscaler",
                "PodDisruptionBudget"
            ],
            "{template}"
        );
        let name = data["Name"].as_str().unwrap();
        for object in &objects {
            let owner = &object["metadata"]["ownerReferences"][0];
            assert_eq!(owner["kind"], "Gateway", "{template}");
            assert_eq!(owner["name"], name, "{template}");
            assert_eq!(object["metadata"]["namespace"], "apps", "{template}");
        }
        let deployment = find(&objects, "Deployment");
        let selector = &deployment["spec"]["selector"]["matchLabels"];
        assert_eq!(selector["gateway.networking.k8s.io/gateway-name"], name);
        let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
        assert_eq!(pod_labels["sidecar.istio.io/inject"], "false");
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        let expected_container = if template == "agentgateway" {
            "agentgateway"
        } else {
            "istio-proxy"
        };
        assert_eq!(container["name"], expected_container);
        // "proxyv2" is not a full image reference, so the controller's resolved image is used.
        assert!(
            container["image"]
                .as_str()
                .unwrap()
                .starts_with("registry.istio.io/testing/"),
            "{template}: {}",
            container["image"]
        );
        let service = find(&objects, "Service");
        assert_eq!(service["spec"]["loadBalancerIP"], "192.0.2.7", "{template}");
        assert_eq!(service["spec"]["ports"][0]["port"], 15021, "{template}");
    }
}
