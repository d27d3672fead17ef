//! `profile dump` output is valid input: dumping a profile, reading the dump back with `-f`
//! (YAML and JSON) or as `--set` flags resolves to the same IstioOperator, for every profile.
//! Plus reviewed snapshots of each profile's dump.

use mesh_core::from_yaml_str;
use mesh_profiles::{BUILTIN, DumpFormat, InputFile, Inputs, dump, merge_inputs};

fn resolved(profile: &str) -> mesh_core::Value {
    merge_inputs(&Inputs::with_sets([format!("profile={profile}")])).unwrap()
}

#[test]
fn yaml_and_json_dumps_read_back_as_files() {
    for (name, _) in BUILTIN {
        let original = resolved(name);
        for format in [DumpFormat::Yaml, DumpFormat::Json] {
            let text = dump(&original, None, format).unwrap();
            let inputs = Inputs {
                files: vec![InputFile {
                    name: format!("{name}.dump"),
                    text,
                }],
                ..Inputs::default()
            };
            let again = merge_inputs(&inputs).unwrap_or_else(|e| panic!("{name} {format:?}: {e}"));
            assert_eq!(again, original, "profile {name}, format {format:?}");
        }
    }
}

#[test]
fn flag_dumps_read_back_as_set_flags() {
    for (name, _) in BUILTIN {
        let original = resolved(name);
        let text = dump(&original, None, DumpFormat::Flags).unwrap();
        let again = merge_inputs(&Inputs::with_sets(text.lines()))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(again, original, "profile {name}");
    }
}

#[test]
fn dump_of_an_edited_dump_keeps_the_edit() {
    let mut text = dump(&resolved("demo"), None, DumpFormat::Yaml).unwrap();
    // Edit the dump as a user would: add a revision under spec.
    text = text.replacen("\nspec:\n", "\nspec:\n  revision: edited\n", 1);
    let inputs = Inputs {
        files: vec![InputFile {
            name: "demo.yaml".into(),
            text,
        }],
        ..Inputs::default()
    };
    let again = merge_inputs(&inputs).unwrap();
    assert_eq!(
        again.pointer("/spec/values/revision"),
        Some(&"edited".into())
    );
}

#[test]
fn profile_dump_snapshots() {
    for (name, _) in BUILTIN {
        let yaml = dump(&resolved(name), None, DumpFormat::Yaml).unwrap();
        // The dump parses as YAML (what a user feeds back).
        from_yaml_str(&yaml, name).unwrap();
        insta::assert_snapshot!(format!("profile_dump_{name}"), yaml);
    }
}
