//! The template path of injection: which templates a pod gets, and how each is rendered
//! (Istio's built-in templates natively, custom Go templates by [`mesh_gotmpl`], custom bodies
//! without template actions as fixed overlays).

use crate::annotations as ann;
use crate::config::InjectConfig;
use crate::error::{InjectError, TemplateProblem};
use crate::template_data::TemplateData;
use crate::{gateway, grpc, sidecar};
use mesh_core::{Value, obj};
use serde_json::json;
use std::collections::BTreeMap;

/// How a configured template is rendered.
#[derive(Debug, Clone)]
enum Renderer {
    Sidecar,
    Gateway,
    GrpcSimple,
    GrpcAgent,
    /// A custom template without Go template actions: a fixed pod overlay.
    Static(Value),
    /// A custom Go template, evaluated by the [`mesh_gotmpl`] engine.
    Go(Box<mesh_gotmpl::Template>),
    /// A custom template that cannot be applied (a Go parse error or an unparsable body): its
    /// body, classified again when it is rendered to give the error.
    Unsupported(String),
}

/// Which defaults a request uses: the webhook reads the injector config; kube-inject always
/// uses the `sidecar` template and applies the proxy config annotation to the mesh config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The admission webhook.
    Webhook,
    /// `kube-inject` of workload documents.
    KubeInject,
}

/// The configured templates by name, each with how it is rendered (decided once).
#[derive(Debug, Clone)]
pub(crate) struct Templates(BTreeMap<String, Renderer>);

impl Templates {
    /// Classifies the template bodies of an injector configuration.
    pub fn new(bodies: &BTreeMap<String, String>) -> Self {
        let classified = bodies.iter().map(|(name, body)| {
            let renderer =
                classify(name, body).unwrap_or_else(|_| Renderer::Unsupported(body.clone()));
            (name.clone(), renderer)
        });
        Templates(classified.collect())
    }

    /// Renders a template; the flag says the overlay holds no `$patch` directives.
    pub fn render(
        &self,
        name: &str,
        data: &TemplateData<'_>,
    ) -> Result<(Value, bool), InjectError> {
        let template = match self.0.get(name) {
            Some(t) => t,
            None => match builtin(name) {
                Some(t) => return render_with(name, &t, data),
                None => {
                    return Err(InjectError::UnknownTemplate {
                        name: name.to_string(),
                        known: self.0.keys().cloned().collect::<Vec<_>>().join(", "),
                    });
                }
            },
        };
        render_with(name, template, data)
    }
}

/// The template names for a pod: its `inject.istio.io/templates` annotation or the defaults,
/// with aliases expanded (one level).
pub(crate) fn select_templates(
    config: &InjectConfig,
    mode: Mode,
    annotations: &BTreeMap<String, String>,
) -> Vec<String> {
    let names: Vec<String> = match annotations.get(ann::INJECT_TEMPLATES) {
        Some(list) => list.split(',').map(|n| n.trim().to_string()).collect(),
        None if mode == Mode::KubeInject || config.default_templates.is_empty() => {
            vec!["sidecar".to_string()]
        }
        None => config.default_templates.clone(),
    };
    let mut out = Vec::new();
    for name in names {
        match (mode, config.aliases.get(&name)) {
            (Mode::Webhook, Some(expanded)) => out.extend(expanded.iter().cloned()),
            _ => out.push(name),
        }
    }
    out
}

/// The built-in template of a name, if it is one mesh renders natively.
fn builtin(name: &str) -> Option<Renderer> {
    match name {
        "sidecar" => Some(Renderer::Sidecar),
        "gateway" => Some(Renderer::Gateway),
        "grpc-simple" => Some(Renderer::GrpcSimple),
        "grpc-agent" => Some(Renderer::GrpcAgent),
        _ => None,
    }
}

/// Decides how a configured template is applied: built-ins natively, bodies without template
/// actions as fixed overlays, other bodies by the Go template engine.
fn classify(name: &str, body: &str) -> Result<Renderer, InjectError> {
    if let Some(t) = builtin(name) {
        return Ok(t);
    }
    if body.contains("{{") {
        let parsed = mesh_gotmpl::Template::parse(name, body, crate::template_funcs())?;
        return Ok(Renderer::Go(Box::new(parsed)));
    }
    let invalid = |problem| InjectError::InvalidTemplate {
        name: name.to_string(),
        problem,
    };
    match mesh_core::from_yaml_str(body, name) {
        Ok(v @ (Value::Object(_) | Value::Null)) => Ok(Renderer::Static(v)),
        Ok(_) => Err(invalid(TemplateProblem::NotAnOverlay)),
        Err(e) => Err(invalid(TemplateProblem::Yaml(e))),
    }
}

