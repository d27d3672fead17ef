//! The `ztunnel` DaemonSet.

use mesh_core::{Value, obj};
use serde_json::json;

use super::{CHART, COMPONENT, Ztunnel, object};
use crate::render::RenderError;
use crate::render::common::{
    ObjectMap, go_format, helm_resources, list_at, map_at, printed, truthy,
};

impl Ztunnel<'_> {
    /// The DaemonSet.
    pub(super) fn daemon_set(&self) -> Result<Value, RenderError> {
        let mut metadata = ObjectMap::new();
        metadata.insert("name".into(), self.resource_name().into());
        metadata.insert("namespace".into(), self.namespace.into());
        metadata.insert("labels".into(), Value::Object(self.object_labels()?));
        metadata.insert("annotations".into(), self.annotations());
        let mut ds = object("apps/v1", "DaemonSet", metadata);
        let mut spec = ObjectMap::new();
        let strategy = self.at("updateStrategy");
        if truthy(strategy) {
            spec.insert("updateStrategy".into(), strategy.clone());
        }
        spec.insert(
            "selector".into(),
            obj! { "matchLabels" => json!({"app": CHART}) },
        );
        spec.insert("template".into(), self.pod_template()?);
        ds.insert("spec".into(), Value::Object(spec));
        Ok(Value::Object(ds))
    }

    fn pod_template(&self) -> Result<Value, RenderError> {
        let mut labels = ObjectMap::new();
        labels.insert("sidecar.istio.io/inject".into(), "false".into());
        labels.insert("istio.io/dataplane-mode".into(), "none".into());
        labels.insert("app".into(), CHART.into());
        labels.extend(self.chart_labels());
        if let Some(extra) = map_at(self.values, "podLabels", COMPONENT)? {
            labels.extend(extra.clone());
        }
        let mut annotations = ObjectMap::new();
        annotations.insert("sidecar.istio.io/inject".into(), "false".into());
        if !self.revision().is_empty() {
            annotations.insert("istio.io/rev".into(), printed(self.at("revision")));
        }
        if let Some(extra) = map_at(self.values, "podAnnotations", COMPONENT)? {
            annotations.extend(extra.clone());
        }

        let mut spec = ObjectMap::new();
        let mut node_selector = ObjectMap::new();
        node_selector.insert("kubernetes.io/os".into(), "linux".into());
        if let Some(extra) = map_at(self.values, "nodeSelector", COMPONENT)? {
            node_selector.extend(extra.clone());
        }
        spec.insert("nodeSelector".into(), Value::Object(node_selector));
        for key in ["affinity", "tolerations"] {
            let v = self.at(key);
            if truthy(v) {
                spec.insert(key.into(), v.clone());
            }
        }
        spec.insert("serviceAccountName".into(), self.resource_name().into());
        spec.insert("containers".into(), json!([self.proxy_container()?]));
        spec.insert("priorityClassName".into(), "system-node-critical".into());
        spec.insert(
            "terminationGracePeriodSeconds".into(),
            printed(self.at("terminationGracePeriodSeconds")),
        );
        spec.insert("volumes".into(), Value::Array(self.volumes()?));
        let dns_policy = self.at("dnsPolicy");
        if truthy(dns_policy) {
            spec.insert("dnsPolicy".into(), printed(dns_policy));
        }
        let dns_config = self.at("dnsConfig");
        if truthy(dns_config) {
            spec.insert("dnsConfig".into(), dns_config.clone());
        }
        Ok(obj! {
            "metadata" => json!({"labels": labels, "annotations": annotations}),
            "spec" => spec,
        })
    }

    /// `<hub>/<image>:<tag>[-<variant>]`, or `image` as is when it names a full image.
    fn image(&self) -> String {
        let image = go_format(self.at("image"));
        if image.contains('/') {
            return image;
        }
        let image = if image.is_empty() {
            CHART.to_string()
        } else {
            image
        };
        let variant = go_format(self.at("variant"));
        let suffix = if variant.is_empty() {
            String::new()
        } else {
            format!("-{variant}")
        };
        format!(
            "{}/{image}:{}{suffix}",
            go_format(self.at("hub")),
            go_format(self.at("tag"))
        )
    }

    fn proxy_container(&self) -> Result<Value, RenderError> {
        let mut c = ObjectMap::new();
        c.insert("name".into(), "istio-proxy".into());
        c.insert("image".into(), Value::from(self.image()));
        c.insert(
            "ports".into(),
            json!([{"containerPort": 15020, "name": "ztunnel-stats", "protocol": "TCP"}]),
        );
        c.insert("resources".into(), helm_resources(self.at("resources")));
        let policy = self.at("imagePullPolicy");
        if truthy(policy) {
            c.insert("imagePullPolicy".into(), printed(policy));
        }
        c.insert("securityContext".into(), self.security_context());
        c.insert(
            "readinessProbe".into(),
            obj! { "httpGet" => json!({"port": 15021, "path": "/healthz/ready"}) },
        );
        c.insert("args".into(), json!(["proxy", "ztunnel"]));
        c.insert("env".into(), Value::Array(self.env()?));
        let mut mounts = vec![
            obj! { "mountPath" => "/var/run/secrets/istio", "name" => "istiod-ca-cert" },
            obj! { "mountPath" => "/var/run/secrets/tokens", "name" => "istio-token" },
            obj! { "mountPath" => "/var/run/ztunnel", "name" => "cni-ztunnel-sock-dir" },
            obj! { "mountPath" => "/tmp", "name" => "tmp" },
        ];
        if self.peer_ca_crl() {
            mounts.push(obj! {
                "mountPath" => "/var/run/secrets/istio/crl",
                "name" => "crl-volume",
                "readOnly" => true,
            });
        }
        mounts.extend(
            list_at(self.values, "volumeMounts", COMPONENT)?
                .iter()
                .cloned(),
        );
        c.insert("volumeMounts".into(), Value::Array(mounts));
        Ok(Value::Object(c))
    }

    /// Root with the capabilities ztunnel needs (network setup, entering pod namespaces, raw
    /// sockets), a read-only root filesystem, and SELinux options when set.
    fn security_context(&self) -> Value {
        let mut sc = ObjectMap::new();
        sc.insert("allowPrivilegeEscalation".into(), true.into());
        sc.insert("privileged".into(), false.into());
        sc.insert(
            "capabilities".into(),
            obj! { "drop" => json!(["ALL"]), "add" => json!(["NET_ADMIN", "SYS_ADMIN", "NET_RAW"]) },
        );
        sc.insert("readOnlyRootFilesystem".into(), true.into());
        sc.insert("runAsGroup".into(), 1337.into());
        sc.insert("runAsNonRoot".into(), false.into());
        sc.insert("runAsUser".into(), 0.into());
        let selinux = self.at("seLinuxOptions");
        if truthy(selinux) {
            sc.insert("seLinuxOptions".into(), selinux.clone());
        }
        Value::Object(sc)
    }

    /// istiod's address for certificates and XDS: the explicit value, else istiod's service
    /// (revisioned) in the Istio namespace.
    fn istiod_address(&self, explicit: &str) -> Value {
        let v = self.at(explicit);
        if truthy(v) {
            return printed(v);
        }
        let istiod = match self.revision() {
            "" => "istiod".to_string(),
            rev => format!("istiod-{rev}"),
        };
        let ns = go_format(self.at("istioNamespace"));
        printed(&Value::from(format!("{istiod}.{ns}.svc:15012")))
    }

    fn env(&self) -> Result<Vec<Value>, RenderError> {
        let field = |name: &str, path: &str| obj! { "name" => name, "valueFrom" => json!({"fieldRef": {"fieldPath": path}}) };
        let mut env = vec![
            obj! { "name" => "CA_ADDRESS", "value" => self.istiod_address("caAddress") },
            obj! { "name" => "XDS_ADDRESS", "value" => self.istiod_address("xdsAddress") },
        ];
        if truthy(self.at("logAsJson")) {
            env.push(obj! { "name" => "LOG_FORMAT", "value" => "json" });
        }
        let network = self.at("network");
        if truthy(network) {
            env.push(obj! { "name" => "NETWORK", "value" => go_format(network) });
        }
        let cluster = self.at("multiCluster.clusterName");
        let cluster = if truthy(cluster) {
            printed(cluster)
        } else {
            Value::from("Kubernetes")
        };
        env.extend([
            obj! { "name" => "RUST_LOG", "value" => go_format(self.at("logLevel")) },
            obj! { "name" => "RUST_BACKTRACE", "value" => "1" },
            obj! { "name" => "ISTIO_META_CLUSTER_ID", "value" => cluster },
            obj! { "name" => "INPOD_ENABLED", "value" => "true" },
            obj! {
                "name" => "TERMINATION_GRACE_PERIOD_SECONDS",
                "value" => go_format(self.at("terminationGracePeriodSeconds")),
            },
            field("POD_NAME", "metadata.name"),
            field("POD_NAMESPACE", "metadata.namespace"),
            field("NODE_NAME", "spec.nodeName"),
            field("INSTANCE_IP", "status.podIP"),
            field("SERVICE_ACCOUNT", "spec.serviceAccountName"),
        ]);
        let metadata = map_at(
            self.values,
            "meshConfig.defaultConfig.proxyMetadata",
            COMPONENT,
        )?;
        for (key, val) in metadata.into_iter().flatten() {
            env.push(obj! { "name" => key.as_str(), "value" => go_format(val) });
        }
        env.push(obj! {
            "name" => "ZTUNNEL_CPU_LIMIT",
            "valueFrom" => json!({"resourceFieldRef": {"divisor": "1", "resource": "limits.cpu"}}),
        });
        for (key, val) in map_at(self.values, "env", COMPONENT)?.into_iter().flatten() {
            env.push(obj! { "name" => key.as_str(), "value" => go_format(val) });
        }
        if self.peer_ca_crl() {
            env.push(
                obj! { "name" => "CRL_PATH", "value" => "/var/run/secrets/istio/crl/ca-crl.pem" },
            );
        }
        Ok(env)
    }

    /// `peerCaCrl.enabled`: ztunnel reads a certificate revocation list for plugged-in CAs.
    fn peer_ca_crl(&self) -> bool {
        truthy(self.at("peerCaCrl.enabled"))
    }

    fn volumes(&self) -> Result<Vec<Value>, RenderError> {
        let mut volumes = vec![
            obj! {
                "name" => "istio-token",
                "projected" => json!({"sources": [{"serviceAccountToken": {
                    "path": "istio-token",
                    "expirationSeconds": 43200,
                    "audience": "istio-ca",
                }}]}),
            },
            obj! { "name" => "istiod-ca-cert", "configMap" => json!({"name": "istio-ca-root-cert"}) },
            obj! {
                "name" => "cni-ztunnel-sock-dir",
                "hostPath" => json!({"path": "/var/run/ztunnel", "type": "DirectoryOrCreate"}),
            },
            obj! { "name" => "tmp", "emptyDir" => json!({}) },
        ];
        if self.peer_ca_crl() {
            // The `istio-ca-crl` ConfigMap, when it exists.
            volumes.push(obj! {
                "name" => "crl-volume",
                "configMap" => json!({"name": "istio-ca-crl", "optional": true}),
            });
        }
        volumes.extend(list_at(self.values, "volumes", COMPONENT)?.iter().cloned());
        Ok(volumes)
    }
}
