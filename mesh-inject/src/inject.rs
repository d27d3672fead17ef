//! The injector: the public [`Injector`] and the injection pipeline (strip a previous injection,
//! render the selected templates, strategic-merge them onto the pod, re-apply the user's own
//! proxy container settings, then Prometheus merge, probe rewriting, status and ordering).

use crate::added::Added;
use crate::annotations as ann;
use crate::config::InjectConfig;
use crate::error::{AnnotationProblem, InjectError};
use crate::mesh_config::{MeshConfig, ProxyConfig};
use crate::status;
use crate::template::{DeployMeta, TemplateData, TypeMeta};
use crate::values::Values;
use crate::{gateway, grpc, normalize, pod_merge, probes, prometheus, sidecar};
use mesh_core::Value;
use serde_json::{Map, json};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Whether `istio-proxy` is injected as a native sidecar (an init container with
/// `restartPolicy: Always`). The pod annotation `sidecar.istio.io/nativeSidecar` overrides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NativeSidecars {
    /// Decided by the caller's environment; the library has no cluster to ask, so `Auto`
    /// injects classic sidecars (as istioctl does with local files).
    #[default]
    Auto,
    /// Native sidecars (all kubelets are 1.33 or later, or forced on).
    Enabled,
    /// Classic sidecars in `containers`.
    Disabled,
}

/// Per-request inputs that depend on where the pod is created (webhook path).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodContext {
    /// The namespace of the admission request, used when the pod has none.
    pub namespace: Option<String>,
    /// Proxy environment overrides from the injection URL (`ISTIO_META_CLUSTER_ID`,
    /// `ISTIO_META_NETWORK`, ...).
    pub proxy_envs: BTreeMap<String, String>,
    /// Annotations of the pod's namespace; with OpenShift their UID/GID ranges choose the proxy
    /// user.
    pub namespace_annotations: Option<BTreeMap<String, String>>,
    /// Whether the cluster is OpenShift (`PLATFORM=openshift`).
    pub openshift: bool,
}

/// A template the injector can apply.
#[derive(Debug, Clone, PartialEq)]
enum Template {
    Sidecar,
    Gateway,
    GrpcSimple,
    GrpcAgent,
    /// A custom template without Go template actions: a fixed pod overlay.
    Static(Value),
    /// A custom Go template, evaluated by the [`mesh_gotmpl`] engine.
    Go(Box<mesh_gotmpl::Template>),
    /// A custom template that cannot be applied (a Go parse error or an unparsable body).
    Unsupported(InjectError),
}

/// Istio's sidecar injector, natively: built once from the injector configuration, values, mesh
/// config, revision and native-sidecar mode, then used for any number of pods.
///
/// [`Injector::inject_pod`] takes a pod (as the admission webhook receives it) and returns the
/// injected pod. Injecting an already injected pod gives the same pod again.
#[derive(Debug, Clone)]
pub struct Injector {
    config: InjectConfig,
    templates: BTreeMap<String, Template>,
    values: Values,
    mesh: MeshConfig,
    revision: String,
    native_sidecars: bool,
    compliance_policy: String,
    /// `values.global.proxy.resources`, canonical, computed once.
    values_resources: Result<Value, InjectError>,
}

/// Which defaults a request uses: the webhook reads the injector config; kube-inject always
/// uses the `sidecar` template and applies the proxy config annotation to the mesh config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Webhook,
    KubeInject,
}

/// One injection request: the pod and what is known about its workload.
pub(crate) struct Request<'a> {
    /// The pod: `metadata` and `spec`.
    pub pod: Value,
    pub deploy: DeployMeta,
    pub type_meta: TypeMeta,
    pub mode: Mode,
    pub context: &'a PodContext,
}

impl Injector {
    /// Builds an injector. `values` is the injector values tree (ConfigMap
    /// `istio-sidecar-injector`, key `values`); `revision` is the control plane revision (empty
    /// for the default one).
    pub fn new(
        config: InjectConfig,
        values: Value,
        mesh: MeshConfig,
        revision: impl Into<String>,
        native: NativeSidecars,
    ) -> Result<Self, InjectError> {
        let values = Values::new(values)?;
        let templates = config
            .templates
            .iter()
            .map(|(name, body)| (name.clone(), classify_template(name, body)))
            .collect();
        let values_resources = crate::template::values_resources(&values);
        Ok(Injector {
            config,
            templates,
            values_resources,
            values,
            mesh,
            revision: revision.into(),
            native_sidecars: native == NativeSidecars::Enabled,
            compliance_policy: String::new(),
        })
    }

    /// Sets the compliance policy (`COMPLIANCE_POLICY`, e.g. `fips-140-2`) written to proxies.
    pub fn with_compliance_policy(mut self, policy: impl Into<String>) -> Self {
        self.compliance_policy = policy.into();
        self
    }

    /// The injector configuration.
    pub fn config(&self) -> &InjectConfig {
        &self.config
    }

    /// The mesh config.
    pub fn mesh(&self) -> &MeshConfig {
        &self.mesh
    }

    /// The injector values.
    pub fn values(&self) -> &Values {
        &self.values
    }

    /// The revision this injector stamps on pods.
    pub fn revision(&self) -> &str {
        &self.revision
    }

    /// Injects a pod as the admission webhook does, with no namespace information.
    /// The input is a Pod object (`metadata`, `spec`); the result is the injected Pod.
    pub fn inject_pod(&self, pod: &Value) -> Result<Value, InjectError> {
        self.inject_pod_in(pod, &PodContext::default())
    }

    /// Injects a pod as the admission webhook does, with namespace-dependent inputs.
    pub fn inject_pod_in(&self, pod: &Value, context: &PodContext) -> Result<Value, InjectError> {
        let pod_view = pod_view(pod, context)?;
        let (deploy, type_meta) = deploy_meta_from_pod(&pod_view);
        let injected = self.inject(Request {
            pod: pod_view,
            deploy,
            type_meta,
            mode: Mode::Webhook,
            context,
        })?;
        // pod_view succeeded, so the pod is an object.
        let fields = pod.as_object().into_iter().flatten();
        let mut out: Map<String, Value> = fields
            .filter(|(k, _)| k.as_str() != "metadata" && k.as_str() != "spec")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Value::Object(parts) = injected {
            out.extend(parts);
        }
        Ok(Value::Object(out))
    }

