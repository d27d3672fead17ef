//! istioctl's path language (`--set` paths and `k8s.overlays` patch paths, see [`Syntax`]):
//! parsing `a.b[0].c`, `a.[name:x].b` and `a\.b`, typing flag values, and reading and writing a
//! value tree at a path.

use crate::Value;
use serde_json::Map;
use std::fmt;
use std::str::FromStr;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A map key (may contain dots that were escaped as `\.`).
    Key(String),
    /// A list index: `[N]`. An index past the end appends when writing.
    Index(usize),
    /// A list item selector: `[key:value]` selects the item whose `key` equals `value`.
    Select {
        /// The field compared in each list item.
        key: String,
        /// The value it must have (compared as a string).
        value: String,
    },
    /// A list item selected by its own value: `[:value]` (overlay paths only, see
    /// [`Syntax::Overlay`]).
    Scalar(String),
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Key(k) => f.write_str(&k.replace('.', "\\.")),
            Segment::Index(i) => write!(f, "[{i}]"),
            Segment::Select { key, value } => write!(f, "[{key}:{value}]"),
            Segment::Scalar(value) => write!(f, "[:{value}]"),
        }
    }
}

/// A parsed path: a list of segments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Path(pub Vec<Segment>);

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            if i > 0 && matches!(seg, Segment::Key(_)) {
                f.write_str(".")?;
            }
            write!(f, "{seg}")?;
        }
        Ok(())
    }
}

/// A path that could not be parsed. `position` is the byte offset in the path where the problem
/// is (of the `[` for bracket problems).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParsePathError {
    /// The path is empty or has an empty key (`a..b`).
    #[error("path {path:?} has an empty segment")]
    EmptySegment {
        /// The whole path.
        path: String,
        /// Where the empty segment is.
        position: usize,
    },
    /// A `[` without its `]`.
    #[error("path {path:?} has an unclosed `[`")]
    Unclosed {
        /// The whole path.
        path: String,
        /// Where the `[` is.
        position: usize,
    },
    /// Something inside brackets that the syntax does not know (for `--set`: neither `N` nor
    /// `key:value`; for overlays: nothing).
    #[error("path {path:?}: `[{inner}]` is neither an index `[N]` nor a selector `[key:value]`")]
    BadBracket {
        /// The whole path.
        path: String,
        /// What stood inside the brackets.
        inner: String,
        /// Where the `[` is.
        position: usize,
    },
    /// Text right after `]` that is not `.` or `[`.
    #[error("path {path:?}: expected `.` or `[` after `]`")]
    AfterBracket {
        /// The whole path.
        path: String,
        /// Where the unexpected text starts.
        position: usize,
    },
}

impl ParsePathError {
    /// The byte offset in the path where the problem is.
    pub fn position(&self) -> usize {
        match self {
            ParsePathError::EmptySegment { position, .. }
            | ParsePathError::Unclosed { position, .. }
            | ParsePathError::BadBracket { position, .. }
            | ParsePathError::AfterBracket { position, .. } => *position,
        }
    }
}

/// The two dialects of istioctl's path language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `--set` paths: `a.b`, `a\.b` (one key), `a[0].b` and `a.[0].b` (the same), `a[name:x]`
    /// (the value may hold `.` and `:`); an empty segment is an error.
    Set,
    /// `k8s.overlays[].patches[].path`: as [`Syntax::Set`], but surrounding spaces and dots are
    /// ignored, as are empty segments (`a..b`); `\.` is a dot inside brackets too; `[N]` is an
    /// index only when `N` is a non-negative number; `[key:value]` needs a key of letters,
    /// digits, `_` and `-`, exactly one unescaped `:` and a value; anything else in brackets
    /// (`[:value]` or `[value]`) selects the list item equal to the value ([`Segment::Scalar`]).
    Overlay,
}

impl FromStr for Path {
    type Err = ParsePathError;

