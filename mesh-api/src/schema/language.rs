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
/// Key of a refinement: the type it refines, constrained by the other `_` keys beside it.
const IS_KEY: &str = "_is";
/// Suffix of a field name that makes the field required.
const REQUIRED_SUFFIX: char = '!';
/// Suffix of a type written as text that also allows `null`.
const NULLABLE_SUFFIX: char = '?';

/// The keys that give a type written as a map its shape.
const STRUCTURE_KEYS: [&str; 5] = [WITH_KEY, OPEN_KEY, LIST_KEY, KEYS_KEY, IS_KEY];

/// The constraint keys any type written as a map may carry.
const CONSTRAINT_KEYS: [&str; 10] = [
    "_enum",
    "_pattern",
    "_format",
    "_min",
    "_max",
    "_nullable",
    "_default",
    "_listType",
    "_rules",
    "_oneOf",
];

/// The keys a CEL rule may have.
const RULE_KEYS: [&str; 6] = [
    "rule",
    "message",
    "messageExpression",
    "fieldPath",
    "reason",
    "optionalOldSelf",
];

/// A named type or rule set with the file that defines it.
#[derive(Debug)]
struct Defined {
    source: String,
    def: Value,
}

/// A set of named types and named rule sets, gathered from one or more type files.
#[derive(Debug, Default)]
pub(super) struct TypeTable {
    types: BTreeMap<String, Defined>,
    rules: BTreeMap<String, Defined>,
}

impl TypeTable {
    /// Adds the `types:` map (and the optional `rules:` map) of one parsed type file; `source`
    /// names the file in errors.
    pub(super) fn add_file(&mut self, doc: &Value, source: &str) -> Result<(), String> {
        let types = doc
            .get("types")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{source}: expected a `types:` map"))?;
        add_named(&mut self.types, types, "types", source)?;
        match doc.get("rules") {
            None => Ok(()),
            Some(Value::Object(rules)) => {
                add_named(&mut self.rules, rules, "rules", source)?;
                for (name, def) in rules {
                    let at = format!("{source}: rules.{name}");
                    match def {
                        Value::Array(list) => list.iter().try_for_each(|r| check_rule(r, &at))?,
                        rule => check_rule(rule, &at)?,
                    }
                }
                Ok(())
            }
            Some(_) => Err(format!("{source}: rules: expected a map of named rules")),
        }
    }

    /// Expands the named type `name` into a schema.
    pub(super) fn expand_named(&self, name: &str) -> Result<Value, String> {
        let def = self.lookup(name, None)?;
        self.expand(&def.def, Loc::root(name, &def.source), 0)
    }

