//! How Go's istioctl represents and prints values that pass through it.
//!
//! istioctl decodes every IstioOperator and values tree through JSON into `any`, so every
//! number becomes a float64, and `%v` / `toJson` print a whole float64 without a fraction
//! (`1.0` prints as `1`). Keeping whole numbers as integers here gives the same printed forms.

use mesh_core::Value;

/// Largest magnitude below which every whole float64 is exactly an integer we can hold.
const EXACT_INT_LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53

/// Turns every whole floating-point number in the tree into an integer.
pub fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            let whole = n
                .as_f64()
                .filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() < EXACT_INT_LIMIT);
            if let Some(f) = whole {
                // The range check above makes the cast exact.
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// How Go's `%v` prints a scalar value that came through JSON (used where istioctl builds a
/// `--set` style `path=value` string from a value and parses it again).
pub fn go_print(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".to_string(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < EXACT_INT_LIMIT => {
                format!("{}", f as i64)
            }
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_floats_become_integers() {
        let mut v = json!({"a": 1.0, "b": [2.0, 2.5], "c": "3.0", "d": -4.0});
        whole_numbers_as_integers(&mut v);
        assert_eq!(v, json!({"a": 1, "b": [2, 2.5], "c": "3.0", "d": -4}));
        assert!(v["a"].is_i64() || v["a"].is_u64());
    }

    #[test]
    fn go_print_matches_percent_v() {
        assert_eq!(go_print(&json!("x")), "x");
        assert_eq!(go_print(&json!(1.0)), "1");
        assert_eq!(go_print(&json!(1.25)), "1.25");
        assert_eq!(go_print(&json!(7)), "7");
        assert_eq!(go_print(&json!(true)), "true");
        assert_eq!(go_print(&json!(null)), "<nil>");
    }
}
