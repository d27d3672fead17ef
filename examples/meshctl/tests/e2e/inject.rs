//! Sidecar injection through the API server: mesh-webhook called by the real admission chain.
//!
//! The webhook runs in-process (`mesh_webhook::run_on` on a `127.0.0.1:0` listener with a
//! self-signed certificate), configured from mesh's own rendered objects: the
//! `istio-sidecar-injector[-<rev>]` and `istio[-<rev>]` ConfigMaps of `meshctl manifest generate`,
//! and the MutatingWebhookConfiguration of `meshctl x webhook-manifest --url ... --ca-file ...`.
//!
//! These tests use an API server of their own (with the controller manager), not the binary's
//! shared one: installs on the shared server may add istiod's own injection webhook
//! (`failurePolicy: Fail`, calling a Service with no endpoints), which would refuse every pod of
//! a namespace labelled `istio-injection=enabled`. Each webhook configuration is still confined
//! to its test's namespaces: one requirement on the label [`GROUP_LABEL`] is added to every
//! entry's namespaceSelector (the rest is mesh's rendering, unchanged).

use crate::{meshctl, run, run_ok};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, PostParams};
use mesh_test_support::kube::{
    ApiServer, Options, block_on, kubectl_available, unique_namespace, wait_for,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The namespace label that confines a test's webhook configurations to its own namespaces.
const GROUP_LABEL: &str = "e2e.mesh.dev/inject-group";
/// How long a webhook configuration may take to reach the API server's admission chain.
const ACTIVATION: Duration = Duration::from_secs(30);

/// This module's API server (with kube-controller-manager), started on first use and stopped by
/// its watchdog when the test binary exits.
fn server() -> Option<&'static ApiServer> {
    static SERVER: OnceLock<Option<ApiServer>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            if !kubectl_available() {
                return None;
            }
            ApiServer::start(&Options::with_controllers())
        })
        .as_ref()
}

