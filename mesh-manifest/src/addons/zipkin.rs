//! Zipkin (slim, in-memory): Deployment and the `tracing` (UI) and `zipkin` (collector)
//! Services, renamed when Jaeger, which owns those names, is generated too (see [`Wiring`]).

use super::common::*;
use super::settings::AddonSettings;
use super::{Addon, Wiring};
use crate::Object;
use k8s_openapi::api::core::v1::PodSpec;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

const NAME: &str = "zipkin";
const PORT: i32 = 9411;

/// Zipkin's objects.
pub fn render(settings: &AddonSettings, wiring: &Wiring) -> Vec<Object> {
    let z = &settings.zipkin;
    let ns = Addon::Zipkin.namespace(settings);
    let app = labels(&[("app", NAME)]);
    let mut c = container(NAME, &z.image);
    c.env = Some(vec![env("STORAGE_METHOD", "mem")]);
    let mut ready = http_probe("/health", IntOrString::Int(PORT), None);
    ready.initial_delay_seconds = Some(5);
    ready.period_seconds = Some(5);
    c.readiness_probe = Some(ready);
    c.resources = resources(z.resources.as_ref());
    let pod = PodSpec {
        containers: vec![c],
        ..PodSpec::default()
    };
    let mut pod_labels = app.clone();
    pod_labels.insert("sidecar.istio.io/inject".into(), "false".into());
    let deploy = deployment(
        meta(NAME, ns, &app),
        &app,
        pod_template(pod_labels, Default::default(), pod),
    );
    let (ui, collector) = &wiring.zipkin_services;
    let tracing = cluster_ip_service(
        meta(ui, ns, &app),
        vec![service_port(
            Some("http-query"),
            80,
            Some(IntOrString::Int(PORT)),
            Some("TCP"),
        )],
        &app,
    );
    let collector = service(
        meta(collector, ns, &labels(&[("name", collector)])),
        vec![service_port(
            Some("http-query"),
            PORT,
            Some(IntOrString::Int(PORT)),
            None,
        )],
        &app,
    );
    vec![object(&deploy), object(&tracing), object(&collector)]
}
