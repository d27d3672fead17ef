//! mesh's own CRD definitions: the embedded catalog and type files, built once into CRD objects.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use mesh_core::Value;
use serde::Deserialize;
use serde_json::{Map, json};

use super::schema::{TypeTable, object};

/// The catalog file, embedded.
const CATALOG: (&str, &str) = (
    "crds/catalog.yaml",
    include_str!("../../../crds/catalog.yaml"),
);

/// The type files, embedded.
const TYPE_FILES: [(&str, &str); 5] = [
    (
        "crds/schemas/common.yaml",
        include_str!("../../../crds/schemas/common.yaml"),
    ),
    (
        "crds/schemas/networking.yaml",
        include_str!("../../../crds/schemas/networking.yaml"),
    ),
    (
        "crds/schemas/security.yaml",
        include_str!("../../../crds/schemas/security.yaml"),
    ),
    (
        "crds/schemas/telemetry.yaml",
        include_str!("../../../crds/schemas/telemetry.yaml"),
    ),
    (
        "crds/schemas/extensions.yaml",
        include_str!("../../../crds/schemas/extensions.yaml"),
    ),
];

/// The type every CRD uses for its `status`.
const STATUS_TYPE: &str = "Status";

/// The catalog file's content.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Catalog {
    annotations: Map<String, Value>,
    legacy_labels: Map<String, Value>,
    columns: BTreeMap<String, Value>,
    crds: Vec<Entry>,
}

/// One kind in the catalog.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Entry {
    kind: String,
    group: String,
    plural: String,
    #[serde(default)]
    short_names: Vec<String>,
    #[serde(default = "namespaced")]
    scope: String,
    versions: Vec<String>,
    storage: String,
    #[serde(default)]
    deprecated: Vec<String>,
    #[serde(default)]
    columns: Vec<String>,
    spec: String,
    #[serde(default)]
    spec_required: bool,
    #[serde(default)]
    legacy_labels: Map<String, Value>,
}

fn namespaced() -> String {
    "Namespaced".to_string()
}

/// The embedded CRDs as complete objects (legacy labels included), in catalog order, built on
/// first use. An error means the embedded data is broken; it names the file and the path.
pub(super) fn embedded() -> Result<&'static [Value], String> {
    static BUILT: OnceLock<Result<Vec<Value>, String>> = OnceLock::new();
    BUILT
        .get_or_init(build)
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

fn build() -> Result<Vec<Value>, String> {
    let mut types = TypeTable::default();
    for (name, text) in TYPE_FILES {
        let doc = mesh_core::from_yaml_str(text, name).map_err(|e| e.to_string())?;
        types.add_file(&doc, name)?;
    }
    let (name, text) = CATALOG;
    let doc = mesh_core::from_yaml_str(text, name).map_err(|e| e.to_string())?;
    let catalog: Catalog = serde_json::from_value(doc).map_err(|e| format!("{name}: {e}"))?;
    let status = types
        .expand_named(STATUS_TYPE)
        .map_err(|e| format!("{name}: {e}"))?;
    catalog
        .crds
        .iter()
        .map(|entry| {
            crd_object(&catalog, entry, &types, &status)
                .map_err(|e| format!("{name}: crds[{}]: {e}", entry.kind))
        })
        .collect()
}

/// Builds one CRD object from its catalog entry.
fn crd_object(
    catalog: &Catalog,
    entry: &Entry,
    types: &TypeTable,
    status: &Value,
) -> Result<Value, String> {
    if !entry.versions.contains(&entry.storage) {
        return Err(format!("storage version {} is not listed", entry.storage));
    }
    let mut root = object([
        ("type", "object".into()),
        (
            "properties",
            object([
                ("spec", types.expand_named(&entry.spec)?),
                ("status", status.clone()),
            ]),
        ),
    ]);
    if entry.spec_required {
        root["required"] = json!(["spec"]);
    }
    let columns = entry
        .columns
        .iter()
        .map(|key| {
            catalog
                .columns
                .get(key)
                .cloned()
                .ok_or_else(|| format!("unknown column `{key}`"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let versions: Vec<Value> = entry
        .versions
        .iter()
        .map(|version| version_object(entry, version, &columns, &root))
        .collect();

    let mut labels = catalog.legacy_labels.clone();
    labels.extend(entry.legacy_labels.clone());
    let mut names = json!({
        "categories": ["istio-io", entry.group.replace('.', "-")],
        "kind": entry.kind,
        "listKind": format!("{}List", entry.kind),
        "plural": entry.plural,
        "singular": entry.kind.to_lowercase(),
    });
    if !entry.short_names.is_empty() {
        names["shortNames"] = json!(entry.short_names);
    }
    let metadata = object([
        ("name", format!("{}.{}", entry.plural, entry.group).into()),
        ("labels", Value::Object(labels)),
        ("annotations", Value::Object(catalog.annotations.clone())),
    ]);
    let spec = object([
        ("group", entry.group.clone().into()),
        ("names", names),
        ("scope", entry.scope.clone().into()),
        ("versions", Value::Array(versions)),
    ]);
    Ok(object([
        ("apiVersion", "apiextensions.k8s.io/v1".into()),
        ("kind", "CustomResourceDefinition".into()),
        ("metadata", metadata),
        ("spec", spec),
    ]))
}

/// One entry of `spec.versions`.
fn version_object(entry: &Entry, version: &str, columns: &[Value], root: &Value) -> Value {
    let mut v = object([
        ("name", version.into()),
        ("served", true.into()),
        ("storage", (version == entry.storage).into()),
        ("subresources", json!({"status": {}})),
        ("schema", object([("openAPIV3Schema", root.clone())])),
    ]);
    if entry.deprecated.iter().any(|d| d == version) {
        v["deprecated"] = true.into();
    }
    if !columns.is_empty() {
        v["additionalPrinterColumns"] = Value::Array(columns.to_vec());
    }
    v
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalog_builds() {
        let crds = embedded().unwrap();
        assert_eq!(crds.len(), 15);
        for crd in crds {
            let versions = crd["spec"]["versions"].as_array().unwrap();
            let stored = versions
                .iter()
                .filter(|v| v["storage"] == json!(true))
                .count();
            assert_eq!(stored, 1, "{}", crd["metadata"]["name"]);
        }
    }
}
