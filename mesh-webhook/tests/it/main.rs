//! mesh-webhook's integration tests: the routes in-process (`tower::ServiceExt::oneshot` on the
//! router), and the whole server over real TLS on 127.0.0.1 for rotation, reloads and drain.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod routes;
mod serve;
mod support;
