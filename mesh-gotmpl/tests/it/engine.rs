//! The Go text/template engine against Go's documented behaviour
//! (https://pkg.go.dev/text/template), one construct or function per test.

use crate::{data, exec_err, funcs, run};
use mesh_gotmpl::Template;
use serde_json::json;

#[test]
fn text_and_trim_markers() {
    // "{{- " trims all preceding white space, " -}}" all following.
    assert_eq!(run("a \n {{- \"b\" -}} \n c"), "abc");
    assert_eq!(run("{{/* a comment */}}x"), "x");
    assert_eq!(run("x {{- /* trimmed comment */ -}} y"), "xy");
}

#[test]
fn struct_fields_resolve_by_go_name() {
    assert_eq!(run("{{ .ObjectMeta.Name }}"), "web");
    assert_eq!(run("{{ (index .Spec.Containers 0).Name }}"), "app");
    // protobuf getters and enum String.
    assert_eq!(
        run("{{ .ProxyConfig.GetTracing.GetTlsSettings.GetCaCertificates }}"),
        "/etc/ca/root.pem"
    );
    assert_eq!(
        run("{{ .ProxyConfig.InterceptionMode.String }}"),
        "REDIRECT"
    );
    assert_eq!(
        run("{{ .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue }}"),
        "true"
    );
    // A struct field the data leaves out is the zero value.
    assert_eq!(run("[{{ .Spec.NodeName }}]"), "[]");
    assert_eq!(
        run("{{ if .ProxyConfig.GetTracing.GetZipkin.GetAddress }}y{{ else }}n{{ end }}"),
        "n"
    );
}

#[test]
fn missing_map_keys_are_no_value() {
    // Go prints an invalid value as "<no value>" and index of a missing key as the zero element.
    assert_eq!(run("{{ .Values.nope }}"), "<no value>");
    assert_eq!(run("{{ .Values.nope.deeper }}"), "<no value>");
    assert_eq!(run("{{ index .Values \"nope\" }}"), "<nil>");
    assert_eq!(run("[{{ index .ObjectMeta.Annotations \"nope\" }}]"), "[]");
    // eq of a missing value and "" is false (different kinds), with "" is true.
    assert_eq!(
        run("{{ eq .Values.nope \"\" }} {{ eq .Values.revision \"\" }}"),
        "false true"
    );
}

#[test]
fn numbers_from_values_are_float64() {
    // fmt %v of float64: shortest 'g' form, exponent from 1e6.
    assert_eq!(run("{{ .Values.global.proxy.statusPort }}"), "15020");
    assert_eq!(run("{{ .Values.global.proxy.big }}"), "1e+06");
    assert_eq!(run("{{ .Values.global.proxy.half }}"), "0.5");
    assert_eq!(run("{{ .ProxyUID }}"), "1337");
    // Go's eq refuses to compare float64 with an int constant.
    assert!(
        exec_err("{{ eq .Values.global.proxy.statusPort 15020 }}")
            .contains("incompatible types for comparison")
    );
    assert_eq!(
        run("{{ eq .Values.global.proxy.statusPort 15020.0 }}"),
        "true"
    );
}

#[test]
fn printing_maps_and_lists() {
    assert_eq!(run("{{ .Values.m }}"), "map[a:1 b:2]");
    assert_eq!(run("{{ .Values.global.proxy.list }}"), "[a b]");
    assert_eq!(run("{{ list 1 \"x\" true }}"), "[1 x true]");
}

#[test]
fn if_else_chains() {
    assert_eq!(
        run("{{ if false }}a{{ else if .ObjectMeta.Name }}b{{ else }}c{{ end }}"),
        "b"
    );
    assert_eq!(run("{{ if and 1 0 }}a{{ else }}b{{ end }}"), "b");
    // and/or return the deciding operand.
    assert_eq!(run("{{ or \"\" \"x\" }}{{ and \"y\" \"z\" }}"), "xz");
    assert_eq!(run("{{ not .Values.nope }}"), "true");
}

#[test]
fn with_sets_dot() {
    assert_eq!(
        run("{{ with .ObjectMeta.Labels.app }}{{ . }}{{ end }}"),
        "web"
    );
    assert_eq!(
        run("{{ with .Values.nope }}a{{ else with .ObjectMeta.Name }}{{ . }}{{ end }}"),
        "web"
    );
    assert_eq!(run("{{ with \"\" }}a{{ else }}b{{ end }}"), "b");
}

