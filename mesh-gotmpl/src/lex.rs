//! The lexer of Go `text/template` bodies: text, `{{ }}` actions with `{{-`/`-}}` trimming and
//! comments, and the tokens inside actions.

/// One token. `pos` is the byte offset in the body (for `line:col` in errors).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub pos: usize,
}

/// Token kinds, as Go's lexer distinguishes them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// Literal text between actions (already trimmed).
    Text(String),
    /// `{{`
    Left,
    /// `}}`
    Right,
    /// White space inside an action (it separates arguments).
    Space,
    /// A function name or keyword.
    Ident(String),
    /// `.Name` (the name without the dot).
    Field(String),
    /// `.` alone.
    Dot,
    /// `$` or `$name` (with the `$`).
    Var(String),
    /// A string constant (quoted or raw), unescaped.
    Str(String),
    /// A number constant as written (character constants are given as their code).
    Number(String),
    /// `true` / `false`.
    Bool(bool),
    /// `nil`.
    Nil,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `|`
    Pipe,
    /// `:=`
    Declare,
    /// `=`
    Assign,
    /// `,`
    Comma,
}

/// A lexing error: the byte offset and what is wrong.
pub(crate) type LexError = (usize, String);

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Splits a template body into tokens.
pub(crate) fn lex(src: &str) -> Result<Vec<Token>, LexError> {
    let b = src.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    // Whether the text that follows must lose its leading white space (after `-}}`).
    let mut trim_next = false;
    while i < b.len() {
        let start = i;
        let open = src[i..].find("{{").map(|o| i + o);
        let text_end = open.unwrap_or(b.len());
        let mut text = &src[start..text_end];
        if trim_next {
            text = text.trim_start_matches(|c: char| c.is_ascii_whitespace());
            trim_next = false;
        }
        let Some(open) = open else {
            push_text(&mut out, text, start);
            break;
        };
        // `{{- ` trims the text before the action.
        let trim_left =
            b.get(open + 2) == Some(&b'-') && b.get(open + 3).is_some_and(|c| is_space(*c));
        if trim_left {
            text = text.trim_end_matches(|c: char| c.is_ascii_whitespace());
        }
        push_text(&mut out, text, start);
        i = open + 2 + if trim_left { 2 } else { 0 };
        // Comments: `{{/* ... */}}`, possibly with trim markers.
        let after_ws = if trim_left { skip_spaces(b, i) } else { i };
        if src[after_ws..].starts_with("/*") {
            let Some(close) = src[after_ws + 2..].find("*/") else {
                return Err((open, "unclosed comment".to_string()));
            };
            let mut j = after_ws + 2 + close + 2;
            let (end, trim_right) = right_delim(src, j)
                .ok_or_else(|| (open, "comment ends before closing delimiter".to_string()))?;
            j = end;
            trim_next = trim_right;
            i = j;
            continue;
        }
        out.push(Token {
            kind: Tok::Left,
            pos: open,
        });
        i = lex_action(src, i, &mut out, &mut trim_next)?;
    }
    Ok(out)
}

fn push_text(out: &mut Vec<Token>, text: &str, pos: usize) {
    if !text.is_empty() {
        out.push(Token {
            kind: Tok::Text(text.to_string()),
            pos,
        });
    }
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_space(b[i]) {
        i += 1;
    }
    i
}

/// At `i` (after optional spaces) a right delimiter `}}` or ` -}}`: the offset after it and
/// whether it trims.
fn right_delim(src: &str, i: usize) -> Option<(usize, bool)> {
    let b = src.as_bytes();
    let j = skip_spaces(b, i);
    if j > i && src[j..].starts_with("-}}") {
        return Some((j + 3, true));
    }
    if src[i..].starts_with("}}") {
        return Some((i + 2, false));
    }
    None
}

/// Lexes the inside of one action starting at `i`; returns the offset after `}}`.
fn lex_action(
    src: &str,
    mut i: usize,
    out: &mut Vec<Token>,
    trim_next: &mut bool,
) -> Result<usize, LexError> {
    let b = src.as_bytes();
    let mut depth = 0usize;
    loop {
        if i >= b.len() {
            return Err((i, "unclosed action".to_string()));
        }
        let c = b[i];
        if is_space(c) {
            if let Some((end, true)) = right_delim(src, i) {
                out.push(Token {
                    kind: Tok::Right,
                    pos: i,
                });
                *trim_next = true;
                return Ok(end);
            }
            let j = skip_spaces(b, i);
            out.push(Token {
                kind: Tok::Space,
                pos: i,
            });
            i = j;
            continue;
        }
        if src[i..].starts_with("}}") {
            if depth > 0 {
                return Err((i, "unclosed left paren".to_string()));
            }
            out.push(Token {
                kind: Tok::Right,
                pos: i,
            });
            return Ok(i + 2);
        }
        let pos = i;
        let (kind, next) = match c {
            b'(' => {
                depth += 1;
                (Tok::LParen, i + 1)
            }
            b')' => {
                if depth == 0 {
                    return Err((i, "unexpected right paren".to_string()));
                }
                depth -= 1;
                (Tok::RParen, i + 1)
            }
            b'|' => (Tok::Pipe, i + 1),
            b',' => (Tok::Comma, i + 1),
            b'=' => (Tok::Assign, i + 1),
            b':' if b.get(i + 1) == Some(&b'=') => (Tok::Declare, i + 2),
            b'"' => lex_quoted(src, i)?,
            b'`' => {
                let Some(end) = src[i + 1..].find('`') else {
                    return Err((i, "unterminated raw quoted string".to_string()));
                };
                (Tok::Str(src[i + 1..i + 1 + end].to_string()), i + 2 + end)
            }
            b'\'' => lex_char(src, i)?,
            b'$' => {
                let end = ident_end(b, i + 1);
                (Tok::Var(src[i..end].to_string()), end)
            }
            b'.' => {
                if b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    lex_number(src, i)
                } else {
                    let end = ident_end(b, i + 1);
                    if end == i + 1 {
                        (Tok::Dot, i + 1)
                    } else {
                        (Tok::Field(src[i + 1..end].to_string()), end)
                    }
                }
            }
            b'0'..=b'9' | b'+' | b'-' => lex_number(src, i),
            c if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                let end = ident_end(b, i);
                let word = &src[i..end];
                let kind = match word {
                    "true" => Tok::Bool(true),
                    "false" => Tok::Bool(false),
                    "nil" => Tok::Nil,
                    _ => Tok::Ident(word.to_string()),
                };
                (kind, end)
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err((i, format!("unrecognized character in action: {ch:?}")));
            }
        };
        out.push(Token { kind, pos });
        i = next;
    }
}