    /// Runs the pipeline; returns `{metadata, spec}` of the injected pod.
    pub(crate) fn inject(&self, req: Request<'_>) -> Result<Value, InjectError> {
        let mut pod = req.pod;
        if !pod.get("metadata").is_some_and(Value::is_object) {
            set_field(&mut pod, "metadata", json!({}));
        }
        if !pod.get("spec").is_some_and(Value::is_object) {
            set_field(&mut pod, "spec", json!({}));
        }
        normalize_pod(&mut pod)?;
        if req.context.openshift {
            reset_openshift_proxy_user(&mut pod);
        }
        let annotations = string_map(&pod, "annotations")?;
        let labels = string_map(&pod, "labels")?;
        let problems = ann::validate(&annotations);
        if !problems.is_empty() {
            return Err(InjectError::InvalidAnnotations(problems));
        }

        let proxy_config = self.proxy_config_for(&annotations)?;
        let kube_mesh;
        let mesh = match (&proxy_config, req.mode) {
            // Without the annotation the mesh config already holds this proxy config.
            (Cow::Owned(annotated), Mode::KubeInject) => {
                kube_mesh = self.mesh.with_proxy_config(annotated.clone());
                &kube_mesh
            }
            _ => &self.mesh,
        };
        let proxy_envs = self.proxy_envs(req.context, &labels);

        let stripped_pod = strip_pod(&pod, mesh.default_config().status_port())?;
        let stripped_maps = match &stripped_pod {
            Some(p) => Some((string_map(p, "annotations")?, string_map(p, "labels")?)),
            None => None,
        };
        let stripped = stripped_pod.as_ref().unwrap_or(&pod);
        let (stripped_annotations, stripped_labels) = match &stripped_maps {
            Some((a, l)) => (a, l),
            None => (&annotations, &labels),
        };
        let (proxy_uid, proxy_gid) = proxy_ids(req.context);
        let empty_spec = json!({});
        let data = TemplateData {
            type_meta: &req.type_meta,
            deploy: &req.deploy,
            annotations: stripped_annotations,
            labels: stripped_labels,
            metadata: stripped.get("metadata"),
            spec: stripped.get("spec").unwrap_or(&empty_spec),
            proxy_config: &proxy_config,
            mesh,
            values: &self.values,
            revision: &self.revision,
            proxy_image: crate::template::proxy_image(
                &self.values,
                &proxy_config,
                stripped_annotations,
            ),
            proxy_uid,
            proxy_gid,
            native_sidecars: self.native_sidecars,
            compliance_policy: &self.compliance_policy,
            proxy_metadata: proxy_config.proxy_metadata(),
            values_resources: &self.values_resources,
        };

        // Every template is rendered before anything is merged, so that the pod can then be
        // moved into the result rather than copied.
        let mut added = Added::default();
        let mut overlays = Vec::new();
        for name in self.select_templates(req.mode, &annotations) {
            let (mut overlay, plain) = self.render(&name, &data)?;
            added.add_overlay(&overlay);
            if !plain {
                // Custom overlays are user text: bring them to the Go shape first (the
                // built-in templates are rendered in that shape).
                normalize_pod(&mut overlay)?;
            }
            let init_proxy = added.has("initContainers", "istio-proxy");
            overlays.push((overlay, plain, init_proxy));
        }
        drop(data);

        let original = original_view(&pod, &added);
        let mut merged = pod;
        for (overlay, plain, init_proxy) in overlays {
            // A native sidecar template puts the proxy in initContainers while a user's proxy
            // customization sits in containers: move it so the two merge. (When the pod already
            // has an init proxy, as on re-injection, moving would duplicate it.)
            if self.moves_proxy_to_init(&annotations)
                && init_proxy
                && has_container(&merged, "containers", "istio-proxy")
                && !has_container(&merged, "initContainers", "istio-proxy")
            {
                move_container(&mut merged, "containers", "initContainers", "istio-proxy");
            }
            if plain {
                pod_merge::merge_pod_plain(&mut merged, overlay);
            } else {
                pod_merge::merge_pod(&mut merged, overlay);
            }
        }

        reapply_overwritten_containers(&mut merged, &original, &added, &proxy_config)?;
        self.post_process(&mut merged, &added, mesh, &proxy_config, &proxy_envs);
        Ok(merged)
    }

    /// Whether a user's `istio-proxy` in `containers` follows the native proxy into
    /// `initContainers`: native sidecars are on (`sidecar.istio.io/nativeSidecar` set to exactly
    /// `true` or `false` overrides the setting).
    fn moves_proxy_to_init(&self, annotations: &BTreeMap<String, String>) -> bool {
        match annotations.get(ann::NATIVE_SIDECAR).map(String::as_str) {
            Some("true") => true,
            Some("false") => false,
            _ => self.native_sidecars,
        }
    }