#[test]
fn range_over_lists_maps_and_ints() {
    assert_eq!(
        run("{{ range $i, $c := .Spec.Containers }}{{ $i }}={{ $c.Name }};{{ end }}"),
        "0=app;1=istio-proxy;"
    );
    // Maps range in sorted key order.
    assert_eq!(
        run("{{ range $k, $v := .Values.m }}{{ $k }}{{ $v }}{{ end }}"),
        "a1b2"
    );
    assert_eq!(
        run("{{ range .Values.nope }}x{{ else }}empty{{ end }}"),
        "empty"
    );
    assert_eq!(run("{{ range 3 }}{{ . }}{{ end }}"), "012");
    assert_eq!(
        run(
            "{{ range $v := list 1 2 3 4 }}{{ if eq $v 2 }}{{ continue }}{{ end }}{{ if eq $v 4 }}{{ break }}{{ end }}{{ $v }}{{ end }}"
        ),
        "13"
    );
}

#[test]
fn variables_and_scopes() {
    assert_eq!(
        run("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}"),
        "2"
    );
    assert_eq!(
        run(
            "{{ $l := list }}{{ range .Spec.Containers }}{{ $l = append $l .Name }}{{ end }}{{ $l | join \",\" }}"
        ),
        "app,istio-proxy"
    );
    assert_eq!(
        run("{{ range .Spec.Containers }}{{ $.ObjectMeta.Name }}{{ end }}"),
        "webweb"
    );
    assert!(exec_err("{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}").contains("undefined variable"));
}

#[test]
fn define_template_and_block() {
    assert_eq!(
        run("{{ define \"n\" }}[{{ . }}]{{ end }}{{ template \"n\" \"x\" }}"),
        "[x]"
    );
    assert_eq!(
        run("{{ block \"b\" .ObjectMeta.Name }}<{{ . }}>{{ end }}"),
        "<web>"
    );
    let deep = "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}";
    assert!(exec_err(deep).contains("maximum template depth"));
}

#[test]
fn pipelines_and_parens() {
    assert_eq!(
        run("{{ \"abc\" | upper | printf \"%s-%s\" \"x\" }}"),
        "x-ABC"
    );
    assert_eq!(
        run("{{ (index .Spec.Containers 0).ports }}"),
        "[map[containerPort:80 protocol:TCP]]"
    );
    assert_eq!(run("{{ len (index .Spec.Containers 0).Ports }}"), "1");
}

#[test]
fn builtin_functions() {
    assert_eq!(
        run("{{ len \"abc\" }} {{ index \"abc\" 1 }} {{ slice \"abcd\" 1 3 }}"),
        "3 98 bc"
    );
    assert_eq!(run("{{ print 1 2 \"a\" \"b\" 3 }}"), "1 2ab3");
    assert_eq!(run("{{ println \"a\" 1 }}"), "a 1\n");
    assert_eq!(
        run("{{ printf \"%d %q %v %t %05.1f %x\" 7 \"q\" .Values.m true 1.23456 255 }}"),
        "7 \"q\" map[a:1 b:2] true 001.2 ff"
    );
    assert_eq!(
        run("{{ eq 1 2 3 1 }} {{ ne \"a\" \"b\" }} {{ lt 1 2 }} {{ ge \"b\" \"a\" }}"),
        "true true true true"
    );
    assert_eq!(
        run("{{ html \"<a&b>\" }} {{ urlquery \"a b&c\" }} {{ js \"it's\" }}"),
        "&lt;a&amp;b&gt; a+b%26c it\\'s"
    );
}

