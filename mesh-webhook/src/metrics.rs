//! The webhook's counters and latency histogram, rendered in the Prometheus text format.
//!
//! Lock-free atomics: every request updates a few counters, so recording must not contend.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// Why an injection request failed (the `reason` label of `sidecar_injection_failure_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The Content-Type was not `application/json` (HTTP 415).
    ContentType,
    /// The request had no body (HTTP 400).
    EmptyBody,
    /// The body was larger than the limit (HTTP 413).
    TooLarge,
    /// The body did not arrive within the read timeout (HTTP 408).
    ReadTimeout,
    /// The connection failed while the body was read (HTTP 400).
    ReadError,
    /// The body is not a readable AdmissionReview (denied).
    InvalidReview,
    /// The injector failed on the pod (denied).
    Injection,
    /// Handling took longer than the handler timeout (HTTP 503).
    Timeout,
    /// The handler task failed unexpectedly (HTTP 500).
    Internal,
}

impl Failure {
    /// Every reason, in label order.
    pub(crate) const ALL: [Failure; 9] = [
        Failure::ContentType,
        Failure::EmptyBody,
        Failure::TooLarge,
        Failure::ReadTimeout,
        Failure::ReadError,
        Failure::InvalidReview,
        Failure::Injection,
        Failure::Timeout,
        Failure::Internal,
    ];

    /// The label value.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Failure::ContentType => "content_type",
            Failure::EmptyBody => "empty_body",
            Failure::TooLarge => "body_too_large",
            Failure::ReadTimeout => "read_timeout",
            Failure::ReadError => "read_error",
            Failure::InvalidReview => "invalid_review",
            Failure::Injection => "injection_failed",
            Failure::Timeout => "handler_timeout",
            Failure::Internal => "internal",
        }
    }

    fn index(self) -> usize {
        Failure::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }
}

/// What a configuration reload was about (the `kind` label of the reload counter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReloadKind {
    /// The serving certificate and key.
    Certificate,
    /// The injector values, mesh config and injector config.
    Injector,
}

impl ReloadKind {
    fn label(self) -> &'static str {
        match self {
            ReloadKind::Certificate => "certificate",
            ReloadKind::Injector => "injector",
        }
    }

    fn index(self) -> usize {
        match self {
            ReloadKind::Certificate => 0,
            ReloadKind::Injector => 1,
        }
    }
}

/// Upper bounds (seconds) of the latency histogram buckets: fine below 10 ms, where a healthy
/// webhook lives, coarse up to the API server's 10 s webhook timeout.
const LATENCY_BOUNDS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5, 10.0,
];

/// A fixed-bucket histogram of durations.
#[derive(Debug, Default)]
struct Histogram {
    /// One count per bound, plus the `+Inf` bucket; not cumulative (summed when rendered).
    buckets: [AtomicU64; LATENCY_BOUNDS.len() + 1],
    sum_nanos: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let slot = LATENCY_BOUNDS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BOUNDS.len());
        self.buckets[slot].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        header(out, name, help, "histogram");
        let mut cumulative = 0;
        for (bound, bucket) in LATENCY_BOUNDS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.buckets[LATENCY_BOUNDS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {}", self.count.load(Ordering::Relaxed));
    }
}

/// Every metric the webhook exports: the handlers, the TLS server and the reload watcher record
/// into one shared value, and `GET /metrics` renders it.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: AtomicU64,
    injected: AtomicU64,
    skipped: AtomicU64,
    failures: [AtomicU64; Failure::ALL.len()],
    latency: Histogram,
    /// Per [`ReloadKind`]: successful and failed reloads.
    reloads: [[AtomicU64; 2]; 2],
    handshake_failures: AtomicU64,
    open_connections: AtomicI64,
}

