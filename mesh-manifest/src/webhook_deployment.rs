//! The objects that run `mesh-webhook` in a cluster in place of istiod's injection endpoint:
//! ServiceAccount, Deployment, Service, PodDisruptionBudget, the MutatingWebhookConfiguration
//! and (optionally) the cert-manager objects of its serving certificate.
//!
//! The webhook entries (names, namespace and object selectors, rules, failure policy) are the
//! ones the Pilot renderer writes for istiod, so a namespace or pod is selected by mesh-webhook
//! exactly when istiod's webhook would select it; only `clientConfig` and the object's name and
//! labels change. The configuration the server reads is mounted from the ConfigMaps the Istio
//! install already has (`istio-sidecar-injector[-<rev>]`, `istio[-<rev>]`); with
//! [`WebhookDeploymentOptions::with_config`] they are rendered here too.
//!
//! The webhook configuration gets a name of its own (`<name>[-<rev>]`) and mesh's labels, not
//! istiod's: istiod keeps the `caBundle` of its own injector webhooks patched, found by name and
//! label, and would otherwise rewrite ours. Install Istio with
//! `values.global.operatorManageWebhooks=true` so that istiod's own injection webhook is not
//! rendered next to this one (both would inject).
//!
//! With [`WebhookDeploymentOptions::url`] the server runs outside the cluster (a developer's
//! machine, a test on loopback): only the webhook configuration (and, with `with_config`, the
//! ConfigMaps) is rendered, its entries calling that URL with the caBundle of
//! [`ServingCert::Secret`].

use crate::Object;
use crate::generate::GenerateError;
use crate::order::{Manifest, OrderOptions, order};
use crate::render::{RenderContext, pilot};
use mesh_core::obj;
use mesh_core::{ComponentName, Value};
use mesh_profiles::Resolved;
use serde_json::{Map, json};

/// The port the server listens on inside the pod (`mesh-webhook --listen 0.0.0.0:9443`).
pub const CONTAINER_PORT: u16 = 9443;

/// Where the serving certificate's Secret is mounted.
const TLS_DIR: &str = "/var/run/secrets/mesh-webhook";
/// Where the injector ConfigMap (`config`, `values`) is mounted.
const INJECT_DIR: &str = "/var/lib/istio/inject";
/// Where the mesh ConfigMap (`mesh`) is mounted.
const MESH_DIR: &str = "/etc/istio/config";
/// `--drain-timeout` of the server; the pod's grace period is set above it.
const DRAIN_SECONDS: u32 = 25;

/// How the webhook's serving certificate is issued and how the API server learns its CA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServingCert {
    /// cert-manager issues the certificate into the Secret `<name>-tls` and fills the webhook
    /// configuration's `caBundle` (annotation `cert-manager.io/inject-ca-from`). With no issuer,
    /// a self-signed `Issuer` is rendered next to the `Certificate`.
    CertManager {
        /// An existing issuer to use instead: `(kind, name)`, kind `Issuer` or `ClusterIssuer`.
        issuer: Option<(String, String)>,
    },
    /// The user creates the `kubernetes.io/tls` Secret `<name>-tls`; this is the PEM of the CA
    /// that signed it (written base64-encoded into every webhook entry's `caBundle`).
    Secret {
        /// PEM text of the CA certificate(s).
        ca_pem: String,
    },
}

/// Options of [`render_webhook_deployment`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDeploymentOptions {
    /// Container image holding the `mesh-webhook` binary (required; mesh publishes none).
    pub image: String,
    /// Base name of the Deployment, Service, ServiceAccount, Secret and webhook configuration.
    pub name: String,
    /// Replicas of the Deployment. With more than one, a PodDisruptionBudget keeps one running:
    /// with `failurePolicy: Fail` an unreachable webhook blocks pod creation.
    pub replicas: u32,
    /// The serving certificate.
    pub cert: ServingCert,
    /// `--native-sidecars` of the server: `auto`, `true` or `false`.
    pub native_sidecars: String,
    /// Also render the injector and mesh ConfigMaps the server mounts (for clusters where the
    /// Istio install does not already provide them).
    pub with_config: bool,
    /// Call a server running outside the cluster at this base URL
    /// (`https://HOST[:PORT][/PREFIX]`, the injection path is appended) instead of the in-cluster
    /// Service. Only the MutatingWebhookConfiguration (and the ConfigMaps of `with_config`) is
    /// rendered; `image`, `replicas` and `native_sidecars` are not used. The caBundle is the CA
    /// of [`ServingCert::Secret`]; with `ServingCert::CertManager { issuer: None }` no caBundle is
    /// written (the API server then trusts its system roots). A cert-manager issuer is an error:
    /// cert-manager cannot issue a certificate for a server outside the cluster.
    pub url: Option<String>,
}

