//! The function map: Go's built-in template functions, the sprig text functions templates use,
//! and Istio's injection functions (which win over sprig's where both define a name).

use super::print::{go_json, go_quote, sprint, sprintf};
use super::value::{Num, Shape, Val, child, element, floats, number_kind, truth};
use mesh_core::Value;
use serde_json::Map;
use std::borrow::Cow;

/// Every function name a template may call.
pub(crate) const NAMES: &[&str] = &[
    // Go built-ins.
    "and",
    "or",
    "not",
    "len",
    "index",
    "slice",
    "print",
    "printf",
    "println",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "html",
    "js",
    "urlquery",
    "call",
    // sprig.
    "default",
    "empty",
    "coalesce",
    "ternary",
    "list",
    "tuple",
    "dict",
    "hasKey",
    "keys",
    "values",
    "get",
    "set",
    "unset",
    "pick",
    "merge",
    "mergeOverwrite",
    "toPrettyJson",
    "toRawJson",
    "fromJson",
    "nindent",
    "quote",
    "squote",
    "upper",
    "lower",
    "title",
    "trim",
    "trimAll",
    "trimPrefix",
    "trimSuffix",
    "hasPrefix",
    "hasSuffix",
    "replace",
    "split",
    "splitList",
    "join",
    "atoi",
    "int",
    "int64",
    "float64",
    "toString",
    "toStrings",
    "add",
    "add1",
    "sub",
    "mul",
    "div",
    "mod",
    "max",
    "min",
    "addf",
    "subf",
    "mulf",
    "divf",
    "until",
    "untilStep",
    "seq",
    "b64enc",
    "b64dec",
    "first",
    "last",
    "rest",
    "initial",
    "append",
    "push",
    "prepend",
    "concat",
    "uniq",
    "sortAlpha",
    "reverse",
    "has",
    "without",
    "compact",
    "trunc",
    "abbrev",
    "repeat",
    "substr",
    "nospace",
    "cat",
    "kindOf",
    "kindIs",
    "typeOf",
    "deepCopy",
    "fail",
    "toDecimal",
    "trimall",
    // Istio's injection functions.
    "formatDuration",
    "isset",
    "excludeInboundPort",
    "includeInboundPorts",
    "kubevirtInterfaces",
    "excludeInterfaces",
    "applicationPorts",
    "annotation",
    "valueOrDefault",
    "toJSON",
    "toJson",
    "fromJSON",
    "structToJSON",
    "protoToJSON",
    "toYaml",
    "indent",
    "directory",
    "contains",
    "toLower",
    "appendMultusNetwork",
    "env",
    "omit",
    "strdict",
    "toJsonMap",
    "mergeMaps",
    "omitNil",
    "otelResourceAttributes",
];

/// Functions that change their first argument in place in Go (a map): the executor writes
/// the result back to the variable passed.
pub(crate) const MUTATORS: &[&str] = &["set", "unset", "merge", "mergeOverwrite"];

type R<'d> = Result<Val<'d>, String>;

fn arity(name: &str, args: &[Val<'_>], min: usize, max: usize) -> Result<(), String> {
    let n = args.len();
    if n < min || n > max {
        let want = if min == max {
            min.to_string()
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(format!(
            "wrong number of args for {name}: want {want} got {n}"
        ));
    }
    Ok(())
}

/// A `string` parameter: Go accepts only strings (a struct field's zero value is `""`).
fn s(v: &Val<'_>) -> Result<String, String> {
    match v {
        Val::Zero => Ok(String::new()),
        Val::NoValue | Val::Nil => Err("invalid value; expected string".to_string()),
        Val::Json(j, _) => match j.as_ref() {
            Value::String(x) => Ok(x.clone()),
            _ => Err(format!(
                "wrong type for value; expected string; got {}",
                v.type_name()
            )),
        },
    }
}

/// An `int` parameter: Go accepts integers only.
fn i(v: &Val<'_>) -> Result<i64, String> {
    match v {
        Val::Zero => Ok(0),
        Val::Json(j, shape) => match j.as_number().map(|n| number_kind(n, *shape)) {
            Some(Num::Int(x)) => Ok(x),
            _ => Err(format!(
                "wrong type for value; expected int; got {}",
                v.type_name()
            )),
        },
        _ => Err("invalid value; expected int".to_string()),
    }
}

/// sprig's `strval`: strings as they are, anything else printed with `%v`.
fn strval(v: &Val<'_>) -> String {
    sprint(v)
}

/// sprig's `toInt64` (spf13/cast): numbers truncated, strings parsed (0 when not a number),
/// booleans 1/0, nil 0.
fn cast_int(v: &Val<'_>) -> i64 {
    match v.json() {
        Some(Value::Number(n)) => n
            .as_i64()
            .unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i64),
        Some(Value::String(x)) => parse_go_int(x.trim()).unwrap_or(0),
        Some(Value::Bool(b)) => i64::from(*b),
        _ => 0,
    }
}

fn parse_go_int(x: &str) -> Option<i64> {
    match super::parse::number(x)? {
        super::parse::Arg::Int(i) => Some(i),
        _ => None,
    }
}

fn cast_float(v: &Val<'_>) -> f64 {
    match v.json() {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Value::String(x)) => x.trim().parse().unwrap_or(0.0),
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

/// Elements of a list value (nil gives none); `None` when the value is not a list.
fn list_items<'d>(v: &Val<'d>) -> Option<Vec<Val<'d>>> {
    match v {
        Val::NoValue | Val::Nil | Val::Zero => Some(Vec::new()),
        Val::Json(j, shape) => match j {
            Cow::Borrowed(Value::Array(a)) => Some(
                a.iter()
                    .map(|x| element(Cow::Borrowed(x), *shape))
                    .collect(),
            ),
            Cow::Owned(Value::Array(a)) => Some(
                a.iter()
                    .map(|x| element(Cow::Owned(x.clone()), *shape))
                    .collect(),
            ),
            _ => None,
        },
    }
}

