//! The injector and mesh ConfigMaps against the reference's injection settings: each settings
//! folder holds the `istio-sidecar-injector` values and config and the `istio` mesh config that
//! Istio 1.30.3 rendered for some flags or IstioOperator file. The same inputs go through the
//! values model and the Pilot renderer here; templates compare by name only, and mesh configs
//! that the folder edited after rendering (`mesh_edits`) are not compared.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod pilot_support;

use mesh_core::{ComponentName, Value};
use mesh_manifest::Object;
use mesh_manifest::render::RenderContext;
use mesh_manifest::render::pilot::render_pilot;
use mesh_profiles::{InputFile, Inputs};
use pilot_support::{diff, reference_dir};
use serde_json::json;

/// The inputs a settings folder was rendered with (its `source.yaml`).
fn settings_inputs(dir: &std::path::Path, source: &Value) -> Inputs {
    let how = &source["getInjectionSettings"];
    let mut inputs = Inputs::default();
    if how["file"].is_string() {
        inputs.files.push(InputFile {
            name: "iop.yaml".to_string(),
            text: std::fs::read_to_string(dir.join("iop.yaml")).unwrap(),
        });
    }
    // Istio's test binary was built with this hub and tag compiled in.
    inputs
        .set_flags
        .push("hub=registry.istio.io/testing".to_string());
    inputs.set_flags.push("tag=latest".to_string());
    for flag in how["set"].as_array().unwrap() {
        inputs.set_flags.push(flag.as_str().unwrap().to_string());
    }
    inputs
}

/// An injector config with every template body replaced by a marker.
fn templates_by_name(mut config: Value) -> Value {
    if let Some(Value::Object(templates)) = config.get_mut("templates") {
        for body in templates.values_mut() {
            *body = json!("<body>");
        }
    }
    config
}

fn data<'a>(objects: &'a [Object], name: &str, key: &str) -> &'a str {
    objects
        .iter()
        .find(|o| o.kind() == "ConfigMap" && o.name() == name)
        .and_then(|o| o.value.pointer(&format!("/data/{key}")))
        .and_then(Value::as_str)
        .unwrap()
}

#[test]
fn injector_and_mesh_config_match_every_settings_folder() {
    let Some(reference) = reference_dir() else {
        eprintln!("reference corpus not found; skipping");
        return;
    };
    let mut folders: Vec<_> = std::fs::read_dir(reference.join("settings"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    folders.sort();
    let mut failures = Vec::new();
    for dir in folders {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap();
        let source = mesh_core::from_yaml_str(&read("source.yaml"), "source.yaml").unwrap();
        let operator = mesh_profiles::merge_inputs(&settings_inputs(&dir, &source)).unwrap();
        let components = mesh_profiles::component_values(&operator).unwrap();
        let cv = components
            .iter()
            .find(|c| c.component == ComponentName::Pilot)
            .unwrap();
        let objects = render_pilot(cv, &RenderContext::default()).unwrap();

        let mut problems = Vec::new();
        let want_values: Value = serde_json::from_str(&read("values.json")).unwrap();
        let got_values: Value =
            serde_json::from_str(data(&objects, "istio-sidecar-injector", "values")).unwrap();
        problems.extend(diff(&want_values, &got_values));

        let want_config = mesh_core::from_yaml_str(&read("inject-config.yaml"), "config").unwrap();
        let got_config =
            mesh_core::from_yaml_str(data(&objects, "istio-sidecar-injector", "config"), "config")
                .unwrap();
        problems.extend(diff(
            &templates_by_name(want_config),
            &templates_by_name(got_config),
        ));

        if source.get("mesh_edits").is_none() {
            let want_mesh = mesh_core::from_yaml_str(&read("mesh.yaml"), "mesh").unwrap();
            let got_mesh =
                mesh_core::from_yaml_str(data(&objects, "istio", "mesh"), "mesh").unwrap();
            problems.extend(diff(&want_mesh, &got_mesh));
        }
        eprintln!("{name}: {} differences", problems.len());
        if !problems.is_empty() {
            failures.push(format!("{name}:\n  {}", problems.join("\n  ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
