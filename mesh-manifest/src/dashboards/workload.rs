//! The workload view: what one workload serves (inbound) and what it calls (outbound), its TCP
//! traffic, and what its sidecars cost.

use super::common::{
    cpu_and_memory, grpc_statuses, percentiles, red_stats, reporter, response_codes,
    response_flags, success_stat, tcp_connections,
};
use super::model::{Dashboard, Panel, Unit, Variable};
use super::query::{DURATION, and, latency, pods_of, requests, success_ratio, sum_rate};

/// Requests the chosen workload served.
const INBOUND: &str = r#"destination_workload_namespace="$namespace", destination_workload="$workload", reporter=~"$reporter""#;
/// Requests the chosen workload made.
const OUTBOUND: &str =
    r#"source_workload_namespace="$namespace", source_workload="$workload", reporter=~"$reporter""#;
/// Callers, one series each.
const CALLER: &str = "source_workload, source_workload_namespace";
/// Caller legend.
const CALLER_LEGEND: &str = "{{source_workload}}.{{source_workload_namespace}}";
/// Called services, one series each.
const CALLEE: &str = "destination_service";
/// Called service legend.
const CALLEE_LEGEND: &str = "{{destination_service}}";

/// Size panels' description.
const SIZE: &str = "Median, 90th and 99th percentile, in bytes.";
/// The workload dashboard.
pub fn dashboard() -> Dashboard {
    Dashboard::new(
        "mesh-workload",
        "Workload",
        "One workload's inbound and outbound requests, TCP traffic and sidecar resources.",
    )
    .tag("workload")
    .variable(reporter())
    .variables(pickers())
    .row("At a glance")
    .line(4, glance())
    .row("Inbound: requests this workload serves")
    .panel(
        12,
        8,
        Panel::timeseries(
            "Requests by caller",
            "Requests per second from each calling workload.",
            Unit::RequestsPerSecond,
        )
        .query(requests(INBOUND, CALLER), CALLER_LEGEND)
        .stacked(),
    )
    .panel(
        12,
        8,
        percentiles(
            "Inbound duration",
            "Median, 90th and 99th percentile of the durations of served requests.",
            Unit::Milliseconds,
            DURATION,
            INBOUND,
        ),
    )
    .panel(8, 8, response_codes(INBOUND))
    .panel(8, 8, response_flags(INBOUND))
    .panel(8, 8, grpc_statuses("gRPC statuses", INBOUND, "", ""))
    .panel(
        12,
        8,
        percentiles(
            "Request size",
            SIZE,
            Unit::Bytes,
            "istio_request_bytes_bucket",
            INBOUND,
        ),
    )
    .panel(
        12,
        8,
        percentiles(
            "Response size",
            SIZE,
            Unit::Bytes,
            "istio_response_bytes_bucket",
            INBOUND,
        ),
    )
    .row("Outbound: requests this workload makes")
    .panel(
        12,
        8,
        Panel::timeseries(
            "Requests by called service",
            "Requests per second to each service this workload calls.",
            Unit::RequestsPerSecond,
        )
        .query(requests(OUTBOUND, CALLEE), CALLEE_LEGEND)
        .stacked(),
    )
    .panel(
        12,
        8,
        Panel::timeseries(
            "Success ratio by called service",
            "Share of the requests to each service that did not end in a 5xx response.",
            Unit::Ratio,
        )
        .query(success_ratio(OUTBOUND, CALLEE), CALLEE_LEGEND)
        .min(0.0),
    )
    .panel(
        12,
        8,
        Panel::timeseries(
            "p99 duration by called service",
            "99th percentile of the durations of requests to each service.",
            Unit::Milliseconds,
        )
        .query(latency(0.99, OUTBOUND, CALLEE), CALLEE_LEGEND),
    )
    .panel(
        12,
        8,
        grpc_statuses(
            "gRPC statuses by called service",
            OUTBOUND,
            CALLEE,
            CALLEE_LEGEND,
        ),
    )
    .row("TCP")
    .panel(
        8,
        8,
        Panel::timeseries(
            "Inbound TCP bytes",
            "Bytes per second received from and sent back to each caller.",
            Unit::BytesPerSecond,
        )
        .query(
            sum_rate("istio_tcp_received_bytes_total", INBOUND, CALLER),
            &format!("in {CALLER_LEGEND}"),
        )
        .query(
            sum_rate("istio_tcp_sent_bytes_total", INBOUND, CALLER),
            &format!("out {CALLER_LEGEND}"),
        ),
    )
    .panel(
        8,
        8,
        Panel::timeseries(
            "Outbound TCP bytes",
            "Bytes per second sent to and received from each called service.",
            Unit::BytesPerSecond,
        )
        .query(
            sum_rate("istio_tcp_sent_bytes_total", OUTBOUND, CALLEE),
            &format!("out {CALLEE_LEGEND}"),
        )
        .query(
            sum_rate("istio_tcp_received_bytes_total", OUTBOUND, CALLEE),
            &format!("in {CALLEE_LEGEND}"),
        ),
    )
    .panel(8, 8, tcp_connections(INBOUND, "", ""))
    .row("Sidecar resources")
    .panels(
        12,
        8,
        cpu_and_memory(
            "Sidecar",
            "the istio-proxy container of each of the workload's pods",
            &sidecars(),
            "pod",
            "{{pod}}",
        ),
    )
}

/// The namespace picker, then the picker of a workload in that namespace.
pub(crate) fn pickers() -> [Variable; 2] {
    [
        Variable::label_values(
            "namespace",
            "Namespace",
            "istio_requests_total",
            "destination_workload_namespace",
            false,
        ),
        Variable::label_values(
            "workload",
            "Workload",
            r#"istio_requests_total{destination_workload_namespace="$namespace"}"#,
            "destination_workload",
            false,
        ),
    ]
}

/// The istio-proxy containers of the workload's pods.
fn sidecars() -> String {
    and(&[
        r#"namespace="$namespace", container="istio-proxy""#,
        &pods_of("workload"),
    ])
}

/// Inbound RED, then outbound rate and success.
fn glance() -> Vec<Panel> {
    let mut stats = red_stats(INBOUND);
    stats.push(
        Panel::stat(
            "Outbound requests",
            "Requests per second this workload makes.",
            Unit::RequestsPerSecond,
        )
        .query(requests(OUTBOUND, ""), "outbound"),
    );
    stats.push(success_stat(
        "Outbound success",
        "Share of this workload's own requests that did not end in a 5xx response.",
        OUTBOUND,
    ));
    stats
}
