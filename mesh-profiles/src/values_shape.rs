//! The schema of `spec.values`, derived from the charts' own default values and helm profiles.
//!
//! Every key any chart declares a default for is known; maps that hold user data (resources,
//! labels, annotations, env, selectors, mesh config, ...) are free-form; gateway entries may use
//! any gateway name. So a typo such as `values.pilot.replicaCuont` is caught with a suggestion,
//! while everything the charts read is accepted.

use crate::values::Chart;
use mesh_core::{Shape, Value, merge_keep_nulls};
use serde_json::{Map, json};
use std::sync::OnceLock;

/// Keys whose maps hold user data: any key is accepted below them.
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
    "resources",
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
    if FREE_FORM.contains(&key) {
        return Shape::Any;
    }
    match v {
        Value::Null => Shape::Any,
        Value::Bool(_) => Shape::Bool,
        Value::Number(_) | Value::String(_) => Shape::Scalar,
        Value::Array(_) => Shape::list(Shape::Any),
        Value::Object(m) if m.is_empty() => Shape::map(Shape::Any),
        Value::Object(m) => object_shape(m),
    }
}

fn object_shape(m: &Map<String, Value>) -> Shape {
    Shape::object(m.iter().map(|(k, v)| (k.clone(), shape_of(k, v))))
}

/// The shape of `spec.values` (computed once). `gateways` maps any gateway name to an entry
/// shaped like the gateway charts' defaults, beside the chart-wide keys that live there.
pub fn values_shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(|| {
        let Value::Object(mut top) = skeleton() else {
            return Shape::Any;
        };
        let gateways = top.remove("gateways").unwrap_or(Value::Null);
        let entry = gateways.get("<gateway>").cloned().unwrap_or(Value::Null);
        let Shape::Object(mut fields) = object_shape(&top) else {
            return Shape::Any;
        };
        let known = vec![
            ("seccompProfile".to_string(), Shape::Any),
            ("securityContext".to_string(), Shape::Any),
        ];
        fields.push((
            "gateways".into(),
            Shape::Open(known, Box::new(shape_of("", &entry))),
        ));
        Shape::Object(fields)
    })
}

/// The shape of a whole IstioOperator document with [`values_shape`] for `spec.values`
/// (computed once).
pub fn operator_shape() -> &'static Shape {
    static SHAPE: OnceLock<Shape> = OnceLock::new();
    SHAPE.get_or_init(|| mesh_core::operator::operator_shape(values_shape().clone()))
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
}
