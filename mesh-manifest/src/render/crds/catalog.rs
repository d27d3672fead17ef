//! mesh's own CRD definitions: the embedded catalog and type files, built once into CRD objects.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use mesh_core::Value;
use serde::Deserialize;
use serde_json::{Map, json};

use super::schema::{TypeTable, object};
use super::set_labels;
use crate::SharedValue;

/// The JSON form of an embedded `crds/<path>.yaml`, written by `build.rs` with the YAML parser a
/// run used to call, so parsing it gives the very same tree.
macro_rules! embedded_json {
    ($path:literal) => {
        include_str!(concat!(env!("OUT_DIR"), "/crds/", $path, ".json"))
    };
}

/// The catalog file, embedded as JSON, with the YAML file's name for error messages.
const CATALOG: (&str, &str) = ("crds/catalog.yaml", embedded_json!("catalog"));

/// The type files, embedded as JSON, with the YAML files' names for error messages.
const TYPE_FILES: [(&str, &str); 5] = [
    ("crds/schemas/common.yaml", embedded_json!("schemas/common")),
    (
        "crds/schemas/networking.yaml",
        embedded_json!("schemas/networking"),
    ),
    (
        "crds/schemas/security.yaml",
        embedded_json!("schemas/security"),
    ),
    (
        "crds/schemas/telemetry.yaml",
        embedded_json!("schemas/telemetry"),
    ),
    (
        "crds/schemas/extensions.yaml",
        embedded_json!("schemas/extensions"),
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

/// How many label sets [`embedded_labelled`] keeps CRDs for; a process renders with one or two.
const LABELLED_KEPT: usize = 4;

/// The embedded CRDs as complete objects (legacy labels included), in catalog order, built on
/// first use. An error means the embedded data is broken; it names the file and the path.
pub(super) fn embedded() -> Result<&'static [SharedValue], String> {
    LEGACY
        .get_or_init(|| {
            Ok(build()?
                .into_iter()
                .map(SharedValue::keeping_yaml)
                .collect())
        })
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// The embedded CRDs as [`embedded`] has them.
static LEGACY: OnceLock<Result<Vec<SharedValue>, String>> = OnceLock::new();

/// The embedded CRDs with their labels replaced by `labels`, in catalog order.
///
/// The trees are kept for the last few label sets, so renders with the same labels (every
/// render of one installation) share one tree per CRD instead of copying it, and print it once
/// ([`SharedValue::keeping_yaml`]). The first call of a process builds the trees with their
/// labels in place; later label sets copy and relabel trees already built.
pub(super) fn embedded_labelled(labels: &Map<String, Value>) -> Result<Vec<SharedValue>, String> {
    static KEPT: Mutex<Vec<Labelled>> = Mutex::new(Vec::new());
    // A panic while the lock was held leaves at worst an entry missing: the list stays valid.
    let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(pos) = kept.iter().position(|(l, _)| l == labels) {
        let entry = kept.remove(pos);
        let crds = share_all(&entry.1);
        kept.insert(0, entry);
        return Ok(crds);
    }
    let built = kept.first().map(|(_, crds)| share_all(crds)).or_else(|| {
        LEGACY
            .get()
            .and_then(|l| l.as_ref().ok())
            .map(|c| share_all(c))
    });
    let crds: Vec<SharedValue> = match built {
        // Writing through a shared tree copies it first: the kept trees stay as they are.
        Some(trees) => trees
            .into_iter()
            .map(|mut crd| {
                set_labels(&mut crd, labels);
                SharedValue::keeping_yaml(crd.into_value())
            })
            .collect(),
        None => build()?
            .into_iter()
            .map(|mut crd| {
                set_labels(&mut crd, labels);
                SharedValue::keeping_yaml(crd)
            })
            .collect(),
    };
    kept.insert(0, (labels.clone(), share_all(&crds)));
    kept.truncate(LABELLED_KEPT);
    Ok(crds)
}

/// The embedded CRDs relabelled with one label set (the key).
type Labelled = (Map<String, Value>, Vec<SharedValue>);

fn share_all(crds: &[SharedValue]) -> Vec<SharedValue> {
    crds.iter().map(SharedValue::share).collect()
}

/// Parses one embedded file's JSON form.
fn parse(name: &str, json: &str) -> Result<Value, String> {
    serde_json::from_str(json).map_err(|e| format!("{name}: {e}"))
}

fn build() -> Result<Vec<Value>, String> {
    let mut types = TypeTable::default();
    for (name, json) in TYPE_FILES {
        let doc = parse(name, json)?;
        types.add_file(&doc, name)?;
    }
    let (name, json) = CATALOG;
    let doc = parse(name, json)?;
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
    fn labelled_crds_are_shared_per_label_set() {
        let team = |t: &str| {
            let mut m = Map::new();
            m.insert("team".into(), json!(t));
            m
        };
        // Other tests render with other label sets meanwhile: ask twice in a row.
        let a1 = embedded_labelled(&team("a")).unwrap();
        let a2 = embedded_labelled(&team("a")).unwrap();
        let b = embedded_labelled(&team("b")).unwrap();
        assert_eq!(a1.len(), 15);
        assert!(a1.iter().zip(&a2).all(|(x, y)| x.is_shared_with(y)));
        assert!(!a1[0].is_shared_with(&b[0]));
        assert_eq!(a1[0]["metadata"]["labels"], json!({"team": "a"}));
        assert_eq!(b[0]["metadata"]["labels"], json!({"team": "b"}));
        let legacy = embedded().unwrap();
        assert_eq!(legacy[0]["metadata"]["labels"]["heritage"], json!("Tiller"));
        let mut relabelled = b[0].share();
        relabelled["metadata"]["labels"] = legacy[0]["metadata"]["labels"].clone();
        assert_eq!(relabelled, legacy[0]);
    }

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
