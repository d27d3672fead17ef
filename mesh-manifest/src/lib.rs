//! mesh-manifest: typed rendering of the Istio control plane into Kubernetes objects, install
//! ordering and output.
//!
//! ```
//! use mesh_manifest::generate::{GenerateOptions, generate};
//! use mesh_profiles::{Inputs, resolve};
//!
//! let resolved = resolve(&Inputs::with_sets(["profile=demo"]))?;
//! let manifest = generate(&resolved, &GenerateOptions::default())?;
//! assert_eq!(manifest.stages[0].file_name(), "00-namespaces-crds.yaml");
//! let istiod = manifest.objects().find(|o| o.kind() == "Deployment" && o.name() == "istiod");
//! let typed: k8s_openapi::api::apps::v1::Deployment = istiod.expect("istiod renders").typed()?;
//! assert_eq!(typed.metadata.namespace.as_deref(), Some("istio-system"));
//! assert!(mesh_manifest::manifest_yaml(&manifest).starts_with("apiVersion: v1\nkind: Namespace\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Library code never unwraps what comes from input; tests may (clippy.toml allows it there).
#![warn(clippy::unwrap_used, clippy::expect_used)]

pub mod object;
pub use object::{Object, SharedValue};

pub mod render;
pub use render::{CrdFileProblem, CrdSource, RenderContext, RenderError};

pub mod order;
pub use order::{Manifest, ObjectId, OrderError, OrderOptions, Stage, StageKind, order};

pub mod output;
pub use output::{
    StageFile, apply_instructions, manifest_yaml, stage_files, write_manifest_yaml, yaml_stream,
};

pub mod dashboards;

pub mod addons;

pub mod gitops;
pub use gitops::{
    FluxOptions, Layout, LayoutOptions, OutputFile, layout_files, layout_instructions,
};

pub mod translate;
pub use translate::{HelmRelease, TranslateOptions, Translation, translate, translation_files};

pub mod snapshot;
pub use snapshot::{ObjectSnapshot, object_snapshots, snapshot_name};

pub mod diff;
pub use diff::{ManifestDiff, diff_streams};

pub mod k8s_settings;
pub use k8s_settings::{ComponentTarget, K8sError, apply_k8s};

pub mod generate;
pub use generate::{GenerateError, GenerateOptions, generate, render_all};

pub mod injector_settings;
pub use injector_settings::{
    InjectorSettings, InjectorSettingsError, injector_config_map_names, injector_settings,
};

pub mod webhook_deployment;
pub use webhook_deployment::{
    OptionProblem, ServingCert, WebhookDeploymentError, WebhookDeploymentOptions,
    generate_webhook_deployment, render_webhook_deployment,
};
