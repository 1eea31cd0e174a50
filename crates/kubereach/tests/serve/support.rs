//! A `kubereach serve` process and a minimal HTTP/1.1 client. Every wait is
//! bounded; the process is killed when the handle is dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a server may take to load its input and print its URL (the
/// 5,000-pod cluster in a debug build included). A bound, not a measurement.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// A running server.
pub struct Server {
    child: Child,
    /// Where its stderr goes.
    stderr: tempfile::NamedTempFile,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// The access token of the printed URL.
    pub token: String,
}

impl Server {
    /// Starts `kubereach serve ARGS --listen 127.0.0.1:0` and waits for its URL.
    pub fn start(args: &[&str]) -> Server {
        Server::start_in(Path::new("."), args)
    }

    /// [`Server::start`] in the working directory `dir`.
    pub fn start_in(dir: &Path, args: &[&str]) -> Server {
        Server::start_with(dir, args, &[])
    }

    /// [`Server::start_in`] with extra environment variables.
    pub fn start_with(dir: &Path, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Server {
        let stderr = tempfile::NamedTempFile::new().expect("temp file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_kubereach"))
            .current_dir(dir)
            .envs(env.iter().copied())
            .arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr.reopen().expect("reopen")))
            .spawn()
            .expect("start kubereach serve");
        let stdout = child.stdout.take().expect("stdout");
        let (send, receive) = mpsc::channel();
        // Reads the first line, then drains the rest until the process ends,
        // so the server never writes to a closed pipe.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut first = String::new();
            let _ = (&mut reader).take(64 * 1024).read_line(&mut first);
            let _ = send.send(first);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = match receive.recv_timeout(START_TIMEOUT) {
            Ok(line) if !line.is_empty() => line,
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                let errors = std::fs::read_to_string(stderr.path()).unwrap_or_default();
                panic!("kubereach serve printed no URL; stderr:\n{errors}");
            }
        };
        let url =
            line.split_whitespace().find(|w| w.starts_with("http://")).expect("a URL on the first line");
        let (base, token) = url.split_once("/?token=").expect("a token in the URL");
        let host = base.trim_start_matches("http://").to_owned();
        Server { child, stderr, base: base.to_owned(), host, token: token.to_owned() }
    }

    /// The `Cookie` header value that carries the token.
    pub fn cookie(&self) -> String {
        let port = self.host.rsplit(':').next().expect("a port");
        format!("kubereach_token_{port}={}", self.token)
    }

    /// The URL printed: the page with the token.
    pub fn url(&self) -> String {
        format!("{}/?token={}", self.base, self.token)
    }

    /// `GET path` with the access cookie.
    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[("Cookie", &self.cookie())])
    }

    /// A request with the right Host and the given extra headers.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut all = vec![("Host", self.host.as_str())];
        all.extend_from_slice(headers);
        request(&self.host, method, path, &all)
    }
}

impl Server {
    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr.path()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Sends one request to `address` (`Connection: close`) and reads the whole answer.
pub fn request(address: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(120))).expect("timeout");
    let mut text = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream.take(256 * 1024 * 1024).read_to_end(&mut raw).expect("read");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header block");
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("status");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Response { status, headers, body }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

/// The demo cluster's manifests in `dir`.
pub fn export_demo(dir: &Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_kubereach"))
        .args(["demo", "--export"])
        .arg(dir)
        .stdout(Stdio::null())
        .status()
        .expect("demo --export");
    assert!(status.success());
}

/// A temp dir with the demo cluster, and its path as a string.
pub fn demo() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    export_demo(dir.path());
    let path = dir.path().to_str().expect("UTF-8 path").to_owned();
    (dir, path)
}

/// The workload `id` of a `kubereach.graph/v1` document.
pub fn workload(graph: &serde_json::Value, id: &str) -> serde_json::Value {
    let workloads = graph["workloads"].as_array().expect("workloads");
    workloads.iter().find(|w| w["id"] == id).unwrap_or_else(|| panic!("no workload {id}")).clone()
}
