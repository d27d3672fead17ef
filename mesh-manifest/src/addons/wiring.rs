//! How the addons find each other: the URLs Kiali and Grafana are configured with follow the
//! namespaces of the addons generated in the same run, or the URLs given for existing ones.

use super::common::service_url;
use super::settings::AddonSettings;
use super::{Addon, AddonsError};

/// Prometheus' Service port.
pub const PROMETHEUS_PORT: u16 = 9090;
/// Grafana's Service port.
pub const GRAFANA_PORT: u16 = 3000;
/// Loki's HTTP port.
pub const LOKI_PORT: u16 = 3100;
/// Jaeger's query gRPC port (what Kiali reads traces from).
pub const JAEGER_QUERY_GRPC_PORT: u16 = 16685;

/// The addresses each addon is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wiring {
    /// Kiali's Prometheus URL; `None` when Kiali's own default
    /// (`http://prometheus.istio-system:9090`) is right.
    pub kiali_prometheus: Option<String>,
    /// Kiali's in-cluster Grafana URL; `None` when Kiali's default is right or Grafana is unknown.
    pub kiali_grafana: Option<String>,
    /// Kiali's Jaeger query URL; `None` leaves tracing off in Kiali.
    pub kiali_tracing: Option<String>,
    /// Grafana's Prometheus data source URL.
    pub grafana_prometheus: String,
    /// Grafana's Loki data source URL.
    pub grafana_loki: String,
    /// Names of Zipkin's two Services (UI, collector): Istio's `tracing` and `zipkin`, or
    /// `zipkin-tracing` and `zipkin-collector` when Jaeger, which owns those names, is generated
    /// too.
    pub zipkin_services: (String, String),
}

/// Kiali's built-in Prometheus URL.
const KIALI_DEFAULT_PROMETHEUS: &str = "http://prometheus.istio-system:9090";
/// Kiali's built-in Grafana URL.
const KIALI_DEFAULT_GRAFANA: &str = "http://grafana.istio-system:3000";

impl Wiring {
    /// The wiring of `addons` (the addons generated together) under `settings`.
    pub fn new(addons: &[Addon], settings: &AddonSettings) -> Result<Wiring, AddonsError> {
        let has = |a: Addon| addons.contains(&a);
        let ns = |a: Addon| a.namespace(settings).to_string();
        // Kiali's URL of `addon`: the one set, else the addon's own when generated in this run
        // (left out when it is Kiali's built-in default).
        let kiali_url = |set: &Option<String>, addon: Addon, url: String, default: &str| {
            set.clone()
                .or_else(|| has(addon).then_some(url).filter(|u| u != default))
        };
        let prometheus_url = format!(
            "http://prometheus.{}:{PROMETHEUS_PORT}",
            ns(Addon::Prometheus)
        );
        let kiali_prometheus = kiali_url(
            &settings.kiali.prometheus_url,
            Addon::Prometheus,
            prometheus_url,
            KIALI_DEFAULT_PROMETHEUS,
        );
        if has(Addon::Kiali) && settings.kiali.prometheus_url.is_none() && !has(Addon::Prometheus) {
            return Err(AddonsError::KialiNeedsPrometheus);
        }
        let kiali_grafana = kiali_url(
            &settings.kiali.grafana_url,
            Addon::Grafana,
            format!("http://grafana.{}:{GRAFANA_PORT}", ns(Addon::Grafana)),
            KIALI_DEFAULT_GRAFANA,
        );
        let kiali_tracing = kiali_url(
            &settings.kiali.tracing_url,
            Addon::Jaeger,
            format!(
                "http://tracing.{}:{JAEGER_QUERY_GRPC_PORT}/jaeger",
                ns(Addon::Jaeger)
            ),
            "",
        );
        let grafana_ns = ns(Addon::Grafana);
        let grafana_prometheus = match &settings.grafana.prometheus_url {
            Some(url) if !has(Addon::Prometheus) => url.clone(),
            _ => service_url(
                "prometheus",
                &ns(Addon::Prometheus),
                &grafana_ns,
                PROMETHEUS_PORT,
            ),
        };
        let grafana_loki = match &settings.grafana.loki_url {
            Some(url) if !has(Addon::Loki) => url.clone(),
            _ => service_url("loki", &ns(Addon::Loki), &grafana_ns, LOKI_PORT),
        };
        let zipkin_services = if has(Addon::Jaeger) {
            ("zipkin-tracing".into(), "zipkin-collector".into())
        } else {
            ("tracing".into(), "zipkin".into())
        };
        Ok(Wiring {
            kiali_prometheus,
            kiali_grafana,
            kiali_tracing,
            grafana_prometheus,
            grafana_loki,
            zipkin_services,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_keep_kialis_own_urls() {
        let s = AddonSettings::default();
        let w = Wiring::new(&[Addon::Kiali, Addon::Prometheus, Addon::Grafana], &s).unwrap();
        assert_eq!(w.kiali_prometheus, None);
        assert_eq!(w.kiali_grafana, None);
        assert_eq!(w.kiali_tracing, None);
        assert_eq!(w.grafana_prometheus, "http://prometheus:9090");
        assert_eq!(w.zipkin_services.0, "tracing");
    }

    #[test]
    fn urls_follow_the_namespaces() {
        let mut s = AddonSettings::default();
        s.prometheus.namespace = Some("metrics".into());
        s.loki.namespace = Some("logs".into());
        let all = Addon::ALL;
        let w = Wiring::new(&all, &s).unwrap();
        assert_eq!(
            w.kiali_prometheus.as_deref(),
            Some("http://prometheus.metrics:9090")
        );
        assert_eq!(w.grafana_prometheus, "http://prometheus.metrics:9090");
        assert_eq!(w.grafana_loki, "http://loki.logs:3100");
        assert_eq!(
            w.kiali_tracing.as_deref(),
            Some("http://tracing.istio-system:16685/jaeger")
        );
        assert_eq!(w.zipkin_services.0, "zipkin-tracing");
    }

    #[test]
    fn kiali_without_prometheus_needs_a_url() {
        let mut s = AddonSettings::default();
        assert!(matches!(
            Wiring::new(&[Addon::Kiali], &s),
            Err(AddonsError::KialiNeedsPrometheus)
        ));
        s.kiali.prometheus_url = Some("http://prom.monitoring:9090".into());
        let w = Wiring::new(&[Addon::Kiali], &s).unwrap();
        assert_eq!(
            w.kiali_prometheus.as_deref(),
            Some("http://prom.monitoring:9090")
        );
    }
}
