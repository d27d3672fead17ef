//! Pre-builds the embedded CRDs: expands `crds/` (catalog and type files) with the crate's own
//! catalog code into complete CRD objects, once with their legacy labels and once with the
//! `base` chart's labels for the Istio version mesh installs, and writes for each its JSON form,
//! its YAML document (printed with the run-time printer) and a summary (the tree without
//! `spec.versions`), plus `crds/prebuilt.rs` listing them. A run then neither builds nor
//! prints the CRDs. The YAML files stay the edited source; broken data fails the build.

#[path = "src/render/crds/catalog.rs"]
mod catalog;
#[path = "src/render/crds/labels.rs"]
mod labels;
// Only the type language expander is used here (not `structural_problems`).
#[allow(dead_code)]
#[path = "src/render/crds/schema.rs"]
mod schema;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use mesh_core::Value;

/// The member each summary leaves out: the versions with their schemas, nearly all of a CRD.
const SUMMARY_OMITS: &str = "/spec/versions";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(env("OUT_DIR")?).join("crds");
    for path in [
        "build.rs",
        "src/render/crds/catalog.rs",
        "src/render/crds/labels.rs",
        "src/render/crds/schema.rs",
        "crds",
        catalog::CATALOG_FILE,
    ]
    .into_iter()
    .chain(catalog::TYPE_FILES)
    {
        println!("cargo::rerun-if-changed={path}");
    }
    let read = |name: &str| {
        let text =
            std::fs::read_to_string(manifest.join(name)).map_err(|e| format!("{name}: {e}"))?;
        mesh_core::from_yaml_str(&text, name).map_err(|e| e.to_string())
    };
    let legacy = catalog::build(&read)?;
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
    for (set, crds, doc) in [
        ("LEGACY", &legacy, "with their legacy labels"),
        ("CHART", &chart, "with the labels `CHART_LABELS`"),
    ] {
        let _ = writeln!(rust, "/// The embedded CRDs {doc}, in catalog order.");
        let _ = writeln!(rust, "static {set}: [Prebuilt; {}] = [", crds.len());
        for (i, crd) in crds.iter().enumerate() {
            let stem = format!("{}-{i}", set.to_lowercase());
            let files = write_prebuilt(&out, &stem, crd)?;
            let _ = writeln!(
                rust,
                "    Prebuilt::new(include_str!({:?}), include_str!({:?}), include_str!({:?}), {SUMMARY_OMITS:?}),",
                files[0], files[1], files[2]
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
    std::fs::write(&path, rust).map_err(|e| format!("{}: {e}", path.display()))
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|e| format!("{name}: {e}"))
}

/// Writes `<stem>.json`, `<stem>.yaml` and `<stem>.summary.json` for one CRD into `dir` and
/// returns their paths, after checking that both JSON forms read back to the trees they print.
fn write_prebuilt(dir: &Path, stem: &str, crd: &Value) -> Result<[String; 3], String> {
    let mut summary = crd.clone();
    let (parent, member) = SUMMARY_OMITS.rsplit_once('/').ok_or("a JSON pointer")?;
    summary
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .and_then(|m| m.remove(member))
        .ok_or_else(|| format!("{stem}: no {SUMMARY_OMITS}"))?;
    let mut yaml = String::new();
    mesh_core::yaml_emit::emit_into(&mut yaml, crd);
    let mut paths = Vec::new();
    for (name, text) in [
        (format!("{stem}.json"), json_text(crd)?),
        (format!("{stem}.yaml"), yaml),
        (format!("{stem}.summary.json"), json_text(&summary)?),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        paths.push(path.display().to_string());
    }
    let [json, yaml, summary] = <[String; 3]>::try_from(paths).map_err(|_| "three files")?;
    Ok([json, yaml, summary])
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
