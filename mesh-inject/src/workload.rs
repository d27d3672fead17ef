//! kube-inject: sidecar injection into the pod templates of workload documents (Pod,
//! Deployment, DaemonSet, ReplicaSet, StatefulSet, Job, CronJob, ReplicationController,
//! DeploymentConfig and v1 List); other kinds pass through unchanged, host-network and opted-out
//! workloads are skipped with a warning.

use crate::annotations as ann;
use crate::error::{InjectError, InputProblem};
use crate::injector::{Injector, Request};
use crate::normalize;
use crate::pod::{PodContext, deploy_meta_from_pod};
use crate::render::Mode;
use crate::template_data::{DeployMeta, TypeMeta};
use mesh_core::Value;
use serde_json::json;

/// One output document of kube-inject.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    /// A workload (injected, or skipped with a warning), in the shape Kubernetes prints it.
    Object(Value),
    /// A document of a kind kube-inject does not handle, as it was written.
    Unchanged(String),
}

impl Document {
    /// The document as YAML text (no leading `---`).
    pub fn to_yaml(&self) -> String {
        match self {
            Document::Object(v) => mesh_core::to_yaml_string(v),
            Document::Unchanged(text) => {
                let mut t = text.trim_matches('\n').to_string();
                t.push('\n');
                t
            }
        }
    }
}

/// The result of kube-inject over a YAML stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KubeInjectOutput {
    /// The output documents, in input order.
    pub documents: Vec<Document>,
    /// Warnings (skipped workloads), one line each.
    pub warnings: Vec<String>,
}

impl KubeInjectOutput {
    /// The documents as one YAML stream, each followed by `---`.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        for d in &self.documents {
            out.push_str(&d.to_yaml());
            out.push_str("---\n");
        }
        out
    }
}

/// `spec.template`: where most workload kinds keep their pod template.
pub const POD_TEMPLATE_PATH: &[&str] = &["spec", "template"];

/// The value at `path` (keys) in `object` when it is a map: the pod template at a
/// [`WorkloadKind::pod_template_path`], or at [`POD_TEMPLATE_PATH`] for a kind kube-inject does
/// not know.
pub fn pod_template_at<'v>(object: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter()
        .try_fold(object, |v, k| v.get(k))
        .filter(|v| v.is_object())
}

/// The workload kinds kube-inject handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    /// `v1` Pod: the object is the pod.
    Pod,
    /// `apps/v1` (or `apps/v1beta1`, `apps/v1beta2`, `extensions/v1beta1`) Deployment.
    Deployment,
    /// `apps/v1` (and beta versions) DaemonSet.
    DaemonSet,
    /// `apps/v1` (and beta versions) ReplicaSet.
    ReplicaSet,
    /// `apps/v1` (and beta versions) StatefulSet.
    StatefulSet,
    /// `batch/v1` Job.
    Job,
    /// `batch/v1` or `batch/v1beta1` CronJob: the pod template is in the job template.
    CronJob,
    /// `v1` ReplicationController.
    ReplicationController,
    /// OpenShift's DeploymentConfig (`apps.openshift.io/v1` or `v1`).
    DeploymentConfig,
    /// `v1` List: its `items` are workloads of their own.
    List,
}

impl WorkloadKind {
    /// The kind kube-inject handles for an object of `api_version` and `kind`; `None` for other
    /// kinds, which pass through untouched.
    pub fn of(api_version: &str, kind: &str) -> Option<WorkloadKind> {
        let apps = matches!(
            api_version,
            "apps/v1" | "apps/v1beta1" | "apps/v1beta2" | "extensions/v1beta1"
        );
        let known = match (api_version, kind) {
            ("v1", "Pod" | "List" | "ReplicationController")
            | ("v1" | "apps.openshift.io/v1", "DeploymentConfig")
            | ("batch/v1", "Job")
            | ("batch/v1" | "batch/v1beta1", "CronJob") => true,
            (_, "Deployment" | "DaemonSet" | "ReplicaSet" | "StatefulSet") => apps,
            _ => false,
        };
        known.then(|| WorkloadKind::of_kind(kind)).flatten()
    }