    /// Checks that a pod's `proxy.istio.io/config` annotation applies.
    pub(crate) fn check_proxy_config_annotation(&self, pod: &Value) -> Result<(), InjectError> {
        check_string_map(pod, "annotations")?;
        let annotation = pod
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(ann::PROXY_CONFIG))
            .map(|v| v.as_str().unwrap_or(""));
        self.proxy_config_from(annotation).map(|_| ())
    }

    /// The proxy config for a pod: the mesh default (borrowed) or, with the pod's annotation,
    /// the default with the annotation applied.
    fn proxy_config_for(
        &self,
        annotations: &BTreeMap<String, String>,
    ) -> Result<Cow<'_, ProxyConfig>, InjectError> {
        self.proxy_config_from(annotations.get(ann::PROXY_CONFIG).map(String::as_str))
    }

    /// [`Injector::proxy_config_for`] given the `proxy.istio.io/config` annotation, if any.
    fn proxy_config_from(
        &self,
        annotation: Option<&str>,
    ) -> Result<Cow<'_, ProxyConfig>, InjectError> {
        let Some(text) = annotation else {
            return Ok(Cow::Borrowed(self.mesh.default_config()));
        };
        self.mesh
            .default_config()
            .apply_yaml(text)
            .map(Cow::Owned)
            .map_err(|reason| {
                InjectError::InvalidAnnotations(vec![AnnotationProblem {
                    name: ann::PROXY_CONFIG.to_string(),
                    value: text.to_string(),
                    reason,
                }])
            })
    }

    /// Cluster and network overrides written to the proxy env after rendering.
    fn proxy_envs(
        &self,
        context: &PodContext,
        labels: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut envs = context.proxy_envs.clone();
        let mut cluster = self.values.string("global.multiCluster.clusterName");
        let mut network = self.values.string("global.network");
        if let Some(c) = envs.get("ISTIO_META_CLUSTER_ID").filter(|c| !c.is_empty()) {
            cluster = c.clone();
        }
        if let Some(n) = envs.get("ISTIO_META_NETWORK").filter(|n| !n.is_empty()) {
            network = n.clone();
        }
        if let Some(n) = labels.get(ann::LABEL_NETWORK) {
            network = n.clone();
        }
        if !cluster.is_empty() {
            envs.insert("ISTIO_META_CLUSTER_ID".to_string(), cluster);
        }
        if !network.is_empty() {
            envs.insert("ISTIO_META_NETWORK".to_string(), network);
        }
        envs
    }

    /// The template names for a pod: its `inject.istio.io/templates` annotation or the
    /// defaults, with aliases expanded (one level).
    fn select_templates(&self, mode: Mode, annotations: &BTreeMap<String, String>) -> Vec<String> {
        let names: Vec<String> = match annotations.get(ann::INJECT_TEMPLATES) {
            Some(list) => list.split(',').map(|n| n.trim().to_string()).collect(),
            None if mode == Mode::KubeInject || self.config.default_templates.is_empty() => {
                vec!["sidecar".to_string()]
            }
            None => self.config.default_templates.clone(),
        };
        let mut out = Vec::new();
        for name in names {
            match (mode, self.config.aliases.get(&name)) {
                (Mode::Webhook, Some(expanded)) => out.extend(expanded.iter().cloned()),
                _ => out.push(name),
            }
        }
        out
    }

    /// Renders a template; the flag says the overlay holds no `$patch` directives.
    fn render(&self, name: &str, data: &TemplateData<'_>) -> Result<(Value, bool), InjectError> {
        let template = match self.templates.get(name) {
            Some(t) => t,
            None => match builtin(name) {
                Some(t) => return render_builtin(&t, data),
                None => {
                    return Err(InjectError::UnknownTemplate {
                        name: name.to_string(),
                        known: self
                            .templates
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
            },
        };
        render_builtin(template, data)
    }

    fn post_process(
        &self,
        pod: &mut Value,
        added: &Added,
        mesh: &MeshConfig,
        proxy_config: &ProxyConfig,
        proxy_envs: &BTreeMap<String, String>,
    ) {
        ensure_map(pod, "annotations");
        ensure_map(pod, "labels");
        if !proxy_envs.is_empty()
            && let Some(env) = sidecar_env(pod)
        {
            env.retain(|e| {
                e.get("name")
                    .and_then(Value::as_str)
                    .is_none_or(|n| !proxy_envs.contains_key(n))
            });
            env.extend(
                proxy_envs
                    .iter()
                    .map(|(k, v)| crate::template::env(k, v.as_str())),
            );
        }

        let status_port = mesh.default_config().status_port();
        let mut annotations = take_map(pod, "annotations");
        prometheus::apply_merge(
            &mut annotations,
            sidecar_env(pod),
            mesh.enable_prometheus_merge(),
            status_port,
        );
        put_map(pod, "annotations", annotations);

        self.apply_rewrite(pod, status_port);

        let mut annotations = take_map(pod, "annotations");
        if let Some(nw) = proxy_envs.get("ISTIO_META_NETWORK") {
            let mut labels = take_map(pod, "labels");
            labels.insert(ann::LABEL_NETWORK.to_string(), json!(nw));
            put_map(pod, "labels", labels);
        }
        annotations.insert(
            ann::SIDECAR_STATUS.to_string(),
            Value::String(added.status_annotation(&self.revision)),
        );
        for (k, v) in &self.config.injected_annotations {
            annotations.insert(k.clone(), json!(v));
        }
        let before_proxy = annotations
            .get(ann::INIT_CONTAINERS_BEFORE_PROXY)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        put_map(pod, "annotations", annotations);

        // The env list is created on demand above; Go leaves an empty one out.
        if let Some(c) = find_container_mut(pod, "istio-proxy").and_then(Value::as_object_mut)
            && c.get("env")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
        {
            c.remove("env");
        }

        let hold = proxy_config.hold_application_until_proxy_starts()
            || self
                .values
                .truthy("global.proxy.holdApplicationUntilProxyStarts");
        reorder(pod, hold, &before_proxy);
    }

    fn apply_rewrite(&self, pod: &mut Value, status_port: i64) {
        if find_sidecar(pod).is_none() {
            return;
        }
        // Read in place (taken out of the pod while its containers change), not copied.
        let annotations = take_map(pod, "annotations");
        self.rewrite_app_probes(pod, &annotations, status_port);
        put_map(pod, "annotations", annotations);
    }

    fn rewrite_app_probes(&self, pod: &mut Value, annotations: &Map<String, Value>, port: i64) {
        let setting = self
            .values
            .truthy("sidecarInjectorWebhook.rewriteAppHTTPProbe");
        if !probes::should_rewrite_in(annotations, setting) {
            return;
        }
        if let Some(probers) = probes::dump_app_probers_in(pod, annotations) {
            let previously_injected = annotations
                .get(ann::SIDECAR_STATUS)
                .is_some_and(Value::is_string);
            if let Some(env) = sidecar_env(pod) {
                probes::merge_or_append_probers(previously_injected, env, &probers);
            }
        }
        probes::rewrite_probes_in(pod, annotations, port);
    }
}

/// The built-in template of a name, if it is one mesh renders natively.
fn builtin(name: &str) -> Option<Template> {
    match name {
        "sidecar" => Some(Template::Sidecar),
        "gateway" => Some(Template::Gateway),
        "grpc-simple" => Some(Template::GrpcSimple),
        "grpc-agent" => Some(Template::GrpcAgent),
        _ => None,
    }
}

/// Decides how a configured template is applied: built-ins natively, bodies without template
/// actions as fixed overlays, other bodies by the Go template engine.
fn classify_template(name: &str, body: &str) -> Template {
    if let Some(t) = builtin(name) {
        return t;
    }
    if body.contains("{{") {
        return match mesh_gotmpl::Template::parse(name, body, crate::template_funcs()) {
            Ok(t) => Template::Go(Box::new(t)),
            Err(e) => Template::Unsupported(InjectError::GoTemplate(e)),
        };
    }
    match mesh_core::from_yaml_str(body, name) {
        Ok(v @ (Value::Object(_) | Value::Null)) => Template::Static(v),
        Ok(_) => Template::Unsupported(InjectError::InvalidTemplate {
            name: name.to_string(),
            message: "expected a pod overlay (a map with metadata and spec)".to_string(),
        }),
        Err(e) => Template::Unsupported(InjectError::InvalidTemplate {
            name: name.to_string(),
            message: e.source.to_string(),
        }),
    }
}

fn render_builtin(
    template: &Template,
    data: &TemplateData<'_>,
) -> Result<(Value, bool), InjectError> {
    let plain = |v| Ok((v, true));
    match template {
        Template::Sidecar => plain(sidecar::render(data)?),
        Template::Gateway => plain(gateway::render(data)?),
        Template::GrpcSimple => plain(grpc::render_simple(data)?),
        Template::GrpcAgent => plain(grpc::render_agent(data)?),
        Template::Static(v) => Ok((if v.is_null() { json!({}) } else { v.clone() }, false)),
        Template::Go(t) => Ok((render_go(t, data)?, false)),
        Template::Unsupported(e) => Err(e.clone()),
    }
}

/// The pod as the injector sees it: its metadata (with the request's namespace when it has
/// none) and spec, nothing else.
fn pod_view(pod: &Value, context: &PodContext) -> Result<Value, InjectError> {
    let Some(input) = pod.as_object() else {
        return Err(InjectError::input("pod", "(root)", "expected a Pod object"));
    };
    let mut meta = input.get("metadata").cloned().unwrap_or_else(|| json!({}));
    if let Some(ns) = &context.namespace
        && meta
            .get("namespace")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        && let Some(m) = meta.as_object_mut()
    {
        m.insert("namespace".into(), json!(ns));
    }
    let spec = input.get("spec").cloned().unwrap_or_else(|| json!({}));
    Ok(crate::template::object([
        ("metadata", meta),
        ("spec", spec),
    ]))
}

/// Brings a pod to the shape Kubernetes' Go types give it; errors name the bad field.
fn normalize_pod(pod: &mut Value) -> Result<(), InjectError> {
    if let Some(meta) = pod.get_mut("metadata") {
        normalize::normalize_metadata(meta);
    }
    if let Some(spec) = pod.get_mut("spec") {
        normalize::normalize_pod_spec(spec)
            .map_err(|e| InjectError::from_path_message("pod", &e))?;
    }
    Ok(())
}

/// Checks that a map of the pod metadata holds only strings (what [`string_map`] accepts),
/// without copying it.
fn check_string_map(pod: &Value, field: &str) -> Result<(), InjectError> {
    let Some(m) = pod
        .get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_object)
    else {
        return Ok(());
    };
    match m
        .iter()
        .find(|(_, v)| !matches!(v, Value::String(_) | Value::Null))
    {
        Some(_) => string_map(pod, field).map(|_| ()),
        None => Ok(()),
    }
}

/// A string map of the pod metadata (`labels` or `annotations`).
fn string_map(pod: &Value, field: &str) -> Result<BTreeMap<String, String>, InjectError> {
    let Some(m) = pod
        .get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_object)
    else {
        return Ok(BTreeMap::new());
    };
    m.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            Value::Null => Ok((k.clone(), String::new())),
            other => Err(InjectError::input(
                "pod",
                format!("metadata.{field}.{k}"),
                format!("expected a string, found {other}"),
            )),
        })
        .collect()
}

