//! A small structural schema for value trees, and the walker that checks a tree against it,
//! collecting every unknown field (with a "did you mean") and every wrong type with its path.

use crate::Value;
use crate::path::kind_name;
use crate::suggest::closest;
use std::fmt;

/// The expected shape of a value. `null` is accepted everywhere (it means "unset").
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Anything.
    Any,
    /// `true` or `false`.
    Bool,
    /// An integer.
    Int,
    /// Any number.
    Number,
    /// A string.
    String,
    /// An integer or a string (Kubernetes `IntOrString`, Helm values read either way).
    IntOrString,
    /// A boolean, number or string.
    Scalar,
    /// A list whose items have the given shape.
    List(Box<Shape>),
    /// A map with free keys whose values have the given shape.
    Map(Box<Shape>),
    /// A map with known fields only.
    Object(Vec<(String, Shape)>),
    /// A map with some known fields; any other key's value has the second shape.
    Open(Vec<(String, Shape)>, Box<Shape>),
}

impl Shape {
    /// An object shape from `(name, shape)` pairs.
    pub fn object<S: Into<String>>(fields: impl IntoIterator<Item = (S, Shape)>) -> Shape {
        Shape::Object(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A list of `item`.
    pub fn list(item: Shape) -> Shape {
        Shape::List(Box::new(item))
    }

    /// A free-key map of `value`.
    pub fn map(value: Shape) -> Shape {
        Shape::Map(Box::new(value))
    }

    fn describe(&self) -> &'static str {
        match self {
            Shape::Any => "anything",
            Shape::Bool => "a boolean",
            Shape::Int => "an integer",
            Shape::Number => "a number",
            Shape::String => "a string",
            Shape::IntOrString => "an integer or a string",
            Shape::Scalar => "a boolean, number or string",
            Shape::List(_) => "a list",
            Shape::Map(_) | Shape::Object(_) | Shape::Open(..) => "a map",
        }
    }
}

/// One problem found by [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// Dotted path of the offending field (`spec.components.pilot.k8s.replicas`).
    pub path: String,
    /// What is wrong.
    pub problem: Problem,
}

/// What is wrong at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A field the schema does not know.
    UnknownField {
        /// The closest known field name, if one is close.
        suggestion: Option<String>,
    },
    /// A value of the wrong type.
    WrongType {
        /// What the schema expects.
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            Problem::UnknownField {
                suggestion: Some(s),
            } => {
                write!(f, "{}: unknown field (did you mean {s:?}?)", self.path)
            }
            Problem::UnknownField { suggestion: None } => write!(f, "{}: unknown field", self.path),
            Problem::WrongType { expected, found } => {
                write!(f, "{}: expected {expected}, got {found}", self.path)
            }
        }
    }
}

/// Checks `value` against `shape`; `path` names the value itself (may be empty). Returns every
/// problem, in document order.
pub fn check(value: &Value, shape: &Shape, path: &str) -> Vec<SchemaError> {
    let mut out = Vec::new();
    walk(value, shape, path, &mut out);
    out
}

fn join(path: &str, key: &str) -> String {
    let key = if key.contains('.') {
        format!("[{key}]")
    } else {
        key.to_string()
    };
    if path.is_empty() {
        key
    } else if key.starts_with('[') {
        format!("{path}{key}")
    } else {
        format!("{path}.{key}")
    }
}

fn walk(value: &Value, shape: &Shape, path: &str, out: &mut Vec<SchemaError>) {
    let ok = match (shape, value) {
        (_, Value::Null) | (Shape::Any, _) => true,
        (Shape::Bool, Value::Bool(_)) => true,
        (Shape::Int, Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        (Shape::Number, Value::Number(_)) => true,
        (Shape::String, Value::String(_)) => true,
        (Shape::IntOrString, Value::String(_)) => true,
        (Shape::IntOrString, Value::Number(n)) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        (Shape::Scalar, Value::Bool(_) | Value::Number(_) | Value::String(_)) => true,
        (Shape::List(item), Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, item, &format!("{path}[{i}]"), out);
            }
            true
        }
        (Shape::Map(inner), Value::Object(m)) => {
            for (k, v) in m {
                walk(v, inner, &join(path, k), out);
            }
            true
        }
        (Shape::Open(fields, rest), Value::Object(m)) => {
            for (k, v) in m {
                let s = fields
                    .iter()
                    .find(|(name, _)| name == k)
                    .map_or(&**rest, |(_, s)| s);
                walk(v, s, &join(path, k), out);
            }
            true
        }
        (Shape::Object(fields), Value::Object(m)) => {
            for (k, v) in m {
                match fields.iter().find(|(name, _)| name == k) {
                    Some((_, s)) => walk(v, s, &join(path, k), out),
                    None => out.push(SchemaError {
                        path: join(path, k),
                        problem: Problem::UnknownField {
                            suggestion: closest(k, fields.iter().map(|(n, _)| n.as_str()))
                                .map(str::to_string),
                        },
                    }),
                }
            }
            true
        }
        _ => false,
    };
    if !ok {
        out.push(SchemaError {
            path: if path.is_empty() {
                "<root>".to_string()
            } else {
                path.to_string()
            },
            problem: Problem::WrongType {
                expected: shape.describe(),
                found: kind_name(value),
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shape() -> Shape {
        Shape::object([
            ("name", Shape::String),
            ("replicas", Shape::Int),
            ("labels", Shape::map(Shape::String)),
            (
                "ports",
                Shape::list(Shape::object([
                    ("port", Shape::Int),
                    ("targetPort", Shape::IntOrString),
                ])),
            ),
        ])
    }

    #[test]
    fn accepts_valid_and_null() {
        let v = json!({"name": "x", "replicas": 2, "labels": {"a.b/c": "d"}, "ports": [{"port": 80, "targetPort": "http"}]});
        assert!(check(&v, &shape(), "spec").is_empty());
        assert!(check(&json!({"name": null}), &shape(), "spec").is_empty());
    }

    #[test]
    fn collects_every_problem_with_paths_and_suggestions() {
        let v = json!({"nmae": "x", "replicas": "two", "labels": {"k": {"x": 1}}, "ports": [{"prot": 80}], "zzzzzz": 1});
        let errs: Vec<String> = check(&v, &shape(), "spec")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errs,
            vec![
                "spec.labels.k: expected a string, got map",
                "spec.nmae: unknown field (did you mean \"name\"?)",
                "spec.ports[0].prot: unknown field (did you mean \"port\"?)",
                "spec.replicas: expected an integer, got string",
                "spec.zzzzzz: unknown field",
            ]
        );
    }

    #[test]
    fn open_objects_check_known_and_other_keys() {
        let shape = Shape::Open(
            vec![("known".into(), Shape::Any)],
            Box::new(Shape::object([("port", Shape::Int)])),
        );
        assert!(check(&json!({"known": {"x": 1}, "gw": {"port": 1}}), &shape, "").is_empty());
        let errs = check(&json!({"gw": {"prot": 1}}), &shape, "g");
        assert_eq!(
            errs[0].to_string(),
            "g.gw.prot: unknown field (did you mean \"port\"?)"
        );
    }

    #[test]
    fn keys_with_dots_are_bracketed() {
        let errs = check(
            &json!({"a.b": 1}),
            &Shape::object([("x", Shape::Any)]),
            "values",
        );
        assert_eq!(errs[0].path, "values[a.b]");
    }
}
