//! Helpers of the CRD tests: the reference release's CRD file and the views of a CRD the
//! scorer compares (without schemas, schema property paths and types).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use mesh_core::Value;

/// The name and text of the reference `crd-all.gen.yaml`.
pub fn reference_crd_file(reference: &Path) -> (String, String) {
    let path = reference.join("istio-1.30.3/crds/crd-all.gen.yaml");
    (path.display().to_string(), mesh_test_support::read(&path))
}

/// A CRD without `spec.versions[*].schema`, as the scorer compares them.
pub fn without_schema(crd: &Value) -> Value {
    let mut crd = crd.clone();
    if let Some(versions) = crd
        .pointer_mut("/spec/versions")
        .and_then(Value::as_array_mut)
    {
        for v in versions {
            if let Some(map) = v.as_object_mut() {
                map.remove("schema");
            }
        }
    }
    crd
}

/// The property paths of a schema (through properties, items, additionalProperties and the
/// allOf/anyOf/oneOf branches), as the conformance scorer counts them.
pub fn schema_paths(schema: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    collect_paths(schema, "", &mut out);
    out
}

fn collect_paths(schema: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    if let Some(props) = map.get("properties").and_then(Value::as_object) {
        for (k, sub) in props {
            let p = format!("{prefix}.{k}");
            out.insert(p.clone());
            collect_paths(sub, &p, out);
        }
    }
    if let Some(items) = map.get("items").filter(|v| v.is_object()) {
        collect_paths(items, &format!("{prefix}[]"), out);
    }
    if let Some(ap) = map.get("additionalProperties").filter(|v| v.is_object()) {
        collect_paths(ap, &format!("{prefix}{{}}"), out);
    }
    for comb in ["allOf", "anyOf", "oneOf"] {
        for sub in map
            .get(comb)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect_paths(sub, prefix, out);
        }
    }
}

/// The openAPIV3Schema of each version of a CRD, by version name.
pub fn version_schemas(crd: &Value) -> Vec<(String, Value)> {
    crd.pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| {
            let name = v["name"].as_str().unwrap_or_default().to_string();
            let schema = v
                .pointer("/schema/openAPIV3Schema")
                .cloned()
                .unwrap_or(Value::Null);
            (name, schema)
        })
        .collect()
}

/// For each property path of a schema (and the root, as ""), the kind of value it accepts:
/// its `type`, with `+int-or-string` / `+preserve` when those markers are set.
pub fn schema_types(schema: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    collect_types(schema, "", &mut out);
    out
}

fn node_kind(node: &Value) -> String {
    let mut kind = node["type"].as_str().unwrap_or("untyped").to_string();
    if node["x-kubernetes-int-or-string"] == Value::Bool(true) {
        kind.push_str("+int-or-string");
    }
    if node["x-kubernetes-preserve-unknown-fields"] == Value::Bool(true) {
        kind.push_str("+preserve");
    }
    kind
}

fn collect_types(node: &Value, at: &str, out: &mut BTreeMap<String, String>) {
    let Some(map) = node.as_object() else { return };
    out.insert(at.to_string(), node_kind(node));
    if let Some(props) = map.get("properties").and_then(Value::as_object) {
        for (k, sub) in props {
            collect_types(sub, &format!("{at}.{k}"), out);
        }
    }
    if let Some(items) = map.get("items").filter(|v| v.is_object()) {
        collect_types(items, &format!("{at}[]"), out);
    }
    if let Some(ap) = map.get("additionalProperties").filter(|v| v.is_object()) {
        collect_types(ap, &format!("{at}{{}}"), out);
    }
}

/// The validation facts of a schema as the conformance scorer counts them: one
/// `path keyword value` line per constraining keyword (types, formats, enums, patterns, bounds,
/// each required field, each CEL rule, markers, ...), through properties, items,
/// additionalProperties and the allOf/anyOf/oneOf/not branches; descriptions are not facts.
pub fn validation_facts(schema: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    collect_facts(schema, "", &mut out);
    out
}

fn collect_facts(schema: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    let Some(map) = schema.as_object() else {
        return;
    };
    for (key, value) in map {
        match (key.as_str(), value) {
            ("description", _) => {}
            ("properties", Value::Object(props)) => {
                for (name, sub) in props {
                    collect_facts(sub, &format!("{prefix}.{name}"), out);
                }
            }
            ("items", Value::Object(_)) => collect_facts(value, &format!("{prefix}[]"), out),
            ("additionalProperties", Value::Object(_)) => {
                collect_facts(value, &format!("{prefix}{{}}"), out);
            }
            ("allOf" | "anyOf" | "oneOf" | "not", _) => {
                let branches = match value {
                    Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                for (i, sub) in branches.into_iter().enumerate() {
                    collect_facts(sub, &format!("{prefix}|{key}[{i}]"), out);
                }
            }
            ("x-kubernetes-validations" | "required", Value::Array(items)) => {
                for item in items {
                    out.insert(format!("{prefix} {key} {item}"));
                }
            }
            _ => {
                out.insert(format!("{prefix} {key} {value}"));
            }
        }
    }
}
