//! Chart values: the effective `.Values` each Istio chart sees, and istioctl's translation of an
//! IstioOperator into the values it hands each chart.
//!
//! [`chart_values`] reproduces a chart's own merge of defaults, helm-level profiles and passed
//! values; [`component_values`] reproduces istioctl's component selection and per-component
//! values and returns one [`crate::ComponentValues`] per component instance to render.

pub mod chart;
pub use chart::{Chart, RELEASE_NAME};

pub mod error;
pub use error::ValuesError;

pub mod embedded;
pub use embedded::{chart_defaults, helm_profile, helm_profile_names};

pub mod merge;

pub mod chart_values;
pub use chart_values::chart_values;

pub mod go_value;

pub mod components;
pub use components::component_values;
