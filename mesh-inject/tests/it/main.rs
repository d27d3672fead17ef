//! mesh-inject's integration tests, one binary: the admission handler, the JSON patch, custom Go
//! templates, the injection pipeline, the reference corpus and the injection policy.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod admission_injector;
mod admission_patch;
mod admission_review;
mod gotmpl_inject;
mod gotmpl_oracle;
mod inject_pipeline;
mod inject_reference;
mod policy_rules;
mod policy_selectors;
mod support;
