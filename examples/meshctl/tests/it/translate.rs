//! `manifest translate` against Helm: for corpus configurations, the install script it writes is
//! run with a stand-in `helm` that renders each release with `helm template` of Istio's own
//! charts (`../shared/reference/istio-1.30.3/manifests/charts`), and what Helm renders must
//! equal `manifest generate` object for object (`scripts/translate_check.py`, conformance.py's
//! rules; the release-name labels and the gateways, which move to the `gateway` chart, left
//! out). Skipped with one printed line without the shared tools, PyYAML or Helm.

use crate::support::{meshctl, text};
use mesh_test_support::TempDir;
use std::process::Command;

/// Corpus cases checked here: every one without a gateway, and a sample with gateways.
/// `scripts/translate_check.py` runs on any case; the note of issue 14 has all 40.
const CASES: &[&str] = &[
    "ingress-disabled",
    "profile-ambient",
    "profile-in-file",
    "profile-minimal",
    "profile-openshift-ambient",
    "profile-remote",
    "profile-empty",
    "profile-default",
    "profile-demo",
    "two-ingress-gateways",
    "egress-enabled",
    "revision-canary",
    "cni-enabled",
];

#[test]
fn helm_renders_what_manifest_generate_renders() {
    let root = mesh_test_support::workspace_root();
    let tools = root.join("../shared/tools");
    let charts = root.join("../shared/reference/istio-1.30.3/manifests/charts");
    let corpus = root.join("../shared/reference/manifest");
    let yaml = Command::new("python3")
        .args(["-c", "import yaml"])
        .status()
        .is_ok_and(|s| s.success());
    if !(tools.join("conformance.py").is_file() && charts.is_dir() && corpus.is_dir() && yaml) {
        eprintln!(
            "skipping: ../shared (conformance.py, Istio's charts, the corpus) or PyYAML missing"
        );
        return;
    }
    let Some(helm) = mesh_test_support::helm() else {
        return;
    };
    let mut failures = Vec::new();
    for case in CASES {
        let dir = corpus.join(case);
        let args = std::fs::read_to_string(dir.join("args")).unwrap();
        let out = Command::new("python3")
            .arg(root.join("scripts/translate_check.py"))
            .args(["--cli", env!("CARGO_BIN_EXE_meshctl")])
            .arg("--tools")
            .arg(&tools)
            .arg("--helm")
            .arg(&helm)
            .arg("--charts")
            .arg(&charts)
            .arg("--cwd")
            .arg(&dir)
            .arg("--")
            .args(args.lines().filter(|l| !l.is_empty()))
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || !report.contains(" 0 differences") {
            failures.push(format!(
                "{case}:\n{report}{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn translate_writes_releases_in_install_order() {
    let dir = TempDir::new("translate");
    let out = meshctl(&[
        "manifest",
        "translate",
        "--set",
        "profile=ambient",
        "--set",
        "components.ingressGateways[0].name=istio-ingressgateway",
        "--set",
        "components.ingressGateways[0].enabled=true",
        "-r",
        "canary",
        "--output-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "00-istio-base.values.yaml",
            "01-istiod-canary.values.yaml",
            "02-istio-cni.values.yaml",
            "03-ztunnel.values.yaml",
            "04-istio-ingressgateway.values.yaml",
            "README.md",
            "handover.yaml",
            "install.sh",
        ]
    );
    let script = std::fs::read_to_string(dir.join("install.sh")).unwrap();
    let releases: Vec<&str> = script
        .lines()
        .filter_map(|l| l.strip_prefix("helm upgrade --install "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        releases,
        [
            "istio-base",
            "istiod-canary",
            "istio-cni",
            "ztunnel",
            "istio-ingressgateway"
        ]
    );
    assert!(script.contains("--take-ownership"), "{script}");
    let gateway = std::fs::read_to_string(dir.join("04-istio-ingressgateway.values.yaml")).unwrap();
    assert!(gateway.contains("name: istio-ingressgateway"), "{gateway}");
    assert!(gateway.contains("revision: canary"), "{gateway}");
    assert!(
        text(&out.stderr).contains("note: istio-ingressgateway:"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("wrote 5 Helm releases"),
        "{}",
        text(&out.stdout)
    );
    // The handover names every object the releases take over, and nothing but its identity.
    let handover = std::fs::read_to_string(dir.join("handover.yaml")).unwrap();
    assert!(
        handover.contains(
            "kind: Deployment\nmetadata:\n  name: istiod-canary\n  namespace: istio-system\n"
        ),
        "{handover}"
    );
    assert!(!handover.contains("spec:"), "{handover}");
}

#[test]
fn k8s_overlays_are_reported_not_dropped_silently() {
    let dir = TempDir::new("translate-k8s");
    let out = meshctl(&[
        "manifest",
        "translate",
        "--set",
        "components.pilot.k8s.replicaCount=3",
        "--output-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .contains("warning: components.pilot.k8s.replicaCount is not carried over"),
        "{}",
        text(&out.stderr)
    );
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(
        readme.contains("`components.pilot.k8s.replicaCount`"),
        "{readme}"
    );
}

#[test]
fn translate_needs_an_output_dir_and_valid_input() {
    let out = meshctl(&["manifest", "translate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--output-dir"),
        "{}",
        text(&out.stderr)
    );
    let dir = TempDir::new("translate-bad");
    let out = meshctl(&[
        "manifest",
        "translate",
        "--set",
        "values.pilot.replicaCont=2",
        "--output-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("replicaCount"),
        "{}",
        text(&out.stderr)
    );
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}
