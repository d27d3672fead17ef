//! One renderer per component: effective chart values in, Kubernetes objects out.
