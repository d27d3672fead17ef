//! The data the built-in templates render from (the pod as it was before injection, proxy and
//! mesh config, values, revision, image), and the pieces the templates share: annotation lookups,
//! canonical service labels, the proxy image, the proxy environment and the proxy volumes.

use crate::annotations as ann;
use crate::error::{AnnotationProblem, InjectError, InputProblem};
use crate::mesh_config::{InboundTrafficPolicy, MeshConfig, ProxyConfig};
use crate::values::Values;
use mesh_core::Value;
use mesh_core::go::{scalar_string, truthy};
use serde_json::{Map, json};
use std::collections::BTreeMap;

/// The kind and API version of the object the pod belongs to (used for `ISTIO_META_OWNER`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TypeMeta {
    /// `apiVersion`, e.g. `apps/v1`.
    pub api_version: String,
    /// `kind`, e.g. `Deployment`.
    pub kind: String,
}

/// The name and namespace of the workload that owns the pod.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DeployMeta {
    /// Workload name.
    pub name: String,
    /// Workload namespace (may be empty).
    pub namespace: String,
}

/// Everything a built-in template reads.
pub(crate) struct TemplateData<'a> {
    pub type_meta: &'a TypeMeta,
    pub deploy: &'a DeployMeta,
    pub annotations: &'a BTreeMap<String, String>,
    pub labels: &'a BTreeMap<String, String>,
    /// The pod's metadata as prepared for injection (what Go templates see as `.ObjectMeta`).
    pub metadata: Option<&'a Value>,
    pub spec: &'a Value,
    pub proxy_config: &'a ProxyConfig,
    pub mesh: &'a MeshConfig,
    pub values: &'a Values,
    pub revision: &'a str,
    pub proxy_image: String,
    pub proxy_uid: i64,
    pub proxy_gid: i64,
    pub native_sidecars: bool,
    pub compliance_policy: &'a str,
    /// `proxyMetadata` of the proxy config, sorted.
    pub proxy_metadata: BTreeMap<String, String>,
    /// The canonical `values.global.proxy.resources` (computed once per injector; `None` when
    /// they are invalid).
    pub values_resources: &'a Option<Value>,
}