fn need_list<'d>(name: &str, v: &Val<'d>) -> Result<Vec<Val<'d>>, String> {
    list_items(v).ok_or_else(|| format!("{name}: cannot use type {} as a list", v.type_name()))
}

/// A map argument as JSON (nil gives an empty map).
fn map_of(name: &str, v: &Val<'_>) -> Result<(Map<String, Value>, Shape), String> {
    match v {
        Val::NoValue | Val::Nil | Val::Zero => Ok((Map::new(), Shape::Exact)),
        Val::Json(j, shape) => match j.as_ref() {
            Value::Object(m) => Ok((
                if *shape == Shape::JsonMap {
                    floats_map(m)
                } else {
                    m.clone()
                },
                *shape,
            )),
            _ => Err(format!(
                "{name}: wrong type for value; expected map; got {}",
                v.type_name()
            )),
        },
    }
}

fn floats_map(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter().map(|(k, v)| (k.clone(), floats(v))).collect()
}

/// A `map[string]string` argument (Istio's helpers): string maps, or maps of strings the
/// template built; a nil map is empty.
fn str_map(name: &str, v: &Val<'_>) -> Result<Map<String, Value>, String> {
    let (m, shape) = map_of(name, v)?;
    if shape == Shape::JsonMap || m.values().any(|x| !x.is_string()) {
        return Err(format!(
            "wrong type for value; expected map[string]string; got {}",
            v.type_name()
        ));
    }
    Ok(m)
}

fn owned_list(items: Vec<Value>) -> Val<'static> {
    Val::owned(Value::Array(items))
}

fn str_map_val(m: Map<String, Value>) -> Val<'static> {
    Val::Json(Cow::Owned(Value::Object(m)), Shape::StrMap)
}

/// Calls a function by name.
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
        _ => sprig(name, a),
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

/// sprig's `strslice`: a list's elements as strings (nil elements dropped), a string as a
/// one-element list.
fn strslice(v: &Val<'_>) -> Vec<String> {
    match v.json() {
        Some(Value::String(x)) => vec![x.clone()],
        _ => list_items(v)
            .unwrap_or_else(|| vec![v.clone()])
            .iter()
            .filter(|x| !matches!(x, Val::Nil | Val::NoValue))
            .map(strval)
            .collect(),
    }
}

