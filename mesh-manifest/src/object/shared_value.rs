//! A value tree shared by the objects that hold it, copied on the first write; a tree known when
//! mesh is built (an embedded CRD) comes with its YAML text and is parsed only when read.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};

use mesh_core::Value;

use super::pointer_get;

/// A value tree shared by the objects that hold it, copied on the first write (copy on write).
///
/// Reading goes through [`Deref`] to [`Value`]. Writing goes through [`DerefMut`] (as in
/// `object.value["x"] = ...`, or `&mut object.value` passed where a `&mut Value` is expected),
/// which first copies the tree when another holder still shares it, so sharing is never
/// visible. What a manifest is mostly made of, the CRDs, is built when mesh is built, printed
/// then, and shared this way instead of being built and printed for every render.
///
/// There is no `Clone` on purpose: `shared.clone()` resolves to [`Value::clone`] and gives an
/// owned [`Value`], as it did when objects held a plain [`Value`]; [`SharedValue::share`] is
/// the cheap copy.
pub struct SharedValue(Arc<Tree>);

/// What the holders of a [`SharedValue`] share.
enum Tree {
    /// A tree built at run time.
    Owned {
        /// The tree.
        value: Value,
        /// Whether the YAML text is kept once printed ([`SharedValue::keeping_yaml`]).
        keeps_yaml: bool,
        /// The YAML document of `value`, set by the first print when `keeps_yaml`.
        yaml: OnceLock<String>,
    },
    /// A tree built when mesh was built.
    Prebuilt(&'static Prebuilt),
}

impl Tree {
    fn owned(value: Value, keeps_yaml: bool) -> Self {
        Tree::Owned {
            value,
            keeps_yaml,
            yaml: OnceLock::new(),
        }
    }

    fn value(&self) -> &Value {
        match self {
            Tree::Owned { value, .. } => value,
            Tree::Prebuilt(prebuilt) => prebuilt.tree(),
        }
    }
}

impl Clone for Tree {
    /// Trees are copied only to be changed, so the copy of an owned tree keeps no text; a
    /// prebuilt one stays prebuilt until the write ([`SharedValue::deref_mut`]) makes it owned.
    fn clone(&self) -> Self {
        match self {
            Tree::Owned { value, .. } => Tree::owned(value.clone(), false),
            Tree::Prebuilt(prebuilt) => Tree::Prebuilt(prebuilt),
        }
    }
}

/// A value tree known when mesh is built (by `build.rs`), as static text: its JSON form, parsed
/// on the first read and then kept for the whole process, its YAML document, and the text
/// fields at a few JSON pointers (kind, name, group), which answer those reads without parsing
/// the tree.
pub(crate) struct Prebuilt {
    json: &'static str,
    yaml: &'static str,
    /// The pointers [`Prebuilt::fields`] answers for.
    summarized: &'static [&'static str],
    /// The text at each pointer of `summarized` that the tree has, as (pointer, text).
    fields: &'static [(&'static str, &'static str)],
    tree: OnceLock<Value>,
    /// `fields` as values, made on the first read.
    field_values: OnceLock<Vec<Value>>,
}

impl Prebuilt {
    /// A prebuilt tree from its texts: `json` (the whole tree), `yaml` (its document as
    /// [`mesh_core::yaml_emit::emit_into`] prints it), and `fields`: the text at each pointer of
    /// `summarized` that the tree has (a pointer left out has no value there). `build.rs` writes
    /// them and checks that the JSON reads back to the very tree it printed.
    pub(crate) const fn new(
        json: &'static str,
        yaml: &'static str,
        summarized: &'static [&'static str],
        fields: &'static [(&'static str, &'static str)],
    ) -> Self {
        Prebuilt {
            json,
            yaml,
            summarized,
            fields,
            tree: OnceLock::new(),
            field_values: OnceLock::new(),
        }
    }

    /// The whole tree, parsed on the first call.
    pub(crate) fn tree(&self) -> &Value {
        self.tree.get_or_init(|| parse(self.json))
    }

    /// The YAML document of the tree.
    pub(crate) fn yaml(&self) -> &'static str {
        self.yaml
    }

    /// The value at `pointer`, as [`pointer_get`] on [`Prebuilt::tree`] gives it, answered from
    /// the summarized fields for their pointers.
    fn lookup(&self, pointer: &str) -> Option<&Value> {
        if self.tree.get().is_some() || !self.summarized.contains(&pointer) {
            return pointer_get(self.tree(), pointer);
        }
        let i = self.fields.iter().position(|(p, _)| *p == pointer)?;
        let values = self.field_values.get_or_init(|| {
            self.fields
                .iter()
                .map(|(_, text)| Value::String((*text).to_string()))
                .collect()
        });
        values.get(i)
    }
}

/// Parses a JSON text `build.rs` wrote and read back successfully when mesh was built.
fn parse(json: &str) -> Value {
    serde_json::from_str(json)
        .unwrap_or_else(|e| panic!("mesh's build wrote JSON it cannot read back: {e}"))
}

impl SharedValue {
    /// Wraps an owned value tree.
    pub fn new(value: Value) -> Self {
        SharedValue(Arc::new(Tree::owned(value, false)))
    }

    /// Wraps a tree that is built once and printed many times (a CRD relabelled at run time):
    /// the first [`SharedValue::write_yaml`] keeps the text, later ones copy it. Writing to the
    /// tree drops the text.
    pub fn keeping_yaml(value: Value) -> Self {
        SharedValue(Arc::new(Tree::owned(value, true)))
    }

