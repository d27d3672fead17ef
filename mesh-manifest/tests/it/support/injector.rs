//! The injector of a reference settings folder, for the injection template tests. The files and
//! the input pods come from mesh-test-support, which does not depend on mesh-inject; the injector
//! is built here.

pub use mesh_test_support::inject::{Settings, input_pods};

use mesh_inject::{InjectConfig, Injector, MeshConfig, NativeSidecars};

/// The injector of a settings folder.
pub trait SettingsInjector {
    /// The injector of these settings, with native sidecars on or off.
    fn injector(&self, native: bool) -> Injector;
}

impl SettingsInjector for Settings {
    fn injector(&self, native: bool) -> Injector {
        let config: InjectConfig =
            serde_saphyr::from_str(&self.config_text).expect("inject-config.yaml");
        let mesh = MeshConfig::from_yaml(&self.mesh_text(), "mesh.yaml").unwrap();
        let native = if native {
            NativeSidecars::Enabled
        } else {
            NativeSidecars::Disabled
        };
        Injector::new(config, self.values.clone(), mesh, "", native).unwrap()
    }
}
