//! `profile dump`: a resolved IstioOperator (or a subtree of it) as YAML, JSON or `--set` flags.

use mesh_core::path::{self, Path, Segment};
use mesh_core::{Value, to_yaml_string};
use std::fmt::Write;
use std::str::FromStr;

/// Output formats of `profile dump`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DumpFormat {
    /// YAML, keys sorted.
    #[default]
    Yaml,
    /// Indented JSON, keys sorted.
    Json,
    /// One `path=value` line per leaf, sorted, usable as `--set` flags.
    Flags,
}

/// An unknown output format name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown output format {0:?}: expected yaml, json or flags")]
pub struct ParseDumpFormatError(pub String);

impl FromStr for DumpFormat {
    type Err = ParseDumpFormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "yaml" => Ok(DumpFormat::Yaml),
            "json" => Ok(DumpFormat::Json),
            "flags" => Ok(DumpFormat::Flags),
            other => Err(ParseDumpFormatError(other.to_string())),
        }
    }
}

/// Dumping failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DumpError {
    /// The `--config-path` could not be parsed.
    #[error("--config-path: {0}")]
    BadPath(#[from] path::ParsePathError),
    /// Nothing exists at the `--config-path`.
    #[error("--config-path {0}: no such path in the resolved configuration")]
    NotFound(String),
}

/// Prints `operator`, or the subtree at `config_path`: relative to the document root when its
/// first key is there (`spec.values.global`), else relative to `spec` as in istioctl
/// (`values.global`).
///
/// Flags are printed relative to `spec` so they can be passed back as `--set`; leaves that
/// cannot be expressed as a flag (nulls, empty maps and lists) are left out.
pub fn dump(
    operator: &Value,
    config_path: Option<&str>,
    format: DumpFormat,
) -> Result<String, DumpError> {
    let (value, prefix) = match config_path.filter(|p| !p.is_empty()) {
        None => (operator.clone(), Path::default()),
        Some(p) => {
            let parsed: Path = p.parse()?;
            // Relative to the document root when the first key is there, else to `spec`.
            let at_root =
                matches!(parsed.0.first(), Some(Segment::Key(k)) if operator.get(k).is_some());
            let absolute = if at_root {
                parsed
            } else {
                parsed.prefixed(&["spec"])
            };
            let v = path::get(operator, &absolute)
                .cloned()
                .ok_or_else(|| DumpError::NotFound(p.to_string()))?;
            (v, absolute)
        }
    };
    Ok(match format {
        DumpFormat::Yaml => to_yaml_string(&value),
        DumpFormat::Json => {
            let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
            s.push('\n');
            s
        }
        DumpFormat::Flags => flags(&value, &prefix),
    })
}

/// `path=value` lines for every leaf under `value` (whose own path is `prefix`), relative to
/// `spec`; leaves outside `spec` (apiVersion, kind, metadata) are left out.
fn flags(value: &Value, prefix: &Path) -> String {
    let mut lines = Vec::new();
    leaves(value, &mut prefix.0.clone(), &mut lines);
    lines.sort();
    let mut out = String::new();
    for l in lines {
        let _ = writeln!(out, "{l}");
    }
    out
}

fn leaves(v: &Value, segs: &mut Vec<Segment>, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                segs.push(Segment::Key(k.clone()));
                leaves(child, segs, out);
                segs.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                segs.push(Segment::Index(i));
                leaves(child, segs, out);
                segs.pop();
            }
        }
        Value::Null => {}
        scalar => {
            let Some((Segment::Key(first), rest)) = segs.split_first() else {
                return;
            };
            if first != "spec" || rest.is_empty() {
                return;
            }
            let text = match scalar {
                Value::String(s) => s.replace(',', "\\,"),
                other => other.to_string(),
            };
            out.push(format!("{}={text}", Path(rest.to_vec())));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({"apiVersion": "v", "spec": {"hub": "h", "values": {"a.b": {"x": [1, "y,z"]}, "e": {}, "n": null}}})
    }

    #[test]
    fn flags_are_sorted_relative_to_spec_and_escaped() {
        let out = dump(&doc(), None, DumpFormat::Flags).unwrap();
        assert_eq!(out, "hub=h\nvalues.a\\.b.x[0]=1\nvalues.a\\.b.x[1]=y\\,z\n");
    }

    #[test]
    fn config_path_relative_to_spec_or_root() {
        assert_eq!(
            dump(&doc(), Some("hub"), DumpFormat::Json).unwrap(),
            "\"h\"\n"
        );
        assert_eq!(
            dump(&doc(), Some("spec.hub"), DumpFormat::Yaml)
                .unwrap()
                .trim(),
            "h"
        );
        assert_eq!(
            dump(&doc(), Some("values.a\\.b"), DumpFormat::Flags).unwrap(),
            "values.a\\.b.x[0]=1\nvalues.a\\.b.x[1]=y\\,z\n"
        );
        assert!(matches!(
            dump(&doc(), Some("values.nope"), DumpFormat::Yaml),
            Err(DumpError::NotFound(_))
        ));
        assert!(matches!(
            dump(&doc(), Some("a..b"), DumpFormat::Yaml),
            Err(DumpError::BadPath(_))
        ));
    }
}