impl TemplateData<'_> {
    /// The annotation value, or the given default.
    pub fn annotation_or(&self, key: &str, default: impl Into<String>) -> String {
        match self.annotations.get(key) {
            Some(v) => v.clone(),
            None => default.into(),
        }
    }

    /// The annotation value, or the values setting at `path` printed as Go prints it.
    pub fn annotation_or_value(&self, key: &str, path: &str) -> String {
        match self.annotations.get(key) {
            Some(v) => v.clone(),
            None => self.values.sprint(path),
        }
    }

    /// Whether the annotation is present (even with an empty value).
    pub fn has_annotation(&self, key: &str) -> bool {
        self.annotations.contains_key(key)
    }

    /// A non-empty label value.
    fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Names of the pod's containers other than `istio-proxy`.
    pub fn app_containers(&self) -> Vec<String> {
        self.spec
            .get("containers")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c.get("name").and_then(Value::as_str))
                    .filter(|n| *n != "istio-proxy")
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The effective interception mode (annotation, then proxy config).
    pub fn interception_mode(&self) -> String {
        self.annotation_or(
            ann::INTERCEPTION_MODE,
            self.proxy_config.interception_mode(),
        )
    }

    /// Whether the proxy runs as a native sidecar (the annotation overrides the setting).
    pub fn native_sidecar(&self) -> bool {
        match self.annotations.get(ann::NATIVE_SIDECAR) {
            Some(v) if !v.is_empty() => v != "false",
            _ => self.native_sidecars,
        }
    }

    /// The status port (annotation, then values), as text.
    pub fn status_port(&self) -> String {
        self.annotation_or_value(ann::STATUS_PORT, "global.proxy.statusPort")
    }

    /// The proxy image for a container whose values image setting is at `values_path`:
    /// a full image reference (annotation or values) is used as is, else the computed image.
    pub fn image(&self, values_path: &str) -> String {
        let configured = self.annotation_or_value(ann::PROXY_IMAGE, values_path);
        if configured.contains('/') {
            configured
        } else {
            self.proxy_image.clone()
        }
    }

    /// `service.istio.io/canonical-name` and `canonical-revision` label values.
    pub fn canonical_labels(&self, truncate: bool) -> (String, String) {
        let mut name = self
            .label(ann::LABEL_CANONICAL_NAME)
            .or_else(|| self.label("app.kubernetes.io/name"))
            .or_else(|| self.label("app"))
            .unwrap_or(&self.deploy.name)
            .to_string();
        if truncate {
            name = name.chars().take(63).collect();
            if let Some(stripped) = name.strip_suffix('-') {
                name = stripped.to_string();
            }
        }
        let revision = self
            .label(ann::LABEL_CANONICAL_REVISION)
            .or_else(|| self.label("app.kubernetes.io/version"))
            .or_else(|| self.label("version"))
            .unwrap_or("latest")
            .to_string();
        (name, revision)
    }

    /// The `istio.io/rev` and kubectl default-container annotations.
    pub fn common_annotations(&self) -> Map<String, Value> {
        let mut out = Map::new();
        let rev = if self.revision.is_empty() {
            "default"
        } else {
            self.revision
        };
        out.insert(ann::ISTIO_REV.to_string(), json!(rev));
        if let Some(first) = self.app_containers().into_iter().next() {
            for key in [ann::DEFAULT_LOGS_CONTAINER, ann::DEFAULT_CONTAINER] {
                if !self.has_annotation(key) {
                    out.insert(key.to_string(), Value::String(first.clone()));
                }
            }
        }
        out
    }

    /// The trust domain: mesh config, else `values.global.trustDomain`.
    pub fn trust_domain(&self) -> String {
        let td = self.mesh.trust_domain();
        if td.is_empty() {
            self.values.string("global.trustDomain")
        } else {
            td
        }
    }

    /// `CA_ADDR`: `values.global.caAddress`, else the istiod service of the values' revision.
    pub fn ca_address(&self) -> String {
        let ca = self.values.string("global.caAddress");
        // A string is truthy when it is not empty.
        if !ca.is_empty() {
            return ca;
        }
        let rev = self.values.str("revision");
        let suffix = if rev.is_empty() {
            String::new()
        } else {
            format!("-{rev}")
        };
        format!(
            "istiod{suffix}.{}.svc:15012",
            self.values.str("global.istioNamespace")
        )
    }

    /// The resources of the proxy container, canonical (`{}` when there are none).
    pub fn resources(&self) -> Result<Value, InjectError> {
        let Some(mut res) = self.annotated_resources() else {
            return match self.values_resources {
                Some(resources) => Ok(resources.clone()),
                // Invalid values: computed again for the error.
                None => values_resources(self.values),
            };
        };
        crate::normalize::normalize_resources(&mut res).map_err(|e| {
            let name = match e.path.as_str() {
                "requests.cpu" => ann::PROXY_CPU,
                "requests.memory" => ann::PROXY_MEMORY,
                "limits.cpu" => ann::PROXY_CPU_LIMIT,
                _ => ann::PROXY_MEMORY_LIMIT,
            };
            InjectError::InvalidAnnotations(vec![AnnotationProblem {
                name: name.to_string(),
                value: self.annotations.get(name).cloned().unwrap_or_default(),
                reason: e.source.to_string(),
            }])
        })?;
        Ok(res)
    }

    /// The proxy resources set by the pod's resource annotations, if any is set.
    fn annotated_resources(&self) -> Option<Value> {
        let set = |k: &str| self.annotations.get(k);
        let (cpu, mem) = (set(ann::PROXY_CPU), set(ann::PROXY_MEMORY));
        let (cpu_limit, mem_limit) = (set(ann::PROXY_CPU_LIMIT), set(ann::PROXY_MEMORY_LIMIT));
        if cpu.is_some() || mem.is_some() || cpu_limit.is_some() || mem_limit.is_some() {
            let mut res = Map::new();
            let pair = |a: Option<&String>, b: Option<&String>| {
                let mut m = Map::new();
                if let Some(v) = a {
                    m.insert("cpu".to_string(), json!(v));
                }
                if let Some(v) = b {
                    m.insert("memory".to_string(), json!(v));
                }
                m
            };
            if cpu.is_some() || mem.is_some() {
                res.insert("requests".to_string(), Value::Object(pair(cpu, mem)));
            }
            if cpu_limit.is_some() || mem_limit.is_some() {
                res.insert(
                    "limits".to_string(),
                    Value::Object(pair(cpu_limit, mem_limit)),
                );
            }
            return Some(Value::Object(res));
        }
        None
    }

    /// The `ISTIO_META_POD_PORTS` value: every container port of the pod as JSON.
    pub fn pod_ports(&self) -> String {
        let mut out = b"[\n".to_vec();
        let mut count = 0;
        if let Some(cs) = self.spec.get("containers").and_then(Value::as_array) {
            for c in cs {
                for p in c
                    .get("ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    out.extend_from_slice(if count == 0 { b"    " } else { b"\n    ," });
                    push_port_json(&mut out, p);
                    count += 1;
                }
            }
        }
        out.extend_from_slice(if count == 0 { b"]" } else { b"\n]" });
        // Only JSON text was written.
        String::from_utf8(out).unwrap_or_default()
    }

    /// `ISTIO_META_WORKLOAD_NAME` for the sidecar: the workload-name label, else the workload.
    pub fn workload_name(&self) -> String {
        self.label(ann::LABEL_WORKLOAD_NAME)
            .unwrap_or(&self.deploy.name)
            .to_string()
    }

    /// `ISTIO_META_OWNER`, when the workload kind and name are known.
    pub fn owner(&self) -> Option<String> {
        if self.type_meta.api_version.is_empty() || self.deploy.name.is_empty() {
            return None;
        }
        let ns = if self.deploy.namespace.is_empty() {
            "default"
        } else {
            &self.deploy.namespace
        };
        Some(format!(
            "kubernetes://apis/{}/namespaces/{ns}/{}s/{}",
            self.type_meta.api_version,
            self.type_meta.kind.to_lowercase(),
            self.deploy.name
        ))
    }

    /// Whether the mesh sends inbound traffic to localhost.
    pub fn inbound_localhost(&self) -> bool {
        self.mesh.inbound_traffic_policy() == InboundTrafficPolicy::Localhost
    }

    /// A JSON map from an annotation (`userVolume`, `userVolumeMount`, datadog env).
    pub fn json_map_annotation(
        &self,
        key: &str,
    ) -> Result<Option<Map<String, Value>>, InjectError> {
        let Some(text) = self.annotations.get(key) else {
            return Ok(None);
        };
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => Ok(Some(m)),
            _ => Err(InjectError::InvalidAnnotations(vec![AnnotationProblem {
                name: key.to_string(),
                value: text.clone(),
                reason: "expected a JSON object".to_string(),
            }])),
        }
    }

    /// Entries `{name: key, ...value}` built from a JSON map annotation, sorted by key.
    pub fn named_entries(&self, key: &str) -> Result<Vec<Value>, InjectError> {
        let Some(m) = self.json_map_annotation(key)? else {
            return Ok(Vec::new());
        };
        Ok(m.into_iter()
            .map(|(name, v)| {
                let mut entry = match v {
                    Value::Object(fields) => fields,
                    _ => Map::new(),
                };
                entry.insert("name".to_string(), Value::String(name));
                let mut entry = Value::Object(entry);
                crate::normalize::prune_value(&mut entry);
                entry
            })
            .collect())
    }
}

