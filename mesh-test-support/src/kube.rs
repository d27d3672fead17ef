//! A real Kubernetes API server for tests: started from `../shared/tools/kube`, shared per test
//! binary or owned by one test, stopped by PID when it is dropped or when the test process ends,
//! and a kubelet stand-in that marks Pods ready (there is no kubelet or scheduler).
//!
//! ```no_run
//! use mesh_test_support::kube::ApiServer;
//! let Some(server) = ApiServer::shared() else { return }; // skipped, one line printed
//! let status = server.kubectl().args(["get", "ns"]).status().unwrap();
//! assert!(status.success());
//! ```
//!
//! When the tools folder, `etcd` or `xz` is missing, [`ApiServer::shared`] and
//! [`ApiServer::start`] print one `skipping:` line and return `None`, so a user's clone passes
//! `cargo test`. CI sets `MESH_REQUIRE_KUBE=1`, which turns that skip into a failure.

use ::kube::api::{Api, ListParams, Patch, PatchParams};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Environment variable naming the folder with `start.sh`/`stop.sh` (default
/// `<workspace>/../shared/tools/kube`).
pub const TOOLS_ENV: &str = "MESH_KUBE_TOOLS";
/// Environment variable that makes a missing API server a test failure instead of a skip (CI).
pub const REQUIRE_ENV: &str = "MESH_REQUIRE_KUBE";

/// How to start a server.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Also run kube-controller-manager (namespaces finalize, Deployments make Pods, GC).
    pub controllers: bool,
    /// Authorization mode (`RBAC`, the default, or `AlwaysAllow`).
    pub authz: Option<String>,
}

impl Options {
    /// A server with the controller manager.
    pub fn with_controllers() -> Options {
        Options {
            controllers: true,
            authz: None,
        }
    }
}

/// A running API server (etcd + kube-apiserver, optionally kube-controller-manager) on loopback.
///
/// Dropping it stops the processes (by the PIDs `start.sh` recorded) and removes its folder. A
/// watchdog process does the same if the test process dies first (panic=abort, a signal), so
/// no server outlives its test binary.
pub struct ApiServer {
    out: PathBuf,
    tools: PathBuf,
    kubeconfig: PathBuf,
    url: String,
    admin_token: String,
    controllers: bool,
    watchdog: Option<Child>,
}

impl ApiServer {
    /// The folder with `start.sh`, or `None` (with the reason) when a needed tool is missing.
    fn tools() -> Result<PathBuf, String> {
        let tools = match std::env::var_os(TOOLS_ENV) {
            Some(dir) => PathBuf::from(dir),
            None => crate::workspace_root().join("../shared/tools/kube"),
        };
        if !tools.join("start.sh").is_file() {
            return Err(format!("{} not found", tools.join("start.sh").display()));
        }
        let etcd = std::env::var_os("ETCD_BIN").map(PathBuf::from);
        if etcd.as_deref().is_none_or(|p| !p.is_file()) && !on_path("etcd") {
            return Err("etcd not found (apt-get install -y etcd-server)".into());
        }
        for tool in ["xz", "openssl", "curl", "python3", "setsid"] {
            if !on_path(tool) {
                return Err(format!("{tool} not found on PATH"));
            }
        }
        Ok(tools)
    }

    /// Starts a fresh server owned by the caller, or prints one `skipping:` line and returns
    /// `None` when the tools are missing (panics instead when `MESH_REQUIRE_KUBE` is set).
    /// Panics if the tools are there but the server does not come up (a real failure).
    pub fn start(options: &Options) -> Option<ApiServer> {
        let tools = match Self::tools() {
            Ok(tools) => tools,
            Err(why) => {
                if std::env::var_os(REQUIRE_ENV).is_some() {
                    panic!("{REQUIRE_ENV} is set but no API server can start: {why}");
                }
                eprintln!("skipping: no real API server ({why})");
                return None;
            }
        };
        Some(Self::start_with(&tools, options))
    }

