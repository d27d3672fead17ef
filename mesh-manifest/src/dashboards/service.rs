//! The service view: the RED signals (rate, errors, duration) of one service, who calls it, which
//! workloads serve it, what it carries, and its TCP traffic.

use super::common::{
    grpc_statuses, percentiles, red_stats, reporter, response_codes, response_flags,
    tcp_connections,
};
use super::model::{Dashboard, Panel, Thresholds, Unit, Variable};
use super::query::{NOT_5XX, and, latency, ratio, requests, success_ratio, sum_rate};

/// Size panels' description.
const SIZE: &str = "Median, 90th and 99th percentile, in bytes.";
/// The chosen service, as the chosen reporter saw it.
const SERVICE: &str = r#"destination_service="$service", reporter=~"$reporter""#;
/// The chosen service, as its servers saw it (only they know whether mutual TLS was used).
const SERVED: &str = r#"destination_service="$service", reporter="destination""#;
/// Callers, one series each.
const CALLER: &str = "source_workload, source_workload_namespace";
/// Caller legend.
const CALLER_LEGEND: &str = "{{source_workload}}.{{source_workload_namespace}}";
/// Serving workloads, one series each.
const SERVER: &str = "destination_workload, destination_workload_namespace";
/// Serving workload legend.
const SERVER_LEGEND: &str = "{{destination_workload}}.{{destination_workload_namespace}}";

/// The service dashboard.
pub fn dashboard() -> Dashboard {
    Dashboard::new(
        "mesh-service",
        "Service",
        "Requests, errors and durations of one service, split by the workloads calling it and the workloads serving it.",
    )
    .tag("service")
    .variable(reporter())
    .variable(Variable::label_values(
        "service",
        "Service",
        r#"istio_requests_total{reporter=~"$reporter"}"#,
        "destination_service",
        false,
    ))
    .row("Service health")
    .line(4, health())
    .row("Callers")
    .panel(
        12,
        8,
        Panel::timeseries("Requests by caller", "Requests per second from each calling workload.", Unit::RequestsPerSecond)
            .query(requests(SERVICE, CALLER), CALLER_LEGEND)
            .stacked(),
    )
    .panel(
        12,
        8,
        Panel::timeseries("Success ratio by caller", "Share of each caller's requests that did not end in a 5xx response.", Unit::Ratio)
            .query(success_ratio(SERVICE, CALLER), CALLER_LEGEND)
            .min(0.0),
    )
    .panel(24, 8, callers_table())
    .row("Serving workloads")
    .panel(
        12,
        8,
        Panel::timeseries("Requests by serving workload", "How the service's requests spread over the workloads behind it.", Unit::RequestsPerSecond)
            .query(requests(SERVICE, SERVER), SERVER_LEGEND)
            .stacked(),
    )
    .panel(
        12,
        8,
        Panel::timeseries("p99 duration by serving workload", "99th percentile of request durations per serving workload.", Unit::Milliseconds)
            .query(latency(0.99, SERVICE, SERVER), SERVER_LEGEND),
    )
    .panel(8, 8, response_codes(SERVICE))
    .panel(8, 8, response_flags(SERVICE))
    .panel(8, 8, grpc_statuses("gRPC statuses", SERVICE, "", ""))
    .row("Payload sizes")
    .panel(12, 8, percentiles("Request size", SIZE, Unit::Bytes, "istio_request_bytes_bucket", SERVICE))
    .panel(12, 8, percentiles("Response size", SIZE, Unit::Bytes, "istio_response_bytes_bucket", SERVICE))
    .row("TCP")
    .panel(
        12,
        8,
        Panel::timeseries("TCP bytes by caller", "Bytes per second the service received from (in) and sent to (out) each caller over TCP.", Unit::BytesPerSecond)
            .query(sum_rate("istio_tcp_received_bytes_total", SERVICE, CALLER), &format!("in {CALLER_LEGEND}"))
            .query(sum_rate("istio_tcp_sent_bytes_total", SERVICE, CALLER), &format!("out {CALLER_LEGEND}")),
    )
    .panel(12, 8, tcp_connections(SERVICE, "", ""))
}

/// The stat line of the service: RED, mutual TLS share and TCP.
fn health() -> Vec<Panel> {
    let mut stats = red_stats(SERVICE);
    stats.push(
        Panel::stat(
            "Mutual TLS",
            "Share of requests that reached the service over mutual TLS, as its servers report it.",
            Unit::Ratio,
        )
        .query(
            ratio(
                &requests(
                    &and(&[SERVED, r#"connection_security_policy="mutual_tls""#]),
                    "",
                ),
                &requests(SERVED, ""),
            ),
            "mTLS",
        )
        .thresholds(Thresholds::lower_is_worse(0.5, 1.0)),
    );
    stats.push(
        Panel::stat(
            "TCP in",
            "Bytes per second the service received over TCP.",
            Unit::BytesPerSecond,
        )
        .query(
            sum_rate("istio_tcp_received_bytes_total", SERVICE, ""),
            "in",
        ),
    );
    stats
}

/// One row per caller.
fn callers_table() -> Panel {
    Panel::table(
        "Caller summary",
        "Every workload calling the service, with its request rate, errors and durations.",
        Unit::RequestsPerSecond,
    )
    .column(
        requests(SERVICE, CALLER),
        "Requests",
        Unit::RequestsPerSecond,
    )
    .column(
        requests(&and(&[SERVICE, NOT_5XX]), CALLER),
        "Non-5xx",
        Unit::RequestsPerSecond,
    )
    .column(success_ratio(SERVICE, CALLER), "Success", Unit::Ratio)
    .column(latency(0.5, SERVICE, CALLER), "p50", Unit::Milliseconds)
    .column(latency(0.99, SERVICE, CALLER), "p99", Unit::Milliseconds)
}
