//! Chart values: the effective `.Values` each Istio chart sees, and istioctl's translation of an
//! IstioOperator into the values it hands each chart.
//!
//! [`chart_values`] reproduces a chart's own merge of defaults, helm-level profiles and passed
//! values; [`component_values`] reproduces istioctl's component selection and per-component
//! values and returns one [`crate::ComponentValues`] per component instance to render.

mod chart;
pub use chart::{Chart, RELEASE_NAME};

mod error;
pub use error::ValuesError;

mod embedded;
#[cfg(test)]
pub(crate) use embedded::value_types;
pub use embedded::{chart_defaults, helm_profile, helm_profile_names};

mod merge;

mod chart_values;
pub use chart_values::chart_values;

mod go_value;

mod components;
pub use components::component_values;
