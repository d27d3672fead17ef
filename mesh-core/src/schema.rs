//! A small structural schema for value trees, and the walker that checks a tree against it,
//! collecting every unknown field (with a "did you mean") and every wrong type with its path,
//! what was expected and what was given.
//!
//! Besides the JSON kinds, leaves can be typed as protobuf JSON reads them (integers in a range
//! and floats, either also written as strings; enumerations) and as Kubernetes reads them
//! (Go durations such as `30s`, resource quantities such as `500m`).

use crate::Value;
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
    /// A string; a number or boolean is accepted as its text (Helm prints it the same way).
    Text,
    /// An integer from `min` to `max`, written as a number or as a string of digits (protobuf
    /// JSON's rule for integer fields).
    Integer {
        /// The smallest value accepted.
        min: i64,
        /// The largest value accepted.
        max: i64,
    },
    /// A number, or a string holding one (protobuf JSON's rule for floating-point fields,
    /// `"NaN"` and `"Infinity"` included).
    Float,
    /// A duration string in Go's notation (`30s`, `1m30s`, `1.5h`, `0`).
    Duration,
    /// A Kubernetes resource quantity (`500m`, `128Mi`, `1e3`, `2`), as a string or a number.
    Quantity,
    /// One of the names, or an integer (protobuf JSON reads an enumeration from either).
    Enum(Vec<String>),
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

    /// An integer shape with the range of a protobuf `int32`.
    pub fn int32() -> Shape {
        Shape::Integer {
            min: i32::MIN.into(),
            max: i32::MAX.into(),
        }
    }

    /// An integer shape with the range of a protobuf `uint32`.
    pub fn uint32() -> Shape {
        Shape::Integer {
            min: 0,
            max: u32::MAX.into(),
        }
    }

    /// An integer shape with the range of a protobuf `int64`.
    pub fn int64() -> Shape {
        Shape::Integer {
            min: i64::MIN,
            max: i64::MAX,
        }
    }

    /// An enumeration of `names`.
    pub fn one_of<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Shape {
        Shape::Enum(names.into_iter().map(Into::into).collect())
    }

    /// Whether this shape is a leaf that checks its value (not a container, not `Any`).
    pub fn is_typed_leaf(&self) -> bool {
        !matches!(
            self,
            Shape::Any | Shape::List(_) | Shape::Map(_) | Shape::Object(_) | Shape::Open(..)
        )
    }

    /// What this shape expects, in words (`an integer`, `a duration such as "30s"`).
    pub fn describe(&self) -> String {
        match self {
            Shape::Any => "anything".into(),
            Shape::Bool => "a boolean".into(),
            Shape::Int | Shape::Integer { .. } => "an integer".into(),
            Shape::Number | Shape::Float => "a number".into(),
            Shape::String | Shape::Text => "a string".into(),
            Shape::IntOrString => "an integer or a string".into(),
            Shape::Scalar => "a boolean, number or string".into(),
            Shape::Duration => "a duration such as \"30s\", \"5m\" or \"1h30m\"".into(),
            Shape::Quantity => "a quantity such as \"500m\", \"2\" or \"128Mi\"".into(),
            Shape::Enum(names) => format!(
                "one of {}",
                names
                    .iter()
                    .map(|n| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Shape::List(_) => "a list".into(),
            Shape::Map(_) | Shape::Object(_) | Shape::Open(..) => "a map".into(),
        }
    }
}

/// One step on the way from a shape to one of its leaves (see [`Shape::leaves`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A known field.
    Field(String),
    /// Any key of a free-key map (or any other key of an open map).
    AnyKey,
    /// Any item of a list.
    AnyItem,
}

impl Shape {
    /// Every typed leaf below this shape (see [`Shape::is_typed_leaf`]) with the steps leading
    /// to it, in field order; `Any` subtrees hold none.
    pub fn leaves(&self) -> Vec<(Vec<Step>, &Shape)> {
        let mut out = Vec::new();
        self.collect_leaves(&mut Vec::new(), &mut out);
        out
    }

    fn collect_leaves<'a>(&'a self, at: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, &'a Shape)>) {
        let mut below = |step: Step, shape: &'a Shape, out: &mut Vec<(Vec<Step>, &'a Shape)>| {
            at.push(step);
            shape.collect_leaves(at, out);
            at.pop();
        };
        match self {
            Shape::List(item) => below(Step::AnyItem, item, out),
            Shape::Map(value) => below(Step::AnyKey, value, out),
            Shape::Object(fields) | Shape::Open(fields, _) => {
                for (name, shape) in fields {
                    below(Step::Field(name.clone()), shape, out);
                }
                if let Shape::Open(_, rest) = self {
                    below(Step::AnyKey, rest, out);
                }
            }
            leaf if leaf.is_typed_leaf() => out.push((at.clone(), leaf)),
            _ => {}
        }
    }
}

