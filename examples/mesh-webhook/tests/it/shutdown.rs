//! SIGTERM is the binary's shutdown trigger: the server stops accepting connections, finishes
//! the request in flight, logs the signal and the drain, and exits 0.

use crate::process::Server;
use crate::support::{self, V1, app_pod, apply_response_patch, proxy_container, review};
use std::time::Duration;

#[tokio::test]
async fn sigterm_finishes_the_request_in_flight() {
    let mut server = Server::start("shutdown", &[]);
    let client = server.client();
    let pod = app_pod();
    let body = review(V1, "in-flight", &pod);

    // Start a request and send only half of its body.
    let mut conn = client.connect().await.unwrap();
    conn.write_head("POST", "/inject", "application/json", body.len())
        .await;
    let half = body.len() / 2;
    conn.write_raw(&body[..half]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.terminate();
    let stopped_accepting = support::eventually(Duration::from_secs(5), || async {
        client.connect().await.is_err()
    })
    .await;
    assert!(stopped_accepting, "still accepting after SIGTERM");
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );

    // The rest of the body arrives; the answer is a full injection.
    conn.write_raw(&body[half..]).await;
    let res = conn.read_response().await;
    assert_eq!(res.status, 200);
    let response = &res.json()["response"];
    assert_eq!(response["uid"], "in-flight");
    assert!(proxy_container(&apply_response_patch(&pod, response)).is_some());

    let status = server.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{}", server.log_text());
    assert!(
        server.wait_log(&["shutdown requested", "SIGTERM"]),
        "{}",
        server.log_text()
    );
    assert!(server.wait_log(&["drained"]), "{}", server.log_text());
}
