//! Resolution speed: the demo profile with two `-f` files and 20 `--set` flags.
//!
//! Baseline in the same run: parsing the two files' YAML only, so the figure to report is the
//! ratio "resolve / parse". `merge_inputs` is the IstioOperator alone; `resolve` adds the chart
//! values of every component.

use criterion::{Criterion, criterion_group, criterion_main};
use mesh_profiles::{InputFile, Inputs, merge_inputs, resolve};
use std::hint::black_box;

const FILE_A: &str = "apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
spec:
  profile: demo
  meshConfig:
    accessLogFile: /dev/stdout
    enableTracing: true
  components:
    ingressGateways:
    - name: istio-ingressgateway
      enabled: true
    - name: internal-ingressgateway
      namespace: istio-ingress
      enabled: true
      label:
        istio: internal-ingressgateway
  values:
    global:
      logging:
        level: default:warn
";

const FILE_B: &str = "spec:
  components:
    pilot:
      k8s:
        resources:
          requests:
            cpu: 500m
            memory: 2Gi
        env:
        - name: PILOT_TRACE_SAMPLING
          value: \"10\"
  values:
    pilot:
      autoscaleEnabled: false
      replicaCount: 2
";

fn sets() -> Vec<String> {
    let mut s: Vec<String> = vec![
        "values.global.proxy.resources.requests.cpu=50m",
        "values.global.proxy.resources.requests.memory=64Mi",
        "values.global.proxy.resources.limits.cpu=500m",
        "values.global.proxy.resources.limits.memory=256Mi",
        "values.global.imagePullPolicy=Always",
        "values.global.imagePullSecrets[0]=regcred",
        "values.global.meshID=mesh1",
        "values.global.multiCluster.clusterName=cluster1",
        "values.global.network=network1",
        "values.pilot.traceSampling=12.5",
        "values.pilot.env.PILOT_PUSH_THROTTLE=50",
        "meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE=true",
        "values.sidecarInjectorWebhook.enableNamespacesByDefault=true",
        r"values.sidecarInjectorWebhook.injectedAnnotations.container\.apparmor\.security\.beta\.kubernetes\.io/istio-proxy=runtime/default",
        "components.egressGateways[0].enabled=true",
        "components.ingressGateways[name:internal-ingressgateway].k8s.replicaCount=2",
        "values.global.logAsJson=true",
        "values.telemetry.enabled=true",
        "values.global.proxy.holdApplicationUntilProxyStarts=true",
        "compatibilityVersion=1.28",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    s.truncate(20);
    s
}

fn inputs() -> Inputs {
    Inputs {
        files: vec![
            InputFile {
                name: "a.yaml".into(),
                text: FILE_A.into(),
            },
            InputFile {
                name: "b.yaml".into(),
                text: FILE_B.into(),
            },
        ],
        set_flags: sets(),
        ..Inputs::default()
    }
}

fn bench(c: &mut Criterion) {
    let inputs = inputs();
    let mut g = c.benchmark_group("resolve_demo_2_files_20_sets");
    g.bench_function("baseline_parse_files_only", |b| {
        b.iter(|| {
            for f in &inputs.files {
                black_box(mesh_core::from_yaml_str(black_box(&f.text), "f").ok());
            }
        })
    });
    g.bench_function("merge_inputs", |b| {
        b.iter(|| black_box(merge_inputs(black_box(&inputs)).ok()))
    });
    g.bench_function("resolve_with_chart_values", |b| {
        b.iter(|| black_box(resolve(black_box(&inputs)).ok()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
