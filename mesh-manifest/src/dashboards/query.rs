//! PromQL builders shared by the dashboards: rates, sums, quantiles and ratios over a metric and
//! a label filter, always over Grafana's `$__rate_interval`.

/// The requests counter of Istio's standard metrics.
pub const REQUESTS: &str = "istio_requests_total";
/// The request duration histogram's buckets (milliseconds).
pub const DURATION: &str = "istio_request_duration_milliseconds_bucket";
/// Matches responses that are not server errors.
pub const NOT_5XX: &str = r#"response_code!~"5..""#;
/// Matches server errors.
pub const IS_5XX: &str = r#"response_code=~"5..""#;
/// Matches client errors.
pub const IS_4XX: &str = r#"response_code=~"4..""#;

/// Joins label matchers with commas, leaving out empty ones.
pub fn and(matchers: &[&str]) -> String {
    matchers
        .iter()
        .filter(|m| !m.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(", ")
}

/// `metric{matchers}`, or the bare metric without matchers.
pub fn select(metric: &str, matchers: &str) -> String {
    if matchers.is_empty() {
        metric.to_string()
    } else {
        format!("{metric}{{{matchers}}}")
    }
}

/// `rate(metric{matchers}[$__rate_interval])`.
pub fn rate(metric: &str, matchers: &str) -> String {
    format!("rate({}[$__rate_interval])", select(metric, matchers))
}

/// `sum by (labels) (inner)`, or `sum(inner)` without labels.
pub fn sum_by(labels: &str, inner: &str) -> String {
    if labels.is_empty() {
        format!("sum({inner})")
    } else {
        format!("sum by ({labels}) ({inner})")
    }
}

/// The per-second rate of a counter, summed by `labels`.
pub fn sum_rate(metric: &str, matchers: &str, labels: &str) -> String {
    sum_by(labels, &rate(metric, matchers))
}

/// A gauge summed by `labels`.
pub fn sum_gauge(metric: &str, matchers: &str, labels: &str) -> String {
    sum_by(labels, &select(metric, matchers))
}

/// The `q` quantile (0.99) of a histogram's buckets, per `labels`.
pub fn quantile(q: f64, bucket: &str, matchers: &str, labels: &str) -> String {
    let by = if labels.is_empty() {
        "le".to_string()
    } else {
        format!("le, {labels}")
    };
    format!(
        "histogram_quantile({q}, {})",
        sum_by(&by, &rate(bucket, matchers))
    )
}

/// `(numerator) / (denominator)`.
pub fn ratio(numerator: &str, denominator: &str) -> String {
    format!("({numerator}) / ({denominator})")
}

/// Requests per second matching `matchers`, by `labels`.
pub fn requests(matchers: &str, labels: &str) -> String {
    sum_rate(REQUESTS, matchers, labels)
}

/// The share of requests that were not server errors, by `labels`.
pub fn success_ratio(matchers: &str, labels: &str) -> String {
    ratio(
        &requests(&and(&[matchers, NOT_5XX]), labels),
        &requests(matchers, labels),
    )
}

/// The `q` quantile of request durations in milliseconds, by `labels`.
pub fn latency(q: f64, matchers: &str, labels: &str) -> String {
    quantile(q, DURATION, matchers, labels)
}

/// A pod-name filter for a workload's pods (`<workload>-...`), as Deployments name them.
pub fn pods_of(workload_variable: &str) -> String {
    format!(r#"pod=~"${{{workload_variable}}}-.*""#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_expressions() {
        assert_eq!(
            requests(r#"reporter="destination""#, "destination_service"),
            r#"sum by (destination_service) (rate(istio_requests_total{reporter="destination"}[$__rate_interval]))"#
        );
        assert_eq!(
            latency(0.99, "", ""),
            "histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket[$__rate_interval])))"
        );
        assert_eq!(
            success_ratio(r#"a="b""#, ""),
            r#"(sum(rate(istio_requests_total{a="b", response_code!~"5.."}[$__rate_interval]))) / (sum(rate(istio_requests_total{a="b"}[$__rate_interval])))"#
        );
        assert_eq!(and(&["", "x=\"1\"", ""]), "x=\"1\"");
        assert_eq!(pods_of("workload"), r#"pod=~"${workload}-.*""#);
    }
}
