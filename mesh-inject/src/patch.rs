//! The RFC 6902 JSON patch that turns the original pod into the injected pod.
//!
//! Like Istio's, the patch comes from a JSON diff of the two documents. Lists are aligned before
//! they are compared, so a container inserted in front of the others is one `add` instead of a
//! cascade of `replace`s: items that are maps with a `name` (containers, volumes, env vars, ports)
//! are matched by name, other items by equality.

use crate::json_write::{write_str, write_value};
use json_patch::jsonptr::PointerBuf;
use json_patch::{AddOperation, Patch, PatchOperation, RemoveOperation, ReplaceOperation};
use serde_json::{Map, Value};

/// Above this many cells the list alignment table is not built and lists are compared by index.
const MAX_ALIGNMENT_CELLS: usize = 1 << 20;

/// A patch that could not be applied.
#[derive(Debug, thiserror::Error)]
#[error("cannot apply JSON patch: {0}")]
pub struct ApplyPatchError(#[from] json_patch::PatchError);

/// The patch that turns `original` into `injected`: applying it to `original` gives exactly `injected`.
pub fn create_patch(original: &Value, injected: &Value) -> Patch {
    let mut ops = Vec::new();
    let mut path = PointerBuf::new();
    diff_value(original, injected, &mut path, &mut ops);
    Patch(ops)
}

/// [`patch_bytes`] of [`create_patch`], written while diffing (no operation is built and no value
/// copied), with the number of operations.
pub(crate) fn create_patch_bytes(original: &Value, injected: &Value) -> (Vec<u8>, usize) {
    let mut writer = PatchWriter {
        out: Vec::with_capacity(4096),
        count: 0,
    };
    writer.out.push(b'[');
    let mut path = PointerBuf::new();
    diff_value(original, injected, &mut path, &mut writer);
    writer.out.push(b']');
    (writer.out, writer.count)
}

/// Where the diff puts its operations: a list of operations or their JSON text.
trait OpSink {
    fn add(&mut self, path: &PointerBuf, value: &Value);
    fn remove(&mut self, path: &PointerBuf);
    fn replace(&mut self, path: &PointerBuf, value: &Value);
}

impl OpSink for Vec<PatchOperation> {
    fn add(&mut self, path: &PointerBuf, value: &Value) {
        self.push(PatchOperation::Add(AddOperation {
            path: path.clone(),
            value: value.clone(),
        }));
    }

    fn remove(&mut self, path: &PointerBuf) {
        self.push(PatchOperation::Remove(RemoveOperation {
            path: path.clone(),
        }));
    }

    fn replace(&mut self, path: &PointerBuf, value: &Value) {
        self.push(PatchOperation::Replace(ReplaceOperation {
            path: path.clone(),
            value: value.clone(),
        }));
    }
}

/// Writes operations as the JSON `serde_json` prints for a [`Patch`] (`op`, `path`, `value`).
struct PatchWriter {
    out: Vec<u8>,
    count: usize,
}

impl PatchWriter {
    fn op(&mut self, op: &str, path: &PointerBuf, value: Option<&Value>) {
        if self.count > 0 {
            self.out.push(b',');
        }
        self.count += 1;
        self.out.extend_from_slice(b"{\"op\":");
        write_str(&mut self.out, op);
        self.out.extend_from_slice(b",\"path\":");
        write_str(&mut self.out, path.as_str());
        if let Some(v) = value {
            self.out.extend_from_slice(b",\"value\":");
            write_value(&mut self.out, v);
        }
        self.out.push(b'}');
    }
}

impl OpSink for PatchWriter {
    fn add(&mut self, path: &PointerBuf, value: &Value) {
        self.op("add", path, Some(value));
    }

    fn remove(&mut self, path: &PointerBuf) {
        self.op("remove", path, None);
    }

    fn replace(&mut self, path: &PointerBuf, value: &Value) {
        self.op("replace", path, Some(value));
    }
}

/// The patch as the JSON bytes an AdmissionResponse carries (before base64).
pub fn patch_bytes(patch: &Patch) -> Vec<u8> {
    // A Patch is a list of plain operations with string keys; serialising it cannot fail.
    serde_json::to_vec(patch).unwrap_or_else(|_| b"[]".to_vec())
}

/// Applies a patch to a copy of `doc` (atomically: on error nothing is applied).
pub fn apply_patch(doc: &Value, patch: &Patch) -> Result<Value, ApplyPatchError> {
    let mut out = doc.clone();
    json_patch::patch(&mut out, patch)?;
    Ok(out)
}

fn diff_value(left: &Value, right: &Value, path: &mut PointerBuf, ops: &mut impl OpSink) {
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => diff_map(l, r, path, ops),
        (Value::Array(l), Value::Array(r)) => diff_list(l, r, path, ops),
        _ if left == right => {}
        _ => ops.replace(path, right),
    }
}

