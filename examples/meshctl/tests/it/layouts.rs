//! `manifest generate --output-dir DIR --layout kustomize|argocd|flux`: for every profile,
//! `kubectl kustomize DIR` renders exactly the objects of `manifest generate`, in order (null
//! fields and empty `metadata.annotations`/`labels` aside: kustomize drops them, and the API
//! server stores them as absent). Skipped with one printed line without kubectl.

use super::support::{meshctl, text};
use mesh_core::Value;
use mesh_test_support::TempDir;
use std::process::Command;

const PROFILES: &[&str] = &[
    "default",
    "demo",
    "minimal",
    "preview",
    "remote",
    "stable",
    "ambient",
    "openshift",
    "openshift-ambient",
];

/// The value without null map entries (what the API server stores for them).
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

fn objects(yaml: &str) -> Vec<Value> {
    mesh_core::from_yaml_stream(yaml, "stream")
        .unwrap()
        .iter()
        .filter(|v| !v.is_null())
        .map(|v| {
            let mut v = without_nulls(v);
            if let Some(Value::Object(md)) = v.get_mut("metadata") {
                md.retain(|k, v| {
                    !((k == "annotations" || k == "labels")
                        && v.as_object().is_some_and(|m| m.is_empty()))
                });
            }
            v
        })
        .collect()
}

#[test]
fn kubectl_kustomize_renders_the_objects_of_manifest_generate() {
    if !mesh_test_support::kube::kubectl_available() {
        return;
    }
    for profile in PROFILES {
        let set = format!("profile={profile}");
        let stream = meshctl(&["manifest", "generate", "--set", &set]);
        assert!(stream.status.success(), "{}", text(&stream.stderr));
        let dir = TempDir::new("layout-kustomize");
        let out_dir = dir.join("out");
        let out_dir = out_dir.to_str().unwrap();
        for layout in ["kustomize", "flux"] {
            let written = meshctl(&[
                "manifest",
                "generate",
                "--set",
                &set,
                "--output-dir",
                out_dir,
                "--layout",
                layout,
            ]);
            assert!(written.status.success(), "{}", text(&written.stderr));
            assert!(text(&written.stdout).contains("kubectl"), "{profile}");
            let rendered = Command::new(mesh_test_support::kube::kubectl_path())
                .args(["kustomize", out_dir])
                .output()
                .unwrap();
            assert!(
                rendered.status.success(),
                "{profile} {layout}: {}",
                text(&rendered.stderr)
            );
            assert!(
                objects(&text(&rendered.stdout)) == objects(&text(&stream.stdout)),
                "{profile} {layout}: kubectl kustomize differs from manifest generate"
            );
        }
    }
}

#[test]
fn argocd_layout_annotates_every_object_and_says_how_to_use_it() {
    let dir = TempDir::new("layout-argocd");
    let out_dir = dir.join("out");
    let out = meshctl(&[
        "manifest",
        "generate",
        "--output-dir",
        out_dir.to_str().unwrap(),
        "--layout",
        "argocd",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("argocd-ignore-differences.yaml"));
    let stages: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("0"))
        .collect();
    assert!(stages.len() >= 3);
    for stage in stages {
        for doc in objects(&mesh_test_support::read(&stage)) {
            assert!(
                doc["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"].is_string(),
                "{}: {doc}",
                stage.display()
            );
        }
    }
}

#[test]
fn a_layout_needs_an_output_dir_and_a_known_name() {
    let out = meshctl(&["manifest", "generate", "--layout", "kustomize"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--output-dir"),
        "{}",
        text(&out.stderr)
    );
    let dir = TempDir::new("layout-bad");
    let out = meshctl(&[
        "manifest",
        "generate",
        "--output-dir",
        dir.path().to_str().unwrap(),
        "--layout",
        "helm",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unknown layout \"helm\""),
        "{}",
        text(&out.stderr)
    );
}
