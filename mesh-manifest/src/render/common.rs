//! Small helpers shared by the renderers: reading chart values the way Helm templates do.

use mesh_core::Value;

static NULL: Value = Value::Null;

/// The value at a dotted path (`global.proxy.image`), or `null` when any step is missing.
/// Keys containing dots cannot be addressed this way; index the map directly for those.
pub fn get<'a>(values: &'a Value, path: &str) -> &'a Value {
    let mut cur = values;
    for key in path.split('.').filter(|k| !k.is_empty()) {
        cur = match cur {
            Value::Object(map) => map.get(key).unwrap_or(&NULL),
            _ => &NULL,
        };
    }
    cur
}

/// Go template truthiness: false, 0, "", null, empty list and empty map are false.
pub use mesh_core::go::truthy;

/// The string at `path`, or `""` when it is missing or not a string (Helm prints missing as empty).
pub fn str_at<'a>(values: &'a Value, path: &str) -> &'a str {
    get(values, path).as_str().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn get_walks_maps_and_yields_null_when_missing() {
        let v = json!({"global": {"proxy": {"image": "proxyv2"}}});
        assert_eq!(get(&v, "global.proxy.image"), &json!("proxyv2"));
        assert_eq!(get(&v, "global.missing.image"), &Value::Null);
        assert_eq!(str_at(&v, "global.proxy"), "");
    }
}

// ---------------------------------------------------------------------------------------------
// Printing values the way Helm templates print them (used by the gateway, CNI and ztunnel
// renderers; generic enough for any chart).
// ---------------------------------------------------------------------------------------------

/// A JSON object map, the building block of rendered objects.
pub use mesh_core::ObjectMap;

/// How `{{ value }}` prints a chart value. Helm reads numbers as 64-bit floats, so numbers print
/// like Go's `%v` of a float64 (`50`, `12.5`, `1e+06`); a missing value prints as nothing.
pub fn go_format(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n
            .as_f64()
            .map(mesh_core::go::format_float)
            .unwrap_or_else(|| n.to_string()),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(go_format).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}:{}", go_format(v)))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// How a plain (unquoted) scalar printed by a template reads back, under the YAML 1.1 rules of
/// the Kubernetes YAML library: `null`/`~`, yes/no/on/off booleans, decimal, hex and octal
/// integers, floats; anything else stays a string.
pub fn reparse_scalar(text: &str) -> Value {
    let t = text.trim();
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        _ => {}
    }
    if let Some(i) = parse_yaml_int(t) {
        return Value::from(i);
    }
    if is_yaml_float(t)
        && let Some(n) = t
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

/// A YAML 1.1 integer: decimal, `0x` hex, `0b` binary or leading-zero octal, optional sign.
fn parse_yaml_int(t: &str) -> Option<i64> {
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let body = body.replace('_', "");
    if body.is_empty() {
        return None;
    }
    let parsed = if let Some(hex) = body.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(bin) = body.strip_prefix("0b") {
        i64::from_str_radix(bin, 2).ok()
    } else if body.len() > 1 && body.starts_with('0') {
        i64::from_str_radix(&body[1..], 8).ok()
    } else if body.bytes().all(|b| b.is_ascii_digit()) {
        body.parse().ok()
    } else {
        None
    };
    parsed.map(|v| if neg { -v } else { v })
}

/// Whether `t` has the shape of a YAML 1.1 float (`1.5`, `.5`, `1e3`, `-2.0E-1`).
fn is_yaml_float(t: &str) -> bool {
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (num, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac) = match num.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (num, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    let mantissa_ok = match frac {
        Some(f) => digits(int_part) && digits(f) && !(int_part.is_empty() && f.is_empty()),
        None => !int_part.is_empty() && digits(int_part),
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exp_ok && (frac.is_some() || exp.is_some())
}

/// Helm's `toYaml | trim` of a string printed unquoted: `{{ value }}` read back as YAML.
pub fn printed(value: &Value) -> Value {
    match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null => {
            reparse_scalar(&go_format(value))
        }
        other => other.clone(),
    }
}

/// Sprig's `dig "a" "b" true .Values`: the value at `path` when the key is present (null
/// counts as absent), `true` otherwise, taken for its truth.
pub fn dig_default_true(values: &Value, path: &str) -> bool {
    match get(values, path) {
        Value::Null => true,
        v => truthy(v),
    }
}

/// The labels Istio's `istio.labels` helper puts on every object of a chart rendered by
/// istioctl (release `istio`, managed by Helm).
pub fn chart_labels(chart: &str, version: &str) -> ObjectMap {
    let mut m = ObjectMap::new();
    m.insert("app.kubernetes.io/instance".into(), "istio".into());
    m.insert("app.kubernetes.io/managed-by".into(), "Helm".into());
    m.insert("app.kubernetes.io/part-of".into(), "istio".into());
    m.insert("app.kubernetes.io/version".into(), version.into());
    m.insert("helm.sh/chart".into(), format!("{chart}-{version}").into());
    m
}

/// The list at `path`: empty when missing or null, an error naming `component` and the path
/// when it is something else (Helm's `range` fails on a scalar).
pub fn list_at<'a>(
    values: &'a Value,
    path: &str,
    component: &str,
) -> Result<&'a [Value], super::RenderError> {
    match get(values, path) {
        Value::Null => Ok(&[]),
        Value::Array(items) => Ok(items),
        other => Err(bad_value(component, path, "a list", other)),
    }
}

