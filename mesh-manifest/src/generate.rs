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
    /// Threads the components may be rendered on; 0 and 1 mean the calling thread only (the
    /// default). The result is the same for any number.
    pub threads: usize,
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
    render_all_threads(resolved, ctx, 1)
}

/// [`render_all`] on up to `threads` threads: components are dealt out by their usual cost
/// (istiod's chart is about as much work as all the others), the results joined in component
/// order, and the first error in that order is the one returned, as [`render_all`] would. A
/// thread that cannot be started leaves its components to the calling thread.
pub fn render_all_threads(
    resolved: &Resolved,
    ctx: &RenderContext,
    threads: usize,
) -> Result<Vec<Object>, GenerateError> {
    let components = &resolved.components;
    let shares = deal(components, threads.max(1));
    let render_share = |share: &[usize]| -> Vec<(usize, Result<Vec<Object>, GenerateError>)> {
        share
            .iter()
            .map(|&i| (i, render_component(&components[i], ctx)))
            .collect()
    };
    let mut results: Vec<(usize, Result<Vec<Object>, GenerateError>)> =
        std::thread::scope(|scope| {
            let render_share = &render_share;
            let spawned: Vec<_> = shares[1..]
                .iter()
                .map(|share| {
                    let worker = std::thread::Builder::new()
                        .spawn_scoped(scope, move || render_share(share))
                        .ok();
                    (share, worker)
                })
                .collect();
            let mut results = render_share(&shares[0]);
            for (share, worker) in spawned {
                match worker.map(|w| w.join()) {
                    Some(Ok(done)) => results.extend(done),
                    _ => results.extend(render_share(share)),
                }
            }
            results
        });
    results.sort_by_key(|(i, _)| *i);
    let mut out = Vec::new();
    for (_, objects) in results {
        out.extend(objects?);
    }
    Ok(out)
}

/// Component indexes per thread (the first share is the calling thread's), each component to
/// the share with the least work so far; empty shares are dropped.
fn deal(components: &[ComponentValues], threads: usize) -> Vec<Vec<usize>> {
    let weight = |cv: &ComponentValues| match cv.component {
        ComponentName::Pilot => 3,
        _ => 1,
    };
    let mut order: Vec<usize> = (0..components.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(weight(&components[i])));
    let mut shares = vec![(0, Vec::new()); threads.min(components.len()).max(1)];
    for i in order {
        if let Some(least) = shares.iter_mut().min_by_key(|(work, _)| *work) {
            least.0 += weight(&components[i]);
            least.1.push(i);
        }
    }
    shares.into_iter().map(|(_, share)| share).collect()
}

/// Renders and orders the whole installation. When `values.global.network` is set, the install
/// namespace is labelled `topology.istio.io/network` (what `istioctl install` does to it).
pub fn generate(resolved: &Resolved, opts: &GenerateOptions) -> Result<Manifest, GenerateError> {
    let objects = render_all_threads(resolved, &opts.render, opts.threads)?;
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
