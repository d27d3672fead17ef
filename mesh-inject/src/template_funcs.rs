//! Istio's injection template functions (the ones that are neither Go's built-ins nor
//! sprig's), and the registry custom injection templates are parsed with.

use crate::otel;
use mesh_core::Value;
use mesh_core::go::{json_numbers, marshal_json};
use mesh_gotmpl::{FuncError, Funcs, Shape, Val, arity};
use serde_json::Map;
use std::borrow::Cow;
use std::sync::LazyLock;

/// Istio's injection functions; they replace sprig's functions of the same name (`indent`
/// pads every line but the first, `omit` and `toJson` take a `map[string]string`).
const NAMES: &[&str] = &[
    "formatDuration",
    "isset",
    "excludeInboundPort",
    "includeInboundPorts",
    "kubevirtInterfaces",
    "excludeInterfaces",
    "applicationPorts",
    "annotation",
    "valueOrDefault",
    "toJSON",
    "toJson",
    "fromJSON",
    "structToJSON",
    "protoToJSON",
    "toYaml",
    "indent",
    "directory",
    "toLower",
    "appendMultusNetwork",
    "env",
    "omit",
    "strdict",
    "toJsonMap",
    "mergeMaps",
    "omitNil",
    "otelResourceAttributes",
];

/// The functions custom injection templates may call: Go's built-ins, sprig's text functions
/// and Istio's injection functions, as istiod registers them. Built once.
pub fn template_funcs() -> &'static Funcs {
    static FUNCS: LazyLock<Funcs> = LazyLock::new(|| {
        NAMES.iter().fold(Funcs::go().with_sprig(), |funcs, &name| {
            funcs.with(name, move |a| call(name, a))
        })
    });
    &FUNCS
}

