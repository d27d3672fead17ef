//! Whether objects read back from the cluster are ready, and if not, why: CRD conditions,
//! discovery documents, Deployment/DaemonSet/StatefulSet rollout status and the pods behind
//! them (image pulls, crash loops, scheduling).

use mesh_core::Value;
use std::fmt::Write as _;

/// The readiness of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Ready.
    Ready,
    /// Not ready, with a short explanation.
    NotReady(String),
}

impl Readiness {
    /// Whether this is [`Readiness::Ready`].
    pub fn is_ready(&self) -> bool {
        matches!(self, Readiness::Ready)
    }
}

/// Whether a CRD read from the cluster has its `Established` condition `True`.
pub fn crd_established(crd: &Value) -> bool {
    condition(crd, "Established").is_some_and(|c| text(c, "/status") == "True")
}

/// Why a CRD is not established yet (its `NamesAccepted` problem if any).
pub fn crd_problem(crd: &Value) -> String {
    match condition(crd, "NamesAccepted") {
        Some(c) if text(c, "/status") == "False" => {
            format!("names not accepted: {}", text(c, "/message"))
        }
        _ => "not Established yet".to_string(),
    }
}

/// Whether a discovery document (`APIResourceList`) lists the resource `plural`.
pub fn discovery_serves(resource_list: &Value, plural: &str) -> bool {
    resource_list
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|r| text(r, "/name") == plural)
}

/// The rollout readiness of a Deployment, DaemonSet or StatefulSet read from the cluster, judged
/// as `kubectl rollout status` does: the controller has seen the latest spec, every replica is
/// updated, and the updated replicas are available. Other kinds are ready.
pub fn workload_readiness(kind: &str, object: &Value) -> Readiness {
    let generation = int(object, "/metadata/generation");
    let observed = int(object, "/status/observedGeneration");
    if observed < generation {
        return Readiness::NotReady("the controller has not seen the latest spec yet".into());
    }
    match kind {
        "Deployment" => deployment_readiness(object),
        "DaemonSet" => daemonset_readiness(object),
        "StatefulSet" => statefulset_readiness(object),
        _ => Readiness::Ready,
    }
}

fn deployment_readiness(d: &Value) -> Readiness {
    if let Some(c) = condition(d, "Progressing")
        && text(c, "/reason") == "ProgressDeadlineExceeded"
    {
        return Readiness::NotReady(format!(
            "progress deadline exceeded: {}",
            text(c, "/message")
        ));
    }
    let wanted = d
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let updated = int(d, "/status/updatedReplicas");
    let total = int(d, "/status/replicas");
    let available = int(d, "/status/availableReplicas");
    if updated < wanted {
        return Readiness::NotReady(format!("{updated} of {wanted} replicas updated"));
    }
    if total > updated {
        return Readiness::NotReady(format!(
            "{} old replicas pending termination",
            total - updated
        ));
    }
    if available < updated {
        return Readiness::NotReady(format!(
            "{available} of {updated} updated replicas available"
        ));
    }
    Readiness::Ready
}

fn daemonset_readiness(ds: &Value) -> Readiness {
    let desired = int(ds, "/status/desiredNumberScheduled");
    let updated = int(ds, "/status/updatedNumberScheduled");
    let available = int(ds, "/status/numberAvailable");
    if updated < desired {
        return Readiness::NotReady(format!("{updated} of {desired} pods updated"));
    }
    if available < desired {
        return Readiness::NotReady(format!("{available} of {desired} pods available"));
    }
    Readiness::Ready
}

