//! Semantic diff of two manifest streams, object by object.
//!
//! Objects are matched by (group, kind, namespace, name). Inside an object, maps are compared by
//! key (a `null` value counts as absent, as it does for the API server), numbers by value (`1`
//! equals `1.0`), lists of maps that all carry a unique `name` by name (so inserting a container
//! or an env var shows as one change, not as every later item changing), other lists by index.
//! ConfigMap values holding a YAML or JSON document (`mesh`, `values`, `config`, ...) are compared
//! as parsed documents.

use crate::order::ObjectId;
use mesh_core::{Value, YamlError};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Separates a ConfigMap key from the path inside its parsed document (`data.mesh::defaultConfig`).
pub const EMBEDDED_SEPARATOR: &str = "::";

/// One difference inside an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Where, e.g. `spec.template.spec.containers[name=discovery].env[name=FOO].value`.
    pub path: String,
    /// The old value, `None` when the path was absent.
    pub old: Option<Value>,
    /// The new value, `None` when the path is gone.
    pub new: Option<Value>,
}

/// The differences of one object present in both manifests.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectChange {
    /// The object.
    pub id: ObjectId,
    /// Its differences, in path order.
    pub changes: Vec<Change>,
}

/// How two manifests differ.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManifestDiff {
    /// Objects only in the new manifest.
    pub added: Vec<ObjectId>,
    /// Objects only in the old manifest.
    pub removed: Vec<ObjectId>,
    /// Objects in both that differ.
    pub changed: Vec<ObjectChange>,
}

/// A manifest stream that cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// The text is not YAML. Shown on one line (the parser's first line, which names the file,
    /// line and column).
    #[error("{}", first_line(.0))]
    Yaml(#[from] YamlError),
    /// A document is not a Kubernetes object (a map).
    #[error("{source_name}: document {index}: not a Kubernetes object (a map)")]
    NotAnObject {
        /// The file name.
        source_name: String,
        /// Position of the document in the stream (1-based, empty documents not counted).
        index: usize,
    },
    /// A document lacks `kind` or `metadata.name`.
    #[error("{source_name}: document {index}: missing {field}")]
    MissingField {
        /// The file name.
        source_name: String,
        /// Position of the document in the stream (1-based, empty documents not counted).
        index: usize,
        /// The missing field.
        field: &'static str,
    },
    /// The same object appears twice in one stream.
    #[error("{source_name}: {id} appears more than once")]
    Duplicate {
        /// The file name.
        source_name: String,
        /// The repeated object.
        id: ObjectId,
    },
}

fn first_line(e: &YamlError) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

impl ManifestDiff {
    /// Whether the two manifests are semantically the same.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// A human-readable report: one line per added or removed object, the changed paths of
    /// every changed object, and a summary line.
    pub fn render(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ManifestDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for id in &self.removed {
            writeln!(f, "- {id} (removed)")?;
        }
        for id in &self.added {
            writeln!(f, "+ {id} (added)")?;
        }
        for object in &self.changed {
            writeln!(f, "~ {} (changed)", object.id)?;
            for change in &object.changes {
                write_change(f, change)?;
            }
        }
        write!(
            f,
            "{} added, {} removed, {} changed",
            self.added.len(),
            self.removed.len(),
            self.changed.len()
        )
    }
}

fn write_change(f: &mut fmt::Formatter<'_>, change: &Change) -> fmt::Result {
    let multiline = |v: &Option<Value>| {
        v.as_ref()
            .and_then(Value::as_str)
            .filter(|s| s.contains('\n'))
            .map(str::to_string)
    };
    if let (Some(old), Some(new)) = (multiline(&change.old), multiline(&change.new)) {
        writeln!(f, "    {}:", change.path)?;
        for line in line_diff(&old, &new) {
            writeln!(f, "      {line}")?;
        }
        return Ok(());
    }
    writeln!(
        f,
        "    {}: {} -> {}",
        change.path,
        show(change.old.as_ref()),
        show(change.new.as_ref())
    )
}

fn show(value: Option<&Value>) -> String {
    match value {
        None => "(absent)".to_string(),
        Some(v) => serde_json::to_string(v).unwrap_or_default(),
    }
}

