//! The whole pipeline from resolved configuration to ordered manifest: render each component,
//! apply its `k8s` settings and overlays, order the result.

use crate::Object;
use crate::k8s_settings::{ComponentTarget, K8sError, apply_k8s};
use crate::order::{Manifest, OrderError, OrderOptions, order};
use crate::render::{self, RenderContext, RenderError};
use mesh_core::{ComponentName, Value};
use mesh_profiles::{ComponentValues, Resolved};

/// Generating a manifest failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// A component could not be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A component's `k8s` settings could not be applied.
    #[error(transparent)]
    K8s(#[from] K8sError),
    /// The objects could not be ordered.
    #[error(transparent)]
    Order(#[from] OrderError),
}

/// Options of [`generate`].
#[derive(Debug, Clone, Default)]
pub struct GenerateOptions {
    /// Rendering context (Istio version, Kubernetes version, CRD source).
    pub render: RenderContext,
    /// Ordering options (Namespace objects).
    pub order: OrderOptions,
}

/// Renders one component instance and applies its `k8s` block.
pub fn render_component(
    cv: &ComponentValues,
    ctx: &RenderContext,
) -> Result<Vec<Object>, GenerateError> {
    let mut objects = match cv.component {
        ComponentName::Base => {
            let mut objs = render::crds::render_crds(&cv.values, ctx)?;
            objs.extend(render::base::render_base(cv, ctx)?);
            objs
        }
        ComponentName::Pilot => render::pilot::render_pilot(cv, ctx)?,
        ComponentName::IngressGateways | ComponentName::EgressGateways => {
            render::gateway::render_gateway(cv, ctx)?
        }
        ComponentName::Cni => render::cni::render_cni(cv, ctx)?,
        ComponentName::Ztunnel => render::ztunnel::render_ztunnel(cv, ctx)?,
    };
    if let Some(k8s) = cv.k8s.as_ref().filter(|k| !k.is_null()) {
        let revision = cv
            .values
            .get("revision")
            .and_then(Value::as_str)
            .unwrap_or("");
        let gateway = cv.component.is_multi().then_some(cv.name.as_str());
        let target = ComponentTarget::new(cv.component, gateway, revision);
        apply_k8s(&mut objects, &target, k8s, &k8s_source(cv))?;
    }
    Ok(objects)
}

/// Where a component's `k8s` block sits in the IstioOperator, for error messages.
fn k8s_source(cv: &ComponentValues) -> String {
    if cv.component.is_multi() {
        format!(
            "spec.components.{}[name:{}].k8s",
            cv.component.spec_key(),
            cv.name
        )
    } else {
        format!("spec.components.{}.k8s", cv.component.spec_key())
    }
}

/// Renders every enabled component, in istioctl's component order, unordered within.
pub fn render_all(resolved: &Resolved, ctx: &RenderContext) -> Result<Vec<Object>, GenerateError> {
    let mut out = Vec::new();
    for cv in &resolved.components {
        out.extend(render_component(cv, ctx)?);
    }
    Ok(out)
}

/// Renders and orders the whole installation. When `values.global.network` is set, the install
/// namespace is labelled `topology.istio.io/network` (what `istioctl install` does to it).
pub fn generate(resolved: &Resolved, opts: &GenerateOptions) -> Result<Manifest, GenerateError> {
    let objects = render_all(resolved, &opts.render)?;
    let mut order_opts = opts.order.clone();
    let network = resolved
        .operator
        .pointer("/spec/values/global/network")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !network.is_empty() {
        order_opts
            .namespace_labels
            .entry(resolved.namespace().to_string())
            .or_default()
            .entry("topology.istio.io/network".to_string())
            .or_insert_with(|| network.to_string());
    }
    Ok(order(objects, &order_opts)?)
}
