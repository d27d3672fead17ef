//! mesh-manifest's integration tests, one binary: the renderers of each chart (branches, typed
//! views, and against the reference corpus where it is present), the CRDs, `k8s` settings,
//! ordering, output, diffs, the whole `generate` pipeline with its snapshots, and mesh's own
//! injection and gateway template bodies against Istio's.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod addons;
mod charts_reference;
mod cni;
mod crds;
mod diff;
mod gateway;
mod gateway_templates;
mod generate;
mod gitops;
mod injection_templates;
mod k8s_settings;
mod order;
mod order_conformance;
mod output;
mod pilot;
mod support;
mod values_types;
mod ztunnel;