/// A fresh folder inside the server's own folder (removed with the server).
pub(crate) fn scratch(server: &ApiServer, name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = server.dir().join(format!(
        "inject-{name}-{}",
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

pub(crate) fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// The injector settings of one revision as mesh renders them: the files mesh-webhook and
/// `meshctl x check-inject` read.
pub(crate) struct Rendered {
    /// `""` for the default revision.
    revision: String,
    /// `--set` flags it was rendered with (the webhook configuration is rendered with them too).
    sets: Vec<String>,
    /// `data.values` of `istio-sidecar-injector[-<rev>]`.
    values: PathBuf,
    /// `data.config` of `istio-sidecar-injector[-<rev>]`.
    config: PathBuf,
    /// `data.mesh` of `istio[-<rev>]`.
    mesh: PathBuf,
}

impl Rendered {
    /// `meshctl manifest generate [-r REV] [--set S]...`, the two ConfigMaps' keys written into
    /// `dir`.
    fn generate(dir: &Path, revision: &str, sets: &[&str]) -> Rendered {
        std::fs::create_dir_all(dir).unwrap();
        let mut cmd = meshctl();
        cmd.args(["manifest", "generate"]);
        if !revision.is_empty() {
            cmd.args(["-r", revision]);
        }
        for set in sets {
            cmd.args(["--set", set]);
        }
        let text = run_ok(&mut cmd);
        let docs = mesh_core::from_yaml_stream(&text, "manifest generate").unwrap();
        Rendered::from_objects(dir, revision, sets, &docs)
    }

    /// The injector files of `revision` taken from `docs` (its two ConfigMaps, as rendered or
    /// as read back from a cluster), written into `dir`.
    pub(crate) fn from_objects(
        dir: &Path,
        revision: &str,
        sets: &[&str],
        docs: &[Value],
    ) -> Rendered {
        std::fs::create_dir_all(dir).unwrap();
        let suffix = if revision.is_empty() {
            String::new()
        } else {
            format!("-{revision}")
        };
        let data = |name: &str, key: &str| -> String {
            docs.iter()
                .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == name)
                .and_then(|d| d["data"][key].as_str())
                .unwrap_or_else(|| {
                    panic!("manifest generate rendered no ConfigMap {name} with data.{key}")
                })
                .to_string()
        };
        let injector = format!("istio-sidecar-injector{suffix}");
        let rendered = Rendered {
            revision: revision.to_string(),
            sets: sets.iter().map(|s| s.to_string()).collect(),
            values: dir.join("values.json"),
            config: dir.join("inject-config.yaml"),
            mesh: dir.join("mesh.yaml"),
        };
        write(&rendered.values, &data(&injector, "values"));
        write(&rendered.config, &data(&injector, "config"));
        write(&rendered.mesh, &data(&format!("istio{suffix}"), "mesh"));
        rendered
    }
}

/// mesh-webhook served in-process on 127.0.0.1 over TLS until dropped (or [`Webhook::stop`]).
pub(crate) struct Webhook {
    pub(crate) url: String,
    /// The self-signed serving certificate, which is also the caBundle.
    pub(crate) ca: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// What `run_on` returned when it failed.
    failed: Arc<Mutex<Option<String>>>,
}

impl Webhook {
    fn start(dir: &Path, rendered: &Rendered) -> Webhook {
        Webhook::start_at(dir, rendered, "127.0.0.1:0", &["127.0.0.1", "localhost"])
    }

    /// Serves on `addr` with a certificate for `names`.
    pub(crate) fn start_at(dir: &Path, rendered: &Rendered, addr: &str, names: &[&str]) -> Webhook {
        let cert = mesh_test_support::certs::with_names(names);
        let (ca, key) = (dir.join("tls.crt"), dir.join("tls.key"));
        write(&ca, &cert.cert_pem);
        write(&key, &cert.key_pem);
        let mut files = mesh_webhook::ConfigFiles::new(&rendered.values, &rendered.config);
        files.mesh_config = Some(rendered.mesh.clone());
        files.revision = rendered.revision.clone();
        let settings = mesh_webhook::Settings::new(
            mesh_webhook::CertFiles {
                cert: ca.clone(),
                key,
            },
            files,
        );
        let listener = std::net::TcpListener::bind(addr)
            .unwrap_or_else(|e| panic!("mesh-webhook cannot listen on {addr}: {e}"));
        listener.set_nonblocking(true).unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let failed = Arc::new(Mutex::new(None));
        let failed2 = failed.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let shutdown = async {
                    let _ = stopped.await;
                };
                if let Err(e) = mesh_webhook::run_on(listener, settings, shutdown).await {
                    *failed2.lock().unwrap() = Some(e.to_string());
                }
            });
        });
        Webhook {
            url,
            ca,
            stop: Some(stop),
            thread: Some(thread),
            failed,
        }
    }

    /// Stops serving (drains) and waits for the server to finish.
    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Panics with the server's error if it could not start.
    fn check_running(&self) {
        if let Some(e) = self.failed.lock().unwrap().as_ref() {
            panic!("mesh-webhook at {} failed: {e}", self.url);
        }
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.stop();
    }
}

