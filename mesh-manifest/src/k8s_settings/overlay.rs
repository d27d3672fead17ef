//! `k8s.overlays` patches: a path into an object (`spec.template.spec.containers.[name:discovery].args`)
//! and a value to write there, or no value to delete it.
//!
//! Path language (istioctl's): elements separated by `.` (`\.` for a literal dot); `name[..]` is
//! the same as `name.[..]`; `[N]` selects a list item by index (an index at or past the end
//! appends); `[key:value]` selects the first map item whose `key` equals `value`; `[:value]`
//! (or `[value]`) selects the item of a list of scalars equal to `value` (istioctl matches it as
//! an unanchored regular expression; mesh matches it exactly, else as a substring). Missing maps
//! along the path are created. A value replaces what is at the path; a string value that is a
//! YAML map (`"fieldRef:\n  fieldPath: x"`) is written as that map, as istioctl does.

use mesh_core::Value;
use serde_json::Map;

/// One element of an overlay path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
    /// The list item (a map) whose `key` equals `value`.
    Select {
        /// The key looked up in each item.
        key: String,
        /// The value it must have (compared as text).
        value: String,
    },
    /// The list item (a scalar) equal to this text.
    Scalar(String),
}

/// Splits on `sep` except where it is escaped with a backslash.
fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut escaped = false;
    for c in s.chars() {
        if c == sep && !escaped {
            out.push(String::new());
        } else if let Some(last) = out.last_mut() {
            last.push(c);
        }
        escaped = c == '\\';
    }
    out
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn parse_bracket(inner: &str, element: &str) -> Result<Step, String> {
    if let Ok(n) = inner.parse::<i64>()
        && let Ok(index) = usize::try_from(n)
    {
        return Ok(Step::Index(index));
    }
    let kv = split_unescaped(inner, ':');
    if let [key, value] = kv.as_slice()
        && valid_key(key)
        && !value.is_empty()
    {
        return Ok(Step::Select {
            key: key.clone(),
            value: value.clone(),
        });
    }
    match inner.strip_prefix(':') {
        Some(v) if !v.is_empty() => Ok(Step::Scalar(v.to_string())),
        _ if !inner.is_empty() => Ok(Step::Scalar(inner.to_string())),
        _ => Err(format!("empty selector in {element:?}")),
    }
}

/// Parses an overlay path.
pub fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let trimmed = path.trim().trim_matches('.');
    let mut steps = Vec::new();
    for raw in split_unescaped(trimmed, '.') {
        if raw.is_empty() {
            continue;
        }
        let element = raw.replace("\\.", ".");
        let (head, bracket) = match element.find('[') {
            Some(0) | None => (None, element.as_str()),
            Some(i) => (Some(&element[..i]), &element[i..]),
        };
        if let Some(head) = head {
            steps.push(Step::Key(head.to_string()));
        }
        match bracket.strip_prefix('[') {
            Some(rest) => {
                let inner = rest
                    .strip_suffix(']')
                    .ok_or_else(|| format!("unclosed '[' in {element:?}"))?;
                steps.push(parse_bracket(inner, &element)?);
            }
            None => steps.push(Step::Key(bracket.to_string())),
        }
    }
    if steps.is_empty() {
        return Err("empty path".to_string());
    }
    Ok(steps)
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

