//! mesh's own Go bodies of the built-in injection templates (`templates/injection/*.tmpl`,
//! shipped in the `istio-sidecar-injector` ConfigMap for istiod) against Istio's bodies: both
//! are executed by the Go template engine (mesh-gotmpl with mesh-inject's functions) on the
//! data istiod would pass (`Injector::go_template_data`), and the printed partial pods must
//! parse to the same value.
//!
//! Istio's bodies are read at test time from the reference settings (`inject-config.yaml`);
//! they are never copied into mesh. Every test skips cleanly when the reference corpus
//! (`<workspace>/../shared/reference`) is absent.

use mesh_core::Value;
use mesh_gotmpl::Template;
use mesh_inject::PodContext;
use serde_json::json;
use std::collections::BTreeMap;

use crate::support::injector::{Settings, SettingsInjector, input_pods};
use mesh_test_support::{read, reference};
use std::path::PathBuf;

/// The built-in templates whose bodies this file checks.
const TEMPLATES: [&str; 4] = ["sidecar", "gateway", "grpc-simple", "grpc-agent"];

fn mesh_body(name: &str) -> &'static str {
    mesh_manifest::render::pilot::builtin_template(name)
        .unwrap_or_else(|| panic!("mesh has no built-in template {name}"))
}

/// Up to `limit` differences between two values, each as `path: left != right`.
fn diff_paths(path: &str, a: &Value, b: &Value, out: &mut Vec<String>, limit: usize) {
    if out.len() >= limit || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let missing = Value::String("<absent>".into());
                diff_paths(
                    &format!("{path}.{k}"),
                    x.get(k).unwrap_or(&missing),
                    y.get(k).unwrap_or(&missing),
                    out,
                    limit,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (l, r)) in x.iter().zip(y).enumerate() {
                diff_paths(&format!("{path}[{i}]"), l, r, out, limit);
            }
        }
        _ => out.push(format!("{path}: mesh {a} != istio {b}")),
    }
}

/// What executing one body gave.
fn run(name: &str, body: &str, data: &Value) -> Result<Value, String> {
    let template = Template::parse(name, body, mesh_inject::template_funcs())
        .map_err(|e| format!("parse: {e}"))?;
    let text = template
        .execute(data)
        .map_err(|e| format!("execute: {e}"))?;
    let parsed = mesh_core::from_yaml_str(&text, name)
        .map_err(|e| format!("output is not YAML: {e}\n{text}"))?;
    Ok(parsed)
}

/// Tally of one comparison run.
#[derive(Default)]
struct Tally {
    agreed: BTreeMap<&'static str, usize>,
    failures: Vec<String>,
    skipped: Vec<String>,
    /// Situations where Istio's body prints invalid YAML and mesh's a valid pod.
    istio_invalid: usize,
}

impl Tally {
    /// Executes mesh's and Istio's body of `template` on `data` and records the outcome.
    fn compare(&mut self, label: &str, template: &'static str, settings: &Settings, data: &Value) {
        let istio = run(template, settings.istio_body(template), data);
        let mesh = run(template, mesh_body(template), data);
        match (mesh, istio) {
            (Ok(m), Ok(i)) if m == i && m.get("spec").is_some_and(Value::is_object) => {
                *self.agreed.entry(template).or_default() += 1
            }
            (Ok(m), Ok(i)) if m == i => self
                .failures
                .push(format!("{label} [{template}]: both print no pod spec: {m}")),
            (Ok(m), Ok(i)) => {
                let mut diffs = Vec::new();
                diff_paths("", &m, &i, &mut diffs, 12);
                self.failures.push(format!(
                    "{label} [{template}]: outputs differ\n    {}",
                    diffs.join("\n    ")
                ));
            }
            (Err(e), Ok(_)) => self
                .failures
                .push(format!("{label} [{template}]: mesh body: {e}")),
            (Ok(_), Err(e)) => self.failures.push(format!(
                "{label} [{template}]: Istio's body (engine problem?): {e}"
            )),
            (Err(m), Err(i)) => self.failures.push(format!(
                "{label} [{template}]: both bodies fail: mesh: {m}; istio: {i}"
            )),
        }
    }

