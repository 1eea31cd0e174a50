//! A fake Kubernetes API server for tests: HTTP/1.1 on the loopback
//! interface, plain or TLS, answering list requests from `kubectl get -o
//! json` style fixture files (`RESOURCE.json`, or `RESOURCE-1.json` and
//! `RESOURCE-2.json` for two pages joined by a `continue` token).
//!
//! Shared by the loader's tests and the CLI's (included with `#[path]`).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

/// A request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Path and query.
    pub target: String,
    pub accept: String,
    pub authorization: Option<String>,
}

/// How the server misbehaves.
#[derive(Clone, Default)]
pub struct Behaviour {
    /// Resources answered with 403.
    pub forbidden: Vec<&'static str>,
    /// Resources answered with 404, as by a server without their API group.
    pub not_served: Vec<&'static str>,
    /// A resource answered only after this delay.
    pub slow: Option<(&'static str, Duration)>,
    /// Bearer tokens answered with 401, as for an expired token.
    pub rejected_tokens: Vec<&'static str>,
    /// Resources answered with this HTTP status every time (`*`: all of
    /// them), as by an API server down behind a load balancer.
    pub failing: Vec<(&'static str, u16)>,
    /// A resource answered with this status the first `count` times, then
    /// normally: a transient failure.
    pub flaky: Option<Flaky>,
    /// Every request is read and never answered, the connection kept open.
    pub silent: bool,
    /// A resource whose every page carries a new `continue` token.
    pub endless: Option<&'static str>,
    /// A resource answered with a list of this many bytes (spaces inside).
    pub huge: Option<(&'static str, usize)>,
}

/// A resource that fails a number of times before it answers.
#[derive(Clone)]
pub struct Flaky {
    pub resource: &'static str,
    pub status: u16,
    /// Failures left, shared by every connection.
    pub left: Arc<std::sync::atomic::AtomicUsize>,
}

impl Flaky {
    pub fn new(resource: &'static str, status: u16, count: usize) -> Flaky {
        Flaky { resource, status, left: Arc::new(std::sync::atomic::AtomicUsize::new(count)) }
    }
}

/// The server's TLS set-up.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    None,
    /// A certificate for 127.0.0.1 signed by `ca.crt`.
    ServerOnly,
    /// As `ServerOnly`, and clients must present a certificate signed by `ca.crt`.
    ClientCertificates,
    /// A self-signed certificate for 127.0.0.1 that is also a CA
    /// (`CA:TRUE`): `self-signed-ca.crt`, its own trust anchor.
    SelfSignedCa,
}

pub struct FakeApi {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// The test certificates and keys (see `fixtures/tls/README.md`).
pub fn tls_fixture(fixtures: &Path, name: &str) -> PathBuf {
    fixtures.join("tls").join(name)
}

impl FakeApi {
    /// Serves `fixtures/live` (the `fixtures` directory also holds `tls/`).
    pub fn start(fixtures: &Path, behaviour: Behaviour, tls: Tls) -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let scheme = if tls == Tls::None { "http" } else { "https" };
        let url = format!("{scheme}://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let config = (tls != Tls::None).then(|| Arc::new(server_config(fixtures, tls)));
        let live = fixtures.join("live");
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let behaviour = behaviour.clone();
                let log = Arc::clone(&log);
                let config = config.clone();
                let live = live.clone();
                std::thread::spawn(move || match config {
                    None => serve(stream, &live, &behaviour, &log),
                    Some(config) => {
                        let Ok(connection) = rustls::ServerConnection::new(config) else { return };
                        serve(rustls::StreamOwned::new(connection, stream), &live, &behaviour, &log);
                    }
                });
            }
        });
        FakeApi { url, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Writes a kubeconfig with one context, `fake`, pointing at this
    /// server and trusting `ca` (a file in `fixtures/tls`), with a token or
    /// the test client certificate.
    pub fn kubeconfig(&self, fixtures: &Path, dir: &Path, ca: &str, user: User) -> PathBuf {
        use std::fmt::Write as _;
        let mut text = String::new();
        writeln!(
            text,
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake-cluster"
        )
        .unwrap();
        writeln!(text, "  cluster:\n    server: {}", self.url).unwrap();
        if self.url.starts_with("https") {
            writeln!(text, "    certificate-authority: {}", tls_fixture(fixtures, ca).display()).unwrap();
        }
        writeln!(text, "contexts:\n- name: fake\n  context:\n    cluster: fake-cluster\n    user: fake-user")
            .unwrap();
        writeln!(text, "users:\n- name: fake-user\n  user:").unwrap();
        match user {
            User::Token(token) => writeln!(text, "    token: {token}").unwrap(),
            User::ClientCertificate => {
                writeln!(text, "    client-certificate: {}", tls_fixture(fixtures, "client.crt").display())
                    .unwrap();
                writeln!(text, "    client-key: {}", tls_fixture(fixtures, "client.key").display()).unwrap();
            }
        }
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join("kubeconfig");
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// How the kubeconfig's user authenticates.
#[derive(Clone, Copy)]
pub enum User {
    Token(&'static str),
    ClientCertificate,
}

fn server_config(fixtures: &Path, tls: Tls) -> rustls::ServerConfig {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let (certificate, key) = match tls {
        Tls::SelfSignedCa => ("self-signed-ca.crt", "self-signed-ca.key"),
        _ => ("server.crt", "server.key"),
    };
    let certificates: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(tls_fixture(fixtures, certificate))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let key = PrivateKeyDer::from_pem_file(tls_fixture(fixtures, key)).unwrap();
    let builder = rustls::ServerConfig::builder();
    let builder = if tls == Tls::ClientCertificates {
        let mut roots = rustls::RootCertStore::empty();
        for ca in CertificateDer::pem_file_iter(tls_fixture(fixtures, "ca.crt")).unwrap() {
            roots.add(ca.unwrap()).unwrap();
        }
        builder.with_client_cert_verifier(
            rustls::server::WebPkiClientVerifier::builder(Arc::new(roots)).build().unwrap(),
        )
    } else {
        builder.with_no_client_auth()
    };
    builder.with_single_cert(certificates, key).unwrap()
}

/// Answers the requests of one connection (kept alive between them).
fn serve<S: Read + Write>(stream: S, live: &Path, behaviour: &Behaviour, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let target = request_line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut accept = String::new();
        let mut authorization = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let Some((name, value)) = line.split_once(':') else { return };
            match name.to_ascii_lowercase().as_str() {
                "accept" => accept = value.trim().to_owned(),
                "authorization" => authorization = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        log.lock().unwrap().push(Seen {
            target: target.clone(),
            accept,
            authorization: authorization.clone(),
        });
        if behaviour.silent {
            std::thread::sleep(Duration::from_secs(3600));
            return;
        }
        let (status, body) = answer(&target, authorization.as_deref(), live, behaviour);
        let reason = match status {
            200 => "OK",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            410 => "Gone",
            429 => "Too Many Requests",
            503 => "Service Unavailable",
            _ => "Error",
        };
        let response = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let writer = reader.get_mut();
        if writer.write_all(response.as_bytes()).is_err() || writer.flush().is_err() {
            return;
        }
    }
}

fn status(code: u16, reason: &str, message: &str) -> String {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": reason, "code": code})
    .to_string()
}

/// One request, as the handlers of [`HANDLERS`] see it.
struct Request<'a> {
    path: &'a str,
    query: &'a str,
    /// The last segment of the path: the resource listed.
    resource: &'a str,
    authorization: Option<&'a str>,
    live: &'a Path,
    behaviour: &'a Behaviour,
}

/// A status code and a body.
type Response = (u16, String);

/// The route table: each handler answers a request or passes it on, tried
/// in this order (misbehaviour first, then the fixtures of API groups that
/// are optional); what none answers is read from the core fixtures.
const HANDLERS: &[fn(&Request<'_>) -> Option<Response>] = &[
    rejected_token,
    failing,
    flaky,
    forbidden,
    endless,
    huge,
    slow,
    plugin_crd,
    gateway_version,
    not_served,
];

fn answer(target: &str, authorization: Option<&str>, live: &Path, behaviour: &Behaviour) -> Response {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let resource = path.rsplit('/').next().unwrap();
    let request = Request { path, query, resource, authorization, live, behaviour };
    HANDLERS.iter().find_map(|handler| handler(&request)).unwrap_or_else(|| list_fixture(&request))
}

fn not_found() -> Response {
    (404, status(404, "NotFound", "the server could not find the requested resource"))
}

fn rejected_token(request: &Request<'_>) -> Option<Response> {
    let mut rejected = request.behaviour.rejected_tokens.iter();
    rejected
        .any(|t| request.authorization == Some(format!("Bearer {t}").as_str()))
        .then(|| (401, status(401, "Unauthorized", "Unauthorized")))
}

fn failing(request: &Request<'_>) -> Option<Response> {
    let &(_, code) = request.behaviour.failing.iter().find(|(r, _)| *r == request.resource || *r == "*")?;
    Some((code, status(code, "ServiceUnavailable", "the server is currently unable to handle the request")))
}

fn flaky(request: &Request<'_>) -> Option<Response> {
    use std::sync::atomic::Ordering;
    let flaky = request.behaviour.flaky.as_ref().filter(|f| f.resource == request.resource)?;
    flaky.left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).ok()?;
    Some((flaky.status, status(flaky.status, "TooManyRequests", "please try again later")))
}

fn forbidden(request: &Request<'_>) -> Option<Response> {
    let forbidden = &request.behaviour.forbidden;
    if !(forbidden.contains(&request.resource) || forbidden.contains(&"*")) {
        return None;
    }
    let resource = request.resource;
    let message = format!("{resource} is forbidden: User \"viewer\" cannot list resource \"{resource}\"");
    Some((403, status(403, "Forbidden", &message)))
}

fn endless(request: &Request<'_>) -> Option<Response> {
    if request.behaviour.endless != Some(request.resource) {
        return None;
    }
    let page = request.query.split('&').find_map(|p| p.strip_prefix("continue=")).unwrap_or("0");
    let next = page.parse::<u64>().unwrap_or(0) + 1;
    let list =
        json!({"kind": "List", "apiVersion": "v1", "metadata": {"continue": next.to_string()}, "items": []});
    Some((200, list.to_string()))
}

fn huge(request: &Request<'_>) -> Option<Response> {
    let (_, size) = request.behaviour.huge.filter(|(huge, _)| *huge == request.resource)?;
    let list = r#"{"kind": "List", "apiVersion": "v1", "items": []}"#;
    Some((200, format!("{}{list}", " ".repeat(size.saturating_sub(list.len())))))
}

/// Delays a slow resource and passes it on: it never answers itself.
fn slow(request: &Request<'_>) -> Option<Response> {
    if let Some((slow, delay)) = request.behaviour.slow {
        if slow == request.resource {
            std::thread::sleep(delay);
        }
    }
    None
}

/// The network plugins' CRDs are served from `GROUP-RESOURCE.json` when
/// that fixture exists (their resource names clash with core ones:
/// Calico's `networkpolicies`), and are absent otherwise.
fn plugin_crd(request: &Request<'_>) -> Option<Response> {
    let group = ["cilium.io", "projectcalico.org", "crd.projectcalico.org", "operator.tigera.io"]
        .into_iter()
        .find(|group| request.path.contains(&format!("/{group}/")))?;
    let fixture = request.live.join(format!("{group}-{}.json", request.resource));
    Some(std::fs::read_to_string(fixture).map_or_else(|_| not_found(), |body| (200, body)))
}

/// Gateway API versions are served from
/// `gateway.networking.k8s.io-VERSION-RESOURCE.json` when that fixture
/// exists (a kind may be served at several versions); others pass on.
fn gateway_version(request: &Request<'_>) -> Option<Response> {
    let version = request.path.split("/gateway.networking.k8s.io/").nth(1)?.split('/').next()?;
    let name = format!("gateway.networking.k8s.io-{version}-{}.json", request.resource);
    let body = std::fs::read_to_string(request.live.join(name)).ok()?;
    Some((200, body))
}

/// Resources the behaviour leaves out, and the optional API groups without
/// a fixture: 404, as from a server without them.
fn not_served(request: &Request<'_>) -> Option<Response> {
    let path = request.path;
    let absent = request.behaviour.not_served.contains(&request.resource)
        || path.contains("/policy.networking.k8s.io/")
        || path.contains("/gateway.networking.k8s.io/")
        || path.contains("/route.openshift.io/");
    absent.then(not_found)
}

/// A list from `RESOURCE.json`, or its pages `RESOURCE-1.json` and
/// `RESOURCE-2.json` joined by the first one's `continue` token; an empty
/// list without a fixture.
fn list_fixture(request: &Request<'_>) -> Response {
    let (live, resource) = (request.live, request.resource);
    let token = request.query.split('&').find_map(|p| p.strip_prefix("continue=")).map(percent_decode);
    let file = match token {
        Some(token) => {
            let first = read_fixture(live, &format!("{resource}-1.json")).unwrap();
            if first["metadata"]["continue"] != token.as_str() {
                return (410, status(410, "Expired", "the provided continue parameter is too old"));
            }
            format!("{resource}-2.json")
        }
        None if live.join(format!("{resource}-1.json")).exists() => format!("{resource}-1.json"),
        None => format!("{resource}.json"),
    };
    match std::fs::read_to_string(live.join(file)) {
        Ok(body) => (200, body),
        Err(_) => (200, json!({"kind": "List", "apiVersion": "v1", "metadata": {}, "items": []}).to_string()),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

pub fn read_fixture(live: &Path, name: &str) -> Option<Value> {
    let text = std::fs::read_to_string(live.join(name)).ok()?;
    Some(serde_json::from_str(&text).unwrap())
}