    /// Parses a `--set` path ([`Syntax::Set`]).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Path::parse(s, Syntax::Set)
    }
}

impl Path {
    /// Parses `text` written in `syntax`.
    pub fn parse(text: &str, syntax: Syntax) -> Result<Path, ParsePathError> {
        let (body, offset) = match syntax {
            Syntax::Set => (text, 0),
            Syntax::Overlay => {
                let trimmed = text.trim().trim_matches('.');
                let lead = text.len() - text.trim_start().len();
                let dots = text.trim().len() - text.trim().trim_start_matches('.').len();
                (trimmed, lead + dots)
            }
        };
        let empty = |position: usize| ParsePathError::EmptySegment {
            path: text.to_string(),
            position: offset + position,
        };
        let after_bracket_error = |position: usize| ParsePathError::AfterBracket {
            path: text.to_string(),
            position: offset + position,
        };
        let mut segs = Vec::new();
        let mut key = String::new();
        // Whether the last thing read was a `]` (so `a..b` and a trailing `.` are errors).
        let mut after_bracket = false;
        let mut chars = body.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '\\' if chars.peek().map(|(_, c)| *c) == Some('.') => {
                    chars.next();
                    key.push('.');
                }
                '.' => {
                    if after_bracket {
                        after_bracket = false;
                        if !key.is_empty() {
                            return Err(after_bracket_error(at));
                        }
                        continue;
                    }
                    if key.is_empty() {
                        if syntax == Syntax::Overlay {
                            continue;
                        }
                        return Err(empty(at));
                    }
                    segs.push(Segment::Key(std::mem::take(&mut key)));
                }
                '[' => {
                    if after_bracket && !key.is_empty() {
                        return Err(after_bracket_error(at));
                    }
                    if !key.is_empty() {
                        segs.push(Segment::Key(std::mem::take(&mut key)));
                    }
                    let mut inner = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == ']' {
                            closed = true;
                            break;
                        }
                        inner.push(c);
                    }
                    if !closed {
                        return Err(ParsePathError::Unclosed {
                            path: text.to_string(),
                            position: offset + at,
                        });
                    }
                    let bracket = match syntax {
                        Syntax::Set => set_bracket(&inner),
                        Syntax::Overlay => overlay_bracket(&inner.replace("\\.", ".")),
                    };
                    segs.push(bracket.ok_or_else(|| ParsePathError::BadBracket {
                        path: text.to_string(),
                        inner,
                        position: offset + at,
                    })?);
                    after_bracket = true;
                }
                _ => {
                    if after_bracket {
                        return Err(after_bracket_error(at));
                    }
                    key.push(c);
                }
            }
        }
        if !key.is_empty() {
            segs.push(Segment::Key(key));
        } else if !after_bracket && (syntax == Syntax::Set || segs.is_empty()) {
            return Err(empty(body.len()));
        }
        Ok(Path(segs))
    }
}

/// `[N]` or `[key:value]` of a `--set` path.
fn set_bracket(inner: &str) -> Option<Segment> {
    if let Some((k, v)) = inner.split_once(':') {
        if !k.is_empty() {
            return Some(Segment::Select {
                key: k.to_string(),
                value: v.to_string(),
            });
        }
    } else if let Ok(i) = inner.trim().parse::<usize>() {
        return Some(Segment::Index(i));
    }
    None
}

/// `[N]`, `[key:value]`, `[:value]` or `[value]` of an overlay path (see [`Syntax::Overlay`]).
fn overlay_bracket(inner: &str) -> Option<Segment> {
    if let Some(index) = inner
        .parse::<i64>()
        .ok()
        .and_then(|n| usize::try_from(n).ok())
    {
        return Some(Segment::Index(index));
    }
    let valid_key = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if let [key, value] = split_unescaped_colons(inner).as_slice()
        && valid_key(key)
        && !value.is_empty()
    {
        return Some(Segment::Select {
            key: key.to_string(),
            value: value.to_string(),
        });
    }
    match inner.strip_prefix(':') {
        Some(v) if !v.is_empty() => Some(Segment::Scalar(v.to_string())),
        _ if !inner.is_empty() => Some(Segment::Scalar(inner.to_string())),
        _ => None,
    }
}