    /// For a situation where Istio's body prints invalid YAML: mesh's body must still print
    /// a partial pod, and Istio's must indeed fail to parse.
    fn expect_istio_invalid(
        &mut self,
        label: &str,
        template: &'static str,
        settings: &Settings,
        data: &Value,
    ) -> Option<Value> {
        let istio = run(template, settings.istio_body(template), data);
        let mesh = run(template, mesh_body(template), data);
        match (mesh, istio) {
            (Ok(m), Err(e)) if e.contains("not YAML") => {
                self.istio_invalid += 1;
                Some(m)
            }
            (mesh, istio) => {
                self.failures.push(format!(
                    "{label} [{template}]: expected Istio's body to print invalid YAML and \
                     mesh's a pod; got mesh {:?}, istio {:?}",
                    mesh.map(|_| "ok"),
                    istio.map(|_| "ok")
                ));
                None
            }
        }
    }

    fn total(&self) -> usize {
        self.agreed.values().sum()
    }

    fn finish(&self, what: &str) {
        eprintln!(
            "{what}: {} agreements {:?}, {} where only mesh's body prints valid YAML, \
             {} failures, {} skipped",
            self.total(),
            self.agreed,
            self.istio_invalid,
            self.failures.len(),
            self.skipped.len()
        );
        for s in &self.skipped {
            eprintln!("  skipped {s}");
        }
        assert!(
            self.failures.is_empty(),
            "{} disagreement(s):\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

/// The templates a pod selects (its `inject.istio.io/templates` annotation, else `sidecar`),
/// narrowed to the built-ins this file checks.
fn selected_templates(pod: &Value) -> Vec<&'static str> {
    let listed = pod["metadata"]["annotations"]["inject.istio.io/templates"]
        .as_str()
        .unwrap_or("sidecar");
    TEMPLATES
        .into_iter()
        .filter(|t| listed.split(',').any(|n| n.trim() == *t))
        .collect()
}

/// A case's namespace-dependent inputs (OpenShift UID ranges live on the namespace).
fn case_context(case: &Value) -> PodContext {
    let openshift = case["env"]["PLATFORM"].as_str() == Some("openshift");
    let namespace_annotations = case["namespace"]["annotations"].as_object().map(|m| {
        m.iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
            .collect()
    });
    PodContext {
        namespace: case["namespace"]["name"].as_str().map(str::to_string),
        namespace_annotations,
        openshift,
        ..Default::default()
    }
}

/// Every reference inject case: each pod of the input, through every built-in template (the
/// ones it selects and the others too), mesh's body against Istio's.
#[test]
fn reference_cases_agree_for_all_four_templates() {
    let Some(reference) = reference() else { return };
    let cases: Vec<PathBuf> = mesh_test_support::sub_dirs(&reference.join("inject"))
        .into_iter()
        .filter(|p| p.join("case.yaml").is_file())
        .collect();
    let mut tally = Tally::default();
    let mut selected = 0;
    let mut settings_cache: BTreeMap<PathBuf, Settings> = BTreeMap::new();
    for case_dir in &cases {
        let name = case_dir.file_name().unwrap().to_string_lossy().to_string();
        let case = mesh_core::from_yaml_str(&read(&case_dir.join("case.yaml")), "case").unwrap();
        let settings_dir = case_dir.join(case["settings"].as_str().unwrap());
        let settings = settings_cache
            .entry(settings_dir.clone())
            .or_insert_with(|| Settings::load(&settings_dir))
            .clone();
        let injector = settings.injector(case["native_sidecars"].as_bool().unwrap_or(false));
        let context = case_context(&case);
        for (i, pod) in input_pods(&read(&case_dir.join("input.yaml")))
            .iter()
            .enumerate()
        {
            let label = format!("{name} pod {i}");
            let data = match injector.go_template_data(pod, &context) {
                Ok(d) => d,
                Err(e) => {
                    // Only the error cases' pods are expected to be rejected.
                    if case["expect_error"].is_null() {
                        tally.failures.push(format!("{label}: template data: {e}"));
                    } else {
                        tally
                            .skipped
                            .push(format!("{label}: rejected as expected ({e})"));
                    }
                    continue;
                }
            };
            let chosen = selected_templates(pod);
            selected += chosen.len();
            for template in TEMPLATES {
                tally.compare(&label, template, &settings, &data);
            }
        }
    }
    eprintln!("{selected} (pod, selected template) pairs among the comparisons");
    assert!(tally.total() > 0, "no comparison ran");
    tally.finish("reference cases");
}

/// RFC 7396 merge of `patch` into `target` (`null` deletes).
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// One constructed situation: settings edits, pod edits and injector switches.
struct Scenario {
    name: &'static str,
    values: Value,
    mesh: Value,
    annotations: Value,
    labels: Value,
    spec: Value,
    native: bool,
    context: PodContext,
    compliance: &'static str,
    /// A template for which Istio's body prints invalid YAML in this situation.
    istio_invalid: Option<&'static str>,
}

impl Scenario {
    fn new(name: &'static str) -> Scenario {
        Scenario {
            name,
            values: json!({}),
            mesh: json!({}),
            annotations: json!({}),
            labels: json!({}),
            spec: json!({}),
            native: false,
            context: PodContext::default(),
            compliance: "",
            istio_invalid: None,
        }
    }
    fn values(mut self, v: Value) -> Self {
        self.values = v;
        self
    }
    fn mesh(mut self, v: Value) -> Self {
        self.mesh = v;
        self
    }
    fn annotations(mut self, v: Value) -> Self {
        self.annotations = v;
        self
    }
    fn labels(mut self, v: Value) -> Self {
        self.labels = v;
        self
    }
    fn spec(mut self, v: Value) -> Self {
        self.spec = v;
        self
    }
    fn native(mut self) -> Self {
        self.native = true;
        self
    }
    fn context(mut self, c: PodContext) -> Self {
        self.context = c;
        self
    }
    fn compliance(mut self, policy: &'static str) -> Self {
        self.compliance = policy;
        self
    }
    fn istio_invalid(mut self, template: &'static str) -> Self {
        self.istio_invalid = Some(template);
        self
    }
}

/// The pod every scenario starts from: a Deployment's pod with two ports and a probe.
fn base_pod() -> Value {
    json!({
        "metadata": {
            "generateName": "hello-",
            "namespace": "demo",
            "labels": {"app": "hello", "version": "v1"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "hello", "controller": true}]
        },
        "spec": {
            "serviceAccountName": "hello-sa",
            "containers": [
                {"name": "hello", "image": "hello:1", "ports": [
                    {"name": "http", "containerPort": 80, "protocol": "TCP"},
                    {"containerPort": 9090, "hostPort": 9090}
                ], "readinessProbe": {"httpGet": {"path": "/ready", "port": 80}}},
                {"name": "helper", "image": "helper:1"}
            ]
        }
    })
}

/// Situations the reference cases do not reach, one or a few settings at a time.
fn scenarios() -> Vec<Scenario> {
    let openshift = PodContext {
        namespace_annotations: Some(BTreeMap::from([
            (
                "openshift.io/sa.scc.uid-range".to_string(),
                "1000620000/10000".to_string(),
            ),
            (
                "openshift.io/sa.scc.supplemental-groups".to_string(),
                "1000620000/10000".to_string(),
            ),
        ])),
        openshift: true,
        ..Default::default()
    };
    vec![
        Scenario::new("defaults, classic sidecar"),
        Scenario::new("defaults, native sidecar").native(),
        Scenario::new("tracer lightstep with TLS").values(json!({"global": {"proxy": {"tracer": "lightstep"}}}))
            .mesh(json!({"defaultConfig": {"tracing": {"tlsSettings": {"mode": "SIMPLE", "caCertificates": "/etc/lightstep/cacert.pem"}}}})),
        Scenario::new("tracer lightstep without TLS").values(json!({"global": {"proxy": {"tracer": "lightstep"}}})),
        Scenario::new("tracer datadog with env annotation").values(json!({"global": {"proxy": {"tracer": "datadog"}}}))
            .annotations(json!({"apm.datadoghq.com/env": "{\"DD_ENV\": \"prod\", \"DD_SERVICE\": \"hello\", \"DD_TRACE_SAMPLE_RATE\": 1}"})),
        Scenario::new("TPROXY from the mesh").mesh(json!({"defaultConfig": {"interceptionMode": "TPROXY"}})),
        Scenario::new("TPROXY from the annotation, CNI").values(json!({"pilot": {"cni": {"enabled": true}}}))
            .annotations(json!({"sidecar.istio.io/interceptionMode": "TPROXY"})),
        Scenario::new("capture NONE, classic").annotations(json!({"sidecar.istio.io/interceptionMode": "NONE"})),
        Scenario::new("capture NONE, native").native().annotations(json!({"sidecar.istio.io/interceptionMode": "NONE"})),
        Scenario::new("hold application from the values").values(json!({"global": {"proxy": {"holdApplicationUntilProxyStarts": true}}})),
        Scenario::new("hold application from the proxy config annotation")
            .annotations(json!({"proxy.istio.io/config": "holdApplicationUntilProxyStarts: true"})),
        Scenario::new("hold application, native sidecar").native()
            .values(json!({"global": {"proxy": {"holdApplicationUntilProxyStarts": true}}})),
        Scenario::new("native sidecar forced by annotation").annotations(json!({"sidecar.istio.io/nativeSidecar": "true"})),
        Scenario::new("native sidecar refused by annotation").native().annotations(json!({"sidecar.istio.io/nativeSidecar": "false"})),
        Scenario::new("CNI on").values(json!({"pilot": {"cni": {"enabled": true}}})),
        Scenario::new("CNI on with every traffic annotation").values(json!({"pilot": {"cni": {"enabled": true}}, "global": {"proxy": {"includeOutboundPorts": "8443"}}}))
            .annotations(json!({
                "traffic.sidecar.istio.io/includeOutboundIPRanges": "10.0.0.0/8",
                "traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.96.0.1/32",
                "traffic.sidecar.istio.io/includeInboundPorts": "80,9090",
                "traffic.sidecar.istio.io/excludeInboundPorts": "9091",
                "traffic.sidecar.istio.io/excludeOutboundPorts": "5432",
                "traffic.sidecar.istio.io/kubevirtInterfaces": "net1",
                "istio.io/reroute-virtual-interfaces": "net2",
                "traffic.sidecar.istio.io/excludeInterfaces": "eth9",
            })),
        Scenario::new("CNI multus, list networks").values(json!({"pilot": {"cni": {"enabled": true, "provider": "multus"}}}))
            .annotations(json!({"k8s.v1.cni.cncf.io/networks": "macvlan-conf"})),
        Scenario::new("CNI multus, JSON networks").values(json!({"pilot": {"cni": {"enabled": true, "provider": "multus"}}}))
            .annotations(json!({"k8s.v1.cni.cncf.io/networks": "[{\"name\": \"macvlan-conf\"}]"})),
        Scenario::new("CNI multus, no networks").values(json!({"pilot": {"cni": {"enabled": true, "provider": "multus"}}})),
        Scenario::new("excluded ports and kubevirt interfaces, no CNI").annotations(json!({
            "traffic.sidecar.istio.io/excludeInboundPorts": "15020,9091",
            "traffic.sidecar.istio.io/includeOutboundPorts": "",
            "traffic.sidecar.istio.io/kubevirtInterfaces": "net1",
            "status.sidecar.istio.io/port": "15021",
        })),
        Scenario::new("outbound ports from the values").values(json!({"global": {"proxy": {"includeOutboundPorts": "443", "excludeOutboundPorts": "25"}}})),
        Scenario::new("custom bootstrap").annotations(json!({"sidecar.istio.io/bootstrapOverride": "my-bootstrap"})),
        Scenario::new("user volumes").annotations(json!({
            "sidecar.istio.io/userVolume": "{\"vol-a\": {\"secret\": {\"secretName\": \"a\"}}, \"vol-b\": {\"configMap\": {\"name\": \"b\", \"optional\": true}}}",
            "sidecar.istio.io/userVolumeMount": "{\"vol-a\": {\"mountPath\": \"/a\", \"readOnly\": true}, \"vol-b\": {\"mountPath\": \"/b\"}}",
        })),
        Scenario::new("resource annotations, requests only").annotations(json!({"sidecar.istio.io/proxyCPU": "200m"})),
        Scenario::new("resource annotations, all four").annotations(json!({
            "sidecar.istio.io/proxyCPU": "200m", "sidecar.istio.io/proxyMemory": "128Mi",
            "sidecar.istio.io/proxyCPULimit": "1", "sidecar.istio.io/proxyMemoryLimit": "1Gi",
        })),
        Scenario::new("resource annotation, memory limit only").annotations(json!({"sidecar.istio.io/proxyMemoryLimit": "2Gi"})),
        Scenario::new("no proxy resources in the values").values(json!({"global": {"proxy": {"resources": null}}})),
        Scenario::new("image pull policy and secrets").values(json!({"global": {"imagePullPolicy": "Always", "imagePullSecrets": ["regcred", "mirror"]}})),
        Scenario::new("full image references").values(json!({"global": {"proxy": {"image": "registry.example.com/mesh/proxy:1.0"}}}))
            .annotations(json!({"sidecar.istio.io/proxyImage": "registry.example.com/custom/proxy:2.0"})),
        Scenario::new("proxy image type annotation").annotations(json!({"sidecar.istio.io/proxyImageType": "distroless"})),
        Scenario::new("DNS capture, HBONE and trace logging metadata")
            .mesh(json!({"defaultConfig": {"proxyMetadata": {"ISTIO_META_DNS_CAPTURE": "true", "ISTIO_META_ENABLE_HBONE": "true", "IPTABLES_TRACE_LOGGING": "true"}}})),
        Scenario::new("OpenShift proxy user").context(openshift),
        Scenario::new("OpenTelemetry resource annotations").annotations(json!({
            "resource.opentelemetry.io/service.name": "hello-svc",
            "resource.opentelemetry.io/deployment.environment": "prod",
        })),
        Scenario::new("compliance policy").compliance("fips-140-2"),
        Scenario::new("status port 0").annotations(json!({"status.sidecar.istio.io/port": "0"})),
        // Istio's grpc-agent body prints the user's mounts under no `volumeMounts` key when
        // the status port is 0 (invalid YAML here); mesh's keeps them in `volumeMounts`.
        Scenario::new("status port 0 with user mounts").annotations(json!({
            "status.sidecar.istio.io/port": "0",
            "sidecar.istio.io/userVolumeMount": "{\"vol-a\": {\"mountPath\": \"/a\"}}",
        })).values(json!({"global": {"imagePullPolicy": "IfNotPresent"}})).istio_invalid("grpc-agent"),
        Scenario::new("readiness and log annotations").annotations(json!({
            "readiness.status.sidecar.istio.io/initialDelaySeconds": "5",
            "readiness.status.sidecar.istio.io/periodSeconds": "7",
            "readiness.status.sidecar.istio.io/failureThreshold": "9",
            "sidecar.istio.io/logLevel": "debug",
            "sidecar.istio.io/componentLogLevel": "misc:info",
            "sidecar.istio.io/agentLogLevel": "default:debug",
        })),
        Scenario::new("GKE workload certificates").values(json!({"global": {"caName": "GkeWorkloadCertificate"}})),
        Scenario::new("kubernetes cert provider").values(json!({"global": {"pilotCertProvider": "kubernetes"}})),
        Scenario::new("cluster trust bundle").values(json!({"pilot": {"env": {"ENABLE_CLUSTER_TRUST_BUNDLE_API": true}}, "global": {"trustBundleName": "my-bundle"}})),
        Scenario::new("trust bundle ConfigMap name").values(json!({"global": {"trustBundleName": "my-roots"}, "pilot": {"crlConfigMapName": "my-crl"}})),
        Scenario::new("mounted mTLS certs").values(json!({"global": {"mountMtlsCerts": true}})),
        Scenario::new("mounted mTLS certs, default service account").values(json!({"global": {"mountMtlsCerts": true}}))
            .spec(json!({"serviceAccountName": null})),
        Scenario::new("multicluster identity").values(json!({"global": {"meshID": "mesh1", "network": "net1", "multiCluster": {"clusterName": "c1"}}})),
        Scenario::new("trust domain from the values").values(json!({"global": {"trustDomain": "example.org"}})).mesh(json!({"trustDomain": null})),
        Scenario::new("CA address and revision").values(json!({"global": {"caAddress": "ca.example.com:443"}, "revision": "canary"})),
        Scenario::new("revisioned istiod CA").values(json!({"revision": "canary"})),
        Scenario::new("agent options").values(json!({"global": {"logAsJson": true, "sts": {"servicePort": 15463}, "proxy": {"outlierLogPath": "/dev/stdout"}}})),
        Scenario::new("lifecycle and seccomp from the values").values(json!({"global": {"proxy": {
            "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
            "seccompProfile": {"type": "RuntimeDefault"},
        }}})),
        Scenario::new("iptables options").values(json!({"global": {"proxy_init": {"forceApplyIptables": true}, "nativeNftables": true}})),
        Scenario::new("startup probe off, privileged").values(json!({"global": {"proxy": {"startupProbe": {"enabled": false}, "privileged": true}}})),
        Scenario::new("NET_BIND_SERVICE from the values").values(json!({"global": {"proxy": {"capNetBindService": true}}})),
        Scenario::new("NET_BIND_SERVICE annotation with TPROXY")
            .annotations(json!({"sidecar.istio.io/capNetBindService": "true", "sidecar.istio.io/interceptionMode": "TPROXY"})),
        Scenario::new("gateway security context from the values").values(json!({"gateways": {"securityContext": {"runAsNonRoot": true, "sysctls": []}}})),
        Scenario::new("inbound traffic to localhost").mesh(json!({"inboundTrafficPolicy": {"mode": "LOCALHOST"}})),
        Scenario::new("listener ports from the mesh").mesh(json!({"proxyListenPort": 15101, "proxyInboundListenPort": 15106})),
        Scenario::new("drain duration and concurrency in the proxy config").mesh(json!({"defaultConfig": {"drainDuration": "23s", "concurrency": 2}})),
        Scenario::new("canonical labels, long name").labels(json!({
            "app": null,
            "app.kubernetes.io/name": "a-very-long-application-name-that-goes-past-the-label-limit-of-sixty-three",
            "app.kubernetes.io/version": "2.0",
        })),
        Scenario::new("canonical labels set explicitly").labels(json!({
            "service.istio.io/canonical-name": "svc", "service.istio.io/canonical-revision": "r1",
            "service.istio.io/workload-name": "wl", "security.istio.io/tlsMode": "disabled",
            "networking.istio.io/tunnel": "none",
        })).mesh(json!({"defaultConfig": {"proxyMetadata": {"ISTIO_META_ENABLE_HBONE": "true"}}})),
        Scenario::new("default containers chosen by the pod").annotations(json!({
            "kubectl.kubernetes.io/default-container": "helper",
            "kubectl.kubernetes.io/default-logs-container": "helper",
        })),
        Scenario::new("pod with a declared istio-proxy").spec(json!({"containers": [
            {"name": "istio-proxy", "image": "auto"},
            {"name": "app", "image": "app:1", "ports": [{"containerPort": 8080}]}
        ]})),
        Scenario::new("pod without containers").spec(json!({"containers": []})),
        Scenario::new("bare pod").labels(json!({"app": null, "version": null})),
    ]
}

/// Applies a scenario to the base pod.
fn scenario_pod(s: &Scenario) -> Value {
    let mut pod = base_pod();
    merge(&mut pod["metadata"]["labels"], &s.labels);
    if s.annotations.as_object().is_some_and(|m| !m.is_empty()) {
        pod["metadata"]["annotations"] = json!({});
        merge(&mut pod["metadata"]["annotations"], &s.annotations);
    }
    if s.name == "bare pod" {
        // A pod created directly: a name, no controller.
        let meta = pod["metadata"].as_object_mut().unwrap();
        meta.remove("generateName");
        meta.remove("ownerReferences");
        meta.insert("name".into(), json!("bare"));
    }
    merge(&mut pod["spec"], &s.spec);
    pod
}

/// Branches the reference cases do not reach: each scenario through all four templates.
#[test]
fn constructed_scenarios_agree_for_all_four_templates() {
    let Some(reference) = reference() else { return };
    let base = Settings::load(&reference.join("settings/default"));
    let mut tally = Tally::default();
    for s in scenarios() {
        let mut settings = base.clone();
        merge(&mut settings.values, &s.values);
        merge(&mut settings.mesh, &s.mesh);
        let mut injector = settings.injector(s.native);
        if !s.compliance.is_empty() {
            injector = injector.with_compliance_policy(s.compliance);
        }
        let pod = scenario_pod(&s);
        let data = match injector.go_template_data(&pod, &s.context) {
            Ok(d) => d,
            Err(e) => {
                tally
                    .failures
                    .push(format!("{}: template data: {e}", s.name));
                continue;
            }
        };
        for template in TEMPLATES {
            if s.istio_invalid != Some(template) {
                tally.compare(s.name, template, &settings, &data);
                continue;
            }
            if let Some(pod) = tally.expect_istio_invalid(s.name, template, &settings, &data) {
                let mounts = &pod["spec"]["containers"][0]["volumeMounts"];
                assert_eq!(
                    mounts,
                    &json!([{"name": "vol-a", "mountPath": "/a"}]),
                    "{}",
                    s.name
                );
            }
        }
    }
    tally.finish("constructed scenarios");
}

/// The bodies parse on their own (a syntax error would break every injection in istiod).
#[test]
fn mesh_bodies_parse() {
    for name in TEMPLATES {
        if let Err(e) = Template::parse(name, mesh_body(name), mesh_inject::template_funcs()) {
            panic!("{name}: {e}");
        }
    }
}

/// The scenarios' merge: `null` entries remove base entries, maps merge recursively.
#[test]
fn merge_removes_null_entries() {
    let mut v = json!({"a": 1, "b": {"c": 2}});
    merge(&mut v, &json!({"a": null, "b": {"d": 3}}));
    assert_eq!(v, json!({"b": {"c": 2, "d": 3}}));
}