    fn start_with(tools: &Path, options: &Options) -> ApiServer {
        // start.sh picks free ports and releases them before its servers bind them, so servers
        // started side by side can race for one; a failed start is retried in a fresh folder.
        const ATTEMPTS: usize = 3;
        let started = Instant::now();
        let mut failures = Vec::new();
        let out = loop {
            let out = fresh_dir("kapi");
            let mut cmd = Command::new(tools.join("start.sh"));
            cmd.arg(&out).stdin(Stdio::null()).env(
                "KAPI_CONTROLLERS",
                if options.controllers { "1" } else { "0" },
            );
            if options.controllers {
                // Tests mark Pods ready by hand and never fake Nodes; keep the controllers that
                // matter.
                cmd.env("KAPI_KCM_CONTROLLERS", "*,-node-lifecycle-controller");
            }
            if let Some(authz) = &options.authz {
                cmd.env("KAPI_AUTHZ", authz);
            }
            let output = cmd.output().expect("run start.sh");
            if output.status.success() {
                break out;
            }
            let _ = Command::new(tools.join("stop.sh")).arg(&out).output();
            failures.push(format!(
                "start.sh {} failed:\n{}{}",
                out.display(),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
            let _ = std::fs::remove_dir_all(&out);
            if failures.len() == ATTEMPTS {
                panic!("{}", failures.join("\n"));
            }
            eprintln!(
                "api server start failed, retrying:\n{}",
                failures.join("\n")
            );
        };
        let ports = std::fs::read_to_string(out.join("ports.env")).expect("read ports.env");
        let field = |key: &str| {
            ports
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .unwrap_or_else(|| panic!("{key} missing from ports.env"))
                .to_string()
        };
        let url = format!("https://127.0.0.1:{}", field("APISERVER_PORT"));
        let admin_token = field("ADMIN_TOKEN");
        let watchdog = spawn_watchdog(tools, &out);
        eprintln!(
            "api server {url} ({}) up in {:.1}s",
            out.display(),
            started.elapsed().as_secs_f64()
        );
        ApiServer {
            kubeconfig: out.join("kubeconfig"),
            out,
            tools: tools.to_path_buf(),
            url,
            admin_token,
            controllers: options.controllers,
            watchdog: Some(watchdog),
        }
    }

    /// One server with the controller manager per test binary, started on first use and
    /// stopped by its watchdog when the binary exits. Tests sharing it isolate themselves by
    /// namespace; tests that touch cluster-scoped objects start their own.
    pub fn shared() -> Option<&'static ApiServer> {
        static SHARED: OnceLock<Option<ApiServer>> = OnceLock::new();
        SHARED
            .get_or_init(|| ApiServer::start(&Options::with_controllers()))
            .as_ref()
    }

    /// The admin kubeconfig (client certificate in `system:masters`, CA embedded).
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// The server's folder (logs, PKI, `ports.env`).
    pub fn dir(&self) -> &Path {
        &self.out
    }

    /// The API server URL (`https://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The admin bearer token (`system:masters`).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The cluster CA certificate, PEM.
    pub fn ca_pem(&self) -> String {
        crate::read(&self.out.join("pki/ca.crt"))
    }

    /// Whether kube-controller-manager runs beside the API server.
    pub fn has_controllers(&self) -> bool {
        self.controllers
    }

    /// A `kube::Client` for the admin identity.
    pub async fn client(&self) -> ::kube::Client {
        client_from(&self.kubeconfig).await
    }

    /// `kubectl` with `KUBECONFIG` set to this server (stdin closed unless the caller sets it).
    pub fn kubectl(&self) -> Command {
        let mut cmd = Command::new(kubectl_path());
        cmd.env("KUBECONFIG", &self.kubeconfig).stdin(Stdio::null());
        cmd
    }

    /// Writes a kubeconfig that authenticates with `token` instead of the admin certificate
    /// (for tests of limited identities, e.g. a ServiceAccount token bound to a view role).
    pub fn kubeconfig_with_token(&self, name: &str, token: &str) -> PathBuf {
        let ca = mesh_core::base64::encode(self.ca_pem().as_bytes());
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: kapi\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\nusers:\n- name: {name}\n  user:\n    token: {token}\ncontexts:\n- name: kapi\n  context:\n    cluster: kapi\n    user: {name}\ncurrent-context: kapi\n",
            self.url
        );
        let path = self.out.join(format!("{name}.kubeconfig"));
        std::fs::write(&path, text).expect("write kubeconfig");
        path
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        stop_recorded(&self.out);
        // Whatever stop_recorded could not confirm (it reads /proc), stop.sh handles.
        let _ = Command::new(self.tools.join("stop.sh"))
            .arg(&self.out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        let _ = std::fs::remove_dir_all(&self.out);
    }
}

/// Stops the processes recorded in `OUT/*.pid` (controller manager, API server, etcd): TERM,
/// then KILL after 5 s. A process counts as gone when it is a zombie: its parent (start.sh) has
/// exited, and stop.sh's `kill -0` would wait for the reaper for nothing.
fn stop_recorded(out: &Path) {
    for name in ["controller-manager", "apiserver", "etcd"] {
        let file = out.join(format!("{name}.pid"));
        let Ok(pid) = std::fs::read_to_string(&file) else {
            continue;
        };
        let pid = pid.trim().to_string();
        let alive = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    stat.rsplit(')')
                        .next()
                        .map(|rest| !rest.trim_start().starts_with('Z'))
                })
                .unwrap_or(false)
        };
        let signal = |sig: &str| {
            let _ = Command::new("kill")
                .args([sig, &pid])
                .stderr(Stdio::null())
                .status();
        };
        if !alive() {
            let _ = std::fs::remove_file(&file);
            continue;
        }
        signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if alive() {
            signal("-KILL");
        }
        let _ = std::fs::remove_file(&file);
    }
}

