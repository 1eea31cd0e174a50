//! Gateway API (`gateway.networking.k8s.io`, standard channel v1,
//! <https://gateway-api.sigs.k8s.io/reference/spec/>): the external →
//! Service path through a Gateway, as its controller would program it.
//!
//! - [`types`]: the objects, field for field;
//! - [`class`]: which controller owns a GatewayClass, whether it accepted
//!   it, and where a Gateway's data plane runs;
//! - [`listener`]: hostnames (exact and wildcard), which listener takes a
//!   request, which routes a listener allows;
//! - [`attach`]: whether a route attaches to a Gateway's listeners, and why
//!   not (what the `Accepted` condition would say);
//! - [`matching`]: which rule of which attached route takes a request, in
//!   the precedence the spec orders;
//! - [`backend`]: backendRefs to Service ports, and ReferenceGrants;
//! - [`data_plane`]: the pods and ports a Gateway's proxies connect to;
//! - [`claim`]: which Gateways take a request for a host;
//! - [`redirect`]: where a `RequestRedirect` filter sends the client;
//! - [`stream`]: TLSRoute (by SNI name), TCPRoute and UDPRoute (by
//!   listener), the routes that take whole connections;
//! - [`tls`]: the Secrets of HTTPS listeners.

pub mod attach;
pub mod backend;
pub mod claim;
pub mod class;
pub mod data_plane;
pub mod listener;
pub mod matching;
pub mod redirect;
pub mod stream;
pub mod tls;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub use crate::model::gateway_api as types;
use crate::model::Object;
use crate::origin::Origin;
use stream::StreamRoute;
use types::{BackendRef, Gateway, GatewayClass, GrpcRoute, HttpRoute, ParentReference};
pub use types::{GatewayApi, GatewayApiObject, GROUP};

impl GatewayApi {
    /// The GatewayClass `name`.
    pub fn class(&self, name: &str) -> Option<&Object<GatewayClass>> {
        self.classes.iter().find(|c| c.value.metadata.name.as_deref() == Some(name))
    }

    /// The Gateway `namespace/name`.
    pub fn gateway(&self, namespace: &str, name: &str) -> Option<&Object<Gateway>> {
        self.gateways.iter().find(|g| is(&g.value.metadata, namespace, name))
    }

    /// Every route: HTTPRoutes, GRPCRoutes, TLSRoutes, TCPRoutes, UDPRoutes.
    pub fn routes(&self) -> impl Iterator<Item = AnyRoute<'_>> {
        self.http_routes
            .iter()
            .map(AnyRoute::Http)
            .chain(self.grpc_routes.iter().map(AnyRoute::Grpc))
            .chain(self.tls_routes.iter().map(AnyRoute::Tls))
            .chain(self.tcp_routes.iter().map(AnyRoute::Tcp))
            .chain(self.udp_routes.iter().map(AnyRoute::Udp))
    }
}

/// A route of any kind: what attachment and backends look at alike.
#[derive(Debug, Clone, Copy)]
pub enum AnyRoute<'c> {
    /// An HTTPRoute.
    Http(&'c Object<HttpRoute>),
    /// A GRPCRoute.
    Grpc(&'c Object<GrpcRoute>),
    /// A TLSRoute.
    Tls(&'c Object<StreamRoute>),
    /// A TCPRoute.
    Tcp(&'c Object<StreamRoute>),
    /// A UDPRoute.
    Udp(&'c Object<StreamRoute>),
}

impl<'c> AnyRoute<'c> {
    /// `HTTPRoute` or `GRPCRoute`.
    pub fn kind(self) -> &'static str {
        match self {
            AnyRoute::Http(_) => "HTTPRoute",
            AnyRoute::Grpc(_) => "GRPCRoute",
            AnyRoute::Tls(_) => "TLSRoute",
            AnyRoute::Tcp(_) => "TCPRoute",
            AnyRoute::Udp(_) => "UDPRoute",
        }
    }

    /// The route's metadata.
    pub fn metadata(self) -> &'c ObjectMeta {
        match self {
            AnyRoute::Http(r) => &r.value.metadata,
            AnyRoute::Grpc(r) => &r.value.metadata,
            AnyRoute::Tls(r) | AnyRoute::Tcp(r) | AnyRoute::Udp(r) => &r.value.metadata,
        }
    }

    /// Where it came from.
    pub fn origin(self) -> &'c Origin {
        match self {
            AnyRoute::Http(r) => &r.origin,
            AnyRoute::Grpc(r) => &r.origin,
            AnyRoute::Tls(r) | AnyRoute::Tcp(r) | AnyRoute::Udp(r) => &r.origin,
        }
    }

    /// Its namespace.
    pub fn namespace(self) -> &'c str {
        self.metadata().namespace.as_deref().unwrap_or("default")
    }

    /// Its name.
    pub fn name(self) -> &'c str {
        self.metadata().name.as_deref().unwrap_or_default()
    }

    /// `namespace/name`.
    pub fn id(self) -> String {
        format!("{}/{}", self.namespace(), self.name())
    }

    /// `spec.parentRefs`.
    pub fn parent_refs(self) -> &'c [ParentReference] {
        match self {
            AnyRoute::Http(r) => &r.value.spec.parent_refs,
            AnyRoute::Grpc(r) => &r.value.spec.parent_refs,
            AnyRoute::Tls(r) | AnyRoute::Tcp(r) | AnyRoute::Udp(r) => &r.value.spec.parent_refs,
        }
    }

    /// `spec.hostnames`.
    pub fn hostnames(self) -> &'c [String] {
        match self {
            AnyRoute::Http(r) => &r.value.spec.hostnames,
            AnyRoute::Grpc(r) => &r.value.spec.hostnames,
            AnyRoute::Tls(r) => &r.value.spec.hostnames,
            // TCPRoute and UDPRoute have no hostnames.
            AnyRoute::Tcp(_) | AnyRoute::Udp(_) => &[],
        }
    }

    /// Every backendRef of every rule, with the rule's index and the field path.
    pub fn backend_refs(self) -> Vec<(usize, String, &'c BackendRef)> {
        let per_rule: Vec<&'c [BackendRef]> = match self {
            AnyRoute::Http(r) => r.value.spec.rules.iter().map(|rule| rule.backend_refs.as_slice()).collect(),
            AnyRoute::Grpc(r) => r.value.spec.rules.iter().map(|rule| rule.backend_refs.as_slice()).collect(),
            AnyRoute::Tls(r) | AnyRoute::Tcp(r) | AnyRoute::Udp(r) => {
                r.value.spec.rules.iter().map(|rule| rule.backend_refs.as_slice()).collect()
            }
        };
        per_rule
            .into_iter()
            .enumerate()
            .flat_map(|(r, refs)| {
                refs.iter()
                    .enumerate()
                    .map(move |(b, backend)| (r, format!("spec.rules[{r}].backendRefs[{b}]"), backend))
            })
            .collect()
    }
}

/// Whether `meta` is `namespace/name`.
fn is(meta: &ObjectMeta, namespace: &str, name: &str) -> bool {
    meta.namespace.as_deref() == Some(namespace) && meta.name.as_deref() == Some(name)
}

/// `namespace/name` of a namespaced object.
pub fn object_id(meta: &ObjectMeta) -> String {
    format!("{}/{}", meta.namespace.as_deref().unwrap_or("default"), meta.name.as_deref().unwrap_or_default())
}
