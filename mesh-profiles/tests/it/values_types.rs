//! Every typed leaf of `spec.values`: a value of the right type resolves, a value of a wrong type
//! is refused with the flag or file, the path, what was expected and what was given.

use mesh_core::schema::{Shape, Step};
use mesh_core::{SetFlag, Value};
use mesh_profiles::{InputFile, Inputs, ResolveError, merge_inputs, resolve, values_shape};
use serde_json::json;

/// One leaf made concrete: its dotted path below `spec.values` and the steps to it.
struct Leaf<'a> {
    path: String,
    steps: Vec<Step>,
    shape: &'a Shape,
}

/// The typed leaves of the values schema, with a concrete name for free keys (the default
/// ingress gateway under `gateways`, `k` elsewhere) and index 0 for list items.
fn leaves() -> Vec<Leaf<'static>> {
    values_shape()
        .leaves()
        .into_iter()
        .map(|(steps, shape)| {
            let mut path = String::new();
            for (i, step) in steps.iter().enumerate() {
                match step {
                    Step::AnyItem => path.push_str("[0]"),
                    Step::Field(name) => push_key(&mut path, name),
                    Step::AnyKey if i == 1 && steps[0] == Step::Field("gateways".into()) => {
                        push_key(&mut path, "istio-ingressgateway");
                    }
                    Step::AnyKey => push_key(&mut path, "k"),
                }
            }
            Leaf { path, steps, shape }
        })
        .collect()
}

fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

impl Leaf<'_> {
    /// `spec.values` holding `value` at this leaf, as an IstioOperator document.
    fn document(&self, value: Value) -> Value {
        let mut v = value;
        let mut keys = self.path_keys().into_iter().rev();
        for step in self.steps.iter().rev() {
            v = match step {
                Step::AnyItem => json!([v]),
                _ => {
                    let mut m = serde_json::Map::new();
                    m.insert(keys.next().unwrap_or_default(), v);
                    Value::Object(m)
                }
            };
        }
        json!({"spec": {"values": v}})
    }

    /// The map keys along the path (list indices left out).
    fn path_keys(&self) -> Vec<String> {
        self.path
            .replace("[0]", "")
            .split('.')
            .map(str::to_string)
            .collect()
    }

    /// Inputs setting `value` at this leaf: a `--set` flag when one types its text as `value`,
    /// else a `-f` file.
    fn inputs(&self, value: &Value) -> Inputs {
        if !self.path.contains('[') {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let flag = format!("values.{}={text}", self.path);
            if flag.parse::<SetFlag>().is_ok_and(|f| &f.value == value) {
                return Inputs::with_sets([flag]);
            }
        }
        Inputs {
            files: vec![InputFile {
                name: "leaf.yaml".into(),
                text: self.document(value.clone()).to_string(),
            }],
            ..Inputs::default()
        }
    }

    /// A value of the right type, chosen to pass the semantic checks of its path too.
    fn right(&self) -> Value {
        let name = self.path.rsplit('.').next().unwrap_or_default();
        match self.shape {
            Shape::Bool => json!(false),
            Shape::Integer { .. } | Shape::Int => json!(1),
            Shape::Float | Shape::Number => json!(0.5),
            Shape::Duration => json!("90s"),
            Shape::Quantity => json!("250m"),
            Shape::IntOrString => json!("25%"),
            Shape::Enum(names) => json!(names[names.len() - 1]),
            _ => json!(match name {
                "includeIPRanges" | "excludeIPRanges" => "10.0.0.0/8",
                n if n.ends_with("boundPorts") => "8080",
                "profile" => "default",
                "compatibilityVersion" => "1.28",
                "platform" => "gke",
                _ => "x",
            }),
        }
    }

    /// Values of wrong types (or out of range) for this leaf.
    fn wrong(&self) -> Vec<Value> {
        match self.shape {
            Shape::Bool => vec![json!("maybe"), json!(1)],
            Shape::Integer { min, .. } if *min >= 0 => vec![json!("two"), json!(1.5), json!(-1)],
            Shape::Integer { .. } | Shape::Int => vec![json!("two"), json!(1.5)],
            Shape::Float | Shape::Number => vec![json!("abc"), json!(true)],
            Shape::Duration => vec![json!("abc"), json!(30)],
            Shape::Quantity => vec![json!("abc"), json!(true)],
            Shape::IntOrString => vec![json!(true), json!({"a": 1})],
            Shape::Enum(_) => vec![json!("bogus"), json!(true)],
            _ => vec![json!(["x"]), json!({"a": "b"})],
        }
    }
}

