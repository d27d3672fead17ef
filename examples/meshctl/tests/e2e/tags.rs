//! Revision tags and a canary upgrade on the real server: install the default revision, a
//! canary beside it, point tag `prod` at one then the other, and check where the API server
//! sends the injection of pods in a namespace labelled `istio.io/rev=prod`. No injector runs
//! here (istiod is not started), so the API server's refusal names the URL of the Service it
//! tried to call: that is the revision the tag routes to.

use mesh_test_support::kube::{ApiServer, KubeletStandIn, Options};
use std::process::Output;

/// Where the API server sends the default revision's and the canary's injection.
const DEFAULT_INJECTOR: &str = "Post \"https://istiod.istio-system.svc:443/inject";
const CANARY_INJECTOR: &str = "Post \"https://istiod-canary.istio-system.svc:443/inject";

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn meshctl(server: &ApiServer, args: &[&str]) -> Output {
    crate::run(&mut crate::meshctl_on(server.kubeconfig(), args))
}

pub(crate) fn ok(server: &ApiServer, args: &[&str]) -> String {
    let out = meshctl(server, args);
    assert!(
        out.status.success(),
        "meshctl {args:?} failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Creates a pod in `ns` and returns the API server's refusal (the injection webhook it called
/// has no endpoints).
fn refusal(server: &ApiServer, ns: &str, name: &str) -> String {
    let out = crate::run(server.kubectl().args([
        "run",
        name,
        "-n",
        ns,
        "--image=nginx",
        "--restart=Never",
    ]));
    assert!(
        !out.status.success(),
        "pod {ns}/{name} was admitted; expected the tag's injector to be called"
    );
    text(&out.stderr)
}

#[test]
fn tags_route_injection_to_their_revision_through_a_canary_upgrade() {
    let Some(server) = ApiServer::start(&Options::with_controllers()) else {
        return;
    };
    let _kubelet = KubeletStandIn::start(&server, None);
    ok(&server, &["install", "-y", "--set", "profile=minimal"]);
    ok(
        &server,
        &["install", "-y", "--set", "profile=minimal", "-r", "canary"],
    );

    // prod -> default.
    let set = ok(&server, &["tag", "set", "prod", "-r", "default", "-y"]);
    assert!(set.contains("points at revision \"default\""), "{set}");
    crate::run_ok(server.kubectl().args(["create", "namespace", "shop"]));
    crate::run_ok(
        server
            .kubectl()
            .args(["label", "namespace", "shop", "istio.io/rev=prod"]),
    );
    let list = ok(&server, &["tag", "list"]);
    assert!(
        list.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["prod", "default", "shop"]),
        "{list}"
    );
    let err = refusal(&server, "shop", "a");
    assert!(err.contains(DEFAULT_INJECTOR), "{err}");

    // Moving it needs --overwrite.
    let out = meshctl(&server, &["tag", "set", "prod", "-r", "canary", "-y"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--overwrite"),
        "{}",
        text(&out.stderr)
    );
    ok(
        &server,
        &["tag", "set", "prod", "-r", "canary", "-y", "--overwrite"],
    );
    let err = refusal(&server, "shop", "b");
    assert!(err.contains(CANARY_INJECTOR), "{err}");

    // A default tag for the canary would inject what the default revision injects already.
    let out = meshctl(&server, &["tag", "set", "default", "-r", "canary", "-y"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("both would inject"),
        "{}",
        text(&out.stderr)
    );
    // A tag named like a revision, or pointing at none, is refused.
    let out = meshctl(&server, &["tag", "set", "canary", "-r", "default", "-y"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = meshctl(&server, &["tag", "set", "dev", "-r", "stable", "-y"]);
    assert!(text(&out.stderr).contains("no webhook configuration of that revision"));

    // Retire the old revision: the tag keeps routing to the canary.
    ok(&server, &["uninstall", "-y", "-r", "default"]);
    let err = refusal(&server, "shop", "c");
    assert!(err.contains(CANARY_INJECTOR), "{err}");

    // Removing a tag in use is refused until confirmed.
    let out = meshctl(&server, &["tag", "remove", "prod"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("shop"), "{}", text(&out.stderr));
    ok(&server, &["tag", "remove", "prod", "-y"]);
    let list = ok(&server, &["tag", "list"]);
    assert_eq!(list.lines().count(), 1, "{list}");
    let hooks = crate::run_ok(server.kubectl().args([
        "get",
        "mutatingwebhookconfigurations",
        "-o",
        "name",
    ]));
    assert!(!hooks.contains("revision-tag"), "{hooks}");
    let svcs = crate::run_ok(server.kubectl().args([
        "get",
        "services",
        "-n",
        "istio-system",
        "-o",
        "name",
    ]));
    assert!(!svcs.contains("revision-tag"), "{svcs}");
    // Unlabelled, the namespace's pods are admitted again (no injector selects them).
    crate::run_ok(
        server
            .kubectl()
            .args(["label", "namespace", "shop", "istio.io/rev-"]),
    );
    crate::run_ok(server.kubectl().args([
        "run",
        "d",
        "-n",
        "shop",
        "--image=nginx",
        "--restart=Never",
    ]));
}
