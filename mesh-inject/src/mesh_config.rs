//! The mesh config (`istio` ConfigMap, key `mesh`) applied over Istio's default MeshConfig, and
//! the proxy config (`defaultConfig`, overridable per pod with `proxy.istio.io/config`).

use crate::error::{InjectError, InputProblem, ProxyConfigError};
use crate::values::kind_name;
use mesh_core::go::scalar_string;
use mesh_core::{Value, obj};
use serde_json::Map;
use std::collections::BTreeMap;

/// The effective mesh config: Istio's defaults with the user's mesh config merged over them.
#[derive(Debug, Clone, PartialEq)]
pub struct MeshConfig {
    raw: Map<String, Value>,
    default_config: ProxyConfig,
}

/// A proxy config in protobuf-JSON form (camelCase keys, durations as `"45s"`), defaults included.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyConfig {
    raw: Map<String, Value>,
}

/// How inbound traffic reaches the application (`meshConfig.inboundTrafficPolicy.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundTrafficPolicy {
    /// Traffic is sent to the pod IP (the default).
    Passthrough,
    /// Traffic is sent to localhost.
    Localhost,
}

impl Default for MeshConfig {
    fn default() -> Self {
        MeshConfig {
            raw: default_mesh_fields(),
            default_config: ProxyConfig::default(),
        }
    }
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            raw: default_proxy_fields(),
        }
    }
}

/// Istio's default proxy config, built once.
fn proxy_defaults() -> &'static Map<String, Value> {
    static DEFAULTS: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    DEFAULTS.get_or_init(default_proxy_fields)
}