fn sprig<'d>(name: &str, mut a: Vec<Val<'d>>) -> R<'d> {
    match name {
        "default" => {
            arity(name, &a, 1, 2)?;
            if a.len() == 1 || !truth(&a[1]) {
                Ok(a.swap_remove(0))
            } else {
                Ok(a.swap_remove(1))
            }
        }
        "empty" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::bool(!truth(&a[0])))
        }
        "coalesce" => Ok(a.into_iter().find(truth).unwrap_or(Val::Nil)),
        "ternary" => {
            arity(name, &a, 3, 3)?;
            match a[2].json() {
                Some(Value::Bool(c)) => Ok(a.swap_remove(if *c { 0 } else { 1 })),
                _ => Err(format!(
                    "wrong type for value; expected bool; got {}",
                    a[2].type_name()
                )),
            }
        }
        "list" | "tuple" => Ok(owned_list(a.iter().map(Val::to_json).collect())),
        "dict" => {
            let mut m = Map::new();
            for pair in a.chunks(2) {
                let v = pair
                    .get(1)
                    .map(Val::to_json)
                    .unwrap_or(Value::String(String::new()));
                m.insert(strval(&pair[0]), v);
            }
            Ok(Val::owned(Value::Object(m)))
        }
        "hasKey" => {
            arity(name, &a, 2, 2)?;
            let (m, _) = map_of(name, &a[0])?;
            Ok(Val::bool(m.contains_key(&s(&a[1])?)))
        }
        "keys" => {
            let mut keys = Vec::new();
            for x in &a {
                keys.extend(map_of(name, x)?.0.keys().cloned());
            }
            keys.sort();
            Ok(owned_list(keys.into_iter().map(Value::String).collect()))
        }
        "values" => {
            arity(name, &a, 1, 1)?;
            Ok(owned_list(
                map_of(name, &a[0])?.0.into_iter().map(|(_, v)| v).collect(),
            ))
        }
        "get" => {
            arity(name, &a, 2, 2)?;
            let key = s(&a[1])?;
            let item = a.swap_remove(0);
            if !map_of(name, &item)?.0.contains_key(&key) {
                return Ok(Val::str(""));
            }
            super::exec::fields(item, &[key]).or_else(|_| Ok(Val::str("")))
        }
        "set" => {
            arity(name, &a, 3, 3)?;
            let (mut m, shape) = map_of(name, &a[0])?;
            m.insert(s(&a[1])?, a[2].to_json());
            Ok(Val::Json(
                Cow::Owned(Value::Object(m)),
                if shape == Shape::Struct {
                    Shape::Exact
                } else {
                    shape
                },
            ))
        }
        "unset" => {
            arity(name, &a, 2, 2)?;
            let (mut m, shape) = map_of(name, &a[0])?;
            m.remove(&s(&a[1])?);
            Ok(Val::Json(Cow::Owned(Value::Object(m)), shape))
        }
        "pick" | "omit" => {
            arity(name, &a, 1, usize::MAX)?;
            let names: Vec<String> = a[1..].iter().map(s).collect::<Result<_, _>>()?;
            if name == "omit" {
                // Istio's omit: a map[string]string without the given keys.
                let m = str_map(name, &a[0])?;
                return Ok(str_map_val(
                    m.into_iter().filter(|(k, _)| !names.contains(k)).collect(),
                ));
            }
            let (m, shape) = map_of(name, &a[0])?;
            let kept = m.into_iter().filter(|(k, _)| names.contains(k)).collect();
            Ok(Val::Json(Cow::Owned(Value::Object(kept)), shape))
        }
        "merge" | "mergeOverwrite" => {
            arity(name, &a, 1, usize::MAX)?;
            let (mut dst, shape) = map_of(name, &a[0])?;
            for src in &a[1..] {
                let (m, _) = map_of(name, src)?;
                deep_merge(&mut dst, m, name == "mergeOverwrite");
            }
            Ok(Val::Json(Cow::Owned(Value::Object(dst)), shape))
        }
        "toPrettyJson" => {
            arity(name, &a, 1, 1)?;
            let v = go_numbers(&a[0].to_json());
            Ok(Val::str(pretty_json(&v)))
        }
        "toRawJson" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::str(
                serde_json::to_string(&go_numbers(&a[0].to_json())).unwrap_or_default(),
            ))
        }
        "fromJson" => {
            arity(name, &a, 1, 1)?;
            Ok(match serde_json::from_str::<Value>(&s(&a[0])?) {
                Ok(v) => json_val(v),
                Err(_) => Val::Nil,
            })
        }
        "nindent" => {
            arity(name, &a, 2, 2)?;
            let pad = " ".repeat(i(&a[0])?.max(0) as usize);
            Ok(Val::str(format!(
                "\n{pad}{}",
                s(&a[1])?.replace('\n', &format!("\n{pad}"))
            )))
        }
        "quote" | "squote" => {
            let parts: Vec<String> = a
                .iter()
                .filter(|x| !matches!(x, Val::Nil | Val::NoValue))
                .map(|x| {
                    if name == "quote" {
                        go_quote(&strval(x))
                    } else {
                        format!("'{}'", strval(x))
                    }
                })
                .collect();
            Ok(Val::str(parts.join(" ")))
        }
        "upper" | "lower" | "title" | "trim" | "nospace" | "toLower" | "b64enc" | "b64dec"
        | "directory" | "kubevirtInterfaces" | "excludeInterfaces" | "atoi" | "fromJSON" => {
            arity(name, &a, 1, 1)?;
            let x = s(&a[0])?;
            Ok(match name {
                "upper" => Val::str(x.to_uppercase()),
                "lower" | "toLower" => Val::str(x.to_lowercase()),
                "title" => Val::str(title(&x)),
                "trim" => Val::str(x.trim()),
                "nospace" => Val::str(x.split_whitespace().collect::<String>()),
                "b64enc" => Val::str(mesh_core::base64::encode(x.as_bytes())),
                "b64dec" => Val::str(match mesh_core::base64::decode(&x) {
                    Some(b) => String::from_utf8_lossy(&b).into_owned(),
                    None => "illegal base64 data".to_string(),
                }),
                "directory" => Val::str(match x.rfind('/') {
                    Some(p) => &x[..=p],
                    None => "",
                }),
                "atoi" => Val::int(x.trim().parse::<i64>().unwrap_or(0)),
                // Istio's fromJSON gives the text "{}" for invalid JSON.
                "fromJSON" => match serde_json::from_str::<Value>(&x) {
                    Ok(v) => json_val(v),
                    Err(_) => Val::str("{}"),
                },
                _ => Val::str(x),
            })
        }
        "trimAll" | "trimall" | "trimPrefix" | "trimSuffix" | "hasPrefix" | "hasSuffix"
        | "contains" | "split" | "splitList" | "repeat" => {
            arity(name, &a, 2, 2)?;
            let (p, x) = (&a[0], s(&a[1])?);
            Ok(match name {
                "trimAll" | "trimall" => {
                    let cut = s(p)?;
                    Val::str(x.trim_matches(|c| cut.contains(c)))
                }
                "trimPrefix" => Val::str(x.strip_prefix(s(p)?.as_str()).unwrap_or(&x)),
                "trimSuffix" => Val::str(x.strip_suffix(s(p)?.as_str()).unwrap_or(&x)),
                "hasPrefix" => Val::bool(x.starts_with(s(p)?.as_str())),
                "hasSuffix" => Val::bool(x.ends_with(s(p)?.as_str())),
                "contains" => Val::bool(x.contains(s(p)?.as_str())),
                "split" => {
                    let parts = go_split(&x, &s(p)?);
                    let m = parts
                        .into_iter()
                        .enumerate()
                        .map(|(k, v)| (format!("_{k}"), Value::String(v)))
                        .collect();
                    Val::owned(Value::Object(m))
                }
                "splitList" => owned_list(
                    go_split(&x, &s(p)?)
                        .into_iter()
                        .map(Value::String)
                        .collect(),
                ),
                _ => Val::str(x.repeat(i(p)?.clamp(0, 1 << 20) as usize)),
            })
        }
        "replace" => {
            arity(name, &a, 3, 3)?;
            let (old, new, src) = (s(&a[0])?, s(&a[1])?, s(&a[2])?);
            Ok(Val::str(if old.is_empty() {
                go_replace_empty(&src, &new)
            } else {
                src.replace(&old, &new)
            }))
        }
        "join" => {
            arity(name, &a, 2, 2)?;
            Ok(Val::str(strslice(&a[1]).join(&s(&a[0])?)))
        }
        "int" | "int64" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::int(cast_int(&a[0])))
        }
        "float64" | "toDecimal" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::float(cast_float(&a[0])))
        }
        "toString" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::str(strval(&a[0])))
        }
        "toStrings" => {
            arity(name, &a, 1, 1)?;
            Ok(owned_list(
                strslice(&a[0]).into_iter().map(Value::String).collect(),
            ))
        }
        "add" | "mul" | "max" | "min" => {
            arity(name, &a, 1, usize::MAX)?;
            let mut acc = cast_int(&a[0]);
            for x in &a[1..] {
                let v = cast_int(x);
                acc = match name {
                    "add" => acc.wrapping_add(v),
                    "mul" => acc.wrapping_mul(v),
                    "max" => acc.max(v),
                    _ => acc.min(v),
                };
            }
            Ok(Val::int(acc))
        }
        "add1" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::int(cast_int(&a[0]).wrapping_add(1)))
        }
        "sub" | "div" | "mod" => {
            arity(name, &a, 2, 2)?;
            let (x, y) = (cast_int(&a[0]), cast_int(&a[1]));
            match name {
                "sub" => Ok(Val::int(x.wrapping_sub(y))),
                _ if y == 0 => Err("runtime error: integer divide by zero".to_string()),
                "div" => Ok(Val::int(x.wrapping_div(y))),
                _ => Ok(Val::int(x.wrapping_rem(y))),
            }
        }
        "addf" | "subf" | "mulf" | "divf" => {
            arity(name, &a, 1, usize::MAX)?;
            let mut acc = cast_float(&a[0]);
            for x in &a[1..] {
                let v = cast_float(x);
                acc = match name {
                    "addf" => acc + v,
                    "subf" => acc - v,
                    "mulf" => acc * v,
                    _ => acc / v,
                };
            }
            Ok(Val::float(acc))
        }
        "until" | "untilStep" => {
            let (start, stop, step) = if name == "until" {
                arity(name, &a, 1, 1)?;
                let n = cast_int(&a[0]);
                (0, n, if n < 0 { -1 } else { 1 })
            } else {
                arity(name, &a, 3, 3)?;
                (cast_int(&a[0]), cast_int(&a[1]), cast_int(&a[2]))
            };
            Ok(owned_list(
                int_range(start, stop, step)?
                    .into_iter()
                    .map(|x| Value::Number(x.into()))
                    .collect(),
            ))
        }
        "seq" => {
            let n: Vec<i64> = a.iter().map(cast_int).collect();
            let (start, stop, step) = match n.as_slice() {
                [] => return Ok(Val::str("")),
                [end] => (1, *end, if *end >= 1 { 1 } else { -1 }),
                [s0, end] => (*s0, *end, if end >= s0 { 1 } else { -1 }),
                [s0, st, end, ..] => (*s0, *end, *st),
            };
            // seq includes its end.
            let stop = if step > 0 {
                stop.saturating_add(1)
            } else {
                stop.saturating_sub(1)
            };
            let items = int_range(start, stop, step)?;
            Ok(Val::str(
                items
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
            ))
        }
        "first" | "last" | "rest" | "initial" | "uniq" | "sortAlpha" | "reverse" | "compact" => {
            arity(name, &a, 1, 1)?;
            if name == "sortAlpha" {
                let mut v = strslice(&a[0]);
                v.sort();
                return Ok(owned_list(v.into_iter().map(Value::String).collect()));
            }
            let items = need_list(name, &a[0])?;
            Ok(match name {
                "first" => items.into_iter().next().unwrap_or(Val::Nil),
                "last" => items.into_iter().next_back().unwrap_or(Val::Nil),
                "rest" => owned_list(items.iter().skip(1).map(Val::to_json).collect()),
                "initial" => {
                    let n = items.len().saturating_sub(1);
                    owned_list(items.iter().take(n).map(Val::to_json).collect())
                }
                "uniq" => {
                    let mut out: Vec<Value> = Vec::new();
                    for x in items.iter().map(Val::to_json) {
                        if !out.contains(&x) {
                            out.push(x);
                        }
                    }
                    owned_list(out)
                }
                "reverse" => owned_list(items.iter().rev().map(Val::to_json).collect()),
                _ => owned_list(
                    items
                        .iter()
                        .filter(|x| truth(x))
                        .map(Val::to_json)
                        .collect(),
                ),
            })
        }
        "append" | "push" | "prepend" => {
            arity(name, &a, 2, 2)?;
            let mut items: Vec<Value> = need_list(name, &a[0])?.iter().map(Val::to_json).collect();
            if name == "prepend" {
                items.insert(0, a[1].to_json());
            } else {
                items.push(a[1].to_json());
            }
            Ok(owned_list(items))
        }
        "concat" => {
            let mut items = Vec::new();
            for x in &a {
                items.extend(need_list(name, x)?.iter().map(Val::to_json));
            }
            Ok(owned_list(items))
        }
        "has" => {
            arity(name, &a, 2, 2)?;
            let needle = a[0].to_json();
            Ok(Val::bool(
                need_list(name, &a[1])?
                    .iter()
                    .any(|x| x.to_json() == needle),
            ))
        }
        "without" => {
            arity(name, &a, 1, usize::MAX)?;
            let drop: Vec<Value> = a[1..].iter().map(Val::to_json).collect();
            let items = need_list(name, &a[0])?;
            Ok(owned_list(
                items
                    .iter()
                    .map(Val::to_json)
                    .filter(|x| !drop.contains(x))
                    .collect(),
            ))
        }
        "trunc" => {
            arity(name, &a, 2, 2)?;
            let (c, x) = (i(&a[0])?, s(&a[1])?);
            let out = if c < 0 && (-c) < x.len() as i64 {
                x.get(x.len() - (-c) as usize..).unwrap_or(&x).to_string()
            } else if c >= 0 && (x.len() as i64) > c {
                x.get(..c as usize).unwrap_or(&x).to_string()
            } else {
                x
            };
            Ok(Val::str(out))
        }
        "abbrev" => {
            arity(name, &a, 2, 2)?;
            let (w, x) = (i(&a[0])?, s(&a[1])?);
            if w < 4 || x.chars().count() as i64 <= w {
                return Ok(Val::str(x));
            }
            Ok(Val::str(format!(
                "{}...",
                x.chars().take(w as usize - 3).collect::<String>()
            )))
        }
        "substr" => {
            arity(name, &a, 3, 3)?;
            let (st, en, x) = (i(&a[0])?, i(&a[1])?, s(&a[2])?);
            let len = x.len() as i64;
            let st = st.clamp(0, len) as usize;
            let en = if en < 0 || en > len {
                len as usize
            } else {
                en as usize
            };
            Ok(Val::str(if st > en {
                String::new()
            } else {
                x.get(st..en).unwrap_or("").to_string()
            }))
        }
        "cat" => Ok(Val::str(
            a.iter()
                .filter(|x| !matches!(x, Val::Nil | Val::NoValue))
                .map(strval)
                .collect::<Vec<_>>()
                .join(" "),
        )),
        "kindOf" | "typeOf" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::str(kind_of(&a[0], name == "typeOf")))
        }
        "kindIs" => {
            arity(name, &a, 2, 2)?;
            Ok(Val::bool(s(&a[0])? == kind_of(&a[1], false)))
        }
        "deepCopy" => {
            arity(name, &a, 1, 1)?;
            Ok(a.swap_remove(0))
        }
        "fail" => {
            arity(name, &a, 1, 1)?;
            Err(s(&a[0])?)
        }
        _ => istio(name, a),
    }
}

