//! mesh-profiles: Istio 1.30.3's built-in profiles and chart values, and the resolution of
//! profile + `-f` files + `--set` flags into an IstioOperator and per-component chart values.
//!
//! ```
//! use mesh_profiles::{Inputs, resolve};
//!
//! let resolved = resolve(&Inputs::with_sets(["profile=demo", "values.pilot.traceSampling=5"]))?;
//! assert_eq!(resolved.namespace(), "istio-system");
//! assert!(resolved.components.iter().any(|c| c.name == "istio-egressgateway"));
//! # Ok::<(), mesh_profiles::ResolveError>(())
//! ```

// Library code never unwraps what comes from input; tests may (clippy.toml allows it there).
#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod component_values;
pub use component_values::ComponentValues;

pub mod error;
pub use error::{ResolveError, SourcedError};

pub mod profiles;
pub use profiles::{BUILTIN, HUB, ISTIO_VERSION, ProfileSource, TAG};

pub mod resolve;
pub use resolve::{InputFile, Inputs, Resolved, merge_inputs, resolve};

pub mod values_shape;
pub use values_shape::values_shape;

pub mod dump;
pub use dump::{DumpError, DumpFormat, dump};

pub mod diff;
pub use diff::unified_diff;

pub mod values;
pub use values::{Chart, ValuesError, chart_values, component_values};
