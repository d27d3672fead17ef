//! Helpers shared by the test modules: the reference corpus's manifest cases (their arguments
//! as resolver inputs, their expected objects) and the conformance scorer's comparison rules
//! (object identity, ConfigMap documents parsed, injector templates by name, numbers by value).

pub mod charts;
pub mod crds;
pub mod injector;

use std::path::{Path, PathBuf};

use mesh_core::Value;
use mesh_manifest::{Object, RenderContext, RenderError};
use mesh_profiles::{ComponentValues, InputFile, Inputs};
use serde_json::json;

/// The file names of the four install stages, in order.
pub const STAGE_FILES: [&str; 4] = [
    "00-namespaces-crds.yaml",
    "01-config-rbac.yaml",
    "02-workloads.yaml",
    "03-webhooks.yaml",
];

/// The reference corpus's manifest cases folder, or `None` (with one `skipping:` line).
pub fn manifest_dir() -> Option<PathBuf> {
    mesh_test_support::reference_path("manifest")
}

/// Every manifest case folder (those holding an `expected.yaml`) with its name, sorted by name.
pub fn manifest_cases(manifest_dir: &Path) -> Vec<(String, PathBuf)> {
    mesh_test_support::sub_dirs(manifest_dir)
        .into_iter()
        .filter(|dir| dir.join("expected.yaml").is_file())
        .map(|dir| (file_name(&dir), dir))
        .collect()
}

/// The last component of a path, as text.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The inputs a case passes to `manifest generate` (its `args` file, one argument per line):
/// `--set`/`-s` flags, `-f` files read from the case folder and `-r NAME` as a last
/// `--set revision=NAME`.
pub fn case_inputs(case: &Path) -> Inputs {
    let args = std::fs::read_to_string(case.join("args")).unwrap_or_default();
    let mut words = args.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut inputs = Inputs::default();
    let mut revision = None;
    while let Some(word) = words.next() {
        let value = words
            .next()
            .unwrap_or_else(|| panic!("{}: {word} without value", case.display()));
        match word {
            "--set" | "-s" => inputs.set_flags.push(value.to_string()),
            "-f" | "--filename" => inputs.files.push(InputFile {
                name: value.to_string(),
                text: mesh_test_support::read(&case.join(value)),
            }),
            "-r" | "--revision" => revision = Some(value.to_string()),
            other => panic!("{}: unexpected argument {other}", case.display()),
        }
    }
    if let Some(revision) = revision {
        inputs.set_flags.push(format!("revision={revision}"));
    }
    inputs
}

/// The documents of a case's `expected.yaml` whose text `keep` accepts (most of the file is
/// CRDs, which few tests need parsed).
pub fn expected_documents(case: &Path, keep: impl Fn(&str) -> bool) -> Vec<Value> {
    let text = mesh_test_support::read(&case.join("expected.yaml"));
    let kept: Vec<&str> = text.split("\n---").filter(|doc| keep(doc)).collect();
    mesh_core::from_yaml_stream(&kept.join("\n---"), "expected.yaml").unwrap()
}

/// The documents of a case's `expected.yaml`, without its CustomResourceDefinitions.
pub fn expected_objects(case: &Path) -> Vec<Value> {
    expected_documents(case, |doc| {
        !doc.contains("\nkind: CustomResourceDefinition\n")
    })
}

