//! The gateway Deployment: the `istio-proxy` router pod, or the minimal pod left to the
//! injector when `injectionTemplate` is set.

use mesh_core::{Value, obj};
use serde_json::json;

use super::proxy::restricted_security_context;
use super::{Gateway, object};
use crate::render::RenderError;
use crate::render::common::{ObjectMap, bad_value, get, go_format, printed, truthy};

impl Gateway<'_> {
    /// The Deployment.
    pub(super) fn deployment(&self) -> Result<Value, RenderError> {
        let injected = truthy(self.at("injectionTemplate"));
        let mut labels = self.labels()?;
        labels.extend(self.operator_labels());
        labels.insert(
            "istio.io/rev".into(),
            Value::from(go_format(&self.revision_label())),
        );
        labels.extend(self.chart_labels());
        // The injected variant's Deployment does not opt out of the ambient dataplane.
        if !injected {
            labels.insert("istio.io/dataplane-mode".into(), "none".into());
        }
        let metadata = self.metadata(&self.name, Value::from(self.namespace), labels);
        let mut dep = object("apps/v1", "Deployment", metadata);

        let mut spec = ObjectMap::new();
        let replicas = self.at("replicaCount");
        if !truthy(self.at("autoscaleEnabled")) && truthy(replicas) {
            spec.insert("replicas".into(), printed(replicas));
        }
        spec.insert(
            "selector".into(),
            obj! { "matchLabels" => Value::Object(self.labels()?) },
        );
        spec.insert(
            "strategy".into(),
            obj! {
                "rollingUpdate" => json!({
                "maxSurge": printed(self.at("rollingMaxSurge")),
                "maxUnavailable": printed(self.at("rollingMaxUnavailable")),
            }),
            },
        );
        let template = if injected {
            self.injected_pod_template()?
        } else {
            self.pod_template()?
        };
        spec.insert("template".into(), template);
        dep.insert("spec".into(), Value::Object(spec));
        Ok(Value::Object(dep))
    }

    /// Pod labels shared by both Deployment variants: the gateway's labels and, in
    /// `istio-system`, the legacy `heritage`/`release`/`chart` labels.
    fn base_pod_labels(&self) -> Result<ObjectMap, RenderError> {
        let mut labels = self.labels()?;
        if self.namespace == "istio-system" {
            labels.insert("heritage".into(), "Tiller".into());
            labels.insert("release".into(), "istio".into());
            labels.insert("chart".into(), "gateways".into());
        }
        Ok(labels)
    }

    /// `service.istio.io/canonical-revision`: the gateway's `app.kubernetes.io/version` or
    /// `version` label, else the revision, else `latest`.
    fn canonical_revision(&self, labels: &ObjectMap) -> Value {
        let candidates = [
            labels.get("app.kubernetes.io/version"),
            labels.get("version"),
            Some(get(self.values, "revision")),
        ];
        let chosen = candidates.into_iter().flatten().find(|v| truthy(v));
        Value::from(
            chosen
                .map(go_format)
                .unwrap_or_else(|| "latest".to_string()),
        )
    }

    /// Annotations common to both variants: Prometheus scraping when
    /// `meshConfig.enablePrometheusMerge` is on, and the gateway's `podAnnotations`.
    fn pod_annotations(&self, mut annotations: ObjectMap) -> Result<ObjectMap, RenderError> {
        if truthy(get(self.values, "meshConfig.enablePrometheusMerge")) {
            annotations.insert("prometheus.io/port".into(), "15020".into());
            annotations.insert("prometheus.io/scrape".into(), "true".into());
            annotations.insert("prometheus.io/path".into(), "/stats/prometheus".into());
        }
        if let Some(extra) = self.gw_map("podAnnotations")? {
            annotations.extend(extra.clone());
        }
        Ok(annotations)
    }

    /// The router pod.
    fn pod_template(&self) -> Result<Value, RenderError> {
        let gw_labels = self.labels()?;
        let mut labels = self.base_pod_labels()?;
        labels.insert(
            "service.istio.io/canonical-name".into(),
            printed(&Value::from(self.name.as_str())),
        );
        labels.insert(
            "service.istio.io/canonical-revision".into(),
            self.canonical_revision(&gw_labels),
        );
        labels.insert(
            "istio.io/rev".into(),
            Value::from(go_format(&self.revision_label())),
        );
        labels.insert(
            "install.operator.istio.io/owning-resource".into(),
            self.owner(),
        );
        labels.insert(
            "operator.istio.io/component".into(),
            self.component().into(),
        );
        labels.insert("sidecar.istio.io/inject".into(), "false".into());
        labels.extend(self.chart_labels());
        labels.insert("istio.io/dataplane-mode".into(), "none".into());

        let mut annotations = ObjectMap::new();
        annotations.insert(
            "istio.io/rev".into(),
            Value::from(go_format(&self.revision_label())),
        );
        annotations.insert("sidecar.istio.io/inject".into(), "false".into());
        let annotations = self.pod_annotations(annotations)?;

        let mut spec = ObjectMap::new();
        if let Some(sc) = self.pod_security_context() {
            spec.insert("securityContext".into(), sc);
        }
        spec.insert(
            "serviceAccountName".into(),
            Value::from(format!("{}-service-account", self.name)),
        );
        self.insert_priority_class(&mut spec);
        let mut containers = vec![self.proxy_container()?];
        containers.extend(self.additional_containers()?);
        spec.insert("containers".into(), Value::Array(containers));
        spec.insert("volumes".into(), Value::Array(self.volumes()?));
        spec.insert("affinity".into(), self.affinity()?);
        self.insert_tolerations(&mut spec)?;

        Ok(obj! {
            "metadata" => json!({"labels": labels, "annotations": annotations}),
            "spec" => spec,
        })
    }

    /// The pod of the `injectionTemplate` variant: `image: auto`, only the gateway-specific
    /// settings, the rest left to the sidecar injector.
    fn injected_pod_template(&self) -> Result<Value, RenderError> {
        let mut labels = self.base_pod_labels()?;
        labels.insert(
            "install.operator.istio.io/owning-resource".into(),
            self.owner(),
        );
        labels.insert(
            "operator.istio.io/component".into(),
            self.component().into(),
        );
        labels.insert("sidecar.istio.io/inject".into(), "true".into());
        let rev = get(self.values, "revision");
        if truthy(rev) {
            labels.insert("istio.io/rev".into(), printed(rev));
        }
        labels.insert(
            "service.istio.io/canonical-name".into(),
            printed(&Value::from(self.name.as_str())),
        );
        labels.insert(
            "service.istio.io/canonical-revision".into(),
            self.canonical_revision(&self.labels()?),
        );
        labels.extend(self.chart_labels());
        let mut annotations = ObjectMap::new();
        annotations.insert("sidecar.istio.io/inject".into(), "true".into());
        annotations.insert(
            "inject.istio.io/templates".into(),
            Value::from(go_format(self.at("injectionTemplate"))),
        );
        let annotations = self.pod_annotations(annotations)?;

        let mut container = ObjectMap::new();
        container.insert("name".into(), "istio-proxy".into());
        container.insert("image".into(), "auto".into());
        self.insert_pull_policy(&mut container);
        container.insert("ports".into(), Value::Array(self.container_ports()?));
        if !truthy(self.at("runAsRoot")) {
            container.insert("securityContext".into(), restricted_security_context());
        }
        container.insert("resources".into(), self.resources());
        let mut env = Vec::new();
        if !truthy(self.at("runAsRoot")) {
            env.push(obj! { "name" => "ISTIO_META_UNPRIVILEGED_POD", "value" => "true" });
        }
        env.extend(self.gateway_env()?);
        container.insert("env".into(), Value::Array(env));
        container.insert(
            "volumeMounts".into(),
            Value::Array(self.extra_volume_mounts()?),
        );

        let mut spec = ObjectMap::new();
        if let Some(sc) = self.pod_security_context() {
            spec.insert("securityContext".into(), sc);
        }
        spec.insert(
            "serviceAccountName".into(),
            Value::from(format!("{}-service-account", self.name)),
        );
        self.insert_priority_class(&mut spec);
        let mut containers = vec![Value::Object(container)];
        containers.extend(self.additional_containers()?);
        spec.insert("containers".into(), Value::Array(containers));
        let volumes = self.extra_volumes()?;
        spec.insert(
            "volumes".into(),
            if volumes.is_empty() {
                Value::Null
            } else {
                Value::Array(volumes)
            },
        );
        spec.insert("affinity".into(), self.affinity()?);
        self.insert_tolerations(&mut spec)?;

        Ok(obj! {
            "metadata" => json!({"labels": labels, "annotations": annotations}),
            "spec" => spec,
        })
    }

    /// The pod security context, unless the gateway runs as root: non-root, and UID/GID 1337
    /// except on OpenShift (which assigns its own).
    fn pod_security_context(&self) -> Option<Value> {
        if truthy(self.at("runAsRoot")) {
            return None;
        }
        if self.platform() == "openshift" {
            Some(obj! { "runAsNonRoot" => true })
        } else {
            Some(obj! { "runAsUser" => 1337, "runAsGroup" => 1337, "runAsNonRoot" => true })
        }
    }

    fn insert_priority_class(&self, spec: &mut ObjectMap) {
        let class = get(self.values, "global.priorityClassName");
        if truthy(class) {
            spec.insert("priorityClassName".into(), Value::from(go_format(class)));
        }
    }

    pub(super) fn insert_pull_policy(&self, container: &mut ObjectMap) {
        let policy = get(self.values, "global.imagePullPolicy");
        if truthy(policy) {
            container.insert("imagePullPolicy".into(), printed(policy));
        }
    }

    /// The gateway's tolerations, else `global.defaultTolerations`, else none.
    fn insert_tolerations(&self, spec: &mut ObjectMap) -> Result<(), RenderError> {
        let own = self.at("tolerations");
        let chosen = if truthy(own) {
            own
        } else {
            get(self.values, "global.defaultTolerations")
        };
        if truthy(chosen) {
            if !matches!(chosen, Value::Array(_)) {
                return Err(bad_value(
                    self.component(),
                    &self.path("tolerations"),
                    "a list",
                    chosen,
                ));
            }
            spec.insert("tolerations".into(), chosen.clone());
        }
        Ok(())
    }

    /// `additionalContainers`, appended after `istio-proxy` as given.
    fn additional_containers(&self) -> Result<Vec<Value>, RenderError> {
        Ok(self.gw_list("additionalContainers")?.to_vec())
    }
}