/// mesh's webhook configuration for `webhook` (`meshctl x webhook-manifest --url URL --ca-file
/// CA --name NAME [-r REV]`), with every entry's namespaceSelector confined to `group`.
fn webhook_configuration(name: &str, rendered: &Rendered, webhook: &Webhook, group: &str) -> Value {
    let mut cmd = meshctl();
    cmd.args([
        "x",
        "webhook-manifest",
        "--url",
        &webhook.url,
        "--name",
        name,
    ])
    .arg("--ca-file")
    .arg(&webhook.ca);
    if !rendered.revision.is_empty() {
        cmd.args(["-r", &rendered.revision]);
    }
    for set in &rendered.sets {
        cmd.args(["--set", set]);
    }
    let text = run_ok(&mut cmd);
    let docs = mesh_core::from_yaml_stream(&text, "webhook-manifest").unwrap();
    let mut mwc = docs
        .into_iter()
        .find(|d| d["kind"] == "MutatingWebhookConfiguration")
        .unwrap_or_else(|| {
            panic!("webhook-manifest --url rendered no webhook configuration:\n{text}")
        });
    let hooks = mwc["webhooks"].as_array_mut().unwrap();
    assert!(!hooks.is_empty(), "{text}");
    for hook in hooks {
        assert_eq!(
            hook["clientConfig"]["url"],
            format!("{}/inject", webhook.url),
            "{hook}"
        );
        let shown = hook.to_string();
        hook["namespaceSelector"]["matchExpressions"]
            .as_array_mut()
            .unwrap_or_else(|| panic!("entry without namespaceSelector.matchExpressions: {shown}"))
            .push(json!({"key": GROUP_LABEL, "operator": "In", "values": [group]}));
    }
    mwc
}

/// `kubectl apply -f FILE` of one object (written as JSON into `dir`).
fn apply(server: &ApiServer, dir: &Path, object: &Value) {
    let file = dir.join(format!(
        "{}.json",
        object["metadata"]["name"].as_str().unwrap_or("object")
    ));
    write(&file, &object.to_string());
    run_ok(server.kubectl().arg("apply").arg("-f").arg(&file));
}

/// A new namespace in `group` with `labels` (set with `kubectl label namespace`); returns its name.
fn namespace(server: &ApiServer, group: &str, labels: &[(&str, &str)]) -> String {
    let ns = unique_namespace("inject");
    run_ok(server.kubectl().args(["create", "namespace", &ns]));
    let mut cmd = server.kubectl();
    cmd.args(["label", "namespace", &ns, &format!("{GROUP_LABEL}={group}")]);
    cmd.args(labels.iter().map(|(k, v)| format!("{k}={v}")));
    run_ok(&mut cmd);
    ns
}

/// The labels of namespace `ns` as the API server holds them (with `kubernetes.io/metadata.name`),
/// as `k=v,k=v` for `check-inject --namespace-labels`.
fn namespace_labels(server: &ApiServer, ns: &str) -> String {
    let ns_json: Value = serde_json::from_str(&run_ok(server.kubectl().args([
        "get",
        "namespace",
        ns,
        "-o",
        "json",
    ])))
    .unwrap();
    let labels: BTreeMap<String, String> =
        serde_json::from_value(ns_json["metadata"]["labels"].clone()).unwrap();
    let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    labels.join(",")
}

/// A pod with one container `app`.
pub(crate) fn pod(name: &str, labels: &[(&str, &str)], annotations: &[(&str, &str)]) -> Value {
    let map = |pairs: &[(&str, &str)]| -> Value {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": map(labels), "annotations": map(annotations)},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]},
    })
}

fn container_names(list: Option<&Vec<k8s_openapi::api::core::v1::Container>>) -> Vec<String> {
    list.into_iter().flatten().map(|c| c.name.clone()).collect()
}

/// What the API server stored: `None` when the pod carries no sidecar, else the revision that
/// injected it (from `sidecar.istio.io/status`). A sidecar without status, or the reverse, is
/// reported as `inconsistent`.
pub(crate) fn injected_revision(pod: &Pod) -> Option<String> {
    let spec = pod.spec.as_ref()?;
    let has_proxy = container_names(Some(&spec.containers))
        .iter()
        .chain(&container_names(spec.init_containers.as_ref()))
        .any(|n| n == "istio-proxy");
    let status = pod
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("sidecar.istio.io/status"));
    match (has_proxy, status) {
        (false, None) => None,
        (true, Some(status)) => {
            let status: Value = serde_json::from_str(status).unwrap_or_default();
            Some(
                status["revision"]
                    .as_str()
                    .unwrap_or("<no revision>")
                    .to_string(),
            )
        }
        (proxy, status) => Some(format!(
            "inconsistent: istio-proxy present={proxy}, sidecar.istio.io/status={status:?}"
        )),
    }
}

