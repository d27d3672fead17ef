//! mesh's CRDs on the real server: accepted, Established, and validating like Istio's.
//!
//! Two fresh servers: one gets the CRDs `meshctl manifest generate` emits, the other Istio
//! 1.30.3's own (`../shared/reference/istio-1.30.3/crds/crd-all.gen.yaml`, read at test time).
//! Every resource of `data/istio-resources.yaml` is then sent to both as a server-side-apply
//! dry run with strict field validation, and the verdicts (accepted, or rejected at which field
//! paths) are compared.

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use mesh_test_support::kube::{ApiServer, Options, block_on};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// The resources' file, beside this module.
const RESOURCES: &str = include_str!("data/istio-resources.yaml");

/// What the API server did with one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// Admitted (the dry run succeeded).
    Accepted,
    /// Refused; the field paths the server named (its `details.causes[].field`, or the
    /// message when it names none).
    Rejected(BTreeSet<String>),
}

/// The CRD documents of `meshctl manifest generate`.
pub(crate) fn mesh_crds() -> String {
    let out = crate::run_ok(crate::meshctl().args(["manifest", "generate"]));
    let crds: Vec<&str> = out
        .split("\n---\n")
        .filter(|doc| doc.lines().any(|l| l == "kind: CustomResourceDefinition"))
        .collect();
    assert!(crds.len() >= 14, "only {} CRDs in the output", crds.len());
    crds.join("\n---\n")
}

/// Applies `yaml` server-side and waits until every CRD is Established; returns the CRDs'
/// names.
pub(crate) fn install_crds(server: &ApiServer, yaml: &str) -> Vec<String> {
    let out = crate::run_with_input(
        server.kubectl().args(["apply", "--server-side", "-f", "-"]),
        yaml,
    );
    assert!(
        out.status.success(),
        "kubectl apply of the CRDs failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    crate::run_ok(server.kubectl().args([
        "wait",
        "--for=condition=Established",
        "crd",
        "--all",
        "--timeout=60s",
    ]));
    let names = crate::run_ok(server.kubectl().args(["get", "crd", "-o", "name"]));
    names.lines().map(str::to_string).collect()
}

