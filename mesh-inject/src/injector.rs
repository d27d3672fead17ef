//! The injector: the public [`Injector`] (built once from the injector configuration, values,
//! mesh config, revision and native-sidecar mode) and its pipeline: strip a previous injection,
//! render the selected templates, strategic-merge them onto the pod, re-apply the user's own
//! proxy container settings, then Prometheus merge, probe rewriting, status and ordering.

use crate::annotations as ann;
use crate::config::InjectConfig;
use crate::error::{AnnotationProblem, InjectError};
use crate::injected_names::InjectedNames;
use crate::mesh_config::{MeshConfig, ProxyConfig};
use crate::pod::*;
use crate::reinject::{
    original_view, reapply_overwritten_containers, reset_openshift_proxy_user, strip_pod,
};
use crate::render::{Mode, Templates, go_data, select_templates};
use crate::template_data::{DeployMeta, TemplateData, TypeMeta};
use crate::values::Values;
use crate::{pod_merge, probes, prometheus};
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

/// Istio's sidecar injector, natively: built once from the injector configuration, values, mesh
/// config, revision and native-sidecar mode, then used for any number of pods.
///
/// [`Injector::inject_pod`] takes a pod (as the admission webhook receives it) and returns the
/// injected pod. Injecting an already injected pod gives the same pod again.
#[derive(Debug, Clone)]
pub struct Injector {
    config: InjectConfig,
    templates: Templates,
    values: Values,
    mesh: MeshConfig,
    revision: String,
    native_sidecars: bool,
    compliance_policy: String,
    /// `values.global.proxy.resources`, canonical, computed once (`None` when invalid).
    values_resources: Option<Value>,
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
        let templates = Templates::new(&config.templates);
        let values_resources = crate::template_data::values_resources(&values).ok();
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
            proxy_image: crate::template_data::proxy_image(
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
        let mut added = InjectedNames::default();
        let mut overlays = Vec::new();
        for name in select_templates(&self.config, req.mode, &annotations) {
            let (mut overlay, plain) = self.templates.render(&name, &data)?;
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
            .map_err(|e| {
                InjectError::InvalidAnnotations(vec![AnnotationProblem {
                    name: ann::PROXY_CONFIG.to_string(),
                    value: text.to_string(),
                    reason: e.to_string(),
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

    fn post_process(
        &self,
        pod: &mut Value,
        added: &InjectedNames,
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
                    .map(|(k, v)| crate::template_data::env(k, v.as_str())),
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
        if !probes::should_rewrite(annotations, setting) {
            return;
        }
        if let Some(probers) = probes::dump_app_probers(pod, annotations) {
            let previously_injected = annotations
                .get(ann::SIDECAR_STATUS)
                .is_some_and(Value::is_string);
            if let Some(env) = sidecar_env(pod) {
                probes::merge_or_append_probers(previously_injected, env, &probers);
            }
        }
        probes::rewrite_probes(pod, annotations, port);
    }
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
        self.with_template_data(pod, context, |data| {
            self.templates.render(name, data).map(|(v, _)| v)
        })
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
            proxy_image: crate::template_data::proxy_image(
                &self.values,
                &proxy_config,
                &annotations,
            ),
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
