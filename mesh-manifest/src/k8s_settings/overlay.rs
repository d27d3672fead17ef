//! `k8s.overlays` patches: a path into an object (`spec.template.spec.containers.[name:discovery].args`)
//! and a value to write there, or no value to delete it.
//!
//! Paths are istioctl's path language in its overlay dialect ([`Syntax::Overlay`]: `.`-separated
//! keys, `[N]`, `[key:value]`, `[:value]` for the item of a list of scalars). Writing: an index
//! at or past the end of a list appends; `[key:value]` selects the first map item whose `key`
//! equals `value` as text; `[:value]` selects the scalar item equal to `value` (istioctl matches
//! it as an unanchored regular expression; mesh matches it exactly, else as a substring). Missing
//! maps along the path are created. A value replaces what is at the path; a string value that is
//! a YAML map (`"fieldRef:\n  fieldPath: x"`) is written as that map, as istioctl does.

use mesh_core::path::{Path, Segment, Syntax};
use mesh_core::{ParsePathError, Value};
use serde_json::Map;

/// Parses an overlay path ([`Syntax::Overlay`] of mesh-core's path language).
pub fn parse_path(path: &str) -> Result<Path, ParsePathError> {
    Path::parse(path, Syntax::Overlay)
}

/// An overlay patch that cannot be applied to an object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverlayError {
    /// `[N]` past the end of a list, where nothing is written (a delete, or a step below).
    #[error("index {index} is past the end of the list ({len} items)")]
    PastEnd {
        /// The index.
        index: usize,
        /// The list's length.
        len: usize,
    },
    /// A `[key:value]` or `[:value]` selector matched no list item.
    #[error("no list item matches {selector}")]
    NoMatch {
        /// The selector as written back (`[name:x]`).
        selector: String,
    },
    /// A step into something it cannot walk into (a key into a list, anything into a scalar).
    #[error("cannot apply {segment} to {found}")]
    WrongKind {
        /// The step.
        segment: String,
        /// What was found (`a list`, `a number`, ...).
        found: &'static str,
    },
}

/// A string holding a YAML map (one line with `": "`, or several lines with `:`), which is not
/// JSON, becomes that map; anything else is kept as it is.
fn map_from_text(value: &Value) -> Value {
    let Some(text) = value.as_str() else {
        return value.clone();
    };
    let looks_like_map = if text.contains('\n') {
        text.contains(':')
    } else {
        text.contains(": ")
    };
    if !looks_like_map || serde_json::from_str::<Map<String, Value>>(text).is_ok() {
        return value.clone();
    }
    match mesh_core::from_yaml_str(text, "overlay value") {
        Ok(map @ Value::Object(_)) => map,
        _ => value.clone(),
    }
}

/// How a scalar compares with a selector's text (`8080` matches `"8080"`).
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn find_item(list: &[Value], step: &Segment) -> Option<usize> {
    match step {
        Segment::Select { key, value } => list
            .iter()
            .position(|item| item.get(key).and_then(as_text).as_deref() == Some(value)),
        Segment::Scalar(value) => {
            let texts: Vec<Option<String>> = list.iter().map(as_text).collect();
            let exact = texts.iter().position(|t| t.as_deref() == Some(value));
            exact.or_else(|| {
                texts
                    .iter()
                    .position(|t| t.as_deref().is_some_and(|t| t.contains(value.as_str())))
            })
        }
        _ => None,
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// The position of the list item a selector picks.
fn selected(list: &[Value], step: &Segment) -> Result<usize, OverlayError> {
    find_item(list, step).ok_or_else(|| OverlayError::NoMatch {
        selector: step.to_string(),
    })
}

/// Writes `value` at `path` inside `root`, or deletes what is there when `value` is `None` or
/// `null`. Errors say which element failed and why.
pub fn apply(root: &mut Value, path: &Path, value: Option<&Value>) -> Result<(), OverlayError> {
    let value = value.filter(|v| !v.is_null()).map(map_from_text);
    let value = value.as_ref();
    let steps = path.0.as_slice();
    // A parsed path has at least one segment; an empty one writes nothing.
    let Some((last, parents)) = steps.split_last() else {
        return Ok(());
    };
    let mut node = root;
    for (i, step) in parents.iter().enumerate() {
        let next = steps.get(i + 1);
        node = match descend(node, step, next, value.is_some())? {
            Some(child) => child,
            // Deleting below something that does not exist: nothing to do.
            None => return Ok(()),
        };
    }
    write(node, last, value)
}

/// The child of `node` at `step`, created when missing and `create` is set (a list when the next
/// step indexes one, else a map). `None` when missing and not created.
fn descend<'v>(
    node: &'v mut Value,
    step: &Segment,
    next: Option<&Segment>,
    create: bool,
) -> Result<Option<&'v mut Value>, OverlayError> {
    let wants_list = matches!(
        next,
        Some(Segment::Index(_) | Segment::Select { .. } | Segment::Scalar(_))
    );
    if node.is_null() && create {
        *node = match step {
            Segment::Key(_) => Value::Object(Map::new()),
            _ => Value::Array(Vec::new()),
        };
    }
    let found = kind_name(node);
    match (node, step) {
        (Value::Object(map), Segment::Key(k)) => {
            if !map.contains_key(k) {
                if !create {
                    return Ok(None);
                }
                let fresh = if wants_list {
                    Value::Array(Vec::new())
                } else {
                    Value::Object(Map::new())
                };
                map.insert(k.clone(), fresh);
            }
            Ok(map.get_mut(k))
        }
        (Value::Array(list), Segment::Index(i)) => {
            if *i >= list.len() {
                if !create {
                    return Err(OverlayError::PastEnd {
                        index: *i,
                        len: list.len(),
                    });
                }
                list.push(Value::Object(Map::new()));
                return Ok(list.last_mut());
            }
            Ok(list.get_mut(*i))
        }
        (Value::Array(list), step @ (Segment::Select { .. } | Segment::Scalar(_))) => {
            let i = selected(list, step)?;
            Ok(list.get_mut(i))
        }
        (_, step) => Err(OverlayError::WrongKind {
            segment: step.to_string(),
            found,
        }),
    }
}

