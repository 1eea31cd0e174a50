//! The server's bounds on its connections (`connections.rs`): a client that
//! does not finish its request's headers in time is cut off, and past the
//! connection cap a new connection is refused with `503` until one closes.
//! A server is started in this process, on 127.0.0.1 with a free port, with
//! small limits; every wait here is bounded.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use kubereach_core::check::Config;
use kubereach_core::cni::PluginOverrides;
use kubereach_core::ClusterBuilder;
use kubereach_serve::connections::Limits;
use kubereach_serve::{Options, Sources};

/// A bound on each read, far above the limits under test.
const READ_BOUND: Duration = Duration::from_secs(60);

/// Starts a server of an empty cluster with `limits`; returns its address.
fn start(limits: Limits) -> String {
    let sources = Sources {
        current: Box::new(|| Ok(ClusterBuilder::new().build())),
        old: None,
        live: false,
        name: "empty".to_owned(),
        dns: Box::new(|_, _| Err("no DNS here".to_owned())),
        plugin: PluginOverrides::default(),
        rules: Config::default(),
        view: kubereach_core::cni::PolicyView::Effective,
    };
    let options = Options { listen: "127.0.0.1:0".parse().unwrap(), allow_remote: false, limits };
    let server = kubereach_serve::bind(options, sources).expect("bind");
    let address = server.address().to_string();
    // Runs until the test process ends.
    std::thread::spawn(move || server.run());
    address
}

fn connect(address: &str) -> TcpStream {
    let stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(READ_BOUND)).expect("read timeout");
    stream
}

/// Sends a whole request (without the token: the server answers 401) and
/// returns the status line.
fn status_line(address: &str) -> String {
    let mut stream = connect(address);
    let request = format!("GET /api/graph HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("an answer within the bound");
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn headers_not_sent_in_time_close_the_connection() {
    let address = start(Limits { max_connections: 16, header_read_timeout: Duration::from_millis(300) });
    // A slowloris client: the request line and part of the headers, then nothing.
    let mut stream = connect(&address);
    stream.write_all(format!("GET / HTTP/1.1\r\nHost: {address}\r\nX-Slow:").as_bytes()).expect("send");
    let mut answer = Vec::new();
    // The server closes the connection: end of stream, not the client's read bound.
    stream.read_to_end(&mut answer).expect("the server closes the connection before the read bound");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
    // The server still answers others.
    assert_eq!(status_line(&address), "HTTP/1.1 401 Unauthorized");
}

#[test]
fn past_the_cap_connections_are_refused_until_one_closes() {
    let address = start(Limits { max_connections: 2, header_read_timeout: Duration::from_secs(600) });
    // Two connections hold the two places: each has started a request.
    let mut held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut stream = connect(&address);
            stream.write_all(b"GET / HTTP/1.1\r\n").expect("send");
            stream
        })
        .collect();
    // Connections are accepted in order, so the third finds both places taken.
    let refused = status_line(&address);
    assert_eq!(refused, "HTTP/1.1 503 Service Unavailable");
    // One closes: its place is given back once the server sees the close.
    drop(held.pop());
    let mut answered = refused;
    for _ in 0..600 {
        answered = status_line(&address);
        if !answered.contains("503") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(answered, "HTTP/1.1 401 Unauthorized");
    drop(held);
}

#[test]
fn a_refusal_carries_the_security_headers() {
    let address = start(Limits { max_connections: 0, header_read_timeout: Duration::from_secs(600) });
    let mut stream = connect(&address);
    stream.write_all(format!("GET / HTTP/1.1\r\nHost: {address}\r\n\r\n").as_bytes()).expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    assert!(answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{answer}");
    assert!(answer.contains("\r\nContent-Security-Policy: default-src 'none';"), "{answer}");
    assert!(answer.contains("\r\nX-Content-Type-Options: nosniff\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\ntoo many connections: try again\n"), "{answer}");
}
