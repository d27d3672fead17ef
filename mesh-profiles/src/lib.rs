//! mesh-profiles: Istio 1.30.3's built-in profiles and chart values, and the resolution of
//! profile + `-f` files + `--set` flags into an IstioOperator and per-component chart values.

pub mod component_values;
pub use component_values::ComponentValues;