/// `metadata.labels[key]` as text.
pub fn label<'a>(obj: &'a Value, key: &str) -> &'a str {
    obj.pointer("/metadata/labels")
        .and_then(|l| l.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.name`.
pub fn name(obj: &Value) -> &str {
    obj.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The scorer's object identity: (API group, kind, namespace, name).
pub fn id(obj: &Value) -> (String, String, String, String) {
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

/// Whether an expected object was rendered by the chart `chart` (`istiod` or `base`): its
/// `helm.sh/chart` label, or for the unlabelled policy bindings, their name.
pub fn from_chart(obj: &Value, chart: &str) -> bool {
    if obj.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition") {
        return false;
    }
    let chart_label = label(obj, "helm.sh/chart");
    if !chart_label.is_empty() {
        return chart_label.rsplit_once('-').map(|(c, _)| c) == Some(chart);
    }
    let binding =
        obj.get("kind").and_then(Value::as_str) == Some("ValidatingAdmissionPolicyBinding");
    match chart {
        "istiod" => binding && name(obj).starts_with("stable-channel-policy-binding"),
        "base" => binding && name(obj).starts_with("stable-channel-default-policy-binding"),
        _ => false,
    }
}

/// Applies the scorer's normalisations: ConfigMap values holding documents are parsed, the
/// injector's templates are compared by name only, and CRDs are compared without schemas.
pub fn normalise(obj: &Value) -> Value {
    let kind = obj.get("kind").and_then(Value::as_str);
    if kind == Some("CustomResourceDefinition") {
        return crds::without_schema(obj);
    }
    if kind != Some("ConfigMap") {
        return obj.clone();
    }
    let injector = name(obj).starts_with("istio-sidecar-injector");
    let mut obj = obj.clone();
    if let Some(Value::Object(data)) = obj.get_mut("data") {
        for (key, val) in data.iter_mut() {
            let Value::String(text) = val else { continue };
            if injector && key == "config" {
                let mut cfg = mesh_core::from_yaml_str(text, key).unwrap();
                if let Some(Value::Object(t)) = cfg.get_mut("templates") {
                    for body in t.values_mut() {
                        *body = json!("<body>");
                    }
                }
                *val = json!({ "<parsed>": cfg });
                continue;
            }
            let t = text.trim_start();
            if text.contains('\n') || t.starts_with('{') || t.starts_with('[') {
                let parsed = serde_json::from_str::<Value>(text)
                    .ok()
                    .or_else(|| mesh_core::from_yaml_str(text, key).ok());
                if let Some(doc @ (Value::Object(_) | Value::Array(_))) = parsed {
                    *val = json!({ "<parsed>": doc });
                }
            }
        }
    }
    obj
}

/// The differences between two values under the scorer's rules (an integer equals a float of
/// the same value), as `path: want .., got ..` lines.
pub fn diff(want: &Value, got: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_into(want, got, String::new(), &mut out);
    out
}

fn diff_into(want: &Value, got: &Value, path: String, out: &mut Vec<String>) {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            let keys: std::collections::BTreeSet<&String> = w.keys().chain(g.keys()).collect();
            for k in keys {
                let p = format!("{path}.{k}");
                match (w.get(k), g.get(k)) {
                    (Some(a), Some(b)) => diff_into(a, b, p, out),
                    (Some(a), None) => out.push(format!("{p}: missing (want {a})")),
                    (None, Some(b)) => out.push(format!("{p}: unexpected (got {b})")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                out.push(format!(
                    "{path}: list length want {}, got {}",
                    w.len(),
                    g.len()
                ));
            }
            for (i, (a, b)) in w.iter().zip(g).enumerate() {
                diff_into(a, b, format!("{path}[{i}]"), out);
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            if a.as_f64() != b.as_f64() {
                out.push(format!("{path}: want {a}, got {b}"));
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: want {a}, got {b}")),
    }
}

/// The outcome of comparing rendered objects with the expected ones.
#[derive(Debug, Default)]
pub struct Comparison {
    /// Expected objects found and equal.
    pub equal: usize,
    /// Expected objects.
    pub expected: usize,
    /// One line per problem.
    pub problems: Vec<String>,
}

/// Compares rendered objects with expected ones matched by identity, each pair as `prepare`
/// makes it (the scorer's [`normalise`], or the values as they are).
pub fn compare_with(
    expected: &[Value],
    rendered: &[&Value],
    prepare: impl Fn(&Value) -> Value,
) -> Comparison {
    let mut cmp = Comparison {
        expected: expected.len(),
        ..Comparison::default()
    };
    for want in expected {
        let wid = id(want);
        match rendered.iter().find(|g| id(g) == wid) {
            None => cmp.problems.push(format!("missing {wid:?}")),
            Some(got) => {
                let d = diff(&prepare(want), &prepare(got));
                if d.is_empty() {
                    cmp.equal += 1;
                } else {
                    let shown: Vec<String> = d.into_iter().take(8).collect();
                    cmp.problems
                        .push(format!("{wid:?}:\n    {}", shown.join("\n    ")));
                }
            }
        }
    }
    for got in rendered {
        let gid = id(got);
        if !expected.iter().any(|w| id(w) == gid) {
            cmp.problems.push(format!("extra {gid:?}"));
        }
    }
    cmp
}

/// Compares rendered objects with expected ones by identity, under the scorer's normalisations.
pub fn compare(expected: &[Value], rendered: &[Value]) -> Comparison {
    let rendered: Vec<&Value> = rendered.iter().collect();
    compare_with(expected, &rendered, normalise)
}

/// Renders one component for every reference manifest case (values from the case's arguments
/// through the values model) and compares its objects with the chart's objects in the expected
/// output. Skips cleanly without the corpus; panics with every difference otherwise.
pub fn check_component_against_reference(
    chart: &str,
    component: mesh_core::ComponentName,
    render: fn(&ComponentValues, &RenderContext) -> Result<Vec<Object>, RenderError>,
) {
    let ctx = RenderContext::default();
    let Some(dir) = manifest_dir() else { return };
    let mut totals = Totals::default();
    for (case, dir) in manifest_cases(&dir) {
        let want: Vec<Value> = expected_objects(&dir)
            .into_iter()
            .filter(|o| from_chart(o, chart))
            .collect();
        let components = match pipeline_values(&dir) {
            Ok(c) => c,
            Err(e) => {
                // Not the renderer's concern: the values model cannot take the case.
                eprintln!("{case}: skipped, the values model failed: {e}");
                continue;
            }
        };
        let got: Vec<Value> = components
            .iter()
            .filter(|c| c.component == component)
            .flat_map(|cv| render(cv, &ctx).unwrap())
            .map(Object::into_value)
            .collect();
        let cmp = compare(&want, &got);
        eprintln!(
            "{case}: {component:?} objects {}/{} equal",
            cmp.equal, cmp.expected
        );
        totals.add(&case, cmp);
    }
    eprintln!(
        "total: {component:?} objects {}/{} equal",
        totals.equal, totals.expected
    );
    totals.assert_no_failures();
}

/// The comparisons of every case added up, with the failures by case.
#[derive(Debug, Default)]
pub struct Totals {
    /// Expected objects found and equal.
    pub equal: usize,
    /// Expected objects.
    pub expected: usize,
    /// One entry per case with problems.
    pub failures: Vec<String>,
}

impl Totals {
    /// Adds one case's comparison.
    pub fn add(&mut self, case: &str, cmp: Comparison) {
        self.equal += cmp.equal;
        self.expected += cmp.expected;
        if !cmp.problems.is_empty() {
            self.failures
                .push(format!("{case}:\n  {}", cmp.problems.join("\n  ")));
        }
    }

    /// Fails the test with every case's problems, if any.
    pub fn assert_no_failures(&self) {
        assert!(self.failures.is_empty(), "{}", self.failures.join("\n"));
    }
}

/// The component values the values model computes for a case, or why it could not.
fn pipeline_values(case: &Path) -> Result<Vec<ComponentValues>, String> {
    let operator = mesh_profiles::merge_inputs(&case_inputs(case)).map_err(|e| e.to_string())?;
    mesh_profiles::component_values(&operator).map_err(|e| e.to_string())
}
