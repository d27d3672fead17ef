//! The schema of `spec.values`, derived from the charts' own default values and helm profiles,
//! with the leaf types istioctl decodes them with (`data/values-types.yaml`).
//!
//! Every key any chart declares a default for is known, and so is every key of istioctl's typed
//! values; maps that hold user data (labels, annotations, env, selectors, mesh config, ...) are
//! free-form; gateway entries may use any gateway name. So a typo such as
//! `values.pilot.replicaCuont` is caught with a suggestion, while everything the charts read is
//! accepted. Each leaf has a type: the one `values-types.yaml` gives it, else the one its chart
//! default shows (a boolean, an integer, a number or text); `resources` blocks hold quantities.

use crate::values::Chart;
use mesh_core::{Shape, Value, merge_keep_nulls};
use serde_json::{Map, json};
use std::sync::OnceLock;

/// The leaf types of `spec.values` (`data/values-types.yaml`, converted to JSON by `build.rs`).
const TYPES_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/data/values-types.json"));

/// The parsed [`TYPES_JSON`]. The data file is ours and tested; were it broken, no type would be
/// added (the chart-derived schema stays).
fn types() -> Value {
    serde_json::from_str(TYPES_JSON).unwrap_or(Value::Null)
}

/// Keys whose maps hold user data: any key is accepted below them (`resources` blocks are typed:
/// see [`resources_shape`]).
const FREE_FORM: &[&str] = &[
    "affinity",
    "annotations",
    "autoscaleBehavior",
    "certSigners",
    "containerSecurityContext",
    "cpu",
    "daemonSetLabels",
    "deploymentAnnotations",
    "deploymentLabels",
    "dnsConfig",
    "env",
    "gatewayClasses",
    "injectedAnnotations",
    "labels",
    "memory",
    "meshConfig",
    "meshNetworks",
    "nodeSelector",
    "podAnnotations",
    "podDisruptionBudget",
    "podLabels",
    "resourceQuotas",
    "seLinuxOptions",
    "seccompProfile",
    "securityContext",
    "serviceAccountAnnotations",
    "serviceAnnotations",
    "sidecarInjectorWebhookAnnotations",
    "strategy",
    "templates",
    "updateStrategy",
    "config",
    "tolerations",
    "topologySpreadConstraints",
    "lifecycle",
];

/// Keys the charts or istioctl read that no default declares.
fn extra_keys() -> Value {
    json!({
        "profile": "",
        "compatibilityVersion": "",
        "revision": "",
        "defaultRevision": "",
        "ownerName": "",
        "revisionTags": [],
        "platform": "",
        "global": {
            "platform": "", "profile": "", "remotePilotAddress": "", "externalIstiod": false,
            "proxy": {"holdApplicationUntilProxyStarts": false, "lifecycle": {}, "excludeInterfaces": "", "includeInterfaces": ""},
        },
        "pilot": {"enabled": false, "cni": {"enabled": false, "provider": ""}},
    })
}

/// The helm-level profiles whose keys are valid values too, by file stem.
const HELM_PROFILES: &[&str] = &[
    "ambient",
    "demo",
    "preview",
    "remote",
    "stable",
    "openshift",
    "platform-gke",
];

/// The embedded defaults of `chart`, already parsed for rendering.
fn chart_defaults(chart: Chart) -> &'static Value {
    // The data files are ours and tested; a broken one yields an empty (permissive) skeleton.
    crate::values::chart_defaults(chart).unwrap_or(&Value::Null)
}

/// The embedded helm-level profile `stem`, already parsed for rendering.
fn helm_profile(stem: &str) -> &'static Value {
    match crate::values::helm_profile(stem) {
        Ok(Some(v)) => v,
        _ => &Value::Null,
    }
}

