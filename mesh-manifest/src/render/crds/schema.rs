//! mesh's compact CRD type language, expanded into structural `openAPIV3Schema`s.
//!
//! The language is described at the top of `crds/schemas/common.yaml`. Expansion yields a
//! structural schema in the Kubernetes sense: every node has a `type` unless it is marked
//! `x-kubernetes-int-or-string` or `x-kubernetes-preserve-unknown-fields`, objects use either
//! `properties` or `additionalProperties`, and no node carries a description.

use std::collections::BTreeMap;

use mesh_core::Value;
use serde_json::{Map, json};

/// Named types are expanded at most this deep; deeper means a type refers to itself.
const MAX_DEPTH: usize = 40;

/// Key of an object type that includes the fields of named object types.
const WITH_KEY: &str = "_with";
/// Key of an object type that keeps fields it does not list.
const OPEN_KEY: &str = "_open";
/// Key of a keyed list: a list whose items are identified by the fields under [`KEYS_KEY`].
const LIST_KEY: &str = "_list";
/// Key naming the identifying fields of a keyed list.
const KEYS_KEY: &str = "_keys";

/// A set of named types, gathered from one or more type files.
#[derive(Debug, Default)]
pub(super) struct TypeTable {
    types: BTreeMap<String, Value>,
}

impl TypeTable {
    /// Adds the `types:` map of one parsed type file; `source` names the file in errors.
    pub(super) fn add_file(&mut self, doc: &Value, source: &str) -> Result<(), String> {
        let types = doc
            .get("types")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{source}: expected a `types:` map"))?;
        for (name, def) in types {
            if !starts_uppercase(name) {
                return Err(format!(
                    "{source}: types.{name}: type names start upper-case"
                ));
            }
            if self.types.insert(name.clone(), def.clone()).is_some() {
                return Err(format!("{source}: types.{name}: defined twice"));
            }
        }
        Ok(())
    }

    /// Expands the named type `name` into a schema.
    pub(super) fn expand_named(&self, name: &str) -> Result<Value, String> {
        self.expand_text(name, Loc::root(name), 0)
    }

    /// Expands one type expression; `at` is its location, printed in errors.
    fn expand(&self, ty: &Value, at: Loc<'_>, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(format!(
                "{at}: types nest too deep (a type refers to itself?)"
            ));
        }
        match ty {
            Value::String(text) => self.expand_text(text.trim(), at, depth),
            Value::Array(items) => match items.as_slice() {
                [item] => Ok(object([
                    ("type", "array".into()),
                    ("items", self.expand(item, at.child("[]"), depth + 1)?),
                ])),
                _ => Err(format!("{at}: a list type has exactly one element type")),
            },
            Value::Object(fields) if fields.contains_key(LIST_KEY) => {
                self.expand_keyed_list(fields, at, depth)
            }
            Value::Object(fields) => self.expand_object(fields, at, depth),
            other => Err(format!("{at}: not a type: {other}")),
        }
    }

    /// Expands a type written as text: a scalar, `map<T>` or a type name.
    fn expand_text(&self, text: &str, at: Loc<'_>, depth: usize) -> Result<Value, String> {
        if let Some(schema) = scalar_schema(text) {
            return Ok(schema);
        }
        if let Some(inner) = text.strip_prefix("map<").and_then(|t| t.strip_suffix('>')) {
            let values = self.expand_text(inner.trim(), at.child("{}"), depth + 1)?;
            return Ok(object([
                ("type", "object".into()),
                ("additionalProperties", values),
            ]));
        }
        let def = self
            .types
            .get(text)
            .ok_or_else(|| format!("{at}: unknown type `{text}`"))?;
        self.expand(def, at, depth + 1)
    }

    /// Expands an object type: its listed fields plus those of any `_with` types.
    fn expand_object(
        &self,
        fields: &Map<String, Value>,
        at: Loc<'_>,
        depth: usize,
    ) -> Result<Value, String> {
        let mut collected = BTreeMap::new();
        let open = self.collect_fields(fields, at, depth, &mut collected)?;
        let mut properties = Map::new();
        for (name, ty) in collected {
            let schema = self.expand(ty, at.field(name), depth + 1)?;
            properties.insert(name.to_string(), schema);
        }
        let mut schema = Map::new();
        schema.insert("type".into(), "object".into());
        if !properties.is_empty() {
            schema.insert("properties".into(), Value::Object(properties));
        }
        if open {
            schema.insert("x-kubernetes-preserve-unknown-fields".into(), true.into());
        }
        Ok(Value::Object(schema))
    }

    /// Expands `{_list: T, _keys: [field, ...]}`: a list of objects that server-side apply
    /// merges by those fields, which every item must therefore have.
    fn expand_keyed_list(
        &self,
        fields: &Map<String, Value>,
        at: Loc<'_>,
        depth: usize,
    ) -> Result<Value, String> {
        if let Some(other) = fields.keys().find(|k| *k != LIST_KEY && *k != KEYS_KEY) {
            return Err(format!(
                "{at}.{other}: a keyed list has only `{LIST_KEY}` and `{KEYS_KEY}`"
            ));
        }
        let keys: Vec<&str> = match fields.get(KEYS_KEY).and_then(Value::as_array) {
            Some(keys) if !keys.is_empty() => keys.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if keys.is_empty() {
            return Err(format!("{at}.{KEYS_KEY}: expected a list of field names"));
        }
        let mut items = fields
            .get(LIST_KEY)
            .map(|item| self.expand(item, at.child("[]"), depth + 1))
            .transpose()?
            .unwrap_or(Value::Null);
        for key in &keys {
            if items.pointer(&format!("/properties/{key}")).is_none() {
                return Err(format!("{at}.{KEYS_KEY}: items have no field `{key}`"));
            }
        }
        items["required"] = json!(keys);
        Ok(object([
            ("type", "array".into()),
            ("items", items),
            ("x-kubernetes-list-type", "map".into()),
            ("x-kubernetes-list-map-keys", json!(keys)),
        ]))
    }

    /// Gathers the fields of an object type into `out` (later definitions win) and says
    /// whether the object is open.
    fn collect_fields<'a>(
        &'a self,
        fields: &'a Map<String, Value>,
        at: Loc<'_>,
        depth: usize,
        out: &mut BTreeMap<&'a str, &'a Value>,
    ) -> Result<bool, String> {
        if depth > MAX_DEPTH {
            return Err(format!("{at}: `{WITH_KEY}` nests too deep"));
        }
        let mut open = false;
        if let Some(with) = fields.get(WITH_KEY) {
            for name in with_names(with, at)? {
                let def = self
                    .types
                    .get(name)
                    .ok_or_else(|| format!("{at}.{WITH_KEY}: unknown type `{name}`"))?;
                let included = def
                    .as_object()
                    .ok_or_else(|| format!("{at}.{WITH_KEY}: `{name}` is not an object type"))?;
                open |= self.collect_fields(included, at, depth + 1, out)?;
            }
        }
        match fields.get(OPEN_KEY) {
            None => {}
            Some(Value::Bool(b)) => open |= *b,
            Some(_) => return Err(format!("{at}.{OPEN_KEY}: expected true or false")),
        }
        for (name, ty) in fields {
            if name != WITH_KEY && name != OPEN_KEY {
                out.insert(name.as_str(), ty);
            }
        }
        Ok(open)
    }
}

