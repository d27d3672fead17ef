//! Expands Istio's API as mesh describes it (`crds/`: the catalog and the type files, with the
//! crate's own `src/schema/` code) into the complete CRD objects and writes them to
//! `$OUT_DIR/crds.json`, which `crd_values` reads. With the feature `types` it also writes
//! `$OUT_DIR/api.rs` with, for every kind and served version, the resource type, its spec
//! types (named from their path in the schema, enumerations as enums), the status type and
//! its `kube::core::Resource` and `CustomResourceExt` facts. The CRDs and these types thus
//! have one source: the schema files.

#[path = "src/schema/catalog.rs"]
mod catalog;
// Only its exit code helper is used here.
#[allow(dead_code)]
#[path = "../build-support/embed_json.rs"]
mod embed_json;
// Only the type language expander is used here (not `structural_problems`).
#[allow(dead_code)]
#[path = "src/schema/language.rs"]
mod language;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use mesh_core::Value;

/// Rust's keywords, which a field name gets a trailing `_` for.
const KEYWORDS: [&str; 38] = [
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while",
];

fn main() -> ExitCode {
    embed_json::exit_code(run())
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out = PathBuf::from(env("OUT_DIR")?);
    for path in [
        "build.rs",
        "../build-support/embed_json.rs",
        "src/schema/catalog.rs",
        "src/schema/language.rs",
        "crds",
        catalog::CATALOG_FILE,
    ]
    .into_iter()
    .chain(catalog::TYPE_FILES)
    {
        println!("cargo::rerun-if-changed={path}");
    }
    let read = |name: &str| {
        let text =
            std::fs::read_to_string(manifest.join(name)).map_err(|e| format!("{name}: {e}"))?;
        mesh_core::from_yaml_str(&text, name).map_err(|e| e.to_string())
    };
    let crds = catalog::build(&read)?;
    write(&out.join("crds.json"), &json_text(&crds)?)?;
    if std::env::var_os("CARGO_FEATURE_TYPES").is_some() {
        write(&out.join("api.rs"), &generate(&crds)?)?;
    }
    Ok(())
}

fn write(path: &std::path::Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The compact JSON form of the CRDs, checked to read back to the very same trees.
fn json_text(crds: &[Value]) -> Result<String, String> {
    let json = serde_json::to_string(crds).map_err(|e| e.to_string())?;
    let back: Vec<Value> = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    if back != crds {
        return Err("the JSON form of the CRDs does not read back to the same trees".to_string());
    }
    Ok(json)
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|e| format!("{name}: {e}"))
}

/// One served version of one CRD: what its generated resource type needs.
struct Served<'a> {
    group: &'a str,
    version: &'a str,
    kind: &'a str,
    plural: &'a str,
    /// The `spec` schema of the version.
    spec: &'a Value,
    /// The `status` schema of the version.
    status: &'a Value,
    spec_required: bool,
    short_names: Vec<&'a str>,
}

/// The text of `crd` at `pointer`, or an error naming the CRD and the pointer.
fn text<'a>(crd: &'a Value, pointer: &str) -> Result<&'a str, String> {
    crd.pointer(pointer).and_then(Value::as_str).ok_or_else(|| {
        format!(
            "CRD {}: {pointer}: expected a string",
            crd["metadata"]["name"]
        )
    })
}

/// Every served version of every CRD, in catalog order.
fn served(crds: &[Value]) -> Result<Vec<Served<'_>>, String> {
    let mut out = Vec::new();
    for crd in crds {
        let versions = crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                format!(
                    "CRD {}: /spec/versions: expected a list",
                    crd["metadata"]["name"]
                )
            })?;
        for version in versions.iter().filter(|v| v["served"] == true) {
            let root = &version["schema"]["openAPIV3Schema"];
            out.push(Served {
                group: text(crd, "/spec/group")?,
                version: text(version, "/name")?,
                kind: text(crd, "/spec/names/kind")?,
                plural: text(crd, "/spec/names/plural")?,
                spec: &root["properties"]["spec"],
                status: &root["properties"]["status"],
                short_names: crd
                    .pointer("/spec/names/shortNames")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect(),
                spec_required: root["required"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|f| f == "spec")),
            });
        }
    }
    Ok(out)
}

