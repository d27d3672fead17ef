//! `profile dump` output is valid input: dumping a profile, reading the dump back with `-f`
//! (YAML and JSON) or as `--set` flags resolves to the same IstioOperator, for every profile,
//! both as the user writes it and translated. The dump carries no translated copies of `spec`
//! fields. Plus reviewed snapshots of each profile's dump.

use mesh_core::from_yaml_str;
use mesh_profiles::{
    BUILTIN, DumpFormat, InputFile, Inputs, dump, merge_inputs, user_facing_operator,
};

fn profile_inputs(profile: &str) -> Inputs {
    Inputs::with_sets([format!("profile={profile}")])
}

/// What `profile dump NAME` prints.
fn resolved(profile: &str) -> mesh_core::Value {
    user_facing_operator(&profile_inputs(profile)).unwrap()
}

/// The translated IstioOperator of a profile.
fn merged(profile: &str) -> mesh_core::Value {
    merge_inputs(&profile_inputs(profile)).unwrap()
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
            let again =
                user_facing_operator(&inputs).unwrap_or_else(|e| panic!("{name} {format:?}: {e}"));
            assert_eq!(again, original, "profile {name}, format {format:?}");
            let translated = merge_inputs(&inputs).unwrap();
            assert_eq!(
                translated,
                merged(name),
                "profile {name}, format {format:?}"
            );
        }
    }
}

#[test]
fn flag_dumps_read_back_as_set_flags() {
    for (name, _) in BUILTIN {
        let original = resolved(name);
        let text = dump(&original, None, DumpFormat::Flags).unwrap();
        let flags = Inputs::with_sets(text.lines());
        let again = user_facing_operator(&flags).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(again, original, "profile {name}");
        assert_eq!(
            merge_inputs(&flags).unwrap(),
            merged(name),
            "profile {name}"
        );
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

/// The translation's copies of spec fields (hub, tag, component switches, mesh config) are not
/// in a dump: they would win over a user's edit of the spec field when read back.
#[test]
fn dumps_have_no_translated_copies() {
    for (name, _) in BUILTIN {
        let dump = resolved(name);
        for pointer in [
            "/spec/values/global/hub",
            "/spec/values/global/tag",
            "/spec/values/pilot/cni",
            "/spec/values/revision",
            "/spec/values/meshConfig",
        ] {
            assert_eq!(dump.pointer(pointer), None, "{name}: {pointer} in the dump");
        }
        assert!(dump.pointer("/spec/hub").is_some(), "{name}");
        // The translated document does carry them.
        assert!(merged(name).pointer("/spec/values/global/hub").is_some());
    }
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
