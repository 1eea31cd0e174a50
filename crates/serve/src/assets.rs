//! The page: its HTML, style and scripts, embedded in the binary, and the
//! vendored graph library (see `assets/vendor/VENDORED.md`). No data is
//! inlined in the HTML: the scripts fetch it from the API.

use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, StatusCode};

/// Every asset: path under `/assets/`, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../assets/app.css")),
    ("app.js", JS, include_bytes!("../assets/app.js")),
    ("api.js", JS, include_bytes!("../assets/api.js")),
    ("dom.js", JS, include_bytes!("../assets/dom.js")),
    ("canvas.js", JS, include_bytes!("../assets/canvas.js")),
    ("panels.js", JS, include_bytes!("../assets/panels.js")),
    ("vendor/cytoscape.min.js", JS, include_bytes!("../assets/vendor/cytoscape.min.js")),
    ("vendor/layout-base.js", JS, include_bytes!("../assets/vendor/layout-base.js")),
    ("vendor/cose-base.js", JS, include_bytes!("../assets/vendor/cose-base.js")),
    ("vendor/cytoscape-fcose.js", JS, include_bytes!("../assets/vendor/cytoscape-fcose.js")),
];

const JS: &str = "text/javascript; charset=utf-8";

/// `GET /`: the page.
pub async fn index() -> Response {
    with_type("text/html; charset=utf-8", include_bytes!("../assets/index.html"))
}

/// `GET /assets/{path}`.
pub async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == path) {
        Some((_, content_type, bytes)) => with_type(content_type, bytes),
        None => (StatusCode::NOT_FOUND, "no such asset\n").into_response(),
    }
}

fn with_type(content_type: &'static str, bytes: &'static [u8]) -> Response {
    let mut response = bytes.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
