//! Base (non-CRD objects) against every manifest case of the reference corpus, fed with the
//! chart values the values model computes from the case's arguments.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod pilot_support;

use mesh_core::ComponentName;
use mesh_manifest::render::RenderContext;
use mesh_manifest::render::base::render_base;

#[test]
fn base_matches_every_reference_case() {
    let ctx = RenderContext::default();
    pilot_support::check_component_against_reference("base", ComponentName::Base, |cv| {
        render_base(cv, &ctx)
            .unwrap()
            .into_iter()
            .map(|o| o.into_value())
            .collect()
    });
}
