//! istioctl translation tests: component selection and the values each chart receives, checked
//! against the reference cases (istiod's `values` ConfigMap and facts of the rendered objects)
//! and rule by rule.

use std::path::Path;

use mesh_core::ComponentName;
use mesh_profiles::{ComponentValues, InputFile, Inputs, component_values, resolve};
use serde_json::{Value, json};

use crate::{
    case_dirs, case_name, configmap_values, expected_docs, first_difference, is_values_configmap,
    same,
};

/// The inputs of a reference case, from its `args` file.
fn case_inputs(dir: &Path) -> Inputs {
    let args = std::fs::read_to_string(dir.join("args")).unwrap_or_default();
    let args: Vec<&str> = args
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut inputs = Inputs::default();
    let mut i = 0;
    while i < args.len() {
        let (flag, value) = match args[i].split_once('=') {
            Some((f, v)) if f.starts_with("--") && !f.starts_with("--set") => {
                (f, Some(v.to_string()))
            }
            _ => (args[i], None),
        };
        let mut next = || {
            i += 1;
            value.clone().unwrap_or_else(|| args[i].to_string())
        };
        match flag {
            "--set" | "-s" => {
                let v = next();
                inputs.set_flags.push(v);
            }
            "-f" | "--filename" => {
                let name = next();
                let text = mesh_test_support::read(&dir.join(&name));
                inputs.files.push(InputFile { name, text });
            }
            "-r" | "--revision" => {
                let v = next();
                inputs.set_flags.push(format!("revision={v}"));
            }
            other => panic!("{dir:?}: unexpected argument {other}"),
        }
        i += 1;
    }
    inputs
}

/// Only workloads and the values ConfigMap matter here.
fn workload_and_values_docs(dir: &Path) -> Vec<Value> {
    expected_docs(dir, |d| {
        d.contains("\nkind: Deployment")
            || d.contains("\nkind: DaemonSet")
            || d.contains("merged-values")
    })
}

/// The components of a case, or `None` (with a note) when the resolver rejects its inputs:
/// resolution is tested elsewhere, these tests are about the values model.
fn components_of(dir: &Path) -> Option<Vec<ComponentValues>> {
    match resolve(&case_inputs(dir)) {
        Ok(resolved) => Some(component_values(&resolved.operator).unwrap()),
        Err(e) => {
            eprintln!("{dir:?}: resolver rejected the inputs ({e}); skipping this case");
            None
        }
    }
}

