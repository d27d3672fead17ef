//! mesh-profiles: Istio 1.30.3's built-in profiles and chart values, and the resolution of
//! profile + `-f` files + `--set` flags into an IstioOperator and per-component chart values.
//!
//! Resolve a profile with a `--set` flag, dump it, and diff two profiles:
//!
//! ```
//! use mesh_profiles::{DumpFormat, Inputs, dump, merge_inputs, resolve, unified_diff};
//!
//! let resolved = resolve(&Inputs::with_sets(["profile=demo", "values.pilot.traceSampling=5"]))?;
//! assert_eq!(resolved.namespace(), "istio-system");
//! assert!(resolved.components.iter().any(|c| c.name == "istio-egressgateway"));
//!
//! let yaml = dump(&resolved.operator, Some("values.pilot.traceSampling"), DumpFormat::Yaml)?;
//! assert_eq!(yaml.trim(), "5");
//!
//! let profile = |name: &str| merge_inputs(&Inputs::with_sets([format!("profile={name}")]));
//! let (minimal, demo) = (profile("minimal")?, profile("demo")?);
//! let diff = unified_diff(
//!     "minimal",
//!     &dump(&minimal, None, DumpFormat::Yaml)?,
//!     "demo",
//!     &dump(&demo, None, DumpFormat::Yaml)?,
//! );
//! assert!(diff.is_some_and(|d| d.starts_with("--- minimal\n+++ demo\n")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Library code never unwraps what comes from input; tests may (clippy.toml allows it there).
#![warn(clippy::unwrap_used, clippy::expect_used)]

mod component_values;
pub use component_values::ComponentValues;

mod error;
pub use error::{ResolveError, SourcedError};

mod profiles;
pub use profiles::{BUILTIN, HUB, ISTIO_VERSION, ProfileSource, TAG};

mod resolve;
pub use resolve::{InputFile, Inputs, Resolved, merge_inputs, resolve, user_facing_operator};

mod values_shape;
pub use values_shape::values_shape;

mod dump;
pub use dump::{DumpError, DumpFormat, ParseDumpFormatError, dump};

mod diff;
pub use diff::unified_diff;

pub mod values;
pub use values::{Chart, ValuesError, chart_values, component_values};