    /// The kind named `kind`, whatever its apiVersion.
    pub fn of_kind(kind: &str) -> Option<WorkloadKind> {
        Some(match kind {
            "Pod" => WorkloadKind::Pod,
            "Deployment" => WorkloadKind::Deployment,
            "DaemonSet" => WorkloadKind::DaemonSet,
            "ReplicaSet" => WorkloadKind::ReplicaSet,
            "StatefulSet" => WorkloadKind::StatefulSet,
            "Job" => WorkloadKind::Job,
            "CronJob" => WorkloadKind::CronJob,
            "ReplicationController" => WorkloadKind::ReplicationController,
            "DeploymentConfig" => WorkloadKind::DeploymentConfig,
            "List" => WorkloadKind::List,
            _ => return None,
        })
    }

    /// The keys from an object of this kind to its pod template: none for a Pod (the object
    /// itself), `spec.jobTemplate.spec.template` for a CronJob, [`POD_TEMPLATE_PATH`] for the
    /// others; `None` for a List.
    pub fn pod_template_path(self) -> Option<&'static [&'static str]> {
        match self {
            WorkloadKind::Pod => Some(&[]),
            WorkloadKind::CronJob => Some(&["spec", "jobTemplate", "spec", "template"]),
            WorkloadKind::List => None,
            WorkloadKind::Deployment
            | WorkloadKind::DaemonSet
            | WorkloadKind::ReplicaSet
            | WorkloadKind::StatefulSet
            | WorkloadKind::Job
            | WorkloadKind::ReplicationController
            | WorkloadKind::DeploymentConfig => Some(POD_TEMPLATE_PATH),
        }
    }

    /// The pod template of `object` (an object of this kind), when it is a map.
    pub fn pod_template(self, object: &Value) -> Option<&Value> {
        pod_template_at(object, self.pod_template_path()?)
    }

    /// The JSON pointers kube-inject takes the pod's metadata and spec from (and puts them back
    /// at): the pod template's, except that for a CronJob istioctl takes the job template's
    /// metadata (`spec.jobTemplate.metadata`).
    fn kube_inject_pointers(self) -> (String, String) {
        let template: String = self
            .pod_template_path()
            .unwrap_or(POD_TEMPLATE_PATH)
            .iter()
            .map(|k| format!("/{k}"))
            .collect();
        let metadata = match self {
            WorkloadKind::CronJob => "/spec/jobTemplate/metadata".to_string(),
            _ => format!("{template}/metadata"),
        };
        (metadata, format!("{template}/spec"))
    }

    /// Where the pod template is, for error messages.
    fn location(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "metadata",
            WorkloadKind::CronJob => "spec.jobTemplate",
            _ => "spec.template",
        }
    }
}

fn str_at<'a>(v: &'a Value, path: &str) -> &'a str {
    at(v, path).and_then(Value::as_str).unwrap_or("")
}

/// The value at a `/`-separated path of plain keys (cheaper than a JSON pointer: the keys
/// here never need `~` escapes).
fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.trim_start_matches('/')
        .split('/')
        .try_fold(v, |cur, k| cur.get(k))
}

/// [`at`] for changing the value.
fn at_mut<'a>(v: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    path.trim_start_matches('/')
        .split('/')
        .try_fold(v, |cur, k| cur.get_mut(k))
}

/// Splits a YAML stream into document texts at `---` separator lines.
fn split_documents(text: &str) -> Vec<String> {
    let mut docs = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let is_separator =
            line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace);
        if is_separator {
            docs.push(std::mem::take(&mut cur));
            let rest = line[3..].trim();
            if !rest.is_empty() && !rest.starts_with('#') {
                cur.push_str(rest);
                cur.push('\n');
            }
            continue;
        }
        if line.starts_with("...") && line.trim() == "..." {
            continue;
        }
        cur.push_str(line);
        cur.push('\n');
    }
    docs.push(cur);
    docs
}

