//! Where a `RequestRedirect` filter sends the client
//! (<https://gateway-api.sigs.k8s.io/reference/spec/#httprequestredirectfilter>):
//!
//! - `scheme` and `hostname` default to the request's;
//! - `port`: "If no port is specified, the redirect port MUST be derived …
//!   If redirect scheme is not-empty, the redirect port MUST be the
//!   well-known port associated with the redirect scheme (`http` 80,
//!   `https` 443) … If redirect scheme is empty, the redirect port MUST be
//!   the Gateway Listener port", and implementations "SHOULD NOT add the
//!   port number in the 'Location' header" for HTTP on 80 and HTTPS on 443;
//! - `path`: `ReplaceFullPath` replaces it, `ReplacePrefixMatch` replaces
//!   the prefix the rule matched; unchanged otherwise;
//! - `statusCode`: 302 by default.

use super::types::RequestRedirect;

/// The request a redirect answers.
#[derive(Debug, Clone, Copy)]
pub struct Redirected<'a> {
    /// `http` or `https`.
    pub scheme: &'a str,
    /// The listener's port.
    pub listener_port: i32,
    /// The host.
    pub host: &'a str,
    /// The path.
    pub path: &'a str,
    /// The `PathPrefix` value the rule matched, if any.
    pub matched_prefix: Option<&'a str>,
}

/// The `Location` a redirect answers `request` with, and the status code.
pub fn location(redirect: &RequestRedirect, request: Redirected<'_>) -> (String, u16) {
    let scheme = redirect.scheme.as_deref().unwrap_or(request.scheme);
    let port = redirect.port.unwrap_or(match redirect.scheme.as_deref() {
        Some("http") => 80,
        Some("https") => 443,
        _ => request.listener_port,
    });
    let port = match (scheme, port) {
        ("http", 80) | ("https", 443) => String::new(),
        _ => format!(":{port}"),
    };
    let host = redirect.hostname.as_deref().unwrap_or(request.host);
    let path = match redirect.path.as_ref() {
        Some(p) if p.type_ == "ReplaceFullPath" => p.replace_full_path.clone().unwrap_or_default(),
        Some(p) if p.type_ == "ReplacePrefixMatch" => {
            let new = p.replace_prefix_match.as_deref().unwrap_or("/");
            replace_prefix(request.path, request.matched_prefix.unwrap_or("/"), new)
        }
        _ => request.path.to_owned(),
    };
    let status = redirect.status_code.and_then(|c| u16::try_from(c).ok()).unwrap_or(302);
    (format!("{scheme}://{host}{port}{path}"), status)
}

/// `path` with the element-wise `prefix` replaced by `new` (`/foo` →
/// `/xyz` turns `/foo/bar` into `/xyz/bar`; `/` keeps the separator).
pub fn replace_prefix(path: &str, prefix: &str, new: &str) -> String {
    let prefix = prefix.trim_end_matches('/');
    let rest = path.strip_prefix(prefix).unwrap_or(path);
    let new = new.trim_end_matches('/');
    let joined = format!("{new}{rest}");
    if joined.is_empty() {
        "/".to_owned()
    } else if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn redirect(value: serde_json::Value) -> RequestRedirect {
        serde_json::from_value(value).unwrap()
    }

    fn request<'a>(scheme: &'a str, port: i32, path: &'a str) -> Redirected<'a> {
        Redirected {
            scheme,
            listener_port: port,
            host: "shop.example.com",
            path,
            matched_prefix: Some("/old"),
        }
    }

    // HTTPRequestRedirectFilter: the scheme's well-known port, left out of
    // `Location`; 302 by default.
    #[test]
    fn https_redirect_uses_the_well_known_port() {
        let first = location(&redirect(json!({"scheme": "https"})), request("http", 80, "/a?b"));
        assert_eq!(first, ("https://shop.example.com/a?b".to_owned(), 302));
        let second =
            location(&redirect(json!({"scheme": "https", "statusCode": 301})), request("http", 8080, "/"));
        assert_eq!(second, ("https://shop.example.com/".to_owned(), 301));
    }

    // "If redirect scheme is empty, the redirect port MUST be the Gateway Listener port."
    #[test]
    fn without_scheme_the_listener_port() {
        let (location, _) =
            location(&redirect(json!({"hostname": "new.example.com"})), request("http", 8080, "/x"));
        assert_eq!(location, "http://new.example.com:8080/x");
    }

    // ReplacePrefixMatch: "/foo" → "/xyz" turns "/foo/bar" into "/xyz/bar".
    #[test]
    fn path_modifiers() {
        let prefix = redirect(json!({"path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/new"}}));
        assert_eq!(
            location(&prefix, request("https", 443, "/old/page")).0,
            "https://shop.example.com/new/page"
        );
        let full = redirect(json!({"path": {"type": "ReplaceFullPath", "replaceFullPath": "/home"}}));
        assert_eq!(location(&full, request("https", 443, "/old/page")).0, "https://shop.example.com/home");
        assert_eq!(replace_prefix("/old", "/old", "/"), "/");
    }
}
