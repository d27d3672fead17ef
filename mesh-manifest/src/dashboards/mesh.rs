//! The mesh overview: traffic health of the whole mesh, the busiest and least healthy workloads,
//! and which versions of the control and data planes are running.

use super::common::{open_connections, percentiles, red_stats, reporter};
use super::model::{Dashboard, Panel, Thresholds, Unit};
use super::query::{
    DURATION, IS_4XX, IS_5XX, and, latency, requests, success_ratio, sum_gauge, sum_rate,
};

/// Requests as seen by the chosen reporter.
const BY_REPORTER: &str = r#"reporter=~"$reporter""#;
/// One row per destination workload.
const WORKLOAD: &str = "destination_workload, destination_workload_namespace";

/// The mesh overview dashboard.
pub fn dashboard() -> Dashboard {
    Dashboard::new(
        "mesh-overview",
        "Mesh overview",
        "Health of all HTTP, gRPC and TCP traffic in the mesh, per destination workload, with the running Istio versions.",
    )
    .tag("overview")
    .variable(reporter())
    .row("Traffic at a glance")
    .line(4, glance())
    .row("Traffic over time")
    .panel(
        12,
        8,
        Panel::timeseries(
            "Requests by response class",
            "Requests per second across the mesh, split into successes, client errors and server errors.",
            Unit::RequestsPerSecond,
        )
        .query(requests(&and(&[BY_REPORTER, r#"response_code=~"[123].*""#]), ""), "1xx-3xx")
        .query(requests(&and(&[BY_REPORTER, IS_4XX]), ""), "4xx")
        .query(requests(&and(&[BY_REPORTER, IS_5XX]), ""), "5xx")
        .stacked(),
    )
    .panel(
        12,
        8,
        percentiles(
            "Request duration",
            "Median, 90th and 99th percentile of request durations across the mesh.",
            Unit::Milliseconds,
            DURATION,
            BY_REPORTER,
        ),
    )
    .panel(
        12,
        8,
        Panel::timeseries(
            "TCP throughput",
            "Bytes per second over TCP connections, sent and received by the destinations.",
            Unit::BytesPerSecond,
        )
        .query(sum_rate("istio_tcp_sent_bytes_total", BY_REPORTER, ""), "sent")
        .query(sum_rate("istio_tcp_received_bytes_total", BY_REPORTER, ""), "received"),
    )
    .panel(
        12,
        8,
        Panel::timeseries(
            "Unencrypted requests",
            "Requests per second that reached their server without mutual TLS, by destination service (as the servers report it, whatever the picker says): candidates for a STRICT PeerAuthentication.",
            Unit::RequestsPerSecond,
        )
        .query(
            requests(
                r#"reporter="destination", connection_security_policy!="mutual_tls""#,
                "destination_service",
            ),
            "{{destination_service}}",
        ),
    )
    .row("Workloads")
    .panel(24, 10, workload_table())
    .row("Versions")
    .panel(
        12,
        6,
        Panel::table(
            "Running versions",
            "How many control-plane and data-plane processes run each Istio version.",
            Unit::Number,
        )
        .query(sum_gauge("istio_build", "", "component, tag"), "Processes"),
    )
    .panel(
        12,
        6,
        Panel::timeseries(
            "Proxies connected to istiod",
            "xDS connections istiod serves, by xDS version.",
            Unit::Number,
        )
        .query(sum_gauge("pilot_xds", "", "version"), "{{version}}"),
    )
}

/// The stat line: rate, success, latency, server errors, TCP.
fn glance() -> Vec<Panel> {
    let mut stats = red_stats(BY_REPORTER);
    stats.push(
        Panel::stat("5xx", "Server errors per second.", Unit::RequestsPerSecond)
            .query(requests(&and(&[BY_REPORTER, IS_5XX]), ""), "5xx")
            .thresholds(Thresholds::higher_is_worse(0.1, 1.0)),
    );
    stats.push(open_connections(BY_REPORTER));
    stats
}

/// One row per destination workload with its rate, success ratio and latency.
fn workload_table() -> Panel {
    Panel::table(
        "Destination workloads",
        "Every workload receiving HTTP or gRPC requests, with its request rate, success ratio and 90th/99th percentile duration.",
        Unit::RequestsPerSecond,
    )
    .column(requests(BY_REPORTER, WORKLOAD), "Requests", Unit::RequestsPerSecond)
    .column(success_ratio(BY_REPORTER, WORKLOAD), "Success", Unit::Ratio)
    .column(latency(0.9, BY_REPORTER, WORKLOAD), "p90", Unit::Milliseconds)
    .column(latency(0.99, BY_REPORTER, WORKLOAD), "p99", Unit::Milliseconds)
    .column(
        sum_rate("istio_tcp_received_bytes_total", BY_REPORTER, WORKLOAD),
        "TCP in",
        Unit::BytesPerSecond,
    )
}