/// Splits at each `:` not preceded by a backslash (the backslash is kept).
fn split_unescaped_colons(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut prev = None;
    for (i, c) in s.char_indices() {
        if c == ':' && prev != Some('\\') {
            parts.push(&s[start..i]);
            start = i + 1;
        }
        prev = Some(c);
    }
    parts.push(&s[start..]);
    parts
}

impl Path {
    /// The path with `prefix` keys in front (e.g. `spec`).
    pub fn prefixed(&self, prefix: &[&str]) -> Path {
        let mut segs: Vec<Segment> = prefix
            .iter()
            .map(|k| Segment::Key((*k).to_string()))
            .collect();
        segs.extend(self.0.iter().cloned());
        Path(segs)
    }
}

/// Paths whose `--set` values always stay strings (relative to `spec`): the version-like ones.
/// A prefix ending in `.` covers everything below it.
pub const ALWAYS_STRING_PATHS: &[&str] = &[
    "tag",
    "values.global.tag",
    "compatibilityVersion",
    "values.compatibilityVersion",
    "meshConfig.defaultConfig.proxyMetadata.",
    "values.meshConfig.defaultConfig.proxyMetadata.",
];

/// Whether a `--set` path (relative to `spec`, as written by the user) keeps its value a string.
pub fn is_always_string(path: &str) -> bool {
    ALWAYS_STRING_PATHS.iter().any(|p| {
        if p.ends_with('.') {
            path.starts_with(p)
        } else {
            path == *p
        }
    })
}

/// Types a `--set` value as istioctl does: integer, then float, then boolean (Go's
/// `strconv.ParseBool` spellings), then string (with `\,` unescaped to `,`).
pub fn parse_scalar(text: &str) -> Value {
    if let Some(i) = parse_go_int(text) {
        return Value::from(i);
    }
    if let Some(f) = parse_go_float(text) {
        return Value::from(f);
    }
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => return Value::Bool(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => return Value::Bool(false),
        _ => {}
    }
    Value::String(text.replace("\\,", ","))
}

/// Go's `strconv.Atoi`: optional sign, decimal digits, fits in 64 bits.
fn parse_go_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i64>().ok()
}

/// Go's `strconv.ParseFloat` for decimal notation. Infinities and NaN, which Go accepts, stay
/// strings here: the value tree (JSON) cannot hold them.
fn parse_go_float(text: &str) -> Option<f64> {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let ok_chars = body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if body.is_empty() || !ok_chars || !body.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A `--set` flag split into its path and typed value.
#[derive(Debug, Clone, PartialEq)]
pub struct SetFlag {
    /// The path as written (relative to `spec`).
    pub raw_path: String,
    /// The parsed path.
    pub path: Path,
    /// The typed value.
    pub value: Value,
}

/// A `--set` flag that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetFlagError {
    /// No `=` in the flag.
    #[error("--set {0:?}: expected path=value")]
    NoEquals(String),
    /// The path part is malformed.
    #[error("--set {flag:?}: {source}")]
    Path {
        /// The whole flag.
        flag: String,
        /// What is wrong with its path.
        #[source]
        source: ParsePathError,
    },
}

impl FromStr for SetFlag {
    type Err = SetFlagError;