fn set_field(pod: &mut Value, field: &str, v: Value) {
    if let Some(m) = pod.as_object_mut() {
        m.insert(field.to_string(), v);
    }
}

fn ensure_map(pod: &mut Value, field: &str) {
    if let Some(meta) = pod.get_mut("metadata").and_then(Value::as_object_mut)
        && !meta.get(field).is_some_and(Value::is_object)
    {
        meta.insert(field.to_string(), json!({}));
    }
}

/// Takes a map of the pod metadata out (leaving `null` in its place until [`put_map`] puts it
/// back, which saves removing and re-inserting the key).
fn take_map(pod: &mut Value, field: &str) -> Map<String, Value> {
    match pod
        .get_mut("metadata")
        .and_then(|m| m.get_mut(field))
        .map(Value::take)
    {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn put_map(pod: &mut Value, field: &str, map: Map<String, Value>) {
    if let Some(meta) = pod.get_mut("metadata").and_then(Value::as_object_mut) {
        match meta.get_mut(field) {
            Some(slot) => *slot = Value::Object(map),
            None => {
                meta.insert(field.to_string(), Value::Object(map));
            }
        }
    }
}

fn containers_mut<'a>(pod: &'a mut Value, list: &str) -> Option<&'a mut Vec<Value>> {
    pod.get_mut("spec")?.get_mut(list)?.as_array_mut()
}

fn container_name(c: &Value) -> Option<&str> {
    c.get("name").and_then(Value::as_str)
}

fn find_in<'a>(pod: &'a Value, list: &str, name: &str) -> Option<&'a Value> {
    pod.get("spec")?
        .get(list)?
        .as_array()?
        .iter()
        .find(|c| container_name(c) == Some(name))
}

fn has_container(pod: &Value, list: &str, name: &str) -> bool {
    find_in(pod, list, name).is_some()
}