impl Default for WebhookDeploymentOptions {
    fn default() -> Self {
        WebhookDeploymentOptions {
            image: String::new(),
            name: "mesh-webhook".to_string(),
            replicas: 2,
            cert: ServingCert::CertManager { issuer: None },
            native_sidecars: "auto".to_string(),
            with_config: false,
            url: None,
        }
    }
}

/// The webhook deployment's objects could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum WebhookDeploymentError {
    /// An option has an unusable value.
    #[error("webhook server: {option}: {problem}")]
    BadOption {
        /// The option (`image`, `name`, `ca`, ...).
        option: &'static str,
        /// What is wrong with it.
        #[source]
        problem: OptionProblem,
    },
    /// The configuration has no Pilot component, whose values hold the injector settings.
    #[error(
        "webhook server: the configuration has no enabled pilot component (components.pilot); its values hold the injector settings the webhook serves"
    )]
    NoPilot,
    /// The Pilot renderer did not produce an object the webhook needs.
    #[error("webhook server: the pilot component rendered no {what}")]
    Missing {
        /// What was missing.
        what: &'static str,
    },
    /// Rendering or ordering failed.
    #[error(transparent)]
    Generate(#[from] GenerateError),
}

/// Why an option of [`WebhookDeploymentOptions`] is unusable (the cause of
/// [`WebhookDeploymentError::BadOption`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OptionProblem {
    /// `image` is empty.
    #[error("a container image with the mesh-webhook binary is required")]
    NoImage,
    /// `name` is not a DNS label of at most 50 characters.
    #[error("expected a DNS label of at most 50 characters (lower-case letters, digits, '-')")]
    NotADnsLabel,
    /// `replicas` is 0.
    #[error("expected at least 1")]
    NoReplicas,
    /// `native_sidecars` is not `auto`, `true` or `false`.
    #[error("expected auto, true or false")]
    NotAutoTrueFalse,
    /// The CA of [`ServingCert::Secret`] is not PEM text of a certificate.
    #[error("expected the PEM text of a CA certificate (-----BEGIN CERTIFICATE-----)")]
    NotAPemCertificate,
    /// The issuer of [`ServingCert::CertManager`] is not `Issuer/<name>` or
    /// `ClusterIssuer/<name>`.
    #[error("expected Issuer/<name> or ClusterIssuer/<name>")]
    NotAnIssuer,
    /// `url` is not an `https://` URL with a host and without query, fragment or user info (what
    /// the API server accepts as a webhook's `clientConfig.url`).
    #[error("expected https://HOST[:PORT][/PATH] without user info, query or fragment")]
    NotAnHttpsUrl,
    /// A cert-manager issuer was given with `url`: cert-manager issues certificates for the
    /// in-cluster Service only.
    #[error(
        "cert-manager cannot issue the certificate of a server outside the cluster; give the CA that signed it instead"
    )]
    IssuerWithUrl,
}

/// Renders the webhook deployment's objects for a resolved configuration, unordered.
pub fn render_webhook_deployment(
    resolved: &Resolved,
    opts: &WebhookDeploymentOptions,
    ctx: &RenderContext,
) -> Result<Vec<Object>, WebhookDeploymentError> {
    check_options(opts)?;
    let pilot_values = resolved
        .components
        .iter()
        .find(|cv| cv.component == ComponentName::Pilot)
        .ok_or(WebhookDeploymentError::NoPilot)?;
    // istiod's injection webhook is what ours replaces: render it even when the install leaves
    // webhooks to the operator.
    let mut cv = pilot_values.clone();
    if let Some(global) = cv.values.get_mut("global").and_then(Value::as_object_mut) {
        global.insert("operatorManageWebhooks".into(), Value::Bool(false));
    }
    let rendered = pilot::render_pilot(&cv, ctx).map_err(GenerateError::from)?;
    let site = Site::new(&cv.values, &cv.namespace, opts);

    let injector_cm = find(&rendered, "ConfigMap", |o| {
        has_data(o, &["config", "values"])
    })
    .ok_or(WebhookDeploymentError::Missing {
        what: "istio-sidecar-injector ConfigMap",
    })?;
    let mesh_cm = find(&rendered, "ConfigMap", |o| has_data(o, &["mesh"])).ok_or(
        WebhookDeploymentError::Missing {
            what: "mesh ConfigMap",
        },
    )?;
    let istiod_hooks = find(&rendered, "MutatingWebhookConfiguration", |_| true).ok_or(
        WebhookDeploymentError::Missing {
            what: "injection MutatingWebhookConfiguration",
        },
    )?;

    if opts.url.is_some() {
        // A server outside the cluster: the API server only needs to know where to call.
        let mut out = vec![site.webhook_configuration(istiod_hooks)?];
        if opts.with_config {
            out.push(injector_cm.value.clone());
            out.push(mesh_cm.value.clone());
        }
        return Ok(out
            .into_iter()
            .map(|v| Object::new(Some(ComponentName::Pilot), v))
            .collect());
    }
    let mut out = vec![
        site.service_account(),
        site.deployment(name_of(injector_cm), name_of(mesh_cm)),
        site.service(),
        site.webhook_configuration(istiod_hooks)?,
    ];
    if opts.replicas > 1 {
        out.push(site.disruption_budget());
    }
    if let ServingCert::CertManager { issuer } = &opts.cert {
        out.extend(site.cert_manager(issuer.as_ref()));
    }
    if opts.with_config {
        out.push(injector_cm.value.clone());
        out.push(mesh_cm.value.clone());
    }
    Ok(out
        .into_iter()
        .map(|v| Object::new(Some(ComponentName::Pilot), v))
        .collect())
}

