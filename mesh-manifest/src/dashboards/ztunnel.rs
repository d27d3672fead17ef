//! The ztunnel view (ambient mode): the node proxies' TCP traffic and its security, their link to
//! istiod, DNS proxying, and their resources.

use super::common::{cpu_and_memory, open_connections, tcp_connections};
use super::model::{Dashboard, Panel, Thresholds, Unit, Variable};
use super::query::{and, rate, sum_gauge, sum_rate};

/// The chosen ztunnel pods.
const ZTUNNEL: &str = r#"app="ztunnel", pod=~"$pod""#;
/// Their containers, for cAdvisor (the ztunnel container is named istio-proxy).
const CONTAINER: &str = r#"container="istio-proxy", pod=~"ztunnel-.*", pod=~"$pod""#;

/// The ztunnel dashboard.
pub fn dashboard() -> Dashboard {
    Dashboard::new(
        "mesh-ztunnel",
        "Ztunnel",
        "The ambient mode node proxies: workloads they serve, TCP traffic and its encryption, xDS and DNS, CPU and memory.",
    )
    .tag("ambient")
    .variable(Variable::label_values(
        "pod",
        "ztunnel pod",
        r#"istio_build{component="ztunnel"}"#,
        "pod",
        true,
    ))
    .row("At a glance")
    .line(4, glance())
    .row("Traffic")
    .panel(12, 8, tcp_connections(ZTUNNEL, "pod", "{{pod}}"))
    .panel(
        12,
        8,
        Panel::timeseries("Throughput by pod", "Bytes per second each ztunnel sent and received.", Unit::BytesPerSecond)
            .query(sum_rate("istio_tcp_sent_bytes_total", ZTUNNEL, "pod"), "sent {{pod}}")
            .query(sum_rate("istio_tcp_received_bytes_total", ZTUNNEL, "pod"), "received {{pod}}"),
    )
    .panel(
        12,
        8,
        Panel::timeseries(
            "Throughput by security",
            "Bytes per second over mutual TLS (HBONE) and in plain text, by connection security policy.",
            Unit::BytesPerSecond,
        )
        .query(sum_rate("istio_tcp_sent_bytes_total", ZTUNNEL, "connection_security_policy"), "{{connection_security_policy}}")
        .stacked(),
    )
    .panel(
        12,
        8,
        Panel::timeseries("Busiest destinations", "The ten services receiving the most bytes through ztunnel.", Unit::BytesPerSecond)
            .query(
                format!("topk(10, {})", sum_rate("istio_tcp_received_bytes_total", ZTUNNEL, "destination_service")),
                "{{destination_service}}",
            ),
    )
    .row("Workloads, xDS and DNS")
    .panel(
        12,
        8,
        Panel::timeseries("Workloads per ztunnel", "Workloads each ztunnel proxies for, and those still starting.", Unit::Number)
            .query(sum_gauge("workload_manager_active_proxy_count", ZTUNNEL, "pod"), "active {{pod}}")
            .query(sum_gauge("workload_manager_pending_proxy_count", ZTUNNEL, "pod"), "pending {{pod}}"),
    )
    .panel(
        12,
        8,
        Panel::timeseries("Open sockets", "Sockets each ztunnel holds open.", Unit::Number)
            .query(sum_gauge("istio_tcp_sockets_open", ZTUNNEL, "pod"), "{{pod}}"),
    )
    .panel(
        8,
        8,
        Panel::timeseries("xDS messages", "Configuration messages received from istiod per second, by resource type.", Unit::OpsPerSecond)
            .query(sum_rate("istio_xds_message_total", ZTUNNEL, "url"), "{{url}}"),
    )
    .panel(
        8,
        8,
        Panel::timeseries("xDS reconnects by pod", "Connections to istiod that ended, per second: frequent ones mean a flapping control plane link.", Unit::OpsPerSecond)
            .query(sum_rate("istio_xds_connection_terminations_total", ZTUNNEL, "pod"), "{{pod}}"),
    )
    .panel(
        8,
        8,
        Panel::timeseries("DNS requests", "DNS requests per second ztunnel answered for its workloads.", Unit::OpsPerSecond)
            .query(sum_rate("istio_dns_requests_total", ZTUNNEL, "pod"), "{{pod}}"),
    )
    .row("Resources")
    .panels(8, 8, cpu_and_memory("", "each ztunnel", CONTAINER, "pod", "{{pod}}"))
    .panel(
        8,
        8,
        Panel::timeseries("Open file descriptors", "File descriptors each ztunnel holds (sockets included).", Unit::Number)
            .query(sum_gauge("process_open_fds", ZTUNNEL, "pod"), "{{pod}}"),
    )
}

/// Pods, workloads, connections, throughput, DNS, xDS link.
fn glance() -> Vec<Panel> {
    vec![
        Panel::stat(
            "ztunnels",
            "ztunnel processes running (one per node).",
            Unit::Number,
        )
        .query(
            sum_gauge(
                "istio_build",
                &and(&[ZTUNNEL, r#"component="ztunnel""#]),
                "",
            ),
            "ztunnels",
        ),
        Panel::stat(
            "Workloads served",
            "Workloads the ztunnels proxy for.",
            Unit::Number,
        )
        .query(
            sum_gauge("workload_manager_active_proxy_count", ZTUNNEL, ""),
            "workloads",
        ),
        Panel::stat(
            "Pending workloads",
            "Workloads whose proxying has not started yet.",
            Unit::Number,
        )
        .query(
            sum_gauge("workload_manager_pending_proxy_count", ZTUNNEL, ""),
            "pending",
        )
        .thresholds(Thresholds::higher_is_worse(1.0, 10.0)),
        open_connections(ZTUNNEL),
        Panel::stat(
            "Throughput",
            "Bytes per second sent and received.",
            Unit::BytesPerSecond,
        )
        .query(
            format!(
                "sum({}) + sum({})",
                rate("istio_tcp_sent_bytes_total", ZTUNNEL),
                rate("istio_tcp_received_bytes_total", ZTUNNEL)
            ),
            "bytes",
        ),
        Panel::stat(
            "xDS reconnects",
            "Connections to istiod that ended, per second.",
            Unit::OpsPerSecond,
        )
        .query(
            sum_rate("istio_xds_connection_terminations_total", ZTUNNEL, ""),
            "reconnects",
        )
        .thresholds(Thresholds::higher_is_worse(0.01, 0.1)),
    ]
}
