//! `meshctl addons generate` of all six addons, applied with plain `kubectl apply -f -` on a real
//! API server after `meshctl manifest generate`: no error, and every object is on the server.
//! `meshctl dashboard`: a clear error without a pod, the URL once a ready pod runs.
//! `meshctl install --addons`: the addons installed with the control plane, pruned by an install
//! without them, removed by uninstall.

use crate::{meshctl, meshctl_on, run, run_ok, run_with_input};
use mesh_test_support::kube::{ApiServer, KubeletStandIn, Options, kubectl_available, wait_for};
use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};
use std::time::Duration;

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

#[test]
fn dashboard_refuses_without_a_pod_and_serves_with_one() {
    if !kubectl_available() {
        return;
    }
    let Some(server) = ApiServer::start(&Options::with_controllers()) else {
        return;
    };
    let kc = server.kubeconfig();
    let out = run(&mut meshctl_on(kc, &["dashboard", "kiali"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: no running, ready kiali pod in namespace istio-system")
            && stderr.contains("meshctl addons generate kiali prometheus"),
        "{stderr}"
    );

    let _kubelet = KubeletStandIn::start(&server, Some("istio-system"));
    let addons = run_ok(meshctl().args(["addons", "generate", "kiali", "prometheus"]));
    apply(&server, &addons, "addons generate kiali prometheus");
    // The controllers make the Deployment's pod, the stand-in marks it ready.
    wait_for("a ready kiali pod", Duration::from_secs(60), || {
        let out = server
            .kubectl()
            .args([
                "get",
                "pods",
                "-n",
                "istio-system",
                "-l",
                "app.kubernetes.io/name=kiali",
            ])
            .args([
                "-o",
                "jsonpath={.items[*].status.conditions[?(@.type==\"Ready\")].status}",
            ])
            .output()
            .ok()?;
        String::from_utf8_lossy(&out.stdout)
            .contains("True")
            .then_some(())
    });
    let mut child = meshctl_on(kc, &["dashboard", "kiali", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.starts_with("http://127.0.0.1:") && line.trim_end().ends_with("/kiali"),
        "{line}"
    );
}

/// The `operator.istio.io/component` label of `kind/name` in istio-system, or `None` when it
/// does not exist.
fn component_of(server: &ApiServer, kind: &str, name: &str) -> Option<String> {
    let jsonpath = "jsonpath={.metadata.name}={.metadata.labels.operator\\.istio\\.io/component}";
    let out = server
        .kubectl()
        .args([
            "get",
            kind,
            name,
            "-n",
            "istio-system",
            "--ignore-not-found",
            "-o",
            jsonpath,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_once('=')
        .map(|(_, component)| component.to_string())
}

#[test]
fn install_with_addons_then_without_then_uninstall() {
    if !kubectl_available() {
        return;
    }
    let Some(server) = ApiServer::start(&Options::with_controllers()) else {
        return;
    };
    let _kubelet = KubeletStandIn::start(&server, None);
    let kc = server.kubeconfig();
    let install = |extra: &[&str]| {
        let mut args = vec!["install", "--set", "profile=minimal", "-y"];
        args.extend(extra);
        let out = run(&mut meshctl_on(kc, &args));
        let both = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "meshctl {args:?}:\n{both}");
        both
    };
    install(&["--addons", "kiali,prometheus"]);
    assert_eq!(
        component_of(&server, "deployment", "kiali").as_deref(),
        Some("Addons")
    );
    assert_eq!(
        component_of(&server, "deployment", "prometheus").as_deref(),
        Some("Addons")
    );
    assert_eq!(
        component_of(&server, "deployment", "istiod").as_deref(),
        Some("Pilot")
    );

    // Keeping Prometheus only: Kiali's objects are pruned.
    let out = install(&["--addons", "prometheus"]);
    assert!(out.contains("kiali"), "{out}");
    assert_eq!(component_of(&server, "deployment", "kiali"), None);
    assert_eq!(component_of(&server, "configmap", "kiali"), None);
    assert!(component_of(&server, "deployment", "prometheus").is_some());

    let out = run(&mut meshctl_on(
        kc,
        &["uninstall", "--revision", "default", "-y"],
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(component_of(&server, "deployment", "prometheus"), None);
    assert_eq!(component_of(&server, "deployment", "istiod"), None);
}