fn diff_map(
    left: &Map<String, Value>,
    right: &Map<String, Value>,
    path: &mut PointerBuf,
    ops: &mut impl OpSink,
) {
    for key in left.keys().filter(|k| !right.contains_key(*k)) {
        path.push_back(key.as_str());
        ops.remove(path);
        path.pop_back();
    }
    for (key, r) in right {
        path.push_back(key.as_str());
        match left.get(key) {
            Some(l) => diff_value(l, r, path, ops),
            None => ops.add(path, r),
        }
        path.pop_back();
    }
}

/// One step of a list alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Left item `i` corresponds to right item `j` (equal, or same name).
    Keep(usize, usize),
    /// Left item `i` has no counterpart.
    Delete(usize),
    /// Right item `j` has no counterpart.
    Insert(usize),
}

fn diff_list(left: &[Value], right: &[Value], path: &mut PointerBuf, ops: &mut impl OpSink) {
    if left == right {
        return;
    }
    let steps = align(left, right);
    // `at` is the index in the list as the operations so far have left it.
    let mut at = 0usize;
    let mut i = 0usize;
    while i < steps.len() {
        if let Step::Keep(l, r) = steps[i] {
            path.push_back(at);
            diff_value(&left[l], &right[r], path, ops);
            path.pop_back();
            at += 1;
            i += 1;
            continue;
        }
        // A run of unmatched items between two kept ones.
        let end = steps[i..]
            .iter()
            .position(|s| matches!(s, Step::Keep(..)))
            .map_or(steps.len(), |p| i + p);
        let deleted: Vec<usize> = steps[i..end]
            .iter()
            .filter_map(|s| match s {
                Step::Delete(l) => Some(*l),
                _ => None,
            })
            .collect();
        let inserted: Vec<usize> = steps[i..end]
            .iter()
            .filter_map(|s| match s {
                Step::Insert(r) => Some(*r),
                _ => None,
            })
            .collect();
        at = diff_run(left, right, &deleted, &inserted, at, path, ops);
        i = end;
    }
}

/// Rewrites a run of unmatched items; returns the index after it. Unnamed items (strings, numbers,
/// anonymous maps) are paired and diffed in place; named items are removed and added whole.
fn diff_run(
    left: &[Value],
    right: &[Value],
    deleted: &[usize],
    inserted: &[usize],
    mut at: usize,
    path: &mut PointerBuf,
    ops: &mut impl OpSink,
) -> usize {
    let any_named = deleted.iter().any(|&l| name_of(&left[l]).is_some())
        || inserted.iter().any(|&r| name_of(&right[r]).is_some());
    let paired = if any_named {
        0
    } else {
        deleted.len().min(inserted.len())
    };
    for (&l, &r) in deleted.iter().zip(inserted).take(paired) {
        path.push_back(at);
        diff_value(&left[l], &right[r], path, ops);
        path.pop_back();
        at += 1;
    }
    for _ in paired..deleted.len() {
        path.push_back(at);
        ops.remove(path);
        path.pop_back();
    }
    for &r in &inserted[paired..] {
        path.push_back(at);
        ops.add(path, &right[r]);
        path.pop_back();
        at += 1;
    }
    at
}

/// The `name` of a map item, which identifies containers, volumes, env vars and ports.
fn name_of(v: &Value) -> Option<&str> {
    v.get("name").and_then(Value::as_str)
}

/// Whether two list items are "the same item" for alignment purposes.
fn same_item(l: &Value, r: &Value) -> bool {
    match (name_of(l), name_of(r)) {
        (Some(a), Some(b)) => a == b,
        (None, None) => l == r,
        _ => false,
    }
}

