//! The addons' typed settings: defaults, the schema that checks them, and reading them from
//! `-f` documents and `--set` flags (the IstioOperator's path language and overlay merge).
//!
//! A settings document is a YAML map of the fields below; `kind: Addons` (and an `apiVersion`)
//! may head it and are otherwise ignored. `--set` paths are the same paths (`kiali.auth.strategy`).
//! See `docs/addons.md` for the reference.

use super::AddonsError;
use mesh_core::schema::{Shape, check};
use mesh_core::{SetFlag, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `kind` a settings document may declare.
pub const KIND: &str = "Addons";

/// All addon settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AddonSettings {
    /// Namespace the addons are installed into (each addon's `namespace` overrides it).
    pub namespace: String,
    /// Namespace of the Istio control plane the addons observe.
    pub istio_namespace: String,
    /// Kiali.
    pub kiali: KialiSettings,
    /// Prometheus.
    pub prometheus: PrometheusSettings,
    /// Grafana.
    pub grafana: GrafanaSettings,
    /// Jaeger.
    pub jaeger: JaegerSettings,
    /// Loki.
    pub loki: LokiSettings,
    /// Zipkin.
    pub zipkin: ZipkinSettings,
}

impl Default for AddonSettings {
    fn default() -> Self {
        AddonSettings {
            namespace: "istio-system".into(),
            istio_namespace: "istio-system".into(),
            kiali: KialiSettings::default(),
            prometheus: PrometheusSettings::default(),
            grafana: GrafanaSettings::default(),
            jaeger: JaegerSettings::default(),
            loki: LokiSettings::default(),
            zipkin: ZipkinSettings::default(),
        }
    }
}

/// Container resources: quantities by resource name (`cpu`, `memory`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Resources {
    /// `requests`.
    pub requests: BTreeMap<String, String>,
    /// `limits`.
    pub limits: BTreeMap<String, String>,
}

impl Resources {
    fn of(requests: &[(&str, &str)], limits: &[(&str, &str)]) -> Option<Resources> {
        let map = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        Some(Resources {
            requests: map(requests),
            limits: map(limits),
        })
    }
}

/// How Kiali authenticates its users.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthStrategy {
    /// No login: everyone gets Kiali's service account's view (Istio's sample).
    #[default]
    Anonymous,
    /// Log in with a Kubernetes service account token.
    Token,
    /// Log in with an OpenID Connect provider (needs `clientId` and `issuerUri`).
    Openid,
    /// Log in with OpenShift's OAuth server.
    Openshift,
    /// A reverse proxy in front of Kiali authenticates and passes the user's token in a header.
    Header,
}

impl AuthStrategy {
    /// The names, as written in settings.
    pub const NAMES: [&str; 5] = ["anonymous", "token", "openid", "openshift", "header"];

    /// The name, as written in settings and in Kiali's configuration.
    pub fn name(self) -> &'static str {
        match self {
            AuthStrategy::Anonymous => "anonymous",
            AuthStrategy::Token => "token",
            AuthStrategy::Openid => "openid",
            AuthStrategy::Openshift => "openshift",
            AuthStrategy::Header => "header",
        }
    }
}

/// Kiali's OpenID Connect settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OpenIdSettings {
    /// The client id registered with the provider (required for `openid`).
    pub client_id: String,
    /// The provider's issuer URI (required for `openid`).
    pub issuer_uri: String,
    /// Scopes to request.
    pub scopes: Vec<String>,
    /// The claim holding the user name.
    pub username_claim: String,
}

impl Default for OpenIdSettings {
    fn default() -> Self {
        OpenIdSettings {
            client_id: String::new(),
            issuer_uri: String::new(),
            scopes: vec!["openid".into(), "profile".into(), "email".into()],
            username_claim: "sub".into(),
        }
    }
}