/// A value as an error message names it: `the string "two"`, `the integer -1`, `a map`.
pub fn describe_value(value: &Value) -> String {
    const LONGEST: usize = 60;
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) if n.is_f64() => format!("the number {n}"),
        Value::Number(n) => format!("the integer {n}"),
        Value::String(s) if s.chars().count() > LONGEST => {
            let head: String = s.chars().take(LONGEST).collect();
            format!("the string {head:?}... ({} characters)", s.chars().count())
        }
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
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
    /// A value of the wrong type, or out of the type's range.
    WrongType {
        /// What the schema expects (`an integer`, `one of "a", "b"`).
        expected: String,
        /// What was given (`the string "two"`, `a map`).
        found: String,
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
    let mut expected = None;
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
        (Shape::Scalar | Shape::Text, Value::Bool(_) | Value::Number(_) | Value::String(_)) => true,
        (Shape::Integer { min, max }, Value::Number(_) | Value::String(_)) => {
            match integer_of(value) {
                Some(i) if i >= i128::from(*min) && i <= i128::from(*max) => true,
                Some(_) => {
                    expected = Some(format!("an integer from {min} to {max}"));
                    false
                }
                None => false,
            }
        }
        (Shape::Float, Value::Number(_)) => true,
        (Shape::Float, Value::String(s)) => is_float_text(s),
        (Shape::Duration, Value::String(s)) => is_go_duration(s),
        (Shape::Quantity, Value::Number(_)) => true,
        (Shape::Quantity, Value::String(s)) => is_quantity(s),
        (Shape::Enum(names), Value::String(s)) => {
            let known = names.iter().any(|n| n == s);
            if !known && let Some(near) = closest(s, names.iter().map(String::as_str)) {
                expected = Some(format!("{} (did you mean {near:?}?)", shape.describe()));
            }
            known
        }
        (Shape::Enum(_), Value::Number(_)) => integer_of(value).is_some(),
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
                expected: expected.unwrap_or_else(|| shape.describe()),
                found: describe_value(value),
            },
        });
    }
}

/// The integer a number or a string of digits holds (an integral float counts).
fn integer_of(value: &Value) -> Option<i128> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .or_else(|| {
                let f = n.as_f64()?;
                // Integral floats within 2^63 convert exactly enough for a range check.
                (f.fract() == 0.0 && f.abs() < 9.3e18).then_some(f as i128)
            }),
        Value::String(s) => {
            let t = s.trim();
            let digits = t.strip_prefix('-').unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            t.parse::<i128>().ok()
        }
        _ => None,
    }
}

/// A float written as text: a decimal or exponent number, `NaN`, `Infinity` or `-Infinity`.
fn is_float_text(s: &str) -> bool {
    let t = s.trim();
    matches!(t, "NaN" | "Infinity" | "-Infinity")
        || (t.bytes().any(|b| b.is_ascii_digit())
            && t.bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
            && t.parse::<f64>().is_ok())
}

/// What follows the unsigned decimal number (`12`, `1.5`, `.5`, `5.`) `s` starts with; `None`
/// when it starts with none.
fn skip_decimal(s: &str) -> Option<&str> {
    let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
    let after = &s[int_len..];
    let Some(frac) = after.strip_prefix('.') else {
        return (int_len > 0).then_some(after);
    };
    let frac_len = frac.bytes().take_while(u8::is_ascii_digit).count();
    (int_len > 0 || frac_len > 0).then_some(&frac[frac_len..])
}

/// A duration as Go's `time.ParseDuration` reads it: an optional sign, then one or more
/// `<number><unit>` pairs (units `ns`, `us`, `µs`, `μs`, `ms`, `s`, `m`, `h`); `0` alone too.
pub fn is_go_duration(s: &str) -> bool {
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body == "0" {
        return true;
    }
    let mut rest = body;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let Some(after) = skip_decimal(rest) else {
            return false;
        };
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        if !matches!(
            &after[..unit_len],
            "ns" | "us" | "\u{b5}s" | "\u{3bc}s" | "ms" | "s" | "m" | "h"
        ) {
            return false;
        }
        rest = &after[unit_len..];
    }
    true
}

