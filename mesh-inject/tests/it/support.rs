//! The reference corpus for mesh-inject's tests: the inject cases folder (absent in a user's
//! clone: the tests skip) and the injector a settings folder gives (the files are read by
//! [`mesh_test_support::inject`]).

use mesh_core::Value;
use mesh_inject::{InjectConfig, Injector, MeshConfig, NativeSidecars};
use std::path::{Path, PathBuf};

pub use mesh_test_support::inject::{Settings, input_pods};
pub use mesh_test_support::read;

/// The inject cases folder of the corpus, or `None` (with one skip line) when absent.
pub fn corpus() -> Option<PathBuf> {
    mesh_test_support::reference_path("inject")
}

/// The injector of a settings folder's inputs, with native sidecars on or off.
pub fn injector_of(settings: &Settings, native: bool) -> Injector {
    let config: InjectConfig =
        serde_saphyr::from_str(&settings.config_text).expect("inject-config.yaml");
    let mesh = MeshConfig::from_yaml(&settings.mesh_text(), "mesh.yaml").unwrap();
    let native = if native {
        NativeSidecars::Enabled
    } else {
        NativeSidecars::Disabled
    };
    Injector::new(config, settings.values.clone(), mesh, "", native).unwrap()
}

/// The injector a case runs with (its settings and native-sidecar mode).
pub fn case_injector(case_dir: &Path, case: &Value) -> Injector {
    let native = case["native_sidecars"].as_bool().unwrap_or(false);
    injector_of(&Settings::of_case(case_dir, case), native)
}