/// Kiali's login settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct KialiAuth {
    /// The strategy.
    pub strategy: AuthStrategy,
    /// The key Kiali signs its session tokens with (16, 24 or 32 characters). Unset: derived from
    /// the render's secret (see [`super::RenderInputs::secret`]).
    pub signing_key: Option<String>,
    /// OpenID Connect settings (strategy `openid`).
    pub openid: OpenIdSettings,
}

/// Kiali.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct KialiSettings {
    /// Namespace override.
    pub namespace: Option<String>,
    /// Container image (`repository:tag`).
    pub image: String,
    /// Container resources.
    pub resources: Option<Resources>,
    /// Login.
    pub auth: KialiAuth,
    /// Kiali shows the mesh but changes nothing (its RBAC only reads).
    pub view_only: bool,
    /// Namespaces Kiali may see; empty means every namespace (cluster-wide access).
    pub namespaces: Vec<String>,
    /// URL of an existing Prometheus, when `prometheus` is not among the generated addons.
    pub prometheus_url: Option<String>,
    /// URL of an existing Grafana (in-cluster address).
    pub grafana_url: Option<String>,
    /// URL of an existing Jaeger query service (gRPC, e.g. `http://tracing.istio-system:16685/jaeger`).
    pub tracing_url: Option<String>,
}

impl Default for KialiSettings {
    fn default() -> Self {
        KialiSettings {
            namespace: None,
            image: "quay.io/kiali/kiali:v2.26".into(),
            resources: Resources::of(&[("cpu", "10m"), ("memory", "64Mi")], &[("memory", "1Gi")]),
            auth: KialiAuth::default(),
            view_only: false,
            namespaces: Vec::new(),
            prometheus_url: None,
            grafana_url: None,
            tracing_url: None,
        }
    }
}

/// Where an addon keeps its data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StorageType {
    /// A pod-local `emptyDir` (lost with the pod).
    #[default]
    EmptyDir,
    /// A PersistentVolumeClaim.
    PersistentVolumeClaim,
    /// In memory (Jaeger only).
    Memory,
}

impl StorageType {
    /// The names, as written in settings.
    pub const NAMES: [&str; 3] = ["emptyDir", "persistentVolumeClaim", "memory"];
}

/// Storage of an addon's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Storage {
    /// The kind of storage.
    #[serde(rename = "type")]
    pub kind: StorageType,
    /// Size of the claim (`persistentVolumeClaim`).
    pub size: String,
    /// StorageClass of the claim; unset uses the cluster's default class.
    pub storage_class: Option<String>,
}

impl Storage {
    fn of(kind: StorageType, size: &str) -> Storage {
        Storage {
            kind,
            size: size.into(),
            storage_class: None,
        }
    }
}

impl Default for Storage {
    fn default() -> Self {
        Storage::of(StorageType::EmptyDir, "10Gi")
    }
}

/// Prometheus.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PrometheusSettings {
    /// Namespace override.
    pub namespace: Option<String>,
    /// Prometheus' image.
    pub image: String,
    /// The config reloader's image.
    pub config_reloader_image: String,
    /// Resources of the Prometheus container.
    pub resources: Option<Resources>,
    /// How long samples are kept (`--storage.tsdb.retention.time`).
    pub retention: String,
    /// The global scrape interval.
    pub scrape_interval: String,
    /// Where samples are stored.
    pub storage: Storage,
}

impl Default for PrometheusSettings {
    fn default() -> Self {
        PrometheusSettings {
            namespace: None,
            image: "docker.io/prom/prometheus:v3.10.0".into(),
            config_reloader_image: "ghcr.io/prometheus-operator/prometheus-config-reloader:v0.89.0"
                .into(),
            resources: None,
            retention: "15d".into(),
            scrape_interval: "15s".into(),
            storage: Storage::of(StorageType::EmptyDir, "8Gi"),
        }
    }
}

/// Grafana's anonymous access.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GrafanaAnonymous {
    /// Whether visitors need no login.
    pub enabled: bool,
    /// Their role: `Viewer`, `Editor` or `Admin`.
    pub role: String,
}