fn find_item(list: &[Value], step: &Step) -> Option<usize> {
    match step {
        Step::Select { key, value } => list
            .iter()
            .position(|item| item.get(key).and_then(as_text).as_deref() == Some(value)),
        Step::Scalar(value) => {
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

fn describe(step: &Step) -> String {
    match step {
        Step::Key(k) => k.clone(),
        Step::Index(i) => format!("[{i}]"),
        Step::Select { key, value } => format!("[{key}:{value}]"),
        Step::Scalar(v) => format!("[:{v}]"),
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

/// Writes `value` at `steps` inside `root`, or deletes what is there when `value` is `None` or
/// `null`. Errors say which element failed and why.
pub fn apply(root: &mut Value, steps: &[Step], value: Option<&Value>) -> Result<(), String> {
    let value = value.filter(|v| !v.is_null()).map(map_from_text);
    let value = value.as_ref();
    let Some((last, parents)) = steps.split_last() else {
        return Err("empty path".to_string());
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
    step: &Step,
    next: Option<&Step>,
    create: bool,
) -> Result<Option<&'v mut Value>, String> {
    let wants_list = matches!(
        next,
        Some(Step::Index(_) | Step::Select { .. } | Step::Scalar(_))
    );
    if node.is_null() && create {
        *node = match step {
            Step::Key(_) => Value::Object(Map::new()),
            _ => Value::Array(Vec::new()),
        };
    }
    let found = kind_name(node);
    match (node, step) {
        (Value::Object(map), Step::Key(k)) => {
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
        (Value::Array(list), Step::Index(i)) => {
            if *i >= list.len() {
                if !create {
                    return Err(format!(
                        "index {i} is past the end of the list ({} items)",
                        list.len()
                    ));
                }
                list.push(Value::Object(Map::new()));
                return Ok(list.last_mut());
            }
            Ok(list.get_mut(*i))
        }
        (Value::Array(list), step @ (Step::Select { .. } | Step::Scalar(_))) => {
            let i = find_item(list, step)
                .ok_or_else(|| format!("no list item matches {}", describe(step)))?;
            Ok(list.get_mut(i))
        }
        (_, step) => Err(format!("cannot apply {} to {found}", describe(step))),
    }
}

fn write(parent: &mut Value, step: &Step, value: Option<&Value>) -> Result<(), String> {
    if parent.is_null() && value.is_some() {
        *parent = match step {
            Step::Key(_) => Value::Object(Map::new()),
            _ => Value::Array(Vec::new()),
        };
    }
    let found = kind_name(parent);
    match (parent, step, value) {
        (Value::Null, _, None) => Ok(()),
        (Value::Object(map), Step::Key(k), None) => {
            map.remove(k);
            Ok(())
        }
        (Value::Object(map), Step::Key(k), Some(v)) => {
            map.insert(k.clone(), v.clone());
            Ok(())
        }
        (Value::Array(list), Step::Index(i), v) => {
            match (v, *i < list.len()) {
                (None, true) => {
                    list.remove(*i);
                }
                (None, false) => {
                    return Err(format!(
                        "index {i} is past the end of the list ({} items)",
                        list.len()
                    ));
                }
                (Some(v), true) => list[*i] = v.clone(),
                (Some(v), false) => list.push(v.clone()),
            }
            Ok(())
        }
        (Value::Array(list), step @ (Step::Select { .. } | Step::Scalar(_)), v) => {
            let i = find_item(list, step)
                .ok_or_else(|| format!("no list item matches {}", describe(step)))?;
            match v {
                None => {
                    list.remove(i);
                }
                Some(v) => list[i] = v.clone(),
            }
            Ok(())
        }
        (_, step, _) => Err(format!("cannot apply {} to {found}", describe(step))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_keys_indexes_and_selectors() {
        let steps = parse_path("spec.template.spec.containers[name:discovery].args.[0]").unwrap();
        assert_eq!(
            steps,
            vec![
                Step::Key("spec".into()),
                Step::Key("template".into()),
                Step::Key("spec".into()),
                Step::Key("containers".into()),
                Step::Select {
                    key: "name".into(),
                    value: "discovery".into()
                },
                Step::Key("args".into()),
                Step::Index(0),
            ]
        );
        assert_eq!(
            parse_path(r"metadata.annotations.a\.b/c").unwrap(),
            vec![
                Step::Key("metadata".into()),
                Step::Key("annotations".into()),
                Step::Key("a.b/c".into())
            ]
        );
        assert_eq!(
            parse_path("args.[:--foo]").unwrap()[1],
            Step::Scalar("--foo".into())
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
        assert_eq!(err, "cannot apply z to a number");
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
