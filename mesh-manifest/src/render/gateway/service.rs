//! The gateway's Service and, when network policies are on, its NetworkPolicy.

use mesh_core::obj;
use mesh_core::{ComponentName, Value};
use serde_json::json;

use super::{Gateway, object, or};
use crate::render::RenderError;
use crate::render::common::{ObjectMap, bad_value, get, go_format, printed, truthy};

impl Gateway<'_> {
    /// The Service, unless `customService` is set.
    pub(super) fn service(&self) -> Result<Option<Value>, RenderError> {
        if truthy(self.at("customService")) {
            return Ok(None);
        }
        // The egress chart honours the gateway's own namespace here; the ingress chart does not.
        let namespace = match self.flavor.component {
            ComponentName::EgressGateways => self.own_namespace(),
            _ => Value::from(self.namespace),
        };
        let mut metadata = self.metadata(&self.name, namespace, self.object_labels()?);
        metadata.insert("annotations".into(), self.service_annotations()?);
        let mut svc = object("v1", "Service", metadata);
        svc.insert("spec".into(), Value::Object(self.service_spec()?));
        Ok(Some(Value::Object(svc)))
    }

    /// `serviceAnnotations`, every value quoted; `null` when there are none (the chart prints
    /// an empty `annotations:` key).
    fn service_annotations(&self) -> Result<Value, RenderError> {
        let Some(annotations) = self.gw_map("serviceAnnotations")? else {
            return Ok(Value::Null);
        };
        if annotations.is_empty() {
            return Ok(Value::Null);
        }
        let quoted = annotations
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(go_format(v))))
            .collect();
        Ok(Value::Object(quoted))
    }

    fn service_spec(&self) -> Result<ObjectMap, RenderError> {
        let mut spec = ObjectMap::new();
        let lb_ip = self.at("loadBalancerIP");
        if truthy(lb_ip) {
            spec.insert("loadBalancerIP".into(), Value::from(go_format(lb_ip)));
        }
        let ranges = self.at("loadBalancerSourceRanges");
        if truthy(ranges) {
            spec.insert("loadBalancerSourceRanges".into(), ranges.clone());
        }
        let policy = self.at("externalTrafficPolicy");
        if truthy(policy) {
            spec.insert("externalTrafficPolicy".into(), printed(policy));
        }
        spec.insert("type".into(), printed(self.at("type")));
        spec.insert("selector".into(), Value::Object(self.labels()?));
        spec.insert("ports".into(), Value::Array(self.service_ports()?));
        let family_policy = self.at("ipFamilyPolicy");
        if truthy(family_policy) {
            spec.insert("ipFamilyPolicy".into(), printed(family_policy));
        }
        let families = self.gw_list("ipFamilies")?;
        if !families.is_empty() {
            spec.insert(
                "ipFamilies".into(),
                Value::Array(families.iter().map(printed).collect()),
            );
        }
        Ok(spec)
    }

    /// `ports` (each field printed as is), then `ingressPorts`/`egressPorts` (port and name).
    fn service_ports(&self) -> Result<Vec<Value>, RenderError> {
        let mut ports = Vec::new();
        for (i, port) in self.ports()?.iter().enumerate() {
            let fields = port_fields(port).ok_or_else(|| {
                bad_value(
                    self.component(),
                    &format!("{}[{i}]", self.path("ports")),
                    "a map",
                    port,
                )
            })?;
            if fields.is_empty() {
                ports.push(Value::Null);
                continue;
            }
            let printed_fields = fields
                .iter()
                .map(|(k, v)| (k.clone(), printed(v)))
                .collect();
            ports.push(Value::Object(printed_fields));
        }
        for extra in self.gw_list(self.flavor.extra_ports)? {
            ports.push(obj! {
                "port" => printed(get(extra, "port")),
                "name" => printed(get(extra, "name")),
            });
        }
        Ok(ports)
    }

    /// `$gateway.ports`.
    pub(super) fn ports(&self) -> Result<&[Value], RenderError> {
        self.gw_list("ports")
    }

    /// The NetworkPolicy admitting the status, metrics and gateway ports, rendered when
    /// `global.networkPolicy.enabled` is set.
    pub(super) fn network_policy(&self) -> Result<Option<Value>, RenderError> {
        if !truthy(get(self.values, "global.networkPolicy.enabled")) {
            return Ok(None);
        }
        let name = match self.revision() {
            "" => self.name.clone(),
            rev => format!("{}-{rev}", self.name),
        };
        let short = self.flavor.key.trim_start_matches("istio-");
        let mut labels = ObjectMap::new();
        labels.insert("app".into(), printed(&Value::from(self.name.as_str())));
        labels.insert("istio".into(), short.into());
        labels.extend(self.operator_labels());
        labels.insert(
            "istio.io/rev".into(),
            Value::from(go_format(&self.revision_label())),
        );
        labels.extend(self.chart_labels());
        let metadata = self.metadata(&name, Value::from(self.namespace), labels);
        let mut rules = vec![
            obj! { "ports" => json!([{"protocol": "TCP", "port": 15021}]) },
            obj! { "ports" => json!([{"protocol": "TCP", "port": 15020}, {"protocol": "TCP", "port": 15090}]) },
        ];
        for port in self.ports()? {
            rules.push(obj! {
                "ports" => json!([{
                "protocol": printed(or(get(port, "protocol"), &Value::from("TCP"))),
                "port": printed(or(get(port, "targetPort"), get(port, "port"))),
            }]),
            });
        }
        let mut np = object("networking.k8s.io/v1", "NetworkPolicy", metadata);
        np.insert(
            "spec".into(),
            obj! {
                "podSelector" => json!({"matchLabels": self.labels()?}),
                "policyTypes" => json!(["Ingress", "Egress"]),
                "ingress" => rules,
                "egress" => json!([{}]),
            },
        );
        Ok(Some(Value::Object(np)))
    }
}

/// The fields of one `ports` entry; `None` when the entry is not a map (null counts as empty).
fn port_fields(port: &Value) -> Option<ObjectMap> {
    match port {
        Value::Object(map) => Some(map.clone()),
        Value::Null => Some(ObjectMap::new()),
        _ => None,
    }
}
