//! The performance view: what the mesh costs in CPU and memory (sidecars, gateways, istio-agent,
//! istiod), in total and per unit of work.

use super::common::cpu_and_memory;
use super::model::{Dashboard, Panel, Unit};
use super::query::{ratio, requests, select, sum_gauge, sum_rate};

/// Every sidecar and gateway proxy container.
const PROXIES: &str = r#"container="istio-proxy""#;
/// Gateway proxy containers.
const GATEWAYS: &str = r#"container="istio-proxy", pod=~"istio-(ingress|egress)gateway-.*""#;
/// istiod's discovery containers.
const ISTIOD: &str = r#"container="discovery", pod=~"istiod-.*""#;
/// Requests counted once, on the server side.
const SERVED: &str = r#"reporter="destination""#;
/// CPU seconds of containers.
const CPU: &str = "container_cpu_usage_seconds_total";
/// Working-set memory of containers.
const MEMORY: &str = "container_memory_working_set_bytes";

/// The performance dashboard.
pub fn dashboard() -> Dashboard {
    Dashboard::new(
        "mesh-performance",
        "Mesh performance",
        "The resource cost of the mesh: proxy and istiod CPU and memory, in total and per request or per connected proxy.",
    )
    .tag("performance")
    .row("At a glance")
    .line(4, glance())
    .row("Data plane")
    .panel(
        12,
        8,
        Panel::timeseries(
            "Proxy CPU per 1000 requests/s",
            "CPU cores all proxies use for every 1000 requests per second the mesh serves.",
            Unit::Number,
        )
        .query(ratio(&sum_rate(CPU, PROXIES, ""), &format!("{} / 1000", requests(SERVED, ""))), "cores per 1000 req/s"),
    )
    .panel(
        12,
        8,
        Panel::timeseries("Proxy bytes per second", "Request and response bytes per second through the proxies, counted on the server side.", Unit::BytesPerSecond)
            .query(sum_rate("istio_request_bytes_sum", SERVED, ""), "requests")
            .query(sum_rate("istio_response_bytes_sum", SERVED, ""), "responses")
            .stacked(),
    )
    .panels(12, 8, cpu_and_memory("Proxy", "the istio-proxy containers, per namespace", PROXIES, "namespace", "{{namespace}}"))
    .row("Gateways")
    .panels(12, 8, cpu_and_memory("Gateway", "each ingress and egress gateway pod", GATEWAYS, "pod", "{{pod}}"))
    .row("istio-agent")
    .panel(
        8,
        8,
        Panel::timeseries("Agent CPU", "CPU cores all istio-agent processes (next to each Envoy) use.", Unit::Number)
            .query(sum_rate("istio_agent_process_cpu_seconds_total", "", ""), "agents"),
    )
    .panel(
        8,
        8,
        Panel::timeseries("Agent memory", "Resident memory of all istio-agent processes, and of the largest one.", Unit::Bytes)
            .query(sum_gauge("istio_agent_process_resident_memory_bytes", "", ""), "total")
            .query(format!("max({})", select("istio_agent_process_resident_memory_bytes", "")), "largest"),
    )
    .panel(
        8,
        8,
        Panel::timeseries("Slowest proxy starts", "The ten longest times from agent start to a ready proxy.", Unit::Seconds)
            .query(format!("topk(10, {})", sum_gauge("istio_agent_startup_duration_seconds", "", "namespace, pod")), "{{pod}}.{{namespace}}"),
    )
    .row("istiod")
    .panel(
        6,
        8,
        Panel::timeseries("istiod CPU per 1000 proxies", "CPU cores istiod uses for every 1000 connected proxies.", Unit::Number)
            .query(ratio(&sum_rate(CPU, ISTIOD, ""), &per_thousand_proxies()), "cores"),
    )
    .panel(
        6,
        8,
        Panel::timeseries("istiod memory per 1000 proxies", "Working-set memory istiod uses for every 1000 connected proxies.", Unit::Bytes)
            .query(ratio(&sum_gauge(MEMORY, ISTIOD, ""), &per_thousand_proxies()), "memory"),
    )
    .panel(
        12,
        8,
        Panel::timeseries("istiod process memory", "Resident and virtual memory of each istiod process.", Unit::Bytes)
            .query(sum_gauge("process_resident_memory_bytes", r#"app="istiod""#, "pod"), "resident {{pod}}")
            .query(sum_gauge("process_virtual_memory_bytes", r#"app="istiod""#, "pod"), "virtual {{pod}}"),
    )
}

/// Connected proxies, in thousands.
fn per_thousand_proxies() -> String {
    format!("{} / 1000", sum_gauge("pilot_xds", "", ""))
}

/// Totals and per-unit costs.
fn glance() -> Vec<Panel> {
    vec![
        Panel::stat(
            "Proxies",
            "istio-proxy containers running (sidecars and gateways).",
            Unit::Number,
        )
        .query(format!("count({})", select(MEMORY, PROXIES)), "proxies"),
        Panel::stat(
            "Total proxy CPU",
            "CPU cores all proxies use.",
            Unit::Number,
        )
        .query(sum_rate(CPU, PROXIES, ""), "cores"),
        Panel::stat(
            "Total proxy memory",
            "Working-set memory of all proxies.",
            Unit::Bytes,
        )
        .query(sum_gauge(MEMORY, PROXIES, ""), "memory"),
        Panel::stat(
            "Memory per proxy",
            "Average working-set memory of one proxy.",
            Unit::Bytes,
        )
        .query(format!("avg({})", select(MEMORY, PROXIES)), "average"),
        Panel::stat("istiod CPU", "CPU cores of all istiod pods.", Unit::Number)
            .query(sum_rate(CPU, ISTIOD, ""), "cores"),
        Panel::stat(
            "Requests served",
            "Requests per second the mesh serves.",
            Unit::RequestsPerSecond,
        )
        .query(requests(SERVED, ""), "requests"),
    ]
}
