//! A YAML printer for value trees in the layout of Kubernetes tooling (sigs.k8s.io/yaml): block
//! style, keys in order, list items at their key's indentation, multi-line strings as literal
//! blocks, and every string that a YAML 1.1 reader (go-yaml v2, what kubectl uses) would take for
//! something else quoted. Written for speed: rendered manifests are tens of thousands of lines.

use crate::Value;
use serde_json::Map;
use std::fmt::Write as _;

/// Prints one YAML document (no leading `---`), ending in a newline.
pub fn emit(value: &Value) -> String {
    let mut out = String::with_capacity(4096);
    emit_into(&mut out, value);
    out
}

/// Appends one YAML document (no leading `---`), ending in a newline, to `out`: what [`emit`]
/// returns, without a buffer per document when printing a stream.
pub fn emit_into(out: &mut String, value: &Value) {
    match value {
        Value::Object(m) if !m.is_empty() => map_block(out, m, 0),
        Value::Array(l) if !l.is_empty() => list_block(out, l, 0),
        scalar => {
            inline_scalar(out, scalar, 0);
            out.push('\n');
        }
    }
}

/// Spaces copied in one piece by [`indent`]: deeper indentation than this is rare.
const SPACES: &str = "                                                                ";

fn indent(out: &mut String, mut n: usize) {
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    push_short(out, &SPACES[..n]);
}

/// Appends short text (keys, indentation, most values): with [`push_text`] in static (musl)
/// builds, `push_str` elsewhere. A call to musl's `memcpy` costs more than copying a short
/// string; glibc's is faster than [`push_text`]'s pieces (measured both ways).
fn push_short(out: &mut String, s: &str) {
    if cfg!(target_env = "musl") {
        push_text(out, s);
    } else {
        out.push_str(s);
    }
}

/// Appends `s` like `push_str`, short text in pieces of 8, 4, 2 and 1 bytes, which the
/// compiler copies inline instead of calling the C library's `memcpy`.
fn push_text(out: &mut String, s: &str) {
    if s.len() > 32 {
        out.push_str(s);
        return;
    }
    out.reserve(s.len());
    let mut rest = s;
    // Pieces of a constant size (a split inside a character fails and leaves it to the end).
    while let Some((word, after)) = rest.split_at_checked(8) {
        out.push_str(word);
        rest = after;
    }
    for size in [4, 2, 1] {
        if let Some((piece, after)) = rest.split_at_checked(size) {
            out.push_str(piece);
            rest = after;
        }
    }
    // Left when a piece would have split a character.
    out.push_str(rest);
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
        // Integers print as serde_json prints them; writing to a String cannot fail.
        let _ = write!(out, "{n}");
    }
}

fn key(out: &mut String, k: &str) {
    // Keys are never literal blocks: a multi-line key is quoted.
    if string_style(k) == Style::Plain {
        push_short(out, k);
    } else {
        quoted(out, k);
    }
}

fn string(out: &mut String, s: &str, block_ind: usize) {
    match string_style(s) {
        Style::Plain => push_short(out, s),
        Style::Quoted => quoted(out, s),
        Style::Literal => literal_block(out, s, block_ind),
    }
}

/// How a string value is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// As is.
    Plain,
    /// In quotes ([`quoted`]).
    Quoted,
    /// As a literal block ([`literal_block`]).
    Literal,
}

fn string_style(s: &str) -> Style {
    // Long multi-line text (scripts, templates, config files in ConfigMaps) needs fewer checks
    // than a one-line value; `contains` of one byte is a fast search.
    let style = if s.len() >= MULTI_LINE_FAST_PATH && s.as_bytes().contains(&b'\n') {
        multi_line_ascii_style(s)
    } else {
        ascii_string_style(s)
    };
    style.unwrap_or_else(|| text_string_style(s))
}

/// The length from which [`string_style`] checks whether text is multi-line first.
const MULTI_LINE_FAST_PATH: usize = 64;

/// [`ascii_string_style`] of text known to have a line break, or `None` when it is not
/// ASCII. Only the literal block's conditions matter then (`: ` and ` #` do not), and they are
/// checked in passes without branches per byte, which the compiler turns into vector code.
fn multi_line_ascii_style(s: &str) -> Option<Style> {
    let b = s.as_bytes();
    let (&first, &last) = (b.first()?, b.last()?);
    let mut control = false;
    for chunk in b.chunks(64) {
        let mut high = false;
        for &c in chunk {
            control |= (c < 0x20 && c != b'\n' && c != b'\t') || c == 0x7f;
            high |= c >= 0x80;
        }
        if high {
            return None;
        }
    }
    let literal =
        !matches!(first, b' ' | b'\t' | b'\n') && !control && last != b' ' && !s.contains(" \n");
    Some(if literal {
        Style::Literal
    } else {
        Style::Quoted
    })
}

