//! `meshctl install`, re-install, prune, verify-install, takeover, uninstall, dry run, RBAC and
//! an interrupted install, against the real server. Install touches cluster-scoped objects
//! (CRDs, webhooks, cluster roles), so each test starts its own server; the steps are chained in
//! two tests to keep the module's wall time low.

use crate::{meshctl, meshctl_on, run, run_ok};
use mesh_test_support::kube::{ApiServer, KubeletStandIn, Options, wait_for};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

/// mesh's ownership label (mesh-cluster/src/labels.rs): every object an install applies has it.
const MANAGED: &str = "operator.istio.io/managed=Reconcile";

/// `Kind.group/namespace/name`, as mesh prints object ids.
fn id_of(v: &Value) -> String {
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("");
    let group = text("/apiVersion").rsplit_once('/').map_or("", |(g, _)| g);
    let mut id = text("/kind").to_string();
    if !group.is_empty() {
        id = format!("{id}.{group}");
    }
    let ns = text("/metadata/namespace");
    if ns.is_empty() {
        format!("{id}/{}", text("/metadata/name"))
    } else {
        format!("{id}/{ns}/{}", text("/metadata/name"))
    }
}

/// The ids of the objects `meshctl manifest generate ARGS` renders.
fn rendered(args: &[&str]) -> BTreeSet<String> {
    let text = run_ok(meshctl().args(["manifest", "generate"]).args(args));
    mesh_core::yaml::from_yaml_stream(&text, "manifest")
        .expect("manifest generate prints YAML")
        .iter()
        .map(id_of)
        .collect()
}

/// The kinds of the non-Istio objects in the demo and default profiles (a superset of every
/// profile used here), as `kubectl get` resource names (`deployment.apps`).
fn kinds() -> String {
    let mut kinds: BTreeSet<String> = BTreeSet::from(["namespace".to_string()]);
    for profile in ["profile=demo", "profile=default"] {
        for id in rendered(&["--set", profile]) {
            let kind = id.split('/').next().unwrap_or_default().to_lowercase();
            if !kind.contains("istio.io") {
                kinds.insert(kind);
            }
        }
    }
    kinds.into_iter().collect::<Vec<_>>().join(",")
}

/// id → (uid, resourceVersion) of the objects of `kinds` in every namespace, those matching
/// `selector` (every object when empty).
fn snapshot(server: &ApiServer, kinds: &str, selector: &str) -> BTreeMap<String, (String, String)> {
    let mut cmd = server.kubectl();
    cmd.args(["get", kinds, "-A", "-o", "json"]);
    if !selector.is_empty() {
        cmd.args(["-l", selector]);
    }
    let list: Value = serde_json::from_str(&run_ok(&mut cmd)).expect("kubectl prints JSON");
    let text = |v: &Value, p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    list["items"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|o| {
            (
                id_of(o),
                (
                    text(o, "/metadata/uid"),
                    text(o, "/metadata/resourceVersion"),
                ),
            )
        })
        .collect()
}

/// A [`snapshot`] of every object of `kinds` once two in a row, half a second apart, are equal:
/// the controllers have finished reacting (new namespaces get their `default` ServiceAccount
/// and root CA ConfigMap, workloads their status), so a later difference is the command's.
fn settled(server: &ApiServer, kinds: &str) -> BTreeMap<String, (String, String)> {
    let mut last = snapshot(server, kinds, "");
    wait_for(
        "the server's objects to settle",
        Duration::from_secs(60),
        || {
            std::thread::sleep(Duration::from_millis(500));
            let now = snapshot(server, kinds, "");
            if now == last {
                Some(now)
            } else {
                last = now;
                None
            }
        },
    )
}

/// The differences between two snapshots, one line each (empty when equal).
fn changes(
    before: &BTreeMap<String, (String, String)>,
    after: &BTreeMap<String, (String, String)>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (id, old) in before {
        match after.get(id) {
            None => out.push(format!("gone: {id}")),
            Some(new) if new != old => out.push(format!("changed: {id} {old:?} -> {new:?}")),
            Some(_) => {}
        }
    }
    for id in after.keys().filter(|id| !before.contains_key(*id)) {
        out.push(format!("new: {id}"));
    }
    out
}

