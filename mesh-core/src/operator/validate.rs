//! istioctl's validation of a merged IstioOperator, with every error collected, not just the first.

use crate::Value;
use crate::schema::{Shape, check};
use k8s_openapi::api::apps::v1::DeploymentStrategy;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerSpec;
use k8s_openapi::api::core::v1::{
    Affinity, EnvVar, PodSecurityContext, Probe, ResourceRequirements, ServiceSpec, Toleration,
    Volume, VolumeMount,
};
use k8s_openapi::api::policy::v1::PodDisruptionBudgetSpec;
use std::fmt;
use std::net::IpAddr;

/// One validation problem: where (a dotted path in the IstioOperator) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Path of the offending value, e.g. `spec.revision`.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl ValidationError {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ValidationError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Checks the structure of an IstioOperator document, whole or partial (one `-f` file):
/// unknown fields and types against `shape` (an [`operator_shape`](super::operator_shape), built once by the caller),
/// and Kubernetes settings against their API types.
pub fn validate_structure(iop: &Value, shape: &Shape) -> Vec<ValidationError> {
    let mut errs: Vec<ValidationError> = check(iop, shape, "")
        .into_iter()
        .map(|e| {
            let msg = e.to_string();
            let message = msg
                .strip_prefix(&format!("{}: ", e.path))
                .unwrap_or(&msg)
                .to_string();
            ValidationError {
                path: e.path,
                message,
            }
        })
        .collect();
    let spec = iop.get("spec").unwrap_or(&Value::Null);
    for (path, k8s) in k8s_blocks(spec) {
        check_k8s_types(&path, k8s, &mut errs);
    }
    errs
}

/// Validates a merged IstioOperator document against `shape` (an [`operator_shape`](super::operator_shape)):
/// [`validate_structure`], then istioctl's semantic
/// rules (revision, hub, tag, gateway names, gateway ports that need root, proxy IP ranges and
/// port lists). Returns every problem found.
pub fn validate(iop: &Value, shape: &Shape) -> Vec<ValidationError> {
    let mut errs = validate_structure(iop, shape);
    let spec = iop.get("spec").unwrap_or(&Value::Null);
    if let Some(rev) = spec.get("revision").and_then(Value::as_str)
        && !rev.is_empty()
        && !is_dns1123_label(rev)
    {
        errs.push(ValidationError::new(
                "spec.revision",
                format!("invalid revision {rev:?}: must be a DNS-1123 label (lower case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit)"),
            ));
    }
    if let Some(hub) = spec.get("hub").and_then(Value::as_str)
        && let Err(m) = check_hub(hub)
    {
        errs.push(ValidationError::new("spec.hub", m));
    }
    if let Some(tag) = spec.get("tag").filter(|t| !t.is_null())
        && let Err(m) = check_tag(&scalar_text(tag))
    {
        errs.push(ValidationError::new("spec.tag", m));
    }
    check_gateways(spec, &mut errs);
    check_proxy_traffic(spec, &mut errs);
    errs
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `(path, block)` of every `components.*.k8s` in the spec.
fn k8s_blocks(spec: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    let Some(Value::Object(components)) = spec.get("components") else {
        return out;
    };
    for (name, c) in components {
        match c {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(k8s) = item.get("k8s").filter(|k| k.is_object()) {
                        out.push((format!("spec.components.{name}[{i}].k8s"), k8s));
                    }
                }
            }
            Value::Object(_) => {
                if let Some(k8s) = c.get("k8s").filter(|k| k.is_object()) {
                    out.push((format!("spec.components.{name}.k8s"), k8s));
                }
            }
            _ => {}
        }
    }
    out
}

fn typed<T: serde::de::DeserializeOwned>(v: &Value) -> Result<(), String> {
    serde_json::from_value::<T>(v.clone())
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn check_k8s_types(path: &str, k8s: &Value, errs: &mut Vec<ValidationError>) {
    let Value::Object(fields) = k8s else { return };
    for (field, v) in fields {
        if v.is_null() {
            continue;
        }
        let res = match field.as_str() {
            "affinity" => typed::<Affinity>(v),
            "env" => typed::<Vec<EnvVar>>(v),
            "hpaSpec" => typed::<HorizontalPodAutoscalerSpec>(v),
            "podDisruptionBudget" => typed::<PodDisruptionBudgetSpec>(v),
            "readinessProbe" => typed::<Probe>(v),
            "resources" => typed::<ResourceRequirements>(v),
            "service" => typed::<ServiceSpec>(v),
            "strategy" => typed::<DeploymentStrategy>(v),
            "tolerations" => typed::<Vec<Toleration>>(v),
            "securityContext" => typed::<PodSecurityContext>(v),
            "volumes" => typed::<Vec<Volume>>(v),
            "volumeMounts" => typed::<Vec<VolumeMount>>(v),
            _ => Ok(()),
        };
        let at = format!("{path}.{field}");
        if let Err(m) = res {
            // The schema walk already reported a wrong top-level kind here; say it once.
            if !errs.iter().any(|e| e.path == at) {
                errs.push(ValidationError::new(at, m));
            }
        }
    }
}

/// A DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    !b.is_empty()
        && b.len() <= 63
        && b.first().is_some_and(alnum)
        && b.last().is_some_and(alnum)
        && b.iter().all(|c| alnum(c) || *c == b'-')
}

