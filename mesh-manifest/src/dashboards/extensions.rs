//! The extensions view: Wasm plugins in the proxies (runtimes, module downloads and caches in
//! Envoy and in istio-agent, rejected extension configs) and what the proxies cost meanwhile.

use super::common::cpu_and_memory;
use super::model::{Dashboard, Panel, Thresholds, Unit};
use super::query::{quantile, sum_gauge, sum_rate};

/// Extension configs (Wasm plugins) istiod pushes: the type of their rejects, as a full type URL
/// (as Istio's Wasm guide names it) or the short `ecds`.
const EXTENSION_CONFIG: &str = r#"type=~".*TypedExtensionConfig|ecds""#;
/// Every proxy container.
const PROXIES: &str = r#"container="istio-proxy""#;

/// The extensions dashboard.
pub fn dashboard() -> Dashboard {
    Dashboard::new(
        "mesh-extensions",
        "Extensions",
        "Wasm plugins in the proxies: virtual machines, module downloads and caches, rejected plugin configs, and the proxies' CPU and memory.",
    )
    .tag("wasm")
    .row("At a glance")
    .line(4, glance())
    .row("Wasm virtual machines")
    .panel(
        12,
        8,
        Panel::timeseries("Active VMs", "Wasm virtual machines running in all proxies, by runtime.", Unit::Number)
            .query(sum_gauge("envoy_wasm_envoy_wasm_runtime_v8_active", "", ""), "V8")
            .query(sum_gauge("envoy_wasm_envoy_wasm_runtime_null_active", "", ""), "null (built in)"),
    )
    .panel(
        12,
        8,
        Panel::timeseries("VMs created", "Wasm virtual machines created per second, by runtime: a steady rate means plugins keep restarting.", Unit::OpsPerSecond)
            .query(sum_rate("envoy_wasm_envoy_wasm_runtime_v8_created", "", ""), "V8")
            .query(sum_rate("envoy_wasm_envoy_wasm_runtime_null_created", "", ""), "null (built in)"),
    )
    .row("Module downloads in Envoy")
    .panel(
        8,
        8,
        Panel::timeseries("Remote module cache", "Lookups of remote Wasm modules in Envoy's cache per second.", Unit::OpsPerSecond)
            .query(sum_rate("envoy_wasm_remote_load_cache_hits", "", ""), "hits")
            .query(sum_rate("envoy_wasm_remote_load_cache_misses", "", ""), "misses")
            .query(sum_rate("envoy_wasm_remote_load_cache_negative_hits", "", ""), "known failures")
            .stacked(),
    )
    .panel(
        8,
        8,
        Panel::timeseries("Remote module fetches", "Downloads of remote Wasm modules by Envoy per second.", Unit::OpsPerSecond)
            .query(sum_rate("envoy_wasm_remote_load_fetch_successes", "", ""), "succeeded")
            .query(sum_rate("envoy_wasm_remote_load_fetch_failures", "", ""), "failed"),
    )
    .panel(
        8,
        8,
        Panel::timeseries("Modules in caches", "Remote Wasm modules held in the caches of Envoy and of istio-agent.", Unit::Number)
            .query(sum_gauge("envoy_wasm_remote_load_cache_entries", "", ""), "Envoy")
            .query(sum_gauge("istio_agent_wasm_cache_entries", "", ""), "istio-agent"),
    )
    .row("Module downloads in istio-agent")
    .panel(
        8,
        8,
        Panel::timeseries("Agent cache lookups", "istio-agent's lookups of Wasm modules in its cache per second.", Unit::OpsPerSecond)
            .query(sum_rate("istio_agent_wasm_cache_lookup_count", "", ""), "lookups"),
    )
    .panel(
        8,
        8,
        Panel::timeseries("Agent module fetches", "Wasm modules istio-agent downloaded (OCI or HTTP) per second.", Unit::OpsPerSecond)
            .query(sum_rate("istio_agent_wasm_remote_fetch_count", "", ""), "fetches"),
    )
    .panel(
        8,
        8,
        Panel::timeseries("Config conversion time", "Time istio-agent takes to turn a remote Wasm plugin config into a local one: median and 99th percentile.", Unit::Milliseconds)
            .query(quantile(0.5, "istio_agent_wasm_config_conversion_duration_bucket", "", ""), "p50")
            .query(quantile(0.99, "istio_agent_wasm_config_conversion_duration_bucket", "", ""), "p99"),
    )
    .row("Proxy cost")
    .panels(12, 8, cpu_and_memory("Proxy", "all istio-proxy containers (watch them when rolling out a plugin)", PROXIES, "", "proxies"))
}

/// VMs, cache, fetch failures, rejects.
fn glance() -> Vec<Panel> {
    vec![
        Panel::stat(
            "V8 VMs",
            "Wasm virtual machines running on the V8 runtime.",
            Unit::Number,
        )
        .query(
            sum_gauge("envoy_wasm_envoy_wasm_runtime_v8_active", "", ""),
            "V8",
        ),
        Panel::stat(
            "Built-in VMs",
            "Extensions compiled into the proxy (null runtime).",
            Unit::Number,
        )
        .query(
            sum_gauge("envoy_wasm_envoy_wasm_runtime_null_active", "", ""),
            "null",
        ),
        Panel::stat(
            "Cached modules",
            "Remote Wasm modules in Envoy's caches.",
            Unit::Number,
        )
        .query(
            sum_gauge("envoy_wasm_remote_load_cache_entries", "", ""),
            "modules",
        ),
        Panel::stat(
            "Fetch failures",
            "Failed remote module downloads per second.",
            Unit::OpsPerSecond,
        )
        .query(
            sum_rate("envoy_wasm_remote_load_fetch_failures", "", ""),
            "failures",
        )
        .thresholds(Thresholds::red_from(0.001)),
        Panel::stat(
            "Rejected plugin configs",
            "Extension configs proxies rejected (a module that failed to download or load).",
            Unit::Number,
        )
        .query(
            sum_gauge("pilot_total_xds_rejects", EXTENSION_CONFIG, ""),
            "rejects",
        )
        .thresholds(Thresholds::red_from(1.0)),
        Panel::stat(
            "Total proxy CPU",
            "CPU cores of all istio-proxy containers.",
            Unit::Number,
        )
        .query(
            sum_rate("container_cpu_usage_seconds_total", PROXIES, ""),
            "cores",
        ),
    ]
}
