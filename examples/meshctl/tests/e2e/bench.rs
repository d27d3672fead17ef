//! Install wall time against the real server, side by side (ignored by default; run by
//! `scripts/bench-install.sh`): `meshctl install` against `kubectl apply -f` of the same manifest
//! followed by `kubectl wait`, each on a fresh server with the controller manager and the
//! kubelet stand-in, interleaved, medians reported. Prints a table; asserts nothing about time.

use mesh_test_support::kube::{ApiServer, KubeletStandIn, Options};
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// One `meshctl install` on a fresh server.
fn meshctl_install(args: &[&str]) -> Option<Duration> {
    let server = ApiServer::start(&Options::with_controllers())?;
    let _kubelet = KubeletStandIn::start(&server, None);
    let mut all = vec!["install", "-y"];
    all.extend_from_slice(args);
    let started = Instant::now();
    crate::run_ok(&mut crate::meshctl_on(server.kubeconfig(), &all));
    Some(started.elapsed())
}

/// `kubectl apply -f` of the manifest, then the waits, on a fresh server.
fn kubectl_apply_and_wait(manifest: &str) -> Option<Duration> {
    let server = ApiServer::start(&Options::with_controllers())?;
    let _kubelet = KubeletStandIn::start(&server, None);
    let started = Instant::now();
    let applied = crate::run_with_input(server.kubectl().args(["apply", "-f", "-"]), manifest);
    assert!(applied.status.success(), "kubectl apply failed");
    crate::run_ok(server.kubectl().args([
        "wait",
        "--for=condition=Established",
        "crd",
        "--all",
        "--timeout=300s",
    ]));
    crate::run_ok(server.kubectl().args([
        "wait",
        "-n",
        "istio-system",
        "--for=condition=Available",
        "deployment",
        "--all",
        "--timeout=300s",
    ]));
    Some(started.elapsed())
}

#[test]
#[ignore = "a benchmark: scripts/bench-install.sh runs it"]
fn install_wall_time_against_kubectl_apply() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let profiles: Vec<String> = std::env::var("PROFILES")
        .unwrap_or_else(|_| "default,demo".into())
        .split(',')
        .map(str::to_string)
        .collect();
    println!("| profile | meshctl install | kubectl apply + wait | ratio |");
    println!("|---|---|---|---|");
    for profile in &profiles {
        let set = format!("profile={profile}");
        let manifest =
            crate::run_ok(crate::meshctl().args(["manifest", "generate", "--set", &set]));
        let (mut mesh, mut kubectl) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            // Interleaved, alternating which goes first.
            let first_mesh = round % 2 == 0;
            for side in [first_mesh, !first_mesh] {
                if side {
                    let Some(d) = meshctl_install(&["--set", &set]) else {
                        return;
                    };
                    mesh.push(d);
                } else {
                    let Some(d) = kubectl_apply_and_wait(&manifest) else {
                        return;
                    };
                    kubectl.push(d);
                }
            }
        }
        let (m, k) = (median(mesh.clone()), median(kubectl.clone()));
        eprintln!("{profile}: meshctl {mesh:?}, kubectl {kubectl:?}");
        println!(
            "| {profile} | {} | {} | {:.2} |",
            secs(m),
            secs(k),
            m.as_secs_f64() / k.as_secs_f64()
        );
    }
}
