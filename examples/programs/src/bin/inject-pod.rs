//! Inject one pod offline with the settings a mesh install would give istiod, then answer an
//! AdmissionReview for it as the webhook would.
//!
//! `cargo run -p mesh-examples --bin inject-pod` prints the injected pod's containers and the
//! JSON patch the API server would receive.

use mesh_inject::{InjectConfig, Injector, MeshConfig, NativeSidecars};
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_manifest::injector_settings;
use mesh_profiles::{Inputs, resolve};
use serde_json::json;
use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    // 1. The injector's settings, exactly as `manifest generate` renders them for istiod.
    let resolved = resolve(&Inputs::with_sets(["profile=default"]))?;
    let manifest = generate(&resolved, &GenerateOptions::default())?;
    let settings = injector_settings(&manifest, "")?;
    let config: InjectConfig =
        serde_json::from_value(mesh_core::from_yaml_str(&settings.config, "config")?)?;
    let mesh = MeshConfig::from_yaml(&settings.mesh, "mesh")?;

    // 2. An injector for the default revision, classic (non-native) sidecars.
    let injector = Injector::new(config, settings.values, mesh, "", NativeSidecars::Disabled)?;

    // 3. Inject a pod.
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "hello", "namespace": "default", "labels": {"app": "hello"}},
        "spec": {"containers": [{"name": "hello", "image": "hello:1.0", "ports": [{"containerPort": 8080}]}]}
    });
    let injected = injector.inject_pod(&pod)?;
    let names = |key: &str| -> Vec<String> {
        injected["spec"][key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(str::to_string))
            .collect()
    };
    println!("init containers: {:?}", names("initContainers"));
    println!("containers:      {:?}", names("containers"));

    // 4. The same pod through the admission handler, as the API server would send it.
    let review = json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "1", "namespace": "default", "operation": "CREATE",
                    "kind": {"group": "", "version": "v1", "kind": "Pod"}, "object": pod}
    });
    let admission = mesh_inject::admission::review(&serde_json::to_vec(&review)?, &injector);
    println!("admission: {:?}", admission.outcome);
    Ok(())
}
