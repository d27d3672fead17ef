//! The values a template works on: a JSON tree plus the Go type information that changes
//! behaviour (struct or map, `float64` numbers of decoded JSON, Go's "no value" and nil).

use mesh_core::Value;
use serde_json::Number;
use std::borrow::Cow;

/// How a JSON map or number behaves, standing for the Go type it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A Go struct (Kubernetes object, ProxyConfig, template data): fields resolve with
    /// Go-name rules, a missing field is the zero value, always truthy.
    Struct,
    /// `map[string]interface{}` decoded from JSON (`.Values`, `fromJSON`): exact keys,
    /// numbers are `float64`.
    JsonMap,
    /// `map[string]string` (annotations, labels, proxy metadata): exact keys, `index` of a
    /// missing key is `""`.
    StrMap,
    /// Values built by the template itself (`list`, `dict`, constants): numbers keep the
    /// kind they were made with.
    Exact,
}

/// A template value, as functions receive and return it: a JSON tree (borrowed from the data
/// or made by the template) with the Go type it stands for, or one of Go's empty values.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    /// Go's invalid `reflect.Value` ("no value"): a missing map key; prints `<no value>`.
    NoValue,
    /// A nil interface (JSON `null`, `nil`); prints `<nil>`.
    Nil,
    /// The zero value of a struct field the data leaves out; prints as empty, falsy, and
    /// equal to `""`, `0` and `false`.
    Zero,
    /// A value of the tree.
    Json(Cow<'a, Value>, Shape),
}

impl<'a> Val<'a> {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Val<'static> {
        Val::Json(Cow::Owned(Value::String(s.into())), Shape::Exact)
    }

    /// An integer value.
    pub fn int(i: i64) -> Val<'static> {
        Val::Json(Cow::Owned(Value::Number(i.into())), Shape::Exact)
    }

    /// A float value (kept a float even when integral).
    pub fn float(f: f64) -> Val<'static> {
        match Number::from_f64(f) {
            Some(n) => Val::Json(Cow::Owned(Value::Number(n)), Shape::JsonMap),
            None => Val::Nil,
        }
    }

    /// A boolean value.
    pub fn bool(b: bool) -> Val<'static> {
        Val::Json(Cow::Owned(Value::Bool(b)), Shape::Exact)
    }

    /// An owned value made by a function.
    pub fn owned(v: Value) -> Val<'static> {
        Val::Json(Cow::Owned(v), Shape::Exact)
    }

    /// A value decoded from JSON as Go decodes into `interface{}` (numbers are `float64`,
    /// maps are `map[string]interface{}`).
    pub fn decoded(v: Value) -> Val<'static> {
        Val::Json(Cow::Owned(v), Shape::JsonMap)
    }

    /// A `map[string]string` made by a function.
    pub fn str_map(m: serde_json::Map<String, Value>) -> Val<'static> {
        Val::Json(Cow::Owned(Value::Object(m)), Shape::StrMap)
    }

    /// The JSON value, if any (null for nil).
    pub fn json(&self) -> Option<&Value> {
        match self {
            Val::Json(v, _) => Some(v),
            _ => None,
        }
    }

    /// The string, if the value is one.
    pub fn as_str(&self) -> Option<&str> {
        self.json().and_then(Value::as_str)
    }

    /// The kind of value, in Go's words (for errors).
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::NoValue => "<no value>",
            Val::Nil => "<nil>",
            Val::Zero => "zero value",
            Val::Json(v, shape) => match v.as_ref() {
                Value::Null => "<nil>",
                Value::Bool(_) => "bool",
                Value::Number(n) => match number_kind(n, *shape) {
                    Num::Int(_) => "int",
                    Num::Float(_) => "float64",
                },
                Value::String(_) => "string",
                Value::Array(_) => "[]interface {}",
                Value::Object(_) => match shape {
                    Shape::Struct => "struct",
                    Shape::StrMap => "map[string]string",
                    _ => "map[string]interface {}",
                },
            },
        }
    }

    /// The value converted to JSON for storing in a list or map the template builds
    /// (numbers that are Go floats stay floats).
    pub fn to_json(&self) -> Value {
        match self {
            Val::NoValue | Val::Nil => Value::Null,
            Val::Zero => Value::String(String::new()),
            Val::Json(v, Shape::JsonMap) => floats(v),
            Val::Json(v, _) => v.as_ref().clone(),
        }
    }
}

/// A JSON tree with every number made a float (as Go's JSON decoding gives them).
pub(crate) fn floats(v: &Value) -> Value {
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        Value::Array(a) => Value::Array(a.iter().map(floats).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), floats(v))).collect()),
        other => other.clone(),
    }
}

/// A number as Go sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    /// An integer kind.
    Int(i64),
    /// A float kind.
    Float(f64),
}

/// The Go kind of a JSON number in a value of the given shape.
pub(crate) fn number_kind(n: &Number, shape: Shape) -> Num {
    if shape == Shape::JsonMap || n.is_f64() {
        return Num::Float(n.as_f64().unwrap_or(0.0));
    }
    match n.as_i64() {
        Some(i) => Num::Int(i),
        None => Num::Float(n.as_f64().unwrap_or(0.0)),
    }
}

