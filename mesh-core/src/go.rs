//! Go value semantics on the JSON value tree: Go/Helm template truthiness and how Go prints
//! numbers and JSON (the one home for every crate that imitates Go's output).
//!
//! Go programs see JSON numbers as `float64`, so printing depends on which Go function prints
//! them: `fmt`'s `%v` switches to exponent form from `1e+06` on ([`format_float`]), while
//! `strconv.FormatFloat(f, 'f', -1, 64)` never does ([`format_float_decimal`]). Both exist
//! because Istio's Go code uses both, and the outputs differ for large and tiny numbers.

use crate::Value;
use serde_json::Number;

/// Go template truthiness (`if`, `with`, sprig's `default`/`coalesce`, Helm's charts): `null`,
/// `false`, zero, and empty strings, lists and maps are false; everything else is true.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// `fmt`'s `%v` of a `float64` (`strconv.FormatFloat(f, 'g', -1, 64)` with `%v`'s cut-off):
/// the shortest digits that read back, in exponent form with a signed two-digit exponent when
/// the decimal exponent is below -4 or at least 6 (`1e+06`, `1e-05`; `123456` and `0.0001`
/// stay decimal). This is how Go templates and Helm print numbers decoded from JSON or YAML.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..6).contains(&exp) {
        // Rust's shortest decimal form has the same digits, without an exponent.
        format!("{f}")
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

/// `strconv.FormatFloat(f, 'f', -1, 64)`: the shortest digits that read back, never in
/// exponent form (`1000000`, `0.00001`). Istio's Go code turns JSON numbers into strings this
/// way where the text becomes a setting (environment values, proxy metadata, image tags), not
/// template output.
pub fn format_float_decimal(f: f64) -> String {
    format!("{f}")
}

/// A JSON scalar as text the way Istio's Go code converts decoded values to strings: strings
/// as they are, booleans `true`/`false`, `null` as `<nil>`, integers as integers and other
/// numbers by [`format_float_decimal`]; lists and maps as JSON.
pub fn scalar_string(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                format_float_decimal(n.as_f64().unwrap_or_default())
            }
        }
        other => other.to_string(),
    }
}

/// The tree with every whole `float64` below 1e18 in magnitude made an integer, so that JSON
/// and YAML printers write `1` where Go's `encoding/json` writes `1` (not `1.0`).
pub fn json_numbers(value: &Value) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            // Below 1e18 the cast to i64 is exact for whole numbers.
            Some(f) if f.fract() == 0.0 && f.abs() < 1e18 => Value::Number(Number::from(f as i64)),
            _ => value.clone(),
        },
        Value::Array(a) => Value::Array(a.iter().map(json_numbers).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), json_numbers(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Go's `encoding/json.Marshal`: compact, map keys sorted, and `<`, `>` and `&` escaped as
/// `\u003c`, `\u003e` and `\u0026` as Go does.
pub fn marshal_json(value: &Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_string());
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truthiness_follows_go_templates() {
        for (v, want) in [
            (json!(null), false),
            (json!(false), false),
            (json!(0), false),
            (json!(0.0), false),
            (json!(""), false),
            (json!([]), false),
            (json!({}), false),
            (json!(true), true),
            (json!(1), true),
            (json!(-0.5), true),
            (json!("x"), true),
            (json!([0]), true),
            (json!({"a": 1}), true),
        ] {
            assert_eq!(truthy(&v), want, "{v}");
        }
    }

    #[test]
    fn floats_print_like_percent_v() {
        assert_eq!(format_float(15021.0), "15021");
        assert_eq!(format_float(0.5), "0.5");
        assert_eq!(format_float(1e21), "1e+21");
        assert_eq!(format_float(1e6), "1e+06");
        assert_eq!(format_float(1234567.0), "1.234567e+06");
        assert_eq!(format_float(123456.0), "123456");
        assert_eq!(format_float(0.0001), "0.0001");
        assert_eq!(format_float(0.00001), "1e-05");
        assert_eq!(format_float(-2.5), "-2.5");
        assert_eq!(format_float(0.0), "0");
        assert_eq!(format_float(-0.0), "-0");
        assert_eq!(format_float(f64::INFINITY), "+Inf");
        assert_eq!(format_float(f64::NAN), "NaN");
    }

    #[test]
    fn decimal_floats_never_use_an_exponent() {
        assert_eq!(format_float_decimal(1e6), "1000000");
        assert_eq!(format_float_decimal(15020.0), "15020");
        assert_eq!(format_float_decimal(0.5), "0.5");
        assert_eq!(format_float_decimal(0.00001), "0.00001");
    }

    #[test]
    fn scalars_print_like_go() {
        assert_eq!(scalar_string(&json!(15020)), "15020");
        assert_eq!(scalar_string(&json!(15020.0)), "15020");
        assert_eq!(scalar_string(&json!(0.5)), "0.5");
        assert_eq!(scalar_string(&json!(true)), "true");
        assert_eq!(scalar_string(&json!(null)), "<nil>");
        assert_eq!(scalar_string(&json!("x")), "x");
    }

    #[test]
    fn json_numbers_and_marshal() {
        assert_eq!(
            json_numbers(&json!({"a": 1.0, "b": [2.5, 3.0]})),
            json!({"a": 1, "b": [2.5, 3]})
        );
        assert_eq!(json_numbers(&json!(1e20)), json!(1e20));
        assert_eq!(
            marshal_json(&json!({"a": "<&>"})),
            r#"{"a":"\u003c\u0026\u003e"}"#
        );
    }
}
