//! The lab's ingress controller: an HTTP/HTTPS reverse proxy (hyper and
//! rustls on a single-threaded tokio runtime) on the controller pod's
//! ports 80 and 443 (ingress-nginx's defaults, `--http-port` and
//! `--https-port`), run by the supervisor on a thread that entered the
//! pod's network namespace, so every connection it opens to a backend
//! leaves from the pod, under the policies, like any pod's traffic.
//!
//! What each request gets is [`crate::ingress_route::decide`] (the core's
//! ingress layer); this module only speaks HTTP. As every pod's port, a
//! connection that does not speak HTTP (on port 80) or TLS (on 443) gets
//! the pod's `namespace/name`, so connection probes keep working.
//!
//! Bounded: request heads 64 KiB, bodies 1 MiB either way (413 or 502
//! beyond), 5 s to send the head and to finish TLS, 2 s to connect to a
//! backend (then 504, as a policy drop shows), 10 s for its answer, at
//! most 256 connections at once per port.

use std::convert::Infallible;
use std::net::{SocketAddr, SocketAddrV4, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use kubereach_core::model::PodId;
use kubereach_core::Cluster;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::ingress_route::{decide, Decision, Scheme};
use crate::plan::Plan;

/// The largest request or response body passed through.
const MAX_BODY: usize = 1024 * 1024;
/// The largest request head read.
const MAX_HEAD: usize = 64 * 1024;
/// How long a client may take to send its request head, or finish TLS.
const CLIENT_WAIT: Duration = Duration::from_secs(5);
/// How long a connection to a backend may take (ingress-nginx's
/// `proxy-connect-timeout` is 5 s; shorter here so probes stay quick).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a backend may take to answer.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once per port; beyond that they are closed.
const MAX_CONNECTIONS: usize = 256;
/// How long a new connection may take to send its first bytes before it
/// gets the pod's name (as every pod's port answers).
const FIRST_BYTES: Duration = Duration::from_millis(500);
/// Headers that belong to one connection, never forwarded (RFC 9110 7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// One controller pod: what it routes and who it is.
pub struct Controller {
    /// The lab's cluster.
    pub cluster: Arc<Cluster>,
    /// The lab's plan (its addresses).
    pub plan: Arc<Plan>,
    /// The controller pod.
    pub pod: PodId,
    /// Its `namespace/name`, the answer to non-HTTP traffic.
    pub who: String,
    /// The next endpoint to send to (round robin, as ingress-nginx's default balancer).
    next: AtomicUsize,
}

impl Controller {
    /// Controller pod `pod`, `who` by name.
    pub fn new(cluster: Arc<Cluster>, plan: Arc<Plan>, pod: PodId, who: String) -> Controller {
        Controller { cluster, plan, pod, who, next: AtomicUsize::new(0) }
    }
}

/// Serves `listeners` (bound in the controller pod's namespace, which the
/// calling thread must have entered) until the process ends.
pub fn serve(
    controller: Controller,
    listeners: Vec<(TcpListener, Scheme)>,
    tls: Arc<rustls::ServerConfig>,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let controller = Arc::new(controller);
    runtime.block_on(async move {
        let mut tasks = Vec::new();
        for (listener, scheme) in listeners {
            listener.set_nonblocking(true)?;
            let listener = tokio::net::TcpListener::from_std(listener)?;
            let (controller, tls) = (Arc::clone(&controller), Arc::clone(&tls));
            tasks.push(tokio::spawn(accept_loop(listener, scheme, controller, tls)));
        }
        for task in tasks {
            let _ = task.await;
        }
        Ok(())
    })
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    scheme: Scheme,
    controller: Arc<Controller>,
    tls: Arc<rustls::ServerConfig>,
) {
    let active = Arc::new(AtomicUsize::new(0));
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        let Ok((stream, peer)) = listener.accept().await else { continue };
        if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        let (controller, acceptor, active) = (Arc::clone(&controller), acceptor.clone(), Arc::clone(&active));
        tokio::spawn(async move {
            connection(stream, peer, scheme, &controller, acceptor).await;
            active.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// One client connection: HTTP, TLS, or anything else (the pod's name).
async fn connection(
    mut stream: tokio::net::TcpStream,
    peer: SocketAddr,
    scheme: Scheme,
    controller: &Arc<Controller>,
    acceptor: tokio_rustls::TlsAcceptor,
) {
    let mut first = [0u8; 8];
    let read = tokio::time::timeout(FIRST_BYTES, stream.peek(&mut first)).await;
    let first = match read {
        Ok(Ok(n)) => &first[..n],
        _ => &[][..],
    };
    let speaks = match scheme {
        // A TLS record of type handshake (RFC 8446 5.1).
        Scheme::Https => first.first() == Some(&0x16),
        Scheme::Http => {
            let token = first.iter().take_while(|b| b.is_ascii_uppercase()).count();
            token > 0 && first.get(token) == Some(&b' ')
        }
    };
    if !speaks {
        // Read what was sent first: closing with unread bytes would reset
        // the connection instead of delivering the answer.
        if !first.is_empty() {
            let mut sent = [0u8; 512];
            let _ = tokio::time::timeout(FIRST_BYTES, stream.read(&mut sent)).await;
        }
        let _ = stream.write_all(format!("{}\n", controller.who).as_bytes()).await;
        let _ = stream.shutdown().await;
        return;
    }
    match scheme {
        Scheme::Http => http(stream, peer, scheme, controller).await,
        Scheme::Https => {
            let Ok(Ok(tls)) = tokio::time::timeout(CLIENT_WAIT, acceptor.accept(stream)).await else {
                return;
            };
            http(tls, peer, scheme, controller).await;
        }
    }
}

/// Serves HTTP/1.1 on `io`.
async fn http<T>(io: T, peer: SocketAddr, scheme: Scheme, controller: &Arc<Controller>)
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let controller = Arc::clone(controller);
    let service = hyper::service::service_fn(move |request| {
        let controller = Arc::clone(&controller);
        async move { Ok::<_, Infallible>(handle(&controller, scheme, peer, request).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(CLIENT_WAIT).max_buf_size(MAX_HEAD);
    let _ = builder.serve_connection(TokioIo::new(io), service).await;
}

/// The answer to one request.
async fn handle(
    controller: &Controller,
    scheme: Scheme,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().host())
        .unwrap_or_default();
    let host = strip_port(host).to_owned();
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let decision = decide(&controller.cluster, &controller.plan, controller.pod, scheme, &host, &path);
    match decision {
        Decision::NotFound => plain(StatusCode::NOT_FOUND, "default backend - 404\n"),
        Decision::Unavailable { why } => {
            plain(StatusCode::SERVICE_UNAVAILABLE, &format!("503 Service Unavailable: {why}\n"))
        }
        Decision::Redirect { code, location } => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::PERMANENT_REDIRECT);
            let mut response = plain(status, &format!("{code} redirect to {location}\n"));
            if let Ok(value) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
            response
        }
        Decision::Proxy { endpoints, .. } => {
            let n = controller.next.fetch_add(1, Ordering::Relaxed) % endpoints.len();
            let (endpoint, _) = endpoints[n];
            let forwarded = Forwarded { host, scheme, peer };
            proxy(endpoint, request, &forwarded).await
        }
    }
}

/// Who asked, for the `X-Forwarded-*` headers ingress-nginx sets.
struct Forwarded {
    host: String,
    scheme: Scheme,
    peer: SocketAddr,
}

/// Sends `request` to `endpoint` and relays the answer: 504 when the
/// connection times out (dropped by policy), 502 when it is refused or
/// the answer is broken or too large, 413 when the request body is.
async fn proxy(
    endpoint: SocketAddrV4,
    request: Request<Incoming>,
    forwarded: &Forwarded,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let Ok(body) = Limited::new(body, MAX_BODY).collect().await.map(|b| b.to_bytes()) else {
        return plain(StatusCode::PAYLOAD_TOO_LARGE, "413 request body too large\n");
    };
    let stream = match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(endpoint)).await {
        Err(_) => {
            return plain(StatusCode::GATEWAY_TIMEOUT, &format!("504 connecting to {endpoint} timed out\n"))
        }
        Ok(Err(error)) => return plain(StatusCode::BAD_GATEWAY, &format!("502 {endpoint}: {error}\n")),
        Ok(Ok(stream)) => stream,
    };
    let Ok((mut sender, connection)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        return plain(StatusCode::BAD_GATEWAY, "502 handshake failed\n");
    };
    tokio::spawn(connection);
    let mut upstream =
        Request::builder().method(parts.method).uri(parts.uri.path_and_query().map_or("/", |p| p.as_str()));
    if let Some(headers) = upstream.headers_mut() {
        copy_end_to_end(&parts.headers, headers);
        forwarded_headers(forwarded, headers);
    }
    let Ok(upstream) = upstream.body(Full::new(body)) else {
        return plain(StatusCode::BAD_REQUEST, "400 bad request\n");
    };
    let answer = match tokio::time::timeout(RESPONSE_TIMEOUT, sender.send_request(upstream)).await {
        Ok(Ok(answer)) => answer,
        Err(_) => return plain(StatusCode::GATEWAY_TIMEOUT, "504 the backend did not answer\n"),
        Ok(Err(error)) => return plain(StatusCode::BAD_GATEWAY, &format!("502 {endpoint}: {error}\n")),
    };
    let (parts, body) = answer.into_parts();
    let read = tokio::time::timeout(RESPONSE_TIMEOUT, Limited::new(body, MAX_BODY).collect()).await;
    let Ok(Ok(body)) = read else {
        return plain(StatusCode::BAD_GATEWAY, "502 the backend's answer is broken or too large\n");
    };
    let mut response = Response::new(Full::new(body.to_bytes()));
    *response.status_mut() = parts.status;
    copy_end_to_end(&parts.headers, response.headers_mut());
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
}

/// Copies `from` into `to` without hop-by-hop headers.
fn copy_end_to_end(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            to.append(name.clone(), value.clone());
        }
    }
}

fn forwarded_headers(forwarded: &Forwarded, headers: &mut HeaderMap) {
    let proto = match forwarded.scheme {
        Scheme::Http => "http",
        Scheme::Https => "https",
    };
    let pairs = [
        ("x-forwarded-for", forwarded.peer.ip().to_string()),
        ("x-real-ip", forwarded.peer.ip().to_string()),
        ("x-forwarded-proto", proto.to_owned()),
        ("x-forwarded-host", forwarded.host.clone()),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
}

/// A text answer of the controller's own.
fn plain(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

/// `host` without its `:port` (an IPv6 literal keeps its brackets).
fn strip_port(host: &str) -> &str {
    if let Some(end) = host.find(']') {
        return &host[..=end];
    }
    match host.split_once(':') {
        Some((name, port)) if !port.contains(':') => name,
        _ => host,
    }
}

/// The TLS configuration: HTTP/1.1 only, certificates by SNI.
pub fn tls_config(
    resolver: Arc<crate::ingress_tls::SniResolver>,
) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// Sends `request` to the proxy at `address` (loopback) and returns the answer.
    fn ask(address: SocketAddr, request: &str) -> String {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    }

    // The proxy on loopback (no lab, no root): the controller's own answers
    // and anything-but-HTTP. Requests that would reach a backend are the
    // root tests' (their addresses exist only inside a lab).
    #[test]
    fn the_proxy_speaks_http_with_the_routes_answers() {
        let cluster = crate::test_cluster(crate::ingress_route::tests::CLUSTER);
        let plan = crate::plan::build(&cluster, "t", None).unwrap();
        let pod = plan.topology.pod_named("ingress-nginx", "ingress-nginx-controller").unwrap();
        let who = "ingress-nginx/ingress-nginx-controller".to_owned();
        let controller = Controller::new(Arc::new(cluster), Arc::new(plan.clone()), PodId(pod.pod), who);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let ca = Arc::new(crate::ingress_tls::LabCa::new().unwrap());
        let fake = crate::ingress_tls::fake_certificate().unwrap();
        let resolver = crate::ingress_tls::SniResolver::new(ca, fake, Box::new(|_| false));
        let tls = tls_config(Arc::new(resolver)).unwrap();
        std::thread::spawn(move || serve(controller, vec![(listener, Scheme::Http)], tls));
        let wrong_class = ask(address, "GET / HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n");
        assert!(wrong_class.starts_with("HTTP/1.1 404 Not Found\r\n"), "{wrong_class}");
        assert!(wrong_class.ends_with("default backend - 404\n"), "{wrong_class}");
        let redirect =
            ask(address, "GET /app?x=1 HTTP/1.1\r\nHost: shop.test:80\r\nConnection: close\r\n\r\n");
        assert!(redirect.starts_with("HTTP/1.1 308 Permanent Redirect\r\n"), "{redirect}");
        assert!(redirect.contains("location: https://shop.test/app?x=1\r\n"), "{redirect}");
        assert_eq!(ask(address, "probe\n"), "ingress-nginx/ingress-nginx-controller\n");
    }

    #[test]
    fn host_headers_lose_their_port() {
        assert_eq!(strip_port("shop.test:8443"), "shop.test");
        assert_eq!(strip_port("shop.test"), "shop.test");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
        assert_eq!(strip_port("::1"), "::1");
    }
}