fn kind_of(v: &Val<'_>, full: bool) -> String {
    let t = v.type_name();
    if full {
        return t.to_string();
    }
    match t {
        "[]interface {}" => "slice",
        "struct" => "struct",
        t if t.starts_with("map") => "map",
        "<nil>" | "<no value>" => "invalid",
        "zero value" => "string",
        other => other,
    }
    .to_string()
}

fn int_range(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, String> {
    if step == 0 {
        return Ok(Vec::new());
    }
    // In i128 so that no pair of i64 bounds can overflow.
    let (start, stop, step) = (i128::from(start), i128::from(stop), i128::from(step));
    let span = stop - start;
    let count =
        (span / step).max(0) + i128::from(span % step != 0 && span.signum() == step.signum());
    if count > 1 << 20 {
        return Err(format!("range of {count} numbers is too large"));
    }
    // Every element lies between start and stop, so it fits in i64.
    Ok((0..count)
        .filter_map(|k| i64::try_from(start + k * step).ok())
        .collect())
}

fn go_split(x: &str, sep: &str) -> Vec<String> {
    if sep.is_empty() {
        return x.chars().map(String::from).collect();
    }
    x.split(sep).map(str::to_string).collect()
}

fn go_replace_empty(src: &str, new: &str) -> String {
    let mut out = String::from(new);
    for c in src.chars() {
        out.push(c);
        out.push_str(new);
    }
    out
}

fn title(x: &str) -> String {
    let mut out = String::new();
    let mut prev_letter = false;
    for c in x.chars() {
        if !prev_letter && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_letter = c.is_alphanumeric() || c == '_' || c == '\'';
    }
    out
}

fn deep_merge(dst: &mut Map<String, Value>, src: Map<String, Value>, overwrite: bool) {
    for (k, v) in src {
        match (dst.get_mut(&k), v) {
            (Some(Value::Object(d)), Value::Object(s)) => deep_merge(d, s, overwrite),
            (Some(existing), v) => {
                if overwrite || !truth(&Val::owned(existing.clone())) {
                    *existing = v;
                }
            }
            (None, v) => {
                dst.insert(k, v);
            }
        }
    }
}

/// Numbers as Go's `encoding/json` writes them: an integral `float64` below 1e21 has no
/// fraction (`1`, not `1.0`).
fn go_numbers(v: &Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e18 => Value::Number((f as i64).into()),
            _ => v.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(go_numbers).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), go_numbers(x))).collect())
        }
        other => other.clone(),
    }
}

