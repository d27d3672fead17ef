//! End-to-end tests against a real Kubernetes API server on loopback (`../shared/tools/kube`,
//! through `mesh_test_support::kube`). Without the tools each test prints one `skipping:` line
//! and passes; CI sets `MESH_REQUIRE_KUBE=1` so that they must run.
//!
//! Run them alone with `cargo test -p meshctl --test e2e`.

#![allow(dead_code)] // each module uses a different part of the helpers below

mod addons;
mod apply;
mod bench;
mod canary;
mod crds;
mod harness;
mod helm;
mod inject;
mod install;
mod tags;
mod typed_api;

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

/// Runs a command with `input` on its stdin; returns its output. A command that exits before
/// reading all of it (kubectl given an empty input) is not an error here: that shows in its
/// output.
fn run_with_input(cmd: &mut Command, input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("waiting for {cmd:?}: {e}"))
}

/// `meshctl ARGS --kubeconfig FILE`.
fn meshctl_on(kubeconfig: &Path, args: &[&str]) -> Command {
    let mut cmd = meshctl();
    cmd.args(args).arg("--kubeconfig").arg(kubeconfig);
    cmd
}
