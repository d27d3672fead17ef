//! meshctl run as a process: output, staged folders, exit codes, error lines on stderr.

mod addons;
mod bad_input;
mod cli_polish;
mod differential;
mod kube_inject;
mod layouts;
mod manifest;
mod profile;
mod support;
mod translate;