/// A JSON value decoded as Go does into `interface{}`: numbers are `float64`.
fn json_val(v: Value) -> Val<'static> {
    Val::Json(Cow::Owned(v), Shape::JsonMap)
}

fn pretty_json(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Istio's injection functions.
fn istio<'d>(name: &str, mut a: Vec<Val<'d>>) -> R<'d> {
    match name {
        "formatDuration" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::str(format_duration(&a[0])?))
        }
        "isset" => {
            arity(name, &a, 2, 2)?;
            let m = str_map(name, &a[0])?;
            Ok(Val::bool(m.contains_key(&s(&a[1])?)))
        }
        "excludeInboundPort" => {
            arity(name, &a, 2, 2)?;
            Ok(Val::str(crate::sidecar::exclude_inbound_port(
                sprint_go(&a[0]).trim(),
                &s(&a[1])?,
            )))
        }
        "includeInboundPorts" | "applicationPorts" => {
            arity(name, &a, 1, 1)?;
            let skip_proxy = name == "applicationPorts";
            let mut parts = Vec::new();
            for c in need_list(name, &a[0])? {
                let Some(c) = c.json() else { continue };
                if skip_proxy && c.get("name").and_then(Value::as_str) == Some("istio-proxy") {
                    continue;
                }
                for p in c
                    .get("ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("");
                    if proto == "UDP" || proto == "SCTP" {
                        continue;
                    }
                    parts.push(
                        p.get("containerPort")
                            .and_then(Value::as_i64)
                            .unwrap_or(0)
                            .to_string(),
                    );
                }
            }
            Ok(Val::str(parts.join(",")))
        }
        "annotation" => {
            arity(name, &a, 3, 3)?;
            let key = s(&a[1])?;
            let default = sprint_go(&a[2]);
            let meta = a.swap_remove(0);
            let anns = super::exec::fields(meta, &["Annotations".to_string()])?;
            if let Val::Json(m, _) = &anns
                && let Some(v) = m.get(&key)
            {
                return Ok(Val::str(super::print::fmt_v(v, Shape::Exact, true)));
            }
            Ok(Val::str(default))
        }
        "valueOrDefault" => {
            arity(name, &a, 2, 2)?;
            let empty = match &a[0] {
                Val::NoValue | Val::Nil | Val::Zero => true,
                Val::Json(j, _) => j.is_null() || j.as_str() == Some(""),
            };
            Ok(a.swap_remove(if empty { 1 } else { 0 }))
        }
        "toJSON" | "toJson" => {
            arity(name, &a, 1, 1)?;
            if matches!(a[0], Val::NoValue | Val::Nil) {
                return Ok(Val::str("{}"));
            }
            Ok(Val::str(go_json(&Value::Object(str_map(name, &a[0])?))))
        }
        "structToJSON" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::str(match &a[0] {
                Val::NoValue | Val::Nil => "{}".to_string(),
                v => struct_json(&go_numbers(&v.to_json())),
            }))
        }
        "protoToJSON" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::str(match a[0].json() {
                Some(Value::Object(m)) => {
                    crate::mesh_config::ProxyConfig::from_fields(m.clone()).cleaned_json()
                }
                _ => "{}".to_string(),
            }))
        }
        "toYaml" => {
            arity(name, &a, 1, 1)?;
            let v = go_numbers(&a[0].to_json());
            let mut y = if v.is_null() {
                "null\n".to_string()
            } else {
                mesh_core::to_yaml_string(&v)
            };
            if !y.ends_with('\n') {
                y.push('\n');
            }
            Ok(Val::str(y))
        }
        "indent" => {
            // Istio's indent: every line but the first gets the padding.
            arity(name, &a, 2, 2)?;
            let pad = " ".repeat(i(&a[0])?.clamp(0, 1 << 16) as usize);
            Ok(Val::str(s(&a[1])?.replace('\n', &format!("\n{pad}"))))
        }
        "appendMultusNetwork" => {
            arity(name, &a, 2, 2)?;
            Ok(Val::str(crate::sidecar::append_multus_network(
                &s(&a[0])?,
                &s(&a[1])?,
            )))
        }
        "env" => {
            // The library reads no environment: istiod's variables are not there, so the
            // default applies.
            arity(name, &a, 2, 2)?;
            s(&a[0])?;
            Ok(Val::str(s(&a[1])?))
        }
        "strdict" => {
            let mut m = Map::new();
            let vals: Vec<String> = a.iter().map(s).collect::<Result<_, _>>()?;
            for pair in vals.chunks(2) {
                m.insert(
                    pair[0].clone(),
                    Value::String(pair.get(1).cloned().unwrap_or_default()),
                );
            }
            Ok(str_map_val(m))
        }
        "toJsonMap" | "mergeMaps" => {
            let mut m = Map::new();
            for x in &a {
                m.extend(str_map(name, x)?);
            }
            if name == "mergeMaps" {
                return Ok(str_map_val(m));
            }
            Ok(Val::str(go_json(&Value::Object(m))))
        }
        "omitNil" => {
            arity(name, &a, 1, 1)?;
            match a.swap_remove(0) {
                Val::Json(j, shape) => Ok(Val::Json(Cow::Owned(omit_nil(j.as_ref())), shape)),
                other => Ok(other),
            }
        }
        "otelResourceAttributes" => {
            arity(name, &a, 5, 5)?;
            Ok(Val::str(otel_resource_attributes(&a[1])))
        }
        _ => Err(format!("function {name:?} not defined")),
    }
}

