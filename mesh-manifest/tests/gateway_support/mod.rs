//! Shared test support for the gateway, CNI and ztunnel renderers: reading the reference
//! corpus, building component values from a case's arguments, and comparing objects the way
//! the conformance scorer does (integers equal floats of the same value; nulls count).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use mesh_core::{ComponentName, Value};
use mesh_manifest::Object;
use mesh_manifest::render::RenderContext;
use mesh_profiles::values::{Chart, chart_values};
use mesh_profiles::{ComponentValues, InputFile, Inputs, resolve};

/// The reference corpus, or `None` (with a note) when this checkout does not have it.
pub fn reference_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/manifest");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "note: {} not found; skipping reference comparison",
            dir.display()
        );
        None
    }
}

/// Every case folder name, sorted.
pub fn case_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("expected.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The case's arguments turned into resolver inputs (`--set`/`-s`, `-f`, `-r`).
pub fn case_inputs(case_dir: &Path) -> Inputs {
    let args_text = std::fs::read_to_string(case_dir.join("args")).unwrap_or_default();
    let args: Vec<&str> = args_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut inputs = Inputs::default();
    let mut i = 0;
    while i < args.len() {
        let (flag, inline) = match args[i].split_once('=') {
            Some((f, v)) if f.starts_with("--") && !f.starts_with("--set") => (f, Some(v)),
            _ => (args[i], None),
        };
        let mut value = || {
            inline.map(str::to_string).unwrap_or_else(|| {
                i += 1;
                args[i].to_string()
            })
        };
        match flag {
            "--set" | "-s" => inputs.set_flags.push(value()),
            "-f" | "--filename" => {
                let name = value();
                let text = std::fs::read_to_string(case_dir.join(&name)).unwrap();
                inputs.files.push(InputFile { name, text });
            }
            "-r" | "--revision" => {
                let rev = value();
                inputs.set_flags.push(format!("revision={rev}"));
            }
            other => panic!("unsupported argument {other}"),
        }
        i += 1;
    }
    inputs
}

/// The component instances of a case as the resolver computes them (profile, files, flags,
/// istioctl's translation and component selection); the resolver's error as text when it
/// rejects the case (resolution is not this helper's to test).
pub fn case_components(case_dir: &Path) -> Result<Vec<ComponentValues>, String> {
    resolve(&case_inputs(case_dir))
        .map(|r| r.components)
        .map_err(|e| e.to_string())
}

/// Renders every instance of this helper's components.
pub fn render_mine(cvs: &[ComponentValues]) -> Vec<Object> {
    let ctx = RenderContext::default();
    let mut out = Vec::new();
    for cv in cvs {
        let objs = match cv.component {
            ComponentName::IngressGateways | ComponentName::EgressGateways => {
                mesh_manifest::render::gateway::render_gateway(cv, &ctx)
            }
            ComponentName::Cni => mesh_manifest::render::cni::render_cni(cv, &ctx),
            ComponentName::Ztunnel => mesh_manifest::render::ztunnel::render_ztunnel(cv, &ctx),
            _ => continue,
        };
        out.extend(objs.unwrap());
    }
    out
}

/// Whether an expected object comes from one of this helper's charts.
pub fn is_mine(obj: &Value) -> bool {
    let labels = obj.pointer("/metadata/labels");
    let component = labels
        .and_then(|l| l.get("operator.istio.io/component"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let chart = labels
        .and_then(|l| l.get("helm.sh/chart"))
        .and_then(Value::as_str)
        .unwrap_or("");
    matches!(
        component,
        "IngressGateways" | "EgressGateways" | "Cni" | "Ztunnel"
    ) || ["istio-ingress-", "istio-egress-", "cni-", "ztunnel-"]
        .iter()
        .any(|p| chart.starts_with(p))
}

/// The expected objects of a case that come from this helper's charts.
pub fn expected_mine(case_dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(case_dir.join("expected.yaml")).unwrap();
    // Parse only the documents that can be ours: the CRDs make up most of the file.
    let markers = [
        "IngressGateways",
        "EgressGateways",
        "Cni",
        "Ztunnel",
        "helm.sh/chart: cni-",
        "helm.sh/chart: ztunnel-",
    ];
    text.split("\n---")
        .filter(|doc| markers.iter().any(|m| doc.contains(m)))
        .flat_map(|doc| mesh_core::from_yaml_stream(doc, "expected.yaml").unwrap())
        .filter(is_mine)
        .collect()
}

/// (group, kind, namespace, name) of an object.
pub fn object_id(obj: &Value) -> (String, String, String, String) {
    let s = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let api = s("/apiVersion");
    let group = api
        .rsplit_once('/')
        .map(|(g, _)| g.to_string())
        .unwrap_or_default();
    (
        group,
        s("/kind"),
        s("/metadata/namespace"),
        s("/metadata/name"),
    )
}

/// Differences between two values under the scorer's rules, as `path: what` lines.
pub fn diff(want: &Value, got: &Value, path: &str, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Number(a), Value::Number(b)) => {
            if a.as_f64() != b.as_f64() {
                out.push(format!("{path}: want {a}, got {b}"));
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}.{k}");
                match (a.get(k), b.get(k)) {
                    (Some(w), Some(g)) => diff(w, g, &p, out),
                    (Some(w), None) => out.push(format!("{p}: missing (want {w})")),
                    (None, Some(g)) => out.push(format!("{p}: unexpected (got {g})")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                out.push(format!(
                    "{path}: list length want {}, got {}",
                    a.len(),
                    b.len()
                ));
            }
            for (i, (w, g)) in a.iter().zip(b).enumerate() {
                diff(w, g, &format!("{path}[{i}]"), out);
            }
        }
        (w, g) if w == g => {}
        (w, g) => out.push(format!("{path}: want {w}, got {g}")),
    }
}

/// Per-case outcome of comparing this helper's objects with the expected ones.
pub struct CaseResult {
    pub equal: usize,
    pub expected: usize,
    pub problems: Vec<String>,
}

/// Compares rendered objects with expected ones, matched by identity.
pub fn compare(expected: &[Value], got: &[Object]) -> CaseResult {
    let mut problems = Vec::new();
    let mut equal = 0;
    for want in expected {
        let id = object_id(want);
        match got.iter().find(|o| object_id(&o.value) == id) {
            None => problems.push(format!("missing {id:?}")),
            Some(o) => {
                let mut d = Vec::new();
                diff(want, &o.value, "", &mut d);
                if d.is_empty() {
                    equal += 1;
                } else {
                    problems.push(format!("{id:?}:\n    {}", d.join("\n    ")));
                }
            }
        }
    }
    for o in got {
        let id = object_id(&o.value);
        if !expected.iter().any(|w| object_id(w) == id) {
            problems.push(format!("extra {id:?}"));
        }
    }
    CaseResult {
        equal,
        expected: expected.len(),
        problems,
    }
}

/// Component values for `component` as istioctl would pass `passed` to its chart (no
/// IstioOperator involved), rendered in `namespace`.
pub fn direct_values(component: ComponentName, passed: Value, namespace: &str) -> ComponentValues {
    let chart = Chart::for_component(component);
    let name = match component {
        ComponentName::IngressGateways | ComponentName::EgressGateways => passed
            .pointer(&format!("/gateways/{}/name", chart.values_root()[1]))
            .and_then(Value::as_str)
            .unwrap_or(chart.default_instance_name())
            .to_string(),
        _ => chart.default_instance_name().to_string(),
    };
    ComponentValues {
        component,
        name,
        namespace: namespace.to_string(),
        values: chart_values(chart, &passed).unwrap(),
        original: passed,
        k8s: None,
    }
}

/// The components of a profile with `--set` flags, resolved with the built-in profiles.
pub fn resolved_values(flags: &[&str]) -> Vec<ComponentValues> {
    resolve(&Inputs::with_sets(flags.iter().copied()))
        .unwrap()
        .components
}

/// The rendered object of `kind` named `name`.
pub fn find<'a>(objects: &'a [Object], kind: &str, name: &str) -> Option<&'a Value> {
    objects
        .iter()
        .find(|o| o.kind() == kind && o.name() == name)
        .map(|o| &*o.value)
}

/// The env entry named `name` of the first container of a workload.
pub fn env_of<'a>(workload: &'a Value, name: &str) -> Option<&'a Value> {
    workload
        .pointer("/spec/template/spec/containers/0/env")
        .and_then(Value::as_array)
        .and_then(|env| env.iter().find(|e| e["name"] == name))
}
