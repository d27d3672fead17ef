//! Generates the typed Istio resources: expands mesh-manifest's CRD catalog and type files
//! (`../mesh-manifest/crds/`) with mesh-manifest's own catalog code into the CRD objects, then
//! writes `$OUT_DIR/api.rs` with, for every kind and served version, the resource type, its spec
//! types (named from their path in the schema) and its `kube::core::Resource` facts. The CRDs
//! and these types thus have one source: mesh's schema files.

#[path = "../mesh-manifest/src/render/crds/catalog.rs"]
mod catalog;
// Only its exit code helper is used here.
#[allow(dead_code)]
#[path = "../build-support/embed_json.rs"]
mod embed_json;
// Only the type language expander is used here (not `structural_problems`).
#[allow(dead_code)]
#[path = "../mesh-manifest/src/render/crds/schema.rs"]
mod schema;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use mesh_core::Value;

/// Where mesh-manifest keeps the catalog and type files, from this crate.
const CRDS_FROM_HERE: &str = "../mesh-manifest";

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
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR")?).join(CRDS_FROM_HERE);
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=../build-support/embed_json.rs");
    for path in [
        "src/render/crds/catalog.rs",
        "src/render/crds/schema.rs",
        "crds",
        catalog::CATALOG_FILE,
    ]
    .into_iter()
    .chain(catalog::TYPE_FILES)
    {
        println!("cargo::rerun-if-changed={CRDS_FROM_HERE}/{path}");
    }
    let read = |name: &str| {
        let text =
            std::fs::read_to_string(manifest.join(name)).map_err(|e| format!("{name}: {e}"))?;
        mesh_core::from_yaml_str(&text, name).map_err(|e| e.to_string())
    };
    let crds = catalog::build(&read)?;
    let code = generate(&crds)?;
    let path = PathBuf::from(env("OUT_DIR")?).join("api.rs");
    std::fs::write(&path, code).map_err(|e| format!("{}: {e}", path.display()))
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
    spec_required: bool,
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
    let mut code =
        String::from("// Written by mesh-api's build.rs from mesh-manifest's CRD catalog.\n\n");
    let mut kinds = Vec::new();
    let mut type_count = 0;
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
                    let mut structs = Structs::new(s.kind);
                    structs.rust_type(s.spec, &spec_name, "spec")?;
                    type_count += structs.names.len();
                    code.push_str(&structs.code);
                    let names = structs.names.into_iter().collect();
                    shared.insert(key, (version.to_string(), names));
                }
                let _ = writeln!(
                    code,
                    "resource!({kind}, {spec_name}, {spec_required}, {group:?}, {version:?}, {kind:?}, {plural:?});",
                    kind = s.kind,
                    spec_required = s.spec_required,
                    group = s.group,
                    plural = s.plural,
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

/// The spec structs of one kind, generated while walking its schema.
struct Structs<'a> {
    kind: &'a str,
    names: BTreeSet<String>,
    code: String,
}

impl<'a> Structs<'a> {
    fn new(kind: &'a str) -> Self {
        Self {
            kind,
            names: BTreeSet::new(),
            code: String::new(),
        }
    }

    /// The Rust type of the value `schema` describes at `path`; object schemas with fields
    /// become structs named `hint` (or `hint2`, ... when taken).
    fn rust_type(&mut self, schema: &Value, hint: &str, path: &str) -> Result<String, String> {
        if schema["x-kubernetes-int-or-string"] == true {
            return Ok("k8s_openapi::apimachinery::pkg::util::intstr::IntOrString".into());
        }
        if schema["x-kubernetes-preserve-unknown-fields"] == true {
            return Ok("serde_json::Value".into());
        }
        Ok(match schema["type"].as_str() {
            Some("string") => "String".into(),
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
            Some(other) => return Err(format!("{}: {path}: unknown type `{other}`", self.kind)),
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
        let name = (1..)
            .map(|n| match n {
                1 => hint.to_string(),
                _ => format!("{hint}{n}"),
            })
            .find(|name| !self.names.contains(name))
            .unwrap_or_default();
        self.names.insert(name.clone());
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        // The spec's own types are named after the kind alone (`VirtualServiceHttp`).
        let base = if path == "spec" { self.kind } else { &name };
        let mut body = String::new();
        let mut taken = BTreeSet::new();
        for (field, field_schema) in fields {
            let field_path = format!("{path}.{field}");
            let ty = self.rust_type(
                field_schema,
                &format!("{base}{}", pascal_case(field)),
                &field_path,
            )?;
            let ident = (1..)
                .map(|n| match n {
                    1 => snake_case(field),
                    _ => format!("{}_{n}", snake_case(field)),
                })
                .find(|ident| !taken.contains(ident))
                .unwrap_or_default();
            taken.insert(ident.clone());
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
        let doc = format!("`{path}` of `{}`.", self.kind);
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
