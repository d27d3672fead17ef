//! Resolution of profile + `-f` files + `--set` flags into one IstioOperator, as istioctl
//! 1.30.3's `MergeInputs` does, then validation and the per-component chart values.
//!
//! Precedence: the `default` profile < the chosen profile < the compiled-in hub and tag < files
//! (left to right) < `--set` flags (in order). Then istioctl's translation: `spec.hub`, `tag`,
//! `revision`, `compatibilityVersion` and `meshConfig` are copied into `spec.values`, component
//! enablement into `values.pilot.enabled` / `values.pilot.cni.enabled`, and
//! `values.global.istioNamespace` decides `metadata.namespace`; finally the user's own
//! `spec.values` are applied again on top, so that what a user wrote always wins.

use crate::error::{API_VERSION, KIND, ResolveError, SourcedError};
use crate::profiles::{HUB, ProfileSource, TAG, builtin_json};
use crate::values_shape::operator_shape;
use crate::{ComponentValues, values};
use mesh_core::obj;
use mesh_core::path::{self, kind_name};
use mesh_core::{
    Path, SetFlag, ValidationError, Value, from_yaml_stream, merge_keep_nulls, overlay_operator,
};
use serde_json::json;

/// One `-f` file: its name (for messages) and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// The file name as the user gave it (`-` for stdin).
    pub name: String,
    /// The file's text.
    pub text: String,
}

/// Everything a user can pass to choose and customise an installation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inputs {
    /// `-f` files, in order.
    pub files: Vec<InputFile>,
    /// `--set` flags (`path=value`, relative to `spec`), in order.
    pub set_flags: Vec<String>,
    /// Where profiles come from.
    pub profiles: ProfileSource,
}

impl Inputs {
    /// Inputs with only `--set` flags.
    pub fn with_sets<I: IntoIterator<Item = S>, S: Into<String>>(flags: I) -> Self {
        Inputs {
            set_flags: flags.into_iter().map(Into::into).collect(),
            ..Inputs::default()
        }
    }
}

/// The outcome of resolution.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The merged, translated and validated IstioOperator (`unvalidatedValues` applied).
    pub operator: Value,
    /// The enabled component instances with their effective chart values, in install order.
    pub components: Vec<ComponentValues>,
}

impl Resolved {
    /// The install namespace (`metadata.namespace` of the merged operator).
    pub fn namespace(&self) -> &str {
        self.operator
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("istio-system")
    }
}

/// Merges the inputs, validates the result and computes every component's chart values.
pub fn resolve(inputs: &Inputs) -> Result<Resolved, ResolveError> {
    let mut operator = merge_inputs(inputs)?;
    // Like istioctl, unvalidatedValues join the values only after validation.
    if let Some(extra) = operator
        .pointer("/spec/unvalidatedValues")
        .filter(|v| v.is_object())
        .cloned()
    {
        merge_keep_nulls(&mut operator, obj! { "spec" => json!({"values": extra}) });
    }
    let components = values::component_values(&operator)?;
    Ok(Resolved {
        operator,
        components,
    })
}

/// Parsed user inputs: each file's document and each flag, kept apart for error attribution.
struct UserInputs {
    files: Vec<(String, Value)>,
    flags: Vec<SetFlag>,
}

/// Merges profile, files and flags into one validated IstioOperator (istioctl's `MergeInputs`
/// plus its validation). `unvalidatedValues` are not yet applied: see [`resolve`].
pub fn merge_inputs(inputs: &Inputs) -> Result<Value, ResolveError> {
    merge(inputs, false).map(|(merged, _)| merged)
}

/// The IstioOperator as a user writes it: the profile over the `default` profile, the release
/// hub and tag, then the files and flags, validated like [`merge_inputs`] but without the
/// translation into chart values (`values.global.hub`, `values.pilot.cni`, `values.meshConfig`,
/// ...). This is what `profile dump` prints: editing any field of it and passing it back with
/// `-f` has the same effect as giving that change with `--set`, because no translated copy of a
/// field is there to win over the edit.
pub fn user_facing_operator(inputs: &Inputs) -> Result<Value, ResolveError> {
    merge(inputs, true).map(|(_, user_facing)| user_facing.unwrap_or_default())
}

