//! Oracle for the Go template engine: for every reference inject case, Istio's own injection
//! templates (read from the case's settings at test time) are executed by the engine on
//! `Injector::go_template_data`, and the resulting overlay is compared with mesh's native
//! rendering of the same template for the same pod. Skips cleanly without the corpus.

use mesh_core::Value;
use mesh_gotmpl::Template;
use mesh_inject::PodContext;
use std::collections::BTreeMap;

use crate::support::{Settings, corpus, injector_of, input_pods, read};

const BUILT_INS: &[&str] = &["sidecar", "gateway", "grpc-simple", "grpc-agent"];

/// Parses JSON text held in strings (env values, annotations) so formatting and key order do
/// not count, and drops empty maps and nulls the YAML text may carry.
fn canonical(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for child in m.values_mut() {
                if let Value::String(s) = child {
                    let t = s.trim();
                    if (t.starts_with('{') || t.starts_with('['))
                        && let Ok(parsed) = serde_json::from_str::<Value>(t)
                    {
                        *child = parsed;
                        continue;
                    }
                }
                canonical(child);
            }
            m.retain(|_, x| !x.is_null());
        }
        Value::Array(items) => items.iter_mut().for_each(canonical),
        _ => {}
    }
}

fn normalized(mut overlay: Value) -> Value {
    let _ = mesh_inject::normalize_pod(&mut overlay);
    canonical(&mut overlay);
    overlay
}

#[test]
fn istio_templates_agree_with_native_rendering() {
    let Some(dir) = corpus() else { return };
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("case.yaml").is_file())
        .collect();
    cases.sort();
    let (mut agree, mut total) = (0, 0);
    let mut per_template: BTreeMap<&str, usize> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for case_dir in cases {
        let name = case_dir.file_name().unwrap().to_string_lossy().to_string();
        let case = mesh_core::from_yaml_str(&read(&case_dir.join("case.yaml")), "case").unwrap();
        if case.get("expect_error").is_some() {
            continue;
        }
        let settings = Settings::of_case(&case_dir, &case);
        let inj = injector_of(
            &settings,
            case["native_sidecars"].as_bool().unwrap_or(false),
        );
        let docs = input_pods(&read(&case_dir.join("input.yaml")));
        let context = PodContext::default();
        for (i, pod) in docs.iter().enumerate() {
            let selected: Vec<String> =
                match pod["metadata"]["annotations"]["inject.istio.io/templates"].as_str() {
                    Some(list) => list.split(',').map(|n| n.trim().to_string()).collect(),
                    None => vec!["sidecar".to_string()],
                };
            // The selected built-ins first; every other built-in too, for more coverage.
            let mut names: Vec<&'static str> = BUILT_INS
                .iter()
                .copied()
                .filter(|t| selected.iter().any(|s| s == t))
                .collect();
            names.extend(
                BUILT_INS
                    .iter()
                    .filter(|t| !selected.iter().any(|s| s == *t)),
            );
            for template in names {
                *per_template.entry(template).or_insert(0) += 1;
                let Some(body) = settings.template(template) else {
                    continue;
                };
                total += 1;
                let label = format!("{name} pod {i} template {template}");
                let data = inj.go_template_data(pod, &context).unwrap();
                let engine = Template::parse(template, body, mesh_inject::template_funcs())
                    .map_err(|e| e.to_string())
                    .and_then(|t| t.execute(&data).map_err(|e| e.to_string()))
                    .and_then(|text| {
                        mesh_core::from_yaml_str(&text, template).map_err(|e| e.to_string())
                    });
                let native = inj
                    .native_overlay(template, pod, &context)
                    .map_err(|e| e.to_string());
                match (engine, native) {
                    (Ok(e), Ok(n)) => {
                        let (e, n) = (normalized(e), normalized(n));
                        if e == n {
                            agree += 1;
                        } else {
                            // Left is the template engine, right the native renderer.
                            let mut d = mesh_test_support::value_differences(&e, &n, "");
                            d.truncate(7);
                            disagreements.push(format!("{label}:\n    {}", d.join("\n    ")));
                        }
                    }
                    (Err(e), Err(_)) => {
                        eprintln!("{label}: both fail ({e})");
                        agree += 1;
                    }
                    (e, n) => disagreements.push(format!(
                        "{label}: engine {:?} / native {:?}",
                        e.err(),
                        n.err()
                    )),
                }
            }
        }
    }
    eprintln!("{agree} of {total} template renderings agree ({per_template:?})");
    for d in &disagreements {
        eprintln!("DISAGREE {d}");
    }
    assert!(total > 0);
    assert!(
        disagreements.is_empty(),
        "{} disagreements",
        disagreements.len()
    );
}