/// The resources of the corpus: (name, expected by Istio: valid?, document).
fn corpus() -> Vec<(String, bool, Value)> {
    let docs = mesh_core::yaml::from_yaml_stream(RESOURCES, "data/istio-resources.yaml").unwrap();
    docs.into_iter()
        .map(|doc| {
            let doc = serde_json::to_value(&doc).unwrap();
            let name = doc["metadata"]["name"].as_str().unwrap().to_string();
            let expect = doc["metadata"]["annotations"]["e2e.mesh/expect"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: no e2e.mesh/expect annotation"));
            (name, expect == "valid", doc)
        })
        .collect()
}

/// Sends every resource as a dry run to `server` in namespace `default`.
async fn verdicts(
    server: &ApiServer,
    corpus: &[(String, bool, Value)],
) -> BTreeMap<String, Verdict> {
    let client = server.client().await;
    let mut out = BTreeMap::new();
    for (name, _, doc) in corpus {
        let (group, version) = doc["apiVersion"].as_str().unwrap().split_once('/').unwrap();
        let gvk = GroupVersionKind::gvk(group, version, doc["kind"].as_str().unwrap());
        let (resource, _) = kube::discovery::pinned_kind(&client, &gvk)
            .await
            .unwrap_or_else(|e| panic!("{name}: {gvk:?} is not served: {e}"));
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", &resource);
        let params = PatchParams::apply("mesh-e2e").dry_run().validation_strict();
        let verdict = match api.patch(name, &params, &Patch::Apply(doc)).await {
            Ok(_) => Verdict::Accepted,
            Err(kube::Error::Api(status)) => {
                let mut fields: BTreeSet<String> = status
                    .details
                    .iter()
                    .flat_map(|d| d.causes.iter())
                    .map(|c| c.field.clone())
                    // The server adds a cause without a field ("<nil>") to some lists.
                    .filter(|f| !f.is_empty() && f != "<nil>")
                    .collect();
                if fields.is_empty() {
                    fields.insert(status.message.clone());
                }
                Verdict::Rejected(fields)
            }
            Err(e) => panic!("{name}: the server did not answer: {e}"),
        };
        out.insert(name.clone(), verdict);
    }
    out
}

/// Every CRD mesh emits has a structural schema the server accepts and becomes Established,
/// and a valid resource of each kind is served by it.
#[test]
fn mesh_crds_are_established_and_serve_valid_resources() {
    let Some(server) = ApiServer::start(&Options::default()) else {
        return;
    };
    let yaml = mesh_crds();
    let names = install_crds(&server, &yaml);
    assert_eq!(
        names.len(),
        yaml.matches("kind: CustomResourceDefinition").count(),
        "{names:?}"
    );
    // Established, names accepted, and no NonStructuralSchema (or other failing) condition.
    let crds: Value = serde_json::from_str(&crate::run_ok(
        server.kubectl().args(["get", "crd", "-o", "json"]),
    ))
    .unwrap();
    for crd in crds["items"].as_array().unwrap() {
        let name = crd["metadata"]["name"].as_str().unwrap();
        let conditions: BTreeMap<&str, &str> = crd["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["type"].as_str().unwrap(), c["status"].as_str().unwrap()))
            .collect();
        assert_eq!(
            conditions.get("Established"),
            Some(&"True"),
            "{name}: {conditions:?}"
        );
        assert_eq!(
            conditions.get("NamesAccepted"),
            Some(&"True"),
            "{name}: {conditions:?}"
        );
        assert!(
            !conditions.contains_key("NonStructuralSchema"),
            "{name}: {conditions:?}"
        );
    }
    let corpus = corpus();
    let valid: Vec<_> = corpus
        .iter()
        .filter(|(_, valid, _)| *valid)
        .cloned()
        .collect();
    let got = block_on(verdicts(&server, &valid));
    for (name, verdict) in &got {
        assert_eq!(verdict, &Verdict::Accepted, "{name} refused by mesh's CRDs");
    }
    // Every kind of the corpus has a valid resource here.
    let kinds: BTreeSet<&str> = valid
        .iter()
        .map(|(_, _, d)| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 15, "{kinds:?}");
}

/// The corpus gets the same verdict from mesh's CRDs as from Istio's, with the same rejected
/// field paths. Installing both CRD sets also shows every CEL rule within the server's cost
/// budget: the server refuses a CRD whose rules may cost too much.
#[test]
fn mesh_crds_validate_like_istios() {
    let Some(istio_crds) = mesh_test_support::reference_path("istio-1.30.3/crds/crd-all.gen.yaml")
    else {
        return;
    };
    let started = Instant::now();
    // The two servers come up side by side.
    let (mesh, istio) = std::thread::scope(|s| {
        let mesh = s.spawn(|| ApiServer::start(&Options::default()));
        let istio = ApiServer::start(&Options::default());
        (mesh.join().unwrap(), istio)
    });
    let (Some(mesh), Some(istio)) = (mesh, istio) else {
        return;
    };
    install_crds(&mesh, &mesh_crds());
    install_crds(&istio, &mesh_test_support::read(&istio_crds));
    let corpus = corpus();
    let (by_mesh, by_istio) =
        block_on(async { tokio::join!(verdicts(&mesh, &corpus), verdicts(&istio, &corpus)) });

    // The corpus means what it says: Istio's CRDs accept exactly the resources marked valid.
    let mut wrong_corpus = Vec::new();
    for (name, valid, _) in &corpus {
        let accepted = by_istio[name] == Verdict::Accepted;
        if accepted != *valid {
            wrong_corpus.push(format!(
                "{name}: marked valid={valid}, Istio: {:?}",
                by_istio[name]
            ));
        }
    }
    assert!(
        wrong_corpus.is_empty(),
        "corpus marks disagree with Istio's CRDs:\n{}",
        wrong_corpus.join("\n")
    );

    let mut differ = Vec::new();
    for (name, _, _) in &corpus {
        let (m, i) = (&by_mesh[name], &by_istio[name]);
        if m != i {
            differ.push(format!("{name}: mesh {m:?}, Istio {i:?}"));
        }
    }
    let rejected = corpus.iter().filter(|(_, valid, _)| !valid).count();
    eprintln!(
        "crd parity: {} of {} resources ({rejected} invalid) same verdict and fields, {:.1}s",
        corpus.len() - differ.len(),
        corpus.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        differ.is_empty(),
        "mesh's CRDs disagree with Istio's:\n{}",
        differ.join("\n")
    );
}