impl Injector {
    /// kube-inject over a YAML stream: every workload document gets the sidecar; `source_name`
    /// names the input in errors.
    pub fn kube_inject(
        &self,
        text: &str,
        source_name: &str,
    ) -> Result<KubeInjectOutput, InjectError> {
        self.kube_inject_in(text, source_name, &PodContext::default())
    }

    /// [`Injector::kube_inject`] with namespace-dependent inputs (e.g. OpenShift UID ranges).
    pub fn kube_inject_in(
        &self,
        text: &str,
        source_name: &str,
        context: &PodContext,
    ) -> Result<KubeInjectOutput, InjectError> {
        let mut out = KubeInjectOutput::default();
        for (i, doc) in split_documents(text).into_iter().enumerate() {
            let value = mesh_core::from_yaml_str(&doc, source_name).map_err(|e| {
                let location = format!("document {}", i + 1);
                InjectError::input(source_name, location, InputProblem::Yaml(e))
            })?;
            if value.is_null() {
                continue;
            }
            let api_version = str_at(&value, "/apiVersion");
            let kind = str_at(&value, "/kind");
            if WorkloadKind::of(api_version, kind).is_none() {
                out.documents.push(Document::Unchanged(doc));
                continue;
            }
            let name = str_at(&value, "/metadata/name");
            let location = format!("document {} ({kind} {name})", i + 1);
            let injected = self
                .kube_inject_object_in(&value, &mut out.warnings, context)
                .map_err(|e| e.at(source_name, location))?;
            out.documents.push(Document::Object(injected));
        }
        Ok(out)
    }

    /// kube-inject of one parsed object; objects of other kinds are returned unchanged.
    pub fn kube_inject_object(
        &self,
        obj: &Value,
        warnings: &mut Vec<String>,
    ) -> Result<Value, InjectError> {
        self.kube_inject_object_in(obj, warnings, &PodContext::default())
    }

    /// [`Injector::kube_inject_object`] with namespace-dependent inputs.
    pub fn kube_inject_object_in(
        &self,
        obj: &Value,
        warnings: &mut Vec<String>,
        context: &PodContext,
    ) -> Result<Value, InjectError> {
        let api_version = str_at(obj, "/apiVersion").to_string();
        let kind = str_at(obj, "/kind").to_string();
        let Some(workload) = WorkloadKind::of(&api_version, &kind) else {
            return Ok(obj.clone());
        };
        if !obj.is_object() {
            let rule = InputProblem::Rule("expected an object".to_string());
            return Err(InjectError::input("input", "(root)", rule));
        }
        let mut out = obj.clone();
        if workload == WorkloadKind::List {
            if let Some(Value::Array(items)) = out.get_mut("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    *item = self
                        .kube_inject_object_in(item, warnings, context)
                        .map_err(|e| e.at("", format!("items[{i}]")))?;
                }
            }
            ensure_object(&mut out, "metadata");
            return Ok(out);
        }
        let type_meta = TypeMeta {
            api_version: api_version.clone(),
            kind: kind.clone(),
        };
        let (meta_ptr, spec_ptr) = workload.kube_inject_pointers();
        let has_template = workload.pod_template(&out).is_some();
        if workload.pod_template_path() == Some(POD_TEMPLATE_PATH) && !has_template {
            let rule = InputProblem::Rule("spec.template is required value".to_string());
            return Err(InjectError::input("input", "spec.template", rule));
        }
        let mut take_at = |ptr: &str| {
            at_mut(&mut out, ptr)
                .map(Value::take)
                .filter(Value::is_object)
                .unwrap_or_else(|| json!({}))
        };
        let (meta, spec) = (take_at(&meta_ptr), take_at(&spec_ptr));
        let pod = crate::template_data::object([("metadata", meta), ("spec", spec)]);
        let (deploy, pod_type) = if workload == WorkloadKind::Pod {
            deploy_meta_from_pod(&pod)
        } else {
            (
                DeployMeta {
                    name: str_at(&out, "/metadata/name").to_string(),
                    namespace: str_at(&out, "/metadata/namespace").to_string(),
                },
                type_meta.clone(),
            )
        };
        let name = non_empty(str_at(&pod, "/metadata/name"), &deploy.name);
        let full_name = if deploy.namespace.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", deploy.namespace)
        };
        let host_network = at(&pod, "/spec/hostNetwork") == Some(&json!(true));
        if !host_network {
            // istioctl applies the proxy config annotation before its opt-out check, so a bad
            // one fails even on an opted-out workload.
            self.check_proxy_config_annotation(&pod)
                .map_err(|e| e.at("", workload.location()))?;
        }
        let skip_reason = if host_network {
            Some("has host networking enabled")
        } else if !injection_enabled(&pod) {
            Some("has sidecar injection disabled")
        } else {
            None
        };
        let mut injected = match skip_reason {
            Some(reason) => {
                warnings.push(format!(
                    "===> Skipping injection because {kind} {full_name:?} {reason}"
                ));
                let mut p = pod;
                normalize_skipped(&mut p)?;
                p
            }
            None => self
                .inject(Request {
                    pod,
                    deploy,
                    type_meta: pod_type,
                    mode: Mode::KubeInject,
                    context,
                })
                .map_err(|e| match workload {
                    WorkloadKind::Pod => e,
                    _ => e.at("", workload.location()),
                })?,
        };
        let mut take = |key: &str| {
            injected
                .get_mut(key)
                .map(Value::take)
                .unwrap_or_else(|| json!({}))
        };
        let (meta, spec) = (take("metadata"), take("spec"));
        set_at(&mut out, &meta_ptr, meta);
        set_at(&mut out, &spec_ptr, spec);
        add_go_defaults(&mut out, &api_version, &kind);
        Ok(out)
    }
}