/// The `kubectl` to run: `$KUBECTL`, else `kubectl` on PATH.
pub fn kubectl_path() -> PathBuf {
    std::env::var_os("KUBECTL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("kubectl"))
}

/// Whether `kubectl` can be run; prints one `skipping:` line when not (and panics instead under
/// `MESH_REQUIRE_KUBE`).
pub fn kubectl_available() -> bool {
    let ok = Command::new(kubectl_path())
        .args(["version", "--client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var_os(REQUIRE_ENV).is_some() {
            panic!("{REQUIRE_ENV} is set but kubectl cannot run (scripts/get-kubectl.sh)");
        }
        eprintln!("skipping: kubectl not found (set KUBECTL or run scripts/get-kubectl.sh)");
    }
    ok
}

/// A watchdog in its own session: waits for this test process to end, then stops the server
/// and removes its folder. Survives Ctrl-C of `cargo test` (another process group).
fn spawn_watchdog(tools: &Path, out: &Path) -> Child {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; '{stop}' '{out}' >/dev/null 2>&1; rm -rf '{out}'",
        pid = std::process::id(),
        stop = tools.join("stop.sh").display(),
        out = out.display(),
    );
    Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the API server's watchdog")
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

fn fresh_dir(prefix: &str) -> PathBuf {
    // Short paths: kube-apiserver and etcd are happier without very long socket/cert paths.
    let dir = crate::TempDir::new(prefix).into_path();
    std::fs::create_dir_all(&dir).expect("create the server folder");
    dir
}

/// Marks one Pod ready the way a kubelet would report it: phase Running, every container
/// running and ready, conditions PodScheduled/Initialized/ContainersReady/Ready true.
pub async fn mark_pod_ready(
    client: &::kube::Client,
    namespace: &str,
    name: &str,
) -> ::kube::Result<()> {
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), namespace);
    let pod = pods.get(name).await?;
    let now = "2026-01-01T00:00:00Z";
    let statuses: Vec<serde_json::Value> = pod
        .spec
        .iter()
        .flat_map(|s| s.containers.iter())
        .map(|c| {
            serde_json::json!({
                "name": c.name, "image": c.image.clone().unwrap_or_default(), "imageID": "",
                "ready": true, "started": true, "restartCount": 0,
                "state": {"running": {"startedAt": now}},
            })
        })
        .collect();
    let condition =
        |t: &str| serde_json::json!({"type": t, "status": "True", "lastTransitionTime": now});
    let conditions = ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map(condition);
    let status = serde_json::json!({
        "status": {
            "phase": "Running",
            "podIP": "10.1.0.1",
            "startTime": now,
            "conditions": conditions,
            "containerStatuses": statuses,
        }
    });
    pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await?;
    Ok(())
}

