//! Migration to Helm on the real API server: `meshctl install`, then the files of
//! `meshctl manifest translate` for the same configuration: `install.sh` (real Helm, Istio's
//! charts from `../shared/reference`) takes the objects over, `handover.yaml` releases mesh's
//! field manager. Skipped with one printed line without Helm or the charts.

use crate::{meshctl_on, run, run_ok};
use mesh_test_support::TempDir;
use mesh_test_support::kube::{ApiServer, KubeletStandIn, Options, kubectl_available};
use serde_json::Value;

/// The field manager `meshctl install` applies with.
const MANAGER: &str = "istio-operator";

/// The managers of an object's fields.
fn managers(server: &ApiServer, kind: &str, name: &str, ns: Option<&str>) -> Vec<String> {
    let mut cmd = server.kubectl();
    cmd.args(["get", kind, name, "-o", "json", "--show-managed-fields"]);
    if let Some(ns) = ns {
        cmd.args(["-n", ns]);
    }
    let object: Value = serde_json::from_str(&run_ok(&mut cmd)).unwrap();
    object["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["manager"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn helm_takes_over_what_meshctl_installed() {
    let root = mesh_test_support::workspace_root();
    let charts = root.join("../shared/reference/istio-1.30.3/manifests/charts");
    if !charts.is_dir() {
        eprintln!("skipping: Istio's charts not found at {}", charts.display());
        return;
    }
    if !kubectl_available() {
        return;
    }
    let Some(helm) = mesh_test_support::helm() else {
        return;
    };
    let Some(server) = ApiServer::start(&Options::with_controllers()) else {
        return;
    };
    let _kubelet = KubeletStandIn::start(&server, None);
    let config = ["--set", "profile=minimal"];
    run_ok(&mut meshctl_on(
        server.kubeconfig(),
        &["install", "-y", config[0], config[1]],
    ));
    let objects = [
        ("deployment", "istiod", Some("istio-system")),
        ("configmap", "istio", Some("istio-system")),
        (
            "validatingwebhookconfiguration",
            "istio-validator-istio-system",
            None,
        ),
        (
            "mutatingwebhookconfiguration",
            "istio-sidecar-injector",
            None,
        ),
        (
            "customresourcedefinition",
            "virtualservices.networking.istio.io",
            None,
        ),
    ];
    for (kind, name, ns) in objects {
        assert!(
            managers(&server, kind, name, ns).contains(&MANAGER.to_string()),
            "{kind}/{name} was not installed by {MANAGER}"
        );
    }

    let out = TempDir::new("helm-handover");
    let mut translate = crate::meshctl();
    translate
        .args([
            "manifest",
            "translate",
            config[0],
            config[1],
            "--output-dir",
        ])
        .arg(out.path());
    run_ok(&mut translate);
    let path = format!(
        "{}:{}",
        helm.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let install = |what: &str| {
        let result = run(std::process::Command::new("sh")
            .arg(out.join("install.sh"))
            .env("PATH", &path)
            .env("ISTIO_CHARTS", &charts)
            .env("KUBECONFIG", server.kubeconfig())
            .env("HOME", out.path()));
        assert!(
            result.status.success(),
            "{what} install.sh failed:\n{}\n{}",
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr)
        );
    };
    install("first");
    run_ok(
        server
            .kubectl()
            .args(["apply", "--server-side", "--field-manager", MANAGER, "-f"])
            .arg(out.join("handover.yaml")),
    );

    let mut helm_list = std::process::Command::new(&helm);
    helm_list
        .args(["list", "-n", "istio-system", "-o", "json"])
        .env("KUBECONFIG", server.kubeconfig())
        .env("HOME", out.path());
    let releases: Value = serde_json::from_str(&run_ok(&mut helm_list)).unwrap();
    let deployed: Vec<&str> = releases
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "deployed")
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(deployed, ["istio-base", "istiod"], "{releases}");
    for (kind, name, ns) in objects {
        let managers = managers(&server, kind, name, ns);
        assert!(
            !managers.contains(&MANAGER.to_string()) && managers.contains(&"helm".to_string()),
            "{kind}/{name} is managed by {managers:?} after the handover"
        );
    }
    // Helm's fields survived the handover: istiod runs the same image. The label by which
    // meshctl's uninstall and prune select an installation's objects went with mesh's field
    // manager: they are Helm's alone now.
    let istiod: Value = serde_json::from_str(&run_ok(server.kubectl().args([
        "get",
        "deployment",
        "istiod",
        "-n",
        "istio-system",
        "-o",
        "json",
    ])))
    .unwrap();
    assert_eq!(
        istiod["spec"]["template"]["spec"]["containers"][0]["image"],
        "docker.io/istio/pilot:1.30.3"
    );
    let labels = &istiod["metadata"]["labels"];
    assert!(
        labels
            .get("install.operator.istio.io/owning-resource-namespace")
            .is_none(),
        "{labels}"
    );
    // And Helm manages them from now on: a second run upgrades in place.
    install("second");
}