/// A container by name, in `containers` first, then `initContainers`.
fn find_container_in_pod<'a>(pod: &'a Value, name: &str) -> Option<&'a Value> {
    find_in(pod, "containers", name).or_else(|| find_in(pod, "initContainers", name))
}

fn find_sidecar(pod: &Value) -> Option<&Value> {
    find_container_in_pod(pod, "istio-proxy")
}

fn find_container_mut<'a>(pod: &'a mut Value, name: &str) -> Option<&'a mut Value> {
    let in_containers = has_container(pod, "containers", name);
    let list = if in_containers {
        "containers"
    } else {
        "initContainers"
    };
    containers_mut(pod, list)?
        .iter_mut()
        .find(|c| container_name(c) == Some(name))
}

/// The proxy container's env list (created when missing).
fn sidecar_env(pod: &mut Value) -> Option<&mut Vec<Value>> {
    let c = find_container_mut(pod, "istio-proxy")?.as_object_mut()?;
    if !c.get("env").is_some_and(Value::is_array) {
        c.insert("env".to_string(), json!([]));
    }
    c.get_mut("env")?.as_array_mut()
}

fn move_container(pod: &mut Value, from: &str, to: &str, name: &str) {
    let Some(list) = containers_mut(pod, from) else {
        return;
    };
    let Some(i) = list.iter().position(|c| container_name(c) == Some(name)) else {
        return;
    };
    let c = list.remove(i);
    if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
        let target = spec.entry(to.to_string()).or_insert_with(|| json!([]));
        if !target.is_array() {
            *target = json!([]);
        }
        if let Some(a) = target.as_array_mut() {
            a.push(c);
        }
    }
}

/// What [`reapply_overwritten_containers`] reads of the pod before injection: its annotations
/// and, in their lists and order, its containers named like one the templates add or
/// `istio-proxy` (a copy of these parts instead of the whole pod).
fn original_view(pod: &Value, added: &Added) -> Value {
    let relevant = |c: &&Value| {
        container_name(c).is_some_and(|n| {
            n == "istio-proxy" || added.has("containers", n) || added.has("initContainers", n)
        })
    };
    let mut spec = Map::new();
    for list in ["containers", "initContainers"] {
        if let Some(items) = pod
            .get("spec")
            .and_then(|s| s.get(list))
            .and_then(Value::as_array)
        {
            let kept = items.iter().filter(relevant).cloned().collect();
            spec.insert(list.to_string(), Value::Array(kept));
        }
    }
    let mut meta = Map::new();
    if let Some(a) = pod.get("metadata").and_then(|m| m.get("annotations")) {
        meta.insert("annotations".to_string(), a.clone());
    }
    crate::template::object([
        ("metadata", Value::Object(meta)),
        ("spec", Value::Object(spec)),
    ])
}

/// The pod as the templates see it: what a previous injection added removed and the user's
/// recorded containers put back. `None` when that is the pod itself.
fn strip_pod(pod: &Value, status_port: i64) -> Result<Option<Value>, InjectError> {
    let Some(anns) = pod
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object)
    else {
        return Ok(None);
    };
    if !anns.contains_key(ann::SIDECAR_STATUS) && !anns.contains_key(ann::PROXY_OVERRIDES) {
        return Ok(None);
    }
    let mut out = pod.clone();
    if anns.contains_key(ann::SIDECAR_STATUS) {
        strip_previous_injection(&mut out, status_port);
    }
    reinsert_overrides(out).map(Some)
}

fn strip_previous_injection(out: &mut Value, status_port: i64) {
    let prev = out
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object)
        .and_then(status::from_annotations);
    if let Some(prev) = prev {
        for (list, names) in [
            ("containers", &prev.containers),
            ("initContainers", &prev.init_containers),
        ] {
            if let Some(cs) = containers_mut(out, list) {
                cs.retain(|c| container_name(c).is_none_or(|n| !names.iter().any(|x| x == n)));
            }
        }
    }
    if let Some(m) = out
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
        .and_then(Value::as_object_mut)
    {
        if prev_is_some_and_port_matches(m, status_port) {
            prometheus::clear_annotations(m);
        }
        m.remove(ann::SIDECAR_STATUS);
    }
}

/// Whether the prometheus port annotation already points at the agent (set by a previous
/// injection), so the scrape annotations are ours to drop.
fn prev_is_some_and_port_matches(m: &Map<String, Value>, status_port: i64) -> bool {
    status::from_annotations(m).is_some()
        && prometheus::current_port(m).as_deref() == Some(status_port.to_string().as_str())
}

/// The containers recorded in `proxy.istio.io/overrides`.
fn parse_overrides(pod: &Value) -> Result<(Vec<Value>, Vec<Value>), InjectError> {
    let Some(text) = pod
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(ann::PROXY_OVERRIDES))
        .and_then(Value::as_str)
    else {
        return Ok((Vec::new(), Vec::new()));
    };
    let bad = |m: String| {
        InjectError::InvalidAnnotations(vec![AnnotationProblem {
            name: ann::PROXY_OVERRIDES.to_string(),
            value: text.to_string(),
            reason: m,
        }])
    };
    let v: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let list = |k: &str| -> Result<Vec<Value>, InjectError> {
        match v.get(k) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(_) => Err(bad(format!("{k}: expected a list of containers"))),
        }
    };
    Ok((list("containers")?, list("initContainers")?))
}

/// Puts back the user's containers recorded in the overrides annotation (for re-injection).
fn reinsert_overrides(mut pod: Value) -> Result<Value, InjectError> {
    let (containers, init) = parse_overrides(&pod)?;
    for (list, items) in [("containers", containers), ("initContainers", init)] {
        for c in items {
            let Some(name) = container_name(&c).map(str::to_string) else {
                continue;
            };
            if has_container(&pod, list, &name) {
                continue;
            }
            if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
                let target = spec.entry(list.to_string()).or_insert_with(|| json!([]));
                if let Some(a) = target.as_array_mut() {
                    a.push(c);
                }
            }
        }
    }
    Ok(pod)
}

