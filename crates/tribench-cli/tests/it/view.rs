//! `tribench view`: the command serves a run directory on loopback and prints where, writes a
//! static copy with `--export`, and refuses a public host without a proper token.

use super::{bundled_suite, output_ok, run_cmd, tribench};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;

#[test]
fn view_serves_exports_and_guards_its_host() {
    let work = tempfile::tempdir().unwrap();
    let run = work.path().join("runs/oracle");
    let suite = bundled_suite("polyglot-sample/python");
    output_ok(run_cmd(&suite, &run).arg("-q"));

    let site = work.path().join("site");
    let out = output_ok(
        tribench()
            .arg("view")
            .arg(work.path().join("runs"))
            .arg("--export")
            .arg(&site),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("for 1 runs"));
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(index.contains("run/oracle/index.html"), "{index}");
    assert!(site
        .join("run/oracle/trial/python+word-tally.a1.html")
        .is_file());

    let mut child = tribench()
        .arg("view")
        .arg(work.path().join("runs"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address printed: {line}"));
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET /run/oracle/index.html HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("python+word-tally.a1"));

    let out = tribench()
        .args(["view", "--host", "0.0.0.0", "--token", "short"])
        .arg(work.path().join("runs"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a token"));
    let out = tribench().arg("view").arg(&suite).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no tribench run found"));
}
