//! Loading the Istio 1.30.3 reference corpus (`<workspace>/../shared/reference`) for tests:
//! the corpus folder (absent in a user's clone: the tests skip), a settings folder's injector
//! inputs, and the pods of a kube-inject input as the webhook would receive them.
//!
//! Shared by mesh-inject's tests and, through `#[path]`, by mesh-manifest's template tests.

#![allow(dead_code)] // each test file uses part of the support
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use mesh_core::Value;
use mesh_inject::{InjectConfig, Injector, MeshConfig, NativeSidecars};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The reference corpus folder, or `None` (with a note on stderr) when it is absent.
pub fn reference() -> Option<PathBuf> {
    // Both crates sit one level below the workspace root.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference");
    if dir.join("inject").is_dir() && dir.join("settings").is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: reference corpus not found at {}", dir.display());
        None
    }
}

/// The inject cases folder of the corpus, or `None` when absent.
pub fn corpus() -> Option<PathBuf> {
    reference().map(|r| r.join("inject"))
}

/// A file's text; a missing file fails the test naming it.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The case folders of the inject corpus with their parsed `case.yaml`, sorted by name.
pub fn cases(corpus: &Path) -> Vec<(String, PathBuf, Value)> {
    let mut out: Vec<_> = std::fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.yaml").exists())
        .map(|p| {
            let case = mesh_core::from_yaml_str(&read(&p.join("case.yaml")), "case").unwrap();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, p, case)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The three inputs of an injector, as the files of a settings folder hold them.
#[derive(Clone)]
pub struct Settings {
    /// `inject-config.yaml`: policy, selectors, templates (Istio's bodies).
    pub config: InjectConfig,
    /// `values.json`.
    pub values: Value,
    /// `mesh.yaml`.
    pub mesh: Value,
}

impl Settings {
    /// Reads a settings folder.
    pub fn load(dir: &Path) -> Settings {
        let config: InjectConfig = serde_saphyr::from_str(&read(&dir.join("inject-config.yaml")))
            .expect("inject-config.yaml");
        let values = mesh_core::from_yaml_str(&read(&dir.join("values.json")), "values").unwrap();
        let mesh = mesh_core::from_yaml_str(&read(&dir.join("mesh.yaml")), "mesh.yaml").unwrap();
        Settings {
            config,
            values,
            mesh,
        }
    }

    /// The settings folder a case names.
    pub fn of_case(case_dir: &Path, case: &Value) -> Settings {
        Settings::load(&case_dir.join(case["settings"].as_str().unwrap()))
    }

    /// The injector of these settings, with native sidecars on or off.
    pub fn injector(&self, native: bool) -> Injector {
        // JSON is YAML: the (possibly edited) tree goes through the same parser as the file.
        let mesh_text = serde_json::to_string(&self.mesh).unwrap();
        let mesh = MeshConfig::from_yaml(&mesh_text, "mesh.yaml").unwrap();
        let native = if native {
            NativeSidecars::Enabled
        } else {
            NativeSidecars::Disabled
        };
        Injector::new(self.config.clone(), self.values.clone(), mesh, "", native).unwrap()
    }

    /// Istio's body of a template (read from the reference settings, never stored in mesh).
    pub fn istio_body(&self, name: &str) -> &str {
        self.config
            .templates
            .get(name)
            .unwrap_or_else(|| panic!("settings have no template {name}"))
    }
}

/// The injector a case runs with (its settings and native-sidecar mode).
pub fn case_injector(case_dir: &Path, case: &Value) -> Injector {
    Settings::of_case(case_dir, case).injector(case["native_sidecars"].as_bool().unwrap_or(false))
}

/// Workload kinds whose pod template sits at `spec.template`.
const TEMPLATE_KINDS: [&str; 7] = [
    "Deployment",
    "DaemonSet",
    "ReplicaSet",
    "StatefulSet",
    "Job",
    "ReplicationController",
    "DeploymentConfig",
];

/// The pods of a kube-inject input document as the webhook would receive them: a pod template
/// gets the workload's namespace, a generated name and a controller owner reference, so the
/// template data carries the workload's kind and name.
pub fn pods_of(doc: &Value, out: &mut Vec<Value>) {
    let kind = doc["kind"].as_str().unwrap_or("");
    let template = match kind {
        "Pod" => {
            out.push(doc.clone());
            return;
        }
        "List" => {
            for item in doc["items"].as_array().into_iter().flatten() {
                pods_of(item, out);
            }
            return;
        }
        "CronJob" => &doc["spec"]["jobTemplate"]["spec"]["template"],
        k if TEMPLATE_KINDS.contains(&k) => &doc["spec"]["template"],
        _ => return,
    };
    if !template.is_object() {
        return;
    }
    let mut pod = json!({"metadata": template.get("metadata").cloned().unwrap_or(json!({})),
                          "spec": template.get("spec").cloned().unwrap_or(json!({}))});
    let name = doc["metadata"]["name"].as_str().unwrap_or("");
    let meta = pod["metadata"].as_object_mut().unwrap();
    if let Some(ns) = doc["metadata"]["namespace"].as_str() {
        meta.insert("namespace".into(), json!(ns));
    }
    if !name.is_empty() {
        meta.insert("generateName".into(), json!(format!("{name}-")));
        meta.insert(
            "ownerReferences".into(),
            json!([{"apiVersion": doc["apiVersion"], "kind": kind, "name": name, "controller": true}]),
        );
    }
    out.push(pod);
}

/// The pods of a kube-inject input (a YAML stream).
pub fn input_pods(text: &str) -> Vec<Value> {
    let mut pods = Vec::new();
    for doc in mesh_core::from_yaml_stream(text, "input.yaml").unwrap() {
        pods_of(&doc, &mut pods);
    }
    pods
}