/// A location inside a type being expanded (`VirtualService.http[].match`), kept as a chain of
/// segments and printed only when an error needs it.
#[derive(Clone, Copy)]
struct Loc<'a> {
    parent: Option<&'a Loc<'a>>,
    /// `.` before a field name, empty otherwise.
    separator: &'static str,
    segment: &'a str,
}

impl<'a> Loc<'a> {
    fn root(name: &'a str) -> Self {
        Loc {
            parent: None,
            separator: "",
            segment: name,
        }
    }

    /// The location `segment` (`[]` or `{}`) below this one.
    fn child<'b>(&'b self, segment: &'static str) -> Loc<'b> {
        Loc {
            parent: Some(self),
            separator: "",
            segment,
        }
    }

    /// The location of field `name` below this one.
    fn field<'b>(&'b self, name: &'b str) -> Loc<'b> {
        Loc {
            parent: Some(self),
            separator: ".",
            segment: name,
        }
    }
}

impl std::fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        f.write_str(self.separator)?;
        f.write_str(self.segment)
    }
}

/// The type names a `_with` value lists (one name or a list of names).
fn with_names<'a>(with: &'a Value, at: Loc<'_>) -> Result<Vec<&'a str>, String> {
    let bad = || format!("{at}.{WITH_KEY}: expected a type name or a list of type names");
    match with {
        Value::String(name) => Ok(vec![name.as_str()]),
        Value::Array(names) => names.iter().map(|n| n.as_str().ok_or_else(bad)).collect(),
        _ => Err(bad()),
    }
}

/// An object value from its entries. Unlike `json!`, which copies every embedded value through
/// serde, this moves them: expansion nests deeply and copies would add up.
pub(super) fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// The schema of a built-in scalar type name, if `name` is one.
fn scalar_schema(name: &str) -> Option<Value> {
    let schema = match name {
        "string" => json!({"type": "string"}),
        "bool" => json!({"type": "boolean"}),
        "int" => json!({"type": "integer"}),
        "int32" => json!({"type": "integer", "format": "int32"}),
        "int64" => json!({"type": "integer", "format": "int64"}),
        "double" => json!({"type": "number", "format": "double"}),
        "bytes" => json!({"type": "string", "format": "byte"}),
        "time" => json!({"type": "string", "format": "date-time"}),
        "intstr" => json!({"x-kubernetes-int-or-string": true}),
        "any" => json!({"x-kubernetes-preserve-unknown-fields": true}),
        "object*" => json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
        _ => return None,
    };
    Some(schema)
}