fn ident_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i] == b'_' || b[i].is_ascii_alphanumeric() || b[i] >= 0x80) {
        i += 1;
    }
    i
}

fn lex_number(src: &str, i: usize) -> (Tok, usize) {
    let b = src.as_bytes();
    let mut j = i;
    if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
        j += 1;
    }
    while j < b.len() {
        let c = b[j];
        let exp_sign = (c == b'+' || c == b'-')
            && j > i
            && matches!(b[j - 1], b'e' | b'E' | b'p' | b'P')
            && !src[i..j].starts_with("0x");
        if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exp_sign {
            j += 1;
        } else {
            break;
        }
    }
    (Tok::Number(src[i..j].to_string()), j)
}

fn lex_quoted(src: &str, i: usize) -> Result<(Tok, usize), LexError> {
    let mut out = String::new();
    let mut chars = src[i + 1..].char_indices();
    while let Some((k, c)) = chars.next() {
        match c {
            '"' => return Ok((Tok::Str(out), i + 1 + k + 1)),
            '\n' => break,
            '\\' => {
                let Some((_, e)) = chars.next() else { break };
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'v' => out.push('\u{b}'),
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '\'' => out.push('\''),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = (0..n)
                            .filter_map(|_| chars.next().map(|(_, h)| h))
                            .collect();
                        let code = u32::from_str_radix(&hex, 16)
                            .map_err(|_| (i, format!("invalid escape in string: \\{e}{hex}")))?;
                        out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                    }
                    other => return Err((i, format!("invalid escape in string: \\{other}"))),
                }
            }
            c => out.push(c),
        }
    }
    Err((i, "unterminated quoted string".to_string()))
}

fn lex_char(src: &str, i: usize) -> Result<(Tok, usize), LexError> {
    let rest = &src[i + 1..];
    let mut chars = rest.char_indices();
    let (c, consumed) = match chars.next() {
        Some((_, '\\')) => match chars.next() {
            Some((k, e)) => {
                let c = match e {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '\\' => '\\',
                    '\'' => '\'',
                    '0' => '\0',
                    other => other,
                };
                (c, k + e.len_utf8())
            }
            None => return Err((i, "unterminated character constant".to_string())),
        },
        Some((k, c)) => (c, k + c.len_utf8()),
        None => return Err((i, "unterminated character constant".to_string())),
    };
    if !rest[consumed..].starts_with('\'') {
        return Err((i, "unterminated character constant".to_string()));
    }
    Ok((Tok::Number((c as u32).to_string()), i + 1 + consumed + 1))
}

/// The value of a number constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    /// An integer constant.
    Int(i64),
    /// A floating-point constant.
    Float(f64),
}

/// A Go number constant: integers (decimal, `0x`, `0o`, `0b`, leading-zero octal, `_`
/// separators) or floats.
pub(crate) fn number(text: &str) -> Option<Number> {
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    let (neg, body) = match clean.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean).to_string()),
    };
    let lower = body.to_ascii_lowercase();
    let int = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|c| c.is_ascii_digit())
    {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else if lower.bytes().all(|c| c.is_ascii_digit()) {
        lower.parse::<i64>().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return Some(Number::Int(if neg { -i } else { i }));
    }
    if lower.starts_with("0x") || lower.is_empty() || lower.contains("inf") || lower.contains("nan")
    {
        return None;
    }
    let f: f64 = lower.parse().ok()?;
    Some(Number::Float(if neg { -f } else { f }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        lex(src).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn trims_around_actions() {
        // Go: "{{- " trims preceding white space, " -}}" the following.
        assert_eq!(
            kinds("a  \n {{- .X -}} \n b"),
            vec![
                Tok::Text("a".into()),
                Tok::Left,
                Tok::Field("X".into()),
                Tok::Right,
                Tok::Text("b".into())
            ]
        );
    }

    #[test]
    fn minus_number_is_not_a_trim_marker() {
        assert_eq!(
            kinds("{{-3}}"),
            vec![Tok::Left, Tok::Number("-3".into()), Tok::Right]
        );
    }

    #[test]
    fn comments_vanish_and_trim() {
        assert_eq!(
            kinds("a {{- /* c */ -}} b"),
            vec![Tok::Text("a".into()), Tok::Text("b".into())]
        );
    }

    #[test]
    fn strings_and_chars() {
        assert_eq!(
            kinds(r#"{{"a\n\"b" `r\n` 'x'}}"#),
            vec![
                Tok::Left,
                Tok::Str("a\n\"b".into()),
                Tok::Space,
                Tok::Str("r\\n".into()),
                Tok::Space,
                Tok::Number("120".into()),
                Tok::Right
            ]
        );
    }

    #[test]
    fn unclosed_action_is_an_error() {
        assert!(lex("{{ .X ").is_err());
    }
}