impl Default for GrafanaAnonymous {
    fn default() -> Self {
        GrafanaAnonymous {
            enabled: true,
            role: "Admin".into(),
        }
    }
}

/// Grafana's roles for anonymous users.
pub const GRAFANA_ROLES: [&str; 3] = ["Viewer", "Editor", "Admin"];

/// Grafana.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GrafanaSettings {
    /// Namespace override.
    pub namespace: Option<String>,
    /// Container image.
    pub image: String,
    /// Container resources.
    pub resources: Option<Resources>,
    /// The admin user's name.
    pub admin_user: String,
    /// The admin user's password.
    pub admin_password: String,
    /// Anonymous access.
    pub anonymous: GrafanaAnonymous,
    /// Where Grafana keeps its database (`emptyDir` or `persistentVolumeClaim`).
    pub persistence: Storage,
    /// URL of an existing Prometheus for the data source, when `prometheus` is not generated.
    pub prometheus_url: Option<String>,
    /// URL of an existing Loki for the data source, when `loki` is not generated.
    pub loki_url: Option<String>,
}

impl Default for GrafanaSettings {
    fn default() -> Self {
        GrafanaSettings {
            namespace: None,
            image: "docker.io/grafana/grafana:12.0.1".into(),
            resources: None,
            admin_user: "admin".into(),
            admin_password: "admin".into(),
            anonymous: GrafanaAnonymous::default(),
            persistence: Storage::default(),
            prometheus_url: None,
            loki_url: None,
        }
    }
}

/// Jaeger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct JaegerSettings {
    /// Namespace override.
    pub namespace: Option<String>,
    /// Container image.
    pub image: String,
    /// Container resources.
    pub resources: Option<Resources>,
    /// The default sampling probability Jaeger serves to clients (0 to 1).
    pub sampling_probability: f64,
    /// Where traces are stored: `emptyDir` or `persistentVolumeClaim` (Badger), or `memory`.
    pub storage: Storage,
    /// Traces kept by the `memory` storage.
    pub max_traces: u64,
}

impl Default for JaegerSettings {
    fn default() -> Self {
        JaegerSettings {
            namespace: None,
            image: "docker.io/jaegertracing/jaeger:2.14.0".into(),
            resources: Resources::of(&[("cpu", "10m")], &[]),
            sampling_probability: 1.0,
            storage: Storage::default(),
            max_traces: 100_000,
        }
    }
}

/// Loki.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LokiSettings {
    /// Namespace override.
    pub namespace: Option<String>,
    /// Loki's image.
    pub image: String,
    /// The rules sidecar's image.
    pub sidecar_image: String,
    /// Resources of the Loki container.
    pub resources: Option<Resources>,
    /// Where logs are stored (`persistentVolumeClaim` by default, or `emptyDir`).
    pub storage: Storage,
}

impl Default for LokiSettings {
    fn default() -> Self {
        LokiSettings {
            namespace: None,
            image: "docker.io/grafana/loki:3.6.5".into(),
            sidecar_image: "docker.io/kiwigrid/k8s-sidecar:1.30.9".into(),
            resources: Some(Resources::default()),
            storage: Storage::of(StorageType::PersistentVolumeClaim, "10Gi"),
        }
    }
}

/// Zipkin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ZipkinSettings {
    /// Namespace override.
    pub namespace: Option<String>,
    /// Container image.
    pub image: String,
    /// Container resources.
    pub resources: Option<Resources>,
}

impl Default for ZipkinSettings {
    fn default() -> Self {
        ZipkinSettings {
            namespace: None,
            image: "docker.io/openzipkin/zipkin-slim:3.4.0".into(),
            resources: None,
        }
    }
}

