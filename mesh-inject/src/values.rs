//! The injector values (`istio-sidecar-injector` ConfigMap, key `values`): the tree, indexed for
//! the path lookups the built-in templates make (Go's truthiness and printing live in
//! [`mesh_core::go`]).

use crate::error::{InjectError, InputProblem};
use mesh_core::Value;
use mesh_core::go::{scalar_string, truthy};
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The injector values: a JSON/YAML tree with typed accessors for the settings injection reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Values {
    root: Value,
    /// Every non-null value by dotted path, for constant-time lookups.
    index: HashMap<String, Value, PathHash>,
}

/// The hasher of the path index: the templates look up dozens of paths per pod, and SipHash's
/// flooding resistance buys nothing here (the keys come from the operator's values, the
/// lookups are fixed paths), so a multiply-rotate hash over 8-byte words is used.
type PathHash = BuildHasherDefault<PathHasher>;

/// A word-at-a-time multiplicative hasher (the scheme of rustc's FxHasher).
#[derive(Default)]
struct PathHasher(u64);

impl PathHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for PathHasher {
    fn write(&mut self, bytes: &[u8]) {
        let (words, rest) = bytes.as_chunks::<8>();
        for w in words {
            self.add(u64::from_le_bytes(*w));
        }
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(last) ^ rest.len() as u64);
    }

    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn build_index(prefix: &str, v: &Value, index: &mut HashMap<String, Value, PathHash>) {
    if v.is_null() {
        return;
    }
    if !prefix.is_empty() {
        index.insert(prefix.to_string(), v.clone());
    }
    if let Value::Object(m) = v {
        for (k, child) in m {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            build_index(&path, child, index);
        }
    }
}

impl Values {
    /// Wraps a parsed values tree; `null` is treated as an empty map.
    pub fn new(root: Value) -> Result<Self, InjectError> {
        match root {
            Value::Null => Ok(Values {
                root: Value::Object(Default::default()),
                index: HashMap::default(),
            }),
            Value::Object(_) => {
                let mut index = HashMap::default();
                build_index("", &root, &mut index);
                Ok(Values { root, index })
            }
            other => Err(InjectError::InvalidValues {
                source_name: "values".to_string(),
                path: "(root)".to_string(),
                problem: InputProblem::ExpectedMap(kind_name(&other)),
            }),
        }
    }

    /// Parses values from JSON or YAML text; `source_name` names the file in errors.
    pub fn from_text(text: &str, source_name: &str) -> Result<Self, InjectError> {
        let root = mesh_core::from_yaml_str(text, source_name).map_err(|e| {
            InjectError::InvalidValues {
                source_name: source_name.to_string(),
                path: "(root)".to_string(),
                problem: InputProblem::Yaml(e),
            }
        })?;
        Values::new(root).map_err(|e| match e {
            InjectError::InvalidValues { path, problem, .. } => InjectError::InvalidValues {
                source_name: source_name.to_string(),
                path,
                problem,
            },
            other => other,
        })
    }

    /// The whole tree.
    pub fn root(&self) -> &Value {
        &self.root
    }

    /// The value at a dotted path (`global.proxy.image`), if present and not null.
    pub fn get(&self, path: &str) -> Option<&Value> {
        self.index.get(path)
    }

    /// The value at `path` printed the way Go's `fmt.Sprint` prints it; `""` when absent.
    pub fn str(&self, path: &str) -> Cow<'_, str> {
        match self.get(path) {
            Some(Value::String(s)) => Cow::Borrowed(s.as_str()),
            Some(v) => Cow::Owned(scalar_string(v)),
            None => Cow::Borrowed(""),
        }
    }

    /// [`Values::str`] as an owned string.
    pub fn string(&self, path: &str) -> String {
        self.str(path).into_owned()
    }

    /// Whether the value at `path` is "true" in Go template terms (set, non-zero, non-empty).
    pub fn truthy(&self, path: &str) -> bool {
        self.get(path).is_some_and(truthy)
    }

    /// The value at `path` as printed by Go (`<nil>` when absent), as the `annotation`
    /// template function does with its default argument.
    pub fn sprint(&self, path: &str) -> String {
        self.get(path)
            .map(scalar_string)
            .unwrap_or_else(|| "<nil>".to_string())
    }
}

/// A short name of a value's kind, for error messages.
pub(crate) fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn looks_up_paths_and_truthiness() {
        let v = Values::new(json!({"global": {"proxy": {"image": "proxyv2", "x": 0, "m": {}}}}))
            .unwrap();
        assert_eq!(v.str("global.proxy.image"), "proxyv2");
        assert!(!v.truthy("global.proxy.x"));
        assert!(!v.truthy("global.proxy.m"));
        assert!(!v.truthy("global.missing"));
        assert_eq!(v.sprint("global.missing"), "<nil>");
    }

    #[test]
    fn rejects_non_map_root() {
        assert!(Values::new(json!([1])).is_err());
    }
}
