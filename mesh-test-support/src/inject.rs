//! The injector inputs of the reference corpus, raw: a settings folder's files and the pods of a
//! kube-inject input as the webhook would receive them. Each test builds its own injector from
//! them (this crate does not depend on mesh-inject).

use mesh_core::Value;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

use crate::read;

/// The three inputs of an injector, as the files of a settings folder hold them.
#[derive(Clone)]
pub struct Settings {
    /// `inject-config.yaml`, as text (policy, selectors, templates with Istio's bodies).
    pub config_text: String,
    /// `values.json`.
    pub values: Value,
    /// `mesh.yaml`.
    pub mesh: Value,
    /// The `templates` of `inject-config.yaml`: name to body.
    templates: BTreeMap<String, String>,
}

impl Settings {
    /// Reads a settings folder (`inject-config.yaml`, `values.json`, `mesh.yaml`).
    pub fn load(dir: &Path) -> Settings {
        let config_text = read(&dir.join("inject-config.yaml"));
        let config = mesh_core::from_yaml_str(&config_text, "inject-config.yaml").unwrap();
        let templates = config["templates"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(name, body)| Some((name.clone(), body.as_str()?.to_string())))
            .collect();
        let values = mesh_core::from_yaml_str(&read(&dir.join("values.json")), "values").unwrap();
        let mesh = mesh_core::from_yaml_str(&read(&dir.join("mesh.yaml")), "mesh.yaml").unwrap();
        Settings {
            config_text,
            values,
            mesh,
            templates,
        }
    }

    /// The settings folder a case names (`settings:` in its `case.yaml`).
    pub fn of_case(case_dir: &Path, case: &Value) -> Settings {
        Settings::load(&case_dir.join(case["settings"].as_str().unwrap()))
    }

    /// The mesh config as text (JSON is YAML: a possibly edited tree goes through the same
    /// parser as the file).
    pub fn mesh_text(&self) -> String {
        serde_json::to_string(&self.mesh).unwrap()
    }

    /// Istio's body of a template, if the settings have it.
    pub fn template(&self, name: &str) -> Option<&str> {
        self.templates.get(name).map(String::as_str)
    }

    /// Istio's body of a template (read from the reference settings, never stored in mesh).
    pub fn istio_body(&self, name: &str) -> &str {
        self.template(name)
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
