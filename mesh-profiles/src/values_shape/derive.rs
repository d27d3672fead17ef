//! Derives the shape of `spec.values` from the charts' default values, the helm profiles and
//! the leaf types (see the parent module). `build.rs` runs this (with the crate's own data
//! files) and writes the result as Rust code; the crate compiles it only for the test that
//! compares the two.

use crate::values::Chart;
use mesh_core::obj;
use mesh_core::{Shape, Value, merge_keep_nulls};
use serde_json::{Map, json};

/// The leaf types of `spec.values` (`data/values-types.yaml`). The data file is ours and tested;
/// were it broken, no type would be added (the chart-derived schema stays).
pub(crate) fn types() -> Value {
    crate::values::value_types().unwrap_or(Value::Null)
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
    obj! {
        "profile" => "",
        "compatibilityVersion" => "",
        "revision" => "",
        "defaultRevision" => "",
        "ownerName" => "",
        "revisionTags" => json!([]),
        "platform" => "",
        "global" => json!({
            "platform": "", "profile": "", "remotePilotAddress": "", "externalIstiod": false,
            "proxy": {"holdApplicationUntilProxyStarts": false, "lifecycle": {}, "excludeInterfaces": "", "includeInterfaces": ""},
        }),
        "pilot" => json!({"enabled": false, "cni": {"enabled": false, "provider": ""}}),
    }
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
    merge_keep_nulls(
        &mut all,
        obj! { "gateways" => json!({"<gateway>": gateway}) },
    );
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
pub(crate) fn leaf_shape(name: &str) -> Option<Shape> {
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
pub(crate) fn typed_shape(types: &Value) -> Shape {
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
pub(crate) const GATEWAY: &str = "<gateway>";

/// The field `name` of an object shape.
fn field_mut<'a>(shape: &'a mut Shape, name: &str) -> Option<&'a mut Shape> {
    match shape {
        Shape::Object(fields) | Shape::Open(fields, _) => {
            fields.iter_mut().find(|(n, _)| n == name).map(|(_, s)| s)
        }
        _ => None,
    }
}

/// The shape of `spec.values`, derived from the embedded data.
pub(crate) fn values_shape() -> Shape {
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
