//! Converts the embedded chart values and helm profiles (`charts/**.yaml`), the values' leaf
//! types (`data/**.yaml`) and the built-in profiles (`profiles/*.yaml`) to JSON at build time
//! (see `build-support/embed_json.rs`), and derives the shape of `spec.values` from them with
//! the crate's own code (`src/values_shape/derive.rs`), written as Rust code
//! (`values_shape.rs`) that the crate includes: a run builds that small shape instead of
//! reading every chart to derive it.

#[path = "../build-support/embed_json.rs"]
mod embed_json;

// Only `Chart::ALL` and `Chart::data_dir` are used here.
#[allow(dead_code)]
#[path = "src/values/chart.rs"]
mod chart;

#[path = "src/values_shape/derive.rs"]
mod derive;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use mesh_core::Shape;

/// What `chart.rs` reads of the crate's `profiles` module. The shape does not depend on the
/// version, so none is given here.
mod profiles {
    /// Not read by the shape derivation.
    pub const ISTIO_VERSION: &str = "";
}

/// The data readers `derive.rs` calls, reading the YAML files the crate embeds.
mod values {
    use std::path::Path;

    use mesh_core::Value;

    pub use super::chart::Chart;

    fn read(relative: &str) -> Result<Option<Value>, String> {
        let dir = std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?;
        let path = Path::new(&dir).join(relative);
        match std::fs::read_to_string(&path) {
            Ok(text) => mesh_core::from_yaml_str(&text, relative)
                .map(Some)
                .map_err(|e| e.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// A file's tree, kept for the rest of the build script; an empty document is an empty
    /// mapping (as the crate reads it).
    fn kept(value: Value) -> &'static Value {
        let value = if value.is_null() {
            Value::Object(Default::default())
        } else {
            value
        };
        Box::leak(Box::new(value))
    }

    /// A chart's default values (`charts/<name>/values.yaml`).
    pub fn chart_defaults(chart: Chart) -> Result<&'static Value, String> {
        let file = format!("charts/{}/values.yaml", chart.data_dir());
        let value = read(&file)?.ok_or_else(|| format!("{file}: missing"))?;
        Ok(kept(value))
    }

    /// A helm-level profile (`charts/profiles/<stem>.yaml`), `None` when there is no such file.
    pub fn helm_profile(stem: &str) -> Result<Option<&'static Value>, String> {
        Ok(read(&format!("charts/profiles/{stem}.yaml"))?.map(kept))
    }

    /// The values' leaf types (`data/values-types.yaml`).
    pub fn value_types() -> Result<Value, String> {
        read("data/values-types.yaml")?.ok_or_else(|| "data/values-types.yaml: missing".into())
    }
}

fn main() -> ExitCode {
    for dir in ["charts", "data", "profiles"] {
        let code = embed_json::main(dir);
        if code != ExitCode::SUCCESS {
            return code;
        }
    }
    for file in ["src/values/chart.rs", "src/values_shape/derive.rs"] {
        println!("cargo::rerun-if-changed={file}");
    }
    embed_json::exit_code(write_values_shape())
}

/// Writes `$OUT_DIR/values_shape.rs`: an expression that builds the derived shape.
fn write_values_shape() -> Result<(), String> {
    // The derivation falls back to a permissive shape on unreadable data; the build refuses it.
    values::value_types()?;
    for chart in chart::Chart::ALL {
        values::chart_defaults(chart)?;
    }
    let mut code = String::new();
    rust_expr(&derive::values_shape(), &mut code);
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let path = out.join("values_shape.rs");
    std::fs::write(&path, code).map_err(|e| format!("{}: {e}", path.display()))
}

/// Appends the Rust expression that builds `shape`.
fn rust_expr(shape: &Shape, out: &mut String) {
    let fields = |fields: &[(String, Shape)], out: &mut String| {
        out.push_str("vec![");
        for (name, shape) in fields {
            let _ = write!(out, "({name:?}.to_string(), ");
            rust_expr(shape, out);
            out.push_str("),");
        }
        out.push(']');
    };
    let boxed = |shape: &Shape, out: &mut String| {
        out.push_str("Box::new(");
        rust_expr(shape, out);
        out.push(')');
    };
    match shape {
        Shape::Any => out.push_str("Shape::Any"),
        Shape::Bool => out.push_str("Shape::Bool"),
        Shape::Int => out.push_str("Shape::Int"),
        Shape::Number => out.push_str("Shape::Number"),
        Shape::String => out.push_str("Shape::String"),
        Shape::IntOrString => out.push_str("Shape::IntOrString"),
        Shape::Scalar => out.push_str("Shape::Scalar"),
        Shape::Text => out.push_str("Shape::Text"),
        Shape::Integer { min, max } => {
            let _ = write!(out, "Shape::Integer {{ min: {min}_i64, max: {max}_i64 }}");
        }
        Shape::Float => out.push_str("Shape::Float"),
        Shape::Duration => out.push_str("Shape::Duration"),
        Shape::Quantity => out.push_str("Shape::Quantity"),
        Shape::Enum(names) => {
            let _ = write!(out, "Shape::Enum(vec![");
            for name in names {
                let _ = write!(out, "{name:?}.to_string(),");
            }
            out.push_str("])");
        }
        Shape::List(item) => {
            out.push_str("Shape::List(");
            boxed(item, out);
            out.push(')');
        }
        Shape::Map(value) => {
            out.push_str("Shape::Map(");
            boxed(value, out);
            out.push(')');
        }
        Shape::Object(list) => {
            out.push_str("Shape::Object(");
            fields(list, out);
            out.push(')');
        }
        Shape::Open(list, rest) => {
            out.push_str("Shape::Open(");
            fields(list, out);
            out.push(',');
            boxed(rest, out);
            out.push(')');
        }
    }
}