/// Re-applies containers the user defined with the same name as an injected one (usually
/// `istio-proxy`), so their settings win over the template; records them for re-injection.
fn reapply_overwritten_containers(
    merged: &mut Value,
    original: &Value,
    added: &Added,
    proxy_config: &ProxyConfig,
) -> Result<(), InjectError> {
    let (existing_containers, existing_init) = parse_overrides(original)?;
    let anns = original
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object);
    let already_injected = anns.is_some_and(|a| a.contains_key(ann::SIDECAR_STATUS));
    let prev = anns.and_then(status::from_annotations).unwrap_or_default();
    let find = |list: &[Value], name: &str| -> Option<Value> {
        list.iter()
            .find(|c| container_name(c) == Some(name))
            .cloned()
    };

    let mut overrides = Map::new();
    for (list, skip, existing) in [
        ("containers", &prev.containers, &existing_containers),
        ("initContainers", &prev.init_containers, &existing_init),
    ] {
        let mut applied = Vec::new();
        for name in added.names(list) {
            // A container the previous injection added is re-rendered from the template; only
            // the user's recorded customizations are applied again (Istio drops them here,
            // which makes re-injection lose them; mesh keeps re-injection idempotent).
            let previously_added = already_injected && skip.iter().any(|s| s == name);
            let found = find(existing, name).or_else(|| {
                if previously_added {
                    return None;
                }
                if list == "containers" {
                    find_in(original, "containers", name).cloned()
                } else {
                    find_container_in_pod(original, name).cloned()
                }
            });
            let Some(mut overlay) = found else { continue };
            if overlay.get("image").and_then(Value::as_str) == Some("auto")
                && let Some(m) = overlay.as_object_mut()
            {
                m.remove("image");
            }
            let patch = crate::template::object([(
                "spec",
                crate::template::object([(list, Value::Array(vec![overlay.clone()]))]),
            )]);
            pod_merge::merge_pod(merged, patch);
            applied.push(overlay);
        }
        if !applied.is_empty() {
            overrides.insert(list.to_string(), Value::Array(applied));
        }
    }
    if !already_injected && !overrides.is_empty() {
        ensure_map(merged, "annotations");
        if let Some(m) = merged
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
            .and_then(Value::as_object_mut)
        {
            m.insert(
                ann::PROXY_OVERRIDES.to_string(),
                Value::String(Value::Object(overrides).to_string()),
            );
        }
    }
    adjust_init_container_user(merged, original, proxy_config);
    Ok(())
}

/// Makes the init/validation container match a user-chosen proxy UID/GID.
fn adjust_init_container_user(merged: &mut Value, original: &Value, proxy_config: &ProxyConfig) {
    // On re-injection the proxy in the pod is the injected one; the user's own proxy container
    // is the one recorded in the overrides annotation.
    let (recorded, recorded_init) = parse_overrides(original).unwrap_or_default();
    let recorded = recorded
        .into_iter()
        .chain(recorded_init)
        .find(|c| container_name(c) == Some("istio-proxy"));
    let user = recorded.or_else(|| find_sidecar(original).cloned());
    let Some(user_sc) = user.as_ref().and_then(|c| c.get("securityContext")) else {
        return;
    };
    let run_as_user = user_sc.get("runAsUser").and_then(Value::as_i64);
    let run_as_group = user_sc.get("runAsGroup").and_then(Value::as_i64);
    if run_as_user.is_none() && run_as_group.is_none() {
        return;
    }
    let init_name = ["istio-init", "istio-validation"]
        .into_iter()
        .find(|n| has_container(merged, "initContainers", n));
    let Some(init_name) = init_name else {
        return;
    };
    let tproxy = proxy_config.interception_mode() == "TPROXY"
        || merged
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(ann::INTERCEPTION_MODE))
            .and_then(Value::as_str)
            == Some("TPROXY");
    if tproxy
        && run_as_user.is_some()
        && let Some(sc) = find_container_mut(merged, "istio-proxy")
            .and_then(|c| c.get_mut("securityContext"))
            .and_then(Value::as_object_mut)
    {
        sc.insert("runAsUser".to_string(), json!(0));
    }
    let Some(init) = containers_mut(merged, "initContainers")
        .and_then(|cs| cs.iter_mut().find(|c| container_name(c) == Some(init_name)))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if !tproxy && init_name == "istio-validation" {
        let sc = init
            .entry("securityContext".to_string())
            .or_insert_with(|| json!({}));
        if let Some(sc) = sc.as_object_mut() {
            if let Some(u) = run_as_user {
                sc.insert("runAsUser".to_string(), json!(u));
            }
            if let Some(g) = run_as_group {
                sc.insert("runAsGroup".to_string(), json!(g));
            }
        }
    }
    let Some(uid) = run_as_user.filter(|u| *u != 0) else {
        return;
    };
    if let Some(args) = init.get_mut("args").and_then(Value::as_array_mut)
        && let Some(i) = args.iter().position(|a| a.as_str() == Some("-u"))
        && i + 1 < args.len()
    {
        args[i + 1] = Value::String(uid.to_string());
    }
}

