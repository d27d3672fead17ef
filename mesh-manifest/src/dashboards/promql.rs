//! A small PromQL tokenizer: enough to check that a dashboard's query is well formed (balanced
//! brackets, closed strings, well-formed label matchers, known functions) and to list the metric
//! names and Grafana variables it uses. It is not a full PromQL parser.

use std::collections::BTreeSet;

/// PromQL functions and aggregations the dashboards may call (a typo in a function name would
/// otherwise be taken for a metric name).
pub const FUNCTIONS: &[&str] = &[
    "abs",
    "absent",
    "avg",
    "avg_over_time",
    "ceil",
    "clamp",
    "clamp_max",
    "clamp_min",
    "count",
    "count_values",
    "delta",
    "deriv",
    "floor",
    "group",
    "histogram_quantile",
    "idelta",
    "increase",
    "irate",
    "label_join",
    "label_replace",
    "max",
    "max_over_time",
    "min",
    "min_over_time",
    "quantile",
    "rate",
    "round",
    "scalar",
    "sort",
    "sort_desc",
    "stddev",
    "sum",
    "sum_over_time",
    "time",
    "timestamp",
    "topk",
    "bottomk",
    "vector",
];

/// Keywords followed by a parenthesised list of label names.
const LABEL_LIST_KEYWORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// Binary-operator keywords and literals that are neither metrics nor functions.
const KEYWORDS: &[&str] = &["and", "or", "unless", "bool", "offset", "inf", "nan"];

/// Variables Grafana defines itself (`$__rate_interval`, ...).
pub const GRAFANA_VARIABLES: &[&str] = &[
    "__rate_interval",
    "__interval",
    "__interval_ms",
    "__range",
    "__range_s",
    "__range_ms",
];

/// Why an expression is not well formed. `offset` is the byte offset in the expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromqlError {
    /// The expression is empty or only white space.
    #[error("empty expression")]
    Empty,
    /// A string literal is not closed.
    #[error("at byte {offset}: string not closed")]
    UnclosedString {
        /// Where the string starts.
        offset: usize,
    },
    /// A closing bracket without its opening one, or of another kind.
    #[error("at byte {offset}: {found:?} does not close {expected}")]
    Unbalanced {
        /// Where the bracket is.
        offset: usize,
        /// The bracket found.
        found: char,
        /// What was open there (`nothing`, `'('`, ...).
        expected: String,
    },
    /// Brackets still open at the end.
    #[error("{open:?} opened at byte {offset} is never closed")]
    Unclosed {
        /// Where the bracket opens.
        offset: usize,
        /// The opening bracket.
        open: char,
    },
    /// A character PromQL has no use for.
    #[error("at byte {offset}: unexpected character {found:?}")]
    UnexpectedChar {
        /// Where it is.
        offset: usize,
        /// The character.
        found: char,
    },
    /// A label matcher inside `{...}` that is not `name op "value"`.
    #[error("at byte {offset}: expected a label matcher like name=\"value\", found {found}")]
    BadMatcher {
        /// Where the matcher goes wrong.
        offset: usize,
        /// What was found instead.
        found: String,
    },
    /// A call of a function PromQL does not have (or the dashboards do not use).
    #[error("at byte {offset}: unknown function {name:?}{}", did_you_mean(*suggestion))]
    UnknownFunction {
        /// Where the name is.
        offset: usize,
        /// The name.
        name: String,
        /// The closest known function.
        suggestion: Option<&'static str>,
    },
}

/// ` (did you mean "x"?)` when there is a suggestion, nothing otherwise.
pub(crate) fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion.map_or_else(String::new, |s| format!(" (did you mean {s:?}?)"))
}