/// Istio's default proxy config: the fields `PROXY_CONFIG` leaves out when they keep these values.
fn default_proxy_fields() -> Map<String, Value> {
    let v = obj! {
        "configPath" => "./etc/istio/proxy",
        "binaryPath" => "/usr/local/bin/envoy",
        "serviceCluster" => "istio-proxy",
        "drainDuration" => "45s",
        "terminationDrainDuration" => "5s",
        "parentShutdownDuration" => "60s",
        "proxyAdminPort" => 15000,
        "concurrency" => 2,
        "controlPlaneAuthPolicy" => "MUTUAL_TLS",
        "discoveryAddress" => "istiod.istio-system.svc:15012",
        "statNameLength" => 189,
        "statusPort" => 15020,
    };
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The top-level MeshConfig defaults injection reads.
fn default_mesh_fields() -> Map<String, Value> {
    let v = obj! {
        "trustDomain" => "cluster.local",
        "proxyListenPort" => 15001,
        "enablePrometheusMerge" => true,
        "rootNamespace" => "istio-system",
    };
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Fields of the proxy config that are wrapper messages: an explicit zero is still printed.
const WRAPPER_FIELDS: &[&str] = &["concurrency", "holdApplicationUntilProxyStarts"];

/// Enum fields of the proxy config and their zero value (not printed by protobuf JSON).
const ENUM_ZEROS: &[(&str, &str)] = &[
    ("interceptionMode", "REDIRECT"),
    ("controlPlaneAuthPolicy", "NONE"),
];

impl MeshConfig {
    /// Parses a mesh config document and applies it over the defaults. `source_name` names the
    /// file in errors. An empty document gives the defaults.
    pub fn from_yaml(text: &str, source_name: &str) -> Result<Self, InjectError> {
        let parsed = mesh_core::from_yaml_str(text, source_name).map_err(|e| {
            InjectError::InvalidMeshConfig {
                source_name: source_name.to_string(),
                path: "(root)".to_string(),
                problem: InputProblem::Yaml(e),
            }
        })?;
        Self::from_value(&parsed, source_name)
    }

    /// Applies a parsed mesh config over the defaults.
    pub fn from_value(value: &Value, source_name: &str) -> Result<Self, InjectError> {
        let mut mesh = MeshConfig::default();
        let overlay = match value {
            Value::Null => return Ok(mesh),
            Value::Object(m) => m,
            other => {
                return Err(InjectError::InvalidMeshConfig {
                    source_name: source_name.to_string(),
                    path: "(root)".to_string(),
                    problem: InputProblem::ExpectedMap(kind_name(other)),
                });
            }
        };
        for (key, v) in overlay {
            if key == "defaultConfig" {
                mesh.default_config
                    .apply_value(v)
                    .map_err(|e| InjectError::InvalidMeshConfig {
                        source_name: source_name.to_string(),
                        path: "defaultConfig".to_string(),
                        problem: InputProblem::ProxyConfig(e),
                    })?;
            } else {
                merge_into(&mut mesh.raw, key, v);
            }
        }
        mesh.check(source_name)?;
        Ok(mesh)
    }

    fn check(&self, source_name: &str) -> Result<(), InjectError> {
        let err = |path: &str, problem| InjectError::InvalidMeshConfig {
            source_name: source_name.to_string(),
            path: path.to_string(),
            problem,
        };
        for key in ["proxyListenPort", "proxyInboundListenPort"] {
            if let Some(v) = self.raw.get(key)
                && !v.is_null()
                && v.as_i64().is_none()
            {
                let rule = format!("expected an integer, found {v}");
                return Err(err(key, InputProblem::Rule(rule)));
            }
        }
        if let Some(v) = self.raw.get("trustDomain")
            && !v.is_string()
            && !v.is_null()
        {
            return Err(err("trustDomain", InputProblem::ExpectedString(v.clone())));
        }
        self.default_config.validate().map_err(|rule| {
            err(
                "defaultConfig",
                InputProblem::ProxyConfig(ProxyConfigError::Invalid(rule)),
            )
        })
    }

    /// The mesh-wide proxy config (`defaultConfig`).
    pub fn default_config(&self) -> &ProxyConfig {
        &self.default_config
    }

    /// This mesh config with the pod's `proxy.istio.io/config` annotation applied to its proxy
    /// config (what kube-inject does).
    pub fn with_proxy_config(&self, proxy_config: ProxyConfig) -> MeshConfig {
        MeshConfig {
            raw: self.raw.clone(),
            default_config: proxy_config,
        }
    }

    /// `trustDomain`.
    pub fn trust_domain(&self) -> String {
        self.raw
            .get("trustDomain")
            .map(scalar_string)
            .unwrap_or_default()
    }

    /// `proxyListenPort` (0 when unset).
    pub fn proxy_listen_port(&self) -> i64 {
        self.int("proxyListenPort")
    }

    /// `proxyInboundListenPort` (0 when unset).
    pub fn proxy_inbound_listen_port(&self) -> i64 {
        self.int("proxyInboundListenPort")
    }

    fn int(&self, key: &str) -> i64 {
        self.raw.get(key).and_then(Value::as_i64).unwrap_or(0)
    }

    /// `enablePrometheusMerge` (true by default).
    pub fn enable_prometheus_merge(&self) -> bool {
        self.raw
            .get("enablePrometheusMerge")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// `inboundTrafficPolicy.mode`.
    pub fn inbound_traffic_policy(&self) -> InboundTrafficPolicy {
        let mode = self
            .raw
            .get("inboundTrafficPolicy")
            .and_then(|p| p.get("mode"))
            .and_then(Value::as_str);
        match mode {
            Some("LOCALHOST") => InboundTrafficPolicy::Localhost,
            _ => InboundTrafficPolicy::Passthrough,
        }
    }

    /// The raw protobuf-JSON fields other than `defaultConfig` (for the Go template data).
    pub(crate) fn raw_fields(&self) -> &Map<String, Value> {
        &self.raw
    }
}

fn merge_into(target: &mut Map<String, Value>, key: &str, v: &Value) {
    match (target.get_mut(key), v) {
        (Some(Value::Object(existing)), Value::Object(overlay)) => {
            for (k, val) in overlay {
                merge_into(existing, k, val);
            }
        }
        _ => {
            target.insert(key.to_string(), v.clone());
        }
    }
}

impl ProxyConfig {
    /// Merges a proxy config document (YAML text) over this one, as Istio applies the
    /// `proxy.istio.io/config` annotation: fields override, maps (`proxyMetadata`) merge.
    pub fn apply_yaml(&self, text: &str) -> Result<ProxyConfig, ProxyConfigError> {
        let parsed =
            mesh_core::from_yaml_str(text, "proxy config").map_err(ProxyConfigError::Yaml)?;
        let mut out = self.clone();
        out.apply_value(&parsed)?;
        out.validate().map_err(ProxyConfigError::Invalid)?;
        Ok(out)
    }

    fn apply_value(&mut self, v: &Value) -> Result<(), ProxyConfigError> {
        match v {
            Value::Null => Ok(()),
            Value::Object(m) => {
                for (k, val) in m {
                    merge_into(&mut self.raw, k, val);
                }
                Ok(())
            }
            other => Err(ProxyConfigError::NotAMap(kind_name(other))),
        }
    }

    fn validate(&self) -> Result<(), String> {
        for key in ["statusPort", "proxyAdminPort"] {
            if let Some(v) = self.raw.get(key) {
                let port = v
                    .as_i64()
                    .ok_or(format!("{key}: expected an integer, found {v}"))?;
                if !(0..=65535).contains(&port) {
                    return Err(format!("{key}: port {port} out of range"));
                }
            }
        }
        if let Some(v) = self.raw.get("concurrency")
            && !v.is_null()
            && v.as_i64().is_none_or(|c| c < 0)
        {
            return Err(format!(
                "concurrency: expected a non-negative integer, found {v}"
            ));
        }
        if let Some(v) = self.raw.get("interceptionMode") {
            match v.as_str() {
                Some("REDIRECT" | "TPROXY" | "NONE") => {}
                _ => return Err(format!("interceptionMode: unknown mode {v}")),
            }
        }
        if let Some(v) = self.raw.get("discoveryAddress") {
            let addr = v
                .as_str()
                .ok_or(format!("discoveryAddress: expected a string, found {v}"))?;
            check_host_port(addr).map_err(|m| format!("discoveryAddress: {m}"))?;
        }
        for key in [
            "drainDuration",
            "terminationDrainDuration",
            "parentShutdownDuration",
        ] {
            if let Some(v) = self.raw.get(key) {
                let s = v
                    .as_str()
                    .ok_or(format!("{key}: expected a duration, found {v}"))?;
                check_duration(s).map_err(|m| format!("{key}: {m}"))?;
            }
        }
        if let Some(v) = self.raw.get("proxyMetadata")
            && !v.is_object()
            && !v.is_null()
        {
            return Err(format!(
                "proxyMetadata: expected a map, found {}",
                kind_name(v)
            ));
        }
        Ok(())
    }

    /// The raw protobuf-JSON fields, defaults included.
    pub fn fields(&self) -> &Map<String, Value> {
        &self.raw
    }

    /// `interceptionMode` (`REDIRECT` by default).
    pub fn interception_mode(&self) -> String {
        self.raw
            .get("interceptionMode")
            .and_then(Value::as_str)
            .unwrap_or("REDIRECT")
            .to_string()
    }

    /// `statusPort`.
    pub fn status_port(&self) -> i64 {
        self.raw
            .get("statusPort")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    /// `holdApplicationUntilProxyStarts` (false when unset).
    pub fn hold_application_until_proxy_starts(&self) -> bool {
        self.raw
            .get("holdApplicationUntilProxyStarts")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// `image.imageType` (empty when unset).
    pub fn image_type(&self) -> String {
        self.raw
            .get("image")
            .and_then(|i| i.get("imageType"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    }

    /// `proxyMetadata`, sorted by key, values printed as strings.
    pub fn proxy_metadata(&self) -> BTreeMap<String, String> {
        self.raw
            .get("proxyMetadata")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), scalar_string(v)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `tracing.tlsSettings.caCertificates`, when set.
    pub fn tracing_ca_certificates(&self) -> Option<String> {
        let ca = self
            .raw
            .get("tracing")?
            .get("tlsSettings")?
            .get("caCertificates")?
            .as_str()?;
        Some(ca.to_string())
    }

    /// Whether `tracing.tlsSettings` is set.
    pub fn has_tracing_tls(&self) -> bool {
        self.raw
            .get("tracing")
            .and_then(|t| t.get("tlsSettings"))
            .is_some_and(|t| !t.is_null())
    }

    /// The proxy config without the fields that keep their default values, as protobuf JSON:
    /// the value of the `PROXY_CONFIG` environment variable.
    pub fn cleaned_json(&self) -> String {
        let defaults = proxy_defaults();
        let mut out = Map::new();
        for (k, v) in &self.raw {
            if defaults.get(k) == Some(v) || v.is_null() {
                continue;
            }
            if k == "proxyMetadata" && v.as_object().is_some_and(Map::is_empty) {
                continue;
            }
            if !WRAPPER_FIELDS.contains(&k.as_str()) && is_proto_zero(k, v) {
                continue;
            }
            out.insert(k.clone(), strip_nested_zeros(v));
        }
        Value::Object(out).to_string()
    }

    /// A proxy config holding exactly these protobuf-JSON fields (the Go template engine's
    /// `protoToJSON` receives the config as a value tree).
    pub(crate) fn from_fields(raw: Map<String, Value>) -> ProxyConfig {
        ProxyConfig { raw }
    }
}

/// Whether a top-level scalar holds its protobuf zero value (not printed by protobuf JSON).
fn is_proto_zero(key: &str, v: &Value) -> bool {
    if let Some((_, zero)) = ENUM_ZEROS.iter().find(|(k, _)| *k == key) {
        return v.as_str() == Some(zero);
    }
    match v {
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Removes protobuf zero scalars inside nested messages (map entries keep theirs).
fn strip_nested_zeros(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, val)| !val.is_null() && !is_proto_zero(k, val))
                .map(|(k, val)| (k.clone(), strip_nested_zeros(val)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn check_host_port(addr: &str) -> Result<(), String> {
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or(format!("{addr:?} is not host:port"))?;
    if host.is_empty() {
        return Err(format!("{addr:?} has no host"));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(format!("{addr:?} has an invalid port")),
    }
}

fn check_duration(s: &str) -> Result<(), String> {
    let num = s
        .strip_suffix('s')
        .ok_or(format!("{s:?} is not a duration in seconds (like \"5s\")"))?;
    num.parse::<f64>()
        .map(|_| ())
        .map_err(|_| format!("{s:?} is not a duration in seconds (like \"5s\")"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_clean_to_empty_object() {
        let mesh = MeshConfig::from_yaml(
            "defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\ntrustDomain: cluster.local\n",
            "mesh.yaml",
        )
        .unwrap();
        assert_eq!(mesh.default_config().cleaned_json(), "{}");
        assert_eq!(mesh.trust_domain(), "cluster.local");
        assert_eq!(mesh.proxy_listen_port(), 15001);
    }

    #[test]
    fn annotation_overrides_and_merges_metadata() {
        let mesh =
            MeshConfig::from_yaml("defaultConfig:\n  proxyMetadata:\n    A: x\n", "mesh.yaml")
                .unwrap();
        let pc = mesh
            .default_config()
            .apply_yaml("discoveryAddress: foo:123\nconcurrency: 0\nproxyMetadata:\n  B: why\n")
            .unwrap();
        let cleaned: Value = serde_json::from_str(&pc.cleaned_json()).unwrap();
        assert_eq!(
            cleaned,
            json!({"discoveryAddress": "foo:123", "concurrency": 0, "proxyMetadata": {"A": "x", "B": "why"}})
        );
    }

    #[test]
    fn redirect_is_not_printed_but_tproxy_is() {
        let pc = ProxyConfig::default()
            .apply_yaml("interceptionMode: REDIRECT")
            .unwrap();
        assert_eq!(pc.cleaned_json(), "{}");
        let pc = ProxyConfig::default()
            .apply_yaml("interceptionMode: TPROXY")
            .unwrap();
        assert_eq!(pc.cleaned_json(), r#"{"interceptionMode":"TPROXY"}"#);
    }

    #[test]
    fn rejects_bad_proxy_config() {
        assert!(
            ProxyConfig::default()
                .apply_yaml("statusPort: abc")
                .is_err()
        );
        assert!(ProxyConfig::default().apply_yaml("[1, 2]").is_err());
        assert!(
            ProxyConfig::default()
                .apply_yaml("discoveryAddress: nohost")
                .is_err()
        );
    }

    #[test]
    fn empty_tracing_is_printed() {
        let mesh = MeshConfig::from_yaml("defaultConfig:\n  tracing: {}\n", "m").unwrap();
        assert_eq!(mesh.default_config().cleaned_json(), r#"{"tracing":{}}"#);
    }
}
