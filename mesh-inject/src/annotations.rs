//! The pod annotations and labels the injector reads, and the validation of the annotations whose
//! values Istio checks before injecting (traffic capture, status port, readiness, proxy config).

use crate::error::AnnotationProblem;
use crate::mesh_config::ProxyConfig;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Injection status written on injected pods.
pub const SIDECAR_STATUS: &str = "sidecar.istio.io/status";
/// Per-pod proxy config overrides (YAML).
pub const PROXY_CONFIG: &str = "proxy.istio.io/config";
/// Containers the user customised, recorded for idempotent re-injection.
pub const PROXY_OVERRIDES: &str = "proxy.istio.io/overrides";
/// Comma-separated template names to inject.
pub const INJECT_TEMPLATES: &str = "inject.istio.io/templates";
/// Injection opt-in/opt-out (also a label).
pub const SIDECAR_INJECT: &str = "sidecar.istio.io/inject";
/// Native sidecar override.
pub const NATIVE_SIDECAR: &str = "sidecar.istio.io/nativeSidecar";
/// Interception mode override.
pub const INTERCEPTION_MODE: &str = "sidecar.istio.io/interceptionMode";
/// Status port override.
pub const STATUS_PORT: &str = "status.sidecar.istio.io/port";
/// Readiness initial delay override.
pub const READINESS_INITIAL_DELAY: &str = "readiness.status.sidecar.istio.io/initialDelaySeconds";
/// Readiness period override.
pub const READINESS_PERIOD: &str = "readiness.status.sidecar.istio.io/periodSeconds";
/// Readiness failure threshold override.
pub const READINESS_FAILURE_THRESHOLD: &str = "readiness.status.sidecar.istio.io/failureThreshold";
/// Outbound CIDRs to capture.
pub const INCLUDE_OUTBOUND_IP_RANGES: &str = "traffic.sidecar.istio.io/includeOutboundIPRanges";
/// Outbound CIDRs not to capture.
pub const EXCLUDE_OUTBOUND_IP_RANGES: &str = "traffic.sidecar.istio.io/excludeOutboundIPRanges";
/// Inbound ports to capture.
pub const INCLUDE_INBOUND_PORTS: &str = "traffic.sidecar.istio.io/includeInboundPorts";
/// Inbound ports not to capture.
pub const EXCLUDE_INBOUND_PORTS: &str = "traffic.sidecar.istio.io/excludeInboundPorts";
/// Outbound ports to capture.
pub const INCLUDE_OUTBOUND_PORTS: &str = "traffic.sidecar.istio.io/includeOutboundPorts";
/// Outbound ports not to capture.
pub const EXCLUDE_OUTBOUND_PORTS: &str = "traffic.sidecar.istio.io/excludeOutboundPorts";
/// Virtual interfaces to redirect (deprecated name).
pub const KUBEVIRT_INTERFACES: &str = "traffic.sidecar.istio.io/kubevirtInterfaces";
/// Virtual interfaces to redirect.
pub const REROUTE_VIRTUAL_INTERFACES: &str = "istio.io/reroute-virtual-interfaces";
/// Interfaces not to capture.
pub const EXCLUDE_INTERFACES: &str = "traffic.sidecar.istio.io/excludeInterfaces";
/// Prometheus metrics merge switch.
pub const PROMETHEUS_MERGE_METRICS: &str = "prometheus.istio.io/merge-metrics";
/// Probe rewrite switch.
pub const REWRITE_APP_HTTP_PROBERS: &str = "sidecar.istio.io/rewriteAppHTTPProbers";
/// Proxy image override.
pub const PROXY_IMAGE: &str = "sidecar.istio.io/proxyImage";
/// Proxy image type override (`distroless`, `debug`, `default`).
pub const PROXY_IMAGE_TYPE: &str = "sidecar.istio.io/proxyImageType";
/// Proxy CPU request.
pub const PROXY_CPU: &str = "sidecar.istio.io/proxyCPU";
/// Proxy memory request.
pub const PROXY_MEMORY: &str = "sidecar.istio.io/proxyMemory";
/// Proxy CPU limit.
pub const PROXY_CPU_LIMIT: &str = "sidecar.istio.io/proxyCPULimit";
/// Proxy memory limit.
pub const PROXY_MEMORY_LIMIT: &str = "sidecar.istio.io/proxyMemoryLimit";
/// Envoy log level.
pub const LOG_LEVEL: &str = "sidecar.istio.io/logLevel";
/// Envoy component log level.
pub const COMPONENT_LOG_LEVEL: &str = "sidecar.istio.io/componentLogLevel";
/// Agent log level.
pub const AGENT_LOG_LEVEL: &str = "sidecar.istio.io/agentLogLevel";
/// Custom bootstrap ConfigMap.
pub const BOOTSTRAP_OVERRIDE: &str = "sidecar.istio.io/bootstrapOverride";
/// Extra volumes (JSON map name -> volume source).
pub const USER_VOLUME: &str = "sidecar.istio.io/userVolume";
/// Extra volume mounts for the proxy (JSON map name -> mount).
pub const USER_VOLUME_MOUNT: &str = "sidecar.istio.io/userVolumeMount";
/// NET_BIND_SERVICE capability switch.
pub const CAP_NET_BIND_SERVICE: &str = "sidecar.istio.io/capNetBindService";
/// Init containers ordered before the native proxy.
pub const INIT_CONTAINERS_BEFORE_PROXY: &str = "sidecar.istio.io/init-containers-before-proxy";
/// Multus networks.
pub const MULTUS_NETWORKS: &str = "k8s.v1.cni.cncf.io/networks";
/// Default container for kubectl.
pub const DEFAULT_CONTAINER: &str = "kubectl.kubernetes.io/default-container";
/// Default logs container for kubectl.
pub const DEFAULT_LOGS_CONTAINER: &str = "kubectl.kubernetes.io/default-logs-container";
/// Datadog APM environment (JSON map).
pub const DATADOG_ENV: &str = "apm.datadoghq.com/env";
/// Revision stamp written on injected pods.
pub const ISTIO_REV: &str = "istio.io/rev";

