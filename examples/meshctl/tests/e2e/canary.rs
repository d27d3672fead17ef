//! A canary upgrade with real injection: two revisions installed by `meshctl install`, one
//! mesh-webhook serving each revision behind its own `istiod[-<rev>]` Service, and the API
//! server calling them through the webhook configurations mesh installed (Service references,
//! not URLs) while tag `prod` moves from one revision to the other and the old revision is
//! removed.
//!
//! The API server reaches a webhook Service at its ClusterIP. With no kube-proxy here, the test
//! makes those addresses local: it runs inside a network namespace of its own (`unshare -rn`,
//! user and network namespaces, no privileges needed) whose loopback holds the whole service
//! range, and binds each mesh-webhook to its Service's ClusterIP on port 443. The outer test
//! re-runs this binary's inner test there; without `unshare` it prints one `skipping:` line.
//!
//! What istiod would do besides injecting is done by the test, and only that: put the serving
//! certificate's CA into the revision's webhook configurations once, before any tag exists. A
//! tag's configuration works at once only because `meshctl tag set` carries that bundle over
//! (as istioctl does); a tag set without it would refuse the namespace's pods.

use crate::inject::{Rendered, Webhook, injected_revision, pod, scratch};
use crate::tags::{ok, text};
use crate::{run, run_ok};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, PostParams};
use mesh_test_support::kube::{ApiServer, KubeletStandIn, Options, block_on, kubectl_available};
use serde_json::{Value, json};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Set in the environment of the inner run (inside the network namespace).
const INSIDE: &str = "MESH_E2E_NETNS";
/// The inner test, as the test harness names it.
const INNER: &str = "canary::canary_upgrade_inside_a_network_namespace";
/// The service range of `../shared/tools/kube` (`--service-cluster-ip-range`).
const SERVICE_RANGE: &str = "10.0.0.0/24";
/// How long a changed webhook configuration may take to reach the admission chain.
const ACTIVATION: Duration = Duration::from_secs(30);

#[test]
fn canary_upgrade_moves_real_injection_between_revisions() {
    if std::env::var_os(INSIDE).is_some() {
        return; // this is the inner run: only the inner test does work here
    }
    let setup = format!("ip link set lo up && ip addr add {SERVICE_RANGE} dev lo");
    let probe = Command::new("unshare")
        .args(["-rn", "sh", "-c", &setup])
        .output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        let why = match &probe {
            Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
            Err(e) => e.to_string(),
        };
        eprintln!(
            "skipping: the canary upgrade needs a network namespace (`unshare -rn` and `ip`: {why})"
        );
        return;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let setup = format!("{setup} && exec \"$0\" \"$@\"");
    let out = run(Command::new("unshare")
        .args(["-rn", "sh", "-c", &setup])
        .arg(exe)
        .args([INNER, "--exact", "--include-ignored", "--nocapture"])
        .env(INSIDE, "1"));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "the canary upgrade failed inside its network namespace ({}):\n{stdout}",
        out.status
    );
    assert!(
        stdout.contains("1 passed"),
        "the inner test did not run:\n{stdout}"
    );
}

#[test]
#[ignore = "run by canary_upgrade_moves_real_injection_between_revisions, in a network namespace"]
fn canary_upgrade_inside_a_network_namespace() {
    if std::env::var_os(INSIDE).is_none() {
        eprintln!("skipping: this test runs inside the network namespace its outer test makes");
        return;
    }
    if !kubectl_available() {
        return;
    }
    let Some(server) = ApiServer::start(&Options::with_controllers()) else {
        return;
    };
    let _kubelet = KubeletStandIn::start(&server, None);
    ok(&server, &["install", "-y", "--set", "profile=minimal"]);
    let mut old = serve_revision(&server, "default");
    ok(
        &server,
        &["install", "-y", "--set", "profile=minimal", "-r", "canary"],
    );
    let new = serve_revision(&server, "canary");

    // Each revision's own selectors reach its own webhook.
    let plain = namespace(&server, "plain", &[("istio-injection", "enabled")]);
    let direct = namespace(&server, "direct", &["istio.io/rev=canary"].map(pair));
    expect_injection(&server, &plain, Some("default"));
    expect_injection(&server, &direct, Some("canary"));

    // Tag prod -> default: a namespace labelled with the tag gets the default revision's proxy.
    ok(&server, &["tag", "set", "prod", "-r", "default", "-y"]);
    let shop = namespace(&server, "shop", &["istio.io/rev=prod"].map(pair));
    expect_injection(&server, &shop, Some("default"));

    // Move the tag: the same namespace, unchanged, now gets the canary's proxy.
    ok(
        &server,
        &["tag", "set", "prod", "-r", "canary", "-y", "--overwrite"],
    );
    expect_injection(&server, &shop, Some("canary"));

    // Retire the old revision: its webhook goes, the tag keeps injecting through the canary,
    // and nothing injects by the default selectors any more.
    ok(&server, &["uninstall", "-y", "-r", "default"]);
    old.stop();
    expect_injection(&server, &shop, Some("canary"));
    expect_injection(&server, &direct, Some("canary"));
    expect_injection(&server, &plain, None);
    drop(new);
}