/// Renders and orders the webhook deployment's objects (Namespace first, webhook configuration last).
pub fn generate_webhook_deployment(
    resolved: &Resolved,
    opts: &WebhookDeploymentOptions,
    ctx: &RenderContext,
    order_opts: &OrderOptions,
) -> Result<Manifest, WebhookDeploymentError> {
    let objects = render_webhook_deployment(resolved, opts, ctx)?;
    Ok(order(objects, order_opts).map_err(GenerateError::from)?)
}

fn check_options(opts: &WebhookDeploymentOptions) -> Result<(), WebhookDeploymentError> {
    let bad = |option, problem| Err(WebhookDeploymentError::BadOption { option, problem });
    if let Some(url) = &opts.url {
        if !is_https_url(url) {
            return bad("url", OptionProblem::NotAnHttpsUrl);
        }
        if let ServingCert::CertManager { issuer: Some(_) } = &opts.cert {
            return bad("issuer", OptionProblem::IssuerWithUrl);
        }
    } else if opts.image.trim().is_empty() {
        return bad("image", OptionProblem::NoImage);
    }
    if !mesh_core::operator::validate::is_dns1123_label(&opts.name) || opts.name.len() > 50 {
        return bad("name", OptionProblem::NotADnsLabel);
    }
    if opts.replicas == 0 {
        return bad("replicas", OptionProblem::NoReplicas);
    }
    if !matches!(opts.native_sidecars.as_str(), "auto" | "true" | "false") {
        return bad("native-sidecars", OptionProblem::NotAutoTrueFalse);
    }
    match &opts.cert {
        ServingCert::Secret { ca_pem } if !ca_pem.contains("-----BEGIN CERTIFICATE-----") => {
            bad("ca", OptionProblem::NotAPemCertificate)
        }
        ServingCert::CertManager {
            issuer: Some((kind, name)),
        } if !matches!(kind.as_str(), "Issuer" | "ClusterIssuer") || name.is_empty() => {
            bad("issuer", OptionProblem::NotAnIssuer)
        }
        _ => Ok(()),
    }
}

/// What the API server accepts as a webhook URL: `https://`, a host, no user info, query or
/// fragment, no spaces.
fn is_https_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    !authority.is_empty()
        && !authority.starts_with(':')
        && !authority.contains('@')
        && !rest.contains(['?', '#'])
        && !url.chars().any(char::is_whitespace)
}

fn find<'a>(objs: &'a [Object], kind: &str, pred: impl Fn(&Object) -> bool) -> Option<&'a Object> {
    objs.iter().find(|o| o.kind() == kind && pred(o))
}

fn has_data(o: &Object, keys: &[&str]) -> bool {
    keys.iter()
        .all(|k| o.value.pointer(&format!("/data/{k}")).is_some())
}

fn name_of(o: &Object) -> &str {
    o.name()
}

/// Everything the objects share: names, namespace, revision, labels.
struct Site<'a> {
    opts: &'a WebhookDeploymentOptions,
    namespace: &'a str,
    revision: String,
    /// `<name>` or `<name>-<rev>`: the Deployment, Service and ServiceAccount.
    name: String,
    /// The injection path with the cluster and network the proxies are told.
    path: String,
    pull_policy: String,
}

