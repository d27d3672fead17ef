//! Pickers and panels several dashboards share: the reporter choice, the RED stat line, size
//! percentiles, TCP connections and container resources.

use super::model::{Panel, Thresholds, Unit, Variable};
use super::query::{and, latency, quantile, requests, success_ratio, sum_gauge, sum_rate};

/// The picker between the server's and the client's view of a request.
pub fn reporter() -> Variable {
    Variable::custom(
        "reporter",
        "Measured at",
        &[
            ("server side", "destination"),
            ("client side", "source|waypoint"),
        ],
    )
}

/// Requests per second, success ratio, median and p99 duration of the requests `matchers` select.
pub fn red_stats(matchers: &str) -> Vec<Panel> {
    vec![
        Panel::stat("Requests", "Requests per second.", Unit::RequestsPerSecond)
            .query(requests(matchers, ""), "requests"),
        success_stat(
            "Success ratio",
            "Share of requests that did not end in a 5xx response.",
            matchers,
        ),
        Panel::stat(
            "p50 duration",
            "Median request duration.",
            Unit::Milliseconds,
        )
        .query(latency(0.5, matchers, ""), "p50"),
        Panel::stat(
            "p99 duration",
            "99th percentile of request durations.",
            Unit::Milliseconds,
        )
        .query(latency(0.99, matchers, ""), "p99")
        .thresholds(Thresholds::higher_is_worse(250.0, 1000.0)),
    ]
}

/// The share of the requests `matchers` select that did not end in a 5xx, red below 95 %.
pub fn success_stat(title: &str, description: &str, matchers: &str) -> Panel {
    Panel::stat(title, description, Unit::Ratio)
        .query(success_ratio(matchers, ""), "success")
        .thresholds(Thresholds::lower_is_worse(0.95, 0.99))
}

/// Median, p90 and p99 of a histogram's buckets (`istio_request_bytes_bucket`) over `matchers`.
pub fn percentiles(
    title: &str,
    description: &str,
    unit: Unit,
    bucket: &str,
    matchers: &str,
) -> Panel {
    [(0.5, "p50"), (0.9, "p90"), (0.99, "p99")]
        .into_iter()
        .fold(
            Panel::timeseries(title, description, unit),
            |panel, (q, legend)| panel.query(quantile(q, bucket, matchers, ""), legend),
        )
}

/// Connections opened minus connections closed, as counted by the reporters `matchers` select.
pub fn open_connections(matchers: &str) -> Panel {
    Panel::stat(
        "Open TCP connections",
        "Connections opened minus connections closed.",
        Unit::Number,
    )
    .query(
        format!(
            "{} - {}",
            sum_gauge("istio_tcp_connections_opened_total", matchers, ""),
            sum_gauge("istio_tcp_connections_closed_total", matchers, "")
        ),
        "open",
    )
}

/// TCP connections opened and closed per second, by `labels` (legend prefix + `legend`).
pub fn tcp_connections(matchers: &str, labels: &str, legend: &str) -> Panel {
    Panel::timeseries(
        "TCP connections",
        "Connections opened and closed per second.",
        Unit::OpsPerSecond,
    )
    .query(
        sum_rate("istio_tcp_connections_opened_total", matchers, labels),
        format!("opened {legend}").trim_end(),
    )
    .query(
        sum_rate("istio_tcp_connections_closed_total", matchers, labels),
        format!("closed {legend}").trim_end(),
    )
}

/// CPU cores and working-set memory (from cAdvisor) of the containers `matchers` select, per
/// `labels`. `subject` starts the titles (`Sidecar` gives `Sidecar CPU`); `of` ends the
/// descriptions (`the istio-proxy containers`).
pub fn cpu_and_memory(
    subject: &str,
    of: &str,
    matchers: &str,
    labels: &str,
    legend: &str,
) -> [Panel; 2] {
    let (cpu, memory) = if subject.is_empty() {
        ("CPU".to_string(), "Memory".to_string())
    } else {
        (format!("{subject} CPU"), format!("{subject} memory"))
    };
    [
        Panel::timeseries(&cpu, &format!("CPU cores used by {of}."), Unit::Number).query(
            sum_rate("container_cpu_usage_seconds_total", matchers, labels),
            legend,
        ),
        Panel::timeseries(
            &memory,
            &format!("Working-set memory of {of}."),
            Unit::Bytes,
        )
        .query(
            sum_gauge("container_memory_working_set_bytes", matchers, labels),
            legend,
        ),
    ]
    .map(|panel| panel.min(0.0))
}

/// Requests per second by HTTP response code.
pub fn response_codes(matchers: &str) -> Panel {
    Panel::timeseries(
        "Response codes",
        "Requests per second by HTTP response code.",
        Unit::RequestsPerSecond,
    )
    .query(requests(matchers, "response_code"), "{{response_code}}")
    .stacked()
}

/// Requests the proxy failed or cut short, by Envoy response flag.
pub fn response_flags(matchers: &str) -> Panel {
    Panel::timeseries(
        "Proxy response flags",
        "Requests the proxy itself failed or cut short, by Envoy response flag (UH: no healthy upstream, UF: upstream connection failure, URX: retries exhausted, NR: no route, ...).",
        Unit::RequestsPerSecond,
    )
    .query(
        requests(&and(&[matchers, r#"response_flags!="-""#]), "response_flags"),
        "{{response_flags}}",
    )
}

/// gRPC requests per second by gRPC status, per `labels`.
pub fn grpc_statuses(title: &str, matchers: &str, labels: &str, legend: &str) -> Panel {
    let by = and(&["grpc_response_status", labels]);
    Panel::timeseries(
        title,
        "gRPC requests per second by gRPC status code (0 is OK).",
        Unit::RequestsPerSecond,
    )
    .query(
        requests(&and(&[matchers, r#"request_protocol="grpc""#]), &by),
        format!("{{{{grpc_response_status}}}} {legend}").trim_end(),
    )
}
