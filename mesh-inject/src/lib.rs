//! mesh-inject