/// [`merge_inputs`], and with `keep_user_facing` a copy of the document before translation.
fn merge(inputs: &Inputs, keep_user_facing: bool) -> Result<(Value, Option<Value>), ResolveError> {
    let user = parse_user_inputs(inputs)?;
    let shape = operator_shape();

    // Check each input on its own first, so that errors name the file or flag at fault.
    let mut errors: Vec<SourcedError> = Vec::new();
    for (name, doc) in &user.files {
        errors.extend(schema_errors(doc, shape).map(|e| SourcedError {
            source: Some(name.clone()),
            error: e,
        }));
    }
    for flag in &user.flags {
        let mut doc = obj! { "spec" => json!({}) };
        // A flag that cannot be applied to an empty document is reported when merging.
        if path::set(&mut doc, &flag.path.prefixed(&["spec"]), flag.value.clone()).is_ok() {
            errors.extend(schema_errors(&doc, shape).map(|e| SourcedError {
                source: Some(format!("--set {}", flag_text(flag))),
                error: e,
            }));
        }
    }
    if !errors.is_empty() {
        return Err(ResolveError::Invalid(errors));
    }

    let mut user_config = obj! { "apiVersion" => "install.istio.io/v1alpha1", "kind" => "IstioOperator", "metadata" => json!({}), "spec" => json!({}) };
    for (_, doc) in &user.files {
        overlay_operator(&mut user_config, doc.clone());
    }
    for flag in &user.flags {
        path::set_flag(
            &mut user_config,
            &flag.path.prefixed(&["spec"]),
            flag.value.clone(),
        )
        .map_err(|source| ResolveError::SetPath {
            flag: flag_text(flag),
            source,
        })?;
    }

    let profile = user_config
        .pointer("/spec/profile")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let user_values = user_config.pointer("/spec/values").cloned();
    let mut merged = read_profile(&inputs.profiles, &profile).map_err(|e| match e {
        ResolveError::UnknownProfile { .. } => match profile_source(&user) {
            Some(input) => ResolveError::InInput {
                input,
                source: Box::new(e),
            },
            None => e,
        },
        e => e,
    })?;
    for (k, v) in [("hub", HUB), ("tag", TAG)] {
        set_spec(&mut merged, k, Value::from(v));
    }
    overlay_operator(&mut merged, user_config);
    let user_facing = keep_user_facing.then(|| merged.clone());
    translate(&mut merged);
    if let Some(v) = user_values {
        merge_keep_nulls(&mut merged, obj! { "spec" => json!({"values": v}) });
    }

    let errors: Vec<SourcedError> = mesh_core::operator::validate(&merged, shape)
        .into_iter()
        .map(|error| SourcedError {
            source: source_of(&error, &user),
            error,
        })
        .collect();
    if !errors.is_empty() {
        return Err(ResolveError::Invalid(errors));
    }
    Ok((merged, user_facing))
}

fn flag_text(flag: &SetFlag) -> String {
    format!(
        "{}={}",
        flag.raw_path,
        match &flag.value {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        }
    )
}

fn schema_errors(doc: &Value, shape: &mesh_core::Shape) -> impl Iterator<Item = ValidationError> {
    mesh_core::operator::validate_structure(doc, shape).into_iter()
}

fn parse_user_inputs(inputs: &Inputs) -> Result<UserInputs, ResolveError> {
    let mut files = Vec::new();
    for f in &inputs.files {
        let mut docs = from_yaml_stream(&f.text, &f.name)?;
        if docs.len() > 1 {
            return Err(ResolveError::MultipleDocuments {
                file: f.name.clone(),
                count: docs.len(),
            });
        }
        let mut doc = docs.pop().unwrap_or_else(|| json!({}));
        if !doc.is_object() {
            return Err(ResolveError::NotAMap {
                file: f.name.clone(),
                found: kind_name(&doc),
            });
        }
        check_kind(&f.name, &doc)?;
        // As istioctl: an empty `spec:` is allowed and means nothing.
        if doc.get("spec").is_some_and(Value::is_null)
            && let Value::Object(m) = &mut doc
        {
            m.remove("spec");
        }
        files.push((f.name.clone(), doc));
    }
    let flags = inputs
        .set_flags
        .iter()
        .map(|s| s.parse::<SetFlag>())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(UserInputs { files, flags })
}

