//! The cluster commands end to end over real HTTP: a small permissive API server on loopback
//! (it stores applied objects, reports CRDs Established and workloads ready at once, serves
//! discovery for the CRDs it holds) and a kubeconfig pointing at it. This proves the command
//! wiring (kubeconfig, connection, rendering for the server's version, confirmation, progress,
//! exit codes); the engine's ordering and failure handling are tested in mesh-manifest.

use super::{ClusterCommand, PrecheckArgs, run, run_precheck};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use clap::Parser;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

type Store = Arc<Mutex<Server>>;

#[derive(Default)]
struct Server {
    objects: BTreeMap<String, Value>,
    requests: Vec<String>,
}

fn reply(code: StatusCode, value: Value) -> Response {
    (
        code,
        [("content-type", "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn not_found() -> Response {
    reply(
        StatusCode::NOT_FOUND,
        json!({"kind": "Status", "code": 404, "reason": "NotFound", "message": "not found"}),
    )
}

fn with_status(path: &str, mut v: Value) -> Value {
    if path.contains("/customresourcedefinitions/") {
        v["status"] = json!({"conditions": [{"type": "Established", "status": "True"}]});
    } else if path.contains("/deployments/") {
        let n = v["spec"]["replicas"].as_i64().unwrap_or(1);
        v["status"] = json!({"replicas": n, "updatedReplicas": n, "availableReplicas": n});
    } else if path.contains("/daemonsets/") {
        v["status"] = json!({"desiredNumberScheduled": 1, "updatedNumberScheduled": 1,
            "numberAvailable": 1});
    }
    v
}

async fn handle(State(store): State<Store>, method: Method, uri: Uri, body: Bytes) -> Response {
    let path = uri.path().to_string();
    let query = uri.query().unwrap_or("").to_string();
    let mut s = store.lock().unwrap();
    s.requests.push(format!("{method} {path}"));
    if path == "/version" {
        return reply(
            StatusCode::OK,
            json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0"}),
        );
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match method {
        Method::PATCH => {
            let Ok(value) = serde_json::from_slice::<Value>(&body) else {
                return reply(StatusCode::BAD_REQUEST, json!({"message": "bad body"}));
            };
            if !query.contains("dryRun=All") {
                s.objects.insert(path, value.clone());
            }
            reply(StatusCode::OK, value)
        }
        Method::POST => {
            let mut review: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            review["status"] = json!({"allowed": true});
            reply(StatusCode::CREATED, review)
        }
        Method::DELETE => match s.objects.remove(&path) {
            Some(v) => reply(StatusCode::OK, v),
            None => not_found(),
        },
        Method::GET if segments.len() == 3 && segments[0] == "apis" => {
            let (group, version) = (segments[1], segments[2]);
            let resources: Vec<Value> = s
                .objects
                .iter()
                .filter(|(p, _)| p.contains("/customresourcedefinitions/"))
                .map(|(_, crd)| crd)
                .filter(|crd| {
                    crd["spec"]["group"] == group
                        && crd["spec"]["versions"]
                            .as_array()
                            .is_some_and(|vs| vs.iter().any(|v| v["name"] == version))
                })
                .map(|crd| json!({"name": crd["spec"]["names"]["plural"]}))
                .collect();
            if resources.is_empty() {
                return not_found();
            }
            reply(StatusCode::OK, json!({"resources": resources}))
        }
        Method::GET => match s.objects.get(&path) {
            Some(v) => reply(StatusCode::OK, with_status(&path, v.clone())),
            None if !is_collection(&segments) => not_found(),
            None => {
                // A collection, in one namespace or all: the stored objects of that kind
                // (label selectors are ignored).
                let items: Vec<Value> = s
                    .objects
                    .iter()
                    .filter(|(p, _)| in_collection(p, &path))
                    .map(|(_, v)| v.clone())
                    .collect();
                reply(StatusCode::OK, json!({"items": items}))
            }
        },
        _ => not_found(),
    }
}

/// Whether a path names a collection (`/api/v1/P`, `/api/v1/namespaces/N/P`, `/apis/G/V/P`,
/// `/apis/G/V/namespaces/N/P`) rather than one object.
fn is_collection(segments: &[&str]) -> bool {
    match segments.first() {
        Some(&"api") => matches!(segments.len(), 3 | 5),
        Some(&"apis") => matches!(segments.len(), 4 | 6),
        _ => false,
    }
}

/// Whether the object at `object_path` belongs to the collection at `collection` (a
/// namespaced collection, or the all-namespaces one).
fn in_collection(object_path: &str, collection: &str) -> bool {
    let Some((base, plural)) = collection.rsplit_once('/') else {
        return false;
    };
    let Some(rest) = object_path.strip_prefix(&format!("{base}/")) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [p, _name] => *p == plural,
        ["namespaces", _ns, p, _name] => *p == plural && !base.ends_with("/namespaces"),
        _ => false,
    }
}

/// Starts the server on its own thread and runtime; returns its store and a kubeconfig file.
fn start() -> (Store, tempfile_path::TempKubeconfig) {
    let store: Store = Arc::default();
    let (tx, rx) = std::sync::mpsc::channel();
    let state = store.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let app = Router::new().fallback(handle).with_state(state);
            axum::serve(listener, app).await.unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    (
        store,
        tempfile_path::TempKubeconfig::new(&format!("http://{addr}")),
    )
}

mod tempfile_path {
    //! A kubeconfig in a temporary file, removed on drop.
    use std::path::PathBuf;

    pub struct TempKubeconfig(pub PathBuf);

    impl TempKubeconfig {
        pub fn new(server: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "meshctl-test-{}-{}.yaml",
                std::process::id(),
                server.rsplit(':').next().unwrap_or("0")
            ));
            let text = format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {server}\n\
                 contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: me\n\
                 current-context: fake\nusers:\n- name: me\n  user:\n    token: t\n"
            );
            std::fs::write(&path, text).unwrap();
            TempKubeconfig(path)
        }
    }

    impl Drop for TempKubeconfig {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    #[command(flatten)]
    Cluster(ClusterCommand),
    Precheck(PrecheckArgs),
}

fn meshctl(args: &[&str], kubeconfig: &tempfile_path::TempKubeconfig) -> ExitCode {
    let mut argv = vec!["meshctl"];
    argv.extend_from_slice(args);
    let path = kubeconfig.0.display().to_string();
    argv.extend_from_slice(&["--kubeconfig", &path]);
    let result = match Cli::try_parse_from(argv).unwrap().command {
        Command::Cluster(cmd) => run(cmd),
        Command::Precheck(args) => run_precheck(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => panic!("{e}"),
    }
}

fn count(store: &Store, prefix: &str) -> usize {
    let s = store.lock().unwrap();
    s.requests.iter().filter(|r| r.starts_with(prefix)).count()
}

#[test]
fn install_verify_precheck_and_purge_over_http() {
    let (store, kubeconfig) = start();
    let demo = ["--set", "profile=demo"];

    assert_eq!(
        meshctl(&["install", demo[0], demo[1], "--dry-run"], &kubeconfig),
        ExitCode::SUCCESS
    );
    assert!(
        store.lock().unwrap().objects.is_empty(),
        "a dry run stores nothing"
    );
    let dry_patches = count(&store, "PATCH ");
    assert!(dry_patches > 40);

    assert_eq!(
        meshctl(&["install", demo[0], demo[1], "-y"], &kubeconfig),
        ExitCode::SUCCESS
    );
    let stored = store.lock().unwrap().objects.len();
    assert_eq!(
        count(&store, "PATCH ") - dry_patches,
        stored,
        "each object applied once"
    );
    assert!(
        count(&store, "GET /apis/networking.istio.io/v1") > 0,
        "discovery was checked"
    );

    assert_eq!(
        meshctl(&["verify-install", demo[0], demo[1]], &kubeconfig),
        ExitCode::SUCCESS
    );
    assert_eq!(
        meshctl(&["upgrade", demo[0], demo[1], "-y"], &kubeconfig),
        ExitCode::SUCCESS
    );
    assert_eq!(meshctl(&["precheck"], &kubeconfig), ExitCode::SUCCESS);

    // A missing object makes verify-install exit 1.
    store
        .lock()
        .unwrap()
        .objects
        .retain(|path, _| !path.ends_with("/configmaps/istio"));
    assert_eq!(
        meshctl(&["verify-install", demo[0], demo[1]], &kubeconfig),
        ExitCode::from(1)
    );

    assert_eq!(
        meshctl(&["uninstall", "--purge", "-y"], &kubeconfig),
        ExitCode::SUCCESS
    );
    assert!(count(&store, "DELETE ") > 0);
}

#[test]
fn upgrade_without_an_installation_is_an_error() {
    let (_store, kubeconfig) = start();
    let path = kubeconfig.0.display().to_string();
    let cli = Cli::try_parse_from(["meshctl", "upgrade", "-y", "--kubeconfig", &path]).unwrap();
    let Command::Cluster(cmd) = cli.command else {
        panic!("parsed as the wrong command");
    };
    let err = run(cmd).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no installation of revision default in istio-system to upgrade; use `meshctl install`"
    );
}

#[test]
fn dry_run_without_a_reachable_cluster_fails_with_a_clear_message() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kubeconfig = tempfile_path::TempKubeconfig::new(&format!("http://127.0.0.1:{port}"));
    let path = kubeconfig.0.display().to_string();
    let cli =
        Cli::try_parse_from(["meshctl", "install", "--dry-run", "--kubeconfig", &path]).unwrap();
    let Command::Cluster(cmd) = cli.command else {
        panic!("parsed as the wrong command");
    };
    let err = run(cmd).unwrap_err().to_string();
    let expected = format!("cannot reach the Kubernetes API server at http://127.0.0.1:{port}/: ");
    assert!(err.starts_with(&expected), "{err}");
    assert!(err.to_lowercase().contains("connection refused"), "{err}");
    assert_eq!(err.lines().count(), 1);
}
