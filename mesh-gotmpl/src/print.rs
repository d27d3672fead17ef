//! Go's printing of template values: `fmt`'s `%v` (maps `map[a:1]`, lists `[a b]`, `float64`
//! with `%g`), `printf` verbs and `strconv.Quote`.

use crate::value::{Num, Shape, Val, number_kind};
use mesh_core::Value;
use mesh_core::go::format_float;
use std::fmt;

/// `fmt.Sprint` of one value, as the template prints an action's result. Go prints an
/// invalid value as `<no value>` and a nil interface as `<nil>`.
pub(crate) fn sprint(v: &Val<'_>) -> String {
    match v {
        Val::NoValue => "<no value>".to_string(),
        Val::Nil => "<nil>".to_string(),
        Val::Zero => String::new(),
        Val::Json(j, shape) => fmt_v(j, *shape, true),
    }
}

/// Values display as `fmt.Sprint` prints them (see [`Val::sprint`]).
impl fmt::Display for Val<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&sprint(self))
    }
}

/// `%v` of a JSON value; `top` is false inside maps and lists (where nil prints `<nil>`).
pub(crate) fn fmt_v(v: &Value, shape: Shape, top: bool) -> String {
    let _ = top;
    match v {
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match number_kind(n, shape) {
            Num::Int(i) => i.to_string(),
            Num::Float(f) => format_float(f),
        },
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(|x| fmt_v(x, inner(shape), false)).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Object(m) => {
            // fmt prints map keys sorted; a struct prints its fields as `{a b}`, which the
            // JSON tree cannot reproduce, so structs print like maps.
            let items: Vec<String> = m
                .iter()
                .map(|(k, x)| format!("{k}:{}", fmt_v(x, inner(shape), false)))
                .collect();
            format!("map[{}]", items.join(" "))
        }
    }
}

fn inner(shape: Shape) -> Shape {
    if shape == Shape::StrMap {
        Shape::Exact
    } else {
        shape
    }
}