fn starts_uppercase(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

/// Problems that make a schema non-structural, each as `path: what`.
///
/// Checks the rules mesh relies on: every node has a `type` (or is int-or-string or keeps
/// unknown fields), `properties` and `additionalProperties` are not mixed, arrays have `items`,
/// and no node carries a `description`.
pub fn structural_problems(schema: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check_node(schema, "", &mut problems);
    problems
}

fn check_node(node: &Value, at: &str, problems: &mut Vec<String>) {
    let Some(map) = node.as_object() else {
        problems.push(format!("{at}: schema node is not an object"));
        return;
    };
    let flag = |key: &str| map.get(key) == Some(&Value::Bool(true));
    let ty = map.get("type").and_then(Value::as_str);
    if ty.is_none()
        && !flag("x-kubernetes-int-or-string")
        && !flag("x-kubernetes-preserve-unknown-fields")
    {
        problems.push(format!("{at}: no type"));
    }
    if map.contains_key("description") {
        problems.push(format!("{at}: has a description"));
    }
    if let Some(props) = map.get("properties") {
        if ty != Some("object") {
            problems.push(format!("{at}: properties on a non-object"));
        }
        if map.contains_key("additionalProperties") {
            problems.push(format!("{at}: both properties and additionalProperties"));
        }
        match props.as_object() {
            Some(props) => {
                for (name, sub) in props {
                    check_node(sub, &format!("{at}.{name}"), problems);
                }
            }
            None => problems.push(format!("{at}: properties is not a map")),
        }
    }
    if let Some(extra) = map.get("additionalProperties") {
        check_node(extra, &format!("{at}{{}}"), problems);
    }
    match (ty, map.get("items")) {
        (Some("array"), Some(items)) => check_node(items, &format!("{at}[]"), problems),
        (Some("array"), None) => problems.push(format!("{at}: array without items")),
        (_, Some(_)) => problems.push(format!("{at}: items on a non-array")),
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn table(yaml: &str) -> TypeTable {
        let doc = mesh_core::from_yaml_str(yaml, "test").unwrap();
        let mut t = TypeTable::default();
        t.add_file(&doc, "test").unwrap();
        t
    }

    #[test]
    fn expands_scalars_lists_maps_and_objects() {
        let t = table(
            "types:\n  A:\n    hosts: [string]\n    port: {number: int}\n    labels: map<string>\n    free: object*\n",
        );
        let s = t.expand_named("A").unwrap();
        assert_eq!(
            s,
            json!({"type": "object", "properties": {
                "hosts": {"type": "array", "items": {"type": "string"}},
                "port": {"type": "object", "properties": {"number": {"type": "integer"}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            }})
        );
        assert!(structural_problems(&s).is_empty());
    }

    #[test]
    fn with_includes_fields_and_own_fields_win() {
        let t = table(
            "types:\n  Base:\n    _open: true\n    a: string\n    b: string\n  Top:\n    _with: Base\n    b: int\n",
        );
        let s = t.expand_named("Top").unwrap();
        assert_eq!(s["properties"]["a"], json!({"type": "string"}));
        assert_eq!(s["properties"]["b"], json!({"type": "integer"}));
        assert_eq!(s["x-kubernetes-preserve-unknown-fields"], json!(true));
    }

    #[test]
    fn named_types_nest_through_lists_and_maps() {
        let t = table("types:\n  M: {exact: string}\n  T:\n    m: map<M>\n    l: [M]\n");
        let s = t.expand_named("T").unwrap();
        assert_eq!(
            s["properties"]["m"]["additionalProperties"]["properties"]["exact"],
            json!({"type": "string"})
        );
        assert_eq!(s["properties"]["l"]["items"]["type"], json!("object"));
    }

    #[test]
    fn keyed_lists_require_their_keys() {
        let t =
            table("types:\n  T:\n    env: {_list: {name: string, value: string}, _keys: [name]}\n");
        let s = t.expand_named("T").unwrap();
        let env = &s["properties"]["env"];
        assert_eq!(env["x-kubernetes-list-type"], json!("map"));
        assert_eq!(env["x-kubernetes-list-map-keys"], json!(["name"]));
        assert_eq!(env["items"]["required"], json!(["name"]));
        assert!(structural_problems(&s).is_empty());
        let bad = table("types:\n  T:\n    env: {_list: {name: string}, _keys: [id]}\n");
        assert!(bad.expand_named("T").unwrap_err().contains("no field `id`"));
    }

    #[test]
    fn errors_name_the_location() {
        let t = table("types:\n  T:\n    a: {b: Missing}\n  Loop: {x: Loop}\n");
        let err = t.expand_named("T").unwrap_err();
        assert!(err.contains("T.a.b") && err.contains("Missing"), "{err}");
        let err = t.expand_named("Loop").unwrap_err();
        assert!(err.contains("too deep"), "{err}");
        let mut dup = TypeTable::default();
        let doc = mesh_core::from_yaml_str("types:\n  T: string\n", "f").unwrap();
        dup.add_file(&doc, "f").unwrap();
        assert!(
            dup.add_file(&doc, "g")
                .unwrap_err()
                .contains("defined twice")
        );
    }

    #[test]
    fn structural_check_reports_untyped_nodes() {
        let bad = json!({"type": "object", "properties": {"x": {"description": "d"}}});
        let problems = structural_problems(&bad);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