/// Calls one of Istio's injection functions by name.
fn call<'d>(name: &str, mut a: Vec<Val<'d>>) -> Result<Val<'d>, FuncError> {
    match name {
        "formatDuration" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::str(format_duration(&a[0])?))
        }
        "isset" => {
            arity(name, &a, 2, 2)?;
            let m = a[0].expect_str_map(name)?;
            Ok(Val::bool(m.contains_key(&a[1].expect_string()?)))
        }
        "excludeInboundPort" => {
            arity(name, &a, 2, 2)?;
            Ok(Val::str(crate::sidecar::exclude_inbound_port(
                sprint_go(&a[0]).trim(),
                &a[1].expect_string()?,
            )))
        }
        "includeInboundPorts" | "applicationPorts" => {
            arity(name, &a, 1, 1)?;
            let skip_proxy = name == "applicationPorts";
            let mut parts = Vec::new();
            let items = a[0].list_items().ok_or_else(|| {
                FuncError::new(format!(
                    "{name}: cannot use type {} as a list",
                    a[0].type_name()
                ))
            })?;
            for c in items {
                let Some(c) = c.json() else { continue };
                if skip_proxy && c.get("name").and_then(Value::as_str) == Some("istio-proxy") {
                    continue;
                }
                for p in c
                    .get("ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("");
                    if proto == "UDP" || proto == "SCTP" {
                        continue;
                    }
                    parts.push(
                        p.get("containerPort")
                            .and_then(Value::as_i64)
                            .unwrap_or(0)
                            .to_string(),
                    );
                }
            }
            Ok(Val::str(parts.join(",")))
        }
        "annotation" => {
            arity(name, &a, 3, 3)?;
            let key = a[1].expect_string()?;
            let default = sprint_go(&a[2]);
            let meta = a.swap_remove(0);
            let anns = meta.field("Annotations")?;
            if let Val::Json(m, _) = &anns
                && let Some(v) = m.get(&key)
            {
                return Ok(Val::str(Val::Json(Cow::Borrowed(v), Shape::Exact).sprint()));
            }
            Ok(Val::str(default))
        }
        "valueOrDefault" => {
            arity(name, &a, 2, 2)?;
            let empty = match &a[0] {
                Val::NoValue | Val::Nil | Val::Zero => true,
                Val::Json(j, _) => j.is_null() || j.as_str() == Some(""),
            };
            Ok(a.swap_remove(if empty { 1 } else { 0 }))
        }
        "toJSON" | "toJson" => {
            arity(name, &a, 1, 1)?;
            if matches!(a[0], Val::NoValue | Val::Nil) {
                return Ok(Val::str("{}"));
            }
            Ok(Val::str(marshal_json(&Value::Object(
                a[0].expect_str_map(name)?,
            ))))
        }
        "structToJSON" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::str(match &a[0] {
                Val::NoValue | Val::Nil => "{}".to_string(),
                v => struct_json(&json_numbers(&v.to_json())),
            }))
        }
        "protoToJSON" => {
            arity(name, &a, 1, 1)?;
            Ok(Val::str(match a[0].json() {
                Some(Value::Object(m)) => {
                    crate::mesh_config::ProxyConfig::from_fields(m.clone()).cleaned_json()
                }
                _ => "{}".to_string(),
            }))
        }
        "toYaml" => {
            arity(name, &a, 1, 1)?;
            let v = json_numbers(&a[0].to_json());
            let mut y = if v.is_null() {
                "null\n".to_string()
            } else {
                mesh_core::to_yaml_string(&v)
            };
            if !y.ends_with('\n') {
                y.push('\n');
            }
            Ok(Val::str(y))
        }
        "indent" => {
            // Istio's indent: every line but the first gets the padding.
            arity(name, &a, 2, 2)?;
            let pad = " ".repeat(a[0].expect_int()?.clamp(0, 1 << 16) as usize);
            Ok(Val::str(
                a[1].expect_string()?.replace('\n', &format!("\n{pad}")),
            ))
        }
        "appendMultusNetwork" => {
            arity(name, &a, 2, 2)?;
            Ok(Val::str(crate::sidecar::append_multus_network(
                &a[0].expect_string()?,
                &a[1].expect_string()?,
            )))
        }
        "env" => {
            // The library reads no environment: istiod's variables are not there, so the
            // default applies.
            arity(name, &a, 2, 2)?;
            a[0].expect_string()?;
            Ok(Val::str(a[1].expect_string()?))
        }
        "strdict" => {
            let mut m = Map::new();
            let vals: Vec<String> = a.iter().map(Val::expect_string).collect::<Result<_, _>>()?;
            for pair in vals.chunks(2) {
                m.insert(
                    pair[0].clone(),
                    Value::String(pair.get(1).cloned().unwrap_or_default()),
                );
            }
            Ok(Val::str_map(m))
        }
        "toJsonMap" | "mergeMaps" => {
            let mut m = Map::new();
            for x in &a {
                m.extend(x.expect_str_map(name)?);
            }
            if name == "mergeMaps" {
                return Ok(Val::str_map(m));
            }
            Ok(Val::str(marshal_json(&Value::Object(m))))
        }
        "omitNil" => {
            arity(name, &a, 1, 1)?;
            match a.swap_remove(0) {
                Val::Json(j, shape) => Ok(Val::Json(Cow::Owned(omit_nil(j.as_ref())), shape)),
                other => Ok(other),
            }
        }
        "otelResourceAttributes" => {
            arity(name, &a, 5, 5)?;
            Ok(Val::str(otel_resource_attributes(
                &a[0], &a[1], &a[2], &a[3], &a[4],
            )))
        }
        "toLower" | "directory" | "kubevirtInterfaces" | "excludeInterfaces" | "fromJSON" => {
            arity(name, &a, 1, 1)?;
            let x = a[0].expect_string()?;
            Ok(match name {
                "toLower" => Val::str(x.to_lowercase()),
                "directory" => Val::str(match x.rfind('/') {
                    Some(p) => &x[..=p],
                    None => "",
                }),
                // Istio's fromJSON gives the text "{}" for invalid JSON.
                "fromJSON" => match serde_json::from_str::<Value>(&x) {
                    Ok(v) => Val::decoded(v),
                    Err(_) => Val::str("{}"),
                },
                _ => Val::str(x),
            })
        }
        "omit" => {
            // Istio's omit: a map[string]string without the given keys.
            arity(name, &a, 1, usize::MAX)?;
            let names: Vec<String> = a[1..]
                .iter()
                .map(Val::expect_string)
                .collect::<Result<_, _>>()?;
            let m = a[0].expect_str_map(name)?;
            Ok(Val::str_map(
                m.into_iter().filter(|(k, _)| !names.contains(k)).collect(),
            ))
        }
        _ => Err(FuncError::new(format!("function {name:?} not defined"))),
    }
}

/// `fmt.Sprint` of one value (as Istio's helpers print their `interface{}` arguments).
fn sprint_go(v: &Val<'_>) -> String {
    match v {
        Val::NoValue | Val::Nil => "<nil>".to_string(),
        other => other.sprint(),
    }
}