fn pair(kv: &str) -> (&str, &str) {
    kv.split_once('=').expect("key=value")
}

fn kubectl_json(server: &ApiServer, args: &[&str]) -> Value {
    let out = run_ok(server.kubectl().args(args).args(["-o", "json"]));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("kubectl {args:?}: {e}\n{out}"))
}

/// Starts mesh-webhook for `revision` the way istiod serves it: configured from the revision's
/// installed ConfigMaps, listening on its Service's ClusterIP:443 with a certificate for the
/// Service's name; then puts that certificate into the revision's webhook configurations.
fn serve_revision(server: &ApiServer, revision: &str) -> Webhook {
    let (service, suffix) = if revision == "default" {
        ("istiod".to_string(), String::new())
    } else {
        (format!("istiod-{revision}"), revision.to_string())
    };
    let dir = scratch(server, revision);
    let config_maps = kubectl_json(server, &["get", "configmaps", "-n", "istio-system"]);
    let items = config_maps["items"].as_array().cloned().unwrap_or_default();
    let rendered = Rendered::from_objects(&dir, &suffix, &[], &items);
    let svc = kubectl_json(server, &["get", "service", &service, "-n", "istio-system"]);
    let ip = svc["spec"]["clusterIP"]
        .as_str()
        .unwrap_or_else(|| panic!("Service {service} has no ClusterIP: {svc}"));
    let ports = svc["spec"]["ports"].as_array().cloned().unwrap_or_default();
    assert!(
        ports.iter().any(|p| p["port"] == 443),
        "Service {service} has no port 443: {svc}"
    );
    let host = format!("{service}.istio-system.svc");
    let webhook = Webhook::start_at(&dir, &rendered, &format!("{ip}:443"), &[&host]);
    let pem = std::fs::read(&webhook.ca).expect("the serving certificate");
    let bundle = serde_json::to_value(k8s_openapi::ByteString(pem)).expect("base64");
    let hooks = kubectl_json(
        server,
        &[
            "get",
            "mutatingwebhookconfigurations",
            "-l",
            &format!("istio.io/rev={revision}"),
        ],
    );
    let items = hooks["items"].as_array().cloned().unwrap_or_default();
    assert!(!items.is_empty(), "no webhook configuration of {revision}");
    for item in items {
        let entries = item["webhooks"].as_array().map_or(0, Vec::len);
        let patch: Vec<Value> = (0..entries)
            .map(|i| json!({"op": "add", "path": format!("/webhooks/{i}/clientConfig/caBundle"), "value": bundle}))
            .collect();
        let name = item["metadata"]["name"].as_str().unwrap_or_default();
        run_ok(server.kubectl().args([
            "patch",
            "mutatingwebhookconfiguration",
            name,
            "--type=json",
            "-p",
            &Value::from(patch).to_string(),
        ]));
    }
    webhook
}

/// A new namespace named after `prefix`, with `labels`.
fn namespace(server: &ApiServer, prefix: &str, labels: &[(&str, &str)]) -> String {
    let name = mesh_test_support::kube::unique_namespace(prefix);
    run_ok(server.kubectl().args(["create", "namespace", &name]));
    for (k, v) in labels {
        run_ok(
            server
                .kubectl()
                .args(["label", "namespace", &name, &format!("{k}={v}")]),
        );
    }
    name
}

/// Creates pods in `ns` until one comes back injected by `revision` (`None`: not injected),
/// for up to [`ACTIVATION`] (the admission chain picks up changed webhook configurations
/// within a few seconds). Pods that came back otherwise are deleted.
fn expect_injection(server: &ApiServer, ns: &str, revision: Option<&str>) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < ACTIVATION {
        let name = format!("app-{}", N.fetch_add(1, Ordering::Relaxed));
        let new: Pod = serde_json::from_value(pod(&name, &[("app", "shop")], &[])).unwrap();
        let created = block_on(async {
            let pods: Api<Pod> = Api::namespaced(server.client().await, ns);
            let created = pods.create(&PostParams::default(), &new).await;
            if let Ok(p) = &created
                && injected_revision(p).as_deref() != revision
            {
                let _ = pods.delete(&name, &DeleteParams::default()).await;
            }
            created
        });
        match created {
            Ok(p) if injected_revision(&p).as_deref() == revision => return,
            Ok(p) => last = format!("pod {name} injected by {:?}", injected_revision(&p)),
            Err(e) => last = format!("pod {name} refused: {e}"),
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("pods of {ns} were never injected by {revision:?} within {ACTIVATION:?}; last: {last}");
}