/// Waits until the API server's admission chain sends pods of `ns` through the webhook of
/// `revision` (`default` or a name): a server-side dry run of a pod comes back injected by it.
fn wait_until_injecting(server: &ApiServer, ns: &str, revision: &str, webhook: &Webhook) {
    let probe: Pod = serde_json::from_value(pod("probe", &[], &[])).unwrap();
    let dry_run = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    let mut last = String::new();
    let started = Instant::now();
    while started.elapsed() < ACTIVATION {
        webhook.check_running();
        let created = block_on(async {
            let pods: Api<Pod> = Api::namespaced(server.client().await, ns);
            pods.create(&dry_run, &probe).await
        });
        match created {
            Ok(p) if injected_revision(&p).as_deref() == Some(revision) => return,
            Ok(p) => {
                last = format!(
                    "dry run not injected by {revision}: {:?}",
                    injected_revision(&p)
                )
            }
            Err(e) => last = format!("dry run failed: {e}"),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "the webhook of revision {revision} at {} never injected in {ns} within {ACTIVATION:?}; last: {last}",
        webhook.url
    );
}

/// Two webhooks (default revision and `canary`) serving the namespaces of one group, shared by
/// the tests below that do not stop them.
struct Fixture {
    server: &'static ApiServer,
    group: String,
    default: Rendered,
    canary: Rendered,
    _webhooks: [Webhook; 2],
}

fn fixture() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let server = server()?;
            let started = Instant::now();
            let dir = scratch(server, "fixture");
            let group = "shared".to_string();
            let (default_dir, canary_dir) = (dir.join("default"), dir.join("canary"));
            let default = Rendered::generate(&default_dir, "", &[]);
            let canary = Rendered::generate(&canary_dir, "canary", &[]);
            let webhooks = [
                Webhook::start(&default_dir, &default),
                Webhook::start(&canary_dir, &canary),
            ];
            for (rendered, webhook) in [(&default, &webhooks[0]), (&canary, &webhooks[1])] {
                let mwc = webhook_configuration("e2e-shared", rendered, webhook, &group);
                apply(server, &dir, &mwc);
            }
            let enabled = namespace(server, &group, &[("istio-injection", "enabled")]);
            let rev = namespace(server, &group, &[("istio.io/rev", "canary")]);
            wait_until_injecting(server, &enabled, "default", &webhooks[0]);
            wait_until_injecting(server, &rev, "canary", &webhooks[1]);
            eprintln!(
                "inject fixture: webhooks {} (default) and {} (canary) active in {:.1}s",
                webhooks[0].url,
                webhooks[1].url,
                started.elapsed().as_secs_f64()
            );
            Some(Fixture {
                server,
                group,
                default,
                canary,
                _webhooks: webhooks,
            })
        })
        .as_ref()
}

/// The Pods a Deployment's ReplicaSet made (waits until there are `replicas`).
fn deployment_pods(server: &ApiServer, ns: &str, app: &str, replicas: usize) -> Vec<Pod> {
    wait_for(
        &format!("{replicas} pods of Deployment {ns}/{app}"),
        Duration::from_secs(60),
        || {
            let pods = block_on(async {
                let pods: Api<Pod> = Api::namespaced(server.client().await, ns);
                pods.list(&ListParams::default().labels(&format!("app={app}")))
                    .await
            })
            .ok()?
            .items;
            (pods.len() == replicas).then_some(pods)
        },
    )
}

fn deployment(name: &str, replicas: u32, template_labels: &[(&str, &str)]) -> Value {
    let mut labels = serde_json::Map::new();
    labels.insert("app".into(), name.into());
    for (k, v) in template_labels {
        labels.insert(k.to_string(), Value::from(*v));
    }
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": name, "image": "registry.example/app:1"}]},
            },
        },
    })
}