/// `encoding/json` of a Kubernetes struct: container ports keep Go's field order (the order
/// of `ISTIO_META_POD_PORTS`), zero fields left out as `omitempty` does.
fn struct_json(v: &Value) -> String {
    if let Value::Object(m) = v
        && m.contains_key("containerPort")
    {
        let mut parts = Vec::new();
        for key in ["name", "hostPort", "containerPort", "protocol", "hostIP"] {
            let Some(x) = m.get(key) else { continue };
            let keep = match x {
                Value::Null => false,
                Value::String(t) => !t.is_empty(),
                Value::Number(n) => key == "containerPort" || n.as_f64() != Some(0.0),
                _ => true,
            };
            if keep {
                parts.push(format!(
                    "{}:{}",
                    marshal_json(&Value::String(key.to_string())),
                    marshal_json(x)
                ));
            }
        }
        return format!("{{{}}}", parts.join(","));
    }
    marshal_json(v)
}

fn omit_nil(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), omit_nil(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(omit_nil).collect()),
        other => other.clone(),
    }
}

/// `otelResourceAttributes MeshConfig Annotations Labels Namespace Containers`.
fn otel_resource_attributes(
    mesh: &Val<'_>,
    annotations: &Val<'_>,
    labels: &Val<'_>,
    namespace: &Val<'_>,
    containers: &Val<'_>,
) -> String {
    let entry = |map: &Val<'_>, key: &str| map.json()?.get(key)?.as_str().map(str::to_string);
    let containers: &[Value] = match containers.json() {
        Some(Value::Array(c)) => c,
        _ => &[],
    };
    otel::resource_attributes(
        mesh.json().and_then(|m| m.get("extensionProviders")),
        |key| entry(annotations, key),
        |key| entry(labels, key),
        namespace.as_str().unwrap_or(""),
        containers,
    )
}

/// Go's `time.Duration.String` of a protobuf duration (`"45s"`, `"1.5s"` in JSON form).
fn format_duration(v: &Val<'_>) -> Result<String, String> {
    let nanos: i128 = match v.json() {
        Some(Value::String(x)) => {
            parse_proto_duration(x).ok_or_else(|| format!("invalid duration {x:?}"))?
        }
        Some(Value::Object(m)) => {
            let secs = m.get("seconds").and_then(Value::as_i64).unwrap_or(0);
            let n = m.get("nanos").and_then(Value::as_i64).unwrap_or(0);
            i128::from(secs) * 1_000_000_000 + i128::from(n)
        }
        Some(Value::Number(n)) => n.as_i64().map(i128::from).unwrap_or(0),
        _ => 0,
    };
    Ok(go_duration(nanos))
}

fn parse_proto_duration(x: &str) -> Option<i128> {
    let body = x.trim().strip_suffix('s')?;
    let (neg, body) = match body.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, body),
    };
    let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
    let secs: i128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut frac_digits: String = frac.chars().take(9).collect();
    if !frac_digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    while frac_digits.len() < 9 {
        frac_digits.push('0');
    }
    let n = secs * 1_000_000_000 + frac_digits.parse::<i128>().ok()?;
    Some(if neg { -n } else { n })
}

/// `time.Duration.String`: `1h2m3.5s`, `500ms`, `0s`.
fn go_duration(nanos: i128) -> String {
    if nanos == 0 {
        return "0s".to_string();
    }
    let neg = nanos < 0;
    let u = nanos.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{sign}{}{unit}", frac_text(u, div));
    }
    let h = u / 3_600_000_000_000;
    let rem = u % 3_600_000_000_000;
    let m = rem / 60_000_000_000;
    let sec = rem % 60_000_000_000;
    let mut out = sign.to_string();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{}s", frac_text(sec, 1_000_000_000)));
    out
}