/// One token of an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok<'a> {
    Ident(&'a str),
    Str(&'a str),
    Number,
    /// `$name` or `${name}` or `${name:format}`, outside strings.
    Var(&'a str),
    Open(char),
    Close(char),
    Comma,
    /// An operator: `+`, `==`, `=~`, `!~`, ...
    Op(&'a str),
    /// The text between `[` and `]` (a range or subquery duration).
    Range(&'a str),
}

fn tokenize(expr: &str) -> Result<Vec<(usize, Tok<'_>)>, PromqlError> {
    let bytes = expr.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        let start = i;
        match c {
            c if c.is_ascii_whitespace() => i += 1,
            '"' | '\'' | '`' => {
                i += 1;
                while i < bytes.len() && bytes[i] as char != c {
                    i += if bytes[i] == b'\\' && c != '`' { 2 } else { 1 };
                }
                if i >= bytes.len() {
                    return Err(PromqlError::UnclosedString { offset: start });
                }
                i += 1;
                out.push((start, Tok::Str(&expr[start + 1..i - 1])));
            }
            '[' => {
                let end = expr[i..]
                    .find(']')
                    .map(|n| i + n)
                    .ok_or(PromqlError::Unclosed {
                        offset: start,
                        open: '[',
                    })?;
                out.push((start, Tok::Range(&expr[i + 1..end])));
                i = end + 1;
            }
            ']' => {
                return Err(PromqlError::Unbalanced {
                    offset: start,
                    found: ']',
                    expected: "nothing".into(),
                });
            }
            '(' | '{' => {
                out.push((start, Tok::Open(c)));
                i += 1;
            }
            ')' | '}' => {
                out.push((start, Tok::Close(c)));
                i += 1;
            }
            ',' => {
                out.push((start, Tok::Comma));
                i += 1;
            }
            '$' => {
                let (name, end) = variable_at(expr, i).ok_or(PromqlError::UnexpectedChar {
                    offset: start,
                    found: '$',
                })?;
                out.push((start, Tok::Var(name)));
                i = end;
            }
            c if c.is_ascii_digit() || (c == '.' && next_is_digit(bytes, i)) => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                    i += 1;
                }
                out.push((start, Tok::Number));
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                while i < bytes.len() && is_ident_byte(bytes[i]) {
                    i += 1;
                }
                out.push((start, Tok::Ident(&expr[start..i])));
            }
            _ => {
                let two = expr.get(i..i + 2).unwrap_or("");
                let len = if ["==", "!=", "=~", "!~", ">=", "<="].contains(&two) {
                    2
                } else if "+-*/%^=<>".contains(c) {
                    1
                } else {
                    return Err(PromqlError::UnexpectedChar {
                        offset: start,
                        found: expr[i..].chars().next().unwrap_or(c),
                    });
                };
                out.push((start, Tok::Op(&expr[i..i + len])));
                i += len;
            }
        }
    }
    Ok(out)
}

fn next_is_digit(bytes: &[u8], i: usize) -> bool {
    bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

/// The Grafana variable starting with the `$` at `at`: its name and the offset after it.
/// `$name`, `${name}` and `${name:format}` are recognised; `${1}` (a regex group) is not a name.
fn variable_at(text: &str, at: usize) -> Option<(&str, usize)> {
    let rest = &text[at + 1..];
    let (name, len) = if let Some(inner) = rest.strip_prefix('{') {
        let close = inner.find('}')?;
        let body = &inner[..close];
        (body.split(':').next().unwrap_or(body), close + 2)
    } else {
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        (&rest[..len], len)
    };
    let first = name.bytes().next()?;
    (first.is_ascii_alphabetic() || first == b'_').then_some((name, at + 1 + len))
}

/// The Grafana variables an expression refers to, inside strings or out (`$namespace`,
/// `${workload}`), in order of first use.
pub fn variables(expr: &str) -> Vec<&str> {
    let mut seen = Vec::new();
    for (at, _) in expr.match_indices('$') {
        if let Some((name, _)) = variable_at(expr, at)
            && !seen.contains(&name)
        {
            seen.push(name);
        }
    }
    seen
}

/// Checks an expression's form and returns the metric names it selects, sorted.
pub fn metric_names(expr: &str) -> Result<BTreeSet<&str>, PromqlError> {
    let toks = tokenize(expr)?;
    if toks.is_empty() {
        return Err(PromqlError::Empty);
    }
    check_brackets(&toks)?;
    let mut metrics = BTreeSet::new();
    let mut i = 0;
    while i < toks.len() {
        let (at, tok) = &toks[i];
        match tok {
            Tok::Open('{') => i = check_matchers(&toks, i + 1)?,
            Tok::Ident(name) if LABEL_LIST_KEYWORDS.contains(name) => {
                // `by (a, b)`: skip the label names.
                if let Some((_, Tok::Open('('))) = toks.get(i + 1) {
                    i = skip_label_list(&toks, i + 1)?;
                } else {
                    i += 1;
                }
            }
            Tok::Ident(name) if KEYWORDS.contains(name) => i += 1,
            Tok::Ident(name) => {
                let called = matches!(toks.get(i + 1), Some((_, Tok::Open('('))));
                if called {
                    if !FUNCTIONS.contains(name) {
                        return Err(PromqlError::UnknownFunction {
                            offset: *at,
                            name: (*name).to_string(),
                            suggestion: mesh_core::suggest::closest(
                                name,
                                FUNCTIONS.iter().copied(),
                            ),
                        });
                    }
                } else if !FUNCTIONS.contains(name) {
                    metrics.insert(*name);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(metrics)
}

fn check_brackets(toks: &[(usize, Tok<'_>)]) -> Result<(), PromqlError> {
    let mut stack: Vec<(usize, char)> = Vec::new();
    for (at, tok) in toks {
        match tok {
            Tok::Open(c) => stack.push((*at, *c)),
            Tok::Close(c) => {
                let want = if *c == ')' { '(' } else { '{' };
                match stack.pop() {
                    Some((_, open)) if open == want => {}
                    other => {
                        return Err(PromqlError::Unbalanced {
                            offset: *at,
                            found: *c,
                            expected: other.map_or("nothing".into(), |(_, o)| format!("{o:?}")),
                        });
                    }
                }
            }
            _ => {}
        }
    }
    match stack.pop() {
        Some((offset, open)) => Err(PromqlError::Unclosed { offset, open }),
        None => Ok(()),
    }
}

/// Checks `name op "value", ...}` from `i`; returns the index after the `}`.
fn check_matchers(toks: &[(usize, Tok<'_>)], mut i: usize) -> Result<usize, PromqlError> {
    let bad = |i: usize| {
        let (offset, tok) = toks
            .get(i)
            .map_or((usize::MAX, "the end".to_string()), |(a, t)| {
                (*a, format!("{t:?}"))
            });
        PromqlError::BadMatcher { offset, found: tok }
    };
    loop {
        match toks.get(i) {
            Some((_, Tok::Close('}'))) => return Ok(i + 1),
            Some((_, Tok::Ident(_))) => {}
            _ => return Err(bad(i)),
        }
        match toks.get(i + 1) {
            Some((_, Tok::Op(op))) if ["=", "!=", "=~", "!~"].contains(op) => {}
            _ => return Err(bad(i + 1)),
        }
        match toks.get(i + 2) {
            Some((_, Tok::Str(_))) => {}
            _ => return Err(bad(i + 2)),
        }
        i += 3;
        match toks.get(i) {
            Some((_, Tok::Comma)) => i += 1,
            Some((_, Tok::Close('}'))) => return Ok(i + 1),
            _ => return Err(bad(i)),
        }
    }
}

/// Skips `a, b)` after the `(` at index `open`; returns the index after the `)`.
fn skip_label_list(toks: &[(usize, Tok<'_>)], open: usize) -> Result<usize, PromqlError> {
    let mut i = open + 1;
    while let Some((at, tok)) = toks.get(i) {
        match tok {
            Tok::Close(')') => return Ok(i + 1),
            Tok::Ident(_) | Tok::Comma => i += 1,
            other => {
                return Err(PromqlError::BadMatcher {
                    offset: *at,
                    found: format!("{other:?} in a label list"),
                });
            }
        }
    }
    Err(PromqlError::Unclosed {
        offset: toks.get(open).map_or(0, |(at, _)| *at),
        open: '(',
    })
}

/// Splits a Grafana `label_values(selector, label)` variable query into its selector and label;
/// `None` for other queries.
pub fn label_values(query: &str) -> Option<(&str, &str)> {
    let inner = query
        .trim()
        .strip_prefix("label_values(")?
        .strip_suffix(')')?;
    let (selector, label) = inner.rsplit_once(',')?;
    Some((selector.trim(), label.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(expr: &str) -> Vec<&str> {
        metric_names(expr).unwrap().into_iter().collect()
    }

    #[test]
    fn lists_metrics_not_labels_functions_or_keywords() {
        let expr = r#"sum by (destination_service) (rate(istio_requests_total{reporter=~"$reporter", response_code!~"5.."}[$__rate_interval])) / on (destination_service) group_left sum(rate(istio_tcp_sent_bytes_total[5m])) or (vector(0))"#;
        assert_eq!(
            names(expr),
            ["istio_requests_total", "istio_tcp_sent_bytes_total"]
        );
        assert_eq!(
            names(
                r#"histogram_quantile(0.99, sum(rate(pilot_xds_push_time_bucket[1m])) by (le)) > bool 1e3"#
            ),
            ["pilot_xds_push_time_bucket"]
        );
        assert_eq!(
            names("citadel_server_root_cert_expiry_timestamp - time()"),
            ["citadel_server_root_cert_expiry_timestamp"]
        );
    }

    #[test]
    fn rejects_malformed_expressions() {
        let err = |e: &str| metric_names(e).unwrap_err();
        assert_eq!(
            err(r#"sum(rate(x{a="b"}[1m])"#),
            PromqlError::Unclosed {
                offset: 3,
                open: '('
            }
        );
        assert!(matches!(
            err("sum(x))"),
            PromqlError::Unbalanced { found: ')', .. }
        ));
        assert!(matches!(
            err("sum(x})"),
            PromqlError::Unbalanced { found: '}', .. }
        ));
        assert_eq!(err(r#"x{a="b}"#), PromqlError::UnclosedString { offset: 4 });
        assert!(matches!(
            err(r#"x{a="b" c="d"}"#),
            PromqlError::BadMatcher { .. }
        ));
        assert!(matches!(err(r#"x{a=b}"#), PromqlError::BadMatcher { .. }));
        assert!(matches!(
            err("x[5m"),
            PromqlError::Unclosed { open: '[', .. }
        ));
        assert!(matches!(
            err("x # y"),
            PromqlError::UnexpectedChar { found: '#', .. }
        ));
        assert_eq!(err("  "), PromqlError::Empty);
        let typo = err("sun(rate(x[1m]))");
        assert_eq!(
            typo.to_string(),
            "at byte 0: unknown function \"sun\" (did you mean \"sum\"?)"
        );
    }

    #[test]
    fn finds_variables_in_strings_and_ranges() {
        let expr = r#"sum(rate(x{ns=~"$namespace", wl="${workload}", p=~"${pod:regex}-.*"}[$__rate_interval]))"#;
        assert_eq!(
            variables(expr),
            ["namespace", "workload", "pod", "__rate_interval"]
        );
        // A regex group reference is not a variable.
        assert!(variables(r#"label_replace(x, "a", "${1}", "b", "(.*)")"#).is_empty());
    }

    #[test]
    fn odd_input_is_an_error_not_a_panic() {
        let inputs = [
            "",
            "$",
            "${",
            "${}",
            "x{a=\"\\",
            "x{a=\"é\\é\"}",
            "é",
            "sum(é)",
            "x[",
            "]",
            "{",
            "}",
            ")",
            "x{a=}",
            "x{=\"b\"}",
            "x{a=\"b\",}",
            "by",
            "sum by (",
            "sum by (a",
            "1e",
            ".5",
            "x offset 5m",
        ];
        for input in inputs {
            let _ = metric_names(input);
            let _ = variables(input);
            let _ = label_values(input);
        }
        assert!(metric_names("é").is_err());
        assert!(metric_names("sum by (a").is_err());
        assert_eq!(names(r#"x{a="b",}"#), ["x"]);
    }

    #[test]
    fn splits_label_values_queries() {
        assert_eq!(
            label_values(r#"label_values(istio_requests_total{a="b, c"}, destination_workload)"#),
            Some((r#"istio_requests_total{a="b, c"}"#, "destination_workload"))
        );
        assert_eq!(label_values("query_result(up)"), None);
    }
}
