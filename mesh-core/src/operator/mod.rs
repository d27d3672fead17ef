//! The IstioOperator resource: its typed form, its schema, and istioctl's validation rules.

pub mod schema;
pub mod types;
pub mod validate;

pub use schema::operator_shape;
pub use types::{
    BaseComponentSpec, ComponentSpec, GatewayComponentSpec, IstioComponentSpec, IstioOperator,
    IstioOperatorSpec, KubernetesOverlay, KubernetesResources, OverlayPatch,
};
pub use validate::{ValidationError, validate, validate_structure};
