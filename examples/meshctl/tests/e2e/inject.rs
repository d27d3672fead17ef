//! Sidecar injection through the API server: mesh-webhook called by the real admission chain.
