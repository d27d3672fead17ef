//! A Go `text/template` engine for Istio injection templates: parse a template body once,
//! execute it over a value tree with Go's semantics and Istio's function map.
//!
//! # Data model
//!
//! The data is a [`mesh_core::Value`] whose top level stands for Istio's `SidecarTemplateData`
//! (Go field names as keys: `ObjectMeta`, `Spec`, `ProxyConfig`, `MeshConfig`, `Values`, ...);
//! below it, values are in Kubernetes/protobuf JSON form (camelCase keys). Field access
//! follows the Go type each part stands for:
//!
//! * **Structs** (the top level, Kubernetes objects, proxy and mesh config): `.X` finds the key
//!   `X`, else `x` (first letter lower-cased), else a case-insensitive match, else for `GetX`
//!   the same rules on `X` (protobuf getters). A field the data leaves out is the Go zero
//!   value: it prints as empty, is false, equals `""`, `0` and `false`, and its own fields are
//!   zero again (as protobuf getters on nil messages are).
//! * **Go maps** (`.Values` and everything below it, `annotations`, `labels`,
//!   `proxyMetadata`, `nodeSelector`, maps built by `dict`/`fromJSON`): keys match exactly;
//!   a missing key is Go's "no value" (false, prints `<no value>`, equal to nothing);
//!   `index` of a missing key is `""` for string maps and nil (`<nil>`) otherwise.
//! * **Numbers** under `.Values` and from `fromJSON` are `float64` as in Go (`%v` prints
//!   `1e+06` for a million; they do not compare with integer constants), elsewhere integers
//!   stay integers.
//! * Scalars answer `.String` and `.GetValue` with themselves (protobuf enums and wrappers).
//!
//! Functions: Go's built-ins, sprig's text functions used by injection templates, and
//! Istio's injection function map (which wins where both define a name: `indent`, `omit`,
//! `toYaml`, `toJson`, `contains`). `env` returns its default (the library reads no
//! environment). Not provided: regular expressions, hashing, dates, randomness, semver.

mod exec;
mod funcs;
mod lex;
mod parse;
mod print;
mod value;

use mesh_core::Value;

/// A parsed Go text/template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    name: String,
    body: String,
    tree: parse::Tree,
}

/// A template parse or execution error, formatted like Go's:
/// `template: custom:12:7: executing "custom" at <.Foo>: ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template: {name}:{line}:{column}: {message}")]
pub struct GoTemplateError {
    /// The template name.
    pub name: String,
    /// 1-based line in the template body.
    pub line: usize,
    /// 1-based column (in characters) in that line.
    pub column: usize,
    /// What was wrong (for execution errors, with the node being executed).
    pub message: String,
}

/// The function names known to templates (for parse-time checks and suggestions).
struct Names;

impl parse::FuncNames for Names {
    fn has(&self, name: &str) -> bool {
        funcs::NAMES.contains(&name)
    }

    fn suggest(&self, name: &str) -> Option<String> {
        mesh_core::suggest::closest(name, funcs::NAMES.iter().copied()).map(str::to_string)
    }
}

impl Template {
    /// Parses a template body; `name` is used in error messages and is the name `template`
    /// actions may not use for another definition.
    pub fn parse(name: &str, body: &str) -> Result<Template, GoTemplateError> {
        let tokens = lex::lex(body).map_err(|(pos, m)| error(name, body, pos, m))?;
        let tree =
            parse::parse(body, tokens, &Names).map_err(|(pos, m)| error(name, body, pos, m))?;
        Ok(Template {
            name: name.to_string(),
            body: body.to_string(),
            tree,
        })
    }

    /// The template name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Executes the template with `data` as dot (see the module docs for the data model).
    /// Output beyond 16 MiB and `template` recursion deeper than 200 are errors.
    pub fn execute(&self, data: &Value) -> Result<String, GoTemplateError> {
        exec::Exec::run(&self.tree, data).map_err(|e| {
            let message = format!("executing {:?} at <{}>: {}", self.name, e.node, e.message);
            error(&self.name, &self.body, e.pos, message)
        })
    }
}

fn error(name: &str, body: &str, pos: usize, message: String) -> GoTemplateError {
    let (line, column) = line_col(body, pos);
    GoTemplateError {
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
