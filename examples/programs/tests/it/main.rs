//! Snapshot-test your own install: render the configuration you ship and keep one reviewed
//! snapshot per object, so a change of mesh, of a profile or of your overlay shows up as the
//! objects it changes. Copy this file into your own crate's tests.

mod my_install;
