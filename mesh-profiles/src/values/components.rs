//! istioctl's component selection and per-component chart inputs: which component instances an
//! IstioOperator enables, and the values istioctl hands each chart.
//!
//! Input is the IstioOperator as istioctl holds it after `MergeInputs` (profiles, files and flags
//! merged, `spec.hub`/`tag`/`revision`/`meshConfig`/`compatibilityVersion` and component
//! enablement already translated into `spec.values`, `unvalidatedValues` applied), which is
//! what [`crate::resolve`] produces.

use mesh_core::Value;
use mesh_core::path::parse_scalar;
use serde_json::Map;

use super::chart::Chart;
use super::chart_values::chart_values;
use super::error::{ValuesError, kind_name};
use super::go_value::{go_print, whole_numbers_as_integers};
use super::merge::get_path;
use crate::ComponentValues;

const SOURCE: &str = "IstioOperator";

/// One enabled component instance as istioctl reads it from `spec.components`.
#[derive(Debug, Clone, PartialEq)]
struct Instance {
    name: String,
    namespace: String,
    hub: String,
    tag: Option<Value>,
    label: Map<String, Value>,
    service_ports: Option<Vec<Value>>,
    k8s: Option<Value>,
}

impl Instance {
    fn defaulted(chart: Chart, namespace: &str) -> Instance {
        Instance {
            name: chart.default_instance_name().to_string(),
            namespace: namespace.to_string(),
            hub: String::new(),
            tag: None,
            label: Map::new(),
            service_ports: None,
            k8s: None,
        }
    }
}

/// Every enabled component instance of `iop` with the values istioctl passes its chart and the
/// chart's effective values, in istioctl's order: base, pilot, ingress gateways, egress
/// gateways, CNI, ztunnel.
pub fn component_values(iop: &Value) -> Result<Vec<ComponentValues>, ValuesError> {
    let mut values = match iop.pointer("/spec/values") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(other) => {
            return Err(ValuesError::NotAMap {
                source_name: SOURCE.to_string(),
                path: "spec.values".to_string(),
                found: kind_name(other),
            });
        }
    };
    // istioctl holds every number as a float64; whole ones print without a fraction.
    whole_numbers_as_integers(&mut values);
    let namespace = default_namespace(iop);

    let mut out = Vec::new();
    for chart in Chart::ALL {
        for instance in instances(chart, iop, &values, &namespace)? {
            let original = chart_input(chart, &instance, &values)?;
            let effective = chart_values(chart, &original)?;
            out.push(ComponentValues {
                component: chart.component(),
                name: instance.name,
                namespace: instance.namespace,
                values: effective,
                original,
                k8s: instance.k8s,
            });
        }
    }
    Ok(out)
}

/// `metadata.namespace`, which istioctl sets from `values.global.istioNamespace`.
fn default_namespace(iop: &Value) -> String {
    iop.pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("istio-system")
        .to_string()
}

/// Whether a component is on without being listed: base, pilot and the ingress gateway are;
/// a gateway also is when `values.gateways.<gateway>.enabled` is true.
fn enabled_by_default(chart: Chart, values: &Value) -> (bool, bool) {
    let alt = matches!(chart, Chart::IstioIngress | Chart::IstioEgress)
        && get_path(values, chart.values_root()).and_then(|g| g.get("enabled"))
            == Some(&Value::Bool(true));
    let default = matches!(chart, Chart::Base | Chart::Istiod | Chart::IstioIngress);
    (default || alt, alt)
}