/// The Rust module of an API group: its first label (`networking.istio.io` -> `networking`).
fn group_module(group: &str) -> &str {
    group.split('.').next().unwrap_or(group)
}

/// The whole generated file.
fn generate(crds: &[Value]) -> Result<String, String> {
    let served = served(crds)?;
    // group module -> version -> resources, keeping catalog order inside a version.
    let mut tree: BTreeMap<&str, BTreeMap<&str, Vec<&Served>>> = BTreeMap::new();
    for s in &served {
        tree.entry(group_module(s.group))
            .or_default()
            .entry(s.version)
            .or_default()
            .push(s);
    }
    // (kind, spec schema text) -> (module path of its first generation, type names).
    let mut shared: BTreeMap<(String, String), (String, Vec<String>)> = BTreeMap::new();
    let mut code = String::from("// Written by mesh-api's build.rs from the CRD catalog.\n\n");
    let mut kinds = Vec::new();
    let (status, status_types) = status_type(&served, &mut code)?;
    let mut type_count = status_types;
    for (module, versions) in &tree {
        let group = versions
            .values()
            .flatten()
            .map(|s| s.group)
            .next()
            .unwrap_or_default();
        let _ = writeln!(code, "#[doc = {:?}]", format!("The kinds of `{group}`."));
        let _ = writeln!(code, "pub mod {module} {{");
        for (version, resources) in versions {
            let _ = writeln!(
                code,
                "#[doc = {:?}]",
                format!("The kinds of `{group}/{version}`.")
            );
            let _ = writeln!(code, "pub mod {version} {{");
            for s in resources {
                let spec_name = format!("{}Spec", s.kind);
                let key = (s.kind.to_string(), s.spec.to_string());
                if let Some((first, names)) = shared.get(&key) {
                    let _ = writeln!(code, "pub use super::{first}::{{{}}};", names.join(", "));
                } else {
                    let mut structs = Structs::new(s.kind, "spec", format!("of `{}`", s.kind));
                    structs.rust_type(s.spec, &spec_name, "spec")?;
                    type_count += structs.names.len();
                    code.push_str(&structs.code);
                    let names = structs.names.into_iter().collect();
                    shared.insert(key, (version.to_string(), names));
                }
                let _ = writeln!(
                    code,
                    "resource!({kind}, {spec_name}, {status}, {spec_required}, {group:?}, {version:?}, {kind:?}, {plural:?}, [{short}]);",
                    kind = s.kind,
                    spec_required = s.spec_required,
                    group = s.group,
                    plural = s.plural,
                    short = s
                        .short_names
                        .iter()
                        .map(|n| format!("{n:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                type_count += 1;
                kinds.push(format!("{module}::{version}::{}", s.kind));
            }
            code.push_str("}\n");
        }
        code.push_str("}\n\n");
    }
    let _ = writeln!(
        code,
        "/// Every generated resource type (kind and served version), in module order.\npub fn kinds() -> Vec<crate::KindInfo> {{\n    vec![\n{}    ]\n}}\n",
        kinds
            .iter()
            .map(|k| format!("        crate::KindInfo::of::<{k}>(),\n"))
            .collect::<String>()
    );
    let _ = writeln!(
        code,
        "/// How many types the generator wrote (resources and their spec structs).\npub const GENERATED_TYPES: usize = {type_count};"
    );
    Ok(code)
}

/// The name of the status type every kind shares.
const STATUS_TYPE: &str = "IstioStatus";

/// Writes the status types into `code` (at the crate's root) from the status schema every
/// served version has; returns the Rust type of `status` and how many types were written.
fn status_type(served: &[Served], code: &mut String) -> Result<(String, usize), String> {
    let mut schemas = served.iter().map(|s| s.status);
    let Some(schema) = schemas.next() else {
        return Ok(("serde_json::Value".into(), 0));
    };
    if schemas.any(|other| other != schema) {
        return Err("the CRDs have different status schemas; mesh-api has one status type".into());
    }
    let mut structs = Structs::new(STATUS_TYPE, "status", "of every Istio kind".into());
    let ty = structs.rust_type(schema, STATUS_TYPE, "status")?;
    code.push_str(&structs.code);
    let count = structs.names.len();
    let ty = if structs.names.contains(&ty) {
        format!("crate::{ty}")
    } else {
        ty
    };
    Ok((ty, count))
}

/// The types of one schema (a kind's spec or the shared status), generated while walking it.
struct Structs<'a> {
    /// What the fields of the root object are named after: the kind (`VirtualServiceHttp`).
    prefix: &'a str,
    /// The path of the root object, `spec`.
    root: &'a str,
    /// Whose schema it is, in the types' docs: "of `VirtualService`".
    owner: String,
    names: BTreeSet<String>,
    code: String,
}

impl<'a> Structs<'a> {
    fn new(prefix: &'a str, root: &'a str, owner: String) -> Self {
        Self {
            prefix,
            root,
            owner,
            names: BTreeSet::new(),
            code: String::new(),
        }
    }

    /// `hint`, or `hint2`, ... when a type of that name exists; taken.
    fn fresh_name(&mut self, hint: &str) -> String {
        take_unique(hint, "", &mut self.names)
    }

    /// Generates the enum of a string schema listing `values` and returns its name.
    fn string_enum(&mut self, values: &[Value], hint: &str, path: &str) -> Result<String, String> {
        let name = self.fresh_name(hint);
        let mut taken = BTreeSet::new();
        let mut variants = Vec::new();
        for value in values {
            let text = value.as_str().ok_or_else(|| {
                format!(
                    "{}: {path}: enum value {value} is not a string",
                    self.prefix
                )
            })?;
            let variant = take_unique(&variant_name(text), "", &mut taken);
            variants.push(format!("({variant}, {text:?})"));
        }
        let doc = format!("`{path}` {}.", self.owner);
        let _ = writeln!(
            self.code,
            "string_enum!({name}, {doc:?}, [{}]);\n",
            variants.join(", ")
        );
        Ok(name)
    }

    /// The Rust type of the value `schema` describes at `path`; object schemas with fields
    /// become structs named `hint` (or `hint2`, ... when taken).
    fn rust_type(&mut self, schema: &Value, hint: &str, path: &str) -> Result<String, String> {
        if schema["x-kubernetes-int-or-string"] == true {
            return Ok("k8s_openapi::apimachinery::pkg::util::intstr::IntOrString".into());
        }
        // An open object with fields of its own is a struct keeping the others.
        if schema["x-kubernetes-preserve-unknown-fields"] == true
            && !schema["properties"].is_object()
        {
            return Ok("serde_json::Value".into());
        }
        Ok(match schema["type"].as_str() {
            Some("string") => match schema["enum"].as_array() {
                Some(values) if !values.is_empty() => self.string_enum(values, hint, path)?,
                _ => "String".into(),
            },
            Some("boolean") => "bool".into(),
            Some("number") => "f64".into(),
            Some("integer") => integer_type(schema).into(),
            Some("array") => {
                let item = self.rust_type(&schema["items"], hint, &format!("{path}[]"))?;
                format!("Vec<{item}>")
            }
            Some("object") => match (&schema["properties"], &schema["additionalProperties"]) {
                (Value::Object(fields), _) => self.object(schema, fields, hint, path)?,
                (_, Value::Object(_)) => {
                    let value = self.rust_type(
                        &schema["additionalProperties"],
                        &format!("{hint}Value"),
                        &format!("{path}{{}}"),
                    )?;
                    format!("std::collections::BTreeMap<String, {value}>")
                }
                _ => "serde_json::Value".into(),
            },
            None => "serde_json::Value".into(),
            Some(other) => return Err(format!("{}: {path}: unknown type `{other}`", self.prefix)),
        })
    }

    /// Generates the struct of an object schema with `fields` and returns its name.
    fn object(
        &mut self,
        schema: &Value,
        fields: &serde_json::Map<String, Value>,
        hint: &str,
        path: &str,
    ) -> Result<String, String> {
        let name = self.fresh_name(hint);
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        // The root's own types are named after the prefix alone (`VirtualServiceHttp`).
        let base = if path == self.root {
            self.prefix
        } else {
            &name
        };
        let mut body = String::new();
        let mut taken = BTreeSet::new();
        for (field, field_schema) in fields {
            let field_path = format!("{path}.{field}");
            let ty = self.rust_type(
                field_schema,
                &format!("{base}{}", pascal_case(field)),
                &field_path,
            )?;
            let ident = take_unique(&snake_case(field), "_", &mut taken);
            let is_required = required.contains(field.as_str());
            let doc = format!(
                "`{field_path}`{}.",
                if is_required { " (required)" } else { "" }
            );
            let _ = writeln!(body, "    #[doc = {doc:?}]");
            if is_required {
                let _ = writeln!(body, "    #[serde(rename = {field:?})]");
                let _ = writeln!(body, "    pub {ident}: {ty},");
            } else {
                let _ = writeln!(
                    body,
                    "    #[serde(rename = {field:?}, default, skip_serializing_if = \"Option::is_none\")]"
                );
                let _ = writeln!(body, "    pub {ident}: Option<{ty}>,");
            }
        }
        if schema["x-kubernetes-preserve-unknown-fields"] == true {
            let ident = take_unique("other_fields", "_", &mut taken);
            let _ = writeln!(
                body,
                "    /// The fields the schema does not list, kept as they are."
            );
            let _ = writeln!(body, "    #[serde(flatten)]");
            let _ = writeln!(
                body,
                "    pub {ident}: std::collections::BTreeMap<String, serde_json::Value>,"
            );
        }
        let doc = format!("`{path}` {}.", self.owner);
        let _ = writeln!(self.code, "#[doc = {doc:?}]");
        self.code.push_str(
            "#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]\n",
        );
        let _ = writeln!(self.code, "pub struct {name} {{\n{body}}}\n");
        Ok(name)
    }
}

/// The Rust integer type of an `integer` schema: by its `format`, or `u32` for the range of an
/// unsigned 32-bit number.
fn integer_type(schema: &Value) -> &'static str {
    match schema["format"].as_str() {
        Some("int32") => "i32",
        Some("uint32") => "u32",
        Some("uint64") => "u64",
        Some("int64") => "i64",
        _ if schema["minimum"] == 0 && schema["maximum"] == u64::from(u32::MAX) => "u32",
        _ => "i64",
    }
}

/// `tcpRoute` -> `TcpRoute`; characters other than letters and digits start a new word.
fn pascal_case(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    out
}

/// `base`, or `base<separator>2`, ... when taken; added to `taken`.
fn take_unique(base: &str, separator: &str, taken: &mut BTreeSet<String>) -> String {
    let name = (1..)
        .map(|n| match n {
            1 => base.to_string(),
            _ => format!("{base}{separator}{n}"),
        })
        .find(|name| !taken.contains(name))
        .unwrap_or_default();
    taken.insert(name.clone());
    name
}

/// The enum variant of an enumerated text: `MESH_EXTERNAL` -> `MeshExternal`, `http` -> `Http`;
/// a text that starts with a digit or is empty gets a `V` in front, and `Other` (the variant
/// of unlisted values) becomes `OtherValue`.
fn variant_name(text: &str) -> String {
    let mut out = String::new();
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let all_upper = !word.chars().any(|c| c.is_ascii_lowercase());
        for (i, c) in word.chars().enumerate() {
            match (i, all_upper) {
                (0, _) => out.push(c.to_ascii_uppercase()),
                (_, true) => out.push(c.to_ascii_lowercase()),
                (_, false) => out.push(c),
            }
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    if out == "Other" || out == "Self" {
        out.push_str("Value");
    }
    out
}

/// `tcpRoute` -> `tcp_route`, a valid Rust identifier (keywords get a trailing `_`).
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if previous_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            previous_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            previous_lower = true;
        } else {
            out.push('_');
            previous_lower = false;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}
