//! Choosing the pod `meshctl dashboard` forwards to: a running, ready pod of the addon.

use serde_json::Value;

/// Whether `pod` (a Pod object) runs and is ready: phase `Running`, condition `Ready` true, not
/// being deleted.
pub fn is_serving(pod: &Value) -> bool {
    let running = pod.pointer("/status/phase").and_then(Value::as_str) == Some("Running");
    let deleting = pod.pointer("/metadata/deletionTimestamp").is_some();
    let ready = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|conditions| {
            conditions.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Ready")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        });
    running && ready && !deleting
}

/// The pod to forward to among `pods` (the addon's pods): a serving one, the newest first (by
/// creation time, then name, so the choice is stable); `None` when none serves.
pub fn select_pod(pods: &[Value]) -> Option<&Value> {
    let created = |p: &Value| {
        p.pointer("/metadata/creationTimestamp")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let name = |p: &Value| {
        p.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    pods.iter()
        .filter(|p| is_serving(p))
        .max_by_key(|p| (created(p), name(p)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, created: &str, phase: &str, ready: bool) -> Value {
        json!({
            "metadata": {"name": name, "creationTimestamp": created},
            "status": {
                "phase": phase,
                "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
            },
        })
    }

    #[test]
    fn picks_the_newest_serving_pod() {
        let pods = vec![
            pod("old", "2026-01-01T00:00:00Z", "Running", true),
            pod("new", "2026-01-02T00:00:00Z", "Running", true),
            pod("newer-not-ready", "2026-01-03T00:00:00Z", "Running", false),
            pod("pending", "2026-01-04T00:00:00Z", "Pending", false),
        ];
        assert_eq!(select_pod(&pods).unwrap()["metadata"]["name"], "new");
    }

    #[test]
    fn none_when_no_pod_serves() {
        assert!(select_pod(&[]).is_none());
        let mut deleting = pod("a", "2026-01-01T00:00:00Z", "Running", true);
        deleting["metadata"]["deletionTimestamp"] = json!("2026-01-05T00:00:00Z");
        let pods = vec![
            deleting,
            pod("b", "2026-01-01T00:00:00Z", "Succeeded", false),
        ];
        assert!(select_pod(&pods).is_none());
    }
}
