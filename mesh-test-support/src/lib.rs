//! Test support shared by the mesh crates' tests (a dev-dependency only, never published).
//!
//! * [`reference`]: Istio 1.30.3's behaviour as data (`<workspace>/../shared/reference`). It is
//!   absent in a user's clone, so every lookup returns `None` after printing one `skipping:` line
//!   and the calling test returns early: `cargo test` passes on a fresh clone.
//! * [`TempDir`] and [`read`]: scratch folders removed on drop, file reads that name the file.
//! * [`helm`]: a Helm binary for tests that render Istio's charts.
//! * [`certs`]: a self-signed serving certificate for TLS tests.
//! * [`inject`]: the injector inputs of the corpus (settings folders, the pods of an input).
//! * `kube` (feature `kube`): a real API server on loopback from `../shared/tools/kube`, shared
//!   per test binary or owned by a test, and a kubelet stand-in that marks Pods ready.
//!
//! A failed `unwrap` here is a failed test, so panics are the error channel of this crate.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod certs;
pub mod inject;
#[cfg(feature = "kube")]
pub mod kube;

use mesh_core::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Environment variable that points the tests at another copy of the reference corpus.
pub const REFERENCE_ENV: &str = "MESH_REFERENCE_DIR";

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    // This crate sits one level below the root, whichever crate's test calls it.
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The reference corpus folder, or `None` with one `skipping:` line on stderr when it is absent.
///
/// `MESH_REFERENCE_DIR` overrides the default `<workspace>/../shared/reference`.
pub fn reference() -> Option<PathBuf> {
    let dir = match std::env::var_os(REFERENCE_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("../shared/reference"),
    };
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: reference corpus not found at {}", dir.display());
        None
    }
}

/// A folder or file inside the reference corpus (`reference_path("inject")`), or `None` with one
/// `skipping:` line when the corpus or that entry is absent.
pub fn reference_path(relative: &str) -> Option<PathBuf> {
    let root = reference()?;
    let path = root.join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "skipping: {} not found in the reference corpus",
            path.display()
        );
        None
    }
}

/// A Helm binary for tests that render Istio's charts: `$HELM`, else the one
/// `../shared/tools/get-helm.sh` installs (and caches in `${XDG_CACHE_HOME:-~/.cache}/mesh-helm`,
/// where reference-render keeps it). `None`, with one `skipping:` line, when there is none.
pub fn helm() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("HELM") {
        return Some(PathBuf::from(bin));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|c| c.join("mesh-helm"));
    let script = workspace_root().join("../shared/tools/get-helm.sh");
    if let Some(cache) = cache {
        let bin = cache.join("helm");
        if !bin.is_file() && script.is_file() {
            let _ = std::process::Command::new("bash")
                .arg(&script)
                .arg(&cache)
                .output();
        }
        if bin.is_file() {
            return Some(bin);
        }
    }
    eprintln!("skipping: no Helm ($HELM unset, ../shared/tools/get-helm.sh unavailable or failed)");
    None
}

/// The sub-folders of `dir`, sorted by name (the case folders of a corpus section).
pub fn sub_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir())
        .collect();
    out.sort();
    out
}

/// A file's text; a missing or unreadable file fails the test naming it.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A JSON or YAML file parsed into a value; a bad file fails the test naming it.
pub fn read_value(path: &Path) -> Value {
    let text = read(path);
    if path.extension().is_some_and(|ext| ext == "json") {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    } else {
        mesh_core::yaml::from_yaml_str(&text, &path.display().to_string())
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// A scratch folder under the system temp folder, removed (with its contents) on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A new, empty folder whose name starts with `name` and is unique in this process.
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("mesh-test-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        TempDir { path }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the folder.
    pub fn join(&self, file: &str) -> PathBuf {
        self.path.join(file)
    }

    /// Keeps the folder (it is no longer removed on drop) and returns its path.
    pub fn into_path(self) -> PathBuf {
        let this = std::mem::ManuallyDrop::new(self);
        this.path.clone()
    }

    /// Writes `contents` to `file` inside the folder and returns its path.
    pub fn write(&self, file: &str, contents: &str) -> PathBuf {
        let path = self.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// `a` and `b` are the same tree, numbers compared by value (`5` equals `5.0`, as Go prints every
/// number as a float64 and typed Rust values print integers as integers).
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_json(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// Every place where `a` and `b` differ, as `POINTER: left A != right B` lines (JSON pointers
/// below `at`; values shortened to 300 characters). Lists of equal length are compared item by
/// item, anything else as a whole.
pub fn value_differences(a: &Value, b: &Value, at: &str) -> Vec<String> {
    let mut out = Vec::new();
    differences_into(a, b, at.to_string(), &mut out);
    out
}

fn differences_into(a: &Value, b: &Value, at: String, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (p, q) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                differences_into(p, q, format!("{at}/{k}"), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                differences_into(p, q, format!("{at}/{i}"), out);
            }
        }
        _ if a != b => {
            let short = |v: &Value| v.to_string().chars().take(300).collect::<String>();
            out.push(format!("{at}: left {} != right {}", short(a), short(b)));
        }
        _ => {}
    }
}