/// OpenShift gives every container of a pod the same UID, the proxy's included; a proxy UID equal
/// to the application's would break traffic capture, so it is dropped in favour of the injected
/// one (an explicitly different UID is kept).
fn reset_openshift_proxy_user(pod: &mut Value) {
    let Some(containers) = containers_mut(pod, "containers") else {
        return;
    };
    let run_as_user = |c: &Value| {
        c.get("securityContext")
            .and_then(|s| s.get("runAsUser"))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    let mut proxy_user = 0;
    let mut app_user = 0;
    for c in containers.iter() {
        match container_name(c) {
            Some("istio-proxy") => proxy_user = run_as_user(c),
            Some("istio-init" | "istio-validation") => {}
            _ => {
                if c.get("securityContext")
                    .and_then(|s| s.get("runAsUser"))
                    .is_some()
                {
                    app_user = run_as_user(c);
                }
            }
        }
    }
    if proxy_user != app_user {
        return;
    }
    if let Some(sc) = containers
        .iter_mut()
        .find(|c| container_name(c) == Some("istio-proxy"))
        .and_then(|c| c.get_mut("securityContext"))
        .and_then(Value::as_object_mut)
    {
        sc.remove("runAsUser");
        sc.remove("runAsGroup");
    }
}

/// Moves a container first or last in a list.
fn move_to(list: &mut Vec<Value>, name: &str, first: bool) {
    if let Some(i) = list.iter().position(|c| container_name(c) == Some(name)) {
        let c = list.remove(i);
        if first {
            list.insert(0, c);
        } else {
            list.push(c);
        }
    }
}

/// Orders containers: the proxy last (first when holding the application); with a native
/// sidecar: init/validation, containers named in `before_proxy`, proxy, core dump, the rest;
/// otherwise validation first and init (then core dump) last.
fn reorder(pod: &mut Value, hold: bool, before_proxy: &str) {
    if let Some(cs) = containers_mut(pod, "containers") {
        move_to(cs, "istio-proxy", hold);
    }
    let native = has_container(pod, "initContainers", "istio-proxy");
    let Some(init) = containers_mut(pod, "initContainers") else {
        return;
    };
    if native {
        let mut names: Vec<&str> = Vec::new();
        for n in before_proxy.split(',').filter(|n| !n.is_empty()) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        move_to(init, "enable-core-dump", true);
        move_to(init, "istio-proxy", true);
        for n in names.iter().rev() {
            move_to(init, n, true);
        }
        move_to(init, "istio-validation", true);
        move_to(init, "istio-init", true);
    } else {
        move_to(init, "istio-validation", true);
        move_to(init, "istio-init", false);
        move_to(init, "enable-core-dump", false);
    }
}

/// The workload a pod belongs to, guessed from its owner references and labels as Istio does.
pub fn deploy_meta_from_pod(pod: &Value) -> (DeployMeta, TypeMeta) {
    let meta = pod.get("metadata");
    let get = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let label = |k: &str| {
        meta.and_then(|m| m.get("labels"))
            .and_then(|l| l.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut deploy = DeployMeta {
        name: get("name"),
        namespace: get("namespace"),
    };
    let mut type_meta = TypeMeta {
        api_version: "v1".to_string(),
        kind: "Pod".to_string(),
    };
    if !get("generateName").is_empty() {
        let controller = meta
            .and_then(|m| m.get("ownerReferences"))
            .and_then(Value::as_array)
            .and_then(|refs| {
                refs.iter()
                    .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
            });
        if let Some(r) = controller {
            let field = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            type_meta = TypeMeta {
                api_version: field("apiVersion"),
                kind: field("kind"),
            };
            let owner = field("name");
            deploy.name = owner.clone();
            let hash = label("pod-template-hash");
            let rollout_hash = label("rollouts-pod-template-hash");
            if type_meta.kind == "ReplicaSet" && !hash.is_empty() && owner.ends_with(&hash) {
                deploy.name = owner
                    .strip_suffix(&format!("-{hash}"))
                    .unwrap_or(&owner)
                    .to_string();
                type_meta.kind = "Deployment".to_string();
            } else if type_meta.kind == "ReplicaSet"
                && !rollout_hash.is_empty()
                && owner.ends_with(&rollout_hash)
            {
                deploy.name = owner
                    .strip_suffix(&format!("-{rollout_hash}"))
                    .unwrap_or(&owner)
                    .to_string();
                type_meta.kind = "Rollout".to_string();
                type_meta.api_version = "v1alpha1".to_string();
            } else if type_meta.kind == "ReplicationController"
                && !label("deploymentconfig").is_empty()
            {
                deploy.name = label("deploymentconfig");
                type_meta.kind = "DeploymentConfig".to_string();
            } else if type_meta.kind == "Job"
                && let Some(base) = cron_job_base(&owner)
            {
                deploy.name = base;
                type_meta.kind = "CronJob".to_string();
                type_meta.api_version = "batch/v1".to_string();
            }
        }
    }
    if deploy.name.is_empty() {
        deploy.name = get("name");
    }
    (deploy, type_meta)
}

/// The CronJob name of a Job named `<cronjob>-<8 to 10 digit timestamp>`.
fn cron_job_base(job: &str) -> Option<String> {
    let (base, suffix) = job.rsplit_once('-')?;
    let digits = suffix.len();
    ((8..=10).contains(&digits) && suffix.bytes().all(|b| b.is_ascii_digit()) && !base.is_empty())
        .then(|| base.to_string())
}

/// The proxy UID and GID: 1337, or on OpenShift the top of the namespace's allocated ranges.
fn proxy_ids(context: &PodContext) -> (i64, i64) {
    let mut ids = (1337, 1337);
    if !context.openshift {
        return ids;
    }
    let Some(ns) = &context.namespace_annotations else {
        return ids;
    };
    if let Some(max) = ns
        .get("openshift.io/sa.scc.uid-range")
        .and_then(|r| range_max(r))
    {
        ids.0 = max;
    }
    if let Some(max) = ns
        .get("openshift.io/sa.scc.supplemental-groups")
        .and_then(|g| g.split(',').next())
        .and_then(range_max)
    {
        ids.1 = max;
    }
    ids
}

/// The largest ID of an OpenShift range: `start/size` or `start-end`.
fn range_max(range: &str) -> Option<i64> {
    let range = range.trim();
    if let Some((start, size)) = range.split_once('/') {
        let start: i64 = start.trim().parse().ok()?;
        let size: i64 = size.trim().parse().ok()?;
        return (size > 0).then(|| start + size - 1);
    }
    let (_, end) = range.split_once('-')?;
    end.trim().parse().ok()
}

impl Injector {
    /// The data a Go injection template sees for this pod (what istiod passes), as a value
    /// tree: Istio's `SidecarTemplateData` field names at the top, Kubernetes/protobuf JSON
    /// below (see [`mesh_gotmpl`] for how templates read it). The pod is prepared as the
    /// webhook prepares it (normalized, a previous injection stripped).
    pub fn go_template_data(
        &self,
        pod: &Value,
        context: &PodContext,
    ) -> Result<Value, InjectError> {
        self.with_template_data(pod, context, |data| Ok(go_data(data)))
    }

    /// The overlay a template renders for this pod before it is merged (built-in templates
    /// natively, custom ones as configured). For comparing renderers in tests.
    #[doc(hidden)]
    pub fn native_overlay(
        &self,
        name: &str,
        pod: &Value,
        context: &PodContext,
    ) -> Result<Value, InjectError> {
        self.with_template_data(pod, context, |data| self.render(name, data).map(|(v, _)| v))
    }

    /// Prepares a pod as the webhook pipeline does and hands its template inputs to `f`.
    fn with_template_data<T>(
        &self,
        pod: &Value,
        context: &PodContext,
        f: impl FnOnce(&TemplateData<'_>) -> Result<T, InjectError>,
    ) -> Result<T, InjectError> {
        let mut pod = pod_view(pod, context)?;
        let (deploy, type_meta) = deploy_meta_from_pod(&pod);
        normalize_pod(&mut pod)?;
        if context.openshift {
            reset_openshift_proxy_user(&mut pod);
        }
        let proxy_config = self.proxy_config_for(&string_map(&pod, "annotations")?)?;
        let status_port = self.mesh.default_config().status_port();
        let stripped = strip_pod(&pod, status_port)?.unwrap_or(pod);
        let annotations = string_map(&stripped, "annotations")?;
        let labels = string_map(&stripped, "labels")?;
        let (proxy_uid, proxy_gid) = proxy_ids(context);
        let empty_spec = json!({});
        let data = TemplateData {
            type_meta: &type_meta,
            deploy: &deploy,
            annotations: &annotations,
            labels: &labels,
            metadata: stripped.get("metadata"),
            spec: stripped.get("spec").unwrap_or(&empty_spec),
            proxy_config: &proxy_config,
            mesh: &self.mesh,
            values: &self.values,
            revision: &self.revision,
            proxy_image: crate::template::proxy_image(&self.values, &proxy_config, &annotations),
            proxy_uid,
            proxy_gid,
            native_sidecars: self.native_sidecars,
            compliance_policy: &self.compliance_policy,
            proxy_metadata: proxy_config.proxy_metadata(),
            values_resources: &self.values_resources,
        };
        f(&data)
    }
}

/// Executes a custom Go template and reads its output as a pod overlay.
fn render_go(t: &mesh_gotmpl::Template, data: &TemplateData<'_>) -> Result<Value, InjectError> {
    let text = t.execute(&go_data(data))?;
    let invalid = |message: String| InjectError::InvalidTemplate {
        name: t.name().to_string(),
        message,
    };
    match mesh_core::from_yaml_str(&text, t.name()) {
        Ok(Value::Null) => Ok(json!({})),
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(invalid(
            "the rendered template is not a pod overlay (a map with metadata and spec)".to_string(),
        )),
        Err(e) => Err(invalid(format!(
            "rendered output is not YAML: {}",
            e.source
        ))),
    }
}

/// The Go template data (`SidecarTemplateData`) for template inputs. `metadata` is the pod's
/// metadata when known; without it `ObjectMeta` holds the namespace, labels and annotations.
fn go_data(d: &TemplateData<'_>) -> Value {
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
    json!({
        "TypeMeta": {"kind": d.type_meta.kind, "apiVersion": d.type_meta.api_version},
        "DeploymentMeta": {"name": d.deploy.name, "namespace": d.deploy.namespace},
        "ObjectMeta": meta,
        "Spec": d.spec,
        "ProxyConfig": proxy,
        "MeshConfig": mesh,
        "Values": d.values.root(),
        "Revision": d.revision,
        "NativeSidecars": d.native_sidecars,
        "ProxyImage": d.proxy_image,
        "ProxyUID": d.proxy_uid,
        "ProxyGID": d.proxy_gid,
        "InboundTrafficPolicyMode": inbound,
        "CompliancePolicy": d.compliance_policy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploy_meta_follows_replicaset_owner() {
        let pod = json!({"metadata": {
            "generateName": "hello-5d4f8-", "labels": {"pod-template-hash": "5d4f8"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "hello-5d4f8", "controller": true}]
        }});
        let (d, t) = deploy_meta_from_pod(&pod);
        assert_eq!(d.name, "hello");
        assert_eq!(t.kind, "Deployment");
        assert_eq!(t.api_version, "apps/v1");
    }

    #[test]
    fn deploy_meta_detects_cronjob() {
        let pod = json!({"metadata": {
            "generateName": "x-",
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "backup-28471234", "controller": true}]
        }});
        let (d, t) = deploy_meta_from_pod(&pod);
        assert_eq!((d.name.as_str(), t.kind.as_str()), ("backup", "CronJob"));
    }

    #[test]
    fn openshift_ids_come_from_namespace_ranges() {
        let mut ns = BTreeMap::new();
        ns.insert(
            "openshift.io/sa.scc.uid-range".to_string(),
            "1000620000/10000".to_string(),
        );
        ns.insert(
            "openshift.io/sa.scc.supplemental-groups".to_string(),
            "1000620000/10000".to_string(),
        );
        let ctx = PodContext {
            namespace_annotations: Some(ns),
            openshift: true,
            ..Default::default()
        };
        assert_eq!(proxy_ids(&ctx), (1000629999, 1000629999));
        assert_eq!(proxy_ids(&PodContext::default()), (1337, 1337));
    }

    #[test]
    fn reorders_native_sidecar_first() {
        let mut pod = json!({"spec": {"initContainers": [
            {"name": "user-init"}, {"name": "istio-init"}, {"name": "istio-proxy"}
        ], "containers": [{"name": "app"}]}});
        reorder(&mut pod, false, "");
        let names: Vec<&str> = pod["spec"]["initContainers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["istio-init", "istio-proxy", "user-init"]);
    }

    #[test]
    fn reorders_classic_init_last() {
        let mut pod = json!({"spec": {"initContainers": [
            {"name": "istio-init"}, {"name": "user-init"}
        ], "containers": [{"name": "istio-proxy"}, {"name": "app"}]}});
        reorder(&mut pod, false, "");
        assert_eq!(
            pod["spec"]["initContainers"][1]["name"],
            json!("istio-init")
        );
        assert_eq!(pod["spec"]["containers"][1]["name"], json!("istio-proxy"));
        reorder(&mut pod, true, "");
        assert_eq!(pod["spec"]["containers"][0]["name"], json!("istio-proxy"));
    }
}
