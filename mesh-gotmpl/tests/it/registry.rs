//! The function registry: which names a template may call, custom functions, replacement,
//! and "did you mean" drawn from the registry a template is parsed with.

use crate::data;
use mesh_gotmpl::{FuncError, Funcs, Template, Val, arity};

fn parse_err(body: &str, funcs: &Funcs) -> String {
    Template::parse("t", body, funcs).unwrap_err().to_string()
}

#[test]
fn go_alone_has_no_sprig() {
    let go = Funcs::go();
    assert!(go.contains("printf") && go.contains("and"));
    assert!(!go.contains("default"));
    let e = parse_err("{{ default \"a\" .X }}", &go);
    assert_eq!(e, "template: t:1:4: function \"default\" not defined");
    assert!(Funcs::go().with_sprig().contains("default"));
}

#[test]
fn custom_functions_are_called_with_go_values() {
    let funcs = Funcs::go().with("portOf", |args| {
        arity("portOf", &args, 1, 1)?;
        let port = args[0].clone().field("statusPort")?;
        Ok(Val::str(format!("port={port}")))
    });
    let t = Template::parse("t", "{{ portOf .Values.global.proxy }}", &funcs).unwrap();
    assert_eq!(t.execute(&data()).unwrap(), "port=15020");
    let e = Template::parse("t", "{{ portOf \"x\" }}", &funcs)
        .unwrap()
        .execute(&data())
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with("error calling portOf: can't evaluate field statusPort in type string"),
        "{e}"
    );
}

#[test]
fn function_errors_name_the_call() {
    let funcs = Funcs::go().with("boom", |_| Err(FuncError::new("no luck")));
    let e = Template::parse("t", "x\n{{ boom }}", &funcs)
        .unwrap()
        .execute(&data())
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "template: t:2:4: executing \"t\" at <boom>: error calling boom: no luck"
    );
    let e = Template::parse(
        "t",
        "{{ boom 1 }}",
        &funcs.with("boom", |a| {
            arity("boom", &a, 0, 0)?;
            Ok(Val::Nil)
        }),
    )
    .unwrap()
    .execute(&data())
    .unwrap_err()
    .to_string();
    assert!(
        e.ends_with("error calling boom: wrong number of args for boom: want 0 got 1"),
        "{e}"
    );
}

#[test]
fn later_registrations_replace_earlier_ones() {
    let funcs = Funcs::go().with_sprig().with("upper", |a| {
        Ok(Val::str(a[0].expect_string()?.to_lowercase()))
    });
    let t = Template::parse("t", "{{ upper \"AbC\" }}", &funcs).unwrap();
    assert_eq!(t.execute(&data()).unwrap(), "abc");
}

#[test]
fn suggestions_come_from_the_registry() {
    let funcs = Funcs::go().with("annotationOf", |_| Ok(Val::Nil));
    let e = parse_err("{{ anotationOf . }}", &funcs);
    assert!(e.contains("(did you mean \"annotationOf\"?)"), "{e}");
    let e = parse_err("{{ anotationOf . }}", &Funcs::go());
    assert!(!e.contains("did you mean"), "{e}");
}