/// `fmt.Sprint` of one value (as Istio's helpers print their `interface{}` arguments).
fn sprint_go(v: &Val<'_>) -> String {
    match v {
        Val::NoValue | Val::Nil => "<nil>".to_string(),
        other => sprint(other),
    }
}

/// `encoding/json` of a Kubernetes struct: container ports keep Go's field order (the order
/// of `ISTIO_META_POD_PORTS`), zero fields left out as `omitempty` does.
fn struct_json(v: &Value) -> String {
    if let Value::Object(m) = v
        && m.contains_key("containerPort")
    {
        let mut parts = Vec::new();
        for key in ["name", "hostPort", "containerPort", "protocol", "hostIP"] {
            let Some(x) = m.get(key) else { continue };
            let keep = match x {
                Value::Null => false,
                Value::String(t) => !t.is_empty(),
                Value::Number(n) => key == "containerPort" || n.as_f64() != Some(0.0),
                _ => true,
            };
            if keep {
                parts.push(format!(
                    "{}:{}",
                    go_json(&Value::String(key.to_string())),
                    go_json(x)
                ));
            }
        }
        return format!("{{{}}}", parts.join(","));
    }
    go_json(v)
}

fn omit_nil(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), omit_nil(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(omit_nil).collect()),
        other => other.clone(),
    }
}

