//! The proxy's `OTEL_RESOURCE_ATTRIBUTES`: OpenTelemetry's Kubernetes service attributes,
//! computed at injection time when the mesh config asks for them.
//!
//! Istio 1.30 added `serviceAttributeEnrichment: OTEL_SEMANTIC_CONVENTIONS` to the
//! `opentelemetry` extension provider. With it, istiod names spans by OpenTelemetry's
//! conventions, and the injector gives the proxy the attributes only the pod knows:
//! `service.namespace`, `service.version` and `service.instance.id`, each from its
//! `resource.opentelemetry.io/` annotation first and a Kubernetes fallback after it.
//! Without such a provider the variable is not set at all, whatever the pod's annotations say.

use mesh_core::Value;

/// The annotation prefix OpenTelemetry's Kubernetes conventions read resource attributes from.
const ANNOTATION_PREFIX: &str = "resource.opentelemetry.io/";

/// The label OpenTelemetry's conventions read `service.version` from.
const VERSION_LABEL: &str = "app.kubernetes.io/version";

/// `OTEL_RESOURCE_ATTRIBUTES` for the proxy, or an empty string when no `opentelemetry`
/// provider among `providers` (the mesh config's `extensionProviders`) enriches with
/// OpenTelemetry's conventions.
///
/// Attributes come in a fixed order, `key=value` joined by commas; one with no value is left out:
/// - `service.namespace`: the annotation, else the workload's namespace;
/// - `service.version`: the annotation, else the `app.kubernetes.io/version` label, else the tag
///   (or digest) of the image when the pod has exactly one container;
/// - `service.instance.id`: the annotation, else `<namespace>.$(POD_NAME).<container>`, where
///   the container is the pod's only container or, with several, the proxy itself. The pod
///   name is left to the kubelet (`$(POD_NAME)` is the proxy's own variable): at admission a
///   pod made from `generateName` has no name yet.
pub(crate) fn resource_attributes(
    providers: Option<&Value>,
    annotation: impl Fn(&str) -> Option<String>,
    label: impl Fn(&str) -> Option<String>,
    namespace: &str,
    containers: &[Value],
) -> String {
    if !semantic_conventions(providers) {
        return String::new();
    }
    let annotation =
        |key: &str| annotation(&format!("{ANNOTATION_PREFIX}{key}")).filter(|s| !s.is_empty());
    let single = match containers {
        [one] => Some(one),
        _ => None,
    };
    let service_namespace = annotation("service.namespace").unwrap_or_else(|| namespace.into());
    let version = annotation("service.version")
        .or_else(|| label(VERSION_LABEL).filter(|s| !s.is_empty()))
        .or_else(|| {
            let image = single?.get("image")?.as_str()?;
            image_version(image).map(str::to_string)
        });
    let instance = annotation("service.instance.id").unwrap_or_else(|| {
        let container = single
            .and_then(|c| c.get("name")?.as_str())
            .unwrap_or("istio-proxy");
        [namespace, "$(POD_NAME)", container]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(".")
    });
    [
        ("service.namespace", Some(service_namespace)),
        ("service.version", version),
        ("service.instance.id", Some(instance)),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.filter(|s| !s.is_empty()).map(|v| format!("{k}={v}")))
    .collect::<Vec<_>>()
    .join(",")
}

/// Whether any `opentelemetry` extension provider enriches with OpenTelemetry's conventions.
fn semantic_conventions(providers: Option<&Value>) -> bool {
    let Some(Value::Array(providers)) = providers else {
        return false;
    };
    providers.iter().any(|p| {
        p.get("opentelemetry")
            .and_then(|o| o.get("serviceAttributeEnrichment"))
            .and_then(Value::as_str)
            == Some("OTEL_SEMANTIC_CONVENTIONS")
    })
}

