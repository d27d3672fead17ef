//! The mesh-webhook binary run on 127.0.0.1 with its stderr captured: started with fresh
//! certificate and settings files, or with exactly the arguments a test gives.

use crate::support::{self, Client};
use mesh_test_support::TempDir;
use mesh_test_support::certs::{self, TestCert};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// Runs the binary to completion with `args` (for flag and startup errors).
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mesh-webhook"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A folder with a fresh certificate and the injector settings, and the flags naming them.
pub fn files(name: &str) -> (TempDir, TestCert, Vec<String>) {
    let dir = TempDir::new(name);
    let cert = certs::localhost();
    dir.write("tls.crt", &cert.cert_pem);
    dir.write("tls.key", &cert.key_pem);
    support::write_settings(&dir, false);
    let mut args = Vec::new();
    for (flag, file) in [
        ("--tls-cert", "tls.crt"),
        ("--tls-key", "tls.key"),
        ("--values", "values.json"),
        ("--mesh-config", "mesh.yaml"),
        ("--inject-config", "inject-config.yaml"),
    ] {
        args.push(flag.to_string());
        args.push(dir.join(file).display().to_string());
    }
    (dir, cert, args)
}

/// A running mesh-webhook process.
pub struct Server {
    /// The process.
    pub child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its stderr lines so far.
    pub logs: Arc<Mutex<Vec<String>>>,
    /// Its certificate and settings files, removed when the server is dropped.
    _dir: TempDir,
    /// The certificate it serves.
    pub cert: TestCert,
}

impl Server {
    /// Starts the server with fresh certificates and settings on 127.0.0.1, plus `extra` flags.
    pub fn start(name: &str, extra: &[&str]) -> Server {
        let (dir, cert, mut args) = files(name);
        args.extend(
            [
                "--listen",
                "127.0.0.1:0",
                "--reload-interval",
                "0.1",
                "--worker-threads",
                "2",
            ]
            .map(String::from),
        );
        args.extend(extra.iter().map(|a| a.to_string()));
        Server::spawn(&args, dir, cert)
    }

    /// Starts the binary with exactly `args` (which must make it listen on 127.0.0.1); `dir`
    /// holds its files and `cert` is the certificate it serves.
    pub fn spawn(args: &[String], dir: TempDir, cert: TestCert) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mesh-webhook"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let sink = logs.clone();
        // Keep draining stderr for the whole run so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = listening_address(&line) {
                    let _ = tx.send(addr);
                }
                sink.lock().unwrap().push(line);
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("server did not start: {:?}", logs.lock().unwrap());
            }
        };
        Server {
            child,
            addr,
            logs,
            _dir: dir,
            cert,
        }
    }

    /// A TLS client that trusts the server's certificate.
    pub fn client(&self) -> Client {
        Client::new(self.addr, &[&self.cert.cert_der])
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server did not exit in {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every log line so far.
    pub fn log_text(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }

    /// Whether a log line containing every one of `needles` appears within a few seconds (the
    /// log reader thread runs behind the responses).
    pub fn wait_log(&self, needles: &[&str]) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            let found = self
                .logs
                .lock()
                .unwrap()
                .iter()
                .any(|line| needles.iter().all(|n| line.contains(n)));
            if found {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn listening_address(line: &str) -> Option<SocketAddr> {
    if !line.contains("listening") {
        return None;
    }
    // Text logs print `address=127.0.0.1:N`, JSON logs `"address":"127.0.0.1:N"`.
    let (start, end) = match line.find("address=") {
        Some(i) => (i + "address=".len(), None),
        None => (
            line.find("\"address\":\"")? + "\"address\":\"".len(),
            Some('"'),
        ),
    };
    let rest = &line[start..];
    let token = match end {
        Some(quote) => rest.split(quote).next()?,
        None => rest.split_whitespace().next()?,
    };
    token.parse().ok()
}