    /// The definition of the named type `name`; `at` is where it is used, if anywhere.
    fn lookup(&self, name: &str, at: Option<Loc<'_>>) -> Result<&Defined, String> {
        self.types.get(name).ok_or_else(|| {
            let here = at.map(|at| format!("{at}: ")).unwrap_or_default();
            format!(
                "{here}unknown type `{name}`{}",
                did_you_mean(name, self.types.keys().map(String::as_str))
            )
        })
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
            Value::Object(fields) => {
                let mut schema = if let Some(base) = fields.get(IS_KEY) {
                    if let Some(field) = fields.keys().find(|k| !k.starts_with('_')) {
                        return Err(format!(
                            "{at}.{field}: a `{IS_KEY}` refinement has no fields of its own"
                        ));
                    }
                    self.expand(base, at, depth + 1)?
                } else if fields.contains_key(LIST_KEY) {
                    self.expand_keyed_list(fields, at, depth)?
                } else {
                    self.expand_object(fields, at, depth)?
                };
                self.constrain(&mut schema, fields, at)?;
                Ok(schema)
            }
            other => Err(format!("{at}: not a type: {other}")),
        }
    }

    /// Expands a type written as text: a scalar, `map<T>`, a type name, any of them with `?`.
    fn expand_text(&self, text: &str, at: Loc<'_>, depth: usize) -> Result<Value, String> {
        if let Some(inner) = text.strip_suffix(NULLABLE_SUFFIX) {
            let mut schema = self.expand_text(inner.trim(), at, depth + 1)?;
            schema["nullable"] = true.into();
            return Ok(schema);
        }
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
        let def = self.lookup(text, Some(at))?;
        self.expand(&def.def, Loc::root(text, &def.source), depth + 1)
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
        let mut required = Vec::new();
        for (name, (ty, needed)) in collected {
            let schema = self.expand(ty, at.field(name), depth + 1)?;
            properties.insert(name.to_string(), schema);
            if needed {
                required.push(Value::from(name));
            }
        }
        let mut schema = Map::new();
        schema.insert("type".into(), "object".into());
        if !properties.is_empty() {
            schema.insert("properties".into(), Value::Object(properties));
        }
        if !required.is_empty() {
            schema.insert("required".into(), Value::Array(required));
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
        if let Some(other) = fields
            .keys()
            .find(|k| *k != LIST_KEY && *k != KEYS_KEY && !CONSTRAINT_KEYS.contains(&k.as_str()))
        {
            return Err(format!(
                "{at}.{other}: a keyed list has only `{LIST_KEY}`, `{KEYS_KEY}` and constraints"
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
        let mut required = items
            .get("required")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for key in &keys {
            if !required.iter().any(|r| r == key) {
                required.push(Value::from(*key));
            }
        }
        items["required"] = Value::Array(required);
        Ok(object([
            ("type", "array".into()),
            ("items", items),
            ("x-kubernetes-list-type", "map".into()),
            ("x-kubernetes-list-map-keys", json!(keys)),
        ]))
    }

    /// Gathers the fields of an object type into `out` (later definitions win) with whether each
    /// is required, and says whether the object is open.
    fn collect_fields<'a>(
        &'a self,
        fields: &'a Map<String, Value>,
        at: Loc<'_>,
        depth: usize,
        out: &mut BTreeMap<&'a str, (&'a Value, bool)>,
    ) -> Result<bool, String> {
        if depth > MAX_DEPTH {
            return Err(format!("{at}: `{WITH_KEY}` nests too deep"));
        }
        let mut open = false;
        if let Some(with) = fields.get(WITH_KEY) {
            for name in with_names(with, at)? {
                let def = self.lookup(name, Some(at.field(WITH_KEY)))?;
                let included = def
                    .def
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
            if name.starts_with('_') {
                continue;
            }
            match name.strip_suffix(REQUIRED_SUFFIX) {
                Some(bare) => out.insert(bare, (ty, true)),
                None => out.insert(name.as_str(), (ty, false)),
            };
        }
        Ok(open)
    }

    /// Adds the constraint keys of a type written as a map to its expanded `schema`.
    fn constrain(
        &self,
        schema: &mut Value,
        fields: &Map<String, Value>,
        at: Loc<'_>,
    ) -> Result<(), String> {
        for (key, value) in fields {
            let here = || format!("{at}.{key}");
            match key.as_str() {
                "_enum" if value.is_array() => schema["enum"] = value.clone(),
                "_pattern" | "_format" if value.is_string() => {
                    schema[&key[1..]] = value.clone();
                }
                "_min" | "_max" => {
                    let keyword = bound_keyword(schema, key == "_min")
                        .ok_or_else(|| format!("{}: the type has no size to bound", here()))?;
                    if !value.is_number() {
                        return Err(format!("{}: expected a number", here()));
                    }
                    schema[keyword] = value.clone();
                }
                "_nullable" if value.is_boolean() => schema["nullable"] = value.clone(),
                "_default" => schema["default"] = value.clone(),
                "_listType" => match (value.as_str(), schema.get("type")) {
                    (Some("set" | "atomic"), Some(Value::String(t))) if t == "array" => {
                        schema["x-kubernetes-list-type"] = value.clone();
                    }
                    _ => return Err(format!("{}: expected set or atomic, on a list", here())),
                },
                "_rules" => {
                    let rules = self.rules_of(value, at)?;
                    match schema.get_mut("x-kubernetes-validations") {
                        Some(Value::Array(existing)) => existing.extend(rules),
                        _ => schema["x-kubernetes-validations"] = Value::Array(rules),
                    }
                }
                "_oneOf" => {
                    let (keyword, groups) = one_of_groups(value, schema, at)?;
                    schema[keyword] = groups;
                }
                "_enum" | "_pattern" | "_format" | "_nullable" => {
                    return Err(format!("{}: wrong kind of value: {value}", here()));
                }
                _ if STRUCTURE_KEYS.contains(&key.as_str()) || !key.starts_with('_') => {}
                _ => {
                    let known = CONSTRAINT_KEYS.into_iter().chain(STRUCTURE_KEYS);
                    return Err(format!(
                        "{at}: unknown key `{key}`{}",
                        did_you_mean(key, known)
                    ));
                }
            }
        }
        Ok(())
    }

    /// The CEL rules a `_rules` list names or writes inline.
    fn rules_of(&self, value: &Value, at: Loc<'_>) -> Result<Vec<Value>, String> {
        let list = value
            .as_array()
            .ok_or_else(|| format!("{at}._rules: expected a list of rules or rule names"))?;
        let mut rules = Vec::new();
        for entry in list {
            match entry {
                Value::String(name) => {
                    let def = self.rules.get(name).ok_or_else(|| {
                        format!(
                            "{at}._rules: unknown rule `{name}`{}",
                            did_you_mean(name, self.rules.keys().map(String::as_str))
                        )
                    })?;
                    match &def.def {
                        Value::Array(named) => rules.extend(named.iter().cloned()),
                        rule => rules.push(rule.clone()),
                    }
                }
                rule => {
                    check_rule(rule, &format!("{at}._rules"))?;
                    rules.push(rule.clone());
                }
            }
        }
        Ok(rules)
    }
}

/// Adds the entries of a `types:` or `rules:` map, refusing names defined twice.
fn add_named(
    table: &mut BTreeMap<String, Defined>,
    entries: &Map<String, Value>,
    section: &str,
    source: &str,
) -> Result<(), String> {
    for (name, def) in entries {
        if !starts_uppercase(name) {
            return Err(format!(
                "{source}: {section}.{name}: names start upper-case"
            ));
        }
        let defined = Defined {
            source: source.to_string(),
            def: def.clone(),
        };
        if let Some(first) = table.insert(name.clone(), defined) {
            return Err(format!(
                "{source}: {section}.{name}: defined twice (first in {})",
                first.source
            ));
        }
    }
    Ok(())
}

/// Checks that `rule` is a CEL rule: a map with a `rule` text and only known keys.
fn check_rule(rule: &Value, at: &str) -> Result<(), String> {
    let map = rule
        .as_object()
        .ok_or_else(|| format!("{at}: expected a rule map, got {rule}"))?;
    if !map.get("rule").is_some_and(Value::is_string) {
        return Err(format!("{at}: a rule needs a `rule` text"));
    }
    match map.keys().find(|k| !RULE_KEYS.contains(&k.as_str())) {
        Some(key) => Err(format!(
            "{at}: unknown rule key `{key}`{}",
            did_you_mean(key, RULE_KEYS)
        )),
        None => Ok(()),
    }
}

/// The keyword `_min` (or `_max`) sets for the expanded `schema`: the natural size of its type.
fn bound_keyword(schema: &Value, min: bool) -> Option<&'static str> {
    let keyword = match (schema.get("type")?.as_str()?, min) {
        ("integer" | "number", true) => "minimum",
        ("integer" | "number", false) => "maximum",
        ("string", true) => "minLength",
        ("string", false) => "maxLength",
        ("array", true) => "minItems",
        ("array", false) => "maxItems",
        ("object", true) => "minProperties",
        ("object", false) => "maxProperties",
        _ => return None,
    };
    Some(keyword)
}

/// The keyword and value of `_oneOf: [[a, b], ...]`: per group, at most one of its fields is
/// set. One group is a `oneOf`; several are an `allOf` of one `oneOf` each.
fn one_of_groups(
    value: &Value,
    schema: &Value,
    at: Loc<'_>,
) -> Result<(&'static str, Value), String> {
    let bad = || format!("{at}._oneOf: expected a list of lists of field names");
    let groups = value.as_array().ok_or_else(bad)?;
    let mut all = Vec::new();
    for group in groups {
        let names = group.as_array().ok_or_else(bad)?;
        let mut each = Vec::new();
        for name in names {
            let name = name.as_str().ok_or_else(bad)?;
            if schema.pointer(&format!("/properties/{name}")).is_none() {
                return Err(format!("{at}._oneOf: no field `{name}`"));
            }
            each.push(json!({"required": [name]}));
        }
        let mut one_of = vec![json!({"not": {"anyOf": each.clone()}})];
        one_of.extend(each);
        all.push(Value::Array(one_of));
    }
    match <[Value; 1]>::try_from(all) {
        Ok([one]) => Ok(("oneOf", one)),
        Err(all) => Ok((
            "allOf",
            all.into_iter().map(|g| object([("oneOf", g)])).collect(),
        )),
    }
}

/// ` (did you mean `x`?)` when a known name is close to `name`, else nothing.
fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    mesh_core::suggest::closest(name, known)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// A location inside a type being expanded (`HttpRoute.match[].uri`), kept as a chain of
/// segments and printed only when an error needs it, after the file defining the type.
#[derive(Clone, Copy)]
struct Loc<'a> {
    parent: Option<&'a Loc<'a>>,
    /// The file defining the named type at the root of the chain.
    source: &'a str,
    /// `.` before a field name, empty otherwise.
    separator: &'static str,
    segment: &'a str,
}

