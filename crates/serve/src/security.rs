//! Who may read the page and how the browser must treat it. The server hands
//! out cluster data, so every request passes [`guard`]:
//!
//! - only `GET` (and `HEAD`): nothing here changes anything;
//! - the `Host` header must name the address the server listens on, so a
//!   page on another site cannot reach it through DNS rebinding;
//! - an `Origin` header, when a browser sends one, must be the server's own;
//! - a random token, printed in the URL, proves the reader started the
//!   server; the first request swaps it for an `HttpOnly`, `SameSite=Strict`
//!   cookie (as Jupyter does) and redirects to the URL without it, so it
//!   leaves the address bar and the history;
//! - every response carries a strict Content-Security-Policy (scripts only
//!   from this server, no inline script or style), `nosniff` and
//!   `no-referrer`.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, StatusCode};

/// The name of the cookie that carries the token after the first visit,
/// followed by the port: browsers keep cookies per host, not per port, so
/// two servers on one machine would otherwise overwrite each other's.
pub const COOKIE_PREFIX: &str = "kubereach_token_";

/// The query parameter that carries the token in the printed URL.
pub const TOKEN_PARAMETER: &str = "token";

/// The Content-Security-Policy of every response: nothing but this server's
/// own scripts, styles, images and API; no inline code, no frames, no forms.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// What requests must match.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The `Host` values accepted; empty accepts any (a remote listener on
    /// every address, where the token alone protects the data).
    allowed_hosts: Vec<String>,
    /// The token, as hex.
    token: String,
    /// The cookie's name.
    cookie: String,
}

impl Policy {
    /// The policy of a server bound to `address` with `token`. A loopback
    /// address is reachable as `localhost`, `127.0.0.1` and `[::1]` too; an
    /// unspecified one (`0.0.0.0`, `[::]`) under any name, so then the Host
    /// check is off and only the token protects.
    pub fn new(address: SocketAddr, token: String) -> Policy {
        let port = address.port();
        let ip = address.ip();
        let allowed_hosts = if ip.is_unspecified() {
            Vec::new()
        } else if ip.is_loopback() {
            vec![
                format!("localhost:{port}"),
                format!("127.0.0.1:{port}"),
                format!("[::1]:{port}"),
                address.to_string(),
            ]
        } else {
            vec![address.to_string()]
        };
        Policy { allowed_hosts, token, cookie: format!("{COOKIE_PREFIX}{port}") }
    }

    /// The token.
    pub fn token(&self) -> &str {
        &self.token
    }

    fn host_allowed(&self, host: &str) -> bool {
        self.allowed_hosts.is_empty() || self.allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    fn token_matches(&self, given: &str) -> bool {
        constant_time_eq(given.as_bytes(), self.token.as_bytes())
    }
}

/// A new random token: 32 bytes from the operating system, as hex.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The middleware: rejects what [`Policy`] does not allow, swaps the URL
/// token for the cookie, and adds the security headers to every answer.
pub async fn guard(
    policy: axum::extract::State<std::sync::Arc<Policy>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = match admit(&policy, &request) {
        Admission::Allowed => next.run(request).await,
        Admission::SetCookie { location } => set_cookie(&policy, &location),
        Admission::Denied(status, reason) => (status, reason).into_response(),
    };
    add_headers(response.headers_mut());
    response
}

enum Admission {
    Allowed,
    /// The token was in the URL and right: set the cookie and redirect to
    /// `location`, the same URL without the token.
    SetCookie {
        location: String,
    },
    Denied(StatusCode, &'static str),
}

fn admit(policy: &Policy, request: &Request) -> Admission {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return Admission::Denied(StatusCode::METHOD_NOT_ALLOWED, "only GET: this server is read-only\n");
    }
    let headers = request.headers();
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return Admission::Denied(StatusCode::BAD_REQUEST, "a Host header is required\n");
    };
    if !policy.host_allowed(host) {
        return Admission::Denied(StatusCode::FORBIDDEN, "unexpected Host header\n");
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let own = [format!("http://{host}")];
        if !origin.to_str().is_ok_and(|o| own.iter().any(|own| own.eq_ignore_ascii_case(o))) {
            return Admission::Denied(StatusCode::FORBIDDEN, "requests from another origin are refused\n");
        }
    }
    let query = request.uri().query().unwrap_or_default();
    if let Some(token) = query_token(query) {
        if !policy.token_matches(token) {
            return Admission::Denied(StatusCode::UNAUTHORIZED, "wrong token\n");
        }
        let rest: Vec<&str> = query.split('&').filter(|p| !p.starts_with("token=")).collect();
        let path = request.uri().path();
        let location = if rest.is_empty() { path.to_owned() } else { format!("{path}?{}", rest.join("&")) };
        return Admission::SetCookie { location };
    }
    if cookie_token(headers, &policy.cookie).is_some_and(|t| policy.token_matches(t)) {
        return Admission::Allowed;
    }
    Admission::Denied(
        StatusCode::UNAUTHORIZED,
        "open the URL that `kubereach serve` printed: it carries the access token\n",
    )
}

fn query_token(query: &str) -> Option<&str> {
    query.split('&').find_map(|pair| pair.strip_prefix(TOKEN_PARAMETER)?.strip_prefix('='))
}

fn cookie_token<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

fn set_cookie(policy: &Policy, location: &str) -> Response {
    let cookie = format!("{}={}; HttpOnly; SameSite=Strict; Path=/", policy.cookie, policy.token());
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SEE_OTHER;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        headers.insert(header::SET_COOKIE, value);
    }
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    response
}

fn add_headers(headers: &mut HeaderMap) {
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// Compares without stopping at the first difference, so the time taken
/// does not tell how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::new("127.0.0.1:7878".parse().unwrap(), "ab".repeat(32))
    }

    #[test]
    fn loopback_accepts_its_names_only() {
        let policy = policy();
        assert!(policy.host_allowed("127.0.0.1:7878"));
        assert!(policy.host_allowed("localhost:7878"));
        assert!(policy.host_allowed("[::1]:7878"));
        assert!(!policy.host_allowed("evil.example:7878"));
        assert!(!policy.host_allowed("localhost:7879"));
    }

    #[test]
    fn unspecified_address_leaves_the_token_alone_to_protect() {
        let policy = Policy::new("0.0.0.0:7878".parse().unwrap(), "ab".repeat(32));
        assert!(policy.host_allowed("node-1.example:7878"));
    }

    #[test]
    fn tokens_are_random_and_long() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    #[test]
    fn token_comparison() {
        let policy = policy();
        assert!(policy.token_matches(&"ab".repeat(32)));
        assert!(!policy.token_matches(&"ab".repeat(31)));
        assert!(!policy.token_matches(&format!("{}ac", "ab".repeat(31))));
    }

    #[test]
    fn token_from_query_and_cookie() {
        assert_eq!(query_token("a=1&token=xyz"), Some("xyz"));
        assert_eq!(query_token("tokens=xyz"), None);
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("other=1; kubereach_token_7878=abc"));
        assert_eq!(cookie_token(&headers, "kubereach_token_7878"), Some("abc"));
        assert_eq!(cookie_token(&headers, "kubereach_token_7879"), None);
    }
}
