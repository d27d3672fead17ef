//! The pod as the injector reads and edits it: the view of the request's pod, its string maps,
//! its containers by name, the container order after injection, the workload it belongs to and
//! the proxy user and group.

use crate::error::{InjectError, InputProblem};
use crate::normalize;
use crate::template_data::{DeployMeta, TypeMeta};
use mesh_core::Value;
use serde_json::{Map, json};
use std::collections::BTreeMap;

/// Per-request inputs that depend on where the pod is created (webhook path).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodContext {
    /// The namespace of the admission request, used when the pod has none.
    pub namespace: Option<String>,
    /// Proxy environment overrides from the injection URL (`ISTIO_META_CLUSTER_ID`,
    /// `ISTIO_META_NETWORK`, ...).
    pub proxy_envs: BTreeMap<String, String>,
    /// Annotations of the pod's namespace; with OpenShift their UID/GID ranges choose the proxy
    /// user.
    pub namespace_annotations: Option<BTreeMap<String, String>>,
    /// Whether the cluster is OpenShift (`PLATFORM=openshift`).
    pub openshift: bool,
}

/// The pod as the injector sees it: its metadata (with the request's namespace when it has
/// none) and spec, nothing else.
pub(crate) fn pod_view(pod: &Value, context: &PodContext) -> Result<Value, InjectError> {
    let Some(input) = pod.as_object() else {
        let rule = InputProblem::Rule("expected a Pod object".to_string());
        return Err(InjectError::input("pod", "(root)", rule));
    };
    let mut meta = input.get("metadata").cloned().unwrap_or_else(|| json!({}));
    if let Some(ns) = &context.namespace
        && meta
            .get("namespace")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        && let Some(m) = meta.as_object_mut()
    {
        m.insert("namespace".into(), json!(ns));
    }
    let spec = input.get("spec").cloned().unwrap_or_else(|| json!({}));
    Ok(crate::template_data::object([
        ("metadata", meta),
        ("spec", spec),
    ]))
}

/// Brings a pod to the shape Kubernetes' Go types give it; errors name the bad field.
pub(crate) fn normalize_pod(pod: &mut Value) -> Result<(), InjectError> {
    if let Some(meta) = pod.get_mut("metadata") {
        normalize::normalize_metadata(meta);
    }
    if let Some(spec) = pod.get_mut("spec") {
        normalize::normalize_pod_spec(spec).map_err(|e| InjectError::quantity("pod", e))?;
    }
    Ok(())
}

/// Checks that a map of the pod metadata holds only strings (what [`string_map`] accepts),
/// without copying it.
pub(crate) fn check_string_map(pod: &Value, field: &str) -> Result<(), InjectError> {
    let Some(m) = pod
        .get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_object)
    else {
        return Ok(());
    };
    match m
        .iter()
        .find(|(_, v)| !matches!(v, Value::String(_) | Value::Null))
    {
        Some(_) => string_map(pod, field).map(|_| ()),
        None => Ok(()),
    }
}

/// A string map of the pod metadata (`labels` or `annotations`).
pub(crate) fn string_map(
    pod: &Value,
    field: &str,
) -> Result<BTreeMap<String, String>, InjectError> {
    let Some(m) = pod
        .get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_object)
    else {
        return Ok(BTreeMap::new());
    };
    m.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            Value::Null => Ok((k.clone(), String::new())),
            other => Err(InjectError::input(
                "pod",
                format!("metadata.{field}.{k}"),
                InputProblem::ExpectedString(other.clone()),
            )),
        })
        .collect()
}

pub(crate) fn set_field(pod: &mut Value, field: &str, v: Value) {
    if let Some(m) = pod.as_object_mut() {
        m.insert(field.to_string(), v);
    }
}

pub(crate) fn ensure_map(pod: &mut Value, field: &str) {
    if let Some(meta) = pod.get_mut("metadata").and_then(Value::as_object_mut)
        && !meta.get(field).is_some_and(Value::is_object)
    {
        meta.insert(field.to_string(), json!({}));
    }
}

/// Takes a map of the pod metadata out (leaving `null` in its place until [`put_map`] puts it
/// back, which saves removing and re-inserting the key).
pub(crate) fn take_map(pod: &mut Value, field: &str) -> Map<String, Value> {
    match pod
        .get_mut("metadata")
        .and_then(|m| m.get_mut(field))
        .map(Value::take)
    {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

pub(crate) fn put_map(pod: &mut Value, field: &str, map: Map<String, Value>) {
    if let Some(meta) = pod.get_mut("metadata").and_then(Value::as_object_mut) {
        match meta.get_mut(field) {
            Some(slot) => *slot = Value::Object(map),
            None => {
                meta.insert(field.to_string(), Value::Object(map));
            }
        }
    }
}

pub(crate) fn containers_mut<'a>(pod: &'a mut Value, list: &str) -> Option<&'a mut Vec<Value>> {
    pod.get_mut("spec")?.get_mut(list)?.as_array_mut()
}

pub(crate) fn container_name(c: &Value) -> Option<&str> {
    c.get("name").and_then(Value::as_str)
}

