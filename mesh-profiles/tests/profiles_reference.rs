//! The built-in profiles hold the same data as Istio 1.30.3's, except the hub and tag, which are
//! what a release build of istioctl compiles in. Skipped when `../shared/reference` is absent.

use mesh_core::{Value, from_yaml_str};
use mesh_profiles::{BUILTIN, HUB, TAG};
use std::path::PathBuf;

fn reference_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/reference/istio-1.30.3/profiles");
    dir.is_dir().then_some(dir)
}

#[test]
fn builtin_profiles_equal_istio_profiles() {
    let Some(dir) = reference_dir() else {
        eprintln!("skipped: no reference profiles");
        return;
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".yaml")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    let ours: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ours, "profile names differ");
    for (name, text) in BUILTIN {
        let mine = from_yaml_str(text, name).unwrap();
        let mut theirs = from_yaml_str(
            &std::fs::read_to_string(dir.join(format!("{name}.yaml"))).unwrap(),
            name,
        )
        .unwrap();
        if let Some(Value::Object(spec)) = theirs.get_mut("spec")
            && spec.contains_key("hub")
        {
            spec.insert("hub".into(), Value::from(HUB));
            spec.insert("tag".into(), Value::from(TAG));
        }
        assert_eq!(mine, theirs, "profile {name} differs from Istio's");
    }
}
