//! A Docker engine reached through `DOCKER_HOST=tcp://...`: here the local engine behind a TCP
//! relay this test runs, which counts what crosses it. A trial must reach the engine only
//! through it, and move files through the API (archive uploads), not through a shared disk.

use super::{bundled_suite, docker_available, run_cmd, stdout_json};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    /// Request lines (method and path) of the client's requests.
    requests: Mutex<Vec<String>>,
}

fn pipe(mut from: impl Read, mut to: impl Write, seen: Option<Arc<Seen>>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(seen) = &seen {
            let text = String::from_utf8_lossy(&buf[..n]);
            for line in text.lines() {
                for method in ["GET ", "POST ", "PUT ", "HEAD ", "DELETE "] {
                    if let Some(rest) = line.strip_prefix(method) {
                        let path = rest.split(' ').next().unwrap_or_default();
                        seen.requests
                            .lock()
                            .unwrap()
                            .push(format!("{method}{path}"));
                    }
                }
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
}

/// Relays TCP connections on a free local port to the engine's unix socket.
fn relay(socket: &'static str) -> (u16, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Seen::default());
    let s = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            s.connections.fetch_add(1, Ordering::SeqCst);
            let Ok(engine) = UnixStream::connect(socket) else {
                continue;
            };
            let (c2, e2) = (client.try_clone().unwrap(), engine.try_clone().unwrap());
            let s2 = s.clone();
            std::thread::spawn(move || {
                pipe(&client, &engine, Some(s2));
                let _ = engine.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || {
                pipe(&e2, &c2, None);
                let _ = c2.shutdown(Shutdown::Write);
            });
        }
    });
    (port, seen)
}

#[test]
fn a_run_reaches_a_remote_engine_through_docker_host_and_moves_files_by_the_api() {
    if !docker_available() {
        return;
    }
    const SOCKET: &str = "/var/run/docker.sock";
    if !Path::new(SOCKET).exists() {
        eprintln!("skipping: the engine is not on {SOCKET}");
        return;
    }
    let (port, seen) = relay(SOCKET);
    let suite = bundled_suite("terminal-sample/hello-file");
    let run = tempfile::tempdir().unwrap();
    let out = run_cmd(&suite, &run.path().join("r"))
        .env("DOCKER_HOST", format!("tcp://127.0.0.1:{port}"))
        .args(["-q", "--json", "--agent", "oracle"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v = stdout_json(&out);
    assert_eq!(v["total"]["score"]["successes"], 1, "{stderr}");
    assert!(
        seen.connections.load(Ordering::SeqCst) > 0,
        "DOCKER_HOST was not used"
    );
    let requests = seen.requests.lock().unwrap().clone();
    // The task's tests went into the container as an archive through the API.
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("PUT ") && r.contains("/archive")),
        "{requests:#?}"
    );
    assert!(
        requests.iter().any(|r| r.contains("/containers/create")),
        "{requests:#?}"
    );
}