/// Overlays `src` on `dst` keeping the first scalar seen (only the key structure matters).
fn union(dst: &mut Value, src: &Value) {
    match (dst, src) {
        (Value::Object(d), Value::Object(s)) => {
            for (k, v) in s {
                match d.get_mut(k) {
                    Some(existing) => union(existing, v),
                    None => {
                        d.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (d @ Value::Null, s) => *d = s.clone(),
        _ => {}
    }
}

/// [`union`] of `{key: src}` on `dst`, without building that mapping.
fn union_under(dst: &mut Value, key: &str, src: &Value) {
    if let Value::Object(d) = dst {
        union(d.entry(key).or_insert(Value::Null), src);
    }
}

/// The union of every key the charts and helm profiles know, as IstioOperator `values` see them.
fn skeleton() -> Value {
    let mut all = json!({});
    let mut gateway = json!({});
    for chart in Chart::ALL {
        let v = chart_defaults(chart);
        match chart {
            // istiod's own keys are written under `pilot` in an IstioOperator (istioctl flattens
            // them back), and its shared keys (global, meshConfig, ...) at the top.
            Chart::Istiod => {
                union(&mut all, v);
                union_under(&mut all, "pilot", v);
            }
            Chart::IstioCni => union_under(&mut all, "cni", v),
            Chart::Ztunnel => union_under(&mut all, "ztunnel", v),
            Chart::IstioIngress | Chart::IstioEgress => {
                for (_, g) in v
                    .get("gateways")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    union(&mut gateway, g);
                }
                let mut rest = v.clone();
                if let Value::Object(m) = &mut rest {
                    m.remove("gateways");
                }
                union(&mut all, &rest);
            }
            Chart::Base => union(&mut all, v),
        }
    }
    for stem in HELM_PROFILES {
        union(&mut all, helm_profile(stem));
    }
    union(&mut all, &extra_keys());
    merge_keep_nulls(&mut all, json!({"gateways": {"<gateway>": gateway}}));
    all
}

fn shape_of(key: &str, v: &Value) -> Shape {
    if key == "resources" {
        return resources_shape();
    }
    if FREE_FORM.contains(&key) {
        return Shape::Any;
    }
    match v {
        Value::Null => Shape::Any,
        Value::Bool(_) => Shape::Bool,
        Value::Number(n) if n.is_f64() => Shape::Float,
        Value::Number(_) => Shape::int64(),
        Value::String(_) => Shape::Text,
        Value::Array(_) => Shape::list(Shape::Any),
        Value::Object(m) if m.is_empty() => Shape::map(Shape::Any),
        Value::Object(m) => object_shape(m),
    }
}

fn object_shape(m: &Map<String, Value>) -> Shape {
    Shape::object(m.iter().map(|(k, v)| (k.clone(), shape_of(k, v))))
}

/// Kubernetes resource requirements: `limits` and `requests` map resource names to quantities;
/// anything else (`claims`) is left to the API server.
fn resources_shape() -> Shape {
    Shape::Open(
        vec![
            ("limits".into(), Shape::map(Shape::Quantity)),
            ("requests".into(), Shape::map(Shape::Quantity)),
        ],
        Box::new(Shape::Any),
    )
}

/// The shape a leaf of `values-types.yaml` names; `None` for a name it does not know.
fn leaf_shape(name: &str) -> Option<Shape> {
    if let Some(item) = name.strip_prefix("list of ") {
        return leaf_shape(item).map(Shape::list);
    }
    if let Some(value) = name.strip_prefix("map of ") {
        return leaf_shape(value).map(Shape::map);
    }
    if let Some(names) = name.strip_prefix("one of ") {
        return Some(Shape::one_of(names.split_whitespace()));
    }
    Some(match name {
        "bool" => Shape::Bool,
        "int32" => Shape::int32(),
        "uint32" => Shape::uint32(),
        "int64" => Shape::int64(),
        "double" => Shape::Float,
        "string" => Shape::Text,
        "duration" => Shape::Duration,
        "quantity" => Shape::Quantity,
        "int-or-string" => Shape::IntOrString,
        "struct" => Shape::map(Shape::Any),
        "any" => Shape::Any,
        "resources" => resources_shape(),
        _ => return None,
    })
}

/// The shape a `values-types.yaml` subtree describes on its own.
fn typed_shape(types: &Value) -> Shape {
    match types {
        Value::String(name) => leaf_shape(name).unwrap_or(Shape::Any),
        Value::Array(item) => Shape::list(item.first().map_or(Shape::Any, typed_shape)),
        Value::Object(m) => Shape::object(m.iter().map(|(k, v)| (k.clone(), typed_shape(v)))),
        _ => Shape::Any,
    }
}

/// Applies a `values-types.yaml` subtree to a chart-derived shape: typed leaves replace the
/// chart's guess, and (when `add_missing`) keys only istioctl knows join the known fields.
fn apply_types(shape: &mut Shape, types: &Value, add_missing: bool) {
    let Value::Object(m) = types else {
        *shape = typed_shape(types);
        return;
    };
    let fields = match shape {
        Shape::Object(fields) => fields,
        Shape::Open(fields, rest) => {
            if let Some(entry) = m.get(GATEWAY) {
                apply_types(rest, entry, add_missing);
            }
            fields
        }
        other => {
            if add_missing {
                *other = typed_shape(types);
            }
            return;
        }
    };
    for (k, t) in m.iter().filter(|(k, _)| k.as_str() != GATEWAY) {
        match fields.iter_mut().find(|(name, _)| name == k) {
            Some((_, s)) => apply_types(s, t, add_missing),
            None if add_missing => fields.push((k.clone(), typed_shape(t))),
            None => {}
        }
    }
}

/// The placeholder for any gateway's name under `gateways`.
const GATEWAY: &str = "<gateway>";

/// The field `name` of an object shape.
fn field_mut<'a>(shape: &'a mut Shape, name: &str) -> Option<&'a mut Shape> {
    match shape {
        Shape::Object(fields) | Shape::Open(fields, _) => {
            fields.iter_mut().find(|(n, _)| n == name).map(|(_, s)| s)
        }
        _ => None,
    }
}

/// The shape of `spec.values` (computed once, as part of [`operator_shape`]). `gateways` maps any
/// gateway name to an entry shaped like the gateway charts' defaults, beside the chart-wide keys
/// that live there.
pub fn values_shape() -> &'static Shape {
    let spec = field(operator_shape(), "spec");
    spec.and_then(|s| field(s, "values")).unwrap_or(&Shape::Any)
}

