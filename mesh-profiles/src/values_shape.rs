//! The schema of `spec.values`, derived from the charts' own default values and helm profiles,
//! with the leaf types istioctl decodes them with (`data/values-types.yaml`).
//!
//! Every key any chart declares a default for is known, and so is every key of istioctl's typed
//! values; maps that hold user data (labels, annotations, env, selectors, mesh config, ...) are
//! free-form; gateway entries may use any gateway name. So a typo such as
//! `values.pilot.replicaCuont` is caught with a suggestion, while everything the charts read is
//! accepted. Each leaf has a type: the one `values-types.yaml` gives it, else the one its chart
//! default shows (a boolean, an integer, a number or text); `resources` blocks hold quantities.

// The derivation runs in build.rs; the crate keeps it for the test comparing the results.
#[cfg(test)]
mod derive;

use mesh_core::Shape;
#[cfg(test)]
use mesh_core::Value;
use std::sync::OnceLock;

/// The shape of `spec.values` as `build.rs` derived it (with [`derive`]'s code).
fn built_values_shape() -> Shape {
    include!(concat!(env!("OUT_DIR"), "/values_shape.rs"))
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

/// The shape of a whole IstioOperator document with [`values_shape`] for `spec.values`
/// (computed once).
pub fn operator_shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(|| mesh_core::operator::operator_shape(built_values_shape()))
}

#[cfg(test)]
mod tests {
    use super::derive::{GATEWAY, leaf_shape, typed_shape, types};
    use super::*;
    use mesh_core::schema::check;
    use serde_json::json;

    fn errs(v: Value) -> Vec<String> {
        check(&v, values_shape(), "spec.values")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn built_shape_is_the_one_derived_from_the_data_files() {
        assert_eq!(built_values_shape(), derive::values_shape());
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