/// A Kubernetes resource quantity (`resource.ParseQuantity`'s grammar): an optional sign, a
/// decimal number (`1`, `1.5`, `.5`, `5.`), then nothing, a decimal SI suffix (`n u m k M G T P
/// E`), a binary one (`Ki Mi Gi Ti Pi Ei`) or an exponent (`e3`, `E-2`).
pub fn is_quantity(s: &str) -> bool {
    let t = s.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let Some(after) = skip_decimal(body) else {
        return false;
    };
    match after {
        "" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" | "Ki" | "Mi" | "Gi" | "Ti"
        | "Pi" | "Ei" => true,
        _ => after
            .strip_prefix(['e', 'E'])
            .map(|e| e.strip_prefix(['-', '+']).unwrap_or(e))
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())),
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
                "spec.labels.k: expected a string, got a map",
                "spec.nmae: unknown field (did you mean \"name\"?)",
                "spec.ports[0].prot: unknown field (did you mean \"port\"?)",
                "spec.replicas: expected an integer, got the string \"two\"",
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

    fn errors(value: Value, shape: &Shape) -> Vec<String> {
        check(&value, shape, "v")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn integers_take_numbers_or_digit_strings_within_range() {
        let u = Shape::uint32();
        for ok in [
            json!(3),
            json!("3"),
            json!(" 7 "),
            json!(4_294_967_295_u64),
            json!(2.0),
        ] {
            assert!(errors(ok.clone(), &u).is_empty(), "{ok}");
        }
        assert_eq!(
            errors(json!("two"), &u),
            ["v: expected an integer, got the string \"two\""]
        );
        assert_eq!(
            errors(json!(-1), &u),
            ["v: expected an integer from 0 to 4294967295, got the integer -1"]
        );
        assert_eq!(
            errors(json!(1.5), &Shape::int32()),
            ["v: expected an integer, got the number 1.5"]
        );
        assert_eq!(
            errors(json!(true), &Shape::int64()),
            ["v: expected an integer, got the boolean true"]
        );
        assert!(errors(json!("-12"), &Shape::int32()).is_empty());
    }

    #[test]
    fn floats_take_numbers_or_numeric_strings() {
        for ok in [
            json!(1),
            json!(0.5),
            json!("0.25"),
            json!("1e-3"),
            json!("NaN"),
        ] {
            assert!(errors(ok.clone(), &Shape::Float).is_empty(), "{ok}");
        }
        assert_eq!(
            errors(json!("abc"), &Shape::Float),
            ["v: expected a number, got the string \"abc\""]
        );
        assert_eq!(errors(json!("inf"), &Shape::Float).len(), 1);
    }

    #[test]
    fn durations_follow_go() {
        for ok in [
            "30s",
            "1m30s",
            "1.5h",
            "0",
            "-2ms",
            "300us",
            "1\u{b5}s",
            ".5s",
            "1h2m3s4ms",
        ] {
            assert!(is_go_duration(ok), "{ok}");
        }
        for bad in ["", "30", "abc", "1d", "s", "1 s", "1.s.", "--1s", "1sm"] {
            assert!(!is_go_duration(bad), "{bad}");
        }
        assert_eq!(
            errors(json!(30), &Shape::Duration),
            ["v: expected a duration such as \"30s\", \"5m\" or \"1h30m\", got the integer 30"]
        );
    }

    #[test]
    fn quantities_follow_kubernetes() {
        for ok in [
            "100m", "1", "1.5", ".5", "5.", "128Mi", "1Gi", "2e3", "1E-2", "-1", "+3k", " 1Ki ",
        ] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in ["", "abc", "1mi", "Mi", "1 Mi", "1e", "1.2.3", "1KiB", "."] {
            assert!(!is_quantity(bad), "{bad}");
        }
        assert!(errors(json!(2), &Shape::Quantity).is_empty());
        assert_eq!(
            errors(json!("abc"), &Shape::Quantity),
            ["v: expected a quantity such as \"500m\", \"2\" or \"128Mi\", got the string \"abc\""]
        );
    }

    #[test]
    fn enumerations_name_the_choices_and_suggest() {
        let shape = Shape::one_of(["zipkin", "datadog", "none"]);
        assert!(errors(json!("none"), &shape).is_empty());
        assert!(errors(json!(2), &shape).is_empty());
        assert_eq!(
            errors(json!("zipkn"), &shape),
            [
                "v: expected one of \"zipkin\", \"datadog\", \"none\" (did you mean \"zipkin\"?), got the string \"zipkn\""
            ]
        );
        assert_eq!(
            errors(json!(true), &shape),
            ["v: expected one of \"zipkin\", \"datadog\", \"none\", got the boolean true"]
        );
    }

    #[test]
    fn text_takes_any_scalar_but_not_containers() {
        for ok in [json!("x"), json!(1), json!(false)] {
            assert!(errors(ok.clone(), &Shape::Text).is_empty(), "{ok}");
        }
        assert_eq!(
            errors(json!([1]), &Shape::Text),
            ["v: expected a string, got a list"]
        );
    }

    #[test]
    fn long_strings_are_shortened_in_messages() {
        let long = "x".repeat(100);
        let e = errors(json!(long), &Shape::Bool);
        assert!(e[0].ends_with("... (100 characters)"), "{e:?}");
        assert!(e[0].len() < 150, "{e:?}");
    }

    #[test]
    fn leaves_are_listed_with_their_steps() {
        let shape = shape();
        let leaves = shape.leaves();
        let names: Vec<String> = leaves
            .iter()
            .map(|(steps, s)| {
                let path: Vec<String> = steps
                    .iter()
                    .map(|st| match st {
                        Step::Field(f) => f.clone(),
                        Step::AnyKey => "*".into(),
                        Step::AnyItem => "[]".into(),
                    })
                    .collect();
                format!("{} {}", path.join("."), s.describe())
            })
            .collect();
        assert_eq!(
            names,
            [
                "name a string",
                "replicas an integer",
                "labels.* a string",
                "ports.[].port an integer",
                "ports.[].targetPort an integer or a string",
            ]
        );
    }
}
