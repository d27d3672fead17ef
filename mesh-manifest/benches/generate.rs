//! In-process speed of `manifest generate` for the default profile (target: <= 2 ms for
//! render + order + serialise).
//!
//! Baseline in the same run: serialising the already rendered objects to YAML, the part every
//! approach (Helm included) has to pay; report the other figures as ratios of it. The baseline
//! prints trees that keep no text, so it is the printer's cost for the whole manifest.
//!
//! These are warm figures. The embedded CRDs are built and printed when mesh is built
//! (`build.rs`), so a first call does little more; it is timed once, before the groups, and
//! printed as `cold`. A one-shot `meshctl` process pays the first call and its own start-up:
//! measure it with `scripts/bench-generate.sh` (whole process).

use criterion::{Criterion, criterion_group, criterion_main};
use mesh_manifest::generate::{GenerateOptions, generate, render_all};
use mesh_manifest::{Object, manifest_yaml, yaml_stream};
use mesh_profiles::{Inputs, resolve};
use std::hint::black_box;
use std::time::Instant;

fn bench(c: &mut Criterion) {
    let inputs = Inputs::default();
    let opts = GenerateOptions::default();
    // The first call of this process, with nothing parsed or built yet.
    let start = Instant::now();
    let cold = resolve(&inputs)
        .ok()
        .and_then(|r| generate(&r, &opts).ok())
        .map(|m| manifest_yaml(&m));
    let elapsed = start.elapsed();
    black_box(cold);
    eprintln!(
        "cold: resolve + render + order + serialise, first call in the process: {elapsed:.2?}"
    );

    let resolved = resolve(&inputs).expect("default profile resolves");
    let objects = render_all(&resolved, &opts.render).expect("default profile renders");

    // Deep copies that keep no YAML text: printing them costs the printer's full work.
    let fresh: Vec<Object> = objects
        .iter()
        .map(|o| Object::new(o.component, o.value.clone()))
        .collect();

    let mut g = c.benchmark_group("manifest_generate_default");
    g.bench_function("baseline_serialise_only", |b| {
        b.iter(|| black_box(yaml_stream(black_box(&fresh))))
    });
    g.bench_function("serialise_kept_crd_text", |b| {
        b.iter(|| black_box(yaml_stream(black_box(&objects))))
    });
    g.bench_function("render_all", |b| {
        b.iter(|| black_box(render_all(black_box(&resolved), &opts.render).ok()))
    });
    g.bench_function("order_only", |b| {
        b.iter(|| black_box(mesh_manifest::order(black_box(objects.clone()), &opts.order).ok()))
    });
    g.bench_function("clone_objects", |b| {
        b.iter(|| black_box(black_box(&objects).clone()))
    });
    g.bench_function("resolve", |b| {
        b.iter(|| black_box(resolve(black_box(&inputs)).ok()))
    });
    g.bench_function("render_order_serialise", |b| {
        b.iter(|| {
            let m = generate(black_box(&resolved), &opts).ok();
            black_box(m.map(|m| manifest_yaml(&m)))
        })
    });
    g.bench_function("resolve_render_order_serialise", |b| {
        b.iter(|| {
            let r = resolve(black_box(&inputs)).ok();
            let m = r.and_then(|r| generate(&r, &opts).ok());
            black_box(m.map(|m| manifest_yaml(&m)))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
