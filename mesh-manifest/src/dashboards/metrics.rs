//! The allow-list of metric names the dashboards may query, grouped by who exports them.
//!
//! A query that names a metric outside this list fails the dashboards' checks: a typo or a metric
//! Istio does not export would otherwise show up as an empty panel in a running Grafana.

/// Metric names from one exporter and one source of truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricGroup {
    /// Who exports the metrics and where the names are documented.
    pub source: &'static str,
    /// Whether Istio 1.30.3's own dashboards query every name in this group. The test of the
    /// list against those dashboards checks this claim (and that no metric they query is missing).
    pub in_istio_dashboards: bool,
    /// The metric names, as Prometheus stores them (histograms as `_bucket`/`_sum`/`_count`).
    pub names: &'static [&'static str],
}

/// Every metric the dashboards may query.
pub const METRICS: &[MetricGroup] = &[
    // Istio's standard metrics, reported by sidecars, gateways and waypoints (HTTP/gRPC and TCP)
    // and by ztunnel (TCP); names from Istio's "Istio Standard Metrics" reference page.
    MetricGroup {
        source: "Istio standard metrics (Envoy-based proxies and ztunnel)",
        in_istio_dashboards: true,
        names: &[
            "istio_build",
            "istio_requests_total",
            "istio_request_duration_milliseconds_bucket",
            "istio_request_duration_seconds_bucket",
            "istio_request_bytes_bucket",
            "istio_request_bytes_sum",
            "istio_response_bytes_bucket",
            "istio_response_bytes_sum",
            "istio_tcp_sent_bytes_total",
            "istio_tcp_received_bytes_total",
            "istio_tcp_connections_opened_total",
            "istio_tcp_connections_closed_total",
        ],
    },
    // The same histograms' other series, listed by the standard-metrics reference and by the
    // canonical metric list of Istio's telemetry integration test (tests/integration/telemetry).
    MetricGroup {
        source: "Istio standard metrics, histogram sums and counts",
        in_istio_dashboards: false,
        names: &[
            "istio_request_duration_milliseconds_sum",
            "istio_request_duration_milliseconds_count",
            "istio_request_bytes_count",
            "istio_response_bytes_count",
        ],
    },
    // istiod's own metrics, from its /metrics endpoint (pilot, the validation and injection
    // webhooks).
    MetricGroup {
        source: "istiod: xDS, configuration events, webhooks",
        in_istio_dashboards: true,
        names: &[
            "pilot_xds",
            "pilot_xds_pushes",
            "pilot_push_triggers",
            "pilot_k8s_cfg_events",
            "pilot_k8s_reg_events",
            "pilot_total_xds_rejects",
            "pilot_total_xds_internal_errors",
            "pilot_xds_push_time_bucket",
            "pilot_xds_config_size_bytes_bucket",
            "galley_validation_passed",
            "galley_validation_failed",
            "sidecar_injection_success_total",
            "sidecar_injection_failure_total",
        ],
    },
    // More of istiod's metrics, from Istio's control-plane metric reference and the canonical
    // metric list of its telemetry integration test; the citadel_* ones come from istiod's CA.
    MetricGroup {
        source: "istiod: convergence, conflicts, mesh config counts, CA",
        in_istio_dashboards: false,
        names: &[
            "pilot_proxy_convergence_time_bucket",
            "pilot_proxy_convergence_time_sum",
            "pilot_proxy_convergence_time_count",
            "pilot_proxy_queue_time_bucket",
            "pilot_xds_send_time_bucket",
            "pilot_xds_expired_nonce",
            "pilot_conflict_inbound_listener",
            "pilot_conflict_outbound_listener_http_over_current_tcp",
            "pilot_conflict_outbound_listener_tcp_over_current_http",
            "pilot_conflict_outbound_listener_tcp_over_current_tcp",
            "pilot_virt_services",
            "pilot_destrule_subsets",
            "pilot_eds_no_instances",
            "pilot_endpoint_not_ready",
            "pilot_no_ip",
            "pilot_duplicate_envoy_clusters",
            "pilot_vservice_dup_domain",
            "citadel_server_csr_count",
            "citadel_server_success_cert_issuance_count",
            "citadel_server_csr_parsing_err_count",
            "citadel_server_root_cert_expiry_timestamp",
        ],
    },
    // The Go runtime and process collectors of the Prometheus client, in istiod and ztunnel.
    MetricGroup {
        source: "Go runtime and process collectors (istiod, ztunnel)",
        in_istio_dashboards: true,
        names: &[
            "go_goroutines",
            "go_memstats_alloc_bytes",
            "go_memstats_alloc_bytes_total",
            "go_memstats_heap_alloc_bytes",
            "go_memstats_heap_inuse_bytes",
            "go_memstats_heap_sys_bytes",
            "go_memstats_mallocs_total",
            "go_memstats_stack_inuse_bytes",
            "process_cpu_seconds_total",
            "process_open_fds",
            "process_resident_memory_bytes",
            "process_virtual_memory_bytes",
        ],
    },
    // pilot-agent, next to Envoy in every sidecar and gateway, prefixes its metrics with
    // istio_agent_; names from the canonical list of Istio's telemetry integration test and, for
    // the Wasm ones, Istio's Wasm module distribution guide.
    MetricGroup {
        source: "istio-agent (pilot-agent in sidecars and gateways)",
        in_istio_dashboards: false,
        names: &[
            "istio_agent_process_cpu_seconds_total",
            "istio_agent_process_resident_memory_bytes",
            "istio_agent_go_goroutines",
            "istio_agent_num_outgoing_requests",
            "istio_agent_scrapes_total",
            "istio_agent_startup_duration_seconds",
            "istio_agent_istiod_connection_terminations",
            "istio_agent_wasm_cache_entries",
            "istio_agent_wasm_cache_lookup_count",
            "istio_agent_wasm_remote_fetch_count",
            "istio_agent_wasm_config_conversion_duration_bucket",
        ],
    },
    // ztunnel's own metrics (its /stats/prometheus endpoint), besides the standard TCP ones.
    MetricGroup {
        source: "ztunnel: DNS, xDS, workload manager, sockets",
        in_istio_dashboards: true,
        names: &[
            "istio_dns_requests_total",
            "istio_tcp_sockets_open",
            "istio_xds_connection_terminations_total",
            "istio_xds_message_total",
            "workload_manager_active_proxy_count",
            "workload_manager_pending_proxy_count",
        ],
    },
    // Envoy's statistics, as the sidecar's merged Prometheus endpoint exports them (envoy_ prefix).
    MetricGroup {
        source: "Envoy statistics (xDS connection, Wasm runtimes and remote load cache)",
        in_istio_dashboards: true,
        names: &[
            "envoy_cluster_upstream_cx_active",
            "envoy_wasm_envoy_wasm_runtime_null_active",
            "envoy_wasm_envoy_wasm_runtime_null_created",
            "envoy_wasm_envoy_wasm_runtime_v8_active",
            "envoy_wasm_envoy_wasm_runtime_v8_created",
            "envoy_wasm_remote_load_cache_entries",
            "envoy_wasm_remote_load_cache_hits",
            "envoy_wasm_remote_load_cache_misses",
            "envoy_wasm_remote_load_cache_negative_hits",
            "envoy_wasm_remote_load_fetch_failures",
            "envoy_wasm_remote_load_fetch_successes",
        ],
    },
    // The kubelet's cAdvisor endpoint (the kubernetes-nodes-cadvisor scrape job of the Prometheus
    // addon): per-container CPU, memory and filesystem use.
    MetricGroup {
        source: "cAdvisor (kubelet) container metrics",
        in_istio_dashboards: true,
        names: &[
            "container_cpu_usage_seconds_total",
            "container_memory_working_set_bytes",
            "container_fs_usage_bytes",
        ],
    },
];

/// Every allowed metric name, in list order.
pub fn all() -> impl Iterator<Item = &'static str> {
    METRICS.iter().flat_map(|g| g.names.iter().copied())
}

/// Whether the dashboards may query `name`.
pub fn is_known(name: &str) -> bool {
    all().any(|known| known == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_look_like_metrics() {
        let mut names: Vec<&str> = all().collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a metric is listed twice");
        for name in names {
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{name}"
            );
        }
        assert!(is_known("istio_requests_total"));
        assert!(!is_known("istio_request_total"));
    }
}
