//! mesh-gotmpl: Go's `text/template` engine, pure: parse a template body once, execute it over
//! a JSON value tree with Go's semantics, calling the functions of a registry ([`Funcs`]):
//! Go's built-ins, sprig's text functions and your own.
//!
//! ```
//! use mesh_gotmpl::{Funcs, Template, Val, arity};
//!
//! // Go's built-ins, sprig's functions and one of our own.
//! let funcs = Funcs::go().with_sprig().with("shout", |args| {
//!     arity("shout", &args, 1, 1)?;
//!     Ok(Val::str(format!("{}!", args[0].expect_string()?.to_uppercase())))
//! });
//! let template = Template::parse("hello", "{{ .name | shout }} x{{ add .count 1 }}", &funcs)?;
//! let out = template.execute(&serde_json::json!({"name": "mesh", "count": 2}))?;
//! println!("{out}");
//! assert_eq!(out, "MESH! x3");
//! # Ok::<(), mesh_gotmpl::Error>(())
//! ```
//!
//! # Data model
//!
//! The data is a [`mesh_core::Value`]; its top level is a Go struct (for Istio's injection
//! templates, `SidecarTemplateData` with Go field names as keys: `ObjectMeta`, `Spec`,
//! `ProxyConfig`, `MeshConfig`, `Values`, ...); below it, values are in Kubernetes/protobuf
//! JSON form (camelCase keys). Field access follows the Go type each part stands for
//! ([`Shape`]):
//!
//! * **Structs** (the top level, Kubernetes objects, proxy and mesh config): `.X` finds the key
//!   `X`, else `x` (first letter lower-cased), else a case-insensitive match, else for `GetX`
//!   the same rules on `X` (protobuf getters). A field the data leaves out is the Go zero
//!   value: it prints as empty, is false, equals `""`, `0` and `false`, and its own fields are
//!   zero again (as protobuf getters on nil messages are).
//! * **Go maps** (`.Values` and everything below it, `annotations`, `labels`,
//!   `proxyMetadata`, `nodeSelector`, maps built by `dict`/`fromJson`): keys match exactly;
//!   a missing key is Go's "no value" (false, prints `<no value>`, equal to nothing);
//!   `index` of a missing key is `""` for string maps and nil (`<nil>`) otherwise.
//! * **Numbers** under `.Values` and from `fromJson` are `float64` as in Go (`%v` prints
//!   `1e+06` for a million; they do not compare with integer constants), elsewhere integers
//!   stay integers.
//! * Scalars answer `.String` and `.GetValue` with themselves (protobuf enums and wrappers).
//!
//! # Functions
//!
//! [`Funcs::go`] has Go's built-ins; [`Funcs::with_sprig`] adds sprig's text functions
//! (defaults, lists, dicts, strings, integer and float math, JSON, base64). Not provided:
//! regular expressions, hashing, dates, randomness, semver, `env`/`expandenv` (the library
//! reads no environment). [`Funcs::with`] registers a function under a name (replacing one
//! of that name); a template calling a name its registry does not have fails to parse, with a
//! "did you mean" drawn from the registry.
//!
//! # Limits
//!
//! Templates may come from users (a ConfigMap): execution stops with an error past 16 MiB of
//! output, 2,000,000 steps (nodes and range iterations) or 200 nested `template` calls.

// Library code never unwraps what comes from input; tests may (clippy.toml allows it there).
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod exec;
mod funcs;
mod lex;
mod parse;
mod print;
mod value;

pub use funcs::{FuncError, Funcs, arity};
pub use value::{Shape, Val};

use mesh_core::Value;

/// A parsed Go text/template, with the function registry it was parsed against (and will
/// call when executed).
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    name: String,
    body: String,
    tree: parse::Tree,
    funcs: Funcs,
}

/// A template parse or execution error, formatted like Go's:
/// `template: custom:12:7: executing "custom" at <.Foo>: ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template: {name}:{line}:{column}: {message}")]
pub struct Error {
    /// The template name.
    pub name: String,
    /// 1-based line in the template body.
    pub line: usize,
    /// 1-based column (in characters) in that line.
    pub column: usize,
    /// What was wrong (for execution errors, with the node being executed).
    pub message: String,
}

impl Template {
    /// Parses a template body whose function calls go to `funcs` (a name `funcs` does not
    /// have is an error); `name` is used in error messages.
    pub fn parse(name: &str, body: &str, funcs: &Funcs) -> Result<Template, Error> {
        let tokens = lex::lex(body).map_err(|(pos, m)| error(name, body, pos, m))?;
        let tree =
            parse::parse(body, tokens, funcs).map_err(|(pos, m)| error(name, body, pos, m))?;
        Ok(Template {
            name: name.to_string(),
            body: body.to_string(),
            tree,
            funcs: funcs.clone(),
        })
    }

    /// The template name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Executes the template with `data` as dot (see the crate docs for the data model and
    /// the limits).
    pub fn execute(&self, data: &Value) -> Result<String, Error> {
        exec::Exec::run(&self.tree, &self.funcs, data).map_err(|e| {
            let message = format!("executing {:?} at <{}>: {}", self.name, e.node, e.message);
            error(&self.name, &self.body, e.pos, message)
        })
    }
}

fn error(name: &str, body: &str, pos: usize, message: String) -> Error {
    let (line, column) = line_col(body, pos);
    Error {
        name: name.to_string(),
        line,
        column,
        message,
    }
}

/// 1-based line and column of a byte offset.
fn line_col(body: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(body.len());
    while !body.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &body[..pos];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}