pub(crate) fn find_in<'a>(pod: &'a Value, list: &str, name: &str) -> Option<&'a Value> {
    pod.get("spec")?
        .get(list)?
        .as_array()?
        .iter()
        .find(|c| container_name(c) == Some(name))
}

pub(crate) fn has_container(pod: &Value, list: &str, name: &str) -> bool {
    find_in(pod, list, name).is_some()
}

/// A container by name, in `containers` first, then `initContainers`.
pub(crate) fn find_container_in_pod<'a>(pod: &'a Value, name: &str) -> Option<&'a Value> {
    find_in(pod, "containers", name).or_else(|| find_in(pod, "initContainers", name))
}

pub(crate) fn find_sidecar(pod: &Value) -> Option<&Value> {
    find_container_in_pod(pod, "istio-proxy")
}

pub(crate) fn find_container_mut<'a>(pod: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    let in_containers = has_container(pod, "containers", name);
    let list = if in_containers {
        "containers"
    } else {
        "initContainers"
    };
    containers_mut(pod, list)?
        .iter_mut()
        .find(|c| container_name(c) == Some(name))
}

/// The proxy container's env list (created when missing).
pub(crate) fn sidecar_env(pod: &mut Value) -> Option<&mut Vec<Value>> {
    let c = find_container_mut(pod, "istio-proxy")?.as_object_mut()?;
    if !c.get("env").is_some_and(Value::is_array) {
        c.insert("env".to_string(), json!([]));
    }
    c.get_mut("env")?.as_array_mut()
}

pub(crate) fn move_container(pod: &mut Value, from: &str, to: &str, name: &str) {
    let Some(list) = containers_mut(pod, from) else {
        return;
    };
    let Some(i) = list.iter().position(|c| container_name(c) == Some(name)) else {
        return;
    };
    let c = list.remove(i);
    if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
        let target = spec.entry(to.to_string()).or_insert_with(|| json!([]));
        if !target.is_array() {
            *target = json!([]);
        }
        if let Some(a) = target.as_array_mut() {
            a.push(c);
        }
    }
}

/// Moves a container first or last in a list.
pub(crate) fn move_to(list: &mut Vec<Value>, name: &str, first: bool) {
    if let Some(i) = list.iter().position(|c| container_name(c) == Some(name)) {
        let c = list.remove(i);
        if first {
            list.insert(0, c);
        } else {
            list.push(c);
        }
    }
}

/// Orders containers: the proxy last (first when holding the application); with a native
/// sidecar: init/validation, containers named in `before_proxy`, proxy, core dump, the rest;
/// otherwise validation first and init (then core dump) last.
pub(crate) fn reorder(pod: &mut Value, hold: bool, before_proxy: &str) {
    if let Some(cs) = containers_mut(pod, "containers") {
        move_to(cs, "istio-proxy", hold);
    }
    let native = has_container(pod, "initContainers", "istio-proxy");
    let Some(init) = containers_mut(pod, "initContainers") else {
        return;
    };
    if native {
        let mut names: Vec<&str> = Vec::new();
        for n in before_proxy.split(',').filter(|n| !n.is_empty()) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        move_to(init, "enable-core-dump", true);
        move_to(init, "istio-proxy", true);
        for n in names.iter().rev() {
            move_to(init, n, true);
        }
        move_to(init, "istio-validation", true);
        move_to(init, "istio-init", true);
    } else {
        move_to(init, "istio-validation", true);
        move_to(init, "istio-init", false);
        move_to(init, "enable-core-dump", false);
    }
}

