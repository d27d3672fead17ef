//! The IO half (feature `client`): a [`Cluster`] sends the requests of [`crate::requests`]
//! through a [`kube::Client`]; the drivers run plans, waits, prunes, uninstalls, verifications
//! and prechecks on it, judging what they read with the pure modules.

mod cluster;
mod install;
mod precheck;
mod prune;
mod uninstall;
mod verify;
mod wait;

pub use cluster::Cluster;
pub use install::run_plan;
pub use precheck::{precheck, review_access};
pub use uninstall::uninstall;
pub use verify::verify_install;
