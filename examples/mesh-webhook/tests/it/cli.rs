//! The binary's flags and exit codes: help, bad flags and unusable files exit before serving;
//! flags reach the server's settings; JSON logs.

use crate::process::{self, Server};
use crate::support::{V1, app_pod, apply_response_patch, native_proxy, review};
use serde_json::json;

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn help_opens_with_what_the_program_is_and_exits_0() {
    let output = process::run(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        help.starts_with(
            "Istio's sidecar injection webhook (targets Istio 1.30.3), served over TLS\n"
        ),
        "{help}"
    );
    for flag in [
        "--tls-cert <FILE>",
        "--native-sidecars",
        "[default: 0.0.0.0:9443]",
    ] {
        assert!(help.contains(flag), "missing {flag} in\n{help}");
    }
    for default in ["[default: 5242880]", "[default: 120]", "[default: 25]"] {
        assert!(help.contains(default), "missing {default} in\n{help}");
    }
}

#[test]
fn bad_flags_exit_2() {
    let output = process::run(&["--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--no-such-flag"),
        "{}",
        stderr(&output)
    );

    let (_dir, _cert, mut args) = process::files("bad-timeout");
    args.push("--read-timeout=-1".to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = process::run(&args);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("error: --read-timeout -1:"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unusable_files_exit_2_naming_the_file() {
    let (dir, _cert, args) = process::files("bad-files");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    dir.write("inject-config.yaml", "policy: [not, a, policy\n");
    let output = process::run(&args);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(text.contains("cannot start"), "{text}");
    assert!(
        text.contains("error: ") && text.contains("inject-config.yaml"),
        "{text}"
    );

    std::fs::remove_file(dir.join("tls.key")).unwrap();
    dir.write("inject-config.yaml", "policy: enabled\n");
    let output = process::run(&args);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(text.contains("tls.key: cannot read:"), "{text}");
}

#[tokio::test]
async fn flags_reach_the_server_and_json_logs_are_written() {
    let server = Server::start(
        "flags",
        &[
            "--native-sidecars",
            "true",
            "--max-body-bytes",
            "2048",
            "--log-format",
            "json",
        ],
    );
    let client = server.client();
    let pod = app_pod();
    let res = client.post_json("/inject", &review(V1, "n", &pod)).await;
    assert_eq!(res.status, 200);
    native_proxy(&apply_response_patch(&pod, &res.json()["response"]));

    let mut big = app_pod();
    big["metadata"]["annotations"] = json!({"filler": "x".repeat(4096)});
    let res = client.post_json("/inject", &review(V1, "big", &big)).await;
    assert_eq!(res.status, 413, "{}", res.text());

    assert!(
        server.wait_log(&["{\"", "\"message\":\"pod injected\"", "\"uid\":\"n\""]),
        "{}",
        server.log_text()
    );
}
