//! Helpers of the injection template tests: a reference settings folder's injector inputs and
//! the pods of a kube-inject input as the webhook would receive them.

use std::path::Path;

use mesh_core::Value;
use mesh_inject::{InjectConfig, Injector, MeshConfig, NativeSidecars};
use mesh_test_support::read;
use serde_json::json;

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
fn pods_of(doc: &Value, out: &mut Vec<Value>) {
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