    /// Splits at the first `=`, trims both sides, types the value (see [`parse_scalar`]).
    fn from_str(flag: &str) -> Result<Self, Self::Err> {
        let (p, v) = flag
            .split_once('=')
            .ok_or_else(|| SetFlagError::NoEquals(flag.to_string()))?;
        let (p, v) = (p.trim(), v.trim());
        let path = p.parse::<Path>().map_err(|source| SetFlagError::Path {
            flag: flag.to_string(),
            source,
        })?;
        let value = if is_always_string(p) {
            Value::String(v.to_string())
        } else {
            parse_scalar(v)
        };
        Ok(SetFlag {
            raw_path: p.to_string(),
            path,
            value,
        })
    }
}

/// Writing at a path failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetPathError {
    /// A `[key:value]` selector matched no list item.
    #[error("{path}: no list item matches [{key}:{value}]")]
    NoMatch {
        /// The path written.
        path: String,
        /// Selector key.
        key: String,
        /// Selector value.
        value: String,
    },
    /// The path walks into something of the wrong kind (a key into a list, an index into a map,
    /// anything into a scalar).
    #[error("{path}: {at} is a {found}, cannot apply {segment}")]
    WrongKind {
        /// The path written.
        path: String,
        /// The prefix of the path that was reached.
        at: String,
        /// What was found there (`map`, `list`, `string`, ...).
        found: &'static str,
        /// The segment that could not be applied.
        segment: String,
    },
    /// A `--set` flag would replace an existing list item as a whole.
    #[error(
        "{path}: replaces an existing list item, which istioctl cannot do with --set; set one of its fields ({path}.<field>=...) or give the list in a -f file"
    )]
    ReplacesItem {
        /// The path written.
        path: String,
    },
}

/// The kind name of a value, for messages.
pub fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

/// Reads the value at `path`; `None` when any step is missing.
pub fn get<'a>(root: &'a Value, path: &Path) -> Option<&'a Value> {
    let mut cur = root;
    for seg in &path.0 {
        cur = match (seg, cur) {
            (Segment::Key(k), Value::Object(m)) => m.get(k)?,
            (Segment::Index(i), Value::Array(l)) => l.get(*i)?,
            (Segment::Select { .. } | Segment::Scalar(_), Value::Array(l)) => {
                &l[item_index(l, seg)?]
            }
            _ => return None,
        };
    }
    Some(cur)
}

fn item_matches(item: &Value, key: &str, value: &str) -> bool {
    match item.get(key) {
        Some(Value::String(s)) => s == value,
        Some(v @ (Value::Number(_) | Value::Bool(_))) => *v == value,
        _ => false,
    }
}

/// The position of the list item a `[key:value]` or `[:value]` segment selects.
fn item_index(list: &[Value], seg: &Segment) -> Option<usize> {
    match seg {
        Segment::Select { key, value } => list.iter().position(|it| item_matches(it, key, value)),
        Segment::Scalar(value) => list.iter().position(|it| match it {
            Value::String(s) => s == value,
            Value::Number(n) => n.to_string() == *value,
            Value::Bool(b) => b.to_string() == *value,
            _ => false,
        }),
        Segment::Key(_) | Segment::Index(_) => None,
    }
}

/// Writes `value` at `path` the way istioctl applies a `--set` flag: like [`set`], except that a
/// path ending in `[N]` or `[key:value]` that addresses an existing list item is refused
/// (istioctl 1.30 fails on it; only appending past the end, or setting a field of the item,
/// works).
pub fn set_flag(root: &mut Value, path: &Path, value: Value) -> Result<(), SetPathError> {
    if path.0.last().is_some_and(|s| !matches!(s, Segment::Key(_))) && get(root, path).is_some() {
        return Err(SetPathError::ReplacesItem {
            path: path.to_string(),
        });
    }
    set(root, path, value)
}

/// Writes `value` at `path`, creating missing maps and lists. `[N]` past the end of a list
/// appends; `[key:value]` must match an existing item. Null or missing intermediate steps are
/// replaced by the container the next segment needs.
pub fn set(root: &mut Value, path: &Path, value: Value) -> Result<(), SetPathError> {
    let full = path.to_string();
    set_rec(root, &path.0, 0, value, &full)
}

