//! How istiod is reached: its Service, one Service per revision tag, and, for a cluster whose
//! istiod runs elsewhere (`global.remotePilotAddress`), a local Service and EndpointSlice that
//! point at the remote control plane.

use mesh_core::{Value, obj};
use serde_json::json;

use super::chart::{Chart, annotate};
use crate::render::RenderError;
use crate::render::common::{ObjectMap, go_format, printed};

/// All objects of this module that the values call for.
pub(super) fn render(chart: &Chart<'_>) -> Result<Vec<Value>, RenderError> {
    let mut out = Vec::new();
    if !chart.namespace_scope() {
        return Ok(out);
    }
    if !chart.remote() || chart.local_injector() {
        out.push(istiod_service(chart, &chart.revisioned("istiod"), None)?);
    }
    for tag in chart.list("revisionTags")? {
        let tag = go_format(tag);
        out.push(istiod_service(
            chart,
            &format!("istiod-revision-tag-{tag}"),
            Some(&tag),
        )?);
    }
    // The stand-in for a remote istiod exists only on a remote cluster (`istiodRemote.enabled`).
    if chart.on("global.remotePilotAddress") && chart.remote() {
        out.push(remote_service(chart)?);
        if is_ip(&chart.text("global.remotePilotAddress")) {
            out.push(remote_endpoints(chart));
        }
    }
    Ok(out)
}

/// The chart's IPv4 pattern `^([0-9]*\.){3}[0-9]*$`: four dot-separated groups of digits (groups
/// may be empty).
fn is_ipv4(address: &str) -> bool {
    let parts: Vec<&str> = address.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// The chart's IPv6 pattern `^([0-9a-fA-F]*:)+[0-9a-fA-F]*$`: at least one colon, hex digits
/// only between them.
fn is_ipv6(address: &str) -> bool {
    address.contains(':')
        && address
            .split(':')
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether the chart takes `address` for an IP address (IPv4 or IPv6) rather than a host name.
fn is_ip(address: &str) -> bool {
    is_ipv4(address) || is_ipv6(address)
}

/// `ipFamilyPolicy` and `ipFamilies` from the values under `prefix` (`` or `global.`).
fn ip_families(chart: &Chart<'_>, spec: &mut ObjectMap, prefix: &str) -> Result<(), RenderError> {
    let policy = format!("{prefix}ipFamilyPolicy");
    if chart.on(&policy) {
        spec.insert("ipFamilyPolicy".into(), chart.printed(&policy));
    }
    let families = chart.list(&format!("{prefix}ipFamilies"))?;
    if !families.is_empty() {
        spec.insert("ipFamilies".into(), families.iter().map(printed).collect());
    }
    Ok(())
}

/// The istiod Service (or a revision tag's copy of it).
fn istiod_service(chart: &Chart<'_>, name: &str, tag: Option<&str>) -> Result<Value, RenderError> {
    let mut pairs = vec![("app", Value::from("istiod")), ("istio", "pilot".into())];
    if let Some(tag) = tag {
        pairs.push(("istio.io/tag", printed(&Value::String(tag.to_string()))));
    }
    let labels = chart.component_labels(&pairs);
    let mut md = chart.metadata(name, Some(chart.namespace), labels);
    annotate(chart, &mut md, "serviceAnnotations")?;
    let mut spec = ObjectMap::new();
    spec.insert(
        "ports".into(),
        json!([
            {"port": 15010, "name": "grpc-xds", "protocol": "TCP"},
            {"port": 15012, "name": "https-dns", "protocol": "TCP"},
            {"port": 443, "name": "https-webhook", "targetPort": 15017, "protocol": "TCP"},
            {"port": 15014, "name": "http-monitoring", "protocol": "TCP"},
        ]),
    );
    spec.insert("selector".into(), chart.pod_selector());
    ip_families(chart, &mut spec, "")?;
    // Only the istiod Service itself, not a revision tag's copy.
    if tag.is_none() && chart.on("trafficDistribution") {
        spec.insert(
            "trafficDistribution".into(),
            chart.printed("trafficDistribution"),
        );
    }
    Ok(obj! { "apiVersion" => "v1", "kind" => "Service", "metadata" => md, "spec" => spec })
}

/// The name of the local stand-in for a remote istiod: `istiod[-rev]`, or `istiod[-rev]-remote`
/// when a local injector istiod keeps the plain name.
fn remote_name(chart: &Chart<'_>) -> String {
    let base = chart.revisioned("istiod");
    if chart.local_injector() {
        format!("{base}-remote")
    } else {
        base
    }
}

/// The local Service standing for the remote istiod: an ExternalName for a host name, a
/// selector-less Service (fed by an EndpointSlice) for an IP address.
fn remote_service(chart: &Chart<'_>) -> Result<Value, RenderError> {
    let mut labels = chart.labels("istiod", &[]);
    labels.insert("istio.io/rev".into(), chart.revision_or_default().into());
    let mut spec = ObjectMap::new();
    spec.insert(
        "ports".into(),
        json!([
            {"port": 15012, "name": "tcp-istiod", "protocol": "TCP"},
            {"port": 443, "targetPort": 15017, "name": "tcp-webhook", "protocol": "TCP"},
        ]),
    );
    let address = chart.text("global.remotePilotAddress");
    if !is_ip(&address) {
        spec.insert("type".into(), "ExternalName".into());
        spec.insert(
            "externalName".into(),
            chart.printed("global.remotePilotAddress"),
        );
    }
    ip_families(chart, &mut spec, "global.")?;
    Ok(obj! {
        "apiVersion" => "v1",
        "kind" => "Service",
        "metadata" => chart.metadata(&remote_name(chart), Some(chart.namespace), labels),
        "spec" => spec,
    })
}

/// The EndpointSlice giving the remote istiod's IP address to the local Service.
fn remote_endpoints(chart: &Chart<'_>) -> Value {
    let name = remote_name(chart);
    let labels = chart.labels(
        "istiod",
        &[
            ("kubernetes.io/service-name", name.clone().into()),
            ("endpointslice.kubernetes.io/managed-by", "Helm".into()),
        ],
    );
    obj! {
        "apiVersion" => "discovery.k8s.io/v1",
        "kind" => "EndpointSlice",
        "metadata" => chart.metadata(&name, Some(chart.namespace), labels),
        "addressType" => if is_ipv4(&chart.text("global.remotePilotAddress")) { "IPv4" } else { "IPv6" },
        "endpoints" => json!([{"addresses": [chart.printed("global.remotePilotAddress")]}]),
        "ports" => json!([
            {"port": 15012, "name": "tcp-istiod", "protocol": "TCP"},
            {"port": 15017, "name": "tcp-webhook", "protocol": "TCP"},
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_detection_matches_the_chart_pattern() {
        assert!(is_ipv4("10.0.0.1"));
        assert!(!is_ipv4("istiod.example.com"));
        assert!(!is_ipv4("10.0.0"));
    }

    #[test]
    fn ipv6_detection_matches_the_chart_pattern() {
        assert!(is_ipv6("fd00::1"));
        assert!(is_ipv6("2001:db8:0:0:0:0:0:1"));
        assert!(!is_ipv6("istiod.example.svc:15012"));
        assert!(!is_ipv6("10.0.0.1"));
        assert!(is_ip("fd00::1") && is_ip("10.0.0.1") && !is_ip("istiod.example.com"));
    }
}
