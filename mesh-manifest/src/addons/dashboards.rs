//! Grafana dashboards from JSON files (`meshctl addons generate grafana --dashboards DIR`):
//! each minified to one line with its keys in file order, and placed in one of the two dashboard
//! ConfigMaps the way Istio splits its own.
//!
//! Files are placed by name: `pilot-dashboard`, `ztunnel-dashboard` and
//! `istio-performance-dashboard` go to [`CONTROL_PLANE_CONFIG_MAP`], every other file to
//! [`SERVICES_CONFIG_MAP`] (the ConfigMap of the dashboards about workloads, where a user's own
//! dashboards belong). The key is the file name without a `.gen` before `.json`.

use super::AddonsError;
use crate::dashboards::{
    CONTROL_PLANE_CONFIG_MAP, DashboardFile, SERVICES_CONFIG_MAP, config_map_bytes,
};
use std::collections::BTreeMap;

/// Dashboards of the control plane, by key.
const CONTROL_PLANE: [&str; 3] = [
    "pilot-dashboard.json",
    "ztunnel-dashboard.json",
    "istio-performance-dashboard.json",
];

/// The most a ConfigMap may hold (Kubernetes refuses larger ones).
pub const CONFIG_MAP_LIMIT: usize = 1024 * 1024;

/// Why a dashboard file is unusable (the cause of [`AddonsError::Dashboard`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DashboardProblem {
    /// The file is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// The file's JSON is not an object.
    #[error("expected a dashboard (a JSON object)")]
    NotAnObject,
    /// Two files give the same key (`x.json` and `x.gen.json`).
    #[error("gives the key {key:?} that {other} gives too")]
    DuplicateKey {
        /// The key.
        key: String,
        /// The other file.
        other: String,
    },
    /// The dashboards of one ConfigMap pass Kubernetes' size limit.
    #[error(
        "the dashboards of ConfigMap {config_map} add up to {bytes} bytes, more than the {CONFIG_MAP_LIMIT} a ConfigMap may hold"
    )]
    TooLarge {
        /// The ConfigMap.
        config_map: &'static str,
        /// Its size.
        bytes: usize,
    },
}

/// The key a file's dashboard is stored under: its name without `.gen` before `.json`.
pub fn key_of(file_name: &str) -> String {
    match file_name.strip_suffix(".gen.json") {
        Some(stem) => format!("{stem}.json"),
        None => file_name.to_string(),
    }
}

/// The ConfigMap a dashboard key goes to.
pub fn config_map_of(key: &str) -> &'static str {
    if CONTROL_PLANE.contains(&key) {
        CONTROL_PLANE_CONFIG_MAP
    } else {
        SERVICES_CONFIG_MAP
    }
}

/// JSON text on one line: whitespace between tokens removed, strings re-encoded the standard
/// way (only `"`, `\` and control characters escaped), everything else as written, so keys keep
/// their order and numbers their spelling.
pub fn minify(text: &str) -> Result<String, DashboardProblem> {
    let parsed: serde_json::Value =
        serde_json::from_str(text).map_err(|e| DashboardProblem::NotJson(e.to_string()))?;
    if !parsed.is_object() {
        return Err(DashboardProblem::NotAnObject);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            let end = string_end(rest)
                .ok_or_else(|| DashboardProblem::NotJson("unterminated string".into()))?;
            let token = &rest[..end];
            let decoded: String = serde_json::from_str(token)
                .map_err(|e| DashboardProblem::NotJson(e.to_string()))?;
            out.push_str(&serde_json::to_string(&decoded).unwrap_or_default());
            rest = &rest[end..];
        } else {
            if !c.is_whitespace() {
                out.push(c);
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    Ok(out)
}

/// The byte length of the JSON string token at the start of `s` (which starts with `"`).
fn string_end(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Dashboards from `(file name, text)` pairs: minified, keyed and split (see the module docs).
pub fn dashboards_from_files(
    files: &[(String, String)],
) -> Result<Vec<DashboardFile>, AddonsError> {
    let mut by_key: BTreeMap<String, (&str, DashboardFile)> = BTreeMap::new();
    for (name, text) in files {
        let bad = |problem| AddonsError::Dashboard {
            file: name.clone(),
            problem,
        };
        let json = minify(text).map_err(bad)?;
        let key = key_of(name.rsplit('/').next().unwrap_or(name));
        if let Some((other, _)) = by_key.get(&key) {
            return Err(bad(DashboardProblem::DuplicateKey {
                key,
                other: other.to_string(),
            }));
        }
        let file = DashboardFile {
            config_map: config_map_of(&key),
            key: key.clone(),
            json,
        };
        by_key.insert(key, (name, file));
    }
    let files: Vec<DashboardFile> = by_key.into_values().map(|(_, f)| f).collect();
    for config_map in [CONTROL_PLANE_CONFIG_MAP, SERVICES_CONFIG_MAP] {
        let bytes = config_map_bytes(&files, config_map);
        if bytes > CONFIG_MAP_LIMIT {
            return Err(AddonsError::Dashboard {
                file: config_map.to_string(),
                problem: DashboardProblem::TooLarge { config_map, bytes },
            });
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minify_keeps_key_order_and_spelling() {
        let text = "{\n  \"z\": 1.50,\n  \"a\": [ 1, 2 ],\n  \"s\": \"a b\\u00e9\\/\"\n}\n";
        assert_eq!(
            minify(text).unwrap(),
            "{\"z\":1.50,\"a\":[1,2],\"s\":\"a bé/\"}"
        );
        assert!(matches!(minify("[1]"), Err(DashboardProblem::NotAnObject)));
        assert!(matches!(minify("{"), Err(DashboardProblem::NotJson(_))));
    }

    #[test]
    fn files_are_keyed_and_split() {
        let files = vec![
            ("pilot-dashboard.gen.json".to_string(), "{}".to_string()),
            ("mine.json".to_string(), "{}".to_string()),
        ];
        let out = dashboards_from_files(&files).unwrap();
        assert_eq!(out[0].key, "mine.json");
        assert_eq!(out[0].config_map, SERVICES_CONFIG_MAP);
        assert_eq!(out[1].key, "pilot-dashboard.json");
        assert_eq!(out[1].config_map, CONTROL_PLANE_CONFIG_MAP);
        let dup = vec![
            ("a.json".to_string(), "{}".to_string()),
            ("a.gen.json".to_string(), "{}".to_string()),
        ];
        assert!(
            dashboards_from_files(&dup)
                .unwrap_err()
                .to_string()
                .contains("a.json")
        );
    }
}