impl Metrics {
    /// Counts an injection request as it arrives.
    pub(crate) fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an injected pod.
    pub(crate) fn injected(&self) {
        self.injected.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a pod the injector skipped.
    pub(crate) fn skipped(&self) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a failed request.
    pub(crate) fn failed(&self, reason: Failure) {
        self.failures[reason.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Records how long an injection request took, from arrival to response.
    pub(crate) fn observe_latency(&self, elapsed: Duration) {
        self.latency.observe(elapsed);
    }

    /// Counts a configuration reload.
    pub(crate) fn reloaded(&self, kind: ReloadKind, ok: bool) {
        self.reloads[kind.index()][usize::from(!ok)].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a TLS handshake that failed or timed out.
    pub(crate) fn handshake_failed(&self) {
        self.handshake_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Tracks a connection opening (`+1`) or closing (`-1`).
    pub(crate) fn connection_delta(&self, delta: i64) {
        self.open_connections.fetch_add(delta, Ordering::Relaxed);
    }

    /// The metrics in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        counter(
            &mut out,
            "sidecar_injection_requests_total",
            "Injection requests received.",
            load(&self.requests),
        );
        counter(
            &mut out,
            "sidecar_injection_success_total",
            "Pods injected (allowed with a patch).",
            load(&self.injected),
        );
        counter(
            &mut out,
            "sidecar_injection_skip_total",
            "Pods the injection policy skipped (allowed without a patch).",
            load(&self.skipped),
        );
        header(
            &mut out,
            "sidecar_injection_failure_total",
            "Injection requests that failed, by reason.",
            "counter",
        );
        for (reason, count) in Failure::ALL.iter().zip(&self.failures) {
            let _ = writeln!(
                out,
                "sidecar_injection_failure_total{{reason=\"{}\"}} {}",
                reason.label(),
                load(count)
            );
        }
        self.latency.render(
            &mut out,
            "sidecar_injection_time_seconds",
            "Time from receiving an injection request to answering it.",
        );
        header(
            &mut out,
            "mesh_webhook_reloads_total",
            "Configuration reloads, by what was reloaded and whether it succeeded.",
            "counter",
        );
        for kind in [ReloadKind::Certificate, ReloadKind::Injector] {
            for (result, count) in ["success", "error"].iter().zip(&self.reloads[kind.index()]) {
                let _ = writeln!(
                    out,
                    "mesh_webhook_reloads_total{{kind=\"{}\",result=\"{result}\"}} {}",
                    kind.label(),
                    load(count)
                );
            }
        }
        counter(
            &mut out,
            "mesh_webhook_tls_handshake_failures_total",
            "TLS handshakes that failed or timed out.",
            load(&self.handshake_failures),
        );
        header(
            &mut out,
            "mesh_webhook_open_connections",
            "Connections currently open.",
            "gauge",
        );
        let _ = writeln!(
            out,
            "mesh_webhook_open_connections {}",
            self.open_connections.load(Ordering::Relaxed)
        );
        out
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    header(out, name, help, "counter");
    let _ = writeln!(out, "{name} {value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe_latency(Duration::from_micros(50));
        m.observe_latency(Duration::from_micros(700));
        m.observe_latency(Duration::from_secs(20));
        let text = m.render();
        assert!(text.contains("sidecar_injection_time_seconds_bucket{le=\"0.0001\"} 1\n"));
        assert!(text.contains("sidecar_injection_time_seconds_bucket{le=\"0.001\"} 2\n"));
        assert!(text.contains("sidecar_injection_time_seconds_bucket{le=\"10\"} 2\n"));
        assert!(text.contains("sidecar_injection_time_seconds_bucket{le=\"+Inf\"} 3\n"));
        assert!(text.contains("sidecar_injection_time_seconds_count 3\n"));
    }

    #[test]
    fn counters_render_with_labels() {
        let m = Metrics::default();
        m.request();
        m.request();
        m.injected();
        m.failed(Failure::InvalidReview);
        m.reloaded(ReloadKind::Certificate, false);
        let text = m.render();
        assert!(text.contains("sidecar_injection_requests_total 2\n"));
        assert!(text.contains("sidecar_injection_success_total 1\n"));
        assert!(text.contains("sidecar_injection_failure_total{reason=\"invalid_review\"} 1\n"));
        assert!(text.contains("sidecar_injection_failure_total{reason=\"content_type\"} 0\n"));
        assert!(
            text.contains("mesh_webhook_reloads_total{kind=\"certificate\",result=\"error\"} 1\n")
        );
    }
}