/// The workload a pod belongs to, guessed from its owner references and labels as Istio does.
pub(crate) fn deploy_meta_from_pod(pod: &Value) -> (DeployMeta, TypeMeta) {
    let meta = pod.get("metadata");
    let get = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let label = |k: &str| {
        meta.and_then(|m| m.get("labels"))
            .and_then(|l| l.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut deploy = DeployMeta {
        name: get("name"),
        namespace: get("namespace"),
    };
    let mut type_meta = TypeMeta {
        api_version: "v1".to_string(),
        kind: "Pod".to_string(),
    };
    if !get("generateName").is_empty() {
        let controller = meta
            .and_then(|m| m.get("ownerReferences"))
            .and_then(Value::as_array)
            .and_then(|refs| {
                refs.iter()
                    .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
            });
        if let Some(r) = controller {
            let field = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            type_meta = TypeMeta {
                api_version: field("apiVersion"),
                kind: field("kind"),
            };
            let owner = field("name");
            deploy.name = owner.clone();
            let hash = label("pod-template-hash");
            let rollout_hash = label("rollouts-pod-template-hash");
            if type_meta.kind == "ReplicaSet" && !hash.is_empty() && owner.ends_with(&hash) {
                deploy.name = owner
                    .strip_suffix(&format!("-{hash}"))
                    .unwrap_or(&owner)
                    .to_string();
                type_meta.kind = "Deployment".to_string();
            } else if type_meta.kind == "ReplicaSet"
                && !rollout_hash.is_empty()
                && owner.ends_with(&rollout_hash)
            {
                deploy.name = owner
                    .strip_suffix(&format!("-{rollout_hash}"))
                    .unwrap_or(&owner)
                    .to_string();
                type_meta.kind = "Rollout".to_string();
                type_meta.api_version = "v1alpha1".to_string();
            } else if type_meta.kind == "ReplicationController"
                && !label("deploymentconfig").is_empty()
            {
                deploy.name = label("deploymentconfig");
                type_meta.kind = "DeploymentConfig".to_string();
            } else if type_meta.kind == "Job"
                && let Some(base) = cron_job_base(&owner)
            {
                deploy.name = base;
                type_meta.kind = "CronJob".to_string();
                type_meta.api_version = "batch/v1".to_string();
            }
        }
    }
    if deploy.name.is_empty() {
        deploy.name = get("name");
    }
    (deploy, type_meta)
}

/// The CronJob name of a Job named `<cronjob>-<8 to 10 digit timestamp>`.
pub(crate) fn cron_job_base(job: &str) -> Option<String> {
    let (base, suffix) = job.rsplit_once('-')?;
    let digits = suffix.len();
    ((8..=10).contains(&digits) && suffix.bytes().all(|b| b.is_ascii_digit()) && !base.is_empty())
        .then(|| base.to_string())
}

/// The proxy UID and GID: 1337, or on OpenShift the top of the namespace's allocated ranges.
pub(crate) fn proxy_ids(context: &PodContext) -> (i64, i64) {
    let mut ids = (1337, 1337);
    if !context.openshift {
        return ids;
    }
    let Some(ns) = &context.namespace_annotations else {
        return ids;
    };
    if let Some(max) = ns
        .get("openshift.io/sa.scc.uid-range")
        .and_then(|r| range_max(r))
    {
        ids.0 = max;
    }
    if let Some(max) = ns
        .get("openshift.io/sa.scc.supplemental-groups")
        .and_then(|g| g.split(',').next())
        .and_then(range_max)
    {
        ids.1 = max;
    }
    ids
}

/// The largest ID of an OpenShift range: `start/size` or `start-end`.
pub(crate) fn range_max(range: &str) -> Option<i64> {
    let range = range.trim();
    if let Some((start, size)) = range.split_once('/') {
        let start: i64 = start.trim().parse().ok()?;
        let size: i64 = size.trim().parse().ok()?;
        return (size > 0).then(|| start + size - 1);
    }
    let (_, end) = range.split_once('-')?;
    end.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploy_meta_follows_replicaset_owner() {
        let pod = json!({"metadata": {
            "generateName": "hello-5d4f8-", "labels": {"pod-template-hash": "5d4f8"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "hello-5d4f8", "controller": true}]
        }});
        let (d, t) = deploy_meta_from_pod(&pod);
        assert_eq!(d.name, "hello");
        assert_eq!(t.kind, "Deployment");
        assert_eq!(t.api_version, "apps/v1");
    }

    #[test]
    fn deploy_meta_detects_cronjob() {
        let pod = json!({"metadata": {
            "generateName": "x-",
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "backup-28471234", "controller": true}]
        }});
        let (d, t) = deploy_meta_from_pod(&pod);
        assert_eq!((d.name.as_str(), t.kind.as_str()), ("backup", "CronJob"));
    }

    #[test]
    fn openshift_ids_come_from_namespace_ranges() {
        let mut ns = BTreeMap::new();
        ns.insert(
            "openshift.io/sa.scc.uid-range".to_string(),
            "1000620000/10000".to_string(),
        );
        ns.insert(
            "openshift.io/sa.scc.supplemental-groups".to_string(),
            "1000620000/10000".to_string(),
        );
        let ctx = PodContext {
            namespace_annotations: Some(ns),
            openshift: true,
            ..Default::default()
        };
        assert_eq!(proxy_ids(&ctx), (1000629999, 1000629999));
        assert_eq!(proxy_ids(&PodContext::default()), (1337, 1337));
    }

    #[test]
    fn reorders_native_sidecar_first() {
        let mut pod = json!({"spec": {"initContainers": [
            {"name": "user-init"}, {"name": "istio-init"}, {"name": "istio-proxy"}
        ], "containers": [{"name": "app"}]}});
        reorder(&mut pod, false, "");
        let names: Vec<&str> = pod["spec"]["initContainers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["istio-init", "istio-proxy", "user-init"]);
    }

    #[test]
    fn reorders_classic_init_last() {
        let mut pod = json!({"spec": {"initContainers": [
            {"name": "istio-init"}, {"name": "user-init"}
        ], "containers": [{"name": "istio-proxy"}, {"name": "app"}]}});
        reorder(&mut pod, false, "");
        assert_eq!(
            pod["spec"]["initContainers"][1]["name"],
            json!("istio-init")
        );
        assert_eq!(pod["spec"]["containers"][1]["name"], json!("istio-proxy"));
        reorder(&mut pod, true, "");
        assert_eq!(pod["spec"]["containers"][0]["name"], json!("istio-proxy"));
    }
}
