//! The built-in profiles hold the same data as Istio 1.30.3's, except the hub and tag, which are
//! what a release build of istioctl compiles in. Skipped when the reference corpus is absent.

use mesh_core::{Value, from_yaml_str};
use mesh_profiles::{BUILTIN, HUB, TAG};
use mesh_test_support::{read_value, reference_path};

#[test]
fn builtin_profiles_equal_istio_profiles() {
    let Some(dir) = reference_path("istio-1.30.3/profiles") else {
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
        let mut theirs = read_value(&dir.join(format!("{name}.yaml")));
        if let Some(Value::Object(spec)) = theirs.get_mut("spec")
            && spec.contains_key("hub")
        {
            spec.insert("hub".into(), Value::from(HUB));
            spec.insert("tag".into(), Value::from(TAG));
        }
        assert_eq!(mine, theirs, "profile {name} differs from Istio's");
    }
}