fn set_rec(
    cur: &mut Value,
    segs: &[Segment],
    depth: usize,
    value: Value,
    full: &str,
) -> Result<(), SetPathError> {
    let Some((seg, rest)) = segs.split_first() else {
        *cur = value;
        return Ok(());
    };
    if cur.is_null() {
        *cur = match seg {
            Segment::Key(_) => Value::Object(Map::new()),
            _ => Value::Array(Vec::new()),
        };
    }
    let wrong = |cur: &Value| SetPathError::WrongKind {
        path: full.to_string(),
        at: prefix_string(full, depth),
        found: kind_name(cur),
        segment: seg.to_string(),
    };
    match seg {
        Segment::Key(k) => {
            let Value::Object(m) = cur else {
                return Err(wrong(cur));
            };
            let child = m.entry(k.clone()).or_insert(Value::Null);
            set_rec(child, rest, depth + 1, value, full)
        }
        Segment::Index(i) => {
            let Value::Array(l) = cur else {
                return Err(wrong(cur));
            };
            if *i < l.len() {
                set_rec(&mut l[*i], rest, depth + 1, value, full)
            } else {
                let mut child = Value::Null;
                set_rec(&mut child, rest, depth + 1, value, full)?;
                l.push(child);
                Ok(())
            }
        }
        Segment::Select { .. } | Segment::Scalar(_) => {
            let Value::Array(l) = cur else {
                return Err(wrong(cur));
            };
            let Some(i) = item_index(l, seg) else {
                let (key, want) = match seg {
                    Segment::Select { key, value } => (key.as_str(), value),
                    Segment::Scalar(value) => ("", value),
                    Segment::Key(_) | Segment::Index(_) => ("", &String::new()),
                };
                return Err(SetPathError::NoMatch {
                    path: full.to_string(),
                    key: key.to_string(),
                    value: want.clone(),
                });
            };
            set_rec(&mut l[i], rest, depth + 1, value, full)
        }
    }
}

/// Removes the value at `path`; returns it if it existed.
pub fn delete(root: &mut Value, path: &Path) -> Option<Value> {
    let (last, parents) = path.0.split_last()?;
    let parent = get_mut(root, parents)?;
    match (last, parent) {
        (Segment::Key(k), Value::Object(m)) => m.remove(k),
        (Segment::Index(i), Value::Array(l)) if *i < l.len() => Some(l.remove(*i)),
        (Segment::Select { .. } | Segment::Scalar(_), Value::Array(l)) => {
            let pos = item_index(l, last)?;
            Some(l.remove(pos))
        }
        _ => None,
    }
}

fn get_mut<'a>(root: &'a mut Value, segs: &[Segment]) -> Option<&'a mut Value> {
    let mut cur = root;
    for seg in segs {
        cur = match (seg, cur) {
            (Segment::Key(k), Value::Object(m)) => m.get_mut(k)?,
            (Segment::Index(i), Value::Array(l)) => l.get_mut(*i)?,
            (Segment::Select { .. } | Segment::Scalar(_), Value::Array(l)) => {
                let i = item_index(l, seg)?;
                &mut l[i]
            }
            _ => return None,
        };
    }
    Some(cur)
}

