//! mesh's CRDs on the real server: accepted, Established, and validating like Istio's.