/// Reads a manifest stream into (id, object) pairs; a `kind: List` is read as its items.
pub fn parse_stream(text: &str, source_name: &str) -> Result<Vec<(ObjectId, Value)>, DiffError> {
    let docs = mesh_core::from_yaml_stream(text, source_name)?;
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, doc) in docs.into_iter().enumerate() {
        let index = i + 1;
        let objects = match doc {
            Value::Object(ref m) if m.get("kind").and_then(Value::as_str) == Some("List") => m
                .get("items")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            Value::Object(_) => vec![doc],
            _ => {
                return Err(DiffError::NotAnObject {
                    source_name: source_name.to_string(),
                    index,
                });
            }
        };
        for object in objects {
            let missing = |field| DiffError::MissingField {
                source_name: source_name.to_string(),
                index,
                field,
            };
            if !object.is_object() {
                return Err(DiffError::NotAnObject {
                    source_name: source_name.to_string(),
                    index,
                });
            }
            let id = ObjectId::of_value(&object);
            if id.kind.is_empty() {
                return Err(missing("kind"));
            }
            if id.name.is_empty() {
                return Err(missing("metadata.name"));
            }
            if !seen.insert(id.clone()) {
                return Err(DiffError::Duplicate {
                    source_name: source_name.to_string(),
                    id,
                });
            }
            out.push((id, object));
        }
    }
    Ok(out)
}

/// Compares two manifest streams given as text; the names are used in error messages.
pub fn diff_streams(
    old_text: &str,
    old_name: &str,
    new_text: &str,
    new_name: &str,
) -> Result<ManifestDiff, DiffError> {
    let old = parse_stream(old_text, old_name)?;
    let new = parse_stream(new_text, new_name)?;
    Ok(diff_objects(&old, &new))
}

/// Compares two sets of objects, matched by id.
pub fn diff_objects(old: &[(ObjectId, Value)], new: &[(ObjectId, Value)]) -> ManifestDiff {
    let old: BTreeMap<&ObjectId, &Value> = old.iter().map(|(id, v)| (id, v)).collect();
    let new: BTreeMap<&ObjectId, &Value> = new.iter().map(|(id, v)| (id, v)).collect();
    let mut diff = ManifestDiff::default();
    for (id, old_value) in &old {
        match new.get(id) {
            None => diff.removed.push((*id).clone()),
            Some(new_value) => {
                let changes = diff_object(id, old_value, new_value);
                if !changes.is_empty() {
                    diff.changed.push(ObjectChange {
                        id: (*id).clone(),
                        changes,
                    });
                }
            }
        }
    }
    diff.added = new
        .keys()
        .filter(|id| !old.contains_key(*id))
        .map(|id| (*id).clone())
        .collect();
    diff
}

/// The changes between two versions of one object.
pub fn diff_object(id: &ObjectId, old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    let configmap = id.group.is_empty() && id.kind == "ConfigMap";
    compare(
        &mut Walk {
            out: &mut out,
            configmap,
        },
        String::new(),
        Some(old),
        Some(new),
    );
    out
}

struct Walk<'a> {
    out: &'a mut Vec<Change>,
    configmap: bool,
}

/// `null` is the same as absent for Kubernetes objects.
fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

fn compare(walk: &mut Walk<'_>, path: String, old: Option<&Value>, new: Option<&Value>) {
    let (old, new) = (present(old), present(new));
    match (old, new) {
        (None, None) => {}
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let child = child_path(&path, key);
                let (x, y) = (a.get(key), b.get(key));
                if walk.configmap
                    && is_configmap_data(&path)
                    && let Some((px, py)) = embedded_documents(x, y)
                {
                    let sub = format!("{child}{EMBEDDED_SEPARATOR}");
                    compare(walk, sub, Some(&px), Some(&py));
                    continue;
                }
                compare(walk, child, x, y);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => compare_lists(walk, &path, a, b),
        (Some(a), Some(b)) if same_scalar(a, b) => {}
        _ => walk.out.push(Change {
            path: display_path(&path),
            old: old.cloned(),
            new: new.cloned(),
        }),
    }
}

fn is_configmap_data(path: &str) -> bool {
    path == "data" || path == "binaryData"
}

/// Both values parsed as YAML/JSON documents (maps or lists), when both look like one.
fn embedded_documents(old: Option<&Value>, new: Option<&Value>) -> Option<(Value, Value)> {
    let parse = |v: Option<&Value>| {
        let s = v?.as_str()?;
        let t = s.trim_start();
        if !s.contains('\n') && !t.starts_with('{') && !t.starts_with('[') {
            return None;
        }
        let doc = serde_json::from_str::<Value>(s)
            .ok()
            .or_else(|| mesh_core::from_yaml_str(s, "embedded").ok())?;
        (doc.is_object() || doc.is_array()).then_some(doc)
    };
    Some((parse(old)?, parse(new)?))
}

