//! `kubereach serve`: the server run as users run it (the binary, on
//! 127.0.0.1 with a free port), its API and security checks asked over
//! plain HTTP/1.1, and the page driven in headless chromium
//! (`serve/browser.rs`); a live cluster is the loader's fake API server
//! (`serve/live.rs`).

#[path = "../../load/tests/support/fake_api.rs"]
mod fake_api;
#[path = "serve/support.rs"]
mod support;

#[path = "serve/api.rs"]
mod api;
#[path = "serve/browser.rs"]
mod browser;
#[path = "serve/live.rs"]
mod live;
#[path = "serve/policies.rs"]
mod policies;
#[path = "serve/security.rs"]
mod security;
#[path = "serve/settings.rs"]
mod settings;