fn non_empty<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.is_empty() { b } else { a }
}

/// kube-inject's own opt-out check: the `sidecar.istio.io/inject` label (preferred) or
/// annotation, and the Kubernetes system namespaces.
fn injection_enabled(pod: &Value) -> bool {
    let ns = str_at(pod, "/metadata/namespace");
    if matches!(
        ns,
        "kube-system" | "kube-public" | "kube-node-lease" | "local-path-storage"
    ) {
        return false;
    }
    let metadata = pod.get("metadata");
    let label = metadata
        .and_then(|m| m.get("labels"))
        .and_then(|l| l.get(ann::SIDECAR_INJECT))
        .and_then(Value::as_str);
    let annotation = metadata
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(ann::SIDECAR_INJECT))
        .and_then(Value::as_str);
    match label.or(annotation).map(str::to_lowercase).as_deref() {
        None | Some("") => true,
        Some("y" | "yes" | "true" | "on") => true,
        Some(_) => false,
    }
}

fn normalize_skipped(pod: &mut Value) -> Result<(), InjectError> {
    if let Some(meta) = pod.get_mut("metadata") {
        normalize::normalize_metadata(meta);
    }
    if let Some(spec) = pod.get_mut("spec") {
        normalize::normalize_pod_spec(spec).map_err(|e| InjectError::quantity("input", e))?;
    }
    Ok(())
}

/// Sets the value at a JSON pointer, creating the maps on the way.
fn set_at(root: &mut Value, pointer: &str, value: Value) {
    let mut cur = root;
    let mut parts = pointer.trim_start_matches('/').split('/').peekable();
    while let Some(part) = parts.next() {
        if !cur.is_object() {
            *cur = json!({});
        }
        let Some(m) = cur.as_object_mut() else { return };
        // Existing keys are reused: a key is only allocated for a new entry.
        if parts.peek().is_none() {
            match m.get_mut(part) {
                Some(slot) => *slot = value,
                None => {
                    m.insert(part.to_string(), value);
                }
            }
            return;
        }
        if !m.contains_key(part) {
            m.insert(part.to_string(), json!({}));
        }
        let Some(next) = m.get_mut(part) else { return };
        cur = next;
    }
}

