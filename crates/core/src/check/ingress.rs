//! Rules about Ingresses: classes (`class.rs`), backends (`backend.rs`),
//! TLS (`tls.rs`) and routing (`routing.rs`).

mod backend;
mod class;
mod routing;
mod tls;

use crate::ingress::ControllerKind;

pub use backend::{IngressBackendPortMismatch, IngressBackendServiceMissing};
pub use class::{IngressClassMissing, IngressClassUnknown};
pub use routing::{IngressExactRootPath, IngressRuleConflict};
pub use tls::IngressTlsSecretMissing;

/// `ingress-nginx`, `traefik`, … (the kebab-case name of the kind).
pub(crate) fn controller_name(kind: ControllerKind) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}
