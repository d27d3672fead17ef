//! mesh-core: the pure data and algorithms every other mesh crate stands on.
//!
//! Nothing here does IO, reads the environment or the clock: functions take values and return
//! values or typed errors. The value tree is [`serde_json::Value`], whose maps keep keys sorted,
//! which is also the order Kubernetes' YAML printer uses.
//!
//! ```
//! use mesh_core::{SetFlag, Value, from_yaml_str, merge_patch, path, strategic, to_yaml_string};
//! use serde_json::json;
//!
//! // A `--set` flag: the path language and istioctl's typing of the value.
//! let flag: SetFlag = "components.ingressGateways[name:istio-ingressgateway].enabled=false".parse()?;
//! let mut spec = from_yaml_str("components:\n  ingressGateways:\n  - name: istio-ingressgateway\n    enabled: true\n", "my.yaml")?;
//! path::set(&mut spec, &flag.path, flag.value)?;
//! assert_eq!(spec["components"]["ingressGateways"][0]["enabled"], json!(false));
//!
//! // An overlay (RFC 7396: maps merge, lists replace, null deletes).
//! merge_patch(&mut spec, json!({"components": {"pilot": {"enabled": true}}}));
//! assert!(to_yaml_string(&spec).contains("pilot:\n    enabled: true"));
//!
//! // A strategic merge patch as the API server applies it: containers merge by name.
//! let mut deployment = json!({"spec": {"template": {"spec": {"containers": [
//!     {"name": "discovery", "image": "pilot:1.30.3"}]}}}});
//! let patch = json!({"spec": {"template": {"spec": {"containers": [
//!     {"name": "discovery", "resources": {"limits": {"cpu": "1"}}}]}}}});
//! strategic::api_server(&mut deployment, patch, "apps/v1", "Deployment")?;
//! let container: &Value = &deployment["spec"]["template"]["spec"]["containers"][0];
//! assert_eq!((container["image"].as_str(), container["resources"]["limits"]["cpu"].as_str()), (Some("pilot:1.30.3"), Some("1")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Library code never unwraps what comes from input; tests may (clippy.toml allows it there).
#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod base64;

pub mod go;

pub mod component;
pub use component::{ComponentName, ParseComponentNameError};

pub mod yaml;
pub mod yaml_emit;
mod yaml_error;
pub use yaml::{YamlError, from_yaml_str, from_yaml_stream, to_yaml_string};

/// The dynamic value tree used for IstioOperator documents, chart values and rendered objects.
pub type Value = serde_json::Value;

/// The map of a [`Value::Object`].
pub type ObjectMap = serde_json::Map<String, Value>;

/// A [`Value::Object`] from `"key" => value` pairs, each value moved in with
/// `Value::from` (`From<&str>`, `String`, numbers, `bool`, `Vec<_>`, [`ObjectMap`], `Value`).
///
/// `serde_json::json!` serializes every value it is given into a new tree, so a `json!` built
/// around already-built parts copies them once per level of nesting and then drops the
/// originals; renderers assemble objects from parts with this instead.
///
/// ```
/// use mesh_core::{Value, obj};
/// let labels = obj! { "app" => "istiod" };
/// let md = obj! { "name" => "istiod", "labels" => labels };
/// assert_eq!(md["labels"]["app"], Value::from("istiod"));
/// ```
#[macro_export]
macro_rules! obj {
    ($($key:expr => $value:expr),* $(,)?) => {{
        let mut map = $crate::ObjectMap::new();
        $( map.insert(::std::string::String::from($key), $crate::Value::from($value)); )*
        $crate::Value::Object(map)
    }};
}

pub mod path;
pub use path::{ParsePathError, Path, Segment, SetFlag, SetFlagError, SetPathError, Syntax};

pub mod merge;
pub use merge::{merge_keep_nulls, merge_patch, overlay_operator};

pub mod strategic;

pub mod suggest;

pub mod schema;
pub use schema::{Problem, SchemaError, Shape};

pub mod operator;
pub use operator::{IstioOperator, ValidationError};