/// The field `name` of an object shape.
fn field<'a>(shape: &'a Shape, name: &str) -> Option<&'a Shape> {
    match shape {
        Shape::Object(fields) | Shape::Open(fields, _) => {
            fields.iter().find(|(n, _)| n == name).map(|(_, s)| s)
        }
        _ => None,
    }
}

/// Builds the shape [`values_shape`] returns.
fn build_values_shape() -> Shape {
    let Value::Object(mut top) = skeleton() else {
        return Shape::Any;
    };
    let gateways = top.remove("gateways").unwrap_or(Value::Null);
    let entry = gateways.get("<gateway>").cloned().unwrap_or(Value::Null);
    let Shape::Object(mut fields) = object_shape(&top) else {
        return Shape::Any;
    };
    fields.push((
        "gateways".into(),
        Shape::Open(Vec::new(), Box::new(shape_of("", &entry))),
    ));
    let mut shape = Shape::Object(fields);
    let types = types();
    // The charts' copies of shared keys take the types of the originals they copy: istiod's
    // keys at the top take pilot's, the `global` blocks of the istiod keys under `pilot` and
    // of the CNI and ztunnel charts take global's.
    let copies = [
        (None, "pilot"),
        (Some("pilot"), "global"),
        (Some("cni"), "global"),
        (Some("ztunnel"), "global"),
    ];
    for (copy, original) in copies {
        let target = match copy {
            None => Some(&mut shape),
            Some(name) => field_mut(&mut shape, name).and_then(|s| field_mut(s, "global")),
        };
        if let (Some(target), Some(t)) = (target, types.get(original)) {
            apply_types(target, t, false);
        }
    }
    apply_types(&mut shape, &types, true);
    shape
}