/// The shape of a child of a struct, by its JSON key: the Go maps of Kubernetes objects and
/// proxy config are string maps; `Values` is decoded JSON; everything else is a struct.
fn struct_child_shape(key: &str) -> Shape {
    match key {
        "Values" => Shape::JsonMap,
        "annotations" | "labels" | "proxyMetadata" | "nodeSelector" | "matchLabels" | "limits"
        | "requests" | "Annotations" | "Labels" => Shape::StrMap,
        _ => Shape::Struct,
    }
}

/// The shape of an element of a value of the given shape.
fn child_shape(parent: Shape, key: &str) -> Shape {
    match parent {
        Shape::Struct => struct_child_shape(key),
        Shape::StrMap => Shape::Exact,
        other => other,
    }
}

/// Wraps a child of a value: JSON `null` becomes nil (in a map) or the zero value (in a
/// struct, where it stands for an unset pointer or field).
pub(crate) fn child<'a>(v: Cow<'a, Value>, parent: Shape, key: &str) -> Val<'a> {
    if v.is_null() {
        return if parent == Shape::Struct {
            Val::Zero
        } else {
            Val::Nil
        };
    }
    Val::Json(v, child_shape(parent, key))
}

/// Lists elements keep the list's shape (struct lists hold structs).
pub(crate) fn element<'a>(v: Cow<'a, Value>, parent: Shape) -> Val<'a> {
    if v.is_null() {
        return Val::Nil;
    }
    let shape = if parent == Shape::StrMap {
        Shape::Exact
    } else {
        parent
    };
    Val::Json(v, shape)
}

/// The key of a struct's JSON map that a Go field name refers to: the exact name, the name
/// with a lower-case first letter, a case-insensitive match; for `GetX`, the same for `X`.
pub(crate) fn struct_key<'m>(
    map: &'m serde_json::Map<String, Value>,
    name: &str,
) -> Option<&'m str> {
    let direct = |n: &str| -> Option<&'m str> {
        if let Some((k, _)) = map.get_key_value(n) {
            return Some(k.as_str());
        }
        let mut chars = n.chars();
        let lower: String = match chars.next() {
            Some(c) => c.to_lowercase().chain(chars).collect(),
            None => return None,
        };
        if let Some((k, _)) = map.get_key_value(&lower) {
            return Some(k.as_str());
        }
        map.keys()
            .find(|k| k.eq_ignore_ascii_case(n))
            .map(String::as_str)
    };
    direct(name).or_else(|| {
        name.strip_prefix("Get")
            .filter(|r| !r.is_empty())
            .and_then(direct)
    })
}

/// Go's truth: false, 0, "", nil and empty maps, lists and strings are false; structs are
/// always true.
pub(crate) fn truth(v: &Val<'_>) -> bool {
    match v {
        Val::NoValue | Val::Nil | Val::Zero => false,
        Val::Json(j, Shape::Struct) if j.is_object() => true,
        Val::Json(j, _) => mesh_core::go::truthy(j),
    }
}

/// Follows a chain of field names.
pub(crate) fn fields<'d>(mut v: Val<'d>, chain: &[String]) -> Result<Val<'d>, String> {
    for name in chain {
        v = field(v, name)?;
    }
    Ok(v)
}

/// `.name` on a value: struct fields by Go-name rules, map keys exactly, and the getters of
/// protobuf wrappers and enums (`GetValue`, `String`) on scalars.
fn field<'d>(v: Val<'d>, name: &str) -> Result<Val<'d>, String> {
    let (j, shape) = match v {
        // Go: a field of a missing value is again missing; of a nil interface, an error.
        Val::NoValue => return Ok(Val::NoValue),
        Val::Zero => return Ok(Val::Zero),
        Val::Nil => return Err(format!("nil pointer evaluating interface {{}}.{name}")),
        Val::Json(j, shape) => (j, shape),
    };
    match j.as_ref() {
        Value::Object(m) => {
            let key = if shape == Shape::Struct {
                struct_key(m, name).map(str::to_string)
            } else {
                m.contains_key(name).then(|| name.to_string())
            };
            let Some(key) = key else {
                return Ok(if shape == Shape::Struct {
                    Val::Zero
                } else {
                    Val::NoValue
                });
            };
            let c = match j {
                Cow::Borrowed(b) => b.get(&key).map(Cow::Borrowed),
                Cow::Owned(Value::Object(mut m)) => m.remove(&key).map(Cow::Owned),
                Cow::Owned(_) => None,
            };
            Ok(match c {
                Some(c) => child(c, shape, &key),
                None => Val::NoValue,
            })
        }
        Value::Null => Err(format!("nil pointer evaluating interface {{}}.{name}")),
        scalar if !scalar.is_array() && matches!(name, "String" | "GetValue" | "Value") => {
            Ok(Val::Json(j, shape))
        }
        _ => {
            let t = Val::Json(j, shape).type_name();
            Err(format!("can't evaluate field {name} in type {t}"))
        }
    }
}
