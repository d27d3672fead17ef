//! Application probe rewriting: HTTP, TCP and gRPC probes (and HTTP/TCP lifecycle hooks) of the
//! application containers are pointed at the agent's status port under `/app-health/...`, and
//! the original probes are handed to the agent in `ISTIO_KUBE_APP_PROBERS`.

use crate::annotations::{self as ann, parse_go_bool};
use mesh_core::{Value, obj};
use serde_json::{Map, json};
use std::collections::BTreeMap;

/// The environment variable carrying the original probes to the agent.
pub const KUBE_APP_PROBERS_ENV: &str = "ISTIO_KUBE_APP_PROBERS";

/// Read access to a pod's annotations: a string map, or the pod's own JSON map (read in
/// place, no copy).
pub(crate) trait Annotations {
    /// The annotation's value, when it is set to a string.
    fn annotation(&self, key: &str) -> Option<&str>;
}

impl Annotations for BTreeMap<String, String> {
    fn annotation(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

impl Annotations for Map<String, Value> {
    fn annotation(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }
}

/// Whether probes are rewritten: the pod annotation (when a valid bool) wins over the setting.
pub(crate) fn should_rewrite(annotations: &impl Annotations, setting: bool) -> bool {
    annotations
        .annotation(ann::REWRITE_APP_HTTP_PROBERS)
        .and_then(parse_go_bool)
        .unwrap_or(setting)
}

/// The probes and hooks the agent takes over, with the prefix and suffix of their agent URL
/// (`<prefix>/<container>/<suffix>`).
const PROBERS: [(&str, &str, &str); 5] = [
    ("readinessProbe", "/app-health", "readyz"),
    ("livenessProbe", "/app-health", "livez"),
    ("startupProbe", "/app-health", "startupz"),
    ("preStop", "/app-lifecycle", "prestopz"),
    ("postStart", "/app-lifecycle", "poststartz"),
];

/// The agent URL of a container's probe or hook.
fn prober_url(prefix: &str, container: &str, suffix: &str) -> String {
    format!("{prefix}/{container}/{suffix}")
}

/// Which inbound ports are captured, from the include/exclude annotations: an empty map means
/// every port; `true` entries are the only included ports; `false` entries are excluded.
fn port_inclusion(annotations: &impl Annotations) -> BTreeMap<i64, bool> {
    let include = annotations
        .annotation(ann::INCLUDE_INBOUND_PORTS)
        .unwrap_or("");
    let exclude = annotations
        .annotation(ann::EXCLUDE_INBOUND_PORTS)
        .unwrap_or("");
    let parse = |s: &str| s.trim().parse::<i64>().ok().filter(|p| *p != 0);
    let mut ports = BTreeMap::new();
    if !include.is_empty() && include != "*" {
        for p in include.split(',').filter_map(parse) {
            ports.insert(p, true);
        }
        return ports;
    }
    if !exclude.is_empty() {
        for p in exclude.split(',').filter_map(parse) {
            ports.insert(p, false);
        }
    }
    ports
}

fn port_included(port: i64, ports: &BTreeMap<i64, bool>) -> bool {
    match ports.get(&port) {
        Some(included) => *included,
        None => !ports.values().any(|v| *v),
    }
}

/// The port a probe or hook targets, as Kubernetes' int-or-string `IntVal` (0 for names).
fn handler_port(handler: &Value) -> i64 {
    for kind in ["httpGet", "tcpSocket", "grpc"] {
        if let Some(port) = handler.get(kind).and_then(|h| h.get("port")) {
            return port.as_i64().unwrap_or(0);
        }
    }
    0
}

/// The named port of a container, searching that container's ports.
fn named_port(pod: &Value, container: &str, name: &str) -> Option<i64> {
    for list in ["containers", "initContainers"] {
        let Some(cs) = pod
            .get("spec")
            .and_then(|sp| sp.get(list))
            .and_then(Value::as_array)
        else {
            continue;
        };
        if let Some(c) = cs
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(container))
        {
            return c
                .get("ports")
                .and_then(Value::as_array)?
                .iter()
                .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
                .and_then(|p| p.get("containerPort"))
                .and_then(Value::as_i64)
                .filter(|p| *p > 0);
        }
    }
    None
}

/// The prober the agent receives for one probe or hook, or `None` when it is not rewritten.
fn internal_prober(
    handler: &Value,
    is_probe: bool,
    pod: &Value,
    container: &str,
    ports: &BTreeMap<i64, bool>,
) -> Option<Value> {
    let mut out = Map::new();
    let kinds: &[&str] = if is_probe {
        &["httpGet", "tcpSocket", "grpc"]
    } else {
        &["httpGet", "tcpSocket"]
    };
    let kind = kinds
        .iter()
        .find(|k| handler.get(**k).is_some_and(Value::is_object))?;
    let mut action = handler.get(*kind)?.clone();
    if *kind == "grpc" {
        let port = action.get("port").and_then(Value::as_i64).unwrap_or(0);
        if !port_included(port, ports) {
            return None;
        }
    } else {
        let port = match action.get("port") {
            Some(Value::String(s)) => {
                named_port(pod, container, s).or_else(|| s.parse::<i64>().ok())?
            }
            Some(v) => v.as_i64().unwrap_or(0),
            None => 0,
        };
        if !port_included(port, ports) {
            return None;
        }
        if let Some(m) = action.as_object_mut() {
            m.insert("port".to_string(), json!(port));
        }
    }
    out.insert((*kind).to_string(), prune_action(action));
    if is_probe
        && let Some(t) = handler.get("timeoutSeconds").and_then(Value::as_i64)
        && t != 0
    {
        out.insert("timeoutSeconds".to_string(), json!(t));
    }
    Some(Value::Object(out))
}

/// Drops empty fields of an action, as Go's JSON encoding of the action does.
fn prune_action(action: Value) -> Value {
    match action {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| match v {
                    Value::Null => false,
                    Value::String(s) => !s.is_empty(),
                    Value::Array(a) => !a.is_empty(),
                    _ => true,
                })
                .collect(),
        ),
        other => other,
    }
}

