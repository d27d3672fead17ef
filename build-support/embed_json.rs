//! Build-time conversion of a crate's embedded YAML data files to JSON, shared by the build
//! scripts of mesh-profiles (`charts/`) and mesh-manifest (`crds/`): a run then parses compact
//! JSON instead of YAML (half of `meshctl manifest generate`'s instructions were YAML parsing).
//! The YAML files stay the edited source; a file that is not valid YAML fails the build.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Converts every `.yaml` file below `<crate>/<source_dir>` into `$OUT_DIR/<source_dir>/...json`.
pub fn main(source_dir: &str) -> ExitCode {
    exit_code(run(source_dir))
}

/// The exit code of a build step: success, or failure with the message on stderr.
pub fn exit_code(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(source_dir: &str) -> Result<(), String> {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(env("OUT_DIR")?);
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=../build-support/embed_json.rs");
    let mut files = Vec::new();
    yaml_files(&manifest.join(source_dir), &mut files)?;
    for file in files {
        let relative = file.strip_prefix(&manifest).map_err(|e| e.to_string())?;
        convert(&file, &out.join(relative).with_extension("json"))?;
    }
    Ok(())
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|e| format!("{name}: {e}"))
}

/// Collects the `.yaml` files below `dir`, sorted, and asks cargo to rerun when any of them or
/// the folders (a file added or removed) change.
fn yaml_files(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), String> {
    println!("cargo::rerun-if-changed={}", dir.display());
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    paths.sort();
    for path in paths {
        if path.is_dir() {
            yaml_files(&path, found)?;
        } else if path.extension().is_some_and(|x| x == "yaml") {
            println!("cargo::rerun-if-changed={}", path.display());
            found.push(path);
        }
    }
    Ok(())
}

/// Parses `src` exactly as a run did (`mesh_core::from_yaml_str`) and writes the tree as JSON,
/// after checking that JSON gives back the very same tree (number kinds included).
fn convert(src: &Path, dst: &Path) -> Result<(), String> {
    let name = src.display().to_string();
    let text = std::fs::read_to_string(src).map_err(|e| format!("{name}: {e}"))?;
    let value = mesh_core::from_yaml_str(&text, &name).map_err(|e| e.to_string())?;
    let json = serde_json::to_string(&value).map_err(|e| format!("{name}: {e}"))?;
    let back: mesh_core::Value =
        serde_json::from_str(&json).map_err(|e| format!("{name}: JSON form unreadable: {e}"))?;
    if back != value {
        return Err(format!("{name}: the JSON form does not round-trip"));
    }
    if let Some(parent) = dst.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(dst, json).map_err(|e| format!("{}: {e}", dst.display()))
}
