//! GitOps layouts: the kustomize tree lists every stage in order, Argo CD waves follow the
//! stages, the ignoreDifferences snippet names every webhook configuration, Flux Kustomizations
//! form one dependsOn chain. Over every built-in profile.

use mesh_core::Value;
use mesh_manifest::generate::{GenerateOptions, generate};
use mesh_manifest::gitops::ARGOCD_SYNC_WAVE;
use mesh_manifest::{Layout, LayoutOptions, Manifest, OutputFile, layout_files, stage_files};
use mesh_profiles::{BUILTIN, Inputs, resolve};

fn manifest(profile: &str) -> Manifest {
    let resolved = resolve(&Inputs::with_sets([format!("profile={profile}")])).unwrap();
    generate(&resolved, &GenerateOptions::default()).unwrap()
}

fn files(manifest: &Manifest, layout: Layout) -> Vec<OutputFile> {
    layout_files(
        manifest,
        &LayoutOptions {
            layout,
            ..LayoutOptions::default()
        },
    )
}

fn file<'a>(files: &'a [OutputFile], path: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .content
}

fn docs(text: &str) -> Vec<Value> {
    mesh_core::from_yaml_stream(text, "out").unwrap()
}

#[test]
fn plain_is_the_stage_files() {
    for (name, _) in BUILTIN {
        let m = manifest(name);
        let plain = files(&m, Layout::Plain);
        let stages = stage_files(&m);
        assert_eq!(plain.len(), stages.len(), "{name}");
        for (f, s) in plain.iter().zip(&stages) {
            assert_eq!((&f.path, &f.content), (&s.file_name, &s.content), "{name}");
        }
    }
}

#[test]
fn kustomize_lists_every_stage_in_order() {
    for (name, _) in BUILTIN {
        let m = manifest(name);
        let fs = files(&m, Layout::Kustomize);
        let top = &docs(file(&fs, "kustomization.yaml"))[0];
        let names: Vec<String> = m.stages.iter().map(|s| s.name()).collect();
        assert_eq!(top["resources"], serde_json::json!(names), "{name}");
        assert_eq!(top["sortOptions"]["order"], "fifo", "{name}");
        for stage in &m.stages {
            let dir = stage.name();
            let k = &docs(file(&fs, &format!("{dir}/kustomization.yaml")))[0];
            assert_eq!(k["resources"], serde_json::json!(["objects.yaml"]));
            let objects = docs(file(&fs, &format!("{dir}/objects.yaml")));
            let expected: Vec<Value> = stage.objects.iter().map(|o| (*o.value).clone()).collect();
            assert_eq!(objects, expected, "{name} {dir}");
        }
    }
}

#[test]
fn argocd_waves_follow_the_stages_and_ignore_istiods_webhook_rewrites() {
    for (name, _) in BUILTIN {
        let m = manifest(name);
        let fs = files(&m, Layout::ArgoCd);
        let mut last_wave = -1;
        let mut count = 0;
        for (i, stage) in m.stages.iter().enumerate() {
            for doc in docs(file(&fs, &stage.file_name())) {
                let wave: i64 = doc["metadata"]["annotations"][ARGOCD_SYNC_WAVE]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name}: no wave on {doc}"))
                    .parse()
                    .unwrap();
                assert_eq!(wave, i as i64, "{name}");
                assert!(wave >= last_wave);
                last_wave = wave;
                count += 1;
            }
        }
        assert_eq!(count, m.objects().count(), "{name}");
        // CRDs come in an earlier wave than any custom resource, workloads before webhooks.
        let wave_of = |kind: &str| {
            m.stages
                .iter()
                .position(|s| s.objects.iter().any(|o| o.kind() == kind))
        };
        if let (Some(crd), Some(deploy)) =
            (wave_of("CustomResourceDefinition"), wave_of("Deployment"))
        {
            assert!(crd < deploy, "{name}");
        }
        if let (Some(deploy), Some(hook)) = (
            wave_of("Deployment"),
            wave_of("MutatingWebhookConfiguration"),
        ) {
            assert!(deploy < hook, "{name}");
        }
        let ignore = &docs(file(&fs, "argocd-ignore-differences.yaml"))[0];
        let listed: Vec<(String, String)> = ignore["spec"]["ignoreDifferences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["kind"].as_str().unwrap().into(),
                    e["name"].as_str().unwrap().into(),
                )
            })
            .collect();
        for o in m
            .objects()
            .filter(|o| o.kind().ends_with("WebhookConfiguration"))
        {
            assert!(
                listed.contains(&(o.kind().to_string(), o.name().to_string())),
                "{name}: {} {} not in ignoreDifferences",
                o.kind(),
                o.name()
            );
        }
    }
}

#[test]
fn flux_kustomizations_form_one_depends_on_chain() {
    for (name, _) in BUILTIN {
        let m = manifest(name);
        let mut options = LayoutOptions {
            layout: Layout::Flux,
            ..LayoutOptions::default()
        };
        options.flux.path = "./clusters/prod/istio/".into();
        options.flux.source_name = "fleet".into();
        let fs = layout_files(&m, &options);
        // The kustomize tree is there too.
        file(&fs, "kustomization.yaml");
        let ks = docs(file(&fs, "flux-kustomizations.yaml"));
        assert_eq!(ks.len(), m.stages.len(), "{name}");
        for (i, (k, stage)) in ks.iter().zip(&m.stages).enumerate() {
            assert_eq!(k["apiVersion"], "kustomize.toolkit.fluxcd.io/v1");
            assert_eq!(
                k["spec"]["path"],
                format!("./clusters/prod/istio/{}", stage.name())
            );
            assert_eq!(k["spec"]["sourceRef"]["name"], "fleet");
            assert_eq!(k["spec"]["wait"], true);
            if i == 0 {
                assert!(k["spec"].get("dependsOn").is_none(), "{name}");
            } else {
                assert_eq!(
                    k["spec"]["dependsOn"][0]["name"],
                    ks[i - 1]["metadata"]["name"],
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn layout_names_parse_and_print() {
    for (name, layout) in Layout::ALL {
        assert_eq!(name.parse::<Layout>().unwrap(), layout);
        assert_eq!(layout.to_string(), name);
    }
    let err = "helm".parse::<Layout>().unwrap_err();
    assert!(err.to_string().contains("plain, kustomize, argocd or flux"));
}
