//! meshctl manifest generate/diff as a process: streams, staged folders, exit codes.

use super::support::{meshctl, text};
use mesh_test_support::TempDir;

#[test]
fn generate_default_starts_with_the_namespace_and_crds() {
    let out = meshctl(&["manifest", "generate"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let kinds: Vec<&str> = s.lines().filter_map(|l| l.strip_prefix("kind: ")).collect();
    assert_eq!(kinds.first(), Some(&"Namespace"));
    assert_eq!(kinds[1], "CustomResourceDefinition");
    assert!(kinds.contains(&"Deployment") && kinds.contains(&"MutatingWebhookConfiguration"));
    let mwc = kinds
        .iter()
        .position(|k| *k == "MutatingWebhookConfiguration")
        .unwrap();
    let svc = kinds.iter().position(|k| *k == "Service").unwrap();
    assert!(svc < mwc, "the webhook's Service comes before the webhook");
}

#[test]
fn no_namespace_and_revision_flags() {
    let out = meshctl(&["manifest", "generate", "--no-namespace", "-r", "canary"]);
    let s = text(&out.stdout);
    assert!(!s.contains("kind: Namespace"));
    assert!(s.contains("name: istiod-canary"));
}

#[test]
fn output_dir_writes_numbered_stages_and_prints_how_to_apply() {
    let tmp = TempDir::new("stages");
    let dir = tmp.path();
    let out = meshctl(&[
        "manifest",
        "generate",
        "--output-dir",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files.first().map(String::as_str),
        Some("00-namespaces-crds.yaml"),
        "{files:?}"
    );
    assert!(files.len() >= 3, "{files:?}");
    let hint = text(&out.stdout);
    assert!(
        hint.contains("kubectl apply -f") && hint.contains("condition=Established"),
        "{hint}"
    );
}

#[test]
fn manifest_diff_exit_codes() {
    let tmp = TempDir::new("diff");
    let dir = tmp.path();
    let a = dir.join("a.yaml");
    let b = dir.join("b.yaml");
    std::fs::write(&a, meshctl(&["manifest", "generate"]).stdout).unwrap();
    std::fs::write(
        &b,
        meshctl(&[
            "manifest",
            "generate",
            "--set",
            "values.pilot.replicaCount=3",
        ])
        .stdout,
    )
    .unwrap();
    let same = meshctl(&["manifest", "diff", a.to_str().unwrap(), a.to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(0));
    let diff = meshctl(&["manifest", "diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(diff.status.code(), Some(1));
    assert!(
        text(&diff.stdout).contains("replicaCount: 1 -> 3"),
        "{}",
        text(&diff.stdout)
    );
    let bad = meshctl(&["manifest", "diff", a.to_str().unwrap(), "/nonexistent.yaml"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("/nonexistent.yaml"));
}

#[test]
fn generate_bad_input_exits_2() {
    let out = meshctl(&[
        "manifest",
        "generate",
        "--set",
        "components.pilot.k8s.replicaCuont=2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("did you mean \"replicaCount\""),
        "{}",
        text(&out.stderr)
    );
    let out = meshctl(&["manifest", "generate", "--manifests", "/nonexistent-dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/nonexistent-dir"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn webhook_manifest_renders_the_server_and_rejects_bad_flags() {
    let out = meshctl(&[
        "x",
        "webhook-manifest",
        "--image",
        "r.example/mesh-webhook:1",
        "-r",
        "canary",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let kinds: Vec<&str> = s.lines().filter_map(|l| l.strip_prefix("kind: ")).collect();
    assert_eq!(kinds.first(), Some(&"Namespace"));
    assert_eq!(kinds.last(), Some(&"MutatingWebhookConfiguration"));
    for kind in [
        "Deployment",
        "Service",
        "ServiceAccount",
        "Certificate",
        "Issuer",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing: {kinds:?}");
    }
    assert!(s.contains("name: mesh-webhook-canary"));
    assert!(s.contains("--revision=canary"));

    let tmp = TempDir::new("webhook-ca");
    let ca = tmp.write("ca.pem", "not a certificate");
    let bad_cases: [&[&str]; 4] = [
        &["x", "webhook-manifest"],
        &[
            "x",
            "webhook-manifest",
            "--image",
            "i",
            "--issuer",
            "corp-ca",
        ],
        &[
            "x",
            "webhook-manifest",
            "--image",
            "i",
            "--ca-file",
            ca.to_str().unwrap(),
        ],
        &[
            "x",
            "webhook-manifest",
            "--image",
            "i",
            "--ca-file",
            "/nonexistent-ca.pem",
        ],
    ];
    let wants = ["--image", "Issuer/NAME", "PEM", "/nonexistent-ca.pem"];
    for (args, want) in bad_cases.iter().zip(wants) {
        let out = meshctl(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(want),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn webhook_manifest_url_renders_only_the_configuration_calling_that_url() {
    let tmp = TempDir::new("webhook-url");
    let cert = mesh_test_support::certs::with_names(&["127.0.0.1"]);
    let ca = tmp.write("ca.pem", &cert.cert_pem);
    let out = meshctl(&[
        "x",
        "webhook-manifest",
        "--url",
        "https://127.0.0.1:9443",
        "--ca-file",
        ca.to_str().unwrap(),
        "-r",
        "canary",
        "--with-config",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let kinds: Vec<&str> = s.lines().filter_map(|l| l.strip_prefix("kind: ")).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "ConfigMap",
            "ConfigMap",
            "MutatingWebhookConfiguration"
        ],
        "{s}"
    );
    let docs = mesh_core::from_yaml_stream(&s, "stdout").unwrap();
    let mwc = docs.last().unwrap();
    assert_eq!(mwc["metadata"]["name"], "mesh-webhook-canary");
    let hooks = mwc["webhooks"].as_array().unwrap();
    assert_eq!(hooks.len(), 2, "{s}");
    for hook in hooks {
        assert_eq!(hook["clientConfig"]["url"], "https://127.0.0.1:9443/inject");
        assert!(hook["clientConfig"].get("service").is_none(), "{hook}");
        let bundle = hook["clientConfig"]["caBundle"].as_str().unwrap();
        let pem = mesh_core::base64::decode(bundle).unwrap();
        assert_eq!(String::from_utf8(pem).unwrap(), cert.cert_pem.trim_end());
    }
    let names: Vec<&str> = docs[1..3]
        .iter()
        .map(|d| d["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["istio-canary", "istio-sidecar-injector-canary"]);

    let bad_cases: [&[&str]; 4] = [
        &["x", "webhook-manifest", "--url", "http://127.0.0.1:9443"],
        &[
            "x",
            "webhook-manifest",
            "--url",
            "https://127.0.0.1",
            "--issuer",
            "Issuer/ca",
        ],
        &[
            "x",
            "webhook-manifest",
            "--url",
            "https://127.0.0.1",
            "--image",
            "i",
        ],
        &["x", "webhook-manifest", "--url", "https://u@127.0.0.1/?q"],
    ];
    let wants = [
        "webhook server: url: expected https://",
        "--issuer",
        "--image",
        "url: expected https://",
    ];
    for (args, want) in bad_cases.iter().zip(wants) {
        let out = meshctl(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(want),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

/// A failed write to standard output (a full disk behind `>`) is an error, exit code 2;
/// istioctl reports success with a truncated manifest.
#[test]
fn generate_reports_a_failed_write_to_stdout() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        println!("skipping: /dev/full is not available");
        return;
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_meshctl"))
        .args(["manifest", "generate"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("<stdout>: cannot write"),
        "{}",
        text(&out.stderr)
    );
}

/// A reader that stops early (`| head`) is not an error: exit code 0 and nothing on stderr.
#[test]
fn generate_into_a_closed_pipe_is_not_an_error() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_meshctl"))
        .args(["manifest", "generate"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The manifest (about 1 MB) is larger than a pipe holds, so a write meets the closed end.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
}