fn compare_lists(walk: &mut Walk<'_>, path: &str, a: &[Value], b: &[Value]) {
    if let (Some(ka), Some(kb)) = (list_names(a), list_names(b)) {
        let index_a: BTreeMap<&str, &Value> = ka.iter().copied().zip(a).collect();
        let index_b: BTreeMap<&str, &Value> = kb.iter().copied().zip(b).collect();
        let mut names: Vec<&str> = ka.clone();
        names.extend(kb.iter().filter(|n| !index_a.contains_key(*n)));
        for name in names {
            let child = format!("{path}[name={name}]");
            compare(
                walk,
                child,
                index_a.get(name).copied(),
                index_b.get(name).copied(),
            );
        }
        let common_a: Vec<&str> = ka
            .iter()
            .copied()
            .filter(|n| index_b.contains_key(n))
            .collect();
        let common_b: Vec<&str> = kb
            .iter()
            .copied()
            .filter(|n| index_a.contains_key(n))
            .collect();
        if common_a != common_b {
            walk.out.push(Change {
                path: format!("{} (order)", display_path(path)),
                old: Some(Value::from(common_a)),
                new: Some(Value::from(common_b)),
            });
        }
        return;
    }
    for i in 0..a.len().max(b.len()) {
        compare(walk, format!("{path}[{i}]"), a.get(i), b.get(i));
    }
}

/// The `name` of every item, when every item is a map with a string `name` and no name repeats.
fn list_names(items: &[Value]) -> Option<Vec<&str>> {
    let names: Vec<&str> = items
        .iter()
        .map(|v| v.get("name").and_then(Value::as_str))
        .collect::<Option<_>>()?;
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    (unique.len() == names.len() && !names.is_empty()).then_some(names)
}

fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                x.as_f64() == y.as_f64()
            } else {
                x == y
            }
        }
        _ => a == b,
    }
}

fn child_path(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let sep = if path.is_empty() || path.ends_with(EMBEDDED_SEPARATOR) {
        ""
    } else {
        "."
    };
    if plain {
        format!("{path}{sep}{key}")
    } else {
        format!("{path}[{}]", serde_json::to_string(key).unwrap_or_default())
    }
}

fn display_path(path: &str) -> String {
    if path.is_empty() {
        "(root)".to_string()
    } else {
        path.strip_suffix(EMBEDDED_SEPARATOR)
            .unwrap_or(path)
            .to_string()
    }
}

/// Lines of a minimal line diff of two texts: `-` removed, `+` added, two lines of context kept
/// around changes. Texts too large for the quadratic diff are shown whole.
fn line_diff(old: &str, new: &str) -> Vec<String> {
    const MAX_CELLS: usize = 4_000_000;
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    if a.len().saturating_mul(b.len()) > MAX_CELLS {
        let mut out: Vec<String> = a.iter().map(|l| format!("- {l}")).collect();
        out.extend(b.iter().map(|l| format!("+ {l}")));
        return out;
    }
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    with_context(&ops, 2)
}

fn with_context(ops: &[(char, &str)], context: usize) -> Vec<String> {
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != ' ').collect();
    let keep = |k: usize| {
        changed
            .iter()
            .any(|&c| k + context >= c && k <= c + context)
    };
    let mut out = Vec::new();
    let mut skipped = false;
    for (k, (op, line)) in ops.iter().enumerate() {
        if keep(k) {
            if skipped {
                out.push("...".to_string());
                skipped = false;
            }
            out.push(format!("{op} {line}"));
        } else {
            skipped = true;
        }
    }
    if skipped {
        out.push("...".to_string());
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn line_diff_keeps_context_and_marks_changes() {
        let old = "a\nb\nc\nd\ne\nf\ng\n";
        let new = "a\nb\nc\nD\ne\nf\ng\n";
        assert_eq!(
            line_diff(old, new),
            ["...", "  b", "  c", "- d", "+ D", "  e", "  f", "..."].map(String::from)
        );
    }

    #[test]
    fn odd_keys_are_quoted_in_paths() {
        assert_eq!(child_path("metadata.labels", "app"), "metadata.labels.app");
        assert_eq!(
            child_path("metadata.labels", "istio.io/rev"),
            "metadata.labels[\"istio.io/rev\"]"
        );
        assert_eq!(
            child_path("data.mesh::", "defaultConfig"),
            "data.mesh::defaultConfig"
        );
    }
}
