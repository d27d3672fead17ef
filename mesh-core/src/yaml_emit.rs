//! A YAML printer for value trees in the layout of Kubernetes tooling (sigs.k8s.io/yaml): block
//! style, keys in order, list items at their key's indentation, multi-line strings as literal
//! blocks, and every string that a YAML 1.1 reader (go-yaml v2, what kubectl uses) would take for
//! something else quoted. Written for speed: rendered manifests are tens of thousands of lines.

use crate::Value;
use serde_json::Map;

/// Prints one YAML document (no leading `---`), ending in a newline.
pub fn emit(value: &Value) -> String {
    let mut out = String::with_capacity(4096);
    match value {
        Value::Object(m) if !m.is_empty() => map_block(&mut out, m, 0),
        Value::Array(l) if !l.is_empty() => list_block(&mut out, l, 0),
        scalar => {
            inline_scalar(&mut out, scalar, 0);
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn map_block(out: &mut String, m: &Map<String, Value>, ind: usize) {
    let mut first = true;
    for (k, v) in m {
        if !first {
            indent(out, ind);
        }
        first = false;
        key(out, k);
        out.push(':');
        value_after_key(out, v, ind);
    }
}

/// Writes what follows `key:` (a space and an inline value, or a nested block on new lines).
fn value_after_key(out: &mut String, v: &Value, ind: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            indent(out, ind + 2);
            map_block(out, m, ind + 2);
        }
        Value::Array(l) if !l.is_empty() => {
            out.push('\n');
            indent(out, ind);
            list_block(out, l, ind);
        }
        scalar => {
            out.push(' ');
            inline_scalar(out, scalar, ind + 2);
            out.push('\n');
        }
    }
}

fn list_block(out: &mut String, l: &[Value], ind: usize) {
    let mut first = true;
    for item in l {
        if !first {
            indent(out, ind);
        }
        first = false;
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => map_block(out, m, ind + 2),
            Value::Array(inner) if !inner.is_empty() => list_block(out, inner, ind + 2),
            scalar => {
                inline_scalar(out, scalar, ind + 2);
                out.push('\n');
            }
        }
    }
}

/// A scalar or an empty collection on the current line; `block_ind` is the indentation of a
/// literal block's content.
fn inline_scalar(out: &mut String, v: &Value, block_ind: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => number(out, n),
        Value::String(s) => string(out, s, block_ind),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

fn number(out: &mut String, n: &serde_json::Number) {
    if n.is_f64() {
        let f = n.as_f64().unwrap_or(0.0);
        let text = n.to_string();
        if text.contains('.') && !text.contains(['e', 'E']) {
            out.push_str(&text);
        } else if f.fract() == 0.0 && f.abs() < 1e15 {
            // serde_json prints some whole floats without a dot; YAML needs one to stay a float.
            out.push_str(&format!("{f:.1}"));
        } else {
            // An exponent form that YAML 1.1 readers accept: a dot and a signed exponent.
            let e = format!("{f:e}");
            let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
            let mant = if mant.contains('.') {
                mant.to_string()
            } else {
                format!("{mant}.0")
            };
            let exp = if exp.starts_with('-') {
                exp.to_string()
            } else {
                format!("+{exp}")
            };
            out.push_str(&format!("{mant}e{exp}"));
        }
    } else {
        out.push_str(&n.to_string());
    }
}

fn key(out: &mut String, k: &str) {
    if k.contains('\n') || needs_quotes(k) {
        quoted(out, k);
    } else {
        out.push_str(k);
    }
}

fn string(out: &mut String, s: &str, block_ind: usize) {
    if s.contains('\n') && literal_block_ok(s) {
        literal_block(out, s, block_ind);
    } else if needs_quotes(s) || s.contains('\n') {
        quoted(out, s);
    } else {
        out.push_str(s);
    }
}

/// A literal block keeps the text exactly when no line starts with a space where the
/// indentation would be guessed (the first line) and nothing needs escaping.
fn literal_block_ok(s: &str) -> bool {
    !s.starts_with([' ', '\t', '\n'])
        && !s
            .chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{feff}')
        && !s.contains(" \n")
        && !s.ends_with(' ')
}

fn literal_block(out: &mut String, s: &str, ind: usize) {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    out.push_str(match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    });
    out.push('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(out, ind);
            out.push_str(line);
        }
        out.push('\n');
    }
    // Keep-chomping: the extra trailing newlines are empty lines of the block.
    for _ in 1..trailing {
        out.push('\n');
    }
    // The caller adds the line break after the scalar; a block already ended its last line.
    out.pop();
}

/// Single quotes when the text is printable on one line, else JSON-style double quotes.
fn quoted(out: &mut String, s: &str) {
    if s.chars()
        .any(|c| c.is_control() || c == '\u{feff}' || c == '\u{2028}' || c == '\u{2029}')
    {
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    } else {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    }
}