/// A hub is an image repository prefix: `[registry[:port]/]path`, path components lower case
/// alphanumerics separated by `.`, `_`, `__` or `-`.
fn check_hub(hub: &str) -> Result<(), String> {
    if hub.is_empty() {
        return Ok(());
    }
    let bad = |why: &str| Err(format!("bad hub {hub:?}: {why}"));
    let mut parts: Vec<&str> = hub.split('/').collect();
    let first = parts[0];
    let has_registry =
        parts.len() > 1 && (first.contains('.') || first.contains(':') || first == "localhost");
    if has_registry {
        let host = parts.remove(0);
        let (name, port) = host
            .split_once(':')
            .map_or((host, None), |(h, p)| (h, Some(p)));
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            return bad("invalid registry host");
        }
        if let Some(p) = port
            && p.parse::<u16>().is_err()
        {
            return bad("invalid registry port");
        }
    }
    for comp in parts {
        if comp.is_empty() {
            return bad("empty path component");
        }
        let ok_chars = comp
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        let ends_ok = comp.starts_with(|c: char| c.is_ascii_alphanumeric())
            && comp.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !ok_chars || !ends_ok {
            return bad("repository names must be lower case letters, digits and separators");
        }
    }
    Ok(())
}

/// An image tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn check_tag(tag: &str) -> Result<(), String> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "bad tag {tag:?}: expected letters, digits, '_', '.' and '-', at most 128 characters"
        ))
    }
}

