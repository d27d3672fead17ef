//! Differential tests against Istio's own charts: for a fixed sample of configurations (chart
//! features of Istio 1.28-1.30 and the fidelity classes fixed so far), Istio 1.30.3's expected
//! `manifest generate` output is rendered at test time by `../shared/tools/reference-render`
//! (Helm + Istio's charts) and compared with meshctl's by the conformance scorer
//! (`../shared/tools/conformance.py`: object for object, in order). Nothing rendered by Istio is
//! stored in the project. Skipped with one printed line when the tools, Python's YAML module or
//! Helm are not available.

use mesh_test_support::TempDir;
use std::path::Path;
use std::process::Command;

/// (case name, istioctl arguments).
const CASES: &[(&str, &[&str])] = &[
    // Valid 1.30 values istioctl accepts.
    (
        "validation-failure-policy",
        &["--set", "values.base.validationFailurePolicy=Fail"],
    ),
    (
        "traffic-distribution",
        &["--set", "values.pilot.trafficDistribution=PreferClose"],
    ),
    (
        "pdb-max-unavailable",
        &["--set", "values.pilot.pdb.maxUnavailable=1"],
    ),
    (
        "proxy-variant",
        &["--set", "values.global.proxy.variant=distroless"],
    ),
    (
        "egress-values-switch",
        &["--set", "values.gateways.istio-egressgateway.enabled=true"],
    ),
    // The revision carried to every component.
    (
        "ambient-revision",
        &["--set", "profile=ambient", "--set", "revision=canary"],
    ),
    // Fields Istio leaves out; objects Istio renders (or not).
    (
        "network-policy",
        &["--set", "values.global.networkPolicy.enabled=true"],
    ),
    (
        "network-policy-ambient",
        &[
            "--set",
            "profile=ambient",
            "--set",
            "values.global.networkPolicy.enabled=true",
        ],
    ),
    (
        "revision-tags",
        &[
            "--set",
            "revision=canary",
            "--set",
            "values.revisionTags[0]=prod",
        ],
    ),
    (
        "resource-scope-cluster",
        &["--set", "values.global.resourceScope=cluster"],
    ),
    (
        "resource-scope-namespace",
        &["--set", "values.global.resourceScope=namespace"],
    ),
    (
        "cni-owned-config",
        &[
            "--set",
            "components.cni.enabled=true",
            "--set",
            "values.cni.istioOwnedCNIConfig=true",
        ],
    ),
    // Classes the seeded differential run found (scripts/differential.sh, docs/differential.md).
    (
        "gateway-injection-template",
        &[
            "--set",
            "values.gateways.istio-ingressgateway.injectionTemplate=gateway",
        ],
    ),
    (
        "gateway-hpa-cpu-only",
        &[
            "--set",
            "values.gateways.istio-ingressgateway.memory.targetAverageUtilization=70",
        ],
    ),
    (
        "remote-pilot-address-primary",
        &[
            "--set",
            "values.global.remotePilotAddress=istiod.example.com",
        ],
    ),
    (
        "remote-config-cluster",
        &[
            "--set",
            "profile=remote",
            "--set",
            "values.global.configCluster=true",
        ],
    ),
    (
        "remote-pilot-ipv6",
        &[
            "--set",
            "profile=remote",
            "--set",
            "values.global.remotePilotAddress=fd00::7",
        ],
    ),
    (
        "no-reader-rbac",
        &["--set", "values.global.enableReaderRBAC=false"],
    ),
    (
        "cni-env",
        &[
            "--set",
            "components.cni.enabled=true",
            "--set",
            "values.cni.env.FOO=bar",
        ],
    ),
    (
        "ambient-scope-cluster",
        &[
            "--set",
            "profile=ambient",
            "--set",
            "values.global.resourceScope=cluster",
        ],
    ),
    (
        "ambient-scope-namespace",
        &[
            "--set",
            "profile=ambient",
            "--set",
            "values.global.resourceScope=namespace",
        ],
    ),
    (
        "ztunnel-peer-ca-crl",
        &[
            "--set",
            "profile=ambient",
            "--set",
            "values.ztunnel.peerCaCrl.enabled=true",
        ],
    ),
    (
        "cni-k3s",
        &[
            "--set",
            "components.cni.enabled=true",
            "--set",
            "values.global.platform=k3s",
        ],
    ),
];