fn statefulset_readiness(s: &Value) -> Readiness {
    let wanted = s
        .pointer("/spec/replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let partition = int(s, "/spec/updateStrategy/rollingUpdate/partition");
    let updated = int(s, "/status/updatedReplicas");
    let ready = int(s, "/status/readyReplicas");
    if updated < wanted - partition {
        return Readiness::NotReady(format!(
            "{updated} of {} replicas updated",
            wanted - partition
        ));
    }
    if ready < wanted {
        return Readiness::NotReady(format!("{ready} of {wanted} replicas ready"));
    }
    Readiness::Ready
}

/// The label selector (`k=v,k2 in (a,b),...`) of a workload's `spec.selector`, if it has one.
pub fn selector_string(workload: &Value) -> Option<String> {
    let selector = workload.pointer("/spec/selector")?;
    let mut parts = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in labels {
            parts.push(format!("{k}={}", v.as_str().unwrap_or_default()));
        }
    }
    for e in selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = text(e, "/key");
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        match text(e, "/operator") {
            "In" => parts.push(format!("{key} in ({})", values.join(","))),
            "NotIn" => parts.push(format!("{key} notin ({})", values.join(","))),
            "Exists" => parts.push(key.to_string()),
            "DoesNotExist" => parts.push(format!("!{key}")),
            _ => {}
        }
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

/// Why the pods of a workload are not ready, one line per problem pod (at most `limit`),
/// newest pod first: waiting containers with their reason (`ImagePullBackOff`,
/// `CrashLoopBackOff` with the last exit, ...), unschedulable pods, failed readiness.
pub fn pod_problems(pods: &[Value], limit: usize) -> Vec<String> {
    let mut pods: Vec<&Value> = pods.iter().collect();
    // Newest first: RFC 3339 timestamps sort as text.
    pods.sort_by(|a, b| {
        text(b, "/metadata/creationTimestamp").cmp(text(a, "/metadata/creationTimestamp"))
    });
    pods.into_iter()
        .filter_map(pod_problem)
        .take(limit)
        .collect()
}

/// Why one pod is not ready, or `None` when it is ready (or has succeeded).
pub fn pod_problem(pod: &Value) -> Option<String> {
    let name = text(pod, "/metadata/name");
    if text(pod, "/status/phase") == "Succeeded" {
        return None;
    }
    if condition(pod, "Ready").is_some_and(|c| text(c, "/status") == "True") {
        return None;
    }
    if let Some(problem) = container_problem(pod) {
        return Some(format!("pod {name}: {problem}"));
    }
    if let Some(c) = condition(pod, "PodScheduled").filter(|c| text(c, "/status") == "False") {
        return Some(format!(
            "pod {name}: pending: {}: {}",
            text(c, "/reason"),
            text(c, "/message")
        ));
    }
    let phase = text(pod, "/status/phase");
    let detail = condition(pod, "Ready")
        .map(|c| text(c, "/message"))
        .filter(|m| !m.is_empty())
        .or_else(|| Some(text(pod, "/status/message")).filter(|m| !m.is_empty()))
        .unwrap_or("not ready");
    let phase = if phase.is_empty() { "Pending" } else { phase };
    Some(format!("pod {name}: {phase}: {detail}"))
}

fn container_problem(pod: &Value) -> Option<String> {
    for list in ["initContainerStatuses", "containerStatuses"] {
        for cs in pod
            .pointer(&format!("/status/{list}"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let container = text(cs, "/name");
            if let Some(waiting) = cs.pointer("/state/waiting") {
                let reason = text(waiting, "/reason");
                if reason.is_empty() || reason == "PodInitializing" {
                    continue;
                }
                let mut line = format!("container {container}: {reason}");
                let message = text(waiting, "/message");
                if !message.is_empty() {
                    let _ = write!(line, ": {message}");
                }
                if let Some(last) = cs.pointer("/lastState/terminated") {
                    let _ = write!(
                        line,
                        " (last exit: {} code {})",
                        text(last, "/reason"),
                        int(last, "/exitCode")
                    );
                }
                return Some(line);
            }
            if let Some(term) = cs.pointer("/state/terminated")
                && int(term, "/exitCode") != 0
            {
                return Some(format!(
                    "container {container}: terminated: {} code {}",
                    text(term, "/reason"),
                    int(term, "/exitCode")
                ));
            }
        }
    }
    None
}

fn condition<'v>(object: &'v Value, kind: &str) -> Option<&'v Value> {
    object
        .pointer("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| text(c, "/type") == kind)
}

fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn int(value: &Value, pointer: &str) -> i64 {
    value.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployments_follow_rollout_status_rules() {
        let ready = json!({"metadata": {"generation": 2}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2,
                "availableReplicas": 2}});
        assert!(workload_readiness("Deployment", &ready).is_ready());
        let mut stale = ready.clone();
        stale["status"]["observedGeneration"] = json!(1);
        assert!(!workload_readiness("Deployment", &stale).is_ready());
        let mut rolling = ready.clone();
        rolling["status"]["replicas"] = json!(3);
        assert_eq!(
            workload_readiness("Deployment", &rolling),
            Readiness::NotReady("1 old replicas pending termination".into())
        );
        let mut unavailable = ready.clone();
        unavailable["status"]["availableReplicas"] = json!(0);
        assert_eq!(
            workload_readiness("Deployment", &unavailable),
            Readiness::NotReady("0 of 2 updated replicas available".into())
        );
        let scaled_to_zero = json!({"spec": {"replicas": 0}, "status": {}});
        assert!(workload_readiness("Deployment", &scaled_to_zero).is_ready());
        let fresh = json!({"metadata": {"generation": 1}, "spec": {}});
        assert!(!workload_readiness("Deployment", &fresh).is_ready());
    }

    #[test]
    fn daemonsets_need_every_scheduled_pod_available() {
        let ds = json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1,
            "desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 2}});
        assert_eq!(
            workload_readiness("DaemonSet", &ds),
            Readiness::NotReady("2 of 3 pods available".into())
        );
        let none_wanted = json!({"metadata": {"generation": 1},
            "status": {"observedGeneration": 1, "desiredNumberScheduled": 0}});
        assert!(workload_readiness("DaemonSet", &none_wanted).is_ready());
    }

    #[test]
    fn pod_problems_name_the_reason() {
        let pull = json!({"metadata": {"name": "istiod-1", "creationTimestamp": "2024-01-01T00:00:01Z"},
            "status": {"phase": "Pending", "containerStatuses": [{"name": "discovery",
                "state": {"waiting": {"reason": "ImagePullBackOff",
                    "message": "Back-off pulling image \"x\""}}}]}});
        let crash = json!({"metadata": {"name": "istiod-2", "creationTimestamp": "2024-01-01T00:00:02Z"},
            "status": {"phase": "Running", "containerStatuses": [{"name": "discovery",
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}}]}});
        let pending = json!({"metadata": {"name": "istiod-3"},
            "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled",
                "status": "False", "reason": "Unschedulable",
                "message": "0/1 nodes are available"}]}});
        let ok = json!({"metadata": {"name": "ok"}, "status": {"phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}]}});
        let lines = pod_problems(&[pull, crash, pending, ok], 5);
        assert_eq!(
            lines,
            [
                "pod istiod-2: container discovery: CrashLoopBackOff (last exit: Error code 1)",
                "pod istiod-1: container discovery: ImagePullBackOff: Back-off pulling image \"x\"",
                "pod istiod-3: pending: Unschedulable: 0/1 nodes are available",
            ]
        );
    }

    #[test]
    fn selectors_render_labels_and_expressions() {
        let w = json!({"spec": {"selector": {"matchLabels": {"app": "istiod", "istio": "pilot"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]},
                                 {"key": "x", "operator": "Exists"}]}}});
        assert_eq!(
            selector_string(&w).as_deref(),
            Some("app=istiod,istio=pilot,tier in (a,b),x")
        );
        assert_eq!(selector_string(&json!({"spec": {}})), None);
    }

    #[test]
    fn crd_conditions_and_discovery() {
        let crd = json!({"status": {"conditions": [{"type": "Established", "status": "True"}]}});
        assert!(crd_established(&crd));
        assert!(!crd_established(&json!({})));
        let list = json!({"resources": [{"name": "gateways"}, {"name": "gateways/status"}]});
        assert!(discovery_serves(&list, "gateways"));
        assert!(!discovery_serves(&list, "sidecars"));
    }
}
