//! Pilot end to end against every manifest case of the reference corpus: the case's arguments
//! go through the values model (profiles, files, flags, chart defaults and helm profiles) and
//! the resulting istiod values through the renderer.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod pilot_support;

use mesh_core::ComponentName;
use mesh_manifest::render::RenderContext;
use mesh_manifest::render::pilot::render_pilot;

#[test]
fn pilot_from_case_arguments_matches_every_reference_case() {
    let ctx = RenderContext::default();
    pilot_support::check_component_against_reference("istiod", ComponentName::Pilot, |cv| {
        render_pilot(cv, &ctx)
            .unwrap()
            .into_iter()
            .map(|o| o.into_value())
            .collect()
    });
}