#[test]
fn every_typed_leaf_accepts_its_type_and_refuses_others() {
    let leaves = leaves();
    let mut checked = 0;
    let mut failures = Vec::new();
    for leaf in &leaves {
        let right = leaf.right();
        if let Err(e) = resolve(&leaf.inputs(&right)) {
            failures.push(format!("{} = {right}: refused: {e}", leaf.path));
        }
        for wrong in leaf.wrong() {
            let expected = format!("spec.values.{}: expected ", leaf.path);
            match merge_inputs(&leaf.inputs(&wrong)) {
                Err(ResolveError::Invalid(errs))
                    if errs.len() == 1
                        && errs[0].source.is_some()
                        && errs[0].to_string().contains(&expected) => {}
                other => failures.push(format!("{} = {wrong}: {other:?}", leaf.path)),
            }
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every leaf istioctl types, and those the charts add: a floor that catches a lost table.
    assert!(checked > 340, "only {checked} leaves");
    eprintln!("typed leaves checked: {checked}");
}

fn error_lines(flags: &[&str]) -> Vec<String> {
    match merge_inputs(&Inputs::with_sets(flags.iter().copied())) {
        Err(ResolveError::Invalid(errs)) => errs.iter().map(ToString::to_string).collect(),
        other => panic!("{flags:?}: {other:?}"),
    }
}

#[test]
fn issue_examples_are_refused_with_readable_messages() {
    assert_eq!(
        error_lines(&[
            "values.pilot.replicaCount=two",
            "values.pilot.autoscaleEnabled=false",
            "values.pilot.traceSampling=abc",
            "values.pilot.keepaliveMaxServerConnectionAge=10",
            "values.global.proxy.tracer=zipkn",
            "values.global.proxy.resources.requests.cpu=lots",
            "values.gateways.istio-ingressgateway.autoscaleMax=-3",
        ]),
        [
            "--set values.pilot.replicaCount=two: spec.values.pilot.replicaCount: expected an integer, got the string \"two\"",
            "--set values.pilot.traceSampling=abc: spec.values.pilot.traceSampling: expected a number, got the string \"abc\"",
            "--set values.pilot.keepaliveMaxServerConnectionAge=10: spec.values.pilot.keepaliveMaxServerConnectionAge: expected a duration such as \"30s\", \"5m\" or \"1h30m\", got the integer 10",
            "--set values.global.proxy.tracer=zipkn: spec.values.global.proxy.tracer: expected one of \"zipkin\", \"lightstep\", \"datadog\", \"stackdriver\", \"openCensusAgent\", \"none\" (did you mean \"zipkin\"?), got the string \"zipkn\"",
            "--set values.global.proxy.resources.requests.cpu=lots: spec.values.global.proxy.resources.requests.cpu: expected a quantity such as \"500m\", \"2\" or \"128Mi\", got the string \"lots\"",
            "--set values.gateways.istio-ingressgateway.autoscaleMax=-3: spec.values.gateways.istio-ingressgateway.autoscaleMax: expected an integer from 0 to 4294967295, got the integer -3",
        ]
    );
}

#[test]
fn files_name_themselves_and_every_problem() {
    let inputs = Inputs {
        files: vec![InputFile {
            name: "bad.yaml".into(),
            text: "spec:\n  values:\n    pilot:\n      replicaCount: 1.5\n      env: [a]\n    global:\n      proxy:\n        statusPort: \"15020\"\n        readinessPeriodSeconds: soon\n".into(),
        }],
        ..Inputs::default()
    };
    let Err(ResolveError::Invalid(errs)) = merge_inputs(&inputs) else {
        panic!("accepted");
    };
    let lines: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "bad.yaml: spec.values.global.proxy.readinessPeriodSeconds: expected an integer, got the string \"soon\"",
            "bad.yaml: spec.values.pilot.env: expected a map, got a list",
            "bad.yaml: spec.values.pilot.replicaCount: expected an integer, got the number 1.5",
        ]
    );
}

#[test]
fn values_istio_accepts_stay_accepted() {
    let ok = [
        // protobuf JSON reads integers and floats from strings too.
        "spec:\n  values:\n    pilot:\n      replicaCount: \"3\"\n      traceSampling: \"0.5\"\n",
        // Durations in Go's notation, quantities as numbers or strings, free-form structs.
        "spec:\n  values:\n    pilot:\n      keepaliveMaxServerConnectionAge: 1h30m\n      resources:\n        requests:\n          cpu: 2\n          memory: 1.5Gi\n      env:\n        A: 1\n",
        // IntOrString, enumerations by name or number, gateway ports.
        "spec:\n  values:\n    pilot:\n      rollingMaxSurge: 2\n      rollingMaxUnavailable: 50%\n    global:\n      proxy:\n        tracer: 2\n      resourceScope: cluster\n    gateways:\n      istio-ingressgateway:\n        ports:\n        - port: 80\n          targetPort: \"8080\"\n          name: http2\n",
        // Text fields take numbers as their text (as Helm prints them).
        "spec:\n  values:\n    global:\n      network: 1\n",
    ];
    for text in ok {
        let inputs = Inputs {
            files: vec![InputFile {
                name: "ok.yaml".into(),
                text: text.into(),
            }],
            ..Inputs::default()
        };
        if let Err(e) = resolve(&inputs) {
            panic!("{text}: {e}");
        }
    }
}
