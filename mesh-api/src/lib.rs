//! Istio's API as mesh defines it: the schema files every CRD mesh installs is expanded from,
//! and a Rust type for every kind and served version, with `kube::core::Resource` and
//! `kube::core::CustomResourceExt`, so `kube::Api<VirtualService>` and
//! `VirtualService::crd()` work.
//!
//! The API is written in mesh's schema language (`crds/catalog.yaml`: the kinds, groups,
//! versions, names and printer columns; `crds/schemas/*.yaml`: their types with validation,
//! described at the top of `common.yaml`). The crate's build script expands it into the
//! complete CRDs ([`crd_values`] as value trees, [`crds`] as k8s-openapi's
//! `CustomResourceDefinition`s) and generates the types from each version's
//! `openAPIV3Schema`, so the CRDs and the types have one source. mesh-manifest's installer
//! prints the CRDs it installs from [`crd_values`] (replacing only their labels with the
//! `base` chart's). Every kind lives under its API group and version:
//! `networking::v1::VirtualService`, `networking::v1alpha3::DestinationRule`,
//! `security::v1::AuthorizationPolicy`, `telemetry::v1::Telemetry`,
//! `extensions::v1alpha1::WasmPlugin`, ...
//!
//! A resource is `{ metadata, spec, status }`; `apiVersion` and `kind` are written and checked
//! by its serde implementation. Spec types are named after their path in the schema
//! (`spec.http[].route[]` of a VirtualService is `VirtualServiceHttpRoute`). A field the schema
//! requires is a plain value, any other an `Option` left out when `None`; lists are `Vec`, maps
//! `BTreeMap<String, _>`, free-form content `serde_json::Value`, int-or-string fields
//! `IntOrString`. An enumerated string is an enum (`AuthorizationPolicyAction::Allow` reads and
//! writes `"ALLOW"`) whose `Other(String)` keeps a value the schema does not list, so that a
//! resource reads and writes back unchanged. The status is [`IstioStatus`] (`conditions`,
//! `observedGeneration`, `validationMessages`), which keeps the fields it does not list in
//! `other_fields`. Versions of a kind with the same schema share their spec types.
//!
//! `T::crd()` is the CRD of `T`'s kind with `T`'s version only, served and stored, with that
//! version's full validation schema (what kube's derive gives); kube's
//! `kube::core::crd::merge_crds` merges the versions of a kind into the CRD [`crds`] has.
//!
//! ```
//! use kube::core::CustomResourceExt;
//! use mesh_api::networking::v1::VirtualService;
//!
//! let crd = VirtualService::crd();
//! assert_eq!(VirtualService::crd_name(), "virtualservices.networking.istio.io");
//! assert_eq!(crd.spec.versions[0].name, "v1");
//! assert!(crd.spec.versions[0].schema.is_some());
//! // All CRDs with all their versions, as mesh installs them (before the chart's labels).
//! assert_eq!(mesh_api::crds().len(), 15);
//! ```
//!
//! There is no `schemars`/`kube::CustomResource` derive: mesh's CRDs must validate exactly
//! like Istio's (CEL rules with their messages, `oneOf` groups, list types and map keys,
//! defaults, int-or-string, bounds and patterns), which attributes on Rust types would have to
//! spell out and a derive's schema would then need post-processing to match. One schema
//! source generating both the CRDs and the types keeps them equal by construction.
//!
//! Features: `types` (default) is the typed resources and CRDs, with kube's core only (no
//! client, runtime or TLS); without it the crate has only the schema files' CRD trees
//! ([`crd_values`], [`structural_problems`]), which is what mesh-manifest's build script uses.
//! With kube's client enabled in your own crate:
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