impl<'a> Loc<'a> {
    /// The location of the named type `name`, defined in `source`.
    fn root(name: &'a str, source: &'a str) -> Self {
        Loc {
            parent: None,
            source,
            separator: "",
            segment: name,
        }
    }

    /// The location `segment` (`[]` or `{}`) below this one.
    fn child<'b>(&'b self, segment: &'static str) -> Loc<'b> {
        Loc {
            parent: Some(self),
            source: self.source,
            separator: "",
            segment,
        }
    }

    /// The location of field `name` below this one.
    fn field<'b>(&'b self, name: &'b str) -> Loc<'b> {
        Loc {
            parent: Some(self),
            source: self.source,
            separator: ".",
            segment: name,
        }
    }

    fn fmt_path(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.parent {
            Some(parent) => parent.fmt_path(f)?,
            None => write!(f, "{}: types.", self.source)?,
        }
        f.write_str(self.separator)?;
        f.write_str(self.segment)
    }
}

impl std::fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.fmt_path(f)
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
        "uint32" => json!({"type": "integer", "minimum": 0, "maximum": 4_294_967_295_u64}),
        "double" => json!({"type": "number", "format": "double"}),
        "bytes" => json!({"type": "string", "format": "byte"}),
        "time" => json!({"type": "string", "format": "date-time"}),
        "intstr" => json!({
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "x-kubernetes-int-or-string": true,
        }),
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

    /// Asserts that expanding `name` fails with an error containing every one of `parts`.
    fn expect_error(t: &TypeTable, name: &str, parts: &[&str]) {
        let err = t.expand_named(name).unwrap_err();
        assert!(parts.iter().all(|p| err.contains(p)), "{err}");
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
    fn bang_marks_required_fields_and_with_carries_it() {
        let t = table(
            "types:\n  B:\n    id!: string\n  T:\n    _with: B\n    host!: string\n    port: int\n",
        );
        let s = t.expand_named("T").unwrap();
        assert_eq!(s["required"], json!(["host", "id"]));
        assert_eq!(s["properties"]["host"], json!({"type": "string"}));
        assert!(s["properties"].get("host!").is_none());
    }

    #[test]
    fn min_and_max_bound_the_natural_size_of_each_type() {
        let t = table(concat!(
            "types:\n  T:\n",
            "    n: {_is: int, _min: 1, _max: 9}\n",
            "    s: {_is: string, _min: 1, _max: 63}\n",
            "    l: {_is: [string], _min: 1, _max: 16}\n",
            "    m: {_is: map<string>, _max: 256}\n",
        ));
        let p = &t.expand_named("T").unwrap()["properties"];
        assert_eq!(
            p["n"],
            json!({"type": "integer", "minimum": 1, "maximum": 9})
        );
        assert_eq!(
            p["s"],
            json!({"type": "string", "minLength": 1, "maxLength": 63})
        );
        assert_eq!(p["l"]["minItems"], json!(1));
        assert_eq!(p["l"]["maxItems"], json!(16));
        assert_eq!(p["m"]["maxProperties"], json!(256));
        let bad = table("types:\n  T:\n    b: {_is: bool, _max: 1}\n");
        expect_error(&bad, "T", &["test: types.T.b._max", "no size"]);
    }

    #[test]
    fn enums_patterns_formats_defaults_nullables_and_unsigned_ints() {
        let t = table(concat!(
            "types:\n  Mode: {_is: string, _enum: [A, B]}\n  T:\n",
            "    mode: Mode\n",
            "    name: {_is: string, _pattern: \"^[a-z]+$\"}\n",
            "    on: bool?\n",
            "    weight: uint32?\n",
            "    tags: {_is: [string], _listType: set}\n",
            "    level: {_is: string, _default: INFO}\n",
            "    host: {_is: string, _format: hostname}\n",
        ));
        let p = &t.expand_named("T").unwrap()["properties"];
        assert_eq!(p["mode"], json!({"type": "string", "enum": ["A", "B"]}));
        assert_eq!(p["name"]["pattern"], json!("^[a-z]+$"));
        assert_eq!(p["on"], json!({"type": "boolean", "nullable": true}));
        assert_eq!(
            p["weight"],
            json!({"type": "integer", "minimum": 0, "maximum": 4_294_967_295_u64, "nullable": true})
        );
        assert_eq!(p["tags"]["x-kubernetes-list-type"], json!("set"));
        assert_eq!(p["level"]["default"], json!("INFO"));
        assert_eq!(p["host"], json!({"type": "string", "format": "hostname"}));
    }

    #[test]
    fn rules_are_named_or_inline_and_refinements_add_to_them() {
        let t = table(concat!(
            "rules:\n",
            "  Short: {rule: \"self.size() < 9\", message: short}\n",
            "  Pair:\n    - {rule: \"a\", message: one}\n    - {rule: \"b\", message: two}\n",
            "types:\n",
            "  Name: {_is: string, _rules: [Short]}\n",
            "  T:\n",
            "    _rules: [Pair]\n",
            "    n: {_is: Name, _rules: [{rule: \"self != 'x'\", message: notx}]}\n",
        ));
        let s = t.expand_named("T").unwrap();
        let messages = |v: &Value| -> Vec<Value> {
            v["x-kubernetes-validations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["message"].clone())
                .collect()
        };
        assert_eq!(messages(&s), vec![json!("one"), json!("two")]);
        assert_eq!(
            messages(&s["properties"]["n"]),
            vec![json!("short"), json!("notx")]
        );
        let bad =
            table("types:\n  T: {_is: string, _rules: [Shrot]}\nrules:\n  Short: {rule: x}\n");
        expect_error(&bad, "T", &["unknown rule `Shrot`", "did you mean `Short`"]);
        let doc = mesh_core::from_yaml_str("types: {}\nrules:\n  R: {rule: x, mesage: m}\n", "f")
            .unwrap();
        let err = TypeTable::default().add_file(&doc, "f").unwrap_err();
        assert!(
            err.contains("f: rules.R") && err.contains("did you mean `message`"),
            "{err}"
        );
    }

    #[test]
    fn one_of_groups_allow_at_most_one_field_each() {
        let t = table(concat!(
            "types:\n",
            "  One: {_oneOf: [[a, b]], a: string, b: string}\n",
            "  Two: {_oneOf: [[a, b], [c, d]], a: string, b: string, c: int, d: int}\n",
            "  Bad: {_oneOf: [[a, z]], a: string}\n",
        ));
        let one = t.expand_named("One").unwrap();
        assert_eq!(
            one["oneOf"],
            json!([
                {"not": {"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}},
                {"required": ["a"]},
                {"required": ["b"]},
            ])
        );
        assert!(one.get("allOf").is_none());
        let two = t.expand_named("Two").unwrap();
        assert_eq!(two["allOf"][1]["oneOf"][2], json!({"required": ["d"]}));
        assert!(two.get("oneOf").is_none());
        expect_error(&t, "Bad", &["test: types.Bad._oneOf: no field `z`"]);
    }

    #[test]
    fn int_or_string_lists_both_types() {
        let s = table("types:\n  T: {g: intstr}\n")
            .expand_named("T")
            .unwrap();
        assert_eq!(
            s["properties"]["g"]["anyOf"],
            json!([{"type": "integer"}, {"type": "string"}])
        );
        assert!(structural_problems(&s).is_empty());
    }

    #[test]
    fn misspelt_or_misplaced_keys_are_errors_naming_file_and_path() {
        let t = table(concat!(
            "types:\n",
            "  T: {a: {_max: 3, x: string, _mx: 1}}\n",
            "  R: {_is: string, extra: int}\n",
            "  U: {a: Strng}\n",
        ));
        expect_error(&t, "T", &["test: types.T.a: unknown key `_mx`", "`_max`"]);
        expect_error(&t, "R", &["test: types.R.extra", "no fields"]);
        let v = table("types:\n  V: {_is: string, _patern: x}\n");
        expect_error(
            &v,
            "V",
            &["test: types.V: unknown key `_patern`", "`_pattern`"],
        );
        expect_error(&t, "U", &["test: types.U.a: unknown type `Strng`"]);
    }

    #[test]
    fn structural_check_reports_untyped_nodes() {
        let bad = json!({"type": "object", "properties": {"x": {"description": "d"}}});
        let problems = structural_problems(&bad);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