/// The first `depth` segments of a printed path, for messages ("<root>" when empty).
fn prefix_string(full: &str, depth: usize) -> String {
    match full.parse::<Path>() {
        Ok(p) if depth > 0 => Path(p.0.into_iter().take(depth).collect()).to_string(),
        _ => "<root>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Path {
        s.parse().unwrap()
    }

    fn key(s: &str) -> Segment {
        Segment::Key(s.to_string())
    }

    #[test]
    fn splits_on_unescaped_dots() {
        assert_eq!(p("a.b.c").0, vec![key("a"), key("b"), key("c")]);
        assert_eq!(
            p(r"values.sidecarInjectorWebhook.injectedAnnotations.container\.apparmor\.security\.beta\.kubernetes\.io/istio-proxy").0,
            vec![
                key("values"),
                key("sidecarInjectorWebhook"),
                key("injectedAnnotations"),
                key("container.apparmor.security.beta.kubernetes.io/istio-proxy"),
            ]
        );
    }

    #[test]
    fn index_with_and_without_dot_is_the_same() {
        assert_eq!(p("a[0].b"), p("a.[0].b"));
        assert_eq!(p("a[0].b").0, vec![key("a"), Segment::Index(0), key("b")]);
        assert_eq!(
            p("a[1][2]").0,
            vec![key("a"), Segment::Index(1), Segment::Index(2)]
        );
    }

    #[test]
    fn selector_may_contain_dots_and_colons() {
        assert_eq!(
            p("components.ingressGateways.[name:istio.ingress:x].enabled").0,
            vec![
                key("components"),
                key("ingressGateways"),
                Segment::Select {
                    key: "name".into(),
                    value: "istio.ingress:x".into()
                },
                key("enabled"),
            ]
        );
    }

    /// The kind and position of the error parsing `text` in `syntax`.
    fn error_at(text: &str, syntax: Syntax) -> (&'static str, usize) {
        let e = Path::parse(text, syntax).unwrap_err();
        let kind = match e {
            ParsePathError::EmptySegment { .. } => "empty",
            ParsePathError::Unclosed { .. } => "unclosed",
            ParsePathError::BadBracket { .. } => "bracket",
            ParsePathError::AfterBracket { .. } => "after",
        };
        (kind, e.position())
    }

    #[test]
    fn bad_paths_are_errors_at_positions() {
        let (set, overlay) = (Syntax::Set, Syntax::Overlay);
        for (text, syntax, want) in [
            ("a..b", set, ("empty", 2)),
            ("", set, ("empty", 0)),
            ("a.", set, ("empty", 2)),
            ("a.b[0", set, ("unclosed", 3)),
            ("a[x]", set, ("bracket", 1)),
            ("a[:x]", set, ("bracket", 1)),
            ("a[0]b", set, ("after", 4)),
            (" a.[b", overlay, ("unclosed", 3)),
            ("..", overlay, ("empty", 2)),
            (" ", overlay, ("empty", 1)),
            ("a.[]", overlay, ("bracket", 2)),
            ("a[0]b", overlay, ("after", 4)),
        ] {
            assert_eq!(error_at(text, syntax), want, "{text:?} ({syntax:?})");
        }
        assert_eq!(
            "a..b".parse::<Path>().unwrap_err().to_string(),
            "path \"a..b\" has an empty segment"
        );
    }

    #[test]
    fn display_round_trips() {
        for s in [r"a.b\.c[0].d", "a[name:x].b", "x"] {
            assert_eq!(p(s).to_string(), s);
            assert_eq!(p(&p(s).to_string()), p(s));
        }
    }

    #[test]
    fn values_are_typed_int_float_bool_string() {
        assert_eq!(parse_scalar("3"), json!(3));
        assert_eq!(parse_scalar("-3"), json!(-3));
        assert_eq!(parse_scalar("007"), json!(7));
        assert_eq!(parse_scalar("12.5"), json!(12.5));
        assert_eq!(parse_scalar("1e3"), json!(1000.0));
        assert_eq!(parse_scalar("true"), json!(true));
        assert_eq!(parse_scalar("True"), json!(true));
        assert_eq!(parse_scalar("F"), json!(false));
        assert_eq!(parse_scalar("yes"), json!("yes"));
        assert_eq!(parse_scalar("default:debug"), json!("default:debug"));
        assert_eq!(parse_scalar(""), json!(""));
        assert_eq!(parse_scalar("NaN"), json!("NaN"));
        assert_eq!(parse_scalar("inf"), json!("inf"));
        assert_eq!(parse_scalar(r"a\,b"), json!("a,b"));
        assert_eq!(parse_scalar("99999999999999999999"), json!(1e20));
    }

    #[test]
    fn always_string_paths_stay_strings() {
        let f: SetFlag = "tag=1.30".parse().unwrap();
        assert_eq!(f.value, json!("1.30"));
        let f: SetFlag = "values.global.tag=1.30".parse().unwrap();
        assert_eq!(f.value, json!("1.30"));
        let f: SetFlag = "compatibilityVersion=1.28".parse().unwrap();
        assert_eq!(f.value, json!("1.28"));
        let f: SetFlag = "meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_AUTO_ALLOCATE=true"
            .parse()
            .unwrap();
        assert_eq!(f.value, json!("true"));
        let f: SetFlag = "values.pilot.traceSampling=12.5".parse().unwrap();
        assert_eq!(f.value, json!(12.5));
    }

    #[test]
    fn flag_splits_at_first_equals_and_trims() {
        let f: SetFlag = " a.b = x=y ".parse().unwrap();
        assert_eq!(f.raw_path, "a.b");
        assert_eq!(f.value, json!("x=y"));
        assert!(matches!(
            "a.b".parse::<SetFlag>(),
            Err(SetFlagError::NoEquals(_))
        ));
        assert!(matches!(
            "a..b=1".parse::<SetFlag>(),
            Err(SetFlagError::Path { .. })
        ));
    }

    #[test]
    fn set_creates_maps_and_lists() {
        let mut v = json!({});
        set(&mut v, &p("a.b.c"), json!(1)).unwrap();
        set(&mut v, &p("l[0]"), json!("x")).unwrap();
        set(&mut v, &p("l[5]"), json!("y")).unwrap();
        set(&mut v, &p("g[0].name"), json!("gw")).unwrap();
        set(&mut v, &p("g[0].enabled"), json!(true)).unwrap();
        assert_eq!(
            v,
            json!({"a": {"b": {"c": 1}}, "l": ["x", "y"], "g": [{"name": "gw", "enabled": true}]})
        );
    }

    #[test]
    fn set_replaces_existing_index_and_selects_items() {
        let mut v = json!({"g": [{"name": "a", "enabled": false}, {"name": "b"}], "l": [1, 2]});
        set(&mut v, &p("g[name:b].enabled"), json!(true)).unwrap();
        set(&mut v, &p("l[1]"), json!(9)).unwrap();
        assert_eq!(v["g"][1], json!({"name": "b", "enabled": true}));
        assert_eq!(v["l"], json!([1, 9]));
        let err = set(&mut v, &p("g[name:zz].enabled"), json!(true)).unwrap_err();
        assert!(err.to_string().contains("[name:zz]"), "{err}");
    }

    #[test]
    fn set_flag_refuses_to_replace_an_existing_item_but_appends_and_sets_fields() {
        let mut v = json!({"l": ["a"], "g": [{"name": "gw"}]});
        for path in ["l[0]", "g[0]", "g[name:gw]"] {
            let err = set_flag(&mut v, &p(path), json!("x")).unwrap_err();
            assert!(
                matches!(err, SetPathError::ReplacesItem { .. }),
                "{path}: {err}"
            );
        }
        set_flag(&mut v, &p("l[1]"), json!("b")).unwrap();
        set_flag(&mut v, &p("g[name:gw].enabled"), json!(true)).unwrap();
        set_flag(&mut v, &p("new[0]"), json!(1)).unwrap();
        assert_eq!(
            v,
            json!({"l": ["a", "b"], "g": [{"name": "gw", "enabled": true}], "new": [1]})
        );
    }

    #[test]
    fn set_into_a_scalar_is_an_error_naming_the_prefix() {
        let mut v = json!({"a": {"b": "s"}});
        let err = set(&mut v, &p("a.b.c"), json!(1)).unwrap_err();
        assert_eq!(err.to_string(), "a.b.c: a.b is a string, cannot apply c");
        let err = set(&mut v, &p("a[0]"), json!(1)).unwrap_err();
        assert!(matches!(err, SetPathError::WrongKind { found: "map", .. }));
    }

    #[test]
    fn get_and_delete() {
        let mut v = json!({"g": [{"name": "a", "x": 1}], "m": {"k": 2}});
        assert_eq!(get(&v, &p("g[name:a].x")), Some(&json!(1)));
        assert_eq!(get(&v, &p("g[0].x")), Some(&json!(1)));
        assert_eq!(get(&v, &p("m.missing")), None);
        assert_eq!(delete(&mut v, &p("m.k")), Some(json!(2)));
        assert_eq!(
            delete(&mut v, &p("g[name:a]")),
            Some(json!({"name": "a", "x": 1}))
        );
        assert_eq!(v, json!({"g": [], "m": {}}));
    }

    fn overlay(s: &str) -> Path {
        Path::parse(s, Syntax::Overlay).unwrap()
    }

    #[test]
    fn overlay_paths_parse_like_set_paths() {
        for s in [
            "spec.template.spec.containers[name:discovery].args[0]",
            "spec.template.spec.containers.[name:discovery].args.[0]",
            r"metadata.annotations.a\.b/c",
            "a.b",
        ] {
            assert_eq!(overlay(s), p(s), "{s}");
        }
    }

    #[test]
    fn overlay_paths_ignore_spaces_outer_dots_and_empty_segments() {
        assert_eq!(overlay(" .a..b. "), p("a.b"));
        assert_eq!(overlay("a.[0]..b"), p("a[0].b"));
    }

    #[test]
    fn overlay_brackets() {
        let last = |s: &str| overlay(s).0.pop().unwrap();
        assert_eq!(last("args.[:--foo]"), Segment::Scalar("--foo".into()));
        assert_eq!(last("args.[--foo]"), Segment::Scalar("--foo".into()));
        assert_eq!(last("args.[-1]"), Segment::Scalar("-1".into()));
        assert_eq!(last("args.[a:b:c]"), Segment::Scalar("a:b:c".into()));
        assert_eq!(last("args.[key:]"), Segment::Scalar("key:".into()));
        assert_eq!(last("args.[a b:c]"), Segment::Scalar("a b:c".into()));
        assert_eq!(
            last(r"l.[name:a\.b]"),
            Segment::Select {
                key: "name".into(),
                value: "a.b".into()
            }
        );
        assert_eq!(
            last("l.[name:a.b]"),
            Segment::Select {
                key: "name".into(),
                value: "a.b".into()
            }
        );
        assert_eq!(last("l[3]"), Segment::Index(3));
        assert_eq!(overlay("[:x]").to_string(), "[:x]");
        // `--set` keeps its own rules for the same text.
        assert_eq!(
            p("l[a:b:c]").0[1],
            Segment::Select {
                key: "a".into(),
                value: "b:c".into()
            }
        );
    }

    #[test]
    fn scalar_segments_select_by_value() {
        let mut v = json!({"args": ["a", "b", 3]});
        assert_eq!(get(&v, &overlay("args.[:b]")), Some(&json!("b")));
        assert_eq!(get(&v, &overlay("args.[3]")), None);
        assert_eq!(get(&v, &overlay("args.[:3]")), Some(&json!(3)));
        set(&mut v, &overlay("args.[:a]"), json!("z")).unwrap();
        assert_eq!(delete(&mut v, &overlay("args.[:b]")), Some(json!("b")));
        assert_eq!(v, json!({"args": ["z", 3]}));
        let err = set(&mut v, &overlay("args.[:q]"), json!(1)).unwrap_err();
        assert_eq!(err.to_string(), "args[:q]: no list item matches [:q]");
    }
}
