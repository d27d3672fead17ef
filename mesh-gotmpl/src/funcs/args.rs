//! The argument conversions and arity checks shared by the built-in, sprig and registered
//! functions (Go's rules for passing a template value to a function parameter).

use crate::value::{Num, Shape, Val, element, floats, number_kind};
use mesh_core::Value;
use serde_json::Map;
use std::borrow::Cow;

/// What the built-in and sprig functions return (the message becomes a [`FuncError`]).
pub(crate) type R<'d> = Result<Val<'d>, String>;

pub(crate) fn check_arity(
    name: &str,
    args: &[Val<'_>],
    min: usize,
    max: usize,
) -> Result<(), String> {
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
pub(crate) fn string_arg(v: &Val<'_>) -> Result<String, String> {
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
pub(crate) fn int_arg(v: &Val<'_>) -> Result<i64, String> {
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

/// Elements of a list value (nil gives none); `None` when the value is not a list.
pub(crate) fn list_items<'d>(v: &Val<'d>) -> Option<Vec<Val<'d>>> {
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

/// A map argument as JSON (nil gives an empty map).
pub(crate) fn map_of(name: &str, v: &Val<'_>) -> Result<(Map<String, Value>, Shape), String> {
    match v {
        Val::NoValue | Val::Nil | Val::Zero => Ok((Map::new(), Shape::Exact)),
        Val::Json(j, shape) => match j.as_ref() {
            Value::Object(m) => Ok((
                if *shape == Shape::JsonMap {
                    m.iter().map(|(k, v)| (k.clone(), floats(v))).collect()
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

/// A `map[string]string` argument: string maps, or maps of strings the template built; a nil
/// map is empty.
pub(crate) fn str_map(name: &str, v: &Val<'_>) -> Result<Map<String, Value>, String> {
    let (m, shape) = map_of(name, v)?;
    if shape == Shape::JsonMap || m.values().any(|x| !x.is_string()) {
        return Err(format!(
            "wrong type for value; expected map[string]string; got {}",
            v.type_name()
        ));
    }
    Ok(m)
}

/// A list the template built.
pub(crate) fn owned_list(items: Vec<Value>) -> Val<'static> {
    Val::owned(Value::Array(items))
}