impl<'a> Site<'a> {
    fn new(values: &Value, namespace: &'a str, opts: &'a WebhookDeploymentOptions) -> Self {
        let text = |p: &str| {
            values
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let revision = text("/revision");
        let name = if revision.is_empty() || revision == "default" {
            opts.name.clone()
        } else {
            format!("{}-{revision}", opts.name)
        };
        Site {
            opts,
            namespace,
            path: injection_path(
                &text("/global/multiCluster/clusterName"),
                &text("/global/network"),
            ),
            pull_policy: text("/global/imagePullPolicy"),
            revision,
            name,
        }
    }

    fn labels(&self) -> Value {
        let mut l = Map::new();
        l.insert("app".into(), self.name.clone().into());
        l.insert(
            "app.kubernetes.io/name".into(),
            self.opts.name.clone().into(),
        );
        l.insert("app.kubernetes.io/part-of".into(), "mesh".into());
        l.insert(
            "app.kubernetes.io/component".into(),
            "sidecar-injector".into(),
        );
        if !self.revision.is_empty() {
            l.insert("mesh.dev/revision".into(), self.revision.clone().into());
        }
        Value::Object(l)
    }

    fn selector(&self) -> Value {
        obj! { "app" => self.name.as_str() }
    }

    fn metadata(&self, name: &str) -> Value {
        obj! { "name" => name, "namespace" => self.namespace, "labels" => self.labels() }
    }

    fn secret_name(&self) -> String {
        format!("{}-tls", self.name)
    }

    fn service_account(&self) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": self.metadata(&self.name),
            // The server reads only mounted files: no API token needed.
            "automountServiceAccountToken": false,
        })
    }

    fn args(&self) -> Vec<String> {
        let mut args = vec![
            format!("--listen=0.0.0.0:{CONTAINER_PORT}"),
            format!("--tls-cert={TLS_DIR}/tls.crt"),
            format!("--tls-key={TLS_DIR}/tls.key"),
            format!("--values={INJECT_DIR}/values"),
            format!("--inject-config={INJECT_DIR}/config"),
            format!("--mesh-config={MESH_DIR}/mesh"),
            format!("--native-sidecars={}", self.opts.native_sidecars),
            format!("--drain-timeout={DRAIN_SECONDS}"),
            "--log-format=json".to_string(),
        ];
        if !self.revision.is_empty() {
            args.push(format!("--revision={}", self.revision));
        }
        args
    }

    fn deployment(&self, injector_cm: &str, mesh_cm: &str) -> Value {
        let probe = |path: &str| {
            obj! {
                "httpGet" => json!({"path": path, "port": CONTAINER_PORT, "scheme": "HTTPS"}),
                "periodSeconds" => 5,
                "failureThreshold" => 3,
            }
        };
        let mut container = json!({
            "name": "mesh-webhook",
            "image": self.opts.image,
            "args": self.args(),
            "ports": [{"name": "https-webhook", "containerPort": CONTAINER_PORT, "protocol": "TCP"}],
            "readinessProbe": probe("/readyz"),
            "livenessProbe": probe("/healthz"),
            // Measured: about 0.5 ms of CPU per injection and under 20 MiB resident at 1000/s.
            "resources": {
                "requests": {"cpu": "100m", "memory": "32Mi"},
                "limits": {"memory": "256Mi"},
            },
            "securityContext": {
                "allowPrivilegeEscalation": false,
                "readOnlyRootFilesystem": true,
                "runAsNonRoot": true,
                "runAsUser": 65532,
                "runAsGroup": 65532,
                "capabilities": {"drop": ["ALL"]},
            },
            "volumeMounts": [
                {"name": "serving-cert", "mountPath": TLS_DIR, "readOnly": true},
                {"name": "inject-config", "mountPath": INJECT_DIR, "readOnly": true},
                {"name": "mesh-config", "mountPath": MESH_DIR, "readOnly": true},
            ],
        });
        if !self.pull_policy.is_empty()
            && let Some(c) = container.as_object_mut()
        {
            c.insert("imagePullPolicy".into(), self.pull_policy.clone().into());
        }
        let mut pod_labels = self.labels();
        if let Some(l) = pod_labels.as_object_mut() {
            // Never inject the injector: every injection webhook entry skips this label.
            l.insert("sidecar.istio.io/inject".into(), "false".into());
        }
        obj! {
            "apiVersion" => "apps/v1",
            "kind" => "Deployment",
            "metadata" => self.metadata(&self.name),
            "spec" => json!({
                "replicas": self.opts.replicas,
                "selector": {"matchLabels": self.selector()},
                "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                "template": {
                    "metadata": {"labels": pod_labels},
                    "spec": {
                        "serviceAccountName": self.name,
                        "automountServiceAccountToken": false,
                        "terminationGracePeriodSeconds": DRAIN_SECONDS + 5,
                        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                        "topologySpreadConstraints": [{
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": self.selector()},
                        }],
                        "containers": [container],
                        // Whole-volume mounts (not subPath): Kubernetes updates them in place
                        // and the server reloads what changed.
                        "volumes": [
                            {"name": "serving-cert", "secret": {"secretName": self.secret_name()}},
                            {"name": "inject-config", "configMap": {"name": injector_cm}},
                            {"name": "mesh-config", "configMap": {"name": mesh_cm}},
                        ],
                    },
                },
            }),
        }
    }

    fn service(&self) -> Value {
        obj! {
            "apiVersion" => "v1",
            "kind" => "Service",
            "metadata" => self.metadata(&self.name),
            "spec" => json!({
                "selector": self.selector(),
                "ports": [{
                    "name": "https-webhook",
                    "port": 443,
                    "targetPort": CONTAINER_PORT,
                    "protocol": "TCP",
                }],
            }),
        }
    }

    fn disruption_budget(&self) -> Value {
        obj! {
            "apiVersion" => "policy/v1",
            "kind" => "PodDisruptionBudget",
            "metadata" => self.metadata(&self.name),
            "spec" => json!({"minAvailable": 1, "selector": {"matchLabels": self.selector()}}),
        }
    }

    /// istiod's webhook configuration, pointed at this server.
    fn webhook_configuration(&self, istiod: &Object) -> Result<Value, WebhookDeploymentError> {
        let mut hooks = istiod
            .value
            .get("webhooks")
            .and_then(Value::as_array)
            .cloned()
            .ok_or(WebhookDeploymentError::Missing {
                what: "webhooks in the injection MutatingWebhookConfiguration",
            })?;
        let ca_bundle = match &self.opts.cert {
            ServingCert::Secret { ca_pem } => {
                Some(mesh_core::base64::encode(ca_pem.trim_end().as_bytes()))
            }
            ServingCert::CertManager { .. } => None,
        };
        for hook in &mut hooks {
            let mut client = Map::new();
            match &self.opts.url {
                Some(url) => client.insert(
                    "url".into(),
                    format!("{}{}", url.trim_end_matches('/'), self.path).into(),
                ),
                None => client.insert(
                    "service".into(),
                    obj! { "name" => self.name.as_str(), "namespace" => self.namespace, "path" => self.path.as_str(), "port" => 443 },
                ),
            };
            if let Some(ca) = &ca_bundle {
                client.insert("caBundle".into(), ca.clone().into());
            }
            if let Some(h) = hook.as_object_mut() {
                h.insert("clientConfig".into(), Value::Object(client));
                // mesh-webhook answers both versions; v1 first.
                h.insert("admissionReviewVersions".into(), json!(["v1", "v1beta1"]));
                h.insert("timeoutSeconds".into(), json!(10));
            }
        }
        let mut metadata = obj! { "name" => self.name.as_str(), "labels" => self.labels() };
        if matches!(self.opts.cert, ServingCert::CertManager { .. })
            && self.opts.url.is_none()
            && let Some(m) = metadata.as_object_mut()
        {
            m.insert(
                "annotations".into(),
                obj! { "cert-manager.io/inject-ca-from" => format!("{}/{}", self.namespace, self.name) },
            );
        }
        Ok(obj! {
            "apiVersion" => "admissionregistration.k8s.io/v1",
            "kind" => "MutatingWebhookConfiguration",
            "metadata" => metadata,
            "webhooks" => hooks,
        })
    }

    /// The cert-manager Certificate (named like the Service) and, without a given issuer, a
    /// self-signed Issuer.
    fn cert_manager(&self, issuer: Option<&(String, String)>) -> Vec<Value> {
        let mut out = Vec::new();
        let (issuer_kind, issuer_name) = match issuer {
            Some((kind, name)) => (kind.clone(), name.clone()),
            None => {
                let name = format!("{}-selfsigned", self.name);
                out.push(obj! {
                    "apiVersion" => "cert-manager.io/v1",
                    "kind" => "Issuer",
                    "metadata" => self.metadata(&name),
                    "spec" => json!({"selfSigned": {}}),
                });
                ("Issuer".to_string(), name)
            }
        };
        let service = format!("{}.{}.svc", self.name, self.namespace);
        out.push(obj! {
            "apiVersion" => "cert-manager.io/v1",
            "kind" => "Certificate",
            "metadata" => self.metadata(&self.name),
            "spec" => json!({
                "secretName": self.secret_name(),
                "dnsNames": [service.clone(), format!("{service}.cluster.local")],
                "issuerRef": {"kind": issuer_kind, "name": issuer_name, "group": "cert-manager.io"},
                "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                "duration": "2160h",
                "renewBefore": "720h",
            }),
        });
        out
    }
}

