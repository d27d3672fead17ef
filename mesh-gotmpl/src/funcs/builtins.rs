//! Go's built-in template functions (`text/template`'s predefined global functions; `and`
//! and `or` are evaluated lazily by the executor).

use super::args::{R, check_arity as arity};
use super::args::{owned_list, string_arg as s};
use crate::print::{sprint, sprintf};
use crate::value::{Num, Shape, Val, child, element, number_kind, truth};
use mesh_core::Value;
use std::borrow::Cow;

/// The built-ins this module implements (`and` and `or` are the executor's).
pub(crate) const NAMES: &[&str] = &[
    "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt", "le", "gt",
    "ge", "html", "js", "urlquery", "call",
];

/// Calls a built-in by name.
pub(crate) fn call<'d>(name: &str, mut a: Vec<Val<'d>>) -> R<'d> {
    match name {
        "not" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::bool(!truth(&a[0])))
        }
        "len" => {
            arity(name, &a, 1, 1)?;
            length(&a[0]).map(Val::int)
        }
        "index" => {
            arity(name, &a, 1, usize::MAX)?;
            let mut item = a.remove(0);
            for key in a {
                item = index(item, &key)?;
            }
            Ok(item)
        }
        "slice" => {
            arity(name, &a, 1, 4)?;
            slice(&a)
        }
        "print" => Ok(Val::str(go_sprint(&a))),
        "println" => Ok(Val::str(format!(
            "{}\n",
            a.iter().map(sprint).collect::<Vec<_>>().join(" ")
        ))),
        "printf" => {
            arity(name, &a, 1, usize::MAX)?;
            let f = s(&a[0])?;
            Ok(Val::str(sprintf(&f, &a[1..])))
        }
        "eq" => {
            arity(name, &a, 1, usize::MAX)?;
            if a.len() < 2 {
                return Err("missing argument for comparison".to_string());
            }
            let mut found = false;
            for b in &a[1..] {
                if eq(&a[0], b)? {
                    found = true;
                    break;
                }
            }
            Ok(Val::bool(found))
        }
        "ne" => {
            arity(name, &a, 2, 2)?;
            Ok(Val::bool(!eq(&a[0], &a[1])?))
        }
        "lt" | "le" | "gt" | "ge" => {
            arity(name, &a, 2, 2)?;
            let ord = compare(&a[0], &a[1])?;
            let r = match name {
                "lt" => ord.is_lt(),
                "le" => ord.is_le(),
                "gt" => ord.is_gt(),
                _ => ord.is_ge(),
            };
            Ok(Val::bool(r))
        }
        "html" => Ok(Val::str(html_escape(&go_sprint(&a)))),
        "js" => Ok(Val::str(js_escape(&go_sprint(&a)))),
        "urlquery" => Ok(Val::str(url_escape(&go_sprint(&a)))),
        "call" => Err("functions as values are not supported".to_string()),
        _ => Err(format!("function {name:?} not defined")),
    }
}

/// Go's `fmt.Sprint`: a space between operands when neither side is a string.
fn go_sprint(a: &[Val<'_>]) -> String {
    let mut out = String::new();
    for (k, v) in a.iter().enumerate() {
        let is_str = v.as_str().is_some();
        if k > 0 && !is_str && a[k - 1].as_str().is_none() {
            out.push(' ');
        }
        out.push_str(&sprint(v));
    }
    out
}

fn length(v: &Val<'_>) -> Result<i64, String> {
    match v {
        Val::Zero => Ok(0),
        Val::NoValue | Val::Nil => Err("len of nil pointer".to_string()),
        Val::Json(j, _) => match j.as_ref() {
            Value::String(x) => Ok(x.len() as i64),
            Value::Array(x) => Ok(x.len() as i64),
            Value::Object(x) => Ok(x.len() as i64),
            _ => Err(format!("len of type {}", v.type_name())),
        },
    }
}

fn index<'d>(item: Val<'d>, key: &Val<'_>) -> R<'d> {
    let (j, shape) = match item {
        Val::Zero => return Ok(Val::Zero),
        Val::NoValue | Val::Nil => return Err("index of untyped nil".to_string()),
        Val::Json(j, shape) => (j, shape),
    };
    match j.as_ref() {
        Value::Array(list) => {
            let n = index_int(key)?;
            if n < 0 || n as usize >= list.len() {
                return Err(format!("index out of range: {n}"));
            }
            Ok(match j {
                Cow::Borrowed(Value::Array(l)) => element(Cow::Borrowed(&l[n as usize]), shape),
                _ => element(Cow::Owned(list[n as usize].clone()), shape),
            })
        }
        Value::Object(m) => {
            let k = match key.as_str() {
                Some(k) => k.to_string(),
                None => {
                    return Err(format!(
                        "value has type {}; should be string",
                        key.type_name()
                    ));
                }
            };
            if !m.contains_key(&k) {
                // Go: a missing key gives the map's zero element.
                return Ok(match shape {
                    Shape::StrMap => Val::str(""),
                    Shape::Struct => Val::Zero,
                    _ => Val::Nil,
                });
            }
            let c = match j {
                Cow::Borrowed(b) => b.get(&k).map(Cow::Borrowed),
                Cow::Owned(Value::Object(mut m)) => m.remove(&k).map(Cow::Owned),
                Cow::Owned(_) => None,
            };
            Ok(c.map(|c| child(c, shape, &k)).unwrap_or(Val::Nil))
        }
        Value::String(text) => {
            let n = index_int(key)?;
            match text.as_bytes().get(n.max(0) as usize) {
                Some(b) if n >= 0 => Ok(Val::int(i64::from(*b))),
                _ => Err(format!("index out of range: {n}")),
            }
        }
        _ => Err(format!(
            "can't index item of type {}",
            Val::Json(j, shape).type_name()
        )),
    }
}

fn index_int(key: &Val<'_>) -> Result<i64, String> {
    match key.json().and_then(Value::as_number) {
        Some(n) if !n.is_f64() => n.as_i64().ok_or_else(|| "index out of range".to_string()),
        _ => Err(format!(
            "cannot index slice/array with type {}",
            key.type_name()
        )),
    }
}

fn slice<'d>(a: &[Val<'d>]) -> R<'d> {
    let idx: Vec<i64> = a[1..].iter().map(index_int).collect::<Result<_, _>>()?;
    let len = match a[0].json() {
        Some(Value::String(x)) => x.len(),
        Some(Value::Array(x)) => x.len(),
        _ => return Err(format!("can't slice item of type {}", a[0].type_name())),
    } as i64;
    let lo = idx.first().copied().unwrap_or(0);
    let hi = idx.get(1).copied().unwrap_or(len);
    if lo < 0 || hi < lo || hi > len {
        return Err(format!("index out of range: {lo}:{hi}"));
    }
    match a[0].json() {
        Some(Value::String(x)) => {
            if idx.len() == 3 {
                return Err("cannot 3-index slice a string".to_string());
            }
            x.get(lo as usize..hi as usize)
                .map(Val::str)
                .ok_or_else(|| "slice splits a character".to_string())
        }
        Some(Value::Array(x)) => Ok(owned_list(x[lo as usize..hi as usize].to_vec())),
        _ => Ok(Val::Nil),
    }
}

