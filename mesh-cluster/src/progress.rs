//! Progress events the engine reports while it works, for a caller to display (the library
//! itself never prints).

use crate::takeover::Takeover;
use mesh_core::ComponentName;
use mesh_manifest::order::{ObjectId, StageKind};

/// Something the engine started, finished or is waiting on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A stage is about to be applied.
    StageStarted {
        /// The stage.
        stage: StageKind,
        /// How many objects it has.
        objects: usize,
    },
    /// One object was applied (or accepted by a server-side dry run).
    Applied {
        /// The stage.
        stage: StageKind,
        /// The object.
        id: ObjectId,
        /// The component that rendered it.
        component: Option<ComponentName>,
    },
    /// Another field manager had changed fields of an object that mesh sets; the apply took
    /// them back (forced), or a dry run would.
    TookOver(Takeover),
    /// A namespace of the manifest already existed without mesh's labels: it is applied without
    /// them (its rendered labels only), so `uninstall --delete-namespace` never deletes it.
    ExistingNamespace {
        /// The namespace.
        id: ObjectId,
    },
    /// A dry run could not check an object because what it needs (its namespace, its CRD) is
    /// only created by the real install.
    DryRunSkipped {
        /// The object.
        id: ObjectId,
        /// Why it was not checked.
        reason: String,
    },
    /// Every object of a stage was applied.
    StageApplied {
        /// The stage.
        stage: StageKind,
    },
    /// A wait started.
    WaitStarted {
        /// What is waited for (`CRDs`, `workloads`).
        what: String,
        /// How many objects.
        objects: usize,
    },
    /// A wait poll found objects still not ready.
    Waiting {
        /// What is waited for.
        what: String,
        /// The objects still not ready, with the reason.
        pending: Vec<String>,
    },
    /// Everything waited for is ready.
    WaitDone {
        /// What was waited for.
        what: String,
    },
    /// Objects of ours that the new set no longer has are about to be removed.
    PruneStarted {
        /// How many.
        objects: usize,
    },
    /// One object was deleted (prune or uninstall; dry runs included).
    Deleted {
        /// The object.
        id: ObjectId,
    },
    /// One object to delete was already gone.
    AlreadyGone {
        /// The object.
        id: ObjectId,
    },
}

/// A progress callback that ignores everything.
pub fn ignore(_: Event) {}