/// The shape of a whole IstioOperator document with [`values_shape`] for `spec.values`
/// (computed once).
pub fn operator_shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(|| mesh_core::operator::operator_shape(build_values_shape()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesh_core::schema::check;

    fn errs(v: Value) -> Vec<String> {
        check(&v, values_shape(), "spec.values")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn chart_keys_are_known() {
        let v = json!({
            "global": {"hub": "x", "proxy": {"resources": {"requests": {"ephemeral-storage": "1Gi"}}}, "platform": "gke"},
            "pilot": {"replicaCount": 2, "autoscaleEnabled": false, "env": {"A": "b"}, "cni": {"enabled": true}},
            "gateways": {"istio-ingressgateway": {"autoscaleEnabled": false}, "my-gw": {"runAsRoot": true}, "securityContext": {"runAsUser": 1}},
            "cni": {"cniBinDir": "/x"}, "ztunnel": {"resourceName": "z"}, "meshConfig": {"anything": {"goes": 1}},
            "sidecarInjectorWebhook": {"neverInjectSelector": [{"matchLabels": {"a": "b"}}]},
            "telemetry": {"enabled": true}, "base": {"excludedCRDs": ["x"]}, "profile": "demo", "revision": "r"
        });
        assert_eq!(errs(v), Vec::<String>::new());
    }

    #[test]
    fn typos_are_caught_with_suggestions() {
        let e = errs(
            json!({"pilot": {"replicaCuont": 2}, "global": {"proxy": {"imagee": "x"}}, "gateways": {"gw": {"autoscaleEnable": true}}}),
        );
        assert_eq!(
            e,
            vec![
                "spec.values.gateways.gw.autoscaleEnable: unknown field (did you mean \"autoscaleEnabled\"?)",
                "spec.values.global.proxy.imagee: unknown field (did you mean \"image\"?)",
                "spec.values.pilot.replicaCuont: unknown field (did you mean \"replicaCount\"?)",
            ]
        );
    }

    #[test]
    fn wrong_kinds_are_caught() {
        let e = errs(json!({"pilot": {"autoscaleEnabled": "no", "replicaCount": {"a": 1}}}));
        assert_eq!(e.len(), 2, "{e:?}");
    }

    /// Walks `types` beside `shape`, collecting the paths whose type did not land in the shape.
    fn unapplied(types: &Value, shape: &Shape, path: &str, out: &mut Vec<String>) {
        match types {
            Value::Object(m) => {
                for (k, t) in m {
                    let field = match shape {
                        Shape::Open(_, rest) if k == GATEWAY => Some(&**rest),
                        Shape::Object(fields) | Shape::Open(fields, _) => {
                            fields.iter().find(|(n, _)| n == k).map(|(_, s)| s)
                        }
                        _ => None,
                    };
                    match field {
                        Some(s) => unapplied(t, s, &format!("{path}.{k}"), out),
                        None => out.push(format!("{path}.{k}")),
                    }
                }
            }
            _ if typed_shape(types) != *shape => out.push(path.to_string()),
            _ => {}
        }
    }

    /// Every type name the data file uses is known, and every typed path reached the schema.
    #[test]
    fn every_type_is_known_and_applied() {
        fn names(v: &Value, path: &str, bad: &mut Vec<String>) {
            match v {
                Value::String(s) if leaf_shape(s).is_none() => bad.push(format!("{path}: {s}")),
                Value::Array(items) if items.len() != 1 => bad.push(format!("{path}: list")),
                Value::Array(items) => names(&items[0], &format!("{path}[]"), bad),
                Value::Object(m) => m
                    .iter()
                    .for_each(|(k, v)| names(v, &format!("{path}.{k}"), bad)),
                Value::String(_) => {}
                _ => bad.push(format!("{path}: {v}")),
            }
        }
        let types = types();
        assert!(types.as_object().is_some_and(|m| m.len() > 10));
        let mut bad = Vec::new();
        names(&types, "", &mut bad);
        unapplied(&types, values_shape(), "", &mut bad);
        assert_eq!(bad, Vec::<String>::new());
    }

    #[test]
    fn leaves_get_istioctl_types_or_chart_ones() {
        let e = errs(json!({
            "pilot": {"replicaCount": "two", "traceSampling": "abc", "keepaliveMaxServerConnectionAge": "soon"},
            "global": {"proxy": {"tracer": "jaeger"}, "resourceScope": "all"},
            "cni": {"terminationGracePeriodSeconds": "long"},
            "ztunnel": {"resources": {"limits": {"memory": "lots"}}},
        }));
        assert_eq!(
            e,
            vec![
                "spec.values.cni.terminationGracePeriodSeconds: expected an integer, got the string \"long\"",
                "spec.values.global.proxy.tracer: expected one of \"zipkin\", \"lightstep\", \"datadog\", \"stackdriver\", \"openCensusAgent\", \"none\", got the string \"jaeger\"",
                "spec.values.pilot.keepaliveMaxServerConnectionAge: expected a duration such as \"30s\", \"5m\" or \"1h30m\", got the string \"soon\"",
                "spec.values.pilot.replicaCount: expected an integer, got the string \"two\"",
                "spec.values.pilot.traceSampling: expected a number, got the string \"abc\"",
                "spec.values.ztunnel.resources.limits.memory: expected a quantity such as \"500m\", \"2\" or \"128Mi\", got the string \"lots\"",
            ]
        );
    }

    #[test]
    fn keys_only_istioctl_knows_are_accepted() {
        let v = json!({
            "global": {"podDNSSearchNamespaces": ["a"], "tracer": {"zipkin": {"address": "z:9411"}}, "multiCluster": {"enabled": true}},
            "gateways": {"enabled": true, "istio-egressgateway": {"secretVolumes": [{"name": "s", "secretName": "t", "mountPath": "/m"}]}},
            "istio_cni": {"enabled": false},
        });
        assert_eq!(errs(v), Vec::<String>::new());
    }
}