fn ensure_object(v: &mut Value, key: &str) {
    if let Some(m) = v.as_object_mut() {
        let entry = m.entry(key.to_string()).or_insert_with(|| json!({}));
        if entry.is_null() {
            *entry = json!({});
        }
    }
}

/// Sets each missing field to a default (keeps existing values).
fn defaults(v: &mut Value, pointer: &str, fields: &[(&str, Value)]) {
    if at(v, pointer).is_none_or(Value::is_null) {
        set_at(v, pointer, json!({}));
    }
    if let Some(m) = at_mut(v, pointer).and_then(Value::as_object_mut) {
        for (k, d) in fields {
            m.entry((*k).to_string()).or_insert_with(|| d.clone());
        }
    }
}

/// The non-`omitempty` fields Kubernetes' Go types print for each workload kind.
fn add_go_defaults(obj: &mut Value, api_version: &str, kind: &str) {
    ensure_object(obj, "metadata");
    prune_workload_spec(obj);
    let zero = json!(0);
    match kind {
        "Pod" => defaults(obj, "/status", &[]),
        "Deployment" => {
            defaults(obj, "/spec/strategy", &[]);
            defaults(obj, "/status", &[]);
        }
        "DaemonSet" => {
            defaults(obj, "/spec/updateStrategy", &[]);
            defaults(
                obj,
                "/status",
                &[
                    ("currentNumberScheduled", zero.clone()),
                    ("numberMisscheduled", zero.clone()),
                    ("desiredNumberScheduled", zero.clone()),
                    ("numberReady", zero.clone()),
                ],
            );
        }
        "ReplicaSet" | "ReplicationController" => {
            defaults(obj, "/status", &[("replicas", zero.clone())]);
        }
        "StatefulSet" => {
            defaults(obj, "/spec/updateStrategy", &[]);
            // Claim templates are PersistentVolumeClaims: Go prints their empty status and
            // resources.
            if let Some(Value::Array(claims)) = obj
                .get_mut("spec")
                .and_then(|s| s.get_mut("volumeClaimTemplates"))
            {
                for claim in claims.iter_mut().filter(|c| c.is_object()) {
                    defaults(claim, "/spec", &[("resources", json!({}))]);
                    defaults(claim, "/status", &[]);
                    if let Some(m) = claim.get_mut("metadata").and_then(Value::as_object_mut)
                        && m.get("creationTimestamp").is_some_and(Value::is_null)
                    {
                        m.remove("creationTimestamp");
                    }
                }
            }
            defaults(
                obj,
                "/status",
                &[
                    ("replicas", zero.clone()),
                    ("availableReplicas", zero.clone()),
                ],
            );
        }
        "Job" => defaults(obj, "/status", &[]),
        "CronJob" => {
            defaults(obj, "/spec/jobTemplate/spec/template/metadata", &[]);
            defaults(obj, "/status", &[]);
        }
        "DeploymentConfig" => {
            defaults(obj, "/spec/strategy", &[("resources", json!({}))]);
            defaults(
                obj,
                "/spec",
                &[
                    ("test", json!(false)),
                    ("replicas", zero.clone()),
                    ("triggers", Value::Null),
                ],
            );
            defaults(
                obj,
                "/status",
                &[
                    ("latestVersion", zero.clone()),
                    ("observedGeneration", zero.clone()),
                    ("replicas", zero.clone()),
                    ("updatedReplicas", zero.clone()),
                    ("availableReplicas", zero.clone()),
                    ("unavailableReplicas", zero),
                ],
            );
        }
        _ => {}
    }
    if matches!(
        kind,
        "Deployment"
            | "DaemonSet"
            | "ReplicaSet"
            | "StatefulSet"
            | "Job"
            | "ReplicationController"
            | "DeploymentConfig"
    ) && at(obj, "/spec/template").is_some()
    {
        defaults(obj, "/spec/template/metadata", &[]);
    }
    let _ = api_version;
    strip_creation_timestamps(obj);
}

