//! The mesh-webhook binary's tests: what needs the program itself (flags, exit codes, logging
//! setup, SIGTERM, the in-cluster Deployment's arguments). The routes, reloads and drain are
//! tested in-process in the mesh-webhook library.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod cli;
mod deploy;
mod process;
mod shutdown;
#[path = "../../../../mesh-webhook/tests/it/support.rs"]
mod support;
