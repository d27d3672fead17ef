//! istiod (chart `istio-control/istio-discovery`): every object the chart renders for one
//! control-plane revision.
//!
//! The chart reads its effective values (`.Values`, already merged by the values model: chart
//! defaults < helm profile < compatibility version < platform < istioctl's values, with
//! `.Values.pilot.*` lifted to the top level) and renders: the istiod ServiceAccount and RBAC,
//! the reader ClusterRole, the `istio` mesh ConfigMap, the sidecar injector ConfigMap, the
//! `values` ConfigMap, the injection MutatingWebhookConfiguration, the revision's validating
//! webhook (and, for the stable channel, a ValidatingAdmissionPolicy), the Deployment, HPA or
//! PodDisruptionBudget, the Service, and the optional extras (revision tags, remote istiod
//! Service/EndpointSlice, gateway class defaults, JWKS CA, NetworkPolicy, ServiceMonitor).

mod chart;
mod deployment;
mod extras;
mod injector;
mod mesh_config;
mod rbac;
mod scaling;
mod service;
mod values_map;
pub(crate) mod webhooks;

pub use injector::{builtin_template, builtin_template_names};

use super::common::bad_value;
use super::{RenderContext, RenderError};
use crate::Object;
use mesh_core::ComponentName;
use mesh_profiles::ComponentValues;

/// Renders istiod from its effective chart values: all objects of the `istio-discovery` chart,
/// in no particular order.
pub fn render_pilot(cv: &ComponentValues, ctx: &RenderContext) -> Result<Vec<Object>, RenderError> {
    let chart = chart::Chart::new(&cv.values, &cv.original, &cv.namespace, ctx);
    refused_values(&chart)?;
    let mut values = Vec::new();
    values.extend(rbac::render(&chart)?);
    values.extend(mesh_config::render(&chart)?);
    values.extend(injector::render(&chart)?);
    values.extend(values_map::render(&chart)?);
    values.extend(webhooks::render(&chart)?);
    values.extend(deployment::render(&chart)?);
    values.extend(scaling::render(&chart)?);
    values.extend(service::render(&chart)?);
    values.extend(extras::render(&chart)?);
    Ok(values
        .into_iter()
        .map(|v| Object::new(Some(ComponentName::Pilot), v))
        .collect())
}

/// Values the chart's NOTES template refuses (Helm renders NOTES too, so istioctl fails): the
/// removed settings of `$failDeps` when they print as anything, and
/// `global.pilotCertProvider=kubernetes`.
fn refused_values(chart: &chart::Chart<'_>) -> Result<(), RenderError> {
    const REMOVED: &[&str] = &[
        "telemetry.v2.prometheus.configOverride",
        "telemetry.v2.stackdriver.configOverride",
        "telemetry.v2.stackdriver.disableOutbound",
        "telemetry.v2.stackdriver.outboundAccessLogging",
        "global.tracer.stackdriver.debug",
        "global.tracer.stackdriver.maxNumberOfAttributes",
        "global.tracer.stackdriver.maxNumberOfAnnotations",
        "global.tracer.stackdriver.maxNumberOfMessageEvents",
        "meshConfig.defaultConfig.tracing.stackdriver.debug",
        "meshConfig.defaultConfig.tracing.stackdriver.maxNumberOfAttributes",
        "meshConfig.defaultConfig.tracing.stackdriver.maxNumberOfAnnotations",
        "meshConfig.defaultConfig.tracing.stackdriver.maxNumberOfMessageEvents",
    ];
    for path in REMOVED {
        if !chart.text(path).is_empty() {
            return Err(bad_value(
                "Pilot",
                path,
                "nothing (removed: Istio 1.30's chart refuses it)",
                chart.get(path),
            ));
        }
    }
    if chart.text("global.pilotCertProvider") == "kubernetes" {
        return Err(bad_value(
            "Pilot",
            "global.pilotCertProvider",
            "a supported provider (Istio 1.30's chart refuses kubernetes)",
            chart.get("global.pilotCertProvider"),
        ));
    }
    Ok(())
}