/// The schema of a settings document, for unknown fields (with did-you-mean) and wrong types.
pub fn shape() -> Shape {
    let resources = Shape::object([
        ("requests", Shape::map(Shape::Quantity)),
        ("limits", Shape::map(Shape::Quantity)),
    ]);
    let storage = |names: &[&str]| {
        Shape::object([
            ("type", Shape::one_of(names.iter().copied())),
            ("size", Shape::Quantity),
            ("storageClass", Shape::Text),
        ])
    };
    let claim_kinds = &StorageType::NAMES[..2];
    let common = |extra: Vec<(&'static str, Shape)>| {
        let mut fields = vec![
            ("namespace", Shape::String),
            ("image", Shape::String),
            ("resources", resources.clone()),
        ];
        fields.extend(extra);
        Shape::object(fields)
    };
    Shape::object([
        ("apiVersion", Shape::String),
        ("kind", Shape::one_of([KIND])),
        ("namespace", Shape::String),
        ("istioNamespace", Shape::String),
        (
            "kiali",
            common(vec![
                (
                    "auth",
                    Shape::object([
                        ("strategy", Shape::one_of(AuthStrategy::NAMES)),
                        ("signingKey", Shape::Text),
                        (
                            "openid",
                            Shape::object([
                                ("clientId", Shape::Text),
                                ("issuerUri", Shape::String),
                                ("scopes", Shape::list(Shape::String)),
                                ("usernameClaim", Shape::String),
                            ]),
                        ),
                    ]),
                ),
                ("viewOnly", Shape::Bool),
                ("namespaces", Shape::list(Shape::String)),
                ("prometheusUrl", Shape::String),
                ("grafanaUrl", Shape::String),
                ("tracingUrl", Shape::String),
            ]),
        ),
        (
            "prometheus",
            common(vec![
                ("configReloaderImage", Shape::String),
                ("retention", Shape::String),
                ("scrapeInterval", Shape::Duration),
                ("storage", storage(claim_kinds)),
            ]),
        ),
        (
            "grafana",
            common(vec![
                ("adminUser", Shape::Text),
                ("adminPassword", Shape::Text),
                (
                    "anonymous",
                    Shape::object([
                        ("enabled", Shape::Bool),
                        ("role", Shape::one_of(GRAFANA_ROLES)),
                    ]),
                ),
                ("persistence", storage(claim_kinds)),
                ("prometheusUrl", Shape::String),
                ("lokiUrl", Shape::String),
            ]),
        ),
        (
            "jaeger",
            common(vec![
                ("samplingProbability", Shape::Number),
                ("storage", storage(&StorageType::NAMES)),
                (
                    "maxTraces",
                    Shape::Integer {
                        min: 1,
                        max: i64::from(u32::MAX),
                    },
                ),
            ]),
        ),
        (
            "loki",
            common(vec![
                ("sidecarImage", Shape::String),
                ("storage", storage(claim_kinds)),
            ]),
        ),
        ("zipkin", common(Vec::new())),
    ])
}

/// One settings document (`-f FILE`): its name for messages and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsFile {
    /// The file name as the user gave it.
    pub name: String,
    /// The file's text.
    pub text: String,
}

/// Reads settings: defaults, then each file merged in order (maps merge, lists and scalars
/// replace, `null` resets to the default), then each `--set` flag in order. Every layer is
/// checked against [`shape`] on its own, so an error names the file or flag it comes from.
pub fn read_settings(
    files: &[SettingsFile],
    sets: &[String],
) -> Result<AddonSettings, AddonsError> {
    let shape = shape();
    let mut merged = Value::Object(Default::default());
    let mut problems = Vec::new();
    for file in files {
        let mut doc = mesh_core::from_yaml_str(&file.text, &file.name)?;
        if doc.is_null() {
            continue;
        }
        if !doc.is_object() {
            return Err(AddonsError::NotAMap {
                file: file.name.clone(),
                found: mesh_core::path::kind_name(&doc),
            });
        }
        text_leaves(&mut doc, &shape);
        problems.extend(
            check(&doc, &shape, "")
                .into_iter()
                .map(|e| format!("{}: {e}", file.name)),
        );
        mesh_core::merge_patch(&mut merged, doc);
    }
    for flag in sets {
        let parsed: SetFlag = flag.parse()?;
        let mut layer = Value::Null;
        mesh_core::path::set(&mut layer, &parsed.path, parsed.value.clone()).map_err(|source| {
            AddonsError::SetPath {
                flag: flag.clone(),
                source,
            }
        })?;
        text_leaves(&mut layer, &shape);
        let errors = check(&layer, &shape, "");
        if errors.is_empty() {
            mesh_core::path::set(&mut merged, &parsed.path, parsed.value).map_err(|source| {
                AddonsError::SetPath {
                    flag: flag.clone(),
                    source,
                }
            })?;
            text_leaves(&mut merged, &shape);
        }
        problems.extend(errors.into_iter().map(|e| format!("--set {flag}: {e}")));
    }
    if !problems.is_empty() {
        return Err(AddonsError::Settings { problems });
    }
    if let Value::Object(map) = &mut merged {
        map.remove("apiVersion");
        map.remove("kind");
    }
    strip_nulls(&mut merged);
    let settings: AddonSettings =
        serde_json::from_value(merged).map_err(|e| AddonsError::Settings {
            problems: vec![e.to_string()],
        })?;
    settings.validate()?;
    Ok(settings)
}