/// The general rule: multi-line text is a literal block when that keeps it exactly, any other
/// text is quoted when a YAML reader would take it for something else.
fn text_string_style(s: &str) -> Style {
    if s.contains('\n') {
        if literal_block_ok(s) {
            Style::Literal
        } else {
            Style::Quoted
        }
    } else if text_needs_quotes(s) {
        Style::Quoted
    } else {
        Style::Plain
    }
}

/// Bytes [`ascii_string_style`] has to look at: control characters, non-ASCII bytes, and the
/// characters that make a pair (`: `, ` #`, ` \n`) meaningful.
const NOTABLE: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = i < 0x20 || i >= 0x7f || i == b':' as usize || i == b'#' as usize;
        i += 1;
    }
    table
};

/// [`text_string_style`] in one pass over the bytes, or `None` for text with non-ASCII
/// characters. Almost every key and value of a manifest (CRD schema descriptions included) is
/// ASCII, and this is the printer's hottest check.
fn ascii_string_style(s: &str) -> Option<Style> {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return Some(Style::Quoted);
    };
    let mut scan = Scan::default();
    // Words of eight bytes without a notable byte (most of a description) are skipped whole.
    let words = b.chunks_exact(8);
    let tail_start = b.len() - words.remainder().len();
    for (w, word) in words.enumerate() {
        let word: [u8; 8] = word.try_into().unwrap_or_default();
        if has_notable_byte(u64::from_le_bytes(word)) {
            for i in w * 8..w * 8 + 8 {
                if !scan.byte(b, i) {
                    return None;
                }
            }
        }
    }
    for i in tail_start..b.len() {
        if !scan.byte(b, i) {
            return None;
        }
    }
    if scan.newline {
        let literal = !matches!(first, b' ' | b'\t' | b'\n')
            && !scan.control
            && !scan.space_newline
            && last != b' ';
        return Some(if literal {
            Style::Literal
        } else {
            Style::Quoted
        });
    }
    // Besides the space, ASCII whitespace is the tab and control characters.
    let quote = first == b' '
        || last == b' '
        || last == b':'
        || is_indicator(first)
        || scan.control
        || scan.tab
        || scan.colon_space
        || scan.space_hash
        // Only text of at most five characters can be one of the special words.
        || (b.len() <= 5 && is_special_word(s))
        || looks_numeric(s);
    Some(if quote { Style::Quoted } else { Style::Plain })
}

/// What [`ascii_string_style`] found in a string so far.
#[derive(Debug, Default)]
struct Scan {
    /// A line break.
    newline: bool,
    /// A tab.
    tab: bool,
    /// A control character other than a line break or a tab.
    control: bool,
    /// A space before a line break.
    space_newline: bool,
    /// `: ` (a mapping key would end there).
    colon_space: bool,
    /// ` #` (a comment would start there).
    space_hash: bool,
}

impl Scan {
    /// Notes byte `i` of `b`; `false` when it is not ASCII.
    fn byte(&mut self, b: &[u8], i: usize) -> bool {
        let c = b[i];
        if !NOTABLE[usize::from(c)] {
            return true;
        }
        let after_space = i > 0 && b[i - 1] == b' ';
        match c {
            0x80.. => return false,
            b'\n' => {
                self.newline = true;
                self.space_newline |= after_space;
            }
            b'\t' => self.tab = true,
            b':' => self.colon_space |= b.get(i + 1) == Some(&b' '),
            b'#' => self.space_hash |= after_space,
            _ => self.control = true,
        }
        true
    }
}

/// Whether one of the eight bytes of `w` is [`NOTABLE`] (bit tricks that test all eight at
/// once; each test is exact about whether some byte matches, which is all that is needed).
fn has_notable_byte(w: u64) -> bool {
    // Some byte is below 0x20 (a control character).
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGHS != 0;
    // Some byte is 0x7f or above (DEL, or not ASCII).
    let del_or_above = (w.wrapping_add(ONES) | w) & HIGHS != 0;
    below_space
        || del_or_above
        || zero_bytes(w ^ (ONES * u64::from(b':'))) != 0
        || zero_bytes(w ^ (ONES * u64::from(b'#'))) != 0
}

