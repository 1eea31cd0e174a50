//! The security checks of `kubereach serve` (crates/serve/src/security.rs):
//! loopback by default, the token swapped for a cookie, Host and Origin
//! checks, GET only, and the headers every answer carries.

use crate::support::{demo, request, Server};

#[test]
fn every_answer_carries_the_security_headers() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    for path in ["/", "/api/graph", "/assets/app.js", "/api/nowhere"] {
        let response = server.get(path);
        let csp = response.header("content-security-policy").unwrap_or_else(|| panic!("CSP on {path}"));
        assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(response.header("referrer-policy"), Some("no-referrer"), "{path}");
    }
    // Refused requests carry them too.
    let refused = server.request("GET", "/api/graph", &[]);
    assert_eq!(refused.status, 401);
    assert_eq!(refused.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn the_token_in_the_url_becomes_an_http_only_strict_cookie() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    let first = server.request("GET", &format!("/?token={}", server.token), &[]);
    assert_eq!(first.status, 303);
    // The token leaves the address bar.
    assert_eq!(first.header("location"), Some("/"));
    let cookie = first.header("set-cookie").expect("a cookie");
    assert_eq!(cookie, format!("{}; HttpOnly; SameSite=Strict; Path=/", server.cookie()));
    // The token is long and random: 32 bytes as hex.
    assert_eq!(server.token.len(), 64);
    assert!(server.token.bytes().all(|b| b.is_ascii_hexdigit()));
    // With the cookie, the API answers.
    assert_eq!(server.get("/api/graph").status, 200);
}

#[test]
fn without_the_right_token_nothing_is_served() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    for path in ["/", "/api/graph", "/api/check", "/assets/app.js"] {
        let response = server.request("GET", path, &[]);
        assert_eq!(response.status, 401, "{path}");
        assert!(!response.body.contains("production"), "{path}: {}", response.body);
    }
    let wrong = "0".repeat(64);
    assert_eq!(server.request("GET", &format!("/?token={wrong}"), &[]).status, 401);
    let cookie = server.cookie().replace(&server.token, &wrong);
    assert_eq!(server.request("GET", "/api/graph", &[("Cookie", &cookie)]).status, 401);
    // A prefix of the token is not the token.
    let prefix = server.cookie().replace(&server.token, &server.token[..63]);
    assert_eq!(server.request("GET", "/api/graph", &[("Cookie", &prefix)]).status, 401);
}

#[test]
fn a_foreign_host_header_is_refused_dns_rebinding() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    let cookie = server.cookie();
    let port = server.host.rsplit(':').next().expect("port");
    let evil = format!("attacker.example:{port}");
    let response = request(&server.host, "GET", "/api/graph", &[("Host", &evil), ("Cookie", &cookie)]);
    assert_eq!(response.status, 403);
    // The loopback names of the same port are the server's own.
    let localhost = format!("localhost:{port}");
    let response = request(&server.host, "GET", "/api/graph", &[("Host", &localhost), ("Cookie", &cookie)]);
    assert_eq!(response.status, 200);
}

#[test]
fn a_foreign_origin_is_refused() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    let cookie = server.cookie();
    let foreign =
        server.request("GET", "/api/graph", &[("Cookie", &cookie), ("Origin", "http://attacker.example")]);
    assert_eq!(foreign.status, 403);
    let own = format!("http://{}", server.host);
    let same = server.request("GET", "/api/graph", &[("Cookie", &cookie), ("Origin", &own)]);
    assert_eq!(same.status, 200);
}

#[test]
fn only_get_is_answered() {
    let (_dir, path) = demo();
    let server = Server::start(&["-f", &path]);
    let cookie = server.cookie();
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let response =
            server.request(method, "/api/refresh", &[("Cookie", &cookie), ("Content-Length", "0")]);
        assert_eq!(response.status, 405, "{method}");
    }
}

#[test]
fn a_remote_address_needs_allow_remote() {
    let (_dir, path) = demo();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kubereach"))
        .args(["serve", "-f", &path, "--listen", "0.0.0.0:0"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is not a loopback address") && stderr.contains("--allow-remote"), "{stderr}");
    assert!(output.stdout.is_empty());
}
