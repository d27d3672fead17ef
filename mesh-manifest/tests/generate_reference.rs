//! End to end: every reference case's arguments through resolve -> render -> k8s -> order, compared
//! object by object with what istioctl 1.30.3 prints (the scorer's rules: ConfigMap documents
//! compared parsed, injector template bodies by name, CRDs without schemas; the Namespace mesh
//! adds is allowed). Plus reviewed snapshots of each profile's non-CRD objects. The reference
//! comparison is skipped when `../shared/reference` is absent; the snapshots are not.

use mesh_core::{Value, from_yaml_stream};
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_manifest::{Object, yaml_stream};
use mesh_profiles::{BUILTIN, InputFile, Inputs, resolve};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn reference() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/manifest");
    dir.is_dir().then_some(dir)
}

/// Builds resolver inputs from a case's `args` file (one argument per line).
fn inputs_from_args(case: &Path) -> Inputs {
    let args = std::fs::read_to_string(case.join("args")).unwrap_or_default();
    let mut it = args.lines().filter(|l| !l.is_empty());
    let mut inputs = Inputs::default();
    let mut revision = None;
    while let Some(a) = it.next() {
        let v = it
            .next()
            .unwrap_or_else(|| panic!("{}: {a} without value", case.display()));
        match a {
            "--set" | "-s" => inputs.set_flags.push(v.to_string()),
            "-f" | "--filename" => inputs.files.push(InputFile {
                name: v.into(),
                text: std::fs::read_to_string(case.join(v)).unwrap(),
            }),
            "-r" | "--revision" => revision = Some(v.to_string()),
            other => panic!("{}: unexpected argument {other}", case.display()),
        }
    }
    if let Some(r) = revision {
        inputs.set_flags.push(format!("revision={r}"));
    }
    inputs
}

fn key(v: &Value) -> (String, String, String, String) {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let api = s("/apiVersion");
    let group = api
        .rsplit_once('/')
        .map(|(g, _)| g.to_string())
        .unwrap_or_default();
    (
        group,
        s("/kind"),
        s("/metadata/namespace"),
        s("/metadata/name"),
    )
}

/// The scorer's normalisations.
fn normalise(mut v: Value) -> Value {
    let kind = v
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let name = v
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if kind == "ConfigMap"
        && let Some(Value::Object(data)) = v.get_mut("data")
    {
        for (k, val) in data.iter_mut() {
            let Value::String(text) = val else { continue };
            if name.starts_with("istio-sidecar-injector") && k == "config" {
                let mut cfg = mesh_core::from_yaml_str(text, "config").unwrap();
                if let Some(Value::Object(t)) = cfg.get_mut("templates") {
                    for body in t.values_mut() {
                        *body = Value::from("<body>");
                    }
                }
                *val = cfg;
            } else if text.contains('\n') || text.trim_start().starts_with(['{', '[']) {
                let parsed = serde_json::from_str::<Value>(text)
                    .ok()
                    .or_else(|| mesh_core::from_yaml_str(text, k).ok());
                if let Some(doc) = parsed.filter(|d| d.is_object() || d.is_array()) {
                    *val = doc;
                }
            }
        }
    }
    if kind == "CustomResourceDefinition"
        && let Some(Value::Array(versions)) = v.pointer_mut("/spec/versions")
    {
        for ver in versions {
            if let Value::Object(m) = ver {
                m.remove("schema");
            }
        }
    }
    v
}

fn generate_case(inputs: &Inputs) -> Vec<Object> {
    let resolved = resolve(inputs).unwrap();
    generate(&resolved, &GenerateOptions::default())
        .unwrap()
        .into_objects()
}

#[test]
fn every_reference_case_matches_istioctl() {
    let Some(dir) = reference() else {
        eprintln!("skipped: no reference corpus");
        return;
    };
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 40, "expected the 40 visible cases");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let want: BTreeMap<_, _> = from_yaml_stream(
            &std::fs::read_to_string(case.join("expected.yaml")).unwrap(),
            "expected",
        )
        .unwrap()
        .into_iter()
        .map(|v| (key(&v), normalise(v)))
        .collect();
        let got: BTreeMap<_, _> = generate_case(&inputs_from_args(case))
            .into_iter()
            .filter(|o| o.kind() != "Namespace")
            .map(|o| (key(&o.value), normalise(o.into_value())))
            .collect();
        for (k, w) in &want {
            match got.get(k) {
                None => failures.push(format!("{name}: missing {k:?}")),
                Some(g) if g != w => failures.push(format!("{name}: differs {k:?}")),
                Some(_) => {}
            }
        }
        for k in got.keys().filter(|k| !want.contains_key(*k)) {
            failures.push(format!("{name}: extra {k:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn profile_snapshots_without_crds() {
    for (profile, _) in BUILTIN {
        let objects = generate_case(&Inputs::with_sets([format!("profile={profile}")]));
        let non_crd: Vec<&Object> = objects
            .iter()
            .filter(|o| o.kind() != "CustomResourceDefinition")
            .collect();
        insta::assert_snapshot!(format!("manifest_{profile}"), yaml_stream(non_crd));
    }
}

#[test]
fn crd_names_and_versions_snapshot() {
    let objects = generate_case(&Inputs::default());
    let summary: Vec<String> = objects
        .iter()
        .filter(|o| o.kind() == "CustomResourceDefinition")
        .map(|o| {
            let versions: Vec<String> = o
                .value
                .pointer("/spec/versions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|v| {
                    format!(
                        "{}{}",
                        v["name"].as_str().unwrap_or(""),
                        if v["storage"] == true { "*" } else { "" }
                    )
                })
                .collect();
            format!("{} {}", o.name(), versions.join(","))
        })
        .collect();
    insta::assert_snapshot!("crds_default", summary.join("\n"));
}