/// Longest common subsequence of the two lists under [`same_item`], as an edit script.
fn align(left: &[Value], right: &[Value]) -> Vec<Step> {
    let (n, m) = (left.len(), right.len());
    if n.saturating_mul(m) > MAX_ALIGNMENT_CELLS {
        return align_by_index(n, m);
    }
    // lcs[i][j]: length of the LCS of left[i..] and right[j..].
    let width = m + 1;
    let mut lcs = vec![0u32; (n + 1) * width];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * width + j] = if same_item(&left[i], &right[j]) {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let mut steps = Vec::with_capacity(n.max(m));
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if same_item(&left[i], &right[j]) {
            steps.push(Step::Keep(i, j));
            i += 1;
            j += 1;
        } else if lcs[(i + 1) * width + j] >= lcs[i * width + j + 1] {
            steps.push(Step::Delete(i));
            i += 1;
        } else {
            steps.push(Step::Insert(j));
            j += 1;
        }
    }
    steps.extend((i..n).map(Step::Delete));
    steps.extend((j..m).map(Step::Insert));
    steps
}

fn align_by_index(n: usize, m: usize) -> Vec<Step> {
    let common = n.min(m);
    let mut steps: Vec<Step> = (0..common).map(|i| Step::Keep(i, i)).collect();
    steps.extend((common..n).map(Step::Delete));
    steps.extend((common..m).map(Step::Insert));
    steps
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn roundtrip(a: Value, b: Value) -> Vec<Value> {
        let p = create_patch(&a, &b);
        assert_eq!(apply_patch(&a, &p).unwrap(), b, "patch {p:?}");
        let (bytes, count) = create_patch_bytes(&a, &b);
        assert_eq!(bytes, patch_bytes(&p), "written patch differs");
        assert_eq!(count, p.0.len());
        serde_json::to_value(&p)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    #[test]
    fn equal_documents_give_an_empty_patch() {
        assert!(roundtrip(json!({"a": [1, 2]}), json!({"a": [1, 2]})).is_empty());
    }

    #[test]
    fn container_prepended_is_a_single_add() {
        let ops = roundtrip(
            json!({"spec": {"initContainers": [{"name": "user", "image": "u"}]}}),
            json!({"spec": {"initContainers": [
                {"name": "istio-init", "image": "p"},
                {"name": "istio-proxy", "image": "p"},
                {"name": "user", "image": "u"}
            ]}}),
        );
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[0]["op"], "add");
        assert_eq!(ops[0]["path"], "/spec/initContainers/0");
        assert_eq!(ops[1]["path"], "/spec/initContainers/1");
    }

    #[test]
    fn named_items_are_diffed_in_place_and_keys_escaped() {
        let ops = roundtrip(
            json!({"metadata": {"annotations": {"a/b": "1"}},
                   "c": [{"name": "app", "port": 80}]}),
            json!({"metadata": {"annotations": {"a/b": "2", "x~y": "3"}},
                   "c": [{"name": "proxy"}, {"name": "app", "port": 15020}]}),
        );
        let paths: Vec<&str> = ops.iter().map(|o| o["path"].as_str().unwrap()).collect();
        assert!(paths.contains(&"/metadata/annotations/a~1b"));
        assert!(paths.contains(&"/metadata/annotations/x~0y"));
        assert!(paths.contains(&"/c/1/port"));
    }

    #[test]
    fn keys_needing_json_escapes_roundtrip() {
        let ops = roundtrip(
            json!({"m": {"q\"k": "1", "gone\\": 2}}),
            json!({"m": {"q\"k": "2\n", "new\u{1}": [1]}}),
        );
        assert_eq!(ops.len(), 3);
    }

    #[test]
    fn scalar_lists_pair_changed_items() {
        let ops = roundtrip(json!(["a", "b", "c"]), json!(["a", "x", "c", "d"]));
        assert_eq!(ops.len(), 2);
        roundtrip(json!(["a", "b", "c", "d"]), json!(["d"]));
        roundtrip(json!([1, {"k": 1}, "s"]), json!([{"k": 2}, 1, null]));
        roundtrip(json!({"a": 1}), json!([1]));
        roundtrip(json!(null), json!({"a": 1}));
    }

    #[test]
    fn reordered_named_items_roundtrip() {
        roundtrip(
            json!([{"name": "a"}, {"name": "b"}, {"name": "c"}, "x"]),
            json!(["y", {"name": "c", "v": 1}, {"name": "a"}, {"name": "a"}]),
        );
    }

    #[test]
    fn index_alignment_fallback_roundtrips() {
        let n = 1100;
        let left: Vec<Value> = (0..n).map(|i| json!(i)).collect();
        let right: Vec<Value> = (0..n + 5).map(|i| json!(i * 2)).collect();
        roundtrip(Value::Array(left), Value::Array(right));
    }
}
