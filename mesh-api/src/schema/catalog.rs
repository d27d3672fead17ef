//! Istio's CRDs as mesh defines them: the catalog and type files (`crds/`) expanded into
//! complete CRD objects. `build.rs` runs this to write the CRD trees `crd_values` reads; the
//! crate compiles it only for the test that checks those trees against it.

use std::collections::BTreeMap;

use mesh_core::Value;
use serde::Deserialize;
use serde_json::{Map, json};

use super::language::{TypeTable, object};

/// The catalog file, relative to the crate.
pub(super) const CATALOG_FILE: &str = "crds/catalog.yaml";

/// The type files, relative to the crate, in the order their types are added.
pub(super) const TYPE_FILES: [&str; 5] = [
    "crds/schemas/common.yaml",
    "crds/schemas/networking.yaml",
    "crds/schemas/security.yaml",
    "crds/schemas/telemetry.yaml",
    "crds/schemas/extensions.yaml",
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

/// The catalog's CRDs as complete objects with their legacy labels, in catalog order. `read`
/// gives the parsed content of one of [`CATALOG_FILE`] and [`TYPE_FILES`] by that name. An error
/// names the file and the path inside it.
pub(super) fn build(read: &dyn Fn(&str) -> Result<Value, String>) -> Result<Vec<Value>, String> {
    let mut types = TypeTable::default();
    for name in TYPE_FILES {
        types.add_file(&read(name)?, name)?;
    }
    let name = CATALOG_FILE;
    let doc = read(name)?;
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
