//! Pre-prints the embedded CRDs: mesh-api's CRD trees (Istio's API as mesh defines it, with
//! the labels of Istio's CRD file), once as they are and once with the `base` chart's labels
//! for the Istio version mesh installs, and writes for each its JSON form and its YAML document
//! (printed with the run-time printer), plus `crds/prebuilt.rs` listing them with the text of
//! the fields a render reads of every object (kind, name, group). A run then neither builds nor
//! prints the CRDs.
//!
//! Also prints the `templates:` block of the injector's `config` with the built-in injection
//! templates (`templates/injection/*.tmpl`, by file stem) into `injection/templates.yaml`.

// Only its exit code helper is used here.
#[allow(dead_code)]
#[path = "../build-support/embed_json.rs"]
mod embed_json;
#[path = "src/render/crds/labels.rs"]
mod labels;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mesh_core::Value;

/// The folder of the built-in injection templates.
const INJECTION_TEMPLATES: &str = "templates/injection";

/// The fields a render reads of every CRD: the object accessors (`Object::kind`, ...) and the
/// ordering's CRD index. Their text is written beside each tree so that these reads need no
/// parsing.
const SUMMARIZED: [&str; 6] = [
    "/apiVersion",
    "/kind",
    "/metadata/name",
    "/metadata/namespace",
    "/spec/group",
    "/spec/names/kind",
];

fn main() -> ExitCode {
    embed_json::exit_code(run())
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(env("OUT_DIR")?).join("crds");
    for path in [
        "build.rs",
        "../build-support/embed_json.rs",
        "src/render/crds/labels.rs",
        INJECTION_TEMPLATES,
    ] {
        println!("cargo::rerun-if-changed={path}");
    }
    let legacy = mesh_api::crd_values();
    let chart_labels = labels::chart_labels(mesh_profiles::ISTIO_VERSION, &serde_json::Map::new());
    let chart: Vec<Value> = legacy
        .iter()
        .map(|crd| {
            let mut crd = crd.clone();
            labels::set_labels(&mut crd, &chart_labels);
            crd
        })
        .collect();

    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut rust = String::from("// Written by mesh-manifest's build.rs.\n\n");
    let _ = writeln!(
        rust,
        "/// The pointers whose text each tree lists.\nconst SUMMARIZED: [&str; {}] = {SUMMARIZED:?};\n",
        SUMMARIZED.len()
    );
    for (set, crds, doc) in [
        ("LEGACY", legacy, "with their legacy labels"),
        ("CHART", chart.as_slice(), "with the labels `CHART_LABELS`"),
    ] {
        let _ = writeln!(rust, "/// The embedded CRDs {doc}, in catalog order.");
        let _ = writeln!(rust, "static {set}: [Prebuilt; {}] = [", crds.len());
        for (i, crd) in crds.iter().enumerate() {
            let stem = format!("{}-{i}", set.to_lowercase());
            let [json, yaml] = write_prebuilt(&out, &stem, crd)?;
            let _ = writeln!(
                rust,
                "    Prebuilt::new(include_str!({json:?}), include_str!({yaml:?}), &SUMMARIZED, &{:?}),",
                summary(crd).map_err(|e| format!("{stem}: {e}"))?
            );
        }
        rust.push_str("];\n\n");
    }
    rust.push_str("/// The labels of the `CHART` CRDs.\n");
    let _ = writeln!(
        rust,
        "const CHART_LABELS: [(&str, &str); {}] = [",
        chart_labels.len()
    );
    for (key, value) in &chart_labels {
        let value = value.as_str().ok_or("chart labels are strings")?;
        let _ = writeln!(rust, "    ({key:?}, {value:?}),");
    }
    rust.push_str("];\n");
    let path = out.join("prebuilt.rs");
    std::fs::write(&path, rust).map_err(|e| format!("{}: {e}", path.display()))?;
    write_templates_block(&manifest, &PathBuf::from(env("OUT_DIR")?))
}

/// Prints `{"templates": {<stem>: <body>, ...}}` of the `.tmpl` files of
/// [`INJECTION_TEMPLATES`] into `<out>/injection/templates.yaml`.
fn write_templates_block(manifest: &Path, out: &Path) -> Result<(), String> {
    let dir = manifest.join(INJECTION_TEMPLATES);
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut templates = serde_json::Map::new();
    for entry in entries {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|x| x == "tmpl") {
            println!("cargo::rerun-if-changed={}", path.display());
            let body =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            templates.insert(stem.to_string(), Value::String(body));
        }
    }
    let mut doc = serde_json::Map::new();
    doc.insert("templates".to_string(), Value::Object(templates));
    let mut yaml = String::new();
    mesh_core::yaml_emit::emit_into(&mut yaml, &Value::Object(doc));
    let path = out.join("injection");
    std::fs::create_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let path = path.join("templates.yaml");
    std::fs::write(&path, yaml).map_err(|e| format!("{}: {e}", path.display()))
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|e| format!("{name}: {e}"))
}

/// Writes `<stem>.json` and `<stem>.yaml` for one CRD into `dir` and returns their paths, after
/// checking that the JSON reads back to the tree it prints.
fn write_prebuilt(dir: &Path, stem: &str, crd: &Value) -> Result<[String; 2], String> {
    let mut yaml = String::new();
    mesh_core::yaml_emit::emit_into(&mut yaml, crd);
    let json_path = dir.join(format!("{stem}.json"));
    let yaml_path = dir.join(format!("{stem}.yaml"));
    for (path, text) in [(&json_path, json_text(crd)?), (&yaml_path, yaml)] {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok([json_path, yaml_path].map(|p| p.display().to_string()))
}

/// The text at each pointer of [`SUMMARIZED`] that `crd` has, as (pointer, text).
fn summary(crd: &Value) -> Result<Vec<(&'static str, &str)>, String> {
    let mut fields = Vec::new();
    for pointer in SUMMARIZED {
        match crd.pointer(pointer) {
            None => {}
            Some(Value::String(text)) => fields.push((pointer, text.as_str())),
            Some(other) => return Err(format!("{pointer}: expected a string, got {other}")),
        }
    }
    Ok(fields)
}

/// The compact JSON form of `value`, checked to read back to the very same tree.
fn json_text(value: &Value) -> Result<String, String> {
    let json = serde_json::to_string(value).map_err(|e| e.to_string())?;
    let back: Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    if back != *value {
        return Err("the JSON form of a CRD does not read back to the same tree".to_string());
    }
    Ok(json)
}