fn frac_text(value: u128, div: u128) -> String {
    let whole = value / div;
    let frac = value % div;
    if frac == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Template data shaped like istiod's (Go field names at the top).
    fn data() -> Value {
        serde_json::json!({
            "ObjectMeta": {"name": "web", "labels": {"app": "web"}, "annotations": {"a/b": "x", "empty": ""}},
            "Spec": {"containers": [
                {"name": "app", "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                {"name": "istio-proxy"},
            ]},
            "ProxyConfig": {"interceptionMode": "REDIRECT", "proxyMetadata": {"K": "v"}, "drainDuration": "60s"},
            "Values": {"global": {"proxy": {"statusPort": 15020}}, "m": {"b": 2, "a": 1}},
        })
    }

    fn run(body: &str) -> String {
        mesh_gotmpl::Template::parse("t", body, template_funcs())
            .unwrap_or_else(|e| panic!("parse {body:?}: {e}"))
            .execute(&data())
            .unwrap_or_else(|e| panic!("execute {body:?}: {e}"))
    }

    #[test]
    fn istio_functions() {
        assert_eq!(
            run(
                "{{ isset .ObjectMeta.Annotations \"a/b\" }} {{ isset .ObjectMeta.Annotations \"no\" }}"
            ),
            "true false"
        );
        assert_eq!(
            run(
                "{{ annotation .ObjectMeta \"a/b\" \"d\" }} {{ annotation .ObjectMeta \"no\" .Values.global.proxy.statusPort }} {{ annotation .ObjectMeta \"no\" .Values.nope }}"
            ),
            "x 15020 <nil>"
        );
        assert_eq!(
            run(
                "{{ valueOrDefault .Values.nope \"d\" }} {{ valueOrDefault \"\" \"e\" }} {{ valueOrDefault \"v\" \"f\" }}"
            ),
            "d e v"
        );
        assert_eq!(
            run(
                "{{ excludeInboundPort 15020 \"80\" }} {{ includeInboundPorts .Spec.Containers }} {{ applicationPorts .Spec.Containers }}"
            ),
            "80,15020 80 80"
        );
        assert_eq!(
            run(
                "{{ formatDuration .ProxyConfig.DrainDuration }} {{ directory \"/a/b/c.pem\" }} {{ toLower \"AB\" }}"
            ),
            "1m0s /a/b/ ab"
        );
        assert_eq!(
            run(
                "{{ appendMultusNetwork \"\" \"istio-cni\" }} {{ appendMultusNetwork \"a\" \"istio-cni\" }}"
            ),
            "istio-cni a, istio-cni"
        );
        assert_eq!(
            run("{{ toJsonMap (strdict \"a\" \"1\") (omit .ObjectMeta.Annotations \"empty\") }}"),
            "{\"a\":\"1\",\"a/b\":\"x\"}"
        );
        assert_eq!(
            run(
                "{{ toJSON .ObjectMeta.Labels }} {{ structToJSON (index (index .Spec.Containers 0).Ports 0) }}"
            ),
            "{\"app\":\"web\"} {\"containerPort\":80,\"protocol\":\"TCP\"}"
        );
        assert_eq!(run("{{ toYaml .Values.m | indent 2 }}"), "a: 1\n  b: 2\n  ");
        assert_eq!(
            run("{{ protoToJSON .ProxyConfig }}"),
            run("{{ protoToJSON .ProxyConfig }}")
        );
        assert!(!run("{{ protoToJSON .ProxyConfig }}").contains("REDIRECT"));
        assert_eq!(run("{{ env \"NOT_READ\" \"dflt\" }}"), "dflt");
        assert_eq!(
            run(
                "{{ range $k, $v := fromJSON \"{\\\"a\\\":\\\"b\\\"}\" }}{{ $k }}={{ $v }}{{ end }}"
            ),
            "a=b"
        );
    }

    #[test]
    fn durations_print_like_go() {
        // time.Duration.String.
        assert_eq!(go_duration(45_000_000_000), "45s");
        assert_eq!(go_duration(60_000_000_000), "1m0s");
        assert_eq!(go_duration(3_723_500_000_000), "1h2m3.5s");
        assert_eq!(go_duration(500_000_000), "500ms");
        assert_eq!(parse_proto_duration("1.5s"), Some(1_500_000_000));
    }

    #[test]
    fn exclude_port_appends_once() {
        // Istio splits on "," without trimming before comparing.
        assert_eq!(crate::sidecar::exclude_inbound_port("15020", ""), "15020");
        assert_eq!(
            crate::sidecar::exclude_inbound_port("15020", "80,15020"),
            "80,15020"
        );
        assert_eq!(
            crate::sidecar::exclude_inbound_port("15020", "80, 15020"),
            "80,15020,15020"
        );
        assert_eq!(
            crate::sidecar::exclude_inbound_port("15020", "80,"),
            "80,15020"
        );
    }
}
