//! A value tree shared by the objects that hold it, copied on the first write; a tree built once
//! and printed many times (an embedded CRD) also keeps its YAML text.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};

use mesh_core::Value;

/// A value tree shared by the objects that hold it, copied on the first write (copy on write).
///
/// Reading goes through [`Deref`] to [`Value`]. Writing goes through [`DerefMut`] (as in
/// `object.value["x"] = ...`, or `&mut object.value` passed where a `&mut Value` is expected),
/// which first copies the tree when another holder still shares it, so sharing is never
/// visible. What a manifest is mostly made of, the CRDs, is built once per process and shared
/// this way instead of being copied for every render.
///
/// There is no `Clone` on purpose: `shared.clone()` resolves to [`Value::clone`] and gives an
/// owned [`Value`], as it did when objects held a plain [`Value`]; [`SharedValue::share`] is
/// the cheap copy.
pub struct SharedValue(Arc<Tree>);

/// What the holders of a [`SharedValue`] share.
struct Tree {
    value: Value,
    /// Whether the YAML text is kept once printed ([`SharedValue::keeping_yaml`]).
    keeps_yaml: bool,
    /// The YAML document of `value`, set by the first print when `keeps_yaml`.
    yaml: OnceLock<String>,
}

impl Tree {
    fn new(value: Value, keeps_yaml: bool) -> Self {
        Tree {
            value,
            keeps_yaml,
            yaml: OnceLock::new(),
        }
    }
}

impl Clone for Tree {
    /// Trees are copied only to be changed, so the copy keeps no text.
    fn clone(&self) -> Self {
        Tree::new(self.value.clone(), false)
    }
}

impl SharedValue {
    /// Wraps an owned value tree.
    pub fn new(value: Value) -> Self {
        SharedValue(Arc::new(Tree::new(value, false)))
    }

    /// Wraps a tree that is built once and printed many times (a CRD of the embedded catalog):
    /// the first [`SharedValue::write_yaml`] keeps the text, later ones copy it. Writing to the
    /// tree drops the text.
    pub fn keeping_yaml(value: Value) -> Self {
        SharedValue(Arc::new(Tree::new(value, true)))
    }

    /// Another holder of the same tree (no copy).
    pub fn share(&self) -> Self {
        SharedValue(Arc::clone(&self.0))
    }

    /// Whether `self` and `other` hold the very same tree (not merely equal ones).
    pub fn is_shared_with(&self, other: &SharedValue) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The tree, owned: moved out when this is its only holder, copied otherwise.
    pub fn into_value(self) -> Value {
        match Arc::try_unwrap(self.0) {
            Ok(tree) => tree.value,
            Err(shared) => shared.value.clone(),
        }
    }

    /// Appends the tree as one YAML document ([`mesh_core::yaml_emit::emit_into`]) to `out`.
    /// A tree made with [`SharedValue::keeping_yaml`] is printed once per process; later calls
    /// copy the kept text, which is the same text.
    pub fn write_yaml(&self, out: &mut String) {
        let tree = &*self.0;
        if !tree.keeps_yaml {
            mesh_core::yaml_emit::emit_into(out, &tree.value);
        } else if let Some(text) = tree.yaml.get() {
            out.push_str(text);
        } else {
            let start = out.len();
            mesh_core::yaml_emit::emit_into(out, &tree.value);
            // Another thread may have kept the same text first; either copy will do.
            let _ = tree.yaml.set(out[start..].to_string());
        }
    }
}

impl Deref for SharedValue {
    type Target = Value;

    fn deref(&self) -> &Value {
        &self.0.value
    }
}

impl DerefMut for SharedValue {
    /// Copies the tree first when another holder shares it, and drops any kept text.
    fn deref_mut(&mut self) -> &mut Value {
        let tree = Arc::make_mut(&mut self.0);
        tree.yaml.take();
        tree.keeps_yaml = false;
        &mut tree.value
    }
}

impl From<Value> for SharedValue {
    fn from(value: Value) -> Self {
        SharedValue::new(value)
    }
}

impl From<SharedValue> for Value {
    fn from(value: SharedValue) -> Self {
        value.into_value()
    }
}

impl fmt::Debug for SharedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0.value, f)
    }
}

impl PartialEq for SharedValue {
    fn eq(&self, other: &Self) -> bool {
        self.is_shared_with(other) || self.0.value == other.0.value
    }
}

impl Eq for SharedValue {}

impl PartialEq<Value> for SharedValue {
    fn eq(&self, other: &Value) -> bool {
        self.0.value == *other
    }
}

impl PartialEq<SharedValue> for Value {
    fn eq(&self, other: &SharedValue) -> bool {
        *self == other.0.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn printed(v: &SharedValue) -> String {
        let mut out = String::from("before\n");
        v.write_yaml(&mut out);
        out
    }

    #[test]
    fn kept_text_is_the_printed_text_until_a_write() {
        let tree = json!({"kind": "CustomResourceDefinition", "spec": {"d": "a\nb\n"}});
        let want = format!("before\n{}", mesh_core::to_yaml_string(&tree));
        let kept = SharedValue::keeping_yaml(tree);
        assert_eq!(printed(&kept), want);
        assert!(kept.0.yaml.get().is_some());
        let holder = kept.share();
        assert_eq!(printed(&holder), want);

        // A write copies the shared tree and drops the text; the other holder keeps both.
        let mut changed = holder;
        changed["spec"]["d"] = json!("c");
        assert!(changed.0.yaml.get().is_none());
        assert_eq!(
            printed(&changed),
            format!("before\n{}", mesh_core::to_yaml_string(&changed))
        );
        assert_eq!(printed(&kept), want);

        // A write to the only holder drops the text too.
        let mut only = SharedValue::keeping_yaml(json!({"a": 1}));
        printed(&only);
        only["a"] = json!(2);
        assert_eq!(printed(&only), "before\na: 2\n");
    }

    #[test]
    fn plain_trees_keep_no_text() {
        let v = SharedValue::new(json!({"a": 1}));
        assert_eq!(printed(&v), "before\na: 1\n");
        assert!(v.0.yaml.get().is_none());
    }
}
