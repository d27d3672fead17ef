//! End-to-end tests against a real Kubernetes API server on loopback (`../shared/tools/kube`,
//! through `mesh_test_support::kube`). Without the tools each test prints one `skipping:` line
//! and passes; CI sets `MESH_REQUIRE_KUBE=1` so that they must run.
//!
//! Run them alone with `cargo test -p meshctl --test e2e`.

#![allow(dead_code)] // each module uses a different part of the helpers below

mod apply;
mod bench;
mod crds;
mod harness;
mod inject;
mod install;
mod tags;

use std::path::Path;
use std::process::{Command, Output};

/// `meshctl` built by this package.
fn meshctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_meshctl"))
}

/// Runs a command and returns its output; a command that cannot start fails the test.
fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs a command that must succeed; returns its stdout. Prints both streams on failure.
fn run_ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `meshctl ARGS --kubeconfig FILE`.
fn meshctl_on(kubeconfig: &Path, args: &[&str]) -> Command {
    let mut cmd = meshctl();
    cmd.args(args).arg("--kubeconfig").arg(kubeconfig);
    cmd
}
