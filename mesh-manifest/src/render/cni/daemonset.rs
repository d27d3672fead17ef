//! The `istio-cni-node` DaemonSet: the `install-cni` container on every Linux node.

use mesh_core::{Value, obj};
use serde_json::json;

use super::{COMPONENT, Cni, NAME, object};
use crate::render::RenderError;
use crate::render::common::{
    ObjectMap, bad_value, go_format, helm_resources, map_at, printed, truthy,
};

impl Cni<'_> {
    /// The DaemonSet.
    pub(super) fn daemon_set(&self) -> Result<Value, RenderError> {
        let node = format!("{NAME}-node");
        let mut labels = ObjectMap::new();
        labels.insert("k8s-app".into(), node.as_str().into());
        labels.extend(self.operator_labels());
        labels.extend(self.chart_labels());
        if let Some(extra) = map_at(self.values, "daemonSetLabels", COMPONENT)? {
            labels.extend(extra.clone());
        }
        let mut ds = object("apps/v1", "DaemonSet", &node, Some(self.namespace), labels);

        let mut spec = ObjectMap::new();
        spec.insert(
            "selector".into(),
            obj! { "matchLabels" => json!({"k8s-app": node}) },
        );
        let strategy = self.at("updateStrategy");
        if truthy(strategy) {
            spec.insert("updateStrategy".into(), strategy.clone());
        }
        spec.insert("template".into(), self.pod_template()?);
        ds.insert("spec".into(), Value::Object(spec));
        Ok(Value::Object(ds))
    }

    fn pod_template(&self) -> Result<Value, RenderError> {
        let mut labels = ObjectMap::new();
        labels.insert("k8s-app".into(), format!("{NAME}-node").into());
        labels.insert("sidecar.istio.io/inject".into(), "false".into());
        labels.insert("istio.io/dataplane-mode".into(), "none".into());
        labels.extend(self.chart_labels());
        if let Some(extra) = map_at(self.values, "podLabels", COMPONENT)? {
            labels.extend(extra.clone());
        }

        let mut annotations = ObjectMap::new();
        annotations.insert("sidecar.istio.io/inject".into(), "false".into());
        annotations.insert("prometheus.io/scrape".into(), "true".into());
        annotations.insert("prometheus.io/port".into(), "15014".into());
        annotations.insert("prometheus.io/path".into(), "/metrics".into());
        if self.apparmor_annotation() {
            annotations.insert(
                "container.apparmor.security.beta.kubernetes.io/install-cni".into(),
                "unconfined".into(),
            );
        }
        if let Some(extra) = map_at(self.values, "podAnnotations", COMPONENT)? {
            annotations.extend(extra.clone());
        }

        let mut spec = ObjectMap::new();
        if self.shares_host_network() {
            spec.insert("hostNetwork".into(), true.into());
            spec.insert("dnsPolicy".into(), "ClusterFirstWithHostNet".into());
        }
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
        spec.insert("priorityClassName".into(), "system-node-critical".into());
        spec.insert("serviceAccountName".into(), NAME.into());
        spec.insert(
            "terminationGracePeriodSeconds".into(),
            printed(self.at("terminationGracePeriodSeconds")),
        );
        spec.insert("containers".into(), json!([self.install_container()?]));
        spec.insert("volumes".into(), Value::Array(self.volumes()));
        Ok(obj! {
            "metadata" => json!({"labels": labels, "annotations": annotations}),
            "spec" => spec,
        })
    }

    /// Whether AppArmor is relaxed through the (deprecated) pod annotation rather than the
    /// container's security context.
    fn apparmor_annotation(&self) -> bool {
        truthy(self.at("useAppArmorAnnotation"))
    }

    /// Whether the agent runs in the host network namespace (ambient only).
    fn shares_host_network(&self) -> bool {
        self.ambient() && truthy(self.at("ambient.shareHostNetworkNamespace"))
    }

    /// Whether the host's `/proc` is mounted (pod repair or ambient).
    fn needs_procfs(&self) -> bool {
        truthy(self.at("repair.repairPods")) || self.ambient()
    }

    /// `<hub>/<image>:<tag>[-<variant>]`, each part the chart's own value or the global one;
    /// `image` is used as is when it names a full image.
    fn image(&self) -> String {
        let image = go_format(self.at("image"));
        if image.contains('/') {
            return image;
        }
        let pick = |own: &str, global: &str| {
            let v = self.at(own);
            go_format(if truthy(v) { v } else { self.at(global) })
        };
        let image = if image.is_empty() {
            "install-cni".to_string()
        } else {
            image
        };
        let variant = pick("variant", "global.variant");
        let suffix = if variant.is_empty() {
            String::new()
        } else {
            format!("-{variant}")
        };
        format!(
            "{}/{image}:{}{suffix}",
            pick("hub", "global.hub"),
            pick("tag", "global.tag")
        )
    }

    fn install_container(&self) -> Result<Value, RenderError> {
        let mut c = ObjectMap::new();
        c.insert("name".into(), "install-cni".into());
        c.insert("image".into(), Value::from(self.image()));
        let policy = self.at("pullPolicy");
        let policy = if truthy(policy) {
            policy
        } else {
            self.at("global.imagePullPolicy")
        };
        if truthy(policy) {
            c.insert("imagePullPolicy".into(), printed(policy));
        }
        c.insert(
            "ports".into(),
            json!([{"containerPort": 15014, "name": "metrics", "protocol": "TCP"}]),
        );
        c.insert(
            "readinessProbe".into(),
            obj! { "httpGet" => json!({"path": "/readyz", "port": 8000}) },
        );
        c.insert("securityContext".into(), self.security_context()?);
        c.insert("command".into(), json!(["install-cni"]));
        c.insert("args".into(), Value::Array(self.args()));
        c.insert(
            "envFrom".into(),
            json!([{"configMapRef": {"name": format!("{NAME}-config")}}]),
        );
        c.insert("env".into(), Value::Array(self.env()?));
        c.insert("volumeMounts".into(), Value::Array(self.volume_mounts()));
        let resources = self.at("resources");
        let resources = if truthy(resources) {
            resources
        } else {
            self.at("global.defaultResources")
        };
        c.insert("resources".into(), helm_resources(resources));
        Ok(Value::Object(c))
    }

    /// Root without `privileged`, all capabilities dropped but those repair and ambient need;
    /// SELinux options (type `spc_t` unless given) and a seccomp profile when set.
    fn security_context(&self) -> Result<Value, RenderError> {
        let mut sc = ObjectMap::new();
        if !self.apparmor_annotation() {
            sc.insert("appArmorProfile".into(), obj! { "type" => "Unconfined" });
        }
        sc.insert("privileged".into(), false.into());
        sc.insert("runAsGroup".into(), 0.into());
        sc.insert("runAsUser".into(), 0.into());
        sc.insert("runAsNonRoot".into(), false.into());
        sc.insert(
            "capabilities".into(),
            obj! {
                "drop" => json!(["ALL"]),
                "add" => json!(["NET_ADMIN", "NET_RAW", "SYS_PTRACE", "SYS_ADMIN", "DAC_OVERRIDE"]),
            },
        );
        let selinux = self.at("seLinuxOptions");
        match selinux {
            Value::Object(opts) if !opts.is_empty() => {
                let mut opts = opts.clone();
                opts.entry("type").or_insert_with(|| Value::from("spc_t"));
                sc.insert("seLinuxOptions".into(), Value::Object(opts));
            }
            Value::Object(_) | Value::Null => {}
            other if truthy(other) => {
                return Err(bad_value(COMPONENT, "seLinuxOptions", "a map", other));
            }
            _ => {}
        }
        let seccomp = self.at("seccompProfile");
        if truthy(seccomp) {
            sc.insert("seccompProfile".into(), seccomp.clone());
        }
        Ok(Value::Object(sc))
    }

    /// `--log_output_level` from the chart's or the global logging level, `--log_as_json`.
    fn args(&self) -> Vec<Value> {
        let mut args = Vec::new();
        let own = self.at("logging.level");
        let level = if truthy(own) {
            own
        } else {
            self.at("global.logging.level")
        };
        if truthy(level) {
            args.push(Value::from(format!(
                "--log_output_level={}",
                go_format(level)
            )));
        }
        if truthy(self.at("global.logAsJson")) {
            args.push(Value::from("--log_as_json"));
        }
        args
    }

    /// The container's environment: the fixed entries, then every `env` entry (keys in order,
    /// values quoted), as Istio 1.30's DaemonSet template lists them.
    fn env(&self) -> Result<Vec<Value>, RenderError> {
        let mut env = vec![
            obj! { "name" => "REPAIR_NODE_NAME", "valueFrom" => json!({"fieldRef": {"fieldPath": "spec.nodeName"}}) },
            obj! { "name" => "REPAIR_RUN_AS_DAEMON", "value" => "true" },
            obj! { "name" => "REPAIR_SIDECAR_ANNOTATION", "value" => "sidecar.istio.io/status" },
        ];
        if !self.shares_host_network() {
            env.push(obj! { "name" => "ALLOW_SWITCH_TO_HOST_NS", "value" => "true" });
        }
        env.extend([
            obj! { "name" => "NODE_NAME", "valueFrom" => json!({"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}) },
            obj! { "name" => "GOMEMLIMIT", "valueFrom" => json!({"resourceFieldRef": {"resource": "limits.memory", "divisor": "1"}}) },
            obj! { "name" => "GOMAXPROCS", "valueFrom" => json!({"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1"}}) },
            obj! { "name" => "POD_NAME", "valueFrom" => json!({"fieldRef": {"fieldPath": "metadata.name"}}) },
            obj! { "name" => "POD_NAMESPACE", "valueFrom" => json!({"fieldRef": {"fieldPath": "metadata.namespace"}}) },
        ]);
        if let Some(extra) = map_at(self.values, "env", COMPONENT)? {
            let mut keys: Vec<&String> = extra.keys().collect();
            keys.sort();
            for key in keys {
                env.push(obj! {
                    "name" => printed(&Value::from(key.as_str())),
                    "value" => go_format(&extra[key]),
                });
            }
        }
        Ok(env)
    }

    fn volume_mounts(&self) -> Vec<Value> {
        let mut mounts = vec![obj! { "mountPath" => "/host/opt/cni/bin", "name" => "cni-bin-dir" }];
        if self.needs_procfs() {
            mounts.push(
                obj! { "mountPath" => "/host/proc", "name" => "cni-host-procfs", "readOnly" => true },
            );
        }
        mounts.push(obj! { "mountPath" => "/host/etc/cni/net.d", "name" => "cni-net-dir" });
        mounts.push(obj! { "mountPath" => "/var/run/istio-cni", "name" => "cni-socket-dir" });
        if self.ambient() {
            mounts.push(obj! {
                "mountPath" => "/host/var/run/netns",
                "mountPropagation" => "HostToContainer",
                "name" => "cni-netns-dir",
            });
            mounts
                .push(obj! { "mountPath" => "/var/run/ztunnel", "name" => "cni-ztunnel-sock-dir" });
        }
        mounts
    }

    fn volumes(&self) -> Vec<Value> {
        let bin_dir = self.at("cniBinDir");
        // Without a cluster to detect GKE from, the default bin dir is the standard one.
        let bin_dir = if truthy(bin_dir) {
            printed(bin_dir)
        } else {
            Value::from("/opt/cni/bin")
        };
        let mut volumes =
            vec![obj! { "name" => "cni-bin-dir", "hostPath" => json!({"path": bin_dir}) }];
        if self.needs_procfs() {
            volumes.push(obj! {
                "name" => "cni-host-procfs",
                "hostPath" => json!({"path": "/proc", "type": "Directory"}),
            });
        }
        if self.ambient() {
            volumes.push(obj! {
                "name" => "cni-ztunnel-sock-dir",
                "hostPath" => json!({"path": "/var/run/ztunnel", "type": "DirectoryOrCreate"}),
            });
        }
        volumes.push(
            obj! { "name" => "cni-net-dir", "hostPath" => json!({"path": printed(self.at("cniConfDir"))}) },
        );
        volumes.push(obj! { "name" => "cni-socket-dir", "hostPath" => json!({"path": "/var/run/istio-cni"}) });
        volumes.push(obj! {
            "name" => "cni-netns-dir",
            "hostPath" => json!({"path": printed(self.at("cniNetnsDir")), "type": "DirectoryOrCreate"}),
        });
        volumes
    }
}