#[test]
fn sprig_functions() {
    assert_eq!(
        run(
            "{{ .Values.nope | default \"d\" }} {{ \"\" | default \"e\" }} {{ \"v\" | default \"f\" }}"
        ),
        "d e v"
    );
    assert_eq!(
        run(
            "{{ empty .Values.nope }} {{ coalesce \"\" .Values.nope \"c\" }} {{ ternary \"y\" \"n\" false }}"
        ),
        "true c n"
    );
    assert_eq!(
        run(
            "{{ $d := dict \"a\" 1 \"b\" \"x\" }}{{ hasKey $d \"a\" }} {{ keys $d }} {{ get $d \"b\" }} {{ get $d \"z\" }}|"
        ),
        "true [a b] x |"
    );
    assert_eq!(
        run("{{ $d := dict }}{{ $_ := set $d \"k\" \"v\" }}{{ $d.k }}"),
        "v"
    );
    assert_eq!(
        run(
            "{{ pick (dict \"a\" 1 \"b\" 2) \"a\" }} {{ merge (dict \"a\" 1) (dict \"a\" 2 \"b\" 3) }}"
        ),
        "map[a:1] map[a:1 b:3]"
    );
    assert_eq!(
        run("{{ dict \"a\" \"<b>\" | toJson }}"),
        "{\"a\":\"\\u003cb\\u003e\"}"
    );
    assert_eq!(run("{{ (fromJson \"{\\\"n\\\": 1000000}\").n }}"), "1e+06");
    assert_eq!(
        run("{{ \"a: 1\" | quote }} {{ squote \"x\" }} {{ quote .Values.nope }}|"),
        "\"a: 1\" 'x' |"
    );
    assert_eq!(
        run(
            "{{ upper \"a\" }}{{ lower \"B\" }}{{ trim \"  c \" }}{{ trimPrefix \"x\" \"xd\" }}{{ trimSuffix \"-\" \"e-\" }}"
        ),
        "Abcde"
    );
    assert_eq!(
        run(
            "{{ hasPrefix \"a\" \"ab\" }} {{ hasSuffix \"b\" \"ab\" }} {{ contains \"/\" \"a/b\" }}"
        ),
        "true true true"
    );
    assert_eq!(
        run(
            "{{ replace \"a\" \"b\" \"aaa\" }} {{ splitList \",\" \"a,b\" }} {{ (split \",\" \"a,b\")._1 }} {{ join \"-\" (list 1 2) }}"
        ),
        "bbb [a b] b 1-2"
    );
    assert_eq!(
        run(
            "{{ atoi \"42\" }} {{ int \"7\" }} {{ int64 3.9 }} {{ float64 \"1.5\" }} {{ toString 5 }}"
        ),
        "42 7 3 1.5 5"
    );
    assert_eq!(
        run(
            "{{ add 1 2 3 }} {{ sub 5 2 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }} {{ max 1 5 2 }} {{ min 4 2 }}"
        ),
        "6 3 6 3 1 5 2"
    );
    assert_eq!(
        run("{{ until 3 }} {{ seq 3 }} {{ b64enc \"hi\" }} {{ b64dec \"aGk=\" }}"),
        "[0 1 2] 1 2 3 aGk= hi"
    );
    assert_eq!(
        run(
            "{{ first (list 1 2) }} {{ last (list 1 2) }} {{ concat (list 1) (list 2) }} {{ uniq (list 1 1 2) }} {{ sortAlpha (list \"b\" \"a\") }}"
        ),
        "1 2 [1 2] [1 2] [a b]"
    );
    assert_eq!(
        run("{{ trunc 3 \"abcdef\" }} {{ trunc -2 \"abcdef\" }} {{ \"abc\" | nindent 2 }}"),
        "abc ef \n  abc"
    );
    assert!(exec_err("{{ div 1 0 }}").contains("integer divide by zero"));
}

#[test]
fn errors_name_template_and_position() {
    let e = Template::parse("custom", "line1\n  {{ nosuch .X }}", &funcs())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("template: custom:2:6:"), "{e}");
    assert!(e.contains("function \"nosuch\" not defined"), "{e}");
    let e = Template::parse("custom", "{{ indnet 2 \"x\" }}", &funcs())
        .unwrap_err()
        .to_string();
    assert!(e.contains("did you mean \"indent\""), "{e}");
    let e = Template::parse("custom", "a\nb {{ .Values.nope.x | len }}", &funcs())
        .unwrap()
        .execute(&data())
        .unwrap_err()
        .to_string();
    // Go names the node being evaluated: here the call of `len`.
    assert!(
        e.starts_with("template: custom:2:23: executing \"custom\" at <len>: error calling len:"),
        "{e}"
    );
    for bad in [
        "{{ if }}",
        "{{ end }}",
        "{{ if true }}",
        "{{ .X",
        "{{ range }}{{ end }}",
        "{{ break }}",
        "{{ (1 }}",
        "{{ \"x }}",
    ] {
        assert!(Template::parse("t", bad, &funcs()).is_err(), "{bad}");
    }
}

#[test]
fn nil_pointer_field_is_an_error() {
    // A field of an explicit null inside a Go map: Go reports a nil pointer evaluation.
    let d = json!({"Values": {"n": null}});
    let e = Template::parse("t", "{{ .Values.n.x }}", &funcs())
        .unwrap()
        .execute(&d)
        .unwrap_err();
    assert!(e.to_string().contains("nil pointer evaluating"), "{e}");
}

#[test]
fn output_is_bounded() {
    // 25 million copies of 1 KB: the output limit is hit long before the step limit.
    let body = format!(
        "{{{{ range until 5000 }}}}{{{{ range until 5000 }}}}{}{{{{ end }}}}{{{{ end }}}}",
        "x".repeat(1024)
    );
    let e = Template::parse("t", &body, &funcs())
        .unwrap()
        .execute(&json!({}))
        .unwrap_err();
    assert!(e.to_string().contains("output exceeds"), "{e}");
}

#[test]
fn runaway_templates_fail_instead_of_stalling() {
    let data = serde_json::json!({});
    for body in [
        "{{range 100000000000}}{{end}}",
        "{{range until 1000}}{{range until 1000}}{{range until 1000}}{{end}}{{end}}{{end}}",
        "{{seq 9223372036854775807}}",
        "{{untilStep -9223372036854775808 9223372036854775807 1}}",
    ] {
        let t = Template::parse("runaway", body, &funcs()).unwrap();
        let err = t.execute(&data).unwrap_err().to_string();
        assert!(
            err.contains("steps") || err.contains("too large"),
            "{body}: {err}"
        );
    }
}