fn write(parent: &mut Value, step: &Segment, value: Option<&Value>) -> Result<(), OverlayError> {
    if parent.is_null() && value.is_some() {
        *parent = match step {
            Segment::Key(_) => Value::Object(Map::new()),
            _ => Value::Array(Vec::new()),
        };
    }
    let found = kind_name(parent);
    match (parent, step, value) {
        (Value::Null, _, None) => Ok(()),
        (Value::Object(map), Segment::Key(k), None) => {
            map.remove(k);
            Ok(())
        }
        (Value::Object(map), Segment::Key(k), Some(v)) => {
            map.insert(k.clone(), v.clone());
            Ok(())
        }
        (Value::Array(list), Segment::Index(i), v) => {
            match (v, *i < list.len()) {
                (None, true) => {
                    list.remove(*i);
                }
                (None, false) => {
                    return Err(OverlayError::PastEnd {
                        index: *i,
                        len: list.len(),
                    });
                }
                (Some(v), true) => list[*i] = v.clone(),
                (Some(v), false) => list.push(v.clone()),
            }
            Ok(())
        }
        (Value::Array(list), step @ (Segment::Select { .. } | Segment::Scalar(_)), v) => {
            let i = selected(list, step)?;
            match v {
                None => {
                    list.remove(i);
                }
                Some(v) => list[i] = v.clone(),
            }
            Ok(())
        }
        (_, step, _) => Err(OverlayError::WrongKind {
            segment: step.to_string(),
            found,
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn key(k: &str) -> Segment {
        Segment::Key(k.into())
    }

    #[test]
    fn parses_keys_indexes_and_selectors() {
        let steps = parse_path("spec.template.spec.containers[name:discovery].args.[0]").unwrap();
        assert_eq!(
            steps.0,
            vec![
                key("spec"),
                key("template"),
                key("spec"),
                key("containers"),
                Segment::Select {
                    key: "name".into(),
                    value: "discovery".into()
                },
                key("args"),
                Segment::Index(0),
            ]
        );
        assert_eq!(
            parse_path(r"metadata.annotations.a\.b/c").unwrap().0,
            vec![key("metadata"), key("annotations"), key("a.b/c")]
        );
        assert_eq!(
            parse_path("args.[:--foo]").unwrap().0[1],
            Segment::Scalar("--foo".into())
        );
        assert!(parse_path("a.[b").is_err());
        assert!(parse_path("..").is_err());
    }

    #[test]
    fn writes_create_maps_and_append_to_lists() {
        let mut v = json!({"spec": {"args": ["a"]}});
        apply(&mut v, &parse_path("spec.x.y").unwrap(), Some(&json!(1))).unwrap();
        apply(
            &mut v,
            &parse_path("spec.args[1]").unwrap(),
            Some(&json!("b")),
        )
        .unwrap();
        apply(
            &mut v,
            &parse_path("spec.args[5]").unwrap(),
            Some(&json!("c")),
        )
        .unwrap();
        assert_eq!(v, json!({"spec": {"args": ["a", "b", "c"], "x": {"y": 1}}}));
        apply(&mut v, &parse_path("spec.args.[:b]").unwrap(), None).unwrap();
        apply(&mut v, &parse_path("spec.missing.deep").unwrap(), None).unwrap();
        assert_eq!(v, json!({"spec": {"args": ["a", "c"], "x": {"y": 1}}}));
        apply(&mut v, &parse_path("spec.args").unwrap(), Some(&json!("z"))).unwrap();
        assert_eq!(v["spec"]["args"], json!("z"));
        let err = apply(&mut v, &parse_path("spec.x.y.z").unwrap(), Some(&json!(1))).unwrap_err();
        assert_eq!(err.to_string(), "cannot apply z to a number");
        assert_eq!(
            err,
            OverlayError::WrongKind {
                segment: "z".into(),
                found: "a number"
            }
        );
        let mut l = json!({"l": [1, 2]});
        let err = apply(&mut l, &parse_path("l[7]").unwrap(), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "index 7 is past the end of the list (2 items)"
        );
    }

    #[test]
    fn yaml_map_strings_become_maps_but_json_and_plain_strings_do_not() {
        assert_eq!(
            map_from_text(&json!("fieldRef:\n  fieldPath: x\n")),
            json!({"fieldRef": {"fieldPath": "x"}})
        );
        assert_eq!(map_from_text(&json!("a: b")), json!({"a": "b"}));
        assert_eq!(map_from_text(&json!("{\"a\": 1}")), json!("{\"a\": 1}"));
        assert_eq!(map_from_text(&json!("host:port")), json!("host:port"));
        assert_eq!(map_from_text(&json!("60m")), json!("60m"));
    }
}
