//! mesh-cluster's integration tests, one binary: the engine against a scripted API server
//! (kube's mock service), a whole demo-profile install, and the real-cluster end-to-end tests
//! (ignored by default).

mod demo;
mod e2e;
mod engine;
mod support;