/// Go's `strconv.Quote`: double quotes, escapes for control and non-printable characters.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `fmt.Sprintf` for the verbs templates use: `%v %s %d %q %t %f %e %g %x %X %o %b %c %%`
/// with flags (`-+ 0#`), width and precision. A wrong verb or argument prints Go's
/// `%!verb(type=value)` marker; missing arguments print `%!verb(MISSING)`.
pub(crate) fn sprintf(format: &str, args: &[Val<'_>]) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    let mut next_arg = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = Flags::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => flags.minus = true,
                '+' => flags.plus = true,
                ' ' => flags.space = true,
                '0' => flags.zero = true,
                '#' => flags.sharp = true,
                _ => break,
            }
            chars.next();
        }
        flags.width = read_num(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            flags.prec = Some(read_num(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        next_arg += 1;
        out.push_str(&format_one(verb, arg, &flags));
    }
    if next_arg < args.len() {
        let extra: Vec<String> = args[next_arg..]
            .iter()
            .map(|a| format!("{}={}", a.type_name(), sprint(a)))
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

#[derive(Default)]
struct Flags {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

fn read_num(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
        chars.next();
    }
    n
}

fn pad(s: String, f: &Flags, numeric: bool) -> String {
    let Some(w) = f.width else { return s };
    let len = s.chars().count();
    if len >= w {
        return s;
    }
    let fill = w - len;
    if f.minus {
        format!("{s}{}", " ".repeat(fill))
    } else if f.zero && numeric {
        let (sign, rest) = match s.strip_prefix('-') {
            Some(r) => ("-", r.to_string()),
            None => match s.strip_prefix('+') {
                Some(r) => ("+", r.to_string()),
                None => ("", s.clone()),
            },
        };
        format!("{sign}{}{rest}", "0".repeat(fill))
    } else {
        format!("{}{s}", " ".repeat(fill))
    }
}

fn bad(verb: char, arg: &Val<'_>) -> String {
    format!("%!{verb}({}={})", arg.type_name(), sprint(arg))
}

fn sign(s: String, f: &Flags, negative: bool) -> String {
    if negative {
        s
    } else if f.plus {
        format!("+{s}")
    } else if f.space {
        format!(" {s}")
    } else {
        s
    }
}

fn format_one(verb: char, arg: &Val<'_>, f: &Flags) -> String {
    let num = match arg {
        Val::Json(j, shape) => j.as_number().map(|n| number_kind(n, *shape)),
        _ => None,
    };
    match verb {
        'v' => {
            let s = match num {
                Some(Num::Int(i)) => sign(i.to_string(), f, i < 0),
                Some(Num::Float(x)) => sign(format_float(x), f, x < 0.0),
                None if f.sharp => match arg.as_str() {
                    Some(s) => go_quote(s),
                    None => sprint(arg),
                },
                None => sprint(arg),
            };
            pad(s, f, num.is_some())
        }
        's' => match arg {
            Val::Json(j, _) if j.is_number() || j.is_boolean() => bad(verb, arg),
            _ => {
                let mut s = sprint(arg);
                if let Some(p) = f.prec {
                    s = s.chars().take(p).collect();
                }
                pad(s, f, false)
            }
        },
        'q' => match (arg.as_str(), num) {
            (Some(s), _) => pad(go_quote(s), f, false),
            (None, Some(Num::Int(i))) => pad(
                format!("'{}'", char::from_u32(i as u32).unwrap_or('\u{fffd}')),
                f,
                false,
            ),
            _ => bad(verb, arg),
        },
        't' => match arg.json() {
            Some(Value::Bool(b)) => pad(b.to_string(), f, false),
            _ => bad(verb, arg),
        },
        'd' => match num {
            Some(Num::Int(i)) => pad(sign(i.to_string(), f, i < 0), f, true),
            _ => bad(verb, arg),
        },
        'c' => match num {
            Some(Num::Int(i)) => pad(
                char::from_u32(i as u32).unwrap_or('\u{fffd}').to_string(),
                f,
                false,
            ),
            _ => bad(verb, arg),
        },
        'b' | 'o' | 'x' | 'X' => match (num, arg.as_str()) {
            (Some(Num::Int(i)), _) => {
                let mag = i.unsigned_abs();
                let mut s = match verb {
                    'b' => format!("{mag:b}"),
                    'o' => format!("{mag:o}"),
                    'x' => format!("{mag:x}"),
                    _ => format!("{mag:X}"),
                };
                if f.sharp {
                    s = match verb {
                        'o' => format!("0{s}"),
                        'x' => format!("0x{s}"),
                        'X' => format!("0X{s}"),
                        _ => s,
                    };
                }
                let s = if i < 0 { format!("-{s}") } else { s };
                pad(sign(s, f, i < 0), f, true)
            }
            (None, Some(s)) if verb == 'x' || verb == 'X' => {
                let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
                pad(if verb == 'X' { hex.to_uppercase() } else { hex }, f, false)
            }
            _ => bad(verb, arg),
        },
        'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
            let x = match num {
                Some(Num::Float(x)) => x,
                _ => return bad(verb, arg),
            };
            let s = match verb {
                'f' | 'F' => format!("{:.*}", f.prec.unwrap_or(6), x),
                'e' | 'E' => {
                    let s = go_exp(x, f.prec.unwrap_or(6));
                    if verb == 'E' { s.to_uppercase() } else { s }
                }
                _ => match f.prec {
                    None => format_float(x),
                    Some(p) => {
                        let p = p.max(1);
                        let exp = if x == 0.0 {
                            0
                        } else {
                            x.abs().log10().floor() as i32
                        };
                        if exp < -4 || exp >= p as i32 {
                            go_exp(x, p - 1)
                        } else {
                            let s = format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, x);
                            if s.contains('.') {
                                s.trim_end_matches('0').trim_end_matches('.').to_string()
                            } else {
                                s
                            }
                        }
                    }
                },
            };
            pad(sign(s, f, x < 0.0), f, true)
        }
        _ => format!("%!{verb}({}={})", arg.type_name(), sprint(arg)),
    }
}

/// `%e` with Go's two-digit signed exponent.
fn go_exp(x: f64, prec: usize) -> String {
    let s = format!("{:.*e}", prec, x);
    match s.split_once('e') {
        Some((m, e)) => {
            let e: i32 = e.parse().unwrap_or(0);
            let sign = if e < 0 { '-' } else { '+' };
            format!("{m}e{sign}{:02}", e.abs())
        }
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_verbs() {
        let args = [Val::str("a"), Val::int(7), Val::bool(true), Val::float(1.5)];
        assert_eq!(sprintf("%s-%d-%t-%v", &args), "a-7-true-1.5");
        assert_eq!(
            sprintf(
                "%q %03d %x %.2f",
                &[
                    Val::str("x\"y"),
                    Val::int(5),
                    Val::int(255),
                    Val::float(1.23456)
                ]
            ),
            "\"x\\\"y\" 005 ff 1.23"
        );
        assert_eq!(sprintf("%d", &[Val::str("x")]), "%!d(string=x)");
        assert_eq!(sprintf("%s %s", &[Val::str("x")]), "x %!s(MISSING)");
        assert_eq!(sprintf("%-4s|", &[Val::str("x")]), "x   |");
        assert_eq!(sprintf("100%%", &[]), "100%");
    }
}