fn all_containers(pod: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for list in ["initContainers", "containers"] {
        if let Some(cs) = pod
            .get("spec")
            .and_then(|sp| sp.get(list))
            .and_then(Value::as_array)
        {
            out.extend(cs.iter());
        }
    }
    out
}

/// The `ISTIO_KUBE_APP_PROBERS` JSON for a pod, or `None` when no probe is rewritten.
pub(crate) fn dump_app_probers(pod: &Value, annotations: &impl Annotations) -> Option<String> {
    let ports = port_inclusion(annotations);
    let mut out = Map::new();
    for c in all_containers(pod) {
        let Some(name) = c.get("name").and_then(Value::as_str) else {
            continue;
        };
        if name == "istio-proxy" {
            continue;
        }
        for (field, prefix, suffix) in PROBERS {
            let (handler, is_probe) = match field {
                "preStop" | "postStart" => (c.get("lifecycle").and_then(|l| l.get(field)), false),
                _ => (c.get(field), true),
            };
            let Some(handler) = handler.filter(|h| h.is_object()) else {
                continue;
            };
            if let Some(p) = internal_prober(handler, is_probe, pod, name, &ports) {
                out.insert(prober_url(prefix, name, suffix), p);
            }
        }
    }
    (!out.is_empty()).then(|| Value::Object(out).to_string())
}

/// Adds the probers to the proxy env: appended on first injection, merged (old entries win)
/// into the existing variable on re-injection.
pub fn merge_or_append_probers(previously_injected: bool, env: &mut Vec<Value>, probers: &str) {
    let new_entry = obj! { "name" => KUBE_APP_PROBERS_ENV, "value" => probers };
    if !previously_injected {
        env.push(new_entry);
        return;
    }
    let existing = env
        .iter_mut()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(KUBE_APP_PROBERS_ENV));
    let Some(existing) = existing else {
        env.push(new_entry);
        return;
    };
    let old = existing.get("value").and_then(Value::as_str).unwrap_or("");
    let (Ok(Value::Object(old)), Ok(Value::Object(mut merged))) = (
        serde_json::from_str::<Value>(old),
        serde_json::from_str::<Value>(probers),
    ) else {
        return;
    };
    for (k, v) in old {
        merged.insert(k, v);
    }
    *existing =
        obj! { "name" => KUBE_APP_PROBERS_ENV, "value" => Value::Object(merged).to_string() };
}

/// Points the application probes and hooks at the agent's status port.
pub(crate) fn rewrite_probes(pod: &mut Value, annotations: &impl Annotations, default_port: i64) {
    let ports = port_inclusion(annotations);
    let status_port = match annotations.annotation(ann::STATUS_PORT) {
        Some(v) => v.trim().parse::<i64>().unwrap_or(0),
        None => default_port,
    };
    for list in ["containers", "initContainers"] {
        let Some(Value::Array(cs)) = pod.get_mut("spec").and_then(|sp| sp.get_mut(list)) else {
            continue;
        };
        for c in cs.iter_mut() {
            let Some(name) = c.get("name").and_then(Value::as_str) else {
                continue;
            };
            // Most containers have no probe or hook: only those get their name copied.
            if name == "istio-proxy" || !has_handler(c) {
                continue;
            }
            let Some(name) = c.get("name").and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            for (field, prefix, suffix) in PROBERS {
                let is_probe = !matches!(field, "preStop" | "postStart");
                let handler = if is_probe {
                    c.get_mut(field)
                } else {
                    c.get_mut("lifecycle").and_then(|l| l.get_mut(field))
                };
                let Some(handler) = handler.filter(|h| h.is_object()) else {
                    continue;
                };
                if !ports.is_empty() && !port_included(handler_port(handler), &ports) {
                    continue;
                }
                convert_handler(
                    handler,
                    &prober_url(prefix, &name, suffix),
                    status_port,
                    is_probe,
                );
            }
        }
    }
}