/// `OTEL_RESOURCE_ATTRIBUTES` from the pod's `resource.opentelemetry.io/<key>` annotations
/// (sorted `key=value` pairs joined by commas; empty when there are none).
fn otel_resource_attributes(annotations: &Val<'_>) -> String {
    let Some(Value::Object(m)) = annotations.json() else {
        return String::new();
    };
    m.iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("resource.opentelemetry.io/")?;
            Some(format!("{key}={}", v.as_str().unwrap_or("")))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Go's `time.Duration.String` of a protobuf duration (`"45s"`, `"1.5s"` in JSON form).
fn format_duration(v: &Val<'_>) -> Result<String, String> {
    let nanos: i128 = match v.json() {
        Some(Value::String(x)) => {
            parse_proto_duration(x).ok_or_else(|| format!("invalid duration {x:?}"))?
        }
        Some(Value::Object(m)) => {
            let secs = m.get("seconds").and_then(Value::as_i64).unwrap_or(0);
            let n = m.get("nanos").and_then(Value::as_i64).unwrap_or(0);
            i128::from(secs) * 1_000_000_000 + i128::from(n)
        }
        Some(Value::Number(n)) => n.as_i64().map(i128::from).unwrap_or(0),
        _ => 0,
    };
    Ok(go_duration(nanos))
}

fn parse_proto_duration(x: &str) -> Option<i128> {
    let body = x.trim().strip_suffix('s')?;
    let (neg, body) = match body.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, body),
    };
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    let secs: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut frac_digits: String = frac.chars().take(9).collect();
    if !frac_digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    while frac_digits.len() < 9 {
        frac_digits.push('0');
    }
    let n = secs * 1_000_000_000 + frac_digits.parse::<i128>().ok()?;
    Some(if neg { -n } else { n })
}