/// One container port as Go prints it (field order of the Go struct, zero fields left out).
#[cfg(test)]
fn port_json(p: &Value) -> String {
    let mut out = Vec::new();
    push_port_json(&mut out, p);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends one container port as Go prints it (field order of the Go struct, zero fields left
/// out).
fn push_port_json(out: &mut Vec<u8>, p: &Value) {
    out.push(b'{');
    let mut first = true;
    for key in ["name", "hostPort", "containerPort", "protocol", "hostIP"] {
        let Some(v) = p.get(key) else { continue };
        let keep = match v {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            Value::Number(n) => key == "containerPort" || n.as_f64() != Some(0.0),
            _ => true,
        };
        if keep {
            if !first {
                out.push(b',');
            }
            first = false;
            crate::json_write::write_str(out, key);
            out.push(b':');
            crate::json_write::write_value(out, v);
        }
    }
    out.push(b'}');
}

/// The canonical proxy resources from `values.global.proxy.resources` (`{}` when unset).
pub(crate) fn values_resources(values: &Values) -> Result<Value, InjectError> {
    let mut res = match values.get("global.proxy.resources") {
        Some(configured) if truthy(configured) => omit_nil(configured),
        _ => Value::Object(Map::new()),
    };
    crate::normalize::normalize_resources(&mut res).map_err(|e| InjectError::InvalidValues {
        source_name: "values".to_string(),
        path: format!("global.proxy.resources.{}", e.path),
        problem: InputProblem::ProxyResources(e.source),
    })?;
    Ok(res)
}

/// Removes null entries from a map, recursively.
fn omit_nil(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, val)| !val.is_null())
                .map(|(k, val)| (k.clone(), omit_nil(val)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A JSON object from key/value pairs, moving the values in (the `json!` macro would copy
/// every `Value` it is given by serializing it).
pub(crate) fn object<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// A JSON list of strings.
pub(crate) fn strings(items: Vec<String>) -> Value {
    Value::Array(items.into_iter().map(Value::String).collect())
}

/// A plain environment variable.
pub(crate) fn env(name: &str, value: impl Into<String>) -> Value {
    let value: String = value.into();
    if value.is_empty() {
        // Go leaves an empty `value` out.
        return object([("name", Value::String(name.to_string()))]);
    }
    object([
        ("name", Value::String(name.to_string())),
        ("value", Value::String(value)),
    ])
}

/// A copy of a value from the injector values or an annotation, with empty and zero
/// `omitempty` fields dropped.
pub(crate) fn pruned(v: &Value) -> Value {
    let mut out = v.clone();
    crate::normalize::prune_value(&mut out);
    out
}

/// An environment variable read from a pod field.
pub(crate) fn field_env(name: &str, path: &str) -> Value {
    json!({"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}})
}

/// An environment variable read from a container resource.
pub(crate) fn resource_env(name: &str, resource: &str) -> Value {
    json!({"name": name, "valueFrom": {"resourceFieldRef": {"resource": resource, "divisor": "1"}}})
}

/// The proxy image reference: hub, image name, tag and image type, as Istio composes it.
pub(crate) fn proxy_image(
    values: &Values,
    proxy_config: &ProxyConfig,
    annotations: &BTreeMap<String, String>,
) -> String {
    let hub = values.str("global.hub");
    let tag = values
        .get("global.tag")
        .map(scalar_string)
        .unwrap_or_default();
    let configured = values.string("global.proxy.image");
    let name = if configured.is_empty() {
        "proxyv2".to_string()
    } else {
        configured
    };
    // The image type: the pod annotation, else the proxy config's `image` (when set, even with an
    // empty type), else `values.global.variant`.
    let image_type = match annotations.get(ann::PROXY_IMAGE_TYPE) {
        Some(t) => t.clone(),
        None if proxy_config
            .fields()
            .get("image")
            .is_some_and(|i| !i.is_null()) =>
        {
            proxy_config.image_type()
        }
        None => values.string("global.variant"),
    };
    format!("{hub}/{name}:{}", tag_with_image_type(&tag, &image_type))
}

/// The tag with the image type suffix replaced (`1.2-distroless`); `default` removes it.
fn tag_with_image_type(tag: &str, image_type: &str) -> String {
    if image_type.is_empty() {
        return tag.to_string();
    }
    let mut base = tag;
    for known in ["distroless", "debug"] {
        if let Some(stripped) = tag.strip_suffix(&format!("-{known}")) {
            base = stripped;
            break;
        }
    }
    if image_type == "default" {
        base.to_string()
    } else {
        format!("{base}-{image_type}")
    }
}

/// The environment variables every proxy template starts with: pod identity and resources.
pub(crate) fn identity_env() -> Vec<Value> {
    vec![
        field_env("POD_NAME", "metadata.name"),
        field_env("POD_NAMESPACE", "metadata.namespace"),
        field_env("INSTANCE_IP", "status.podIP"),
        field_env("SERVICE_ACCOUNT", "spec.serviceAccountName"),
        field_env("HOST_IP", "status.hostIP"),
    ]
}

/// `ISTIO_META_MESH_ID` and `TRUST_DOMAIN`.
pub(crate) fn mesh_identity_env(d: &TemplateData<'_>) -> Vec<Value> {
    let mut out = Vec::new();
    let td = d.trust_domain();
    let mesh_id = d.values.str("global.meshID");
    if !mesh_id.is_empty() {
        out.push(env("ISTIO_META_MESH_ID", mesh_id));
    } else if !td.is_empty() {
        out.push(env("ISTIO_META_MESH_ID", td.clone()));
    }
    if !td.is_empty() {
        out.push(env("TRUST_DOMAIN", td));
    }
    out
}

/// One env var per `proxyMetadata` entry, sorted by name.
pub(crate) fn proxy_metadata_env(d: &TemplateData<'_>) -> Vec<Value> {
    d.proxy_metadata
        .iter()
        .map(|(k, v)| env(k, v.as_str()))
        .collect()
}

/// The `istio-token` projected service account token volume.
pub(crate) fn token_volume(d: &TemplateData<'_>) -> Value {
    json!({"name": "istio-token", "projected": {"sources": [{"serviceAccountToken": {
        "path": "istio-token", "expirationSeconds": 43200, "audience": d.values.str("global.sds.token.aud")
    }}]}})
}

/// The `istio-podinfo` downward API volume.
pub(crate) fn podinfo_volume() -> Value {
    json!({"name": "istio-podinfo", "downwardAPI": {"items": [
        {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
        {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}}
    ]}})
}

/// The `istiod-ca-cert` volume (ConfigMap or cluster trust bundle), when istiod issues certs.
pub(crate) fn istiod_ca_volume(d: &TemplateData<'_>) -> Option<Value> {
    if d.values.str("global.pilotCertProvider") != "istiod" {
        return None;
    }
    let bundle = d.values.string("global.trustBundleName");
    let trust_bundle_api =
        d.values.get("pilot.env.ENABLE_CLUSTER_TRUST_BUNDLE_API") == Some(&json!(true));
    Some(if trust_bundle_api {
        let name = if bundle.is_empty() {
            "root-cert".to_string()
        } else {
            bundle
        };
        json!({"name": "istiod-ca-cert", "projected": {"sources": [{"clusterTrustBundle": {
            "name": format!("istio.io:istiod-ca:{name}"), "path": "root-cert.pem"
        }}]}})
    } else {
        let name = if bundle.is_empty() {
            "istio-ca-root-cert".to_string()
        } else {
            bundle
        };
        json!({"name": "istiod-ca-cert", "configMap": {"name": name}})
    })
}

/// The workload certificate volume: GKE workload certificates or an empty dir.
pub(crate) fn workload_certs_volume(d: &TemplateData<'_>, empty_dir: bool) -> Value {
    if gke_certs(d) {
        json!({"name": "gke-workload-certificate", "csi": {"driver": "workloadcertificates.security.cloud.google.com"}})
    } else if empty_dir {
        json!({"name": "workload-certs", "emptyDir": {}})
    } else {
        json!({"name": "workload-certs"})
    }
}

/// The workload certificate mount matching [`workload_certs_volume`].
pub(crate) fn workload_certs_mount(d: &TemplateData<'_>) -> Value {
    if gke_certs(d) {
        json!({"name": "gke-workload-certificate", "mountPath": "/var/run/secrets/workload-spiffe-credentials", "readOnly": true})
    } else {
        json!({"name": "workload-certs", "mountPath": "/var/run/secrets/workload-spiffe-credentials"})
    }
}

fn gke_certs(d: &TemplateData<'_>) -> bool {
    d.values.str("global.caName") == "GkeWorkloadCertificate"
}

/// The custom bootstrap ConfigMap volume, when the pod asks for one.
pub(crate) fn bootstrap_volume(d: &TemplateData<'_>) -> Option<Value> {
    d.has_annotation(ann::BOOTSTRAP_OVERRIDE).then(|| {
        json!({"name": "custom-bootstrap-volume", "configMap": {"name": d.annotation_or(ann::BOOTSTRAP_OVERRIDE, "")}})
    })
}

/// The mTLS certificate secret volume, when `values.global.mountMtlsCerts` is set.
pub(crate) fn mtls_certs_volume(d: &TemplateData<'_>) -> Option<Value> {
    if !d.values.truthy("global.mountMtlsCerts") {
        return None;
    }
    let sa = d
        .spec
        .get("serviceAccountName")
        .and_then(Value::as_str)
        .unwrap_or("");
    let secret = if sa.is_empty() {
        "istio.default".to_string()
    } else {
        format!("istio.{sa}")
    };
    Some(json!({"name": "istio-certs", "secret": {"optional": true, "secretName": secret}}))
}

/// `imagePullSecrets` from `values.global.imagePullSecrets`.
pub(crate) fn image_pull_secrets(d: &TemplateData<'_>) -> Option<Value> {
    let secrets = d.values.get("global.imagePullSecrets")?.as_array()?;
    if secrets.is_empty() {
        return None;
    }
    Some(Value::Array(
        secrets
            .iter()
            .map(|s| json!({"name": scalar_string(s)}))
            .collect(),
    ))
}

/// The `imagePullPolicy` from values, when set.
pub(crate) fn image_pull_policy(d: &TemplateData<'_>) -> Option<Value> {
    let p = d.values.str("global.imagePullPolicy");
    (!p.is_empty()).then(|| Value::String(p.into_owned()))
}

/// A YAML-ish scalar from an annotation or values: numbers stay numbers, as the template
/// output is parsed as YAML.
pub(crate) fn yaml_scalar(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return json!(i);
    }
    match text {
        "true" => json!(true),
        "false" => json!(false),
        _ => json!(text),
    }
}

/// The partial pod a template prints: the canonical name and revision labels, the annotations
/// and the pod spec.
pub(crate) fn partial_pod(
    (name, revision): (String, String),
    annotations: Map<String, Value>,
    spec: Map<String, Value>,
) -> Value {
    object([
        (
            "metadata",
            object([
                (
                    "labels",
                    object([
                        (ann::LABEL_CANONICAL_NAME, Value::String(name)),
                        (ann::LABEL_CANONICAL_REVISION, Value::String(revision)),
                    ]),
                ),
                ("annotations", Value::Object(annotations)),
            ]),
        ),
        ("spec", Value::Object(spec)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_type_replaces_known_suffix() {
        assert_eq!(tag_with_image_type("1.12", "distroless"), "1.12-distroless");
        assert_eq!(
            tag_with_image_type("1.12-debug", "distroless"),
            "1.12-distroless"
        );
        assert_eq!(tag_with_image_type("1.12-distroless", "default"), "1.12");
        assert_eq!(tag_with_image_type("latest", ""), "latest");
    }

    #[test]
    fn ports_print_in_go_field_order() {
        let p = json!({"containerPort": 80, "name": "http", "protocol": "TCP", "hostPort": 0});
        assert_eq!(
            port_json(&p),
            r#"{"name":"http","containerPort":80,"protocol":"TCP"}"#
        );
    }

    #[test]
    fn omit_nil_drops_null_entries() {
        let v = json!({"limits": {"cpu": null, "memory": "1Gi"}});
        assert_eq!(omit_nil(&v), json!({"limits": {"memory": "1Gi"}}));
    }
}
