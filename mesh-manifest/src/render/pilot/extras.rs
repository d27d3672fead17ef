//! istiod's optional objects: gateway-class default ConfigMaps, the extra JWKS root CA
//! ConfigMap, the JWKS resolver client certificate Secret, a NetworkPolicy and a
//! ServiceMonitor.

use mesh_core::{Value, obj};
use serde_json::json;

use super::chart::Chart;
use super::mesh_config::yaml_block;
use crate::render::RenderError;
use crate::render::common::{ObjectMap, go_format};

/// All objects of this module that the values call for.
pub(super) fn render(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    let mut out = Vec::new();
    if !chart.namespace_scope() {
        return Ok(out);
    }
    out.extend(gateway_classes(chart)?);
    let local = !chart.remote() || chart.local_injector();
    if local && chart.on("jwksResolverExtraRootCA") {
        out.push(jwks_root_ca(chart));
    }
    if chart.on("jwksResolverCert") && chart.on("jwksResolverKey") {
        out.push(jwks_client_cert(chart));
    }
    if chart.on("global.networkPolicy.enabled") {
        out.push(network_policy(chart));
    }
    if chart.on("serviceMonitor.enabled") {
        out.push(service_monitor(chart));
    }
    Ok(out)
}

/// One ConfigMap per entry of `gatewayClasses`: the defaults applied to the objects istiod
/// deploys for gateways of that class, one YAML document per kind.
fn gateway_classes(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    let Some(classes) = chart.map("gatewayClasses")? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (class, kinds) in classes {
        let labels = chart
            .component_labels(&[("gateway.istio.io/defaults-for-class", class.clone().into())]);
        let name = format!("istio-{}-gatewayclass-{class}", chart.revision_or_default());
        let data: ObjectMap = match kinds {
            Value::Object(map) => map
                .iter()
                .map(|(kind, overlay)| (kind.clone(), format!("{}\n", yaml_block(overlay)).into()))
                .collect(),
            Value::Null => ObjectMap::new(),
            _ => return Err(chart.bad(&format!("gatewayClasses.{class}"), "a map")),
        };
        out.push(obj! {
            "apiVersion" => "v1",
            "kind" => "ConfigMap",
            "metadata" => chart.metadata(&name, Some(chart.namespace), labels),
            "data" => data,
        });
    }
    Ok(out)
}

/// The ConfigMap with the extra root CA istiod trusts when fetching JWKS.
fn jwks_root_ca(chart: &Chart<'_>) -> Value {
    obj! {
        "apiVersion" => "v1",
        "kind" => "ConfigMap",
        "metadata" => chart.metadata(
            &chart.revisioned("pilot-jwks-extra-cacerts"),
            Some(chart.namespace),
            chart.component_labels(&[]),
        ),
        "data" => json!({"extra.pem": chart.text("jwksResolverExtraRootCA")}),
    }
}

/// The TLS Secret with the client certificate istiod presents when fetching JWKS.
fn jwks_client_cert(chart: &Chart<'_>) -> Value {
    let mut labels = ObjectMap::new();
    labels.insert("release".into(), super::chart::RELEASE.into());
    labels.insert("istio.io/rev".into(), chart.revision_or_default().into());
    labels.insert(
        "install.operator.istio.io/owning-resource".into(),
        chart.owner(),
    );
    labels.insert("operator.istio.io/component".into(), "Pilot".into());
    obj! {
        "apiVersion" => "v1",
        "kind" => "Secret",
        "metadata" => chart.metadata(
            &chart.revisioned("pilot-jwks-resolver-cert"),
            Some(chart.namespace),
            labels,
        ),
        "type" => "kubernetes.io/tls",
        "data" => json!({
            "tls.crt": mesh_core::base64::encode(go_format(chart.get("jwksResolverCert")).as_bytes()),
            "tls.key": mesh_core::base64::encode(go_format(chart.get("jwksResolverKey")).as_bytes()),
        }),
    }
}

/// A NetworkPolicy letting the webhook and xDS ports in and everything out.
fn network_policy(chart: &Chart<'_>) -> Value {
    let labels = chart.component_labels(&[("app", "istiod".into()), ("istio", "pilot".into())]);
    let tcp = |port: u16| obj! { "protocol" => "TCP", "port" => port };
    obj! {
        "apiVersion" => "networking.k8s.io/v1",
        "kind" => "NetworkPolicy",
        "metadata" => chart.metadata(&chart.revisioned("istiod"), Some(chart.namespace), labels),
        "spec" => json!({
            "podSelector": {"matchLabels": {
                "app": "istiod",
                "istio.io/rev": chart.revision_or_default(),
            }},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {"ports": [tcp(15017)]},
                {"ports": [tcp(15010), tcp(15011), tcp(15012), tcp(8080), tcp(15014)]},
            ],
            "egress": [{}],
        }),
    }
}

/// A Prometheus-operator ServiceMonitor scraping istiod's monitoring port.
fn service_monitor(chart: &Chart<'_>) -> Value {
    let labels = chart.component_labels(&[("app", "istiod".into()), ("istio", "pilot".into())]);
    obj! {
        "apiVersion" => "monitoring.coreos.com/v1",
        "kind" => "ServiceMonitor",
        "metadata" => chart.metadata(&chart.revisioned("istiod"), Some(chart.namespace), labels),
        "spec" => json!({
            "namespaceSelector": {"matchNames": [chart.namespace]},
            "selector": {"matchLabels": chart.pod_selector()},
            "endpoints": [{"port": "http-monitoring", "path": "/metrics", "interval": "10s"}],
        }),
    }
}
