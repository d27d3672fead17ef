//! Base (non-CRD objects) against every manifest case of the reference corpus, fed with the
//! chart values the values model computes from the case's arguments.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod pilot_support;

use mesh_core::{ComponentName, Value};
use mesh_manifest::render::RenderContext;
use mesh_manifest::render::base::render_base;
use pilot_support::{
    compare, expected_objects, from_chart, manifest_cases, pipeline_values, reference_dir,
};

#[test]
fn base_matches_every_reference_case() {
    let Some(reference) = reference_dir() else {
        eprintln!("reference corpus not found; skipping");
        return;
    };
    let ctx = RenderContext::default();
    let mut failures = Vec::new();
    let (mut equal, mut total) = (0, 0);
    for (case, dir) in manifest_cases(&reference) {
        let want: Vec<Value> = expected_objects(&dir)
            .into_iter()
            .filter(|o| from_chart(o, "base"))
            .collect();
        let components = match pipeline_values(&dir) {
            Ok(c) => c,
            Err(e) => {
                // Not this renderer's concern: the values model cannot take the case yet.
                eprintln!("{case}: skipped, the values model failed: {e}");
                continue;
            }
        };
        let mut got = Vec::new();
        for cv in components
            .iter()
            .filter(|c| c.component == ComponentName::Base)
        {
            got.extend(render_base(cv, &ctx).unwrap().into_iter().map(|o| o.value));
        }
        let cmp = compare(&want, &got);
        eprintln!("{case}: Base objects {}/{} equal", cmp.equal, cmp.expected);
        equal += cmp.equal;
        total += cmp.expected;
        if !cmp.problems.is_empty() {
            failures.push(format!("{case}:\n  {}", cmp.problems.join("\n  ")));
        }
    }
    eprintln!("total: Base objects {equal}/{total} equal");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