/// A value reduced to a comparable basic kind.
#[derive(Debug, Clone, PartialEq)]
enum Basic {
    Invalid,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Other,
}

fn basic(v: &Val<'_>) -> Basic {
    match v {
        Val::NoValue | Val::Nil => Basic::Invalid,
        Val::Zero => Basic::Other,
        Val::Json(j, shape) => match j.as_ref() {
            Value::Null => Basic::Invalid,
            Value::Bool(b) => Basic::Bool(*b),
            Value::Number(n) => match number_kind(n, *shape) {
                Num::Int(i) => Basic::Int(i),
                Num::Float(f) => Basic::Float(f),
            },
            Value::String(x) => Basic::Str(x.clone()),
            _ => Basic::Other,
        },
    }
}

/// The zero value of the other side's kind, for a struct field the data leaves out.
fn zero_like(other: &Basic) -> Basic {
    match other {
        Basic::Bool(_) => Basic::Bool(false),
        Basic::Int(_) => Basic::Int(0),
        Basic::Float(_) => Basic::Float(0.0),
        Basic::Str(_) => Basic::Str(String::new()),
        _ => Basic::Invalid,
    }
}

fn basics(a: &Val<'_>, b: &Val<'_>) -> (Basic, Basic) {
    let (mut x, mut y) = (basic(a), basic(b));
    if matches!(a, Val::Zero) {
        x = zero_like(&y);
    }
    if matches!(b, Val::Zero) {
        y = zero_like(&x);
    }
    (x, y)
}

/// Go's `eq` for two values: basic kinds must match (a missing value equals nothing);
/// integers and floats do not compare.
fn eq(a: &Val<'_>, b: &Val<'_>) -> Result<bool, String> {
    let (x, y) = basics(a, b);
    match (&x, &y) {
        (Basic::Invalid, Basic::Invalid) => Ok(true),
        (Basic::Invalid, _) | (_, Basic::Invalid) => Ok(false),
        (Basic::Bool(p), Basic::Bool(q)) => Ok(p == q),
        (Basic::Int(p), Basic::Int(q)) => Ok(p == q),
        (Basic::Float(p), Basic::Float(q)) => Ok(p == q),
        (Basic::Str(p), Basic::Str(q)) => Ok(p == q),
        (Basic::Other, Basic::Other) => Err(format!(
            "non-comparable types {}, {}",
            a.type_name(),
            b.type_name()
        )),
        _ => Err("incompatible types for comparison".to_string()),
    }
}

fn compare(a: &Val<'_>, b: &Val<'_>) -> Result<std::cmp::Ordering, String> {
    let (x, y) = basics(a, b);
    match (&x, &y) {
        (Basic::Int(p), Basic::Int(q)) => Ok(p.cmp(q)),
        (Basic::Float(p), Basic::Float(q)) => p
            .partial_cmp(q)
            .ok_or_else(|| "invalid comparison of NaN".to_string()),
        (Basic::Str(p), Basic::Str(q)) => Ok(p.cmp(q)),
        (Basic::Invalid, _) | (_, Basic::Invalid) | (Basic::Bool(_), _) | (Basic::Other, _) => {
            Err("invalid type for comparison".to_string())
        }
        _ => Err("incompatible types for comparison".to_string()),
    }
}

fn html_escape(x: &str) -> String {
    let mut out = String::new();
    for c in x.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn js_escape(x: &str) -> String {
    let mut out = String::new();
    for c in x.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn url_escape(x: &str) -> String {
    let mut out = String::new();
    for b in x.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