/// Gateway names must be Kubernetes object names; gateway ports below 1024 need
/// `values.gateways.<kind>.runAsRoot`.
fn check_gateways(spec: &Value, errs: &mut Vec<ValidationError>) {
    for (list, values_key) in [
        ("ingressGateways", "istio-ingressgateway"),
        ("egressGateways", "istio-egressgateway"),
    ] {
        let Some(Value::Array(gws)) = spec.pointer(&format!("/components/{list}")) else {
            continue;
        };
        let run_as_root = spec
            .pointer(&format!("/values/gateways/{values_key}/runAsRoot"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        for (i, gw) in gws.iter().enumerate() {
            let name = gw.get("name").and_then(Value::as_str).unwrap_or("");
            if !name.is_empty() && !is_object_name(name) {
                errs.push(ValidationError::new(
                    format!("spec.components.{list}[{i}].name"),
                    format!("invalid gateway name {name:?}: expected 1 to 254 of [a-z0-9.-]"),
                ));
            }
            if run_as_root {
                continue;
            }
            let Some(Value::Array(ports)) = gw.pointer("/k8s/service/ports") else {
                continue;
            };
            for (j, p) in ports.iter().enumerate() {
                let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
                let target = match p.get("targetPort") {
                    Some(Value::String(_)) => continue, // named ports are not checked
                    Some(v) => v.as_i64().unwrap_or(0),
                    None => 0,
                };
                if (target == 0 && port > 1024) || target >= 1024 {
                    continue;
                }
                errs.push(ValidationError::new(
                    format!("spec.components.{list}[{i}].k8s.service.ports[{j}]"),
                    format!(
                        "port {port} of gateway {name:?} has targetPort {target}, which requires root: use a targetPort above 1024 or set values.gateways.{values_key}.runAsRoot=true"
                    ),
                ));
            }
        }
    }
}

fn is_object_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 254
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
}

/// `values.global.proxy.{include,exclude}IPRanges` are `*` or CIDR lists;
/// `{include,exclude}InboundPorts` are `*` or port lists.
fn check_proxy_traffic(spec: &Value, errs: &mut Vec<ValidationError>) {
    let Some(proxy) = spec.pointer("/values/global/proxy") else {
        return;
    };
    for key in ["includeIPRanges", "excludeIPRanges"] {
        if let Some(Value::String(s)) = proxy.get(key) {
            if s == "*" || s.is_empty() {
                continue;
            }
            for part in s.split(',') {
                if !is_cidr(part.trim()) {
                    errs.push(ValidationError::new(
                        format!("spec.values.global.proxy.{key}"),
                        format!("{part:?} is not a CIDR (expected e.g. 10.0.0.0/8, or *)"),
                    ));
                }
            }
        }
    }
    for key in ["includeInboundPorts", "excludeInboundPorts"] {
        if let Some(Value::String(s)) = proxy.get(key) {
            for part in s.split(',') {
                let part = part.trim();
                if part == "*" || part.is_empty() || part.parse::<u16>().is_ok() {
                    continue;
                }
                errs.push(ValidationError::new(
                    format!("spec.values.global.proxy.{key}"),
                    format!("{part:?} is not a port number (0-65535) or *"),
                ));
            }
        }
    }
}

fn is_cidr(s: &str) -> bool {
    let Some((ip, bits)) = s.split_once('/') else {
        return false;
    };
    let Ok(ip) = ip.parse::<IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    bits.parse::<u8>().is_ok_and(|b| b <= max)
}

#[cfg(test)]
mod tests {
    use super::super::schema::operator_shape;
    use super::*;
    use serde_json::json;

    fn errors(iop: Value) -> Vec<String> {
        validate(&iop, &operator_shape(Shape::Any))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_valid_operator_has_no_errors() {
        let iop = json!({"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator", "spec": {
            "hub": "docker.io/istio", "tag": "1.30.3", "revision": "canary",
            "components": {"pilot": {"enabled": true, "k8s": {"resources": {"requests": {"cpu": "1"}}, "replicaCount": 2}},
                           "ingressGateways": [{"name": "istio-ingressgateway", "enabled": true,
                               "k8s": {"service": {"ports": [{"port": 80, "targetPort": 8080}]}}}]},
            "values": {"global": {"proxy": {"includeIPRanges": "10.0.0.0/8,fd00::/8", "excludeInboundPorts": "15020,*"}}}
        }});
        assert_eq!(errors(iop), Vec::<String>::new());
    }

    #[test]
    fn unknown_fields_name_the_path_and_suggest() {
        let errs = errors(
            json!({"spec": {"componets": {}, "components": {"pilot": {"k8s": {"replicaCuont": 1}}}}}),
        );
        assert_eq!(
            errs,
            vec![
                "spec.components.pilot.k8s.replicaCuont: unknown field (did you mean \"replicaCount\"?)",
                "spec.componets: unknown field (did you mean \"components\"?)",
            ]
        );
    }

    #[test]
    fn k8s_blocks_are_checked_against_their_api_types() {
        let errs = errors(
            json!({"spec": {"components": {"ingressGateways": [{"name": "gw", "k8s": {"env": [{"name": 5}], "tolerations": "all"}}]}}}),
        );
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(
            errs[0].starts_with(
                "spec.components.ingressGateways[0].k8s.tolerations: expected a list, got the string \"all\""
            ),
            "{errs:?}"
        );
        assert!(
            errs.iter().any(
                |e| e.starts_with("spec.components.ingressGateways[0].k8s.env: ")
                    && e.contains("integer")
            ),
            "{errs:?}"
        );
    }

    #[test]
    fn all_semantic_errors_are_collected() {
        let errs = errors(json!({"spec": {
            "revision": "Canary_1", "hub": "Docker.IO/Istio Hub", "tag": "bad tag!",
            "components": {"ingressGateways": [{"name": "Bad_Name", "k8s": {"service": {"ports": [
                {"port": 80, "targetPort": 80}, {"port": 443}, {"port": 8443}, {"port": 15021, "targetPort": "status"}]}}}]},
            "values": {"global": {"proxy": {"excludeIPRanges": "10.0.0.0/8,300.1.1.1/8", "includeInboundPorts": "80,http"}}}
        }}));
        let joined = errs.join("\n");
        for want in [
            "spec.revision: invalid revision \"Canary_1\"",
            "spec.hub: bad hub",
            "spec.tag: bad tag",
            "spec.components.ingressGateways[0].name: invalid gateway name \"Bad_Name\"",
            "spec.components.ingressGateways[0].k8s.service.ports[0]: port 80",
            "spec.components.ingressGateways[0].k8s.service.ports[1]: port 443",
            "spec.values.global.proxy.excludeIPRanges: \"300.1.1.1/8\" is not a CIDR",
            "spec.values.global.proxy.includeInboundPorts: \"http\" is not a port number",
        ] {
            assert!(joined.contains(want), "missing {want:?} in\n{joined}");
        }
        assert_eq!(errs.len(), 8, "{joined}");
    }

    #[test]
    fn run_as_root_allows_low_ports() {
        let errs = errors(json!({"spec": {
            "components": {"ingressGateways": [{"name": "gw", "k8s": {"service": {"ports": [{"port": 80, "targetPort": 80}]}}}]},
            "values": {"gateways": {"istio-ingressgateway": {"runAsRoot": true}}}
        }}));
        assert!(errs.is_empty(), "{errs:?}");
    }

    #[test]
    fn dns_labels() {
        for ok in ["a", "canary", "1-30-3", "a1"] {
            assert!(is_dns1123_label(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "A", "a.b", "a_b", &"a".repeat(64)] {
            assert!(!is_dns1123_label(bad), "{bad}");
        }
    }

    #[test]
    fn hubs_and_tags() {
        for ok in [
            "docker.io/istio",
            "gcr.io/istio-testing",
            "localhost:5000/istio",
            "registry.example.com/a/b",
            "istio",
        ] {
            assert!(check_hub(ok).is_ok(), "{ok}");
        }
        for bad in [
            "Docker.io/Istio",
            "docker.io//istio",
            "docker.io/istio/",
            "host:port/x",
            "a b",
        ] {
            assert!(check_hub(bad).is_err(), "{bad}");
        }
        for ok in ["1.30.3", "latest", "1.30.3-distroless", "_x"] {
            assert!(check_tag(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-x", "a:b", &"a".repeat(129)] {
            assert!(check_tag(bad).is_err(), "{bad}");
        }
    }
}