    /// A holder of a tree built when mesh was built: nothing is parsed or printed until a read
    /// needs more than [`SharedValue::lookup`] can answer from the summary.
    pub(crate) fn prebuilt(prebuilt: &'static Prebuilt) -> Self {
        SharedValue(Arc::new(Tree::Prebuilt(prebuilt)))
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
            Ok(Tree::Owned { value, .. }) => value,
            Ok(Tree::Prebuilt(prebuilt)) => prebuilt.tree().clone(),
            Err(shared) => shared.value().clone(),
        }
    }

    /// The value at JSON pointer `pointer` (as [`Value::pointer`]), answered for a prebuilt
    /// tree without parsing it when the field is a small one.
    pub(crate) fn lookup(&self, pointer: &str) -> Option<&Value> {
        match &*self.0 {
            Tree::Prebuilt(prebuilt) => prebuilt.lookup(pointer),
            Tree::Owned { value, .. } => pointer_get(value, pointer),
        }
    }

    /// The tree's YAML document when it is printed already (when mesh was built, or kept by
    /// [`SharedValue::keeping_yaml`] from an earlier print): the same text
    /// [`SharedValue::write_yaml`] appends, without a copy.
    pub fn printed_yaml(&self) -> Option<&str> {
        match &*self.0 {
            Tree::Prebuilt(prebuilt) => Some(prebuilt.yaml()),
            Tree::Owned { yaml, .. } => yaml.get().map(String::as_str),
        }
    }

    /// Appends the tree as one YAML document ([`mesh_core::yaml_emit::emit_into`]) to `out`.
    /// A prebuilt tree's text was printed when mesh was built; a tree made with
    /// [`SharedValue::keeping_yaml`] is printed once per process, later calls copy the kept
    /// text, which is the same text.
    pub fn write_yaml(&self, out: &mut String) {
        match &*self.0 {
            Tree::Prebuilt(prebuilt) => out.push_str(prebuilt.yaml()),
            Tree::Owned {
                value,
                keeps_yaml: false,
                ..
            } => mesh_core::yaml_emit::emit_into(out, value),
            Tree::Owned {
                value,
                keeps_yaml: true,
                yaml,
            } => match yaml.get() {
                Some(text) => out.push_str(text),
                None => {
                    let start = out.len();
                    mesh_core::yaml_emit::emit_into(out, value);
                    // Another thread may have kept the same text first; either copy will do.
                    let _ = yaml.set(out[start..].to_string());
                }
            },
        }
    }
}

impl Deref for SharedValue {
    type Target = Value;

    fn deref(&self) -> &Value {
        self.0.value()
    }
}

impl DerefMut for SharedValue {
    /// Copies the tree first when another holder shares it, and drops any kept text.
    fn deref_mut(&mut self) -> &mut Value {
        let tree = Arc::make_mut(&mut self.0);
        if let Tree::Prebuilt(prebuilt) = tree {
            *tree = Tree::owned(prebuilt.tree().clone(), false);
        }
        match tree {
            Tree::Owned {
                value,
                keeps_yaml,
                yaml,
            } => {
                yaml.take();
                *keeps_yaml = false;
                value
            }
            Tree::Prebuilt(_) => unreachable!("made an owned tree above"),
        }
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
        fmt::Debug::fmt(self.0.value(), f)
    }
}

impl PartialEq for SharedValue {
    fn eq(&self, other: &Self) -> bool {
        self.is_shared_with(other) || self.0.value() == other.0.value()
    }
}

impl Eq for SharedValue {}

impl PartialEq<Value> for SharedValue {
    fn eq(&self, other: &Value) -> bool {
        self.0.value() == other
    }
}

impl PartialEq<SharedValue> for Value {
    fn eq(&self, other: &SharedValue) -> bool {
        self == other.0.value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kept_text(v: &SharedValue) -> Option<&String> {
        match &*v.0 {
            Tree::Owned { yaml, .. } => yaml.get(),
            Tree::Prebuilt(_) => None,
        }
    }

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
        assert!(kept_text(&kept).is_some());
        let holder = kept.share();
        assert_eq!(printed(&holder), want);

        // A write copies the shared tree and drops the text; the other holder keeps both.
        let mut changed = holder;
        changed["spec"]["d"] = json!("c");
        assert!(kept_text(&changed).is_none());
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
    fn prebuilt_trees_are_parsed_only_for_what_the_summary_lacks() {
        static TREE: Prebuilt = Prebuilt::new(
            r#"{"kind":"K","metadata":{"name":"n"},"spec":{"big":[1,2]}}"#,
            "kind: K\n",
            &["/kind", "/metadata/name", "/metadata/namespace"],
            &[("/kind", "K"), ("/metadata/name", "n")],
        );
        let v = SharedValue::prebuilt(&TREE);
        assert_eq!(v.lookup("/kind"), Some(&json!("K")));
        assert_eq!(v.lookup("/metadata/name"), Some(&json!("n")));
        assert_eq!(v.lookup("/metadata/namespace"), None);
        assert_eq!(printed(&v), "before\nkind: K\n");
        assert!(TREE.tree.get().is_none());
        assert_eq!(v.lookup("/metadata"), Some(&json!({"name": "n"})));
        assert!(TREE.tree.get().is_some());
        assert_eq!(v.lookup("/spec/big/1"), Some(&json!(2)));

        // A write makes an owned copy: the prebuilt tree and its other holders stay.
        let other = v.share();
        let mut changed = v;
        changed["kind"] = json!("L");
        assert_eq!(
            printed(&changed),
            format!("before\n{}", mesh_core::to_yaml_string(&changed))
        );
        assert_eq!(other.lookup("/kind"), Some(&json!("K")));
        assert_eq!(other.into_value(), *TREE.tree());
    }

    #[test]
    fn plain_trees_keep_no_text() {
        let v = SharedValue::new(json!({"a": 1}));
        assert_eq!(printed(&v), "before\na: 1\n");
        assert!(kept_text(&v).is_none());
    }
}
