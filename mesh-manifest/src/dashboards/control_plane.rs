//! The control plane view: how istiod distributes configuration (xDS pushes, convergence,
//! rejections), the health of the mesh configuration, its webhooks and CA, and its resources.

use super::common::{cpu_and_memory, percentiles};
use super::model::{Dashboard, Panel, Thresholds, Unit, Variable};
use super::query::{quantile, select, sum_gauge, sum_rate};

/// The chosen istiod pods.
const ISTIOD: &str = r#"app="istiod", pod=~"$pod""#;
/// Their discovery containers, for cAdvisor.
const DISCOVERY: &str = r#"container="discovery", pod=~"$pod""#;
/// The conflict gauges istiod keeps.
const CONFLICTS: [(&str, &str); 4] = [
    ("pilot_conflict_inbound_listener", "inbound listener"),
    (
        "pilot_conflict_outbound_listener_http_over_current_tcp",
        "outbound HTTP over TCP",
    ),
    (
        "pilot_conflict_outbound_listener_tcp_over_current_http",
        "outbound TCP over HTTP",
    ),
    (
        "pilot_conflict_outbound_listener_tcp_over_current_tcp",
        "outbound TCP over TCP",
    ),
];

/// The control plane dashboard.
pub fn dashboard() -> Dashboard {
    let conflicts = CONFLICTS.iter().fold(
        Panel::timeseries(
            "Listener conflicts over time",
            "Listeners istiod could not build because two services claim the same port with different protocols.",
            Unit::Number,
        ),
        |panel, (metric, legend)| panel.query(sum_gauge(metric, ISTIOD, ""), legend),
    );
    Dashboard::new(
        "mesh-control-plane",
        "Control plane",
        "istiod: configuration pushes to proxies and how fast they converge, configuration problems, webhooks, certificates and resources.",
    )
    .tag("control-plane")
    .variable(Variable::label_values(
        "pod",
        "istiod pod",
        r#"pilot_xds{app="istiod"}"#,
        "pod",
        true,
    ))
    .row("At a glance")
    .line(4, glance())
    .row("Configuration distribution (xDS)")
    .panel(
        12,
        8,
        Panel::timeseries("Pushes by type", "xDS pushes per second, by resource type (cds, eds, lds, rds, ...).", Unit::OpsPerSecond)
            .query(sum_rate("pilot_xds_pushes", ISTIOD, "type"), "{{type}}")
            .stacked(),
    )
    .panel(
        12,
        8,
        Panel::timeseries("Push triggers", "Why istiod pushed: configuration, endpoint, service or proxy changes.", Unit::OpsPerSecond)
            .query(sum_rate("pilot_push_triggers", ISTIOD, "type"), "{{type}}")
            .stacked(),
    )
    .panel(
        8,
        8,
        percentiles(
            "Convergence time",
            "Time from a configuration change to its push to the proxies.",
            Unit::Seconds,
            "pilot_proxy_convergence_time_bucket",
            ISTIOD,
        ),
    )
    .panel(
        8,
        8,
        Panel::timeseries("Push time (p99)", "99th percentile of the time to build and send a push, by type.", Unit::Seconds)
            .query(quantile(0.99, "pilot_xds_push_time_bucket", ISTIOD, "type"), "{{type}}"),
    )
    .panel(
        8,
        8,
        Panel::timeseries("Pushed config size (p99)", "99th percentile of the size of one pushed configuration, by type.", Unit::Bytes)
            .query(quantile(0.99, "pilot_xds_config_size_bytes_bucket", ISTIOD, "type"), "{{type}}"),
    )
    .panel(
        12,
        8,
        Panel::timeseries(
            "xDS connections",
            "xDS connections per istiod pod, and the proxies' own count of their connections to istiod.",
            Unit::Number,
        )
        .query(sum_gauge("pilot_xds", ISTIOD, "pod"), "{{pod}}")
        .query(
            sum_gauge("envoy_cluster_upstream_cx_active", r#"cluster_name="xds-grpc""#, ""),
            "seen by proxies",
        ),
    )
    .panel(
        12,
        8,
        Panel::timeseries(
            "Rejected and failed pushes",
            "Configurations proxies rejected (by type), and pushes istiod could not build.",
            Unit::Number,
        )
        .query(sum_gauge("pilot_total_xds_rejects", ISTIOD, "type"), "rejected {{type}}")
        .query(sum_gauge("pilot_total_xds_internal_errors", ISTIOD, ""), "internal errors")
        .query(sum_gauge("pilot_xds_expired_nonce", ISTIOD, ""), "expired nonces"),
    )
    .row("Mesh configuration")
    .panel(12, 8, conflicts)
    .panel(
        12,
        8,
        Panel::timeseries(
            "Endpoint problems",
            "Services without endpoints, endpoints not ready, and pods without an IP.",
            Unit::Number,
        )
        .query(sum_gauge("pilot_eds_no_instances", ISTIOD, ""), "services without endpoints")
        .query(sum_gauge("pilot_endpoint_not_ready", ISTIOD, ""), "endpoints not ready")
        .query(sum_gauge("pilot_no_ip", ISTIOD, ""), "pods without IP"),
    )
    .panel(
        12,
        8,
        Panel::timeseries("Configuration events", "Istio configuration objects added, updated and deleted per second.", Unit::OpsPerSecond)
            .query(sum_rate("pilot_k8s_cfg_events", ISTIOD, "type, event"), "{{event}} {{type}}"),
    )
    .panel(
        12,
        8,
        Panel::timeseries("Registry events", "Kubernetes services, endpoints and pods changes per second.", Unit::OpsPerSecond)
            .query(sum_rate("pilot_k8s_reg_events", ISTIOD, "type, event"), "{{event}} {{type}}"),
    )
    .row("Webhooks and certificates")
    .panel(
        8,
        8,
        Panel::timeseries("Configuration validation", "Istio objects the validating webhook accepted and rejected per second.", Unit::OpsPerSecond)
            .query(sum_rate("galley_validation_passed", ISTIOD, ""), "accepted")
            .query(sum_rate("galley_validation_failed", ISTIOD, ""), "rejected"),
    )
    .panel(
        8,
        8,
        Panel::timeseries("Sidecar injection", "Pods the injection webhook injected, and injections that failed, per second.", Unit::OpsPerSecond)
            .query(sum_rate("sidecar_injection_success_total", ISTIOD, ""), "injected")
            .query(sum_rate("sidecar_injection_failure_total", ISTIOD, ""), "failed"),
    )
    .panel(
        8,
        8,
        Panel::timeseries("Workload certificates", "Certificate signing requests received and certificates issued per second, and malformed requests.", Unit::OpsPerSecond)
            .query(sum_rate("citadel_server_csr_count", ISTIOD, ""), "requests")
            .query(sum_rate("citadel_server_success_cert_issuance_count", ISTIOD, ""), "issued")
            .query(sum_rate("citadel_server_csr_parsing_err_count", ISTIOD, ""), "malformed"),
    )
    .row("istiod resources")
    .panels(6, 8, cpu_and_memory("", "each istiod's discovery container", DISCOVERY, "pod", "{{pod}}"))
    .panel(
        6,
        8,
        Panel::timeseries("Go heap", "Heap bytes in use by each istiod.", Unit::Bytes)
            .query(sum_gauge("go_memstats_heap_inuse_bytes", ISTIOD, "pod"), "{{pod}}"),
    )
    .panel(
        6,
        8,
        Panel::timeseries("Goroutines", "Goroutines of each istiod; steady growth hints at a leak.", Unit::Number)
            .query(sum_gauge("go_goroutines", ISTIOD, "pod"), "{{pod}}"),
    )
}

/// Proxies, pushes, convergence, rejects, conflicts, CA root expiry.
fn glance() -> Vec<Panel> {
    let conflicts: Vec<String> = CONFLICTS
        .iter()
        .map(|(metric, _)| sum_gauge(metric, ISTIOD, ""))
        .collect();
    vec![
        Panel::stat(
            "Connected proxies",
            "xDS connections to the chosen istiod pods.",
            Unit::Number,
        )
        .query(sum_gauge("pilot_xds", ISTIOD, ""), "proxies"),
        Panel::stat("Pushes", "xDS pushes per second.", Unit::OpsPerSecond)
            .query(sum_rate("pilot_xds_pushes", ISTIOD, ""), "pushes"),
        Panel::stat(
            "p99 convergence",
            "99th percentile of the time from a change to its push.",
            Unit::Seconds,
        )
        .query(
            quantile(0.99, "pilot_proxy_convergence_time_bucket", ISTIOD, ""),
            "p99",
        )
        .thresholds(Thresholds::higher_is_worse(1.0, 10.0)),
        Panel::stat(
            "Rejected configs",
            "Configurations proxies currently reject.",
            Unit::Number,
        )
        .query(sum_gauge("pilot_total_xds_rejects", ISTIOD, ""), "rejects")
        .thresholds(Thresholds::red_from(1.0)),
        Panel::stat(
            "Listener conflicts",
            "Listeners dropped because services clash on a port.",
            Unit::Number,
        )
        .query(conflicts.join(" + "), "conflicts")
        .thresholds(Thresholds::red_from(1.0)),
        Panel::stat(
            "CA root expires in",
            "Time until istiod's root certificate expires.",
            Unit::Seconds,
        )
        .query(
            format!(
                "min({}) - time()",
                select("citadel_server_root_cert_expiry_timestamp", ISTIOD)
            ),
            "expires in",
        )
        .thresholds(Thresholds::lower_is_worse(7.0 * 86400.0, 30.0 * 86400.0)),
    ]
}
