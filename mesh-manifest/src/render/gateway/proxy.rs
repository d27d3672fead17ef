//! The router pod's `istio-proxy` container: image, ports, arguments, environment, resources.

use mesh_core::{Value, obj};
use serde_json::json;

use super::{Gateway, or};
use crate::render::RenderError;
use crate::render::common::{
    ObjectMap, bad_value, get, go_format, helm_resources, map_at, printed, str_at, truthy,
};

impl Gateway<'_> {
    /// The proxy image: `global.proxy.image` when it names a full image, else
    /// `<global.hub>/<image>:<tag>[-<variant>]`. The tag is the gateway's own when istioctl
    /// passed one for the component, else `global.tag`.
    fn image(&self) -> String {
        let image = str_at(self.values, "global.proxy.image");
        if image.contains('/') {
            return image.to_string();
        }
        let image = if image.is_empty() { "proxyv2" } else { image };
        let hub = go_format(get(self.values, "global.hub"));
        let tag = go_format(or(self.at("tag"), get(self.values, "global.tag")));
        let variant = or(
            get(self.values, "global.proxy.variant"),
            get(self.values, "global.variant"),
        );
        let suffix = if truthy(variant) {
            format!("-{}", go_format(variant))
        } else {
            String::new()
        };
        format!("{hub}/{image}:{tag}{suffix}")
    }

    /// Container ports: each gateway port's target (or port) and protocol, then Envoy's
    /// Prometheus port.
    pub(super) fn container_ports(&self) -> Result<Vec<Value>, RenderError> {
        let mut out = Vec::new();
        for (i, port) in self.ports()?.iter().enumerate() {
            if !matches!(port, Value::Object(_) | Value::Null) {
                let path = format!("{}[{i}]", self.path("ports"));
                return Err(bad_value(self.component(), &path, "a map", port));
            }
            out.push(obj! {
                "containerPort" => printed(or(get(port, "targetPort"), get(port, "port"))),
                "protocol" => printed(or(get(port, "protocol"), &Value::from("TCP"))),
            });
        }
        out.push(
            obj! { "containerPort" => 15090, "protocol" => "TCP", "name" => "http-envoy-prom" },
        );
        Ok(out)
    }

    /// `resources`: the gateway's, else `global.defaultResources`, as the chart's resources helper
    /// prints them: only `limits` and `requests`, only their non-empty entries, each printed
    /// unquoted (so a quantity string like `"1"` reads back as a number); nothing (null) when no
    /// entry is left.
    pub(super) fn resources(&self) -> Value {
        let own = self.at("resources");
        let source = if truthy(own) {
            own
        } else {
            get(self.values, "global.defaultResources")
        };
        helm_resources(source)
    }

    /// The `istio-proxy` container of the router pod.
    pub(super) fn proxy_container(&self) -> Result<Value, RenderError> {
        let mut c = ObjectMap::new();
        c.insert("name".into(), "istio-proxy".into());
        c.insert("image".into(), Value::from(self.image()));
        self.insert_pull_policy(&mut c);
        c.insert("ports".into(), Value::Array(self.container_ports()?));
        c.insert("args".into(), Value::Array(self.proxy_args()));
        if !truthy(self.at("runAsRoot")) {
            c.insert("securityContext".into(), restricted_security_context());
        }
        c.insert(
            "readinessProbe".into(),
            obj! {
                "failureThreshold" => 30,
                "httpGet" => json!({"path": "/healthz/ready", "port": 15021, "scheme": "HTTP"}),
                "initialDelaySeconds" => 1,
                "periodSeconds" => 2,
                "successThreshold" => 1,
                "timeoutSeconds" => 1,
            },
        );
        c.insert("resources".into(), self.resources());
        c.insert("env".into(), Value::Array(self.proxy_env()?));
        let mut mounts = self.standard_volume_mounts();
        mounts.extend(self.extra_volume_mounts()?);
        c.insert("volumeMounts".into(), Value::Array(mounts));
        Ok(Value::Object(c))
    }

    /// `proxy router` arguments: domain, log levels, JSON logs and the STS port when set.
    fn proxy_args(&self) -> Vec<Value> {
        let v = self.values;
        let mut args: Vec<String> = vec![
            "proxy".into(),
            "router".into(),
            "--domain".into(),
            format!(
                "$(POD_NAMESPACE).svc.{}",
                go_format(get(v, "global.proxy.clusterDomain"))
            ),
        ];
        let flags = [
            ("global.proxy.logLevel", "--proxyLogLevel"),
            ("global.proxy.componentLogLevel", "--proxyComponentLogLevel"),
            ("global.logging.level", "--log_output_level"),
        ];
        for (path, flag) in flags {
            let value = get(v, path);
            if truthy(value) {
                args.push(format!("{flag}={}", go_format(value)));
            }
        }
        if truthy(get(v, "global.logAsJson")) {
            args.push("--log_as_json".into());
        }
        let sts = get(v, "global.sts.servicePort");
        if truthy(sts) {
            args.push(format!("--stsPort={}", go_format(sts)));
        }
        args.into_iter().map(|a| printed(&Value::from(a))).collect()
    }

    /// The gateway's `env` map, each value quoted, in key order.
    pub(super) fn gateway_env(&self) -> Result<Vec<Value>, RenderError> {
        Ok(self
            .gw_map("env")?
            .into_iter()
            .flatten()
            .map(|(k, v)| obj! { "name" => k.as_str(), "value" => go_format(v) })
            .collect())
    }

    /// The router's environment.
    fn proxy_env(&self) -> Result<Vec<Value>, RenderError> {
        let v = self.values;
        let mut env = vec![
            obj! { "name" => "PILOT_CERT_PROVIDER", "value" => printed(get(v, "global.pilotCertProvider")) },
            obj! { "name" => "CA_ADDR", "value" => self.ca_address() },
            field_env("NODE_NAME", "spec.nodeName", true),
            field_env("POD_NAME", "metadata.name", true),
            field_env("POD_NAMESPACE", "metadata.namespace", true),
            field_env("INSTANCE_IP", "status.podIP", true),
            field_env("HOST_IP", "status.hostIP", true),
            obj! { "name" => "ISTIO_CPU_LIMIT", "valueFrom" => json!({"resourceFieldRef": {"divisor": "1", "resource": "limits.cpu"}}) },
            field_env("SERVICE_ACCOUNT", "spec.serviceAccountName", false),
            obj! { "name" => "ISTIO_META_WORKLOAD_NAME", "value" => printed(&Value::from(self.name.as_str())) },
            obj! {
                "name" => "ISTIO_META_OWNER",
                "value" => format!(
                "kubernetes://apis/apps/v1/namespaces/{}/deployments/{}", self.namespace, self.name
            ),
            },
        ];
        let mesh_id = get(v, "global.meshID");
        let trust_domain = get(v, "meshConfig.trustDomain");
        if truthy(mesh_id) {
            env.push(obj! { "name" => "ISTIO_META_MESH_ID", "value" => go_format(mesh_id) });
        } else if truthy(trust_domain) {
            env.push(obj! { "name" => "ISTIO_META_MESH_ID", "value" => go_format(trust_domain) });
        }
        if truthy(trust_domain) {
            env.push(obj! { "name" => "TRUST_DOMAIN", "value" => go_format(trust_domain) });
        }
        if !truthy(self.at("runAsRoot")) {
            env.push(obj! { "name" => "ISTIO_META_UNPRIVILEGED_POD", "value" => "true" });
        }
        env.extend(self.gateway_env()?);
        let metadata = map_at(
            v,
            "meshConfig.defaultConfig.proxyMetadata",
            self.component(),
        )?;
        for (k, val) in metadata.into_iter().flatten() {
            env.push(obj! { "name" => k.as_str(), "value" => go_format(val) });
        }
        let network_set = truthy(get(self.at("env"), "ISTIO_META_NETWORK"));
        let network = get(v, "global.network");
        if !network_set && truthy(network) {
            env.push(obj! { "name" => "ISTIO_META_NETWORK", "value" => go_format(network) });
        }
        let cluster = get(v, "global.multiCluster.clusterName");
        let cluster = if truthy(cluster) {
            go_format(cluster)
        } else {
            "Kubernetes".to_string()
        };
        env.push(obj! { "name" => "ISTIO_META_CLUSTER_ID", "value" => cluster });
        env.push(field_env("ISTIO_META_NODE_NAME", "spec.nodeName", false));
        Ok(env)
    }

    /// `CA_ADDR`: `global.caAddress`, else istiod's service in the Istio namespace.
    fn ca_address(&self) -> Value {
        let v = self.values;
        let explicit = get(v, "global.caAddress");
        if truthy(explicit) {
            return printed(explicit);
        }
        let istiod = match self.revision() {
            "" => "istiod".to_string(),
            rev => format!("istiod-{rev}"),
        };
        let ns = go_format(get(v, "global.istioNamespace"));
        printed(&Value::from(format!("{istiod}.{ns}.svc:15012")))
    }
}

/// A downward-API environment variable, with `apiVersion: v1` where the chart writes it.
fn field_env(name: &str, field: &str, with_api_version: bool) -> Value {
    let field_ref = if with_api_version {
        obj! { "apiVersion" => "v1", "fieldPath" => field }
    } else {
        obj! { "fieldPath" => field }
    };
    obj! { "name" => name, "valueFrom" => json!({"fieldRef": field_ref}) }
}

/// The container security context of a non-root gateway.
pub(super) fn restricted_security_context() -> Value {
    obj! {
        "allowPrivilegeEscalation" => false,
        "capabilities" => json!({"drop": ["ALL"]}),
        "privileged" => false,
        "readOnlyRootFilesystem" => true,
    }
}
