//! Typed Istio resources: a Rust type for every kind and served version of the CRDs mesh
//! installs, with `kube::core::Resource`, so `kube::Api<VirtualService>` works.
//!
//! The types are generated when the crate is built, from the same schema files mesh builds its
//! CRDs from (mesh-manifest's `crds/catalog.yaml` and `crds/schemas/*.yaml`): the CRDs and
//! these types have one source, and neither is derived from the other. Every kind lives under
//! its API group and version: `networking::v1::VirtualService`,
//! `networking::v1alpha3::DestinationRule`, `security::v1::AuthorizationPolicy`,
//! `telemetry::v1::Telemetry`, `extensions::v1alpha1::WasmPlugin`, ...
//!
//! A resource is `{ metadata, spec, status }`; `apiVersion` and `kind` are written and checked
//! by its serde implementation. Spec types are named after their path in the schema
//! (`spec.http[].route[]` of a VirtualService is `VirtualServiceHttpRoute`). A field the schema
//! requires is a plain value, any other an `Option` left out when `None`; lists are `Vec`, maps
//! `BTreeMap<String, _>`, free-form content `serde_json::Value`, int-or-string fields
//! `IntOrString`, enumerations `String`. The status is kept as `serde_json::Value`. Versions of
//! a kind with the same schema share their spec types.
//!
//! Without features this crate depends on kube's core only (no client, runtime or TLS). With
//! kube's client enabled in your own crate:
//!
//! ```no_run
//! use kube::{Api, Client, api::PostParams};
//! use mesh_api::networking::v1::{
//!     VirtualService, VirtualServiceHttp, VirtualServiceHttpRoute,
//!     VirtualServiceHttpRouteDestination, VirtualServiceSpec,
//! };
//!
//! # async fn run() -> Result<(), kube::Error> {
//! let client = Client::try_default().await?;
//! let api: Api<VirtualService> = Api::namespaced(client, "default");
//! let route = VirtualServiceHttpRoute {
//!     destination: VirtualServiceHttpRouteDestination {
//!         host: "reviews".into(),
//!         ..Default::default()
//!     },
//!     ..Default::default()
//! };
//! let vs = VirtualService::new(
//!     "reviews",
//!     VirtualServiceSpec {
//!         hosts: Some(vec!["reviews".into()]),
//!         http: Some(vec![VirtualServiceHttp {
//!             route: Some(vec![route]),
//!             ..Default::default()
//!         }]),
//!         ..Default::default()
//!     },
//! );
//! api.create(&PostParams::default(), &vs).await?;
//! for vs in api.list(&Default::default()).await? {
//!     println!("{:?}", vs.spec.hosts);
//! }
//! # Ok(())
//! # }
//! ```

// `resource!`, the resource type and its trait implementations, used by the generated code.
#[cfg(feature = "types")]
#[macro_use]
mod resource;
// `string_enum!`, the enum of an enumerated string field, used by the generated code.
#[cfg(feature = "types")]
#[macro_use]
mod string_enum;

#[cfg(feature = "types")]
mod crd;
mod schema;

#[cfg(feature = "types")]
pub use crd::crds;
#[cfg(feature = "types")]
pub use resource::KindInfo;
pub use schema::{crd_values, structural_problems};

/// The generated modules (`$OUT_DIR/api.rs`, written by build.rs).
#[cfg(feature = "types")]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/api.rs"));
}

#[cfg(feature = "types")]
pub use generated::*;