fn kubectl_create(
    server: &ApiServer,
    ns: &str,
    dir: &Path,
    object: &Value,
) -> std::process::Output {
    let file = dir.join(format!(
        "{ns}-{}.json",
        object["metadata"]["name"].as_str().unwrap_or("object")
    ));
    write(&file, &object.to_string());
    run(server
        .kubectl()
        .args(["create", "-n", ns, "-f"])
        .arg(&file)
        .stdout(Stdio::piped()))
}

fn describe(pod: &Pod) -> String {
    let spec = pod.spec.as_ref();
    format!(
        "{}: init containers {:?}, containers {:?}, annotations {:?}",
        pod.metadata.name.as_deref().unwrap_or("?"),
        container_names(spec.and_then(|s| s.init_containers.as_ref())),
        container_names(spec.map(|s| &s.containers)),
        pod.metadata.annotations
    )
}

#[test]
fn deployments_get_the_sidecar_of_the_revision_their_namespace_selects() {
    let Some(fx) = fixture() else { return };
    let server = fx.server;
    let dir = scratch(server, "deployments");
    // The tutorial's steps: create the namespace, label it, create the Deployment.
    let enabled = namespace(server, &fx.group, &[]);
    run_ok(
        server
            .kubectl()
            .args(["label", "namespace", &enabled, "istio-injection=enabled"]),
    );
    let canary = namespace(server, &fx.group, &[("istio.io/rev", "canary")]);
    let plain = namespace(server, &fx.group, &[]);
    let cases = [
        (&enabled, "web", 2, vec![], Some("default")),
        (
            &enabled,
            "opted-out",
            1,
            vec![("sidecar.istio.io/inject", "false")],
            None,
        ),
        (&canary, "web", 1, vec![], Some("canary")),
        (&plain, "web", 1, vec![], None),
    ];
    for (ns, name, replicas, labels, want) in &cases {
        let object = deployment(name, *replicas, labels);
        // check-inject reads the Deployment's pod template, offline, with each revision's settings.
        let file = dir.join(format!("check-{ns}-{name}.json"));
        write(&file, &object.to_string());
        let ns_labels = namespace_labels(server, ns);
        let predicted: Vec<&str> = [("default", &fx.default), ("canary", &fx.canary)]
            .into_iter()
            .filter(|(_, rendered)| check_inject(&file, ns, &ns_labels, rendered)[0].0)
            .map(|(rev, _)| rev)
            .collect();
        let want: Vec<&str> = want.iter().copied().collect();
        assert_eq!(
            predicted, want,
            "check-inject on Deployment {ns}/{name} (namespace {ns_labels})"
        );
        let out = kubectl_create(server, ns, &dir, &object);
        assert!(
            out.status.success(),
            "create {ns}/{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for (ns, name, replicas, _, want) in &cases {
        for pod in deployment_pods(server, ns, name, *replicas as usize) {
            let what = format!("Deployment {ns}/{name}, pod {}", describe(&pod));
            assert_eq!(injected_revision(&pod).as_deref(), *want, "{what}");
            let spec = pod.spec.as_ref().unwrap();
            let containers = container_names(Some(&spec.containers));
            let inits = container_names(spec.init_containers.as_ref());
            let Some(rev) = want else {
                assert_eq!(containers, [name.to_string()], "{what}");
                assert!(inits.is_empty(), "{what}");
                continue;
            };
            // Classic sidecars (mesh-webhook's --native-sidecars auto, as rendered).
            assert_eq!(
                containers,
                [name.to_string(), "istio-proxy".into()],
                "{what}"
            );
            assert_eq!(inits, ["istio-init"], "{what}");
            let proxy = &spec.containers[1];
            assert!(
                proxy
                    .image
                    .as_deref()
                    .is_some_and(|i| i.contains("proxyv2")),
                "{what}: image {:?}",
                proxy.image
            );
            // The proxy is told to reach its own revision's istiod.
            let istiod = if *rev == "default" {
                "istiod"
            } else {
                "istiod-canary"
            };
            let text = serde_json::to_string(proxy).unwrap();
            assert!(
                text.contains(&format!("{istiod}.istio-system.svc:15012")),
                "{what}: proxy does not point at {istiod}: {text}"
            );
        }
    }
}

/// Labels or annotations of a table row.
type Pairs = &'static [(&'static str, &'static str)];

const INJECT: &str = "sidecar.istio.io/inject";
const REV: &str = "istio.io/rev";
const ENABLED: (&str, &str) = ("istio-injection", "enabled");
const DISABLED: (&str, &str) = ("istio-injection", "disabled");

/// Namespace labels of the verdict table (besides the group label).
const NAMESPACES: [Pairs; 8] = [
    &[],
    &[ENABLED],
    &[DISABLED],
    &[(REV, "default")],
    &[(REV, "canary")],
    &[(REV, "unknown")],
    &[ENABLED, (REV, "canary")],
    &[DISABLED, (REV, "canary")],
];

/// Pod labels and annotations of the verdict table.
const PODS: [(Pairs, Pairs); 12] = [
    (&[], &[]),
    (&[(INJECT, "true")], &[]),
    (&[(INJECT, "false")], &[]),
    (&[], &[(INJECT, "true")]),
    (&[], &[(INJECT, "false")]),
    (&[(REV, "canary")], &[]),
    (&[(REV, "default")], &[]),
    (&[(REV, "canary"), (INJECT, "false")], &[]),
    (&[(INJECT, "true"), (REV, "canary")], &[]),
    // Values the selectors compare as strings but the injector reads as YAML booleans.
    (&[(INJECT, "False")], &[]),
    (&[(INJECT, "yes")], &[]),
    (&[], &[(INJECT, "off")]),
];

/// check-inject's answer for one pod: injected or not, and its reasons.
type Verdict = (bool, Vec<String>);

/// `meshctl x check-inject -o json` over every pod of `file`, with one revision's rendered
/// settings; the `inject` verdicts in order, and each pod's reasons.
fn check_inject(file: &Path, ns: &str, ns_labels: &str, rendered: &Rendered) -> Vec<Verdict> {
    let mut cmd = meshctl();
    cmd.args(["x", "check-inject", "-o", "json", "-n", ns])
        .arg("-f")
        .arg(file)
        .arg("--namespace-labels")
        .arg(ns_labels)
        .arg("--injectConfigFile")
        .arg(&rendered.config)
        .arg("--valuesFile")
        .arg(&rendered.values);
    let out: Value = serde_json::from_str(&run_ok(&mut cmd)).unwrap();
    let list = match out {
        Value::Array(list) => list,
        one => vec![one],
    };
    list.iter()
        .map(|d| {
            let reasons = d["reasons"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect();
            (d["inject"].as_bool().unwrap(), reasons)
        })
        .collect()
}

/// One pod of a verdict table: what check-inject predicted, what the API server did.
struct Row {
    ns: String,
    ns_labels: String,
    pod: String,
    pod_labels: String,
    pod_annotations: String,
    /// The revisions whose check-inject verdict is INJECTED.
    predicted: Vec<String>,
    /// check-inject's reasons, per revision.
    reasons: Vec<String>,
    /// The revision that injected the stored pod, or `None`.
    actual: Option<String>,
}

fn pairs(p: Pairs) -> String {
    p.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// For every namespace (labels, in `group`) x pod (labels, annotations): check-inject's verdict
/// for each revision whose webhook serves the group, then the pod created through the API server.
fn verdict_table(
    server: &ApiServer,
    group: &str,
    namespaces: &[Pairs],
    pods: &[(Pairs, Pairs)],
    revisions: &[(&str, &Rendered)],
) -> Vec<Row> {
    let dir = scratch(server, "table");
    let mut rows = Vec::new();
    for ns_case in namespaces {
        let ns = namespace(server, group, ns_case);
        let ns_labels = namespace_labels(server, &ns);
        let manifests: Vec<Value> = pods
            .iter()
            .enumerate()
            .map(|(i, (labels, annotations))| pod(&format!("p{i}"), labels, annotations))
            .collect();
        let file = dir.join(format!("{ns}.yaml"));
        let stream: Vec<String> = manifests.iter().map(Value::to_string).collect();
        write(&file, &stream.join("\n---\n"));
        let verdicts: Vec<(&str, Vec<Verdict>)> = revisions
            .iter()
            .map(|(rev, rendered)| (*rev, check_inject(&file, &ns, &ns_labels, rendered)))
            .collect();
        for (rev, v) in &verdicts {
            assert_eq!(
                v.len(),
                pods.len(),
                "check-inject ({rev}) over {}",
                file.display()
            );
        }

        let created: Vec<Pod> = block_on(async {
            let api: Api<Pod> = Api::namespaced(server.client().await, &ns);
            let mut out = Vec::new();
            for p in &manifests {
                let p: Pod = serde_json::from_value(p.clone()).unwrap();
                out.push(
                    api.create(&PostParams::default(), &p)
                        .await
                        .unwrap_or_else(|e| panic!("create pod in {ns}: {e}")),
                );
            }
            out
        });
        for (i, ((labels, annotations), created)) in pods.iter().zip(created).enumerate() {
            let mut predicted = Vec::new();
            let mut reasons = Vec::new();
            for (rev, v) in &verdicts {
                let (inject, why) = &v[i];
                if *inject {
                    predicted.push(rev.to_string());
                }
                reasons.push(format!("{rev}: {}", why.join("; ")));
            }
            rows.push(Row {
                ns: ns.clone(),
                ns_labels: pairs(ns_case),
                pod: format!("p{i}"),
                pod_labels: pairs(labels),
                pod_annotations: pairs(annotations),
                predicted,
                reasons,
                actual: injected_revision(&created),
            });
        }
    }
    rows
}

/// Every row agrees (each printed, disagreements with check-inject's reasons), and each of
/// `outcomes` occurs in at least `min` rows (a table of one outcome proves little).
fn assert_rows_agree(rows: &[Row], outcomes: &[Option<&str>], min: usize) {
    let mut report = String::new();
    let mut mismatches = 0;
    for r in rows {
        let agrees = match (&r.actual, r.predicted.as_slice()) {
            (None, []) => true,
            (Some(actual), [one]) => actual == one,
            _ => false,
        };
        if !agrees {
            mismatches += 1;
        }
        report.push_str(&format!(
            "{} {}/{} ns[{}] pod labels[{}] annotations[{}]: check-inject {:?}, API server {:?}\n",
            if agrees { "ok      " } else { "MISMATCH" },
            r.ns,
            r.pod,
            r.ns_labels,
            r.pod_labels,
            r.pod_annotations,
            r.predicted,
            r.actual.as_deref().unwrap_or("not injected"),
        ));
        if !agrees {
            for why in &r.reasons {
                report.push_str(&format!("           {why}\n"));
            }
        }
    }
    assert_eq!(
        mismatches,
        0,
        "{mismatches} of {} rows disagree:\n{report}",
        rows.len()
    );
    for outcome in outcomes {
        let n = rows
            .iter()
            .filter(|r| r.actual.as_deref() == *outcome)
            .count();
        assert!(
            n >= min,
            "only {n} rows with outcome {outcome:?}:\n{report}"
        );
    }
    eprintln!("{} rows agree:\n{report}", rows.len());
}

#[test]
fn check_inject_verdicts_match_what_the_api_server_did() {
    let Some(fx) = fixture() else { return };
    let revisions = [("default", &fx.default), ("canary", &fx.canary)];
    let rows = verdict_table(fx.server, &fx.group, &NAMESPACES, &PODS, &revisions);
    assert_eq!(rows.len(), NAMESPACES.len() * PODS.len());
    assert_rows_agree(&rows, &[None, Some("default"), Some("canary")], 3);
}

#[test]
fn check_inject_verdicts_match_with_namespaces_injected_by_default() {
    // values.sidecarInjectorWebhook.enableNamespacesByDefault adds the `auto.` entry: every
    // namespace without injection labels is injected unless the pod opts out. check-inject
    // reads the setting from the rendered values.
    let Some(server) = server() else { return };
    let dir = scratch(server, "auto");
    let group = "auto";
    let rendered = Rendered::generate(
        &dir,
        "",
        &["values.sidecarInjectorWebhook.enableNamespacesByDefault=true"],
    );
    let webhook = Webhook::start(&dir, &rendered);
    let mwc = webhook_configuration("e2e-auto", &rendered, &webhook, group);
    let names: Vec<&str> = mwc["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["name"].as_str())
        .collect();
    assert!(
        names.contains(&"auto.sidecar-injector.istio.io"),
        "{names:?}"
    );
    apply(server, &dir, &mwc);
    let plain = namespace(server, group, &[]);
    wait_until_injecting(server, &plain, "default", &webhook);
    let namespaces: [Pairs; 5] = [
        &[],
        &[ENABLED],
        &[DISABLED],
        &[(REV, "canary")],
        &[("team", "shop")],
    ];
    let pods: [(Pairs, Pairs); 6] = [
        (&[], &[]),
        (&[(INJECT, "true")], &[]),
        (&[(INJECT, "false")], &[]),
        (&[], &[(INJECT, "false")]),
        (&[(REV, "canary")], &[]),
        (&[(REV, "default")], &[]),
    ];
    let rows = verdict_table(server, group, &namespaces, &pods, &[("default", &rendered)]);
    assert_rows_agree(&rows, &[None, Some("default")], 5);
}

#[test]
fn failure_policy_fail_refuses_pods_when_the_webhook_is_down_and_ignore_admits_them() {
    let Some(server) = server() else { return };
    let dir = scratch(server, "failure");
    let group = "failure-policy";
    let rendered = Rendered::generate(&dir, "", &[]);
    let mut webhook = Webhook::start(&dir, &rendered);
    let mut mwc = webhook_configuration("e2e-failure", &rendered, &webhook, group);
    for hook in mwc["webhooks"].as_array().unwrap() {
        assert_eq!(
            hook["failurePolicy"], "Fail",
            "mesh renders istiod's policy: {hook}"
        );
    }
    apply(server, &dir, &mwc);
    let ns = namespace(server, group, &[("istio-injection", "enabled")]);
    wait_until_injecting(server, &ns, "default", &webhook);
    let url = webhook.url.clone();
    webhook.stop();

    let out = kubectl_create(server, &ns, &dir, &pod("refused", &[], &[]));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "created without the webhook: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    for want in [
        "failed calling webhook \"namespace.sidecar-injector.istio.io\"",
        &format!("{url}/inject"),
        "connection refused",
    ] {
        assert!(
            stderr.contains(want),
            "kubectl's error lacks {want:?}:\n{stderr}"
        );
    }
    eprintln!("refused as expected: {}", stderr.trim());

    for hook in mwc["webhooks"].as_array_mut().unwrap() {
        hook["failurePolicy"] = json!("Ignore");
    }
    apply(server, &dir, &mwc);
    // Until the API server sees the new policy, creation still fails; then the pod is admitted.
    wait_for("the Ignore policy to admit a pod", ACTIVATION, || {
        let out = kubectl_create(server, &ns, &dir, &pod("admitted", &[], &[]));
        if out.status.success() {
            return Some(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("failed calling webhook"),
            "unexpected failure: {stderr}"
        );
        None
    });
    let pod = block_on(async {
        let pods: Api<Pod> = Api::namespaced(server.client().await, &ns);
        pods.get("admitted").await.unwrap()
    });
    assert_eq!(injected_revision(&pod), None, "{}", describe(&pod));
    assert_eq!(
        container_names(pod.spec.as_ref().map(|s| &s.containers)),
        ["app"]
    );
}