/// The folder of the shared tools, or `None` with one printed line.
fn tools() -> Option<std::path::PathBuf> {
    let dir = mesh_test_support::workspace_root().join("../shared/tools");
    let ok =
        dir.join("reference-render/render.sh").is_file() && dir.join("conformance.py").is_file();
    let yaml = Command::new("python3")
        .args(["-c", "import yaml"])
        .status()
        .is_ok_and(|s| s.success());
    if ok && yaml {
        Some(dir)
    } else {
        eprintln!(
            "skipping: reference-render, conformance.py or python3 with PyYAML not available"
        );
        None
    }
}

/// Renders the expected output of one case into `dir/<name>/`; false when Helm is unavailable.
fn render_case(tools: &Path, dir: &Path, name: &str, args: &[&str]) -> bool {
    let case = dir.join(name);
    std::fs::create_dir_all(&case).unwrap();
    std::fs::write(case.join("args"), args.join("\n") + "\n").unwrap();
    let out = Command::new(tools.join("reference-render/render.sh"))
        .args(args)
        .output()
        .unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("helm") || err.contains("pip") {
            eprintln!("skipping: Helm could not be installed for reference-render: {err}");
            return false;
        }
        panic!("reference-render failed for {name}: {err}");
    }
    std::fs::write(case.join("expected.yaml"), &out.stdout).unwrap();
    true
}

#[test]
fn sample_matches_istios_charts() {
    let Some(tools) = tools() else { return };
    let dir = TempDir::new("differential");
    for (name, args) in CASES {
        if !render_case(&tools, dir.path(), name, args) {
            return;
        }
    }
    let out = Command::new("python3")
        .arg(tools.join("conformance.py"))
        .args([
            "manifest",
            "--strict-order",
            "-v",
            "--cli",
            env!("CARGO_BIN_EXE_meshctl"),
            "--cases",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    let failed: Vec<&str> = report
        .lines()
        .filter(|l| {
            l.starts_with("FAIL")
                || (l.starts_with("    ") && !l.contains("CustomResourceDefinition"))
        })
        .collect();
    assert!(
        report.contains(&format!("{} passed, 0 failed", CASES.len())),
        "mesh differs from Istio's charts:\n{}\n{}",
        failed.join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `meshctl tag generate TAG -r REV` prints exactly the objects Istio's istiod chart renders for
/// `values.revisionTags` with that revision (the tag's webhook configuration and Service).
#[test]
fn tag_generate_matches_istios_revision_tags() {
    let Some(tools) = tools() else { return };
    let pairs: &[(&str, &str, &[&str])] = &[
        ("prod", "canary", &[]),
        ("default", "canary", &[]),
        (
            "stable",
            "1-30-3",
            &[
                "--set",
                "values.sidecarInjectorWebhook.enableNamespacesByDefault=true",
            ],
        ),
        ("prod", "default", &["--set", "profile=minimal"]),
    ];
    for (tag, revision, extra) in pairs {
        let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let rev = if *revision == "default" { "" } else { revision };
        args.extend(["--set".into(), format!("revision={rev}")]);
        args.extend(["--set".into(), format!("values.revisionTags[0]={tag}")]);
        let expected = Command::new(tools.join("reference-render/render.sh"))
            .args(&args)
            .output()
            .unwrap();
        if !expected.status.success() {
            let err = String::from_utf8_lossy(&expected.stderr);
            if err.contains("helm") || err.contains("pip") {
                eprintln!("skipping: Helm could not be installed for reference-render: {err}");
                return;
            }
            panic!("reference-render {args:?}: {err}");
        }
        let tagged = |yaml: &[u8]| -> Vec<mesh_core::Value> {
            mesh_core::from_yaml_stream(&String::from_utf8_lossy(yaml), "stream")
                .unwrap()
                .into_iter()
                .filter(|d| {
                    d.pointer("/metadata/labels/istio.io~1tag")
                        .and_then(|v| v.as_str())
                        == Some(tag)
                })
                .collect()
        };
        let mut mine_args = vec!["tag", "generate", tag, "-r", revision];
        mine_args.extend(extra.iter().copied());
        let mine = Command::new(env!("CARGO_BIN_EXE_meshctl"))
            .args(&mine_args)
            .output()
            .unwrap();
        assert!(
            mine.status.success(),
            "{mine_args:?}: {}",
            String::from_utf8_lossy(&mine.stderr)
        );
        let (mut want, mut got) = (tagged(&expected.stdout), tagged(&mine.stdout));
        assert_eq!(
            want.len(),
            2,
            "{tag} -> {revision}: Istio renders a webhook and a Service"
        );
        let key = |d: &mesh_core::Value| format!("{}/{}", d["kind"], d["metadata"]["name"]);
        want.sort_by_key(key);
        got.sort_by_key(key);
        assert!(
            want == got,
            "{tag} -> {revision}: meshctl tag generate differs from Istio's chart"
        );
    }
}
