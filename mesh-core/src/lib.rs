//! mesh-core: the pure data and algorithms every other mesh crate stands on.
//!
//! Nothing here does IO, reads the environment or the clock: functions take values and return
//! values or typed errors. The value tree is [`serde_json::Value`], whose maps keep keys sorted,
//! which is also the order Kubernetes' YAML printer uses.

// Library code never unwraps what comes from input; tests may (clippy.toml allows it there).
#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod base64;

pub mod go;

pub mod component;
pub use component::{ComponentName, ParseComponentNameError};

pub mod yaml;
pub mod yaml_emit;
pub use yaml::{YamlError, from_yaml_str, from_yaml_stream, to_yaml_string};

/// The dynamic value tree used for IstioOperator documents, chart values and rendered objects.
pub type Value = serde_json::Value;

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