/// `time.Duration.String`: `1h2m3.5s`, `500ms`, `0s`.
fn go_duration(nanos: i128) -> String {
    if nanos == 0 {
        return "0s".to_string();
    }
    let neg = nanos < 0;
    let u = nanos.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{sign}{}{unit}", frac_text(u, div));
    }
    let h = u / 3_600_000_000_000;
    let rem = u % 3_600_000_000_000;
    let m = rem / 60_000_000_000;
    let sec = rem % 60_000_000_000;
    let mut out = sign.to_string();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{}s", frac_text(sec, 1_000_000_000)));
    out
}

fn frac_text(value: u128, div: u128) -> String {
    let whole = value / div;
    let frac = value % div;
    if frac == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_like_go() {
        // time.Duration.String.
        assert_eq!(go_duration(45_000_000_000), "45s");
        assert_eq!(go_duration(60_000_000_000), "1m0s");
        assert_eq!(go_duration(3_723_500_000_000), "1h2m3.5s");
        assert_eq!(go_duration(500_000_000), "500ms");
        assert_eq!(parse_proto_duration("1.5s"), Some(1_500_000_000));
    }

    #[test]
    fn exclude_port_appends_once() {
        // Istio splits on "," without trimming before comparing.
        assert_eq!(crate::sidecar::exclude_inbound_port("15020", ""), "15020");
        assert_eq!(
            crate::sidecar::exclude_inbound_port("15020", "80,15020"),
            "80,15020"
        );
        assert_eq!(
            crate::sidecar::exclude_inbound_port("15020", "80, 15020"),
            "80,15020,15020"
        );
        assert_eq!(
            crate::sidecar::exclude_inbound_port("15020", "80,"),
            "80,15020"
        );
    }
}