/// Whether a container has any of the probes or hooks in [`PROBERS`] (as a map).
fn has_handler(c: &Value) -> bool {
    let lifecycle = c.get("lifecycle");
    PROBERS.iter().any(|(field, ..)| {
        let handler = match *field {
            "preStop" | "postStart" => lifecycle.and_then(|l| l.get(field)),
            _ => c.get(field),
        };
        handler.is_some_and(Value::is_object)
    })
}

fn convert_handler(handler: &mut Value, url: &str, port: i64, is_probe: bool) {
    let Some(m) = handler.as_object_mut() else {
        return;
    };
    if let Some(Value::Object(get)) = m.get_mut("httpGet") {
        get.insert("port".to_string(), json!(port));
        get.insert("path".to_string(), json!(url));
        if get.get("scheme").and_then(Value::as_str) == Some("HTTPS") {
            get.insert("scheme".to_string(), json!("HTTP"));
        }
        return;
    }
    let replaced = if m.get("tcpSocket").is_some_and(Value::is_object) {
        m.remove("tcpSocket");
        true
    } else if is_probe && m.get("grpc").is_some_and(Value::is_object) {
        m.remove("grpc");
        true
    } else {
        false
    };
    if replaced {
        m.insert(
            "httpGet".to_string(),
            obj! { "path" => url, "port" => port },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> Value {
        json!({"spec": {"containers": [
            {"name": "hello", "ports": [{"name": "http", "containerPort": 80}],
             "readinessProbe": {"httpGet": {"port": "http"}},
             "livenessProbe": {"tcpSocket": {"port": 8080}, "timeoutSeconds": 2},
             "startupProbe": {"httpGet": {"port": 3333, "scheme": "HTTPS", "path": "/ok"}},
             "lifecycle": {"preStop": {"exec": {"command": ["x"]}}}},
            {"name": "istio-proxy", "readinessProbe": {"httpGet": {"port": 15021}}}
        ]}})
    }

    #[test]
    fn dumps_probers_with_named_ports_resolved() {
        let dumped = dump_app_probers(&pod(), &BTreeMap::new()).unwrap();
        let v: Value = serde_json::from_str(&dumped).unwrap();
        assert_eq!(
            v,
            json!({
                "/app-health/hello/readyz": {"httpGet": {"port": 80}},
                "/app-health/hello/livez": {"tcpSocket": {"port": 8080}, "timeoutSeconds": 2},
                "/app-health/hello/startupz": {"httpGet": {"port": 3333, "scheme": "HTTPS", "path": "/ok"}}
            })
        );
    }

    #[test]
    fn rewrites_probes_to_status_port() {
        let mut p = pod();
        rewrite_probes(&mut p, &BTreeMap::new(), 15020);
        let c = &p["spec"]["containers"][0];
        assert_eq!(
            c["readinessProbe"],
            json!({"httpGet": {"port": 15020, "path": "/app-health/hello/readyz"}})
        );
        assert_eq!(
            c["livenessProbe"],
            json!({"httpGet": {"port": 15020, "path": "/app-health/hello/livez"}, "timeoutSeconds": 2})
        );
        assert_eq!(c["startupProbe"]["httpGet"]["scheme"], json!("HTTP"));
        assert_eq!(
            p["spec"]["containers"][1]["readinessProbe"]["httpGet"]["port"],
            json!(15021)
        );
    }

    #[test]
    fn excluded_ports_are_left_alone() {
        let mut anns = BTreeMap::new();
        anns.insert(ann::EXCLUDE_INBOUND_PORTS.to_string(), "8080".to_string());
        let dumped: Value =
            serde_json::from_str(&dump_app_probers(&pod(), &anns).unwrap()).unwrap();
        assert!(dumped.get("/app-health/hello/livez").is_none());
        let mut p = pod();
        rewrite_probes(&mut p, &anns, 15020);
        assert_eq!(
            p["spec"]["containers"][0]["livenessProbe"]["tcpSocket"]["port"],
            json!(8080)
        );
    }

    #[test]
    fn merges_probers_on_reinjection() {
        let mut env = vec![
            json!({"name": KUBE_APP_PROBERS_ENV, "value": r#"{"/a":{"httpGet":{"port":1}}}"#}),
        ];
        merge_or_append_probers(
            true,
            &mut env,
            r#"{"/a":{"httpGet":{"port":2}},"/b":{"httpGet":{"port":3}}}"#,
        );
        let v: Value = serde_json::from_str(env[0]["value"].as_str().unwrap()).unwrap();
        assert_eq!(
            v,
            json!({"/a": {"httpGet": {"port": 1}}, "/b": {"httpGet": {"port": 3}}})
        );
    }

    #[test]
    fn annotation_controls_rewrite() {
        let mut anns = BTreeMap::new();
        assert!(should_rewrite(&anns, true));
        anns.insert(
            ann::REWRITE_APP_HTTP_PROBERS.to_string(),
            "false".to_string(),
        );
        assert!(!should_rewrite(&anns, true));
        anns.insert(
            ann::REWRITE_APP_HTTP_PROBERS.to_string(),
            "junk".to_string(),
        );
        assert!(should_rewrite(&anns, true));
    }
}