/// The enabled instances of a chart's component.
fn instances(
    chart: Chart,
    iop: &Value,
    values: &Value,
    namespace: &str,
) -> Result<Vec<Instance>, ValuesError> {
    let key = chart.component().spec_key();
    let (on_by_default, alt_enabled) = enabled_by_default(chart, values);
    let defaulted = || {
        if on_by_default {
            vec![Instance::defaulted(chart, namespace)]
        } else {
            Vec::new()
        }
    };
    let entry = iop.pointer(&format!("/spec/components/{key}"));
    let path = format!("spec.components.{key}");

    if chart.component().is_multi() {
        let items = match entry {
            None | Some(Value::Null) => return Ok(defaulted()),
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(ValuesError::WrongType {
                    source_name: SOURCE.to_string(),
                    path,
                    expected: "a list",
                    found: kind_name(other),
                });
            }
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let (enabled, instance) = read_spec(chart, item, &format!("{path}[{i}]"), namespace)?;
            if enabled || alt_enabled {
                out.push(instance);
            }
        }
        return Ok(out);
    }

    // A single component that is not a mapping counts as unset, as in istioctl.
    let Some(item @ Value::Object(_)) = entry else {
        return Ok(defaulted());
    };
    let (enabled, instance) = read_spec(chart, item, &path, namespace)?;
    Ok(if enabled || alt_enabled {
        vec![instance]
    } else {
        Vec::new()
    })
}

/// Reads one component spec: whether it is enabled (unset means yes) and its instance.
fn read_spec(
    chart: Chart,
    item: &Value,
    path: &str,
    namespace: &str,
) -> Result<(bool, Instance), ValuesError> {
    let Value::Object(spec) = item else {
        return Err(ValuesError::NotAMap {
            source_name: SOURCE.to_string(),
            path: path.to_string(),
            found: kind_name(item),
        });
    };
    let wrong = |field: &str, expected: &'static str, found: &Value| ValuesError::WrongType {
        source_name: SOURCE.to_string(),
        path: format!("{path}.{field}"),
        expected,
        found: kind_name(found),
    };
    let string = |field: &str| -> Result<String, ValuesError> {
        match spec.get(field) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(wrong(field, "a string", other)),
        }
    };
    let enabled = match spec.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(wrong("enabled", "a boolean", other)),
    };
    let mut label = Map::new();
    match spec.get("label") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                if !v.is_string() {
                    return Err(wrong(&format!("label.{k}"), "a string", v));
                }
                label.insert(k.clone(), v.clone());
            }
        }
        Some(other) => return Err(wrong("label", "a mapping", other)),
    }
    let k8s = spec.get("k8s").filter(|v| !v.is_null()).cloned();
    let service_ports = match k8s
        .as_ref()
        .and_then(|k| get_path(k, &["service", "ports"]))
    {
        None | Some(Value::Null) => None,
        Some(Value::Array(ports)) => Some(
            ports
                .iter()
                .enumerate()
                .map(|(i, p)| service_port(p, &format!("{path}.k8s.service.ports[{i}]")))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(other) => return Err(wrong("k8s.service.ports", "a list", other)),
    };
    let name = string("name")?;
    let namespace = Some(string("namespace")?)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| namespace.to_string());
    let instance = Instance {
        name: if chart.component().is_multi() && !name.is_empty() {
            name
        } else {
            chart.default_instance_name().to_string()
        },
        namespace,
        hub: string("hub")?,
        tag: spec.get("tag").filter(|v| !v.is_null()).cloned(),
        label,
        service_ports,
        k8s,
    };
    Ok((enabled, instance))
}