/// Turns booleans and numbers at [`Shape::Text`] leaves into their text (`--set
/// grafana.adminPassword=1234` is a password, not a number).
fn text_leaves(value: &mut Value, shape: &Shape) {
    match (shape, value) {
        (Shape::Text, v @ (Value::Bool(_) | Value::Number(_))) => {
            *v = Value::String(mesh_core::go::scalar_string(v));
        }
        (Shape::Object(fields), Value::Object(map)) => {
            for (k, s) in fields {
                if let Some(v) = map.get_mut(k) {
                    text_leaves(v, s);
                }
            }
        }
        _ => {}
    }
}

/// Removes `null` map entries, so that they take the default.
fn strip_nulls(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|_, v| !v.is_null());
        map.values_mut().for_each(strip_nulls);
    }
}

/// A setting with a value that passed the schema but is still unusable.
fn invalid(path: &str, problem: impl Into<String>) -> AddonsError {
    AddonsError::Invalid {
        path: path.to_string(),
        problem: problem.into(),
    }
}

impl AddonSettings {
    /// Checks what the schema cannot: what an auth strategy needs, key lengths, names, ranges.
    pub fn validate(&self) -> Result<(), AddonsError> {
        let auth = &self.kiali.auth;
        if auth.strategy == AuthStrategy::Openid {
            if auth.openid.client_id.is_empty() {
                return Err(invalid(
                    "kiali.auth.openid.clientId",
                    "the openid strategy needs the client id registered with the provider",
                ));
            }
            if auth.openid.issuer_uri.is_empty() {
                return Err(invalid(
                    "kiali.auth.openid.issuerUri",
                    "the openid strategy needs the provider's issuer URI (https://...)",
                ));
            }
        }
        if let Some(key) = &auth.signing_key
            && ![16, 24, 32].contains(&key.len())
        {
            return Err(invalid(
                "kiali.auth.signingKey",
                format!(
                    "expected 16, 24 or 32 characters, got {} (leave it unset to have one generated)",
                    key.len()
                ),
            ));
        }
        let p = self.jaeger.sampling_probability;
        if !(0.0..=1.0).contains(&p) {
            return Err(invalid(
                "jaeger.samplingProbability",
                format!("expected a number from 0 to 1, got {p}"),
            ));
        }
        let namespaces = [
            ("namespace", Some(&self.namespace)),
            ("istioNamespace", Some(&self.istio_namespace)),
            ("kiali.namespace", self.kiali.namespace.as_ref()),
            ("prometheus.namespace", self.prometheus.namespace.as_ref()),
            ("grafana.namespace", self.grafana.namespace.as_ref()),
            ("jaeger.namespace", self.jaeger.namespace.as_ref()),
            ("loki.namespace", self.loki.namespace.as_ref()),
            ("zipkin.namespace", self.zipkin.namespace.as_ref()),
        ];
        for (path, ns) in namespaces {
            if let Some(ns) = ns
                && !mesh_core::operator::validate::is_dns1123_label(ns)
            {
                return Err(invalid(
                    path,
                    format!("expected a namespace name (a DNS-1123 label), got {ns:?}"),
                ));
            }
        }
        for (i, ns) in self.kiali.namespaces.iter().enumerate() {
            if !mesh_core::operator::validate::is_dns1123_label(ns) {
                return Err(invalid(
                    &format!("kiali.namespaces[{i}]"),
                    format!("expected a namespace name (a DNS-1123 label), got {ns:?}"),
                ));
            }
        }
        for (path, storage) in [
            ("prometheus.storage.type", &self.prometheus.storage),
            ("grafana.persistence.type", &self.grafana.persistence),
            ("loki.storage.type", &self.loki.storage),
        ] {
            if storage.kind == StorageType::Memory {
                return Err(invalid(
                    path,
                    "memory storage is only offered by jaeger; use emptyDir or persistentVolumeClaim",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SettingsFile {
        SettingsFile {
            name: "addons.yaml".into(),
            text: text.into(),
        }
    }

    #[test]
    fn defaults_round_trip_through_the_schema() {
        let value = serde_json::to_value(AddonSettings::default()).unwrap();
        assert_eq!(check(&value, &shape(), ""), vec![]);
        assert_eq!(read_settings(&[], &[]).unwrap(), AddonSettings::default());
    }

    #[test]
    fn files_then_sets_override_in_order() {
        let s = read_settings(
            &[file(
                "kind: Addons\nnamespace: observability\nprometheus:\n  retention: 30d\n",
            )],
            &[
                "prometheus.retention=7d".into(),
                "grafana.adminPassword=1234".into(),
            ],
        )
        .unwrap();
        assert_eq!(s.namespace, "observability");
        assert_eq!(s.prometheus.retention, "7d");
        assert_eq!(s.grafana.admin_password, "1234");
        assert_eq!(s.prometheus.scrape_interval, "15s");
    }

    #[test]
    fn unknown_fields_and_wrong_types_name_the_source_and_path() {
        let err = read_settings(&[file("kiali:\n  veiwOnly: true\n")], &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "addons.yaml: kiali.veiwOnly: unknown field (did you mean \"viewOnly\"?)"
        );
        let err = read_settings(&[], &["prometheus.scrapeInterval=fast".into()]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("--set prometheus.scrapeInterval=fast: prometheus.scrapeInterval: expected a duration"),
            "{err}"
        );
        let err = read_settings(&[], &["kiali.auth.strategy=tokn".into()]).unwrap_err();
        assert!(err.to_string().contains("did you mean \"token\""), "{err}");
    }

    #[test]
    fn openid_needs_client_and_issuer() {
        let err = read_settings(&[], &["kiali.auth.strategy=openid".into()]).unwrap_err();
        assert!(
            err.to_string().starts_with("kiali.auth.openid.clientId: "),
            "{err}"
        );
        let err = read_settings(
            &[],
            &[
                "kiali.auth.strategy=openid".into(),
                "kiali.auth.openid.clientId=kiali".into(),
            ],
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("kiali.auth.openid.issuerUri: "),
            "{err}"
        );
    }

    #[test]
    fn memory_storage_is_jaegers_only() {
        let err = read_settings(
            &[],
            &[
                "jaeger.storage.type=memory".into(),
                "loki.storage.type=memory".into(),
            ],
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("--set loki.storage.type=memory: loki.storage.type: expected one of"),
            "{err}"
        );
        assert!(read_settings(&[], &["jaeger.storage.type=memory".into()]).is_ok());
    }

    #[test]
    fn signing_keys_have_an_aes_length() {
        let err = read_settings(&[], &["kiali.auth.signingKey=short".into()]).unwrap_err();
        assert!(err.to_string().contains("16, 24 or 32"), "{err}");
        assert!(read_settings(&[], &["kiali.auth.signingKey=0123456789abcdef".into()]).is_ok());
    }
}
