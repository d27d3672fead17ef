//! Kubernetes resource quantities (`100m`, `1Gi`, `2e3`): parsing and the canonical form the API
//! machinery prints (`2000m` -> `2`, `1024Mi` -> `1Gi`).

/// How a quantity was written, which decides how its canonical form is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Powers of 1024: `Ki`, `Mi`, ...
    BinarySi,
    /// Powers of 1000: `m`, `k`, `M`, ... or no suffix.
    DecimalSi,
    /// Scientific notation: `1e3`.
    DecimalExponent,
}

/// An exact quantity: `mantissa * 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Exact {
    mantissa: i128,
    scale: i32,
    format: Format,
}

/// The smallest scale kept; finer values are rounded up, as Kubernetes does.
const NANO: i32 = -9;

/// A value that is not a Kubernetes resource quantity.
#[derive(Debug, thiserror::Error)]
pub enum QuantityError {
    /// A string (or number) that does not parse as a quantity.
    #[error(
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': {0:?}"
    )]
    Unparsable(String),
    /// A value that is neither a string nor a number (shown as JSON).
    #[error("expected a quantity, found {0}")]
    NotAQuantity(serde_json::Value),
}

/// Returns the canonical form of a quantity.
pub(crate) fn canonicalize(text: &str) -> Result<String, QuantityError> {
    let q = parse(text).ok_or_else(|| QuantityError::Unparsable(text.to_string()))?;
    Ok(format_canonical(q))
}

/// Canonicalizes a JSON quantity value (string or number) in place of a string.
pub(crate) fn canonicalize_value(v: &serde_json::Value) -> Result<String, QuantityError> {
    match v {
        serde_json::Value::String(s) => canonicalize(s),
        serde_json::Value::Number(n) => canonicalize(&n.to_string()),
        other => Err(QuantityError::NotAQuantity(other.clone())),
    }
}

fn parse(text: &str) -> Option<Exact> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    let (negative, rest) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let num_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let int_part = &rest[..num_end];
    let mut after = &rest[num_end..];
    let mut frac_part = "";
    if let Some(stripped) = after.strip_prefix('.') {
        let frac_end = stripped
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(stripped.len());
        frac_part = &stripped[..frac_end];
        after = &stripped[frac_end..];
    }
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let (format, base10_exp, binary_exp) = parse_suffix(after)?;
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    if digits.len() > 30 {
        return None;
    }
    let mut mantissa: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let mut scale = base10_exp.checked_sub(i32::try_from(frac_part.len()).ok()?)?;
    if binary_exp > 0 {
        mantissa = mantissa.checked_mul(1i128.checked_shl(binary_exp)?)?;
    }
    if negative {
        mantissa = -mantissa;
    }
    if scale < NANO {
        let shift = u32::try_from(NANO - scale).ok()?;
        let div = 10i128.checked_pow(shift)?;
        let q = mantissa / div;
        mantissa = if mantissa % div != 0 && mantissa > 0 {
            q + 1
        } else {
            q
        };
        scale = NANO;
    }
    Some(Exact {
        mantissa,
        scale,
        format,
    })
}

/// The suffix: its format, its power of ten and its power of two.
fn parse_suffix(suffix: &str) -> Option<(Format, i32, u32)> {
    let decimal = |e: i32| Some((Format::DecimalSi, e, 0));
    let binary = |e: u32| Some((Format::BinarySi, 0, e));
    match suffix {
        "" => decimal(0),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ => {
            let exp = suffix
                .strip_prefix('e')
                .or_else(|| suffix.strip_prefix('E'))?;
            let value: i32 = exp.parse().ok()?;
            Some((Format::DecimalExponent, value, 0))
        }
    }
}

fn format_canonical(q: Exact) -> String {
    if q.mantissa == 0 {
        return "0".to_string();
    }
    if q.format == Format::BinarySi
        && q.mantissa.abs() >= 1024 * pow10(-q.scale.min(0))
        && let Some(int_value) = as_integer(q)
    {
        return format_binary(int_value);
    }
    let format = if q.format == Format::DecimalExponent {
        Format::DecimalExponent
    } else {
        Format::DecimalSi
    };
    format_decimal(q.mantissa, q.scale, format)
}

fn pow10(exp: i32) -> i128 {
    10i128
        .checked_pow(exp.max(0).unsigned_abs())
        .unwrap_or(i128::MAX)
}

/// The integral value when the quantity has no fractional part.
fn as_integer(q: Exact) -> Option<i128> {
    if q.scale >= 0 {
        q.mantissa.checked_mul(pow10(q.scale))
    } else {
        let div = pow10(-q.scale);
        (q.mantissa % div == 0).then_some(q.mantissa / div)
    }
}

fn format_binary(mut value: i128) -> String {
    const SUFFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    let mut exp = 0;
    while exp < SUFFIXES.len() - 1 && value % 1024 == 0 {
        value /= 1024;
        exp += 1;
    }
    format!("{value}{}", SUFFIXES[exp])
}

fn format_decimal(mut mantissa: i128, mut exp: i32, format: Format) -> String {
    while mantissa % 10 == 0 {
        mantissa /= 10;
        exp += 1;
    }
    match exp.rem_euclid(3) {
        1 => {
            mantissa *= 10;
            exp -= 1;
        }
        2 => {
            mantissa *= 100;
            exp -= 2;
        }
        _ => {}
    }
    let suffix = match (format, exp) {
        (_, 0) => String::new(),
        (Format::DecimalSi, -9) => "n".to_string(),
        (Format::DecimalSi, -6) => "u".to_string(),
        (Format::DecimalSi, -3) => "m".to_string(),
        (Format::DecimalSi, 3) => "k".to_string(),
        (Format::DecimalSi, 6) => "M".to_string(),
        (Format::DecimalSi, 9) => "G".to_string(),
        (Format::DecimalSi, 12) => "T".to_string(),
        (Format::DecimalSi, 15) => "P".to_string(),
        (Format::DecimalSi, 18) => "E".to_string(),
        (_, e) => format!("e{e}"),
    };
    format!("{mantissa}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> String {
        canonicalize(s).unwrap()
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(c("2000m"), "2");
        assert_eq!(c("1024Mi"), "1Gi");
        assert_eq!(c("100m"), "100m");
        assert_eq!(c("128Mi"), "128Mi");
        assert_eq!(c("500Mi"), "500Mi");
        assert_eq!(c("1"), "1");
        assert_eq!(c("0"), "0");
        assert_eq!(c("0.5"), "500m");
        assert_eq!(c("0.1"), "100m");
        assert_eq!(c("1000"), "1k");
        assert_eq!(c("1500"), "1500");
        assert_eq!(c("1.5Gi"), "1536Mi");
        assert_eq!(c("4000m"), "4");
        assert_eq!(c("1e3"), "1e3");
        assert_eq!(c("1G"), "1G");
        assert_eq!(c("1Ki"), "1Ki");
        assert_eq!(c("512"), "512");
        assert_eq!(c("1023Ki"), "1023Ki");
        assert_eq!(c("0.0000000001"), "1n");
        assert_eq!(c("-100m"), "-100m");
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "abc", "1x", "1.2.3", "--1", "m"] {
            assert!(canonicalize(bad).is_err(), "{bad}");
        }
    }
}