/// Refuses a document that says it is something else than an IstioOperator. A document
/// without `apiVersion` and `kind` is taken as an IstioOperator (a bare `spec:` is common).
fn check_kind(file: &str, doc: &Value) -> Result<(), ResolveError> {
    let field = |name: &str| {
        doc.get(name).filter(|v| !v.is_null()).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    let (api_version, kind) = (field("apiVersion"), field("kind"));
    let wrong = api_version.as_deref().is_some_and(|v| v != API_VERSION)
        || kind.as_deref().is_some_and(|k| k != KIND);
    if !wrong {
        return Ok(());
    }
    let found = match (kind, api_version) {
        (Some(k), Some(v)) => format!("kind {k} (apiVersion {v})"),
        (Some(k), None) => format!("kind {k}"),
        (None, Some(v)) => format!("apiVersion {v}"),
        (None, None) => String::new(),
    };
    Err(ResolveError::WrongKind {
        file: file.to_string(),
        found,
    })
}

/// The `default` profile with `profile` merged over it.
fn read_profile(source: &ProfileSource, profile: &str) -> Result<Value, ResolveError> {
    let profile = if profile.is_empty() {
        "default"
    } else {
        profile
    };
    let mut base = parse_profile(source, "default")?;
    if profile != "default" {
        let top = parse_profile(source, profile)?;
        overlay_operator(&mut base, top);
    }
    Ok(base)
}

fn parse_profile(source: &ProfileSource, name: &str) -> Result<Value, ResolveError> {
    // A built-in profile is read from its JSON form (the same tree, parsed faster); an empty
    // document is an empty mapping, as below.
    if let (ProfileSource::Builtin, Some((file, json))) = (source, builtin_json(name)) {
        let doc: Value = serde_json::from_str(json).map_err(|e| {
            ResolveError::Values(values::ValuesError::EmbeddedData {
                file: format!("profiles/{name}.yaml"),
                source: std::sync::Arc::new(e),
            })
        })?;
        return match doc {
            Value::Null => Ok(json!({})),
            doc if doc.is_object() => Ok(doc),
            doc => Err(ResolveError::NotAMap {
                file,
                found: kind_name(&doc),
            }),
        };
    }
    let (file, text) = source.read(name)?;
    let mut docs = from_yaml_stream(&text, &file)?;
    match docs.pop() {
        Some(doc) if doc.is_object() && docs.is_empty() => Ok(doc),
        Some(doc) if docs.is_empty() => Err(ResolveError::NotAMap {
            file,
            found: kind_name(&doc),
        }),
        Some(_) => Err(ResolveError::MultipleDocuments {
            file,
            count: docs.len() + 1,
        }),
        None => Ok(json!({})),
    }
}

fn set_spec(doc: &mut Value, key: &str, value: Value) {
    if let Some(Value::Object(spec)) = doc.get_mut("spec") {
        spec.insert(key.to_string(), value);
    } else if let Value::Object(m) = doc {
        m.insert("spec".to_string(), json!({ key: value }));
    }
}

/// istioctl's `translateIstioOperatorToHelm`.
fn translate(doc: &mut Value) {
    for (from, to) in [
        ("hub", "values.global.hub"),
        ("tag", "values.global.tag"),
        ("revision", "values.revision"),
        ("compatibilityVersion", "values.compatibilityVersion"),
    ] {
        let Some(v) = doc
            .pointer(&format!("/spec/{from}"))
            .filter(|v| !v.is_null())
            .cloned()
        else {
            continue;
        };
        // istioctl re-reads the value as a --set flag, so it is typed again (`revision: "1"` -> 1),
        // except on the always-string paths.
        let text = match v {
            Value::String(s) => s,
            other => other.to_string(),
        };
        if let Ok(flag) = format!("{to}={text}").parse::<SetFlag>() {
            let _ = path::set(doc, &flag.path.prefixed(&["spec"]), flag.value);
        }
    }
    if let Some(mesh) = doc
        .pointer("/spec/meshConfig")
        .filter(|v| v.is_object())
        .cloned()
    {
        merge_keep_nulls(
            doc,
            obj! { "spec" => json!({"values": {"meshConfig": mesh}}) },
        );
    }
    let enabled = |doc: &Value, c: &str| {
        doc.pointer(&format!("/spec/components/{c}/enabled"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let pilot = enabled(doc, "pilot");
    let cni = enabled(doc, "cni");
    for (p, v) in [
        ("values.pilot.enabled", pilot),
        ("values.pilot.cni.enabled", cni),
    ] {
        if let Ok(path) = p.parse::<Path>() {
            let _ = path::set(doc, &path.prefixed(&["spec"]), Value::Bool(v));
        }
    }
    if let Some(ns) = doc
        .pointer("/spec/values/global/istioNamespace")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        let ns = ns.to_string();
        merge_keep_nulls(doc, obj! { "metadata" => json!({"namespace": ns}) });
    }
}

/// Which user input chose the profile: the last `--set profile=` flag, else the last file
/// that sets `spec.profile`.
fn profile_source(user: &UserInputs) -> Option<String> {
    if let Some(flag) = user.flags.iter().rev().find(|f| f.raw_path == "profile") {
        return Some(format!("--set {}", flag_text(flag)));
    }
    user.files
        .iter()
        .rev()
        .find(|(_, doc)| doc.pointer("/spec/profile").is_some())
        .map(|(n, _)| n.clone())
}

/// Which user input set the value an error is about: the last flag whose path is a prefix of
/// the error's path (or the reverse), else the last file that holds the path.
fn source_of(error: &ValidationError, user: &UserInputs) -> Option<String> {
    let rel = error.path.strip_prefix("spec.").unwrap_or(&error.path);
    if let Some(flag) = user
        .flags
        .iter()
        .rev()
        .find(|f| rel.starts_with(&f.raw_path) || f.raw_path.starts_with(rel))
    {
        return Some(format!("--set {}", flag_text(flag)));
    }
    let p = error.path.parse::<Path>().ok()?;
    user.files
        .iter()
        .rev()
        .find(|(_, doc)| path::get(doc, &p).is_some())
        .map(|(n, _)| n.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(flags: &[&str]) -> Value {
        merge_inputs(&Inputs::with_sets(flags.iter().copied())).unwrap()
    }

    #[test]
    fn default_profile_gets_compiled_hub_and_tag() {
        let m = merged(&[]);
        assert_eq!(m.pointer("/spec/hub"), Some(&json!("docker.io/istio")));
        assert_eq!(
            m.pointer("/spec/values/global/hub"),
            Some(&json!("docker.io/istio"))
        );
        assert_eq!(m.pointer("/spec/values/global/tag"), Some(&json!("1.30.3")));
        assert_eq!(m.pointer("/spec/values/pilot/enabled"), Some(&json!(true)));
        assert_eq!(
            m.pointer("/spec/values/pilot/cni/enabled"),
            Some(&json!(false))
        );
        assert_eq!(
            m.pointer("/metadata/namespace"),
            Some(&json!("istio-system"))
        );
    }

    #[test]
    fn set_beats_file_beats_profile() {
        let inputs = Inputs {
            files: vec![InputFile {
                name: "a.yaml".into(),
                text: "spec:\n  values:\n    pilot:\n      traceSampling: 5\n".into(),
            }],
            set_flags: vec!["values.pilot.traceSampling=50".into()],
            profiles: ProfileSource::Builtin,
        };
        let m = merge_inputs(&inputs).unwrap();
        assert_eq!(
            m.pointer("/spec/values/pilot/traceSampling"),
            Some(&json!(50))
        );
    }

    #[test]
    fn files_merge_left_to_right() {
        let file = |n: &str, t: &str| InputFile {
            name: n.into(),
            text: t.into(),
        };
        let inputs = Inputs {
            files: vec![
                file("a.yaml", "spec:\n  revision: a\n  tag: x\n"),
                file("b.yaml", "spec:\n  revision: b\n"),
            ],
            ..Inputs::default()
        };
        let m = merge_inputs(&inputs).unwrap();
        assert_eq!(m.pointer("/spec/revision"), Some(&json!("b")));
        assert_eq!(m.pointer("/spec/values/revision"), Some(&json!("b")));
        assert_eq!(m.pointer("/spec/values/global/tag"), Some(&json!("x")));
    }

    #[test]
    fn profile_from_set_or_file() {
        let m = merged(&["profile=demo"]);
        assert_eq!(m.pointer("/spec/values/profile"), Some(&json!("demo")));
        assert_eq!(
            m.pointer("/spec/components/egressGateways/0/enabled"),
            Some(&json!(true))
        );
        let inputs = Inputs {
            files: vec![InputFile {
                name: "f.yaml".into(),
                text: "spec:\n  profile: minimal\n".into(),
            }],
            ..Inputs::default()
        };
        let m = merge_inputs(&inputs).unwrap();
        assert_eq!(
            m.pointer("/spec/components/ingressGateways/0/enabled"),
            Some(&json!(false))
        );
    }

    #[test]
    fn translation_copies_spec_fields_into_values() {
        let m = merged(&[
            "revision=canary",
            "compatibilityVersion=1.28",
            "meshConfig.accessLogFile=/dev/stdout",
            "components.cni.enabled=true",
        ]);
        assert_eq!(m.pointer("/spec/values/revision"), Some(&json!("canary")));
        assert_eq!(
            m.pointer("/spec/values/compatibilityVersion"),
            Some(&json!("1.28"))
        );
        assert_eq!(
            m.pointer("/spec/values/meshConfig/accessLogFile"),
            Some(&json!("/dev/stdout"))
        );
        assert_eq!(
            m.pointer("/spec/values/pilot/cni/enabled"),
            Some(&json!(true))
        );
    }

    #[test]
    fn user_values_win_over_translation() {
        let m = merged(&["values.pilot.cni.enabled=true"]);
        assert_eq!(
            m.pointer("/spec/values/pilot/cni/enabled"),
            Some(&json!(true))
        );
        assert_eq!(m.pointer("/spec/components/cni/enabled"), None);
    }

    #[test]
    fn istio_namespace_sets_metadata_namespace() {
        let m = merged(&["values.global.istioNamespace=mesh-system"]);
        assert_eq!(
            m.pointer("/metadata/namespace"),
            Some(&json!("mesh-system"))
        );
    }

    #[test]
    fn errors_name_the_file_or_flag() {
        let inputs = Inputs {
            files: vec![InputFile {
                name: "my.yaml".into(),
                text: "spec:\n  componets: {}\n".into(),
            }],
            set_flags: vec!["revison=x".into()],
            ..Inputs::default()
        };
        let err = merge_inputs(&inputs).unwrap_err().to_string();
        assert!(
            err.contains("my.yaml: spec.componets: unknown field (did you mean \"components\"?)"),
            "{err}"
        );
        assert!(
            err.contains(
                "--set revison=x: spec.revison: unknown field (did you mean \"revision\"?)"
            ),
            "{err}"
        );
    }

    #[test]
    fn semantic_errors_are_attributed() {
        let err = merge_inputs(&Inputs::with_sets(["revision=Bad_Rev"]))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("--set revision=Bad_Rev: spec.revision: invalid revision"),
            "{err}"
        );
    }

    #[test]
    fn bad_files() {
        let one = |t: &str| Inputs {
            files: vec![InputFile {
                name: "x.yaml".into(),
                text: t.into(),
            }],
            ..Inputs::default()
        };
        let err = merge_inputs(&one("a: [1")).unwrap_err();
        assert!(matches!(&err, ResolveError::Yaml(e) if e.source_name == "x.yaml"));
        assert_eq!(
            err.to_string(),
            r#"x.yaml:1:4: unclosed "[" (close the list with "]")"#
        );
        assert!(matches!(
            merge_inputs(&one("spec: {}\n---\nspec: {}\n")),
            Err(ResolveError::MultipleDocuments { count: 2, .. })
        ));
        assert!(matches!(
            merge_inputs(&one("- a\n")),
            Err(ResolveError::NotAMap { found: "list", .. })
        ));
        assert!(merge_inputs(&one("")).is_ok());
        assert!(merge_inputs(&one("spec:\n")).is_ok());
    }

    #[test]
    fn other_kinds_are_refused() {
        let one = |t: &str| {
            merge_inputs(&Inputs {
                files: vec![InputFile {
                    name: "x.yaml".into(),
                    text: t.into(),
                }],
                ..Inputs::default()
            })
        };
        let expected = "x.yaml: expected an IstioOperator (apiVersion install.istio.io/v1alpha1, \
                        kind IstioOperator), found ";
        for (text, found) in [
            ("apiVersion: v1\nkind: Pod\n", "kind Pod (apiVersion v1)"),
            (
                "apiVersion: install.istio.io/v1alpha1\nkind: Pod\n",
                "kind Pod (apiVersion install.istio.io/v1alpha1)",
            ),
            ("kind: Deployment\nspec: {}\n", "kind Deployment"),
            (
                "apiVersion: install.istio.io/v1\n",
                "apiVersion install.istio.io/v1",
            ),
            ("kind: 3\n", "kind 3"),
        ] {
            let err = one(text).unwrap_err();
            assert!(matches!(err, ResolveError::WrongKind { .. }), "{err}");
            assert_eq!(err.to_string(), format!("{expected}{found}"));
        }
        for ok in [
            "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec: {}\n",
            "kind: IstioOperator\n",
            "apiVersion: install.istio.io/v1alpha1\n",
            "spec:\n  profile: demo\n",
        ] {
            assert!(one(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn bad_selector_and_unknown_profile() {
        let err = merge_inputs(&Inputs::with_sets([
            "components.ingressGateways[name:nope].enabled=true",
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("[name:nope]"), "{err}");
        let err = merge_inputs(&Inputs::with_sets(["profile=dmeo"])).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "--set profile=dmeo: unknown profile \"dmeo\" (did you mean \"demo\"?)"
            ),
            "{err}"
        );
    }
}
