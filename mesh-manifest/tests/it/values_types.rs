//! Typed `spec.values` leaves render: for each integer, number, duration, quantity, enumeration
//! and int-or-string leaf of istiod, the proxy, the gateways, CNI and ztunnel, a value of its type
//! given with `--set` resolves and `generate` renders (most of them change the output: the charts
//! use them).

use mesh_core::schema::{Shape, Step};
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_manifest::{manifest_yaml, yaml_stream};
use mesh_profiles::{Inputs, resolve, values_shape};

/// A `--set` value of the leaf's type, or `None` for the leaves this test leaves to
/// mesh-profiles' checks (text, booleans).
fn sample(shape: &Shape) -> Option<String> {
    Some(match shape {
        Shape::Integer { .. } => "3".into(),
        Shape::Float => "0.25".into(),
        Shape::Duration => "1h30m".into(),
        Shape::Quantity => "251m".into(),
        Shape::IntOrString => "35%".into(),
        Shape::Enum(names) => names.last()?.clone(),
        _ => return None,
    })
}

/// The `--set` path of a leaf (free keys: the default ingress gateway, `cpu` for resources);
/// `None` below list items.
fn set_path(steps: &[Step]) -> Option<String> {
    let mut keys = Vec::new();
    for step in steps {
        keys.push(match step {
            Step::Field(name) => name.as_str(),
            Step::AnyKey if keys == ["gateways"] => "istio-ingressgateway",
            Step::AnyKey => "cpu",
            Step::AnyItem => return None,
        });
    }
    Some(keys.join("."))
}

#[test]
fn typed_leaves_render() {
    let mut rendered = 0;
    let mut changed = 0;
    let mut baselines = std::collections::BTreeMap::new();
    let render = |flags: Vec<String>| {
        resolve(&Inputs::with_sets(flags))
            .map_err(|e| e.to_string())
            .and_then(|r| generate(&r, &GenerateOptions::default()).map_err(|e| e.to_string()))
            .map(|m| {
                // istiod's `values` ConfigMap echoes every value: leave it out to see the use.
                let used = m.objects().filter(|o| {
                    !(o.kind() == "ConfigMap"
                        && o.value["metadata"]["name"]
                            .as_str()
                            .is_some_and(|n| n.starts_with("values")))
                });
                yaml_stream(used)
            })
    };
    let mut failures = Vec::new();
    for (steps, shape) in values_shape().leaves() {
        let (Some(path), Some(value)) = (set_path(&steps), sample(shape)) else {
            continue;
        };
        // Typed (istioctl's schema has them) but removed: Istio 1.30's istiod chart refuses them.
        if path.starts_with("global.tracer.stackdriver.") {
            continue;
        }
        let section = path.split('.').next().unwrap_or_default();
        let enable = match section {
            "pilot" | "global" | "gateways" if !path.starts_with("pilot.global.") => {
                "profile=default"
            }
            "cni" if !path.starts_with("cni.global.") => "components.cni.enabled=true",
            "ztunnel" if !path.starts_with("ztunnel.global.") => "profile=ambient",
            _ => continue,
        };
        let baseline = baselines
            .entry(enable)
            .or_insert_with(|| render(vec![enable.to_string()]).unwrap());
        match render(vec![enable.to_string(), format!("values.{path}={value}")]) {
            Ok(out) => {
                rendered += 1;
                if out != *baseline {
                    changed += 1;
                }
            }
            Err(e) => failures.push(format!("values.{path}={value}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("typed leaves rendered: {rendered}, of which changed the output: {changed}");
    assert!(rendered >= 40, "only {rendered} leaves rendered");
    assert!(changed >= 20, "only {changed} leaves changed the output");
}

#[test]
fn rendered_values_land_where_the_charts_put_them() {
    let yaml = |flags: &[&str]| {
        let resolved = resolve(&Inputs::with_sets(flags.iter().copied())).unwrap();
        manifest_yaml(&generate(&resolved, &GenerateOptions::default()).unwrap())
    };
    let out = yaml(&[
        "values.pilot.autoscaleEnabled=false",
        "values.pilot.replicaCount=3",
        "values.pilot.keepaliveMaxServerConnectionAge=1h30m",
        "values.pilot.resources.requests.cpu=251m",
        "values.pilot.rollingMaxSurge=35%",
    ]);
    for want in ["replicas: 3", "1h30m", "cpu: 251m", "maxSurge: 35%"] {
        assert!(out.contains(want), "{want} not rendered");
    }
}