/// A `kube::Client` for the identity of a kubeconfig file.
async fn client_from(kubeconfig: &Path) -> ::kube::Client {
    let file = ::kube::config::Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
    let config = ::kube::Config::from_custom_kubeconfig(file, &Default::default())
        .await
        .expect("kube config");
    ::kube::Client::try_from(config).expect("kube client")
}

/// Whether a Pod reports `Ready=True`.
pub fn pod_is_ready(pod: &k8s_openapi::api::core::v1::Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Marks every Pod that is not ready yet ready (in one namespace, or all); returns how many.
pub async fn mark_all_ready(
    client: &::kube::Client,
    namespace: Option<&str>,
) -> ::kube::Result<usize> {
    let pods: Api<k8s_openapi::api::core::v1::Pod> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let mut marked = 0;
    for pod in pods.list(&ListParams::default()).await? {
        if pod_is_ready(&pod) || pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let (Some(ns), Some(name)) = (&pod.metadata.namespace, &pod.metadata.name) else {
            continue;
        };
        match mark_pod_ready(client, ns, name).await {
            Ok(()) => marked += 1,
            // Deleted or replaced meanwhile: the next round sees the new state.
            Err(::kube::Error::Api(e)) if e.code == 404 || e.code == 409 => {}
            Err(e) => return Err(e),
        }
    }
    Ok(marked)
}

/// A kubelet stand-in: a background thread that marks every new Pod ready, every 200 ms, until
/// dropped. Works beside synchronous tests that run `meshctl` as a child process.
pub struct KubeletStandIn {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    marked: Arc<Mutex<usize>>,
}

impl KubeletStandIn {
    /// Starts marking Pods ready on `server` (in `namespace`, or all namespaces).
    pub fn start(server: &ApiServer, namespace: Option<&str>) -> KubeletStandIn {
        let stop = Arc::new(AtomicBool::new(false));
        let marked = Arc::new(Mutex::new(0));
        let kubeconfig = server.kubeconfig.clone();
        let namespace = namespace.map(str::to_string);
        let (stop2, marked2) = (stop.clone(), marked.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            rt.block_on(async move {
                let client = client_from(&kubeconfig).await;
                while !stop2.load(Ordering::Relaxed) {
                    if let Ok(n) = mark_all_ready(&client, namespace.as_deref()).await {
                        *marked2.lock().unwrap_or_else(|e| e.into_inner()) += n;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            });
        });
        KubeletStandIn {
            stop,
            thread: Some(thread),
            marked,
        }
    }

    /// How many Pods it has marked ready so far.
    pub fn marked(&self) -> usize {
        *self.marked.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for KubeletStandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs a future to completion on a fresh current-thread runtime (for synchronous tests).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}

/// A namespace name unique in this test process (`<prefix>-<n>`), for tests sharing a server.
pub fn unique_namespace(prefix: &str) -> String {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    format!("{prefix}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Polls `check` every 100 ms until it returns `Some`, or panics after `timeout` naming `what`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