/// The version an image reference names: its tag, else its digest (`sha256:...`); `None`
/// for an untagged reference (a registry port, `host:5000/app`, is not a tag).
fn image_version(image: &str) -> Option<&str> {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    last.split_once(':')
        .map(|(_, tag)| tag)
        .filter(|t| !t.is_empty())
        .or(digest.filter(|d| !d.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(
        mesh: Value,
        annotations: Value,
        labels: Value,
        ns: &str,
        containers: Value,
    ) -> String {
        let get = |m: &Value, k: &str| m.get(k)?.as_str().map(str::to_string);
        let containers = containers.as_array().cloned().unwrap_or_default();
        resource_attributes(
            mesh.get("extensionProviders"),
            |k| get(&annotations, k),
            |k| get(&labels, k),
            ns,
            &containers,
        )
    }

    fn provider(enrichment: &str) -> Value {
        json!({"extensionProviders": [
            {"name": "zipkin", "zipkin": {"service": "z", "port": 9411}},
            {"name": "otel", "opentelemetry": {"service": "c", "port": 4317,
                "serviceAttributeEnrichment": enrichment}},
        ]})
    }

    #[test]
    fn only_with_the_semantic_conventions_provider() {
        let ann = json!({"resource.opentelemetry.io/service.version": "v9"});
        let one = json!([{"name": "app", "image": "web:1.2"}]);
        for mesh in [
            json!({}),
            json!({"extensionProviders": "x"}),
            provider("ISTIO_CANONICAL"),
        ] {
            assert_eq!(attrs(mesh, ann.clone(), Value::Null, "ns", one.clone()), "");
        }
        assert_eq!(
            attrs(
                provider("OTEL_SEMANTIC_CONVENTIONS"),
                ann,
                Value::Null,
                "ns",
                one
            ),
            "service.namespace=ns,service.version=v9,service.instance.id=ns.$(POD_NAME).app"
        );
    }

    #[test]
    fn each_attribute_falls_back_in_order() {
        let mesh = || provider("OTEL_SEMANTIC_CONVENTIONS");
        let one = json!([{"name": "app", "image": "reg:5000/team/web:2.0"}]);
        let two = json!([{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]);
        let label = json!({"app.kubernetes.io/version": "l1"});
        let all = json!({
            "resource.opentelemetry.io/service.namespace": "team",
            "resource.opentelemetry.io/service.version": "a1",
            "resource.opentelemetry.io/service.instance.id": "id-7",
            "resource.opentelemetry.io/deployment.environment": "prod",
        });
        assert_eq!(
            attrs(mesh(), all, label.clone(), "ns", one.clone()),
            "service.namespace=team,service.version=a1,service.instance.id=id-7"
        );
        assert_eq!(
            attrs(mesh(), Value::Null, label, "ns", two.clone()),
            "service.namespace=ns,service.version=l1,service.instance.id=ns.$(POD_NAME).istio-proxy"
        );
        assert_eq!(
            attrs(mesh(), Value::Null, Value::Null, "ns", one),
            "service.namespace=ns,service.version=2.0,service.instance.id=ns.$(POD_NAME).app"
        );
        // Empty annotations count as absent; no namespace and several containers leave out
        // what has no value.
        let empty = json!({"resource.opentelemetry.io/service.namespace": ""});
        assert_eq!(
            attrs(mesh(), empty, Value::Null, "", two),
            "service.instance.id=$(POD_NAME).istio-proxy"
        );
    }

    #[test]
    fn image_versions() {
        assert_eq!(image_version("nginx:1.25"), Some("1.25"));
        assert_eq!(image_version("reg:5000/app"), None);
        assert_eq!(image_version("reg:5000/app:v1"), Some("v1"));
        assert_eq!(image_version("app@sha256:abc"), Some("sha256:abc"));
        assert_eq!(image_version("app:v2@sha256:abc"), Some("v2"));
        assert_eq!(image_version("app"), None);
        assert_eq!(image_version("app:"), None);
    }
}
