//! `meshctl addons generate` of all six addons, applied with plain `kubectl apply -f -` on a real
//! API server after `meshctl manifest generate`: no error, and every object is on the server.

use crate::{meshctl, run_ok, run_with_input};
use mesh_test_support::kube::{ApiServer, Options, kubectl_available};
use std::process::Output;

/// `kubectl ARGS` on `server` with `input` on stdin, with a discovery cache of its own.
fn kubectl(server: &ApiServer, args: &[&str], input: &str) -> Output {
    let mut cmd = server.kubectl();
    cmd.env("KUBECACHEDIR", server.dir().join("kubectl-cache"));
    run_with_input(cmd.args(args), input)
}

/// Applies `yaml` with `kubectl apply -f -`, which must exit 0 with no error line.
fn apply(server: &ApiServer, yaml: &str, what: &str) {
    let out = kubectl(server, &["apply", "-f", "-"], yaml);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.to_lowercase().contains("error"),
        "{what}: kubectl apply -f - failed ({}):\n{}\n{stderr}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn all_addons_apply_after_the_control_plane() {
    if !kubectl_available() {
        return;
    }
    let Some(server) = ApiServer::start(&Options::default()) else {
        return;
    };
    let control_plane = run_ok(meshctl().args(["manifest", "generate"]));
    apply(&server, &control_plane, "manifest generate");
    let addons = run_ok(meshctl().args([
        "addons",
        "generate",
        "kiali",
        "prometheus",
        "grafana",
        "jaeger",
        "loki",
        "zipkin",
    ]));
    apply(&server, &addons, "addons generate");
    let documents = addons.split("\n---\n").count();
    let out = kubectl(&server, &["get", "-f", "-", "-o", "name"], &addons);
    assert!(
        out.status.success(),
        "kubectl get -f -: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names = String::from_utf8_lossy(&out.stdout);
    assert_eq!(names.lines().count(), documents, "{names}");
    for expected in [
        "deployment.apps/kiali",
        "deployment.apps/prometheus",
        "deployment.apps/grafana",
        "deployment.apps/jaeger",
        "statefulset.apps/loki",
        "deployment.apps/zipkin",
        "configmap/istio-grafana-dashboards",
    ] {
        assert!(
            names.lines().any(|l| l == expected),
            "{expected} missing:\n{names}"
        );
    }
}
