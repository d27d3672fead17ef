//! sprig's text functions (the subset injection templates use): defaults, lists, dicts,
//! strings, numbers, JSON and base64.

use super::args::{R, check_arity as arity};
use super::args::{int_arg as i, list_items, map_of, owned_list, string_arg as s};
use crate::print::{go_quote, sprint};
use crate::value::{Shape, Val, truth};
use mesh_core::Value;
use mesh_core::go::{json_numbers, marshal_json};
use serde_json::Map;
use std::borrow::Cow;

/// sprig's functions this module implements.
pub(crate) const NAMES: &[&str] = &[
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
    "indent",
    "omit",
    "toJson",
    "contains",
];

/// Functions that change their first argument in place in Go (a map): the executor writes
/// the result back to the variable passed.
pub(crate) const MUTATORS: &[&str] = &["set", "unset", "merge", "mergeOverwrite"];

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
    match crate::lex::number(x)? {
        crate::lex::Number::Int(i) => Some(i),
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

fn need_list<'d>(name: &str, v: &Val<'d>) -> Result<Vec<Val<'d>>, String> {
    list_items(v).ok_or_else(|| format!("{name}: cannot use type {} as a list", v.type_name()))
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

/// Calls a sprig function by name.
pub(crate) fn call<'d>(name: &str, mut a: Vec<Val<'d>>) -> R<'d> {
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
            crate::value::fields(item, &[key]).or_else(|_| Ok(Val::str("")))
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
            let (m, shape) = map_of(name, &a[0])?;
            // pick keeps the given keys, omit drops them.
            let keep = name == "pick";
            let kept = m
                .into_iter()
                .filter(|(k, _)| names.contains(k) == keep)
                .collect();
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
            let v = json_numbers(&a[0].to_json());
            Ok(Val::str(pretty_json(&v)))
        }
        "toRawJson" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::str(
                serde_json::to_string(&json_numbers(&a[0].to_json())).unwrap_or_default(),
            ))
        }
        "fromJson" => {
            arity(name, &a, 1, 1)?;
            Ok(match serde_json::from_str::<Value>(&s(&a[0])?) {
                Ok(v) => Val::decoded(v),
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
        "upper" | "lower" | "title" | "trim" | "nospace" | "b64enc" | "b64dec" | "atoi" => {
            arity(name, &a, 1, 1)?;
            let x = s(&a[0])?;
            Ok(match name {
                "upper" => Val::str(x.to_uppercase()),
                "lower" => Val::str(x.to_lowercase()),
                "title" => Val::str(title(&x)),
                "trim" => Val::str(x.trim()),
                "nospace" => Val::str(x.split_whitespace().collect::<String>()),
                "b64enc" => Val::str(mesh_core::base64::encode(x.as_bytes())),
                "b64dec" => Val::str(match mesh_core::base64::decode(&x) {
                    Some(b) => String::from_utf8_lossy(&b).into_owned(),
                    None => "illegal base64 data".to_string(),
                }),
                "atoi" => Val::int(x.trim().parse::<i64>().unwrap_or(0)),
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
        "indent" => {
            // sprig's indent pads every line, the first one too.
            arity(name, &a, 2, 2)?;
            let pad = " ".repeat(i(&a[0])?.clamp(0, 1 << 16) as usize);
            Ok(Val::str(format!(
                "{pad}{}",
                s(&a[1])?.replace('\n', &format!("\n{pad}"))
            )))
        }
        "toJson" => {
            // json.Marshal: compact, HTML characters escaped.
            arity(name, &a, 1, 1)?;
            Ok(Val::str(marshal_json(&json_numbers(&a[0].to_json()))))
        }
        _ => Err(format!("function {name:?} not defined")),
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
                if overwrite || !mesh_core::go::truthy(existing) {
                    *existing = v;
                }
            }
            (None, v) => {
                dst.insert(k, v);
            }
        }
    }
}

fn pretty_json(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}