/// Network label (overrides `values.global.network`).
pub const LABEL_NETWORK: &str = "topology.istio.io/network";
/// Workload name label.
pub const LABEL_WORKLOAD_NAME: &str = "service.istio.io/workload-name";
/// Canonical service name label.
pub const LABEL_CANONICAL_NAME: &str = "service.istio.io/canonical-name";
/// Canonical service revision label.
pub const LABEL_CANONICAL_REVISION: &str = "service.istio.io/canonical-revision";
/// mTLS mode label.
pub const LABEL_TLS_MODE: &str = "security.istio.io/tlsMode";
/// HBONE tunnel label.
pub const LABEL_TUNNEL: &str = "networking.istio.io/tunnel";

/// Validates every annotation Istio checks; returns all problems, sorted by annotation name.
pub fn validate(annotations: &BTreeMap<String, String>) -> Vec<AnnotationProblem> {
    let mut problems = Vec::new();
    for (name, value) in annotations {
        if let Some(reason) = check_annotation(name, value) {
            problems.push(AnnotationProblem {
                name: name.clone(),
                value: value.clone(),
                reason,
            });
        }
    }
    problems
}

/// The reason an annotation value is rejected, or `None` when it is valid or not checked.
fn check_annotation(name: &str, value: &str) -> Option<String> {
    match name {
        INTERCEPTION_MODE => check_interception_mode(value),
        STATUS_PORT => parse_port(value)
            .err()
            .map(|e| format!("excludeInboundPorts invalid: {e}")),
        READINESS_INITIAL_DELAY | READINESS_PERIOD | READINESS_FAILURE_THRESHOLD => {
            check_uint32(value)
        }
        INCLUDE_OUTBOUND_IP_RANGES if value != "*" => check_cidr_list(value)
            .err()
            .map(|e| format!("includeIPRanges invalid: {e}")),
        EXCLUDE_OUTBOUND_IP_RANGES => check_cidr_list(value)
            .err()
            .map(|e| format!("excludeIPRanges invalid: {e}")),
        INCLUDE_INBOUND_PORTS if value != "*" => check_port_list("includeInboundPorts", value),
        EXCLUDE_INBOUND_PORTS => check_port_list("excludeInboundPorts", value),
        EXCLUDE_OUTBOUND_PORTS => check_port_list("excludeOutboundPorts", value),
        PROMETHEUS_MERGE_METRICS => parse_go_bool(value)
            .is_none()
            .then(|| format!("strconv.ParseBool: parsing {value:?}: invalid syntax")),
        PROXY_CONFIG => ProxyConfig::default()
            .apply_yaml(value)
            .err()
            .map(|e| format!("failed to apply proxy config: {e}")),
        _ => None,
    }
}

fn check_interception_mode(mode: &str) -> Option<String> {
    match mode {
        "REDIRECT" | "TPROXY" | "NONE" => None,
        _ => Some(format!(
            "interceptionMode invalid, use REDIRECT,TPROXY,NONE: {mode}"
        )),
    }
}

fn check_uint32(value: &str) -> Option<String> {
    match value.parse::<u32>() {
        Ok(_) if !value.starts_with('+') => None,
        _ => Some(format!(
            "strconv.ParseUint: parsing {value:?}: invalid syntax"
        )),
    }
}

/// Parses a port number (0-65535) after trimming spaces.
pub fn parse_port(value: &str) -> Result<u16, String> {
    let trimmed = value.trim();
    if trimmed.starts_with('+') {
        return Err(format!("failed parsing port '{value}'"));
    }
    trimmed
        .parse::<u16>()
        .map_err(|_| format!("failed parsing port '{value}'"))
}

