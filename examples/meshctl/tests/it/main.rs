//! meshctl run as a process: output, staged folders, exit codes, error lines on stderr.

mod manifest;
mod profile;
mod support;