/// Calls `check(case, dir, components, failures)` for every reference case whose inputs the
/// resolver accepts, then fails with every failure `check` recorded. Skipped when the corpus is
/// absent.
fn check_every_case(mut check: impl FnMut(&str, &Path, &[ComponentValues], &mut Vec<String>)) {
    let Some(dirs) = case_dirs() else {
        return;
    };
    let mut failures = Vec::new();
    for dir in &dirs {
        if let Some(comps) = components_of(dir) {
            check(&case_name(dir), dir, &comps, &mut failures);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn pilot_values_match_every_reference_case() {
    let mut checked = 0;
    check_every_case(|case, dir, comps, failures| {
        let pilot = comps.iter().find(|c| c.component == ComponentName::Pilot);
        let cm = workload_and_values_docs(dir)
            .into_iter()
            .find(is_values_configmap);
        match (pilot, cm) {
            (None, None) => {}
            (Some(_), None) => failures.push(format!("{case}: pilot rendered but not expected")),
            (None, Some(_)) => failures.push(format!("{case}: pilot expected but not selected")),
            (Some(p), Some(cm)) => {
                checked += 1;
                let (original, merged) = configmap_values(&cm);
                if let Some(d) = first_difference(&p.original, &original, "original") {
                    failures.push(format!("{case}: {d}"));
                }
                if let Some(d) = first_difference(&p.values, &merged, "merged") {
                    failures.push(format!("{case}: {d}"));
                }
                if Some(p.namespace.as_str()) != cm["metadata"]["namespace"].as_str() {
                    failures.push(format!("{case}: namespace {}", p.namespace));
                }
            }
        }
    });
    eprintln!("checked pilot values of {checked} cases");
}

/// The workloads a case renders: `(kind, namespace, name)` of Deployments and DaemonSets.
fn workloads(dir: &Path) -> Vec<(String, String, String, Value)> {
    workload_and_values_docs(dir)
        .into_iter()
        .filter(|d| d["kind"] == "Deployment" || d["kind"] == "DaemonSet")
        .map(|d| {
            let s = |p: &str| {
                d.pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            (s("/kind"), s("/metadata/namespace"), s("/metadata/name"), d)
        })
        .collect()
}

/// The image a chart would render from values, following the charts' hub/tag/variant lookup.
fn image(hub: &Value, name: &str, tag: &Value, variant: &Value) -> String {
    let tag = match tag {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let suffix = variant
        .as_str()
        .filter(|v| !v.is_empty())
        .map(|v| format!("-{v}"))
        .unwrap_or_default();
    format!("{}/{name}:{tag}{suffix}", hub.as_str().unwrap_or(""))
}

fn non_empty<'a>(a: &'a Value, b: &'a Value) -> &'a Value {
    if a.as_str().is_some_and(|s| !s.is_empty()) {
        a
    } else {
        b
    }
}

#[test]
fn selected_instances_match_the_rendered_workloads() {
    check_every_case(|case, dir, comps, failures| {
        let mut expected: Vec<(String, String)> = workloads(dir)
            .into_iter()
            .map(|(_, ns, name, _)| (ns, name))
            .collect();
        expected.sort();
        let mut ours: Vec<(String, String)> = comps
            .iter()
            .filter(|c| c.component != ComponentName::Base)
            .map(|c| {
                let name = match c.component {
                    ComponentName::Pilot => match c.values["revision"].as_str() {
                        Some(r) if !r.is_empty() => format!("istiod-{r}"),
                        _ => "istiod".to_string(),
                    },
                    ComponentName::Cni => "istio-cni-node".to_string(),
                    _ => c.name.clone(),
                };
                (c.namespace.clone(), name)
            })
            .collect();
        ours.sort();
        // A remote install renders no istiod Deployment although the component is on.
        if case == "profile-remote" {
            ours.retain(|(_, n)| n != "istiod");
        }
        if ours != expected {
            failures.push(format!("{case}: ours {ours:?} vs expected {expected:?}"));
        }
    });
}

#[test]
fn gateway_cni_and_ztunnel_values_explain_rendered_facts() {
    check_every_case(|case, dir, comps, failures| {
        for (kind, ns, name, doc) in workloads(dir) {
            let container = &doc["spec"]["template"]["spec"]["containers"][0];
            let got_image = container["image"].as_str().unwrap_or("").to_string();
            let comp = comps.iter().find(|c| {
                c.namespace == ns
                    && match c.component {
                        ComponentName::IngressGateways | ComponentName::EgressGateways => {
                            c.name == name
                        }
                        ComponentName::Cni => name == "istio-cni-node",
                        ComponentName::Ztunnel => name == "ztunnel" && kind == "DaemonSet",
                        _ => false,
                    }
            });
            let Some(c) = comp else { continue };
            let v = &c.values;
            let g = &v["global"];
            let want = match c.component {
                ComponentName::IngressGateways | ComponentName::EgressGateways => {
                    let root = if c.component == ComponentName::IngressGateways {
                        &v["gateways"]["istio-ingressgateway"]
                    } else {
                        &v["gateways"]["istio-egressgateway"]
                    };
                    // Gateway labels and the service ports come from the gateway's values.
                    for (k, val) in root["labels"].as_object().into_iter().flatten() {
                        if doc["spec"]["template"]["metadata"]["labels"][k] != *val {
                            failures.push(format!("{case}/{name}: label {k}"));
                        }
                    }
                    let ports: Vec<Value> = container["ports"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|p| p.get("name").is_none())
                        .map(|p| p["containerPort"].clone())
                        .collect();
                    let value_ports: Vec<Value> = root["ports"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| p["targetPort"].clone())
                        .collect();
                    if !same(
                        &Value::Array(ports.clone()),
                        &Value::Array(value_ports.clone()),
                    ) {
                        failures.push(format!(
                            "{case}/{name}: container ports {ports:?} vs values {value_ports:?}"
                        ));
                    }
                    image(
                        g["hub"].as_str().map(|_| &g["hub"]).unwrap(),
                        "proxyv2",
                        non_empty(&root["tag"], &g["tag"]),
                        &g["variant"],
                    )
                }
                ComponentName::Cni => image(
                    non_empty(&v["hub"], &g["hub"]),
                    "install-cni",
                    non_empty(&v["tag"], &g["tag"]),
                    non_empty(&v["variant"], &g["variant"]),
                ),
                _ => image(&v["hub"], "ztunnel", &v["tag"], &v["variant"]),
            };
            if want != got_image {
                failures.push(format!("{case}/{name}: image {got_image} vs values {want}"));
            }
        }
    });
}

// ---- rule-by-rule tests on hand-made operators ----

fn operator(spec: Value) -> Value {
    let mut iop = json!({
        "apiVersion": "install.istio.io/v1alpha1",
        "kind": "IstioOperator",
        "metadata": {"namespace": "istio-system"},
        "spec": {
            "components": {
                "base": {"enabled": true},
                "pilot": {"enabled": true},
                "ingressGateways": [{"name": "istio-ingressgateway", "enabled": true}],
                "egressGateways": [{"name": "istio-egressgateway", "enabled": false}]
            },
            "values": {"global": {"istioNamespace": "istio-system", "hub": "docker.io/istio", "tag": "1.30.3"}}
        }
    });
    mesh_core::merge_keep_nulls(&mut iop, json!({"spec": spec}));
    iop
}

fn names(comps: &[ComponentValues]) -> Vec<(ComponentName, &str, &str)> {
    comps
        .iter()
        .map(|c| (c.component, c.name.as_str(), c.namespace.as_str()))
        .collect()
}

#[test]
fn default_components_and_order() {
    let comps = component_values(&operator(json!({}))).unwrap();
    assert_eq!(
        names(&comps),
        [
            (ComponentName::Base, "base", "istio-system"),
            (ComponentName::Pilot, "istiod", "istio-system"),
            (
                ComponentName::IngressGateways,
                "istio-ingressgateway",
                "istio-system"
            ),
        ]
    );
}

#[test]
fn unlisted_components_follow_their_defaults() {
    let mut iop = operator(json!({}));
    iop["spec"]["components"] = json!({});
    let comps = component_values(&iop).unwrap();
    assert_eq!(comps.len(), 3, "{:?}", names(&comps));
}

#[test]
fn cni_and_ztunnel_need_enabling_and_take_their_namespace() {
    let comps = component_values(&operator(json!({"components": {
        "cni": {"enabled": true, "namespace": "kube-system"},
        "ztunnel": {"enabled": true}
    }})))
    .unwrap();
    let tail: Vec<_> = names(&comps).into_iter().skip(3).collect();
    assert_eq!(
        tail,
        [
            (ComponentName::Cni, "istio-cni", "kube-system"),
            (ComponentName::Ztunnel, "ztunnel", "istio-system")
        ]
    );
}

fn egress_names(comps: &[ComponentValues]) -> Vec<&str> {
    comps
        .iter()
        .filter(|c| c.component == ComponentName::EgressGateways)
        .map(|c| c.name.as_str())
        .collect()
}

#[test]
fn listed_gateway_without_enabled_is_on_and_values_enable_all_listed() {
    let comps = component_values(&operator(json!({"components": {
        "egressGateways": [{"name": "e1"}, {"name": "e2", "enabled": false}]
    }})))
    .unwrap();
    assert_eq!(egress_names(&comps), ["e1"]);

    let comps = component_values(&operator(json!({
        "components": {"egressGateways": [{"name": "e1"}, {"name": "e2", "enabled": false}]},
        "values": {"gateways": {"istio-egressgateway": {"enabled": true}}}
    })))
    .unwrap();
    assert_eq!(egress_names(&comps), ["e1", "e2"]);
}

#[test]
fn gateway_name_labels_and_ports_go_under_the_chart_root() {
    let comps = component_values(&operator(json!({"components": {"ingressGateways": [
        {"name": "internal", "namespace": "edge", "label": {"app": "internal", "team": "a"},
         "k8s": {"service": {"ports": [{"port": 8080, "name": "http"}]}}}
    ]}})))
    .unwrap();
    let gw = comps
        .iter()
        .find(|c| c.component == ComponentName::IngressGateways)
        .unwrap();
    assert_eq!(gw.namespace, "edge");
    let passed = &gw.original["gateways"]["istio-ingressgateway"];
    assert_eq!(passed["name"], "internal");
    assert_eq!(passed["labels"], json!({"app": "internal", "team": "a"}));
    assert_eq!(
        passed["ports"],
        json!([{"name": "http", "port": 8080, "targetPort": 0}])
    );
    // Labels merge over the chart's defaults.
    assert_eq!(
        gw.values["gateways"]["istio-ingressgateway"]["labels"],
        json!({"app": "internal", "istio": "ingressgateway", "team": "a"})
    );
    assert_eq!(
        gw.k8s,
        Some(json!({"service": {"ports": [{"port": 8080, "name": "http"}]}}))
    );
    // Other charts do not see the gateway's name.
    let pilot = comps
        .iter()
        .find(|c| c.component == ComponentName::Pilot)
        .unwrap();
    assert!(
        pilot.original["gateways"]["istio-ingressgateway"]
            .get("name")
            .is_none()
    );
}

#[test]
fn unnamed_default_gateway_keeps_chart_labels() {
    let comps = component_values(&operator(json!({}))).unwrap();
    let gw = &comps[2];
    assert_eq!(
        gw.original["gateways"]["istio-ingressgateway"]["labels"],
        json!({})
    );
    assert_eq!(
        gw.values["gateways"]["istio-ingressgateway"]["labels"],
        json!({"app": "istio-ingressgateway", "istio": "ingressgateway"})
    );
}

#[test]
fn component_hub_and_tag_are_typed_like_set_flags() {
    let comps = component_values(&operator(json!({"components": {
        "pilot": {"hub": "my.hub", "tag": 1.25},
        "base": {"hub": "base.hub"},
        "ingressGateways": [{"name": "gw", "tag": "1.30.3-x"}]
    }})))
    .unwrap();
    assert_eq!(comps[1].original["pilot"]["hub"], "my.hub");
    assert_eq!(comps[1].original["pilot"]["tag"], json!(1.25));
    assert_eq!(comps[0].original["global"]["hub"], "base.hub");
    assert_eq!(comps[1].original["global"]["hub"], "docker.io/istio");
    assert_eq!(
        comps[2].original["gateways"]["istio-ingressgateway"]["tag"],
        "1.30.3-x"
    );
}

#[test]
fn ztunnel_gets_its_subtree_globals_and_scalars_at_the_top() {
    let comps = component_values(&operator(json!({
        "components": {"ztunnel": {"enabled": true, "tag": "zt"}},
        "values": {"profile": "ambient", "revision": "r1", "meshConfig": {"a": 1},
                   "ztunnel": {"resourceName": "ztunnel", "logLevel": "debug"}}
    })))
    .unwrap();
    let zt = comps
        .iter()
        .find(|c| c.component == ComponentName::Ztunnel)
        .unwrap();
    let keys: Vec<&str> = zt
        .original
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "global",
            "logLevel",
            "profile",
            "resourceName",
            "revision",
            "tag"
        ]
    );
    assert_eq!(zt.values["logLevel"], "debug");
    assert_eq!(zt.values["variant"], "distroless");
    assert_eq!(zt.values["hub"], "docker.io/istio");
    assert_eq!(zt.values["tag"], "zt");
    assert_eq!(zt.values["revision"], "r1");
}

#[test]
fn whole_numbers_print_like_go() {
    let comps = component_values(&operator(
        json!({"values": {"pilot": {"traceSampling": 1.0, "replicaCount": 2}}}),
    ))
    .unwrap();
    assert!(comps[1].values["traceSampling"].is_u64());
    assert_eq!(comps[1].values["replicaCount"], json!(2));
}

#[test]
fn bad_component_specs_are_errors_naming_the_path() {
    let mut iop = operator(json!({}));
    iop["spec"]["components"]["ingressGateways"] = json!([{"name": "gw", "enabled": "yes"}]);
    let err = component_values(&iop).unwrap_err();
    assert!(
        err.to_string()
            .contains("spec.components.ingressGateways[0].enabled"),
        "{err}"
    );

    let mut iop = operator(json!({}));
    iop["spec"]["components"]["egressGateways"] = json!({"name": "x"});
    let err = component_values(&iop).unwrap_err();
    assert!(
        err.to_string().contains("spec.components.egressGateways"),
        "{err}"
    );

    let mut iop = operator(json!({}));
    iop["spec"]["values"]["gateways"] = json!("oops");
    let err = component_values(&iop).unwrap_err();
    assert!(err.to_string().contains("spec.values.gateways"), "{err}");

    let iop = json!({"spec": {"values": [1]}});
    assert!(component_values(&iop).is_err());
}

#[test]
fn unknown_helm_profile_in_values_is_an_error() {
    let err = component_values(&operator(json!({"values": {"profile": "nope"}}))).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}