/// A `k8s.service.ports` item as istioctl re-encodes it (a Kubernetes `ServicePort`): only
/// the known fields, empty optional ones dropped, `targetPort` always present.
fn service_port(port: &Value, path: &str) -> Result<Value, ValuesError> {
    let Value::Object(fields) = port else {
        return Err(ValuesError::NotAMap {
            source_name: SOURCE.to_string(),
            path: path.to_string(),
            found: kind_name(port),
        });
    };
    let wrong = |field: &str, expected: &'static str, found: &Value| ValuesError::WrongType {
        source_name: SOURCE.to_string(),
        path: format!("{path}.{field}"),
        expected,
        found: kind_name(found),
    };
    let mut out = Map::new();
    for field in ["name", "protocol", "appProtocol"] {
        match fields.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.is_empty() => {}
            Some(v @ Value::String(_)) => {
                out.insert(field.to_string(), v.clone());
            }
            Some(other) => return Err(wrong(field, "a string", other)),
        }
    }
    let integer = |field: &str| -> Result<Option<i64>, ValuesError> {
        match fields.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| wrong(field, "an integer", &Value::Number(n.clone()))),
            Some(other) => Err(wrong(field, "an integer", other)),
        }
    };
    out.insert(
        "port".to_string(),
        Value::from(integer("port")?.unwrap_or(0)),
    );
    let target = match fields.get("targetPort") {
        None | Some(Value::Null) => Value::from(0),
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(Value::Number(_)) => Value::from(integer("targetPort")?.unwrap_or(0)),
        Some(other) => return Err(wrong("targetPort", "an integer or a string", other)),
    };
    out.insert("targetPort".to_string(), target);
    if let Some(node_port) = integer("nodePort")?.filter(|p| *p != 0) {
        out.insert("nodePort".to_string(), Value::from(node_port));
    }
    Ok(Value::Object(out))
}

/// Writes `value` at `keys` below `root`, creating missing (or null) mappings on the way.
fn set_keys(root: &mut Value, keys: &[&str], value: Value) -> Result<(), ValuesError> {
    let mut cur = root;
    for (depth, key) in keys.iter().enumerate() {
        if cur.is_null() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(map) = cur else {
            return Err(ValuesError::NotAMap {
                source_name: SOURCE.to_string(),
                path: format!("spec.values.{}", keys[..depth].join(".")),
                found: kind_name(cur),
            });
        };
        cur = map.entry(key.to_string()).or_insert(Value::Null);
    }
    *cur = value;
    Ok(())
}

/// The values istioctl hands a chart for one instance: the shared `spec.values` with the
/// gateway's name, labels and service ports and the component's hub and tag written under its
/// values root, and for ztunnel its own subtree lifted to the top.
fn chart_input(chart: Chart, instance: &Instance, values: &Value) -> Result<Value, ValuesError> {
    let mut vals = values.clone();
    let root = chart.values_root();
    let under_root = |leaf: &'static str| [root, &[leaf]].concat();
    if chart.component().is_multi() {
        set_keys(
            &mut vals,
            &under_root("name"),
            Value::String(instance.name.clone()),
        )?;
        set_keys(
            &mut vals,
            &under_root("labels"),
            Value::Object(instance.label.clone()),
        )?;
        if let Some(ports) = instance.service_ports.as_ref().filter(|p| !p.is_empty()) {
            set_keys(&mut vals, &under_root("ports"), Value::Array(ports.clone()))?;
        }
    }
    // Component hub and tag go through istioctl's `--set` typing, like any flag value.
    if !instance.hub.is_empty() {
        set_keys(&mut vals, &under_root("hub"), parse_scalar(&instance.hub))?;
    }
    if let Some(tag) = &instance.tag {
        set_keys(&mut vals, &under_root("tag"), parse_scalar(&go_print(tag)))?;
    }
    if chart.istioctl_flattens() {
        vals = flatten_for_chart(vals, root);
    }
    whole_numbers_as_integers(&mut vals);
    Ok(vals)
}

/// istioctl's value reshaping for charts that take their settings at the top level: `global`,
/// every top-level value that is not a mapping, then the component's subtree over them.
fn flatten_for_chart(vals: Value, root: &[&str]) -> Value {
    let Some(Value::Object(own)) = get_path(&vals, root).cloned() else {
        return vals;
    };
    let Value::Object(all) = vals else {
        return vals;
    };
    let mut out = Map::new();
    out.insert(
        "global".to_string(),
        all.get("global").cloned().unwrap_or(Value::Null),
    );
    for (k, v) in &all {
        if !v.is_object() {
            out.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in own {
        out.insert(k, v);
    }
    Value::Object(out)
}