/// Renders one template; the flag says the overlay holds no `$patch` directives.
fn render_with(
    name: &str,
    template: &Renderer,
    data: &TemplateData<'_>,
) -> Result<(Value, bool), InjectError> {
    let plain = |v| Ok((v, true));
    match template {
        Renderer::Sidecar => plain(sidecar::render(data)?),
        Renderer::Gateway => plain(gateway::render(data)?),
        Renderer::GrpcSimple => plain(grpc::render_simple(data)?),
        Renderer::GrpcAgent => plain(grpc::render_agent(data)?),
        Renderer::Static(v) => Ok((if v.is_null() { json!({}) } else { v.clone() }, false)),
        Renderer::Go(t) => Ok((render_go(t, data)?, false)),
        Renderer::Unsupported(body) => match classify(name, body) {
            Err(e) => Err(e),
            Ok(_) => Err(InjectError::UnsupportedTemplate {
                name: name.to_string(),
            }),
        },
    }
}

/// Executes a custom Go template and reads its output as a pod overlay.
fn render_go(t: &mesh_gotmpl::Template, data: &TemplateData<'_>) -> Result<Value, InjectError> {
    let text = t.execute(&go_data(data))?;
    let invalid = |problem| InjectError::InvalidTemplate {
        name: t.name().to_string(),
        problem,
    };
    match mesh_core::from_yaml_str(&text, t.name()) {
        Ok(Value::Null) => Ok(json!({})),
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(invalid(TemplateProblem::RenderedNotAnOverlay)),
        Err(e) => Err(invalid(TemplateProblem::RenderedNotYaml(e))),
    }
}

/// The Go template data (`SidecarTemplateData`) for template inputs. `metadata` is the pod's
/// metadata when known; without it `ObjectMeta` holds the namespace, labels and annotations.
pub(crate) fn go_data(d: &TemplateData<'_>) -> Value {
    let mut meta = d
        .metadata
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // A pod created through a Deployment has no namespace of its own yet: the request's.
    if !d.deploy.namespace.is_empty()
        && meta
            .get("namespace")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    {
        meta.insert("namespace".into(), json!(d.deploy.namespace));
    }
    meta.insert("annotations".into(), json!(d.annotations));
    meta.insert("labels".into(), json!(d.labels));
    let mut proxy = d.proxy_config.fields().clone();
    // An enum's zero value is left out of protobuf JSON; Go still prints its name.
    proxy
        .entry("interceptionMode")
        .or_insert_with(|| json!("REDIRECT"));
    let mut mesh = d.mesh.raw_fields().clone();
    let mut default_config = d.mesh.default_config().fields().clone();
    default_config
        .entry("interceptionMode")
        .or_insert_with(|| json!("REDIRECT"));
    mesh.insert("defaultConfig".into(), Value::Object(default_config));
    let inbound = match d.mesh.inbound_traffic_policy() {
        crate::mesh_config::InboundTrafficPolicy::Localhost => "localhost",
        crate::mesh_config::InboundTrafficPolicy::Passthrough => "passthrough",
    };
    obj! {
        "TypeMeta" => json!({"kind": d.type_meta.kind, "apiVersion": d.type_meta.api_version}),
        "DeploymentMeta" => json!({"name": d.deploy.name, "namespace": d.deploy.namespace}),
        "ObjectMeta" => meta,
        "Spec" => d.spec.clone(),
        "ProxyConfig" => proxy,
        "MeshConfig" => mesh,
        "Values" => d.values.root().clone(),
        "Revision" => d.revision,
        "NativeSidecars" => d.native_sidecars,
        "ProxyImage" => d.proxy_image.as_str(),
        "ProxyUID" => d.proxy_uid,
        "ProxyGID" => d.proxy_gid,
        "InboundTrafficPolicyMode" => inbound,
        "CompliancePolicy" => d.compliance_policy,
    }
}