/// One in each byte of a word.
const ONES: u64 = u64::from_le_bytes([0x01; 8]);
/// The high bit of each byte of a word.
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// The high bit set in the bytes of `v` that are zero, from the lowest zero byte up; bytes
/// above it may be marked wrongly (a borrow only runs upwards), so the lowest mark is exact and
/// "some byte is zero" is `!= 0`.
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGHS
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
    out.reserve(body.len() + ind + 1);
    let mut rest = body;
    loop {
        // A line break is one byte, so splitting at it keeps both sides valid UTF-8.
        let end = line_end(rest.as_bytes());
        let (line, next) = rest.split_at(end);
        if !line.is_empty() {
            indent(out, ind);
            push_short(out, line);
        }
        out.push('\n');
        match next.get(1..) {
            Some(after) => rest = after,
            None => break,
        }
    }
    // Keep-chomping: the extra trailing newlines are empty lines of the block.
    for _ in 1..trailing {
        out.push('\n');
    }
    // The caller adds the line break after the scalar; a block already ended its last line.
    out.pop();
}

/// The index of the first line break in `b`, or `b.len()` when there is none. Eight bytes at a
/// time: the lines of a literal block (templates, scripts) are short, and `str::split`'s
/// search costs more per line than this whole scan.
fn line_end(b: &[u8]) -> usize {
    let words = b.chunks_exact(8);
    let tail = b.len() - words.remainder().len();
    for (w, word) in words.enumerate() {
        let word: [u8; 8] = word.try_into().unwrap_or_default();
        // A byte is zero where the word has a line break; the lowest mark is the first one.
        let found = zero_bytes(u64::from_le_bytes(word) ^ (ONES * u64::from(b'\n')));
        if found != 0 {
            return w * 8 + (found.trailing_zeros() / 8) as usize;
        }
    }
    b[tail..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |i| tail + i)
}

/// Single quotes when the text is printable on one line, else JSON-style double quotes.
fn quoted(out: &mut String, s: &str) {
    if s.chars()
        .any(|c| c.is_control() || c == '\u{feff}' || c == '\u{2028}' || c == '\u{2029}')
    {
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    } else {
        out.push('\'');
        // Inner quotes are doubled; most quoted text has none, and is copied as it is.
        let mut rest = s;
        while let Some(at) = rest.find('\'') {
            out.push_str(&rest[..=at]);
            out.push('\'');
            rest = &rest[at + 1..];
        }
        out.push_str(rest);
        out.push('\'');
    }
}

