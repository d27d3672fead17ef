//! The shape of an IstioOperator document, for unknown-field and type checks.

use crate::Shape;

/// The shape of `components.<c>.k8s` (istioctl's `KubernetesResources`). Fields holding
/// Kubernetes API structs are `Any` here: they are checked against their k8s-openapi types by
/// [`super::validate`].
pub fn k8s_shape() -> Shape {
    Shape::object([
        ("affinity", Shape::Any),
        ("env", Shape::list(Shape::Any)),
        ("hpaSpec", Shape::Any),
        ("imagePullPolicy", Shape::String),
        ("nodeSelector", Shape::map(Shape::String)),
        ("podDisruptionBudget", Shape::Any),
        ("podAnnotations", Shape::map(Shape::String)),
        ("priorityClassName", Shape::String),
        ("readinessProbe", Shape::Any),
        ("replicaCount", Shape::Int),
        ("resources", Shape::Any),
        ("service", Shape::Any),
        ("strategy", Shape::Any),
        ("tolerations", Shape::list(Shape::Any)),
        ("serviceAnnotations", Shape::map(Shape::String)),
        ("securityContext", Shape::Any),
        ("volumes", Shape::list(Shape::Any)),
        ("volumeMounts", Shape::list(Shape::Any)),
        (
            "overlays",
            Shape::list(Shape::object([
                ("apiVersion", Shape::String),
                ("kind", Shape::String),
                ("name", Shape::String),
                (
                    "patches",
                    Shape::list(Shape::object([
                        ("path", Shape::String),
                        ("value", Shape::Any),
                    ])),
                ),
            ])),
        ),
    ])
}

fn component_fields() -> Vec<(&'static str, Shape)> {
    vec![
        ("enabled", Shape::Bool),
        ("namespace", Shape::String),
        ("hub", Shape::String),
        ("tag", Shape::Scalar),
        ("k8s", k8s_shape()),
    ]
}

fn gateway_shape() -> Shape {
    let mut fields = component_fields();
    fields.push(("name", Shape::String));
    fields.push(("label", Shape::map(Shape::String)));
    Shape::object(fields)
}

fn metadata_shape() -> Shape {
    Shape::object([
        ("name", Shape::String),
        ("namespace", Shape::String),
        ("labels", Shape::map(Shape::String)),
        ("annotations", Shape::map(Shape::String)),
        ("generateName", Shape::String),
        ("uid", Shape::String),
        ("resourceVersion", Shape::String),
        ("generation", Shape::Int),
        ("creationTimestamp", Shape::Any),
        ("finalizers", Shape::list(Shape::String)),
        ("ownerReferences", Shape::list(Shape::Any)),
        ("managedFields", Shape::list(Shape::Any)),
    ])
}

/// The shape of a whole IstioOperator document; `values` is the shape of `spec.values` (the
/// chart values model, which lives with the chart data in mesh-profiles).
pub fn operator_shape(values: Shape) -> Shape {
    Shape::object([
        ("apiVersion", Shape::String),
        ("kind", Shape::String),
        ("metadata", metadata_shape()),
        (
            "spec",
            Shape::object([
                ("profile", Shape::String),
                ("installPackagePath", Shape::String),
                ("hub", Shape::String),
                ("tag", Shape::Scalar),
                ("namespace", Shape::String),
                ("revision", Shape::String),
                ("compatibilityVersion", Shape::String),
                ("meshConfig", Shape::map(Shape::Any)),
                (
                    "components",
                    Shape::object([
                        (
                            "base",
                            Shape::object([("enabled", Shape::Bool), ("k8s", k8s_shape())]),
                        ),
                        ("pilot", Shape::object(component_fields())),
                        ("cni", Shape::object(component_fields())),
                        ("ztunnel", Shape::object(component_fields())),
                        ("istiodRemote", Shape::object(component_fields())),
                        ("gateway", Shape::object(component_fields())),
                        ("ingressGateways", Shape::list(gateway_shape())),
                        ("egressGateways", Shape::list(gateway_shape())),
                    ]),
                ),
                ("values", values),
                ("unvalidatedValues", Shape::Any),
            ]),
        ),
        ("status", Shape::Any),
    ])
}