/// `/inject`, or with the cluster and network the injected proxies must report,
/// `/inject/cluster/<c>/net/<n>` (the pairs mesh-webhook and istiod read from the path).
fn injection_path(cluster: &str, network: &str) -> String {
    let mut path = "/inject".to_string();
    for (key, value) in [("cluster", cluster), ("net", network)] {
        if !value.is_empty() {
            path.push_str(&format!("/{key}/{}", value.replace('/', "--slash--")));
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesh_profiles::{Inputs, resolve};

    const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    fn opts() -> WebhookDeploymentOptions {
        WebhookDeploymentOptions {
            image: "registry.example/mesh-webhook:1".into(),
            ..WebhookDeploymentOptions::default()
        }
    }

    fn render(sets: &[&str], opts: &WebhookDeploymentOptions) -> Vec<Object> {
        let resolved = resolve(&Inputs::with_sets(sets.iter().copied())).unwrap();
        render_webhook_deployment(&resolved, opts, &RenderContext::default()).unwrap()
    }

    fn get<'a>(objs: &'a [Object], kind: &str) -> &'a Value {
        &objs.iter().find(|o| o.kind() == kind).unwrap().value
    }

    #[test]
    fn renders_every_object_for_the_default_profile() {
        let objs = render(&[], &opts());
        let kinds: Vec<_> = objs.iter().map(|o| o.kind().to_string()).collect();
        assert_eq!(
            kinds,
            [
                "ServiceAccount",
                "Deployment",
                "Service",
                "MutatingWebhookConfiguration",
                "PodDisruptionBudget",
                "Issuer",
                "Certificate"
            ]
        );
        for o in &objs {
            if o.kind() != "MutatingWebhookConfiguration" {
                assert_eq!(o.namespace(), "istio-system", "{}", o.kind());
            }
        }
    }

    #[test]
    fn webhook_entries_keep_istiods_selectors_and_call_the_service() {
        let resolved = resolve(&Inputs::with_sets(["profile=default"])).unwrap();
        let ours =
            render_webhook_deployment(&resolved, &opts(), &RenderContext::default()).unwrap();
        let istiod = crate::render_all(&resolved, &RenderContext::default()).unwrap();
        let theirs = get(&istiod, "MutatingWebhookConfiguration");
        let mine = get(&ours, "MutatingWebhookConfiguration");
        let (a, b) = (
            theirs["webhooks"].as_array().unwrap(),
            mine["webhooks"].as_array().unwrap(),
        );
        assert_eq!(a.len(), 4);
        assert_eq!(a.len(), b.len());
        for (t, m) in a.iter().zip(b) {
            for key in [
                "name",
                "namespaceSelector",
                "objectSelector",
                "rules",
                "failurePolicy",
            ] {
                assert_eq!(t[key], m[key], "{key}");
            }
            assert_eq!(
                m["clientConfig"],
                json!({"service": {"name": "mesh-webhook", "namespace": "istio-system", "path": "/inject", "port": 443}})
            );
        }
        assert_eq!(mine["metadata"]["name"], "mesh-webhook");
        assert_eq!(
            mine["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
            "istio-system/mesh-webhook"
        );
    }

    #[test]
    fn install_with_operator_managed_webhooks_still_gets_the_entries() {
        let objs = render(&["values.global.operatorManageWebhooks=true"], &opts());
        let mwc = get(&objs, "MutatingWebhookConfiguration");
        assert_eq!(mwc["webhooks"].as_array().unwrap().len(), 4);
    }

    #[test]
    fn revision_names_objects_and_selects_only_its_pods() {
        let objs = render(&["revision=canary"], &opts());
        let dep = get(&objs, "Deployment");
        assert_eq!(dep["metadata"]["name"], "mesh-webhook-canary");
        let args = dep["spec"]["template"]["spec"]["containers"][0]["args"]
            .as_array()
            .unwrap();
        assert!(args.contains(&json!("--revision=canary")));
        let volumes = &dep["spec"]["template"]["spec"]["volumes"];
        assert_eq!(
            volumes[1]["configMap"]["name"],
            "istio-sidecar-injector-canary"
        );
        assert_eq!(volumes[2]["configMap"]["name"], "istio-canary");
        let mwc = get(&objs, "MutatingWebhookConfiguration");
        let names: Vec<_> = mwc["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "rev.namespace.sidecar-injector.istio.io",
                "rev.object.sidecar-injector.istio.io"
            ]
        );
        assert_eq!(
            mwc["webhooks"][0]["clientConfig"]["service"]["name"],
            "mesh-webhook-canary"
        );
    }

    #[test]
    fn multicluster_values_choose_the_path() {
        let objs = render(
            &[
                "values.global.multiCluster.clusterName=east",
                "values.global.network=net/1",
            ],
            &opts(),
        );
        let mwc = get(&objs, "MutatingWebhookConfiguration");
        assert_eq!(
            mwc["webhooks"][0]["clientConfig"]["service"]["path"],
            "/inject/cluster/east/net/net--slash--1"
        );
    }

    #[test]
    fn user_secret_puts_the_ca_in_every_entry_and_renders_no_cert_manager_objects() {
        let o = WebhookDeploymentOptions {
            cert: ServingCert::Secret { ca_pem: CA.into() },
            replicas: 1,
            ..opts()
        };
        let objs = render(&[], &o);
        assert!(objs.iter().all(|o| o.group() != "cert-manager.io"));
        assert!(objs.iter().all(|o| o.kind() != "PodDisruptionBudget"));
        let mwc = get(&objs, "MutatingWebhookConfiguration");
        for h in mwc["webhooks"].as_array().unwrap() {
            assert_eq!(
                h["clientConfig"]["caBundle"],
                mesh_core::base64::encode(CA.trim_end().as_bytes())
            );
        }
        assert!(mwc["metadata"].get("annotations").is_none());
    }

    #[test]
    fn given_issuer_is_used_and_no_issuer_rendered() {
        let o = WebhookDeploymentOptions {
            cert: ServingCert::CertManager {
                issuer: Some(("ClusterIssuer".into(), "corp-ca".into())),
            },
            ..opts()
        };
        let objs = render(&[], &o);
        assert!(objs.iter().all(|o| o.kind() != "Issuer"));
        let cert = get(&objs, "Certificate");
        assert_eq!(
            cert["spec"]["issuerRef"],
            json!({"kind": "ClusterIssuer", "name": "corp-ca", "group": "cert-manager.io"})
        );
        assert_eq!(cert["spec"]["secretName"], "mesh-webhook-tls");
        assert_eq!(cert["spec"]["dnsNames"][0], "mesh-webhook.istio-system.svc");
    }

    #[test]
    fn pods_of_the_webhook_are_never_injected() {
        let objs = render(&[], &opts());
        let dep = get(&objs, "Deployment");
        assert_eq!(
            dep["spec"]["template"]["metadata"]["labels"]["sidecar.istio.io/inject"],
            "false"
        );
        // ... because every entry's object selector excludes that label value.
        let mwc = get(&objs, "MutatingWebhookConfiguration");
        for h in mwc["webhooks"].as_array().unwrap() {
            let exprs = h["objectSelector"]["matchExpressions"].as_array().unwrap();
            assert!(
                exprs.iter().any(|e| e["key"] == "sidecar.istio.io/inject"
                    && (e["operator"] == "NotIn" && e["values"] == json!(["false"])
                        || e["operator"] == "In" && e["values"] == json!(["true"]))),
                "{h}"
            );
        }
    }

    #[test]
    fn with_config_adds_the_configmaps_the_deployment_mounts() {
        let o = WebhookDeploymentOptions {
            with_config: true,
            ..opts()
        };
        let objs = render(&[], &o);
        let names: Vec<_> = objs
            .iter()
            .filter(|o| o.kind() == "ConfigMap")
            .map(|o| o.name().to_string())
            .collect();
        assert_eq!(names, ["istio-sidecar-injector", "istio"]);
    }

    #[test]
    fn bad_options_are_errors_naming_the_option() {
        let resolved = resolve(&Inputs::with_sets(["profile=default"])).unwrap();
        let cases = [
            (WebhookDeploymentOptions::default(), "image"),
            (
                WebhookDeploymentOptions {
                    name: "Mesh_Webhook".into(),
                    ..opts()
                },
                "name",
            ),
            (
                WebhookDeploymentOptions {
                    replicas: 0,
                    ..opts()
                },
                "replicas",
            ),
            (
                WebhookDeploymentOptions {
                    native_sidecars: "yes".into(),
                    ..opts()
                },
                "native-sidecars",
            ),
            (
                WebhookDeploymentOptions {
                    cert: ServingCert::Secret {
                        ca_pem: "not a pem".into(),
                    },
                    ..opts()
                },
                "ca",
            ),
            (
                WebhookDeploymentOptions {
                    cert: ServingCert::CertManager {
                        issuer: Some(("Secret".into(), "x".into())),
                    },
                    ..opts()
                },
                "issuer",
            ),
        ];
        assert_bad_options(&resolved, cases);
    }

    #[test]
    fn url_renders_only_the_webhook_configuration_calling_that_url() {
        let o = WebhookDeploymentOptions {
            image: String::new(), // not needed for a server outside the cluster
            cert: ServingCert::Secret { ca_pem: CA.into() },
            url: Some("https://127.0.0.1:9443/".into()),
            ..WebhookDeploymentOptions::default()
        };
        let objs = render(&["revision=canary", "values.global.network=n1"], &o);
        let kinds: Vec<_> = objs.iter().map(|o| o.kind().to_string()).collect();
        assert_eq!(kinds, ["MutatingWebhookConfiguration"]);
        let mwc = &objs[0].value;
        assert_eq!(mwc["metadata"]["name"], "mesh-webhook-canary");
        assert!(mwc["metadata"].get("annotations").is_none(), "{mwc:?}");
        let hooks = mwc["webhooks"].as_array().unwrap();
        assert_eq!(hooks.len(), 2);
        for h in hooks {
            assert_eq!(
                h["clientConfig"],
                json!({
                    "url": "https://127.0.0.1:9443/inject/net/n1",
                    "caBundle": mesh_core::base64::encode(CA.trim_end().as_bytes()),
                }),
                "{h}"
            );
        }

        let with_config = WebhookDeploymentOptions {
            with_config: true,
            cert: ServingCert::CertManager { issuer: None },
            ..o
        };
        let objs = render(&[], &with_config);
        let kinds: Vec<_> = objs.iter().map(|o| o.kind().to_string()).collect();
        assert_eq!(
            kinds,
            ["MutatingWebhookConfiguration", "ConfigMap", "ConfigMap"]
        );
        let hook = &objs[0].value["webhooks"][0];
        // No CA given: the API server's system roots.
        assert_eq!(
            hook["clientConfig"],
            json!({"url": "https://127.0.0.1:9443/inject"})
        );
    }

    #[test]
    fn bad_urls_and_an_issuer_with_a_url_are_errors() {
        let resolved = resolve(&Inputs::with_sets(["profile=default"])).unwrap();
        let url = |u: &str| WebhookDeploymentOptions {
            url: Some(u.into()),
            ..WebhookDeploymentOptions::default()
        };
        let mut cases: Vec<(WebhookDeploymentOptions, &str)> = [
            "http://127.0.0.1:9443",
            "https://",
            "https://:9443/x",
            "https://user@127.0.0.1",
            "https://127.0.0.1/inject?x=1",
            "https://127.0.0.1/#frag",
            "https://127.0.0.1/a b",
        ]
        .into_iter()
        .map(|u| (url(u), "url"))
        .collect();
        cases.push((
            WebhookDeploymentOptions {
                cert: ServingCert::CertManager {
                    issuer: Some(("Issuer".into(), "ca".into())),
                },
                ..url("https://127.0.0.1:9443")
            },
            "issuer",
        ));
        assert_bad_options(&resolved, cases);
    }

    /// Each options value is refused, naming the option given with it.
    fn assert_bad_options(
        resolved: &mesh_profiles::Resolved,
        cases: impl IntoIterator<Item = (WebhookDeploymentOptions, &'static str)>,
    ) {
        for (o, option) in cases {
            let err =
                render_webhook_deployment(resolved, &o, &RenderContext::default()).unwrap_err();
            assert!(
                matches!(&err, WebhookDeploymentError::BadOption { option: got, .. } if *got == option),
                "{:?}: {err}",
                o.url
            );
        }
    }

    #[test]
    fn no_pilot_is_an_error() {
        let resolved = resolve(&Inputs::with_sets(["components.pilot.enabled=false"])).unwrap();
        let err =
            render_webhook_deployment(&resolved, &opts(), &RenderContext::default()).unwrap_err();
        assert!(matches!(err, WebhookDeploymentError::NoPilot));
    }

    #[test]
    fn ordered_output_puts_the_webhook_configuration_last() {
        let resolved = resolve(&Inputs::with_sets(["profile=default"])).unwrap();
        let m = generate_webhook_deployment(
            &resolved,
            &opts(),
            &RenderContext::default(),
            &OrderOptions::default(),
        )
        .unwrap();
        let kinds: Vec<_> = m.objects().map(|o| o.kind().to_string()).collect();
        assert_eq!(kinds.last().unwrap(), "MutatingWebhookConfiguration");
        let dep = kinds.iter().position(|k| k == "Deployment").unwrap();
        let sa = kinds.iter().position(|k| k == "ServiceAccount").unwrap();
        assert!(sa < dep);
    }
}
