//! meshctl run as a process: output, staged folders, exit codes, error lines on stderr.

mod kube_inject;
mod manifest;
mod profile;
mod support;