/// The map at `path`: `None` when missing or null, an error when it is not a map.
pub fn map_at<'a>(
    values: &'a Value,
    path: &str,
    component: &str,
) -> Result<Option<&'a ObjectMap>, super::RenderError> {
    match get(values, path) {
        Value::Null => Ok(None),
        Value::Object(map) => Ok(Some(map)),
        other => Err(bad_value(component, path, "a map", other)),
    }
}

/// A [`super::RenderError::BadValue`] for the value at `path`.
pub fn bad_value(component: &str, path: &str, expected: &str, got: &Value) -> super::RenderError {
    let mut shown = got.to_string();
    if shown.len() > 60 {
        let cut = (0..=57)
            .rev()
            .find(|i| shown.is_char_boundary(*i))
            .unwrap_or(0);
        shown.truncate(cut);
        shown.push_str("...");
    }
    super::RenderError::BadValue {
        component: component.to_string(),
        path: path.to_string(),
        expected: expected.to_string(),
        got: shown,
    }
}

/// Helm's `int`: numbers truncate toward zero, numeric strings parse, anything else is 0.
pub fn helm_int(value: &Value) -> i64 {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
            .unwrap_or(0),
        Value::String(s) => s.trim().parse().unwrap_or(0),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

#[cfg(test)]
mod template_print_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn go_format_prints_numbers_like_go_floats() {
        assert_eq!(go_format(&json!(50)), "50");
        assert_eq!(go_format(&json!(12.5)), "12.5");
        assert_eq!(go_format(&json!(1000000)), "1e+06");
        assert_eq!(go_format(&json!(123456)), "123456");
        assert_eq!(go_format(&json!(0.00001)), "1e-05");
        assert_eq!(go_format(&json!(true)), "true");
        assert_eq!(go_format(&json!(null)), "");
        assert_eq!(go_format(&json!(["a", 1])), "[a 1]");
    }

    #[test]
    fn reparse_follows_yaml_1_1_scalars() {
        assert_eq!(reparse_scalar("8080"), json!(8080));
        assert_eq!(reparse_scalar("0755"), json!(493));
        assert_eq!(reparse_scalar("1.5"), json!(1.5));
        assert_eq!(reparse_scalar("yes"), json!(true));
        assert_eq!(reparse_scalar("100%"), json!("100%"));
        assert_eq!(reparse_scalar("1.30.3"), json!("1.30.3"));
        assert_eq!(reparse_scalar("~"), json!(null));
        assert_eq!(reparse_scalar("canary"), json!("canary"));
    }
}

/// The Helm release name istioctl renders every chart with.
pub(crate) const RELEASE: &str = "istio";

/// The charts' `resources` helper (istiod, gateways, CNI, ztunnel) applied to `resources`: only
/// `limits` and `requests`, only their non-empty entries (keys in order), each printed unquoted
/// (a quantity string like `"1"` reads back as a number); null when no entry is left.
pub fn helm_resources(resources: &Value) -> Value {
    let mut out = ObjectMap::new();
    for key in ["limits", "requests"] {
        let Some(entries) = resources.get(key).and_then(Value::as_object) else {
            continue;
        };
        let mut sorted: Vec<(&String, &Value)> =
            entries.iter().filter(|(_, v)| truthy(v)).collect();
        if sorted.is_empty() {
            continue;
        }
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let printed_entries: ObjectMap = sorted
            .into_iter()
            .map(|(k, v)| (k.clone(), printed(v)))
            .collect();
        out.insert(key.into(), Value::Object(printed_entries));
    }
    if out.is_empty() {
        Value::Null
    } else {
        Value::Object(out)
    }
}