/// Both streams, for failure messages.
fn streams(out: &Output) -> String {
    format!(
        "({})\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `meshctl ARGS` on `kubeconfig` that must succeed; returns stdout and stderr together.
fn mesh_ok(kubeconfig: &Path, args: &[&str]) -> String {
    let out = run(&mut meshctl_on(kubeconfig, args));
    assert!(
        out.status.success(),
        "meshctl {args:?} failed {}",
        streams(&out)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `meshctl ARGS` on `kubeconfig` that must fail with exit code `code`; returns both streams.
fn mesh_fails(kubeconfig: &Path, args: &[&str], code: i32) -> String {
    let out = run(&mut meshctl_on(kubeconfig, args));
    assert_eq!(
        out.status.code(),
        Some(code),
        "meshctl {args:?} should fail {}",
        streams(&out)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every Deployment in istio-system available with all its replicas; returns their names.
fn deployments_available(server: &ApiServer) -> Vec<String> {
    let list: Value = serde_json::from_str(&run_ok(server.kubectl().args([
        "get",
        "deployments",
        "-n",
        "istio-system",
        "-o",
        "json",
    ])))
    .expect("JSON");
    let mut names = Vec::new();
    for d in list["items"].as_array().expect("a list") {
        let name = d["metadata"]["name"].as_str().unwrap_or("").to_string();
        let wanted = d["spec"]["replicas"].as_i64().unwrap_or(1);
        let available = d["status"]["availableReplicas"].as_i64().unwrap_or(0);
        let condition = d["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Available" && c["status"] == "True");
        assert!(
            available >= wanted && condition,
            "Deployment {name} not available: {}",
            d["status"]
        );
        names.push(name);
    }
    names
}

/// One object as JSON, managed fields included; `None` when absent.
fn get(server: &ApiServer, kind: &str, ns: &str, name: &str) -> Option<Value> {
    let out = run(server.kubectl().args([
        "get",
        kind,
        name,
        "-n",
        ns,
        "-o",
        "json",
        "--show-managed-fields",
    ]));
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).expect("JSON"))
}

/// `kubectl apply --server-side` of a YAML document.
fn kubectl_apply(server: &ApiServer, extra: &[&str], yaml: &str) {
    let out = crate::run_with_input(
        server
            .kubectl()
            .args(["apply", "--server-side", "-f", "-"])
            .args(extra),
        yaml,
    );
    assert!(out.status.success(), "kubectl apply {}", streams(&out));
}

/// default install → re-install changes nothing → another field manager's change is taken back
/// and reported → minimal prunes exactly the gateway objects → verify-install notices a
/// deleted object → uninstall --purge removes what mesh owns and nothing else.
#[test]
fn install_reinstall_takeover_prune_verify_and_purge() {
    let Some(server) = ApiServer::start(&Options::with_controllers()) else {
        return;
    };
    let _kubelet = KubeletStandIn::start(&server, None);
    let kc = server.kubeconfig();
    let kinds = kinds();

    // 1. The default profile converges: exit 0, every Deployment available.
    // As Istio's plug-in CA instructions do: the namespace and its `cacerts` made beforehand.
    run_ok(
        server
            .kubectl()
            .args(["create", "namespace", "istio-system"]),
    );
    run_ok(server.kubectl().args([
        "create",
        "secret",
        "generic",
        "cacerts",
        "-n",
        "istio-system",
        "--from-literal=ca-cert.pem=not-a-real-ca",
    ]));
    let out = mesh_ok(kc, &["install", "-y", "--readiness-timeout", "120s"]);
    assert!(out.contains("installed"), "{out}");
    assert!(
        out.contains(
            "namespace istio-system exists and was not created by mesh: not labelled as mesh's"
        ),
        "{out}"
    );
    let deployments = deployments_available(&server);
    assert!(
        deployments.contains(&"istiod".to_string())
            && deployments.contains(&"istio-ingressgateway".to_string()),
        "{deployments:?}"
    );
    let ns = get(&server, "namespace", "", "istio-system").expect("istio-system");
    assert!(
        ns["metadata"]["labels"]["operator.istio.io/managed"].is_null(),
        "{}",
        ns["metadata"]
    );
    let default_ids = rendered(&[]);
    let owned = snapshot(&server, &kinds, MANAGED);
    // Every rendered object carries mesh's labels, but the namespace the user made.
    let missing: Vec<&String> = default_ids
        .iter()
        .filter(|id| !owned.contains_key(*id))
        .collect();
    assert!(
        missing == ["Namespace/istio-system"],
        "rendered but not on the server with mesh's labels: {missing:?}"
    );

    // The cluster as precheck sees it now: an in-place upgrade, no issue.
    let out = mesh_ok(kc, &["x", "precheck"]);
    assert!(out.contains("no issues found"), "{out}");
    assert!(
        out.contains("revision default is installed in istio-system"),
        "{out}"
    );

    // 2. The same install again changes no object mesh owns.
    let out = mesh_ok(kc, &["install", "-y"]);
    assert!(out.contains("took back fields of 0 objects"), "{out}");
    assert!(out.contains("pruned 0"), "{out}");
    let again = snapshot(&server, &kinds, MANAGED);
    assert_eq!(changes(&owned, &again), Vec::<String>::new(), "{out}");

    // 6. Fields another manager changed are taken back, and reported with the manager.
    let cm = get(&server, "configmap", "istio-system", "istio").expect("the istio ConfigMap");
    let mesh_config = cm["data"]["mesh"].as_str().expect("data.mesh").to_string();
    let intruder = ["--field-manager=intruder", "--force-conflicts"];
    kubectl_apply(
        &server,
        &intruder,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: istio-system\ndata:\n  mesh: 'defaultConfig: {}'\n",
    );
    // An update (not an apply) by another manager: `kubectl label` is manager kubectl-label.
    run_ok(server.kubectl().args([
        "label",
        "deployment",
        "istiod",
        "-n",
        "istio-system",
        "istio=intruder",
        "--overwrite",
    ]));
    // A field mesh does not set is not a conflict: it stays, unreported.
    run_ok(server.kubectl().args([
        "annotate",
        "deployment",
        "istiod",
        "-n",
        "istio-system",
        "example.com/team=mesh-ops",
    ]));
    let cm = get(&server, "configmap", "istio-system", "istio").expect("the istio ConfigMap");
    assert_eq!(
        cm["data"]["mesh"], "defaultConfig: {}",
        "the intruder's change"
    );
    let cm_line = "ConfigMap/istio-system/istio: .data.mesh from \"intruder\"";
    let deploy_line =
        "Deployment.apps/istio-system/istiod: .metadata.labels.istio from \"kubectl-label\"";
    // A dry run says what it would take back, and takes nothing.
    let out = mesh_ok(kc, &["install", "--dry-run"]);
    for reported in [
        format!("would take back from another field manager: {cm_line}"),
        format!("would take back from another field manager: {deploy_line}"),
        "2 would be taken back from other field managers".to_string(),
    ] {
        assert!(out.contains(&reported), "not reported: {reported}\n{out}");
    }
    let cm = get(&server, "configmap", "istio-system", "istio").expect("the istio ConfigMap");
    assert_eq!(cm["data"]["mesh"], "defaultConfig: {}", "{out}");
    let out = mesh_ok(kc, &["install", "-y"]);
    for reported in [
        format!("took back from another field manager: {cm_line}"),
        format!("took back from another field manager: {deploy_line}"),
        "took back fields of 2 objects from other field managers".to_string(),
    ] {
        assert!(out.contains(&reported), "not reported: {reported}\n{out}");
    }
    let cm = get(&server, "configmap", "istio-system", "istio").expect("the istio ConfigMap");
    assert_eq!(cm["data"]["mesh"].as_str(), Some(mesh_config.as_str()));
    let owners = cm["metadata"]["managedFields"].to_string();
    let deployment = get(&server, "deployment", "istio-system", "istiod").expect("istiod");
    assert_eq!(deployment["metadata"]["labels"]["istio"], "pilot");
    assert_eq!(
        deployment["metadata"]["annotations"]["example.com/team"],
        "mesh-ops"
    );
    for managed in [&cm, &deployment] {
        for entry in managed["metadata"]["managedFields"]
            .as_array()
            .expect("managedFields")
        {
            if entry["manager"] == "intruder" || entry["manager"] == "kubectl-label" {
                let fields = entry["fieldsV1"].to_string();
                assert!(
                    !fields.contains("f:mesh") && !fields.contains("f:istio"),
                    "the intruder still owns {fields} ({owners})"
                );
            }
        }
    }
    // Nothing left to take back.
    let out = mesh_ok(kc, &["install", "-y"]);
    assert!(out.contains("took back fields of 0 objects"), "{out}");

    // 3. minimal prunes exactly what default renders and minimal does not.
    let minimal_ids = rendered(&["--set", "profile=minimal"]);
    let expected_gone: BTreeSet<String> = default_ids.difference(&minimal_ids).cloned().collect();
    assert!(
        expected_gone
            .iter()
            .any(|id| id.contains("istio-ingressgateway")),
        "{expected_gone:?}"
    );
    let before = settled(&server, &kinds);
    let out = mesh_ok(kc, &["install", "--set", "profile=minimal", "-y"]);
    let after = snapshot(&server, &kinds, "");
    let gone: BTreeSet<String> = before
        .keys()
        .filter(|id| !after.contains_key(*id))
        .cloned()
        .collect();
    assert_eq!(gone, expected_gone, "{out}");
    for id in &expected_gone {
        assert!(
            out.contains(&format!("deleted {id}")),
            "{id} not reported:\n{out}"
        );
    }
    let new: Vec<&String> = after
        .keys()
        .filter(|id| !before.contains_key(*id))
        .collect();
    assert!(new.is_empty(), "minimal created {new:?}");
    let replaced: Vec<&String> = after
        .iter()
        .filter(|(id, (uid, _))| before.get(*id).is_some_and(|(old, _)| old != uid))
        .map(|(id, _)| id)
        .collect();
    assert!(replaced.is_empty(), "objects re-created: {replaced:?}");

    // 4. verify-install passes, then names the object that was deleted.
    let out = mesh_ok(kc, &["verify-install", "--set", "profile=minimal"]);
    assert!(out.contains("objects present and ready"), "{out}");
    run_ok(
        server
            .kubectl()
            .args(["delete", "service", "istiod", "-n", "istio-system"]),
    );
    let out = mesh_fails(kc, &["verify-install", "--set", "profile=minimal"], 1);
    let line = out
        .lines()
        .find(|l| l.contains("Service/istio-system/istiod"))
        .unwrap_or_else(|| panic!("the deleted Service is not named:\n{out}"));
    assert!(line.starts_with("missing"), "{out}");
    assert!(out.contains("1 of "), "{out}");
    mesh_ok(kc, &["install", "--set", "profile=minimal", "-y"]);
    mesh_ok(kc, &["verify-install", "--set", "profile=minimal"]);

    // 7. uninstall --purge: what mesh owns goes, user objects stay.
    run_ok(server.kubectl().args([
        "create",
        "configmap",
        "user-settings",
        "-n",
        "istio-system",
        "--from-literal=a=b",
    ]));
    run_ok(server.kubectl().args(["create", "namespace", "user-app"]));
    run_ok(server.kubectl().args([
        "create",
        "configmap",
        "app-config",
        "-n",
        "user-app",
        "--from-literal=a=b",
    ]));
    let out = mesh_ok(kc, &["uninstall", "--purge", "-y"]);
    // Deleting a CRD is finished by the server asynchronously (its finalizer removes the
    // custom resources first): give it a moment.
    wait_for(
        "the purged objects to be gone",
        Duration::from_secs(60),
        || {
            snapshot(&server, &kinds, "operator.istio.io/component")
                .is_empty()
                .then_some(())
        },
    );
    let crds = run_ok(server.kubectl().args(["get", "crd", "-o", "name"]));
    assert!(!crds.contains("istio.io"), "CRDs left: {crds}\n{out}");
    assert!(get(&server, "configmap", "istio-system", "user-settings").is_some());
    assert!(get(&server, "configmap", "user-app", "app-config").is_some());
    assert!(get(&server, "namespace", "", "user-app").is_some());
    // The install namespace stays (no --delete-namespace).
    assert!(
        get(&server, "namespace", "", "istio-system").is_some(),
        "{out}"
    );
    // Even when asked to, mesh does not delete a namespace it did not create.
    let out = mesh_ok(kc, &["uninstall", "--purge", "--delete-namespace", "-y"]);
    assert!(
        out.contains("kept: namespace istio-system was not created by mesh"),
        "{out}"
    );
    let ns = get(&server, "namespace", "", "istio-system").expect("istio-system");
    assert!(ns["metadata"]["deletionTimestamp"].is_null(), "{out}");
    assert!(get(&server, "secret", "istio-system", "cacerts").is_some());
    assert!(get(&server, "configmap", "istio-system", "user-settings").is_some());
}

/// Dry runs change nothing (on an empty server and on an installed one), a user bound to the
/// `view` role is refused before anything is applied, and a demo install killed half way
/// converges when it is run again.
#[test]
fn dry_run_rbac_and_an_interrupted_demo_install() {
    let Some(server) = ApiServer::start(&Options::with_controllers()) else {
        return;
    };
    let kc = server.kubeconfig();
    let kinds = kinds();

    // 8a. A dry run on an empty server: every object is checked by the server, none is stored.
    let empty = settled(&server, &kinds);
    let out = mesh_ok(kc, &["install", "--set", "profile=demo", "--dry-run"]);
    assert!(out.contains("dry run: the API server accepted"), "{out}");
    assert_eq!(
        changes(&empty, &snapshot(&server, &kinds, "")),
        Vec::<String>::new(),
        "{out}"
    );
    let crds = run_ok(server.kubectl().args(["get", "crd", "-o", "name"]));
    assert!(crds.trim().is_empty(), "{crds}");

    // 9. A user who may only view: precheck names what is missing, install refuses before
    // applying anything.
    run_ok(server.kubectl().args(["create", "namespace", "viewers"]));
    run_ok(
        server
            .kubectl()
            .args(["create", "serviceaccount", "viewer", "-n", "viewers"]),
    );
    run_ok(server.kubectl().args([
        "create",
        "clusterrolebinding",
        "viewer-view",
        "--clusterrole=view",
        "--serviceaccount=viewers:viewer",
    ]));
    let token = run_ok(
        server
            .kubectl()
            .args(["create", "token", "viewer", "-n", "viewers"]),
    );
    let viewer = server.kubeconfig_with_token("viewer", token.trim());
    let before = settled(&server, &kinds);
    let out = mesh_fails(&viewer, &["x", "precheck"], 1);
    for denied in [
        "cannot create customresourcedefinitions cluster-wide",
        "cannot create clusterroles cluster-wide",
        "cannot create deployments in namespace istio-system",
        "cannot create configmaps in namespace istio-system",
    ] {
        assert!(
            out.contains(denied),
            "precheck does not say {denied:?}:\n{out}"
        );
    }
    let out = mesh_fails(&viewer, &["install", "-y"], 2);
    for denied in [
        "error: forbidden: cannot create, patch namespaces cluster-wide",
        "error: forbidden: cannot create, patch customresourcedefinitions cluster-wide",
        "error: forbidden: cannot create, patch deployments in namespace istio-system",
        "error: forbidden: cannot delete deployments cluster-wide",
        "nothing was applied",
    ] {
        assert!(
            out.contains(denied),
            "install does not say {denied:?}:\n{out}"
        );
    }
    assert_eq!(
        changes(&before, &snapshot(&server, &kinds, "")),
        Vec::<String>::new()
    );
    // The dry run needs the same rights.
    mesh_fails(&viewer, &["install", "--dry-run"], 2);

    // Without a kubelet nothing becomes ready: the readiness timeout names the workload and why.
    let out = mesh_fails(
        kc,
        &[
            "install",
            "--set",
            "profile=minimal",
            "--readiness-timeout",
            "3s",
            "-y",
        ],
        2,
    );
    assert!(
        out.contains("error: timed out after 3s waiting for workloads to be ready"),
        "{out}"
    );
    let line = out
        .lines()
        .position(|l| {
            l.starts_with(
                "error:   Deployment/istio-system/istiod: 0 of 1 updated replicas available",
            )
        })
        .unwrap_or_else(|| panic!("istiod is not named:\n{out}"));
    let pods = out.lines().nth(line + 1).unwrap_or_default();
    assert!(
        pods.contains("pod istiod-") || pods.contains("no pods created yet"),
        "no pod reason under istiod:\n{out}"
    );

    // 5. A demo install killed half way: no kubelet yet, so it applies CRDs, config and
    // workloads, then waits for the workloads to become ready; kill it there.
    let mut child = meshctl_on(kc, &["install", "--set", "profile=demo", "-y"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn meshctl install");
    wait_for(
        "the first install to create istiod",
        Duration::from_secs(120),
        || get(&server, "deployment", "istio-system", "istiod").map(|_| ()),
    );
    assert!(
        child.try_wait().expect("meshctl's status").is_none(),
        "the install finished before it could be killed"
    );
    child.kill().expect("kill meshctl install");
    child.wait().expect("reap meshctl install");
    let crds = run_ok(server.kubectl().args(["get", "crd", "-o", "name"]));
    assert!(
        crds.contains("virtualservices.networking.istio.io"),
        "{crds}"
    );
    // The webhooks stage was never reached.
    let hooks =
        run_ok(
            server
                .kubectl()
                .args(["get", "mutatingwebhookconfigurations", "-o", "name"]),
        );
    assert!(!hooks.contains("istio"), "{hooks}");
    let out = mesh_fails(kc, &["verify-install", "--set", "profile=demo"], 1);
    assert!(
        out.contains("not ready") || out.contains("missing"),
        "{out}"
    );

    // The rerun converges, and prunes what the timed-out minimal install applied that demo
    // does not render.
    let kubelet = KubeletStandIn::start(&server, None);
    let out = mesh_ok(kc, &["install", "--set", "profile=demo", "-y"]);
    let stale: BTreeSet<String> = rendered(&["--set", "profile=minimal"])
        .difference(&rendered(&["--set", "profile=demo"]))
        .cloned()
        .collect();
    for id in &stale {
        assert!(
            out.contains(&format!("deleted {id}")),
            "{id} not pruned:\n{out}"
        );
    }
    assert!(out.contains(&format!("pruned {}", stale.len())), "{out}");
    assert!(kubelet.marked() > 0);
    let deployments = deployments_available(&server);
    for name in ["istiod", "istio-ingressgateway", "istio-egressgateway"] {
        assert!(deployments.contains(&name.to_string()), "{deployments:?}");
    }
    mesh_ok(kc, &["verify-install", "--set", "profile=demo"]);

    // 8b. A dry run of another profile on the installed server: it would prune the egress
    // gateway, but nothing changes.
    let installed = settled(&server, &kinds);
    let out = mesh_ok(kc, &["install", "--dry-run"]);
    assert!(out.contains("would be pruned"), "{out}");
    assert!(
        out.contains("would delete Deployment.apps/istio-system/istio-egressgateway"),
        "{out}"
    );
    assert!(!out.lines().any(|l| l.starts_with("deleted ")), "{out}");
    assert_eq!(
        changes(&installed, &snapshot(&server, &kinds, "")),
        Vec::<String>::new(),
        "{out}"
    );
    mesh_ok(kc, &["verify-install", "--set", "profile=demo"]);

    // upgrade in place changes nothing; a canary revision beside it prunes nothing of the
    // default one, and uninstalling the canary leaves the default revision whole.
    let out = mesh_ok(kc, &["upgrade", "--set", "profile=demo", "-y"]);
    assert!(out.contains("pruned 0"), "{out}");
    assert_eq!(
        changes(&installed, &snapshot(&server, &kinds, "")),
        Vec::<String>::new(),
        "{out}"
    );
    let out = mesh_ok(
        kc,
        &["install", "--set", "profile=minimal", "-r", "canary", "-y"],
    );
    assert!(out.contains("pruned 0"), "{out}");
    mesh_ok(
        kc,
        &["verify-install", "--set", "profile=minimal", "-r", "canary"],
    );
    mesh_ok(kc, &["verify-install", "--set", "profile=demo"]);
    assert!(get(&server, "deployment", "istio-system", "istiod-canary").is_some());
    let out = mesh_ok(kc, &["uninstall", "--revision", "canary", "-y"]);
    assert!(
        get(&server, "deployment", "istio-system", "istiod-canary").is_none(),
        "{out}"
    );
    let out = mesh_ok(kc, &["verify-install", "--set", "profile=demo"]);
    assert!(out.contains("objects present and ready"), "{out}");
    // Only the shared Base objects (CRDs, reader account) keep the canary's labels.
    // (checked below; then a purge with --delete-namespace removes the namespace mesh made)
    let canary = snapshot(
        &server,
        &kinds,
        "istio.io/rev=canary,operator.istio.io/component!=Base",
    );
    assert!(canary.is_empty(), "canary objects left: {canary:?}");

    // mesh created istio-system here, so --delete-namespace deletes it.
    let out = mesh_ok(kc, &["uninstall", "--purge", "--delete-namespace", "-y"]);
    assert!(out.contains("deleted Namespace/istio-system"), "{out}");
    let ns = get(&server, "namespace", "", "istio-system");
    let ns_state = if ns.is_some() {
        "istio-system was terminating"
    } else {
        "istio-system was gone"
    };
    assert!(
        ns.is_none_or(|ns| !ns["metadata"]["deletionTimestamp"].is_null()),
        "{out}"
    );

    // Installing again straight away (the namespace takes seconds to go) waits for the
    // namespace to be gone, then converges.
    let out = mesh_ok(kc, &["install", "--set", "profile=minimal", "-y"]);
    eprintln!("reinstall while {ns_state}:\n{out}");
    mesh_ok(kc, &["verify-install", "--set", "profile=minimal"]);
}