/// Characters that give a plain scalar another meaning when they start it.
fn is_indicator(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// Whether a one-line string must be quoted to read back as the same string under YAML 1.1
/// and 1.2 rules.
fn text_needs_quotes(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return true;
    };
    if first.is_whitespace() || s.ends_with(char::is_whitespace) {
        return true;
    }
    if first.is_ascii() && is_indicator(first as u8) {
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

    /// A fixed-seed xorshift generator, so a failing draw names its case.
    fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

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

    /// Single quotes inside single-quoted text are doubled, wherever they fall.
    #[test]
    fn single_quotes_are_doubled() {
        assert_eq!(emit(&json!({"k": "'a'b''"})), "k: '''a''b'''''\n");
        assert_eq!(emit(&json!({"k": "it's: x"})), "k: 'it''s: x'\n");
        assert_eq!(emit(&json!({"k": "a: b"})), "k: 'a: b'\n");
    }

    #[test]
    fn ascii_fast_path_agrees_with_the_general_rule() {
        let alphabet = [
            ' ', ':', '#', '\t', '\n', '\r', 'a', 'y', 'n', 'e', 'x', '1', '0', '.', '-', '+', '~',
            '\x7f',
        ];
        let mut texts: Vec<String> = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        texts.extend(
            [
                "FALSE", "-.inf", "+.inf", ".NaN", "null", "Yes", "<<", "---", "a: b",
            ]
            .map(String::from),
        );
        texts.sort();
        texts.dedup();
        for t in &texts {
            assert_eq!(ascii_string_style(t), Some(text_string_style(t)), "{t:?}");
        }
    }

    #[test]
    fn word_test_finds_every_notable_byte() {
        for c in 0..=255u8 {
            for at in 0..8 {
                let mut word = *b"abcdefgh";
                word[at] = c;
                let w = u64::from_le_bytes(word);
                assert_eq!(
                    has_notable_byte(w),
                    NOTABLE[usize::from(c)],
                    "{c:#x} at {at}"
                );
            }
        }
        // Words mixing bytes near the tested boundaries (carries and borrows between bytes).
        let near = [
            0x00, 0x01, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x39, 0x3a, 0x3b, 0x7e, 0x7f, 0x80,
            0xff,
        ];
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for _ in 0..200_000 {
            let seed = next();
            let word: [u8; 8] = std::array::from_fn(|k| {
                let pick = (seed >> (k * 8)) as u8;
                if pick.is_multiple_of(2) {
                    near[usize::from(pick / 2) % near.len()]
                } else {
                    b'a' + pick % 26
                }
            });
            let want = word.iter().any(|&c| NOTABLE[usize::from(c)]);
            assert_eq!(has_notable_byte(u64::from_le_bytes(word)), want, "{word:?}");
        }
        // Long text: the word loop and the tail agree with the general rule.
        for text in [
            "a description long enough to span words: with a colon",
            "a description long enough to span words #with a hash",
            "a description long enough to span words\nwith a break",
            "a description long enough to span words \nwith a space before a break",
            "a description long enough to span words\twith a tab and more text",
            "a description long enough to span words:and a colon without a space",
            "a description long enough to span words with nothing special in it",
        ] {
            assert_eq!(
                ascii_string_style(text),
                Some(text_string_style(text)),
                "{text:?}"
            );
        }
    }

    /// The multi-line fast path decides as the general scan does, on text drawn from the
    /// characters that matter (a fixed-seed generator, so a failure names its case).
    #[test]
    fn multi_line_fast_path_agrees_with_the_full_scan() {
        let alphabet: [&str; 12] = [
            "a", " ", "\n", "\t", ":", "#", "\u{1}", "\u{7f}", "é", "-", "\r", "|",
        ];
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for case in 0..20_000 {
            let len = 1 + (next() % 90) as usize;
            let mut text: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            if !text.contains('\n') {
                text.push_str("\nx");
            }
            assert_eq!(
                multi_line_ascii_style(&text),
                ascii_string_style(&text),
                "case {case}: {text:?}"
            );
        }
    }

    /// `line_end` finds the first line break as a plain search does, wherever it falls in a
    /// word, next to bytes that borrow (0x00, 0x0b, 0x80, 0x8a, 0xff), and in the tail.
    #[test]
    fn line_end_finds_the_first_line_break() {
        let alphabet: [u8; 9] = [b'a', b'\n', 0x00, 0x0b, 0x09, 0x80, 0x8a, 0xff, b' '];
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        for case in 0..50_000 {
            let len = (next() % 40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let want = bytes
                .iter()
                .position(|&c| c == b'\n')
                .unwrap_or(bytes.len());
            assert_eq!(line_end(&bytes), want, "case {case}: {bytes:?}");
        }
    }

    /// `push_text` appends exactly what `push_str` does, for every length around its word size
    /// and limit, ASCII or not.
    #[test]
    fn push_text_appends_like_push_str() {
        let ascii = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ";
        let mixed = "aé中bcdefghijklmnopqrstuvwxyz";
        for text in [ascii, mixed] {
            for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                let piece = &text[..end];
                let mut got = String::from("x:");
                push_text(&mut got, piece);
                assert_eq!(got, format!("x:{piece}"), "{piece:?}");
            }
        }
    }

    /// A literal block holds the lines as `str::split` gives them, blank lines unindented.
    #[test]
    fn literal_block_lines_match_a_plain_split() {
        for text in [
            "one line without a break at all, long enough for words",
            "a\nbb\nccc\n",
            "first line of a template {{ .Values }}\n\n  indented after a blank line\nlast",
            "x\n\n\n",
            "ünïcödé line\nnext ünïcödé line that is longer than eight bytes\n",
        ] {
            let mut got = String::new();
            literal_block(&mut got, text, 4);
            let body = text.trim_end_matches('\n');
            let mut want: String = body
                .split('\n')
                .map(|l| {
                    if l.is_empty() {
                        "\n".to_string()
                    } else {
                        format!("    {l}\n")
                    }
                })
                .collect();
            for _ in 1..text.len() - body.len() {
                want.push('\n');
            }
            want.pop();
            let header_end = got.find('\n').map_or(got.len(), |i| i + 1);
            assert_eq!(&got[header_end..], want, "{text:?}");
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
