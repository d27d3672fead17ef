//! SIGTERM is the binary's shutdown trigger: the server stops accepting connections, finishes
//! the request in flight, logs the signal and the drain, and exits 0.

use crate::process::Server;
use crate::support::{self, InFlight};
use std::time::Duration;

#[tokio::test]
async fn sigterm_finishes_the_request_in_flight() {
    let mut server = Server::start("shutdown", &[]);
    let client = server.client();
    // Start a request and send only half of its body.
    let in_flight = InFlight::start(&client, 0.5).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.terminate();
    assert!(
        support::stops_accepting(&client).await,
        "still accepting after SIGTERM"
    );
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );

    // The rest of the body arrives; the answer is a full injection.
    in_flight.finish().await;
    let status = server.wait_exit(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{}", server.log_text());
    assert!(
        server.wait_log(&["shutdown requested", "SIGTERM"]),
        "{}",
        server.log_text()
    );
    assert!(server.wait_log(&["drained"]), "{}", server.log_text());
}