/// Drops the zero `omitempty` fields of a workload spec (`minReadySeconds: 0`, `paused: false`,
/// nulls), as Kubernetes' Go types do.
fn prune_workload_spec(obj: &mut Value) {
    if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
        spec.retain(|k, v| {
            !(v.is_null()
                || (k == "minReadySeconds" && v.as_i64() == Some(0))
                || (k == "paused" && v.as_bool() == Some(false)))
        });
    }
}

fn strip_creation_timestamps(obj: &mut Value) {
    for ptr in [
        "/metadata",
        "/spec/template/metadata",
        "/spec/jobTemplate/metadata",
        "/spec/jobTemplate/spec/template/metadata",
    ] {
        if let Some(m) = at_mut(obj, ptr).and_then(Value::as_object_mut)
            && m.get("creationTimestamp").is_some_and(Value::is_null)
        {
            m.remove("creationTimestamp");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_documents() {
        let docs = split_documents("a: 1\n---\nb: 2\n--- # c\nc: 3\n");
        assert_eq!(docs, vec!["a: 1\n", "b: 2\n", "c: 3\n"]);
    }

    #[test]
    fn opt_out_by_label_or_annotation() {
        assert!(injection_enabled(&json!({"metadata": {}})));
        assert!(!injection_enabled(
            &json!({"metadata": {"annotations": {"sidecar.istio.io/inject": "false"}}})
        ));
        assert!(injection_enabled(&json!({"metadata": {
            "labels": {"sidecar.istio.io/inject": "true"},
            "annotations": {"sidecar.istio.io/inject": "false"}}})));
        assert!(!injection_enabled(
            &json!({"metadata": {"namespace": "kube-system"}})
        ));
    }

    #[test]
    fn known_kinds() {
        assert_eq!(
            WorkloadKind::of("apps/v1", "Deployment"),
            Some(WorkloadKind::Deployment)
        );
        assert_eq!(
            WorkloadKind::of("batch/v1", "CronJob"),
            Some(WorkloadKind::CronJob)
        );
        assert_eq!(WorkloadKind::of("v1", "Service"), None);
        assert_eq!(WorkloadKind::of("v1", "List"), Some(WorkloadKind::List));
        assert_eq!(WorkloadKind::of("apps/v2", "Deployment"), None);
        assert_eq!(WorkloadKind::of("batch/v1", "Deployment"), None);
        assert_eq!(WorkloadKind::of("v1", "Job"), None);
        assert_eq!(
            WorkloadKind::of("apps.openshift.io/v1", "DeploymentConfig"),
            Some(WorkloadKind::DeploymentConfig)
        );
        assert_eq!(
            WorkloadKind::of_kind("StatefulSet"),
            Some(WorkloadKind::StatefulSet)
        );
    }

    #[test]
    fn pod_templates_by_kind() {
        let deployment = json!({"spec": {"template": {"spec": {}}}});
        assert_eq!(
            WorkloadKind::Deployment.pod_template(&deployment),
            Some(&json!({"spec": {}}))
        );
        let cron = json!({"spec": {"jobTemplate": {"spec": {"template": {"metadata": {}}}}}});
        assert_eq!(
            WorkloadKind::CronJob.pod_template(&cron),
            Some(&json!({"metadata": {}}))
        );
        assert_eq!(WorkloadKind::Pod.pod_template(&cron), Some(&cron));
        assert_eq!(WorkloadKind::Job.pod_template(&cron), None);
        assert_eq!(WorkloadKind::List.pod_template(&cron), None);
        assert_eq!(
            WorkloadKind::CronJob.kube_inject_pointers(),
            (
                "/spec/jobTemplate/metadata".to_string(),
                "/spec/jobTemplate/spec/template/spec".to_string()
            )
        );
        assert_eq!(
            WorkloadKind::Pod.kube_inject_pointers(),
            ("/metadata".to_string(), "/spec".to_string())
        );
    }
}