/// Whether a one-line string must be quoted to read back as the same string under YAML 1.1
/// and 1.2 rules.
fn needs_quotes(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return true;
    };
    if first.is_whitespace() || s.ends_with(char::is_whitespace) {
        return true;
    }
    if matches!(
        first,
        '-' | '?'
            | ':'
            | ','
            | '['
            | ']'
            | '{'
            | '}'
            | '#'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
    ) {
        return true;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.contains('\t') {
        return true;
    }
    if s.chars().any(|c| c.is_control() || c == '\u{feff}') {
        return true;
    }
    is_special_word(s) || looks_numeric(s)
}

/// Words YAML 1.1 or 1.2 reads as booleans or null.
fn is_special_word(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
            | "null"
            | "Null"
            | "NULL"
            | "~"
            | ".inf"
            | ".Inf"
            | ".INF"
            | "-.inf"
            | "+.inf"
            | ".nan"
            | ".NaN"
            | ".NAN"
            | "<<"
            | "="
            | "---"
            | "..."
    )
}

/// Conservative: anything made only of digits and number punctuation that starts like a
/// number is quoted (ints, floats, octal, hex, base 60, dates, versions like `1.28`).
fn looks_numeric(s: &str) -> bool {
    let starts = s.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.'));
    starts
        && s.chars().any(|c| c.is_ascii_digit())
        && s.chars().all(|c| {
            c.is_ascii_hexdigit()
                || matches!(
                    c,
                    'x' | 'X'
                        | 'o'
                        | 'O'
                        | '.'
                        | '_'
                        | ':'
                        | '+'
                        | '-'
                        | 'T'
                        | 't'
                        | 'Z'
                        | 'z'
                        | ' '
                )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_yaml_str;
    use serde_json::json;

    fn round_trip(v: &Value) {
        let text = emit(v);
        let back = from_yaml_str(&text, "emit").unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(&back, v, "\n{text}");
    }

    #[test]
    fn layout_matches_kubernetes_tooling() {
        let v =
            json!({"b": {"l": [{"k": 1, "j": [1, 2]}, "x"], "e": {}, "n": [], "z": null}, "a": 1});
        assert_eq!(
            emit(&v),
            "a: 1\nb:\n  e: {}\n  l:\n  - j:\n    - 1\n    - 2\n    k: 1\n  - x\n  'n': []\n  z: null\n"
        );
    }

    #[test]
    fn strings_that_yaml_1_1_would_misread_are_quoted() {
        for s in [
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "~",
            "null",
            "1.28",
            "0755",
            "1e+06",
            "443",
            "-1",
            "+1",
            ".5",
            "0x1F",
            "1:20",
            "2001-12-14",
            "1_000",
            "",
        ] {
            let out = emit(&json!({ "k": s }));
            assert!(out.starts_with("k: '"), "{s:?} -> {out}");
            round_trip(&json!({ "k": s }));
        }
        for s in [
            "1.30.3-custom",
            "100%",
            "30m",
            "2048Mi",
            "docker.io/istio",
            "default:info",
            "a b",
            "*",
            "app.kubernetes.io/name",
        ] {
            round_trip(&json!({ "k": s }));
        }
        assert_eq!(emit(&json!({"y": 1})), "'y': 1\n");
    }

    #[test]
    fn indicators_and_special_characters() {
        for s in [
            "- a",
            "-a",
            "a: b",
            "a #b",
            "#x",
            "&a",
            "*",
            "!x",
            "|x",
            ">x",
            "'q'",
            "\"d\"",
            "%x",
            "@x",
            "`x",
            "a:",
            "[x]",
            "{x}",
            " lead",
            "trail ",
            "tab\tin",
            "it's",
            "\u{7}bell",
            "é ü 中",
        ] {
            round_trip(&json!({ "k": s }));
            round_trip(&json!([s]));
        }
    }

    #[test]
    fn multi_line_strings_use_literal_blocks() {
        let v = json!({"a": {"b": "line1\nline2\n"}, "c": "x\ny", "d": "p\n\n", "e": " lead\nx", "f": "trail \nx", "g": "\nfirst empty"});
        round_trip(&v);
        let out = emit(&json!({"a": {"b": "line1\n  indented\nline3\n"}}));
        assert_eq!(out, "a:\n  b: |\n    line1\n      indented\n    line3\n");
        round_trip(&json!({"l": ["x\ny", {"m": "1\n2"}]}));
        round_trip(&json!({"blank": "a\n\nb\n"}));
    }

    #[test]
    fn numbers_stay_numbers() {
        for v in [
            json!(1),
            json!(-7),
            json!(1.5),
            json!(1.0),
            json!(12.5),
            json!(1e20),
            json!(1.5e-7),
            json!(u64::MAX),
        ] {
            round_trip(&json!({ "n": v }));
        }
        assert_eq!(emit(&json!({"f": 1.0})), "f: 1.0\n");
        assert_eq!(emit(&json!({"f": 1e20})), "f: 1.0e+20\n");
    }

    #[test]
    fn nested_lists_and_scalar_documents() {
        round_trip(&json!([[1, [2, 3]], [], {}, [{"a": []}]]));
        assert_eq!(emit(&json!("x")), "x\n");
        assert_eq!(emit(&json!({})), "{}\n");
        round_trip(&json!({"k.with.dots": {"a: b": 1, "- x": 2}}));
    }
}