fn check_port_list(parameter: &str, ports: &str) -> Option<String> {
    let trimmed = ports.trim();
    if trimmed.is_empty() {
        return None;
    }
    for port in trimmed.split(',') {
        if let Err(e) = parse_port(port) {
            return Some(format!(
                "{parameter} invalid: failed parsing port '{port}': {e}"
            ));
        }
    }
    None
}

fn check_cidr_list(cidrs: &str) -> Result<(), String> {
    if cidrs.is_empty() {
        return Ok(());
    }
    for cidr in cidrs.split(',') {
        parse_prefix(cidr).map_err(|e| format!("failed parsing cidr '{cidr}': {e}"))?;
    }
    Ok(())
}

/// Parses `address/bits` strictly (no spaces), as Go's `netip.ParsePrefix` does.
fn parse_prefix(cidr: &str) -> Result<(), String> {
    let (addr, bits) = cidr
        .split_once('/')
        .ok_or_else(|| format!("netip.ParsePrefix({cidr:?}): no '/'"))?;
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| format!("netip.ParsePrefix({cidr:?}): bad address"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let valid_bits = !bits.is_empty()
        && bits.bytes().all(|b| b.is_ascii_digit())
        && !(bits.len() > 1 && bits.starts_with('0'))
        && bits.parse::<u32>().is_ok_and(|b| b <= max);
    if valid_bits {
        Ok(())
    } else {
        Err(format!("netip.ParsePrefix({cidr:?}): bad bits after slash"))
    }
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(name: &str, value: &str) -> Vec<AnnotationProblem> {
        let mut m = BTreeMap::new();
        m.insert(name.to_string(), value.to_string());
        validate(&m)
    }

    #[test]
    fn accepts_valid_traffic_annotations() {
        for (name, value) in [
            (INCLUDE_OUTBOUND_IP_RANGES, "*"),
            (INCLUDE_OUTBOUND_IP_RANGES, "127.0.0.1/24,10.96.0.1/24"),
            (INCLUDE_OUTBOUND_IP_RANGES, ""),
            (EXCLUDE_OUTBOUND_IP_RANGES, "10.96.0.2/24,::1/128"),
            (INCLUDE_INBOUND_PORTS, "*"),
            (INCLUDE_INBOUND_PORTS, "1,2,3"),
            (EXCLUDE_INBOUND_PORTS, "4, 5,6"),
            (EXCLUDE_OUTBOUND_PORTS, ""),
            (STATUS_PORT, "15020"),
            (READINESS_PERIOD, "10"),
            (INTERCEPTION_MODE, "TPROXY"),
            (PROMETHEUS_MERGE_METRICS, "false"),
            (PROXY_CONFIG, "holdApplicationUntilProxyStarts: true"),
        ] {
            assert!(problems(name, value).is_empty(), "{name}={value}");
        }
    }

    #[test]
    fn rejects_bad_include_ip_ranges() {
        let p = problems(INCLUDE_OUTBOUND_IP_RANGES, "bad");
        assert_eq!(p.len(), 1);
        assert!(p[0].reason.to_lowercase().contains("includeipranges"));
    }

    #[test]
    fn rejects_wildcard_exclude_ip_ranges() {
        let p = problems(EXCLUDE_OUTBOUND_IP_RANGES, "*");
        assert!(p[0].reason.to_lowercase().contains("excludeipranges"));
        assert_eq!(problems(EXCLUDE_OUTBOUND_IP_RANGES, "10.0.0.1").len(), 1);
        assert_eq!(problems(EXCLUDE_OUTBOUND_IP_RANGES, "10.0.0.1/33").len(), 1);
    }

    #[test]
    fn rejects_bad_port_lists() {
        let p = problems(INCLUDE_INBOUND_PORTS, "80,http");
        assert!(p[0].reason.to_lowercase().contains("includeinboundports"));
        let p = problems(EXCLUDE_INBOUND_PORTS, "*");
        assert!(p[0].reason.to_lowercase().contains("excludeinboundports"));
        let p = problems(EXCLUDE_OUTBOUND_PORTS, "bad");
        assert!(p[0].reason.to_lowercase().contains("excludeoutboundports"));
        assert_eq!(problems(EXCLUDE_OUTBOUND_PORTS, "70000").len(), 1);
    }

    #[test]
    fn rejects_other_bad_values() {
        assert_eq!(problems(STATUS_PORT, "-1").len(), 1);
        assert_eq!(problems(READINESS_INITIAL_DELAY, "-5").len(), 1);
        assert_eq!(problems(READINESS_FAILURE_THRESHOLD, "x").len(), 1);
        assert_eq!(problems(INTERCEPTION_MODE, "redirect").len(), 1);
        assert_eq!(problems(PROMETHEUS_MERGE_METRICS, "yes").len(), 1);
        assert_eq!(problems(PROXY_CONFIG, "statusPort: [1]").len(), 1);
    }

    #[test]
    fn unchecked_annotations_pass() {
        assert!(problems("traffic.sidecar.istio.io/includeOutboundPorts", "x").is_empty());
        assert!(problems("foo", "bar").is_empty());
    }
}
