//! The Gateway API objects (`gateway.networking.k8s.io`, standard channel
//! v1: <https://gateway-api.sigs.k8s.io/reference/spec/>), field for field
//! for the fields that decide where traffic goes. They are CRDs, so not in
//! `k8s-openapi`; the rest of each object is ignored.
//!
//! TLSRoute, TCPRoute and UDPRoute share one shape, [`StreamRoute`]. What a
//! controller does with these objects is [`crate::gateway`]. The
//! experimental channel also adds `parentRefs` to a Service (GAMMA, mesh
//! traffic), CORS and external-auth filters, and listener sets; none of
//! these is read.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};

use crate::model::Object;
use crate::origin::Origin;

/// The API group of every Gateway API kind.
pub const GROUP: &str = "gateway.networking.k8s.io";

/// A class of Gateways, implemented by one controller.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayClass {
    /// Name (cluster-scoped).
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The controller.
    #[serde(default)]
    pub spec: GatewayClassSpec,
    /// What the controller said, when the input is a dump.
    #[serde(default)]
    pub status: Option<ConditionsStatus>,
}

/// `GatewayClass.spec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayClassSpec {
    /// The controller that manages Gateways of this class
    /// (`gateway.envoyproxy.io/gatewayclass-controller`).
    #[serde(default)]
    pub controller_name: String,
}

/// A status that holds only conditions.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionsStatus {
    /// `Accepted`, `Programmed`, …
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

/// A status condition; only the fields kubereach reads, all optional so
/// that hand-written dumps load.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `Accepted`, `Programmed`, `ResolvedRefs`, …
    #[serde(default, rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    #[serde(default)]
    pub status: String,
    /// Why, in one CamelCase word.
    #[serde(default)]
    pub reason: Option<String>,
    /// Why, in words.
    #[serde(default)]
    pub message: Option<String>,
}

/// A Gateway: listeners on addresses, served by its class's controller.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gateway {
    /// Name, namespace, labels.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Class, listeners, requested addresses.
    #[serde(default)]
    pub spec: GatewaySpec,
    /// Assigned addresses and conditions, when the input is a dump.
    #[serde(default)]
    pub status: Option<GatewayStatus>,
}

/// `Gateway.spec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewaySpec {
    /// The GatewayClass.
    #[serde(default)]
    pub gateway_class_name: String,
    /// Where the Gateway accepts connections.
    #[serde(default)]
    pub listeners: Vec<Listener>,
    /// Addresses asked for; the implementation assigns them otherwise.
    #[serde(default)]
    pub addresses: Vec<GatewayAddress>,
}

/// `Gateway.status`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayStatus {
    /// The addresses the Gateway is reachable at.
    #[serde(default)]
    pub addresses: Vec<GatewayAddress>,
    /// `Accepted`, `Programmed`.
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

/// An address of a Gateway.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayAddress {
    /// `IPAddress` (the default), `Hostname` or an implementation's type.
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    /// The address.
    #[serde(default)]
    pub value: String,
}

/// A listener: a port, a protocol, an optional hostname, TLS settings and
/// which routes may attach.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listener {
    /// Unique in the Gateway; what a `parentRef`'s `sectionName` names.
    #[serde(default)]
    pub name: String,
    /// Exact (`www.example.com`) or wildcard (`*.example.com`); all hosts when absent.
    #[serde(default)]
    pub hostname: Option<String>,
    /// The port.
    #[serde(default)]
    pub port: i32,
    /// `HTTP`, `HTTPS`, `TLS`, `TCP`, `UDP`, or an implementation's (`example.com/…`).
    #[serde(default)]
    pub protocol: String,
    /// TLS settings (HTTPS and TLS listeners).
    #[serde(default)]
    pub tls: Option<ListenerTls>,
    /// Which routes may attach (default: same namespace, kinds of the protocol).
    #[serde(default)]
    pub allowed_routes: Option<AllowedRoutes>,
}

/// `Listener.tls`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerTls {
    /// `Terminate` (the default) or `Passthrough`.
    #[serde(default)]
    pub mode: Option<String>,
    /// The certificates (Secrets by default).
    #[serde(default)]
    pub certificate_refs: Vec<ObjectReference>,
}

/// A reference to an object by group, kind, name and optional namespace.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReference {
    /// API group (`""`, the core group, by default).
    #[serde(default)]
    pub group: Option<String>,
    /// Kind (`Secret` by default for certificates).
    #[serde(default)]
    pub kind: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Namespace (the referrer's by default).
    #[serde(default)]
    pub namespace: Option<String>,
}

/// `Listener.allowedRoutes`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowedRoutes {
    /// From which namespaces.
    #[serde(default)]
    pub namespaces: Option<RouteNamespaces>,
    /// Which route kinds; empty: the kinds of the listener's protocol.
    #[serde(default)]
    pub kinds: Vec<RouteGroupKind>,
}

/// `allowedRoutes.namespaces`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteNamespaces {
    /// `Same` (the default), `All` or `Selector`.
    #[serde(default)]
    pub from: Option<String>,
    /// The namespaces' labels, for `Selector`.
    #[serde(default)]
    pub selector: Option<LabelSelector>,
}

/// A route kind, in `allowedRoutes.kinds`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteGroupKind {
    /// Group (`gateway.networking.k8s.io` by default).
    #[serde(default)]
    pub group: Option<String>,
    /// Kind.
    #[serde(default)]
    pub kind: String,
}

/// An HTTPRoute: hostnames and rules sending HTTP requests to backends.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRoute {
    /// Name, namespace, creation timestamp (a tie-breaker of precedence).
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Parents, hostnames, rules.
    #[serde(default)]
    pub spec: HttpRouteSpec,
}

/// `HTTPRoute.spec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteSpec {
    /// The Gateways (and listeners) the route attaches to.
    #[serde(default)]
    pub parent_refs: Vec<ParentReference>,
    /// The hosts it serves; all the listener's when empty.
    #[serde(default)]
    pub hostnames: Vec<String>,
    /// The rules; one rule matching `/` to nothing when empty.
    #[serde(default)]
    pub rules: Vec<HttpRouteRule>,
}

/// A `parentRef` of a route.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParentReference {
    /// `gateway.networking.k8s.io` by default.
    #[serde(default)]
    pub group: Option<String>,
    /// `Gateway` by default.
    #[serde(default)]
    pub kind: Option<String>,
    /// The route's namespace by default.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The Gateway's name.
    #[serde(default)]
    pub name: String,
    /// A listener's name.
    #[serde(default)]
    pub section_name: Option<String>,
    /// A listener's port.
    #[serde(default)]
    pub port: Option<i32>,
}

/// A rule of an HTTPRoute.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteRule {
    /// Its name (optional).
    #[serde(default)]
    pub name: Option<String>,
    /// Any of these matches selects the rule; `[{path: PathPrefix /}]` when empty.
    #[serde(default)]
    pub matches: Vec<HttpRouteMatch>,
    /// Redirects, rewrites, header changes, mirrors.
    #[serde(default)]
    pub filters: Vec<HttpRouteFilter>,
    /// Where matching requests go, by weight.
    #[serde(default)]
    pub backend_refs: Vec<BackendRef>,
}

/// One match of a rule: every field present must match.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteMatch {
    /// The path (`PathPrefix /` when absent).
    #[serde(default)]
    pub path: Option<HttpPathMatch>,
    /// Headers, all of which must match.
    #[serde(default)]
    pub headers: Vec<HttpHeaderMatch>,
    /// Query parameters, all of which must match.
    #[serde(default)]
    pub query_params: Vec<HttpHeaderMatch>,
    /// The method (`GET`, …).
    #[serde(default)]
    pub method: Option<String>,
}

/// `matches[].path`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpPathMatch {
    /// `Exact`, `PathPrefix` (the default) or `RegularExpression`.
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    /// The path (`/` by default).
    #[serde(default)]
    pub value: Option<String>,
}

/// A header or query-parameter match.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpHeaderMatch {
    /// `Exact` (the default) or `RegularExpression`.
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    /// The name (case-insensitive for headers, case-sensitive for query parameters).
    #[serde(default)]
    pub name: String,
    /// The value.
    #[serde(default)]
    pub value: String,
}

/// A filter of a rule or backend.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouteFilter {
    /// `RequestRedirect`, `URLRewrite`, `RequestHeaderModifier`, …
    #[serde(default, rename = "type")]
    pub type_: String,
    /// For `RequestRedirect`.
    #[serde(default)]
    pub request_redirect: Option<RequestRedirect>,
    /// For `URLRewrite`.
    #[serde(default)]
    pub url_rewrite: Option<UrlRewrite>,
}

/// `RequestRedirect`: the Gateway answers with a redirect; no backend is reached.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRedirect {
    /// `http` or `https`.
    #[serde(default)]
    pub scheme: Option<String>,
    /// The new host.
    #[serde(default)]
    pub hostname: Option<String>,
    /// The new path.
    #[serde(default)]
    pub path: Option<PathModifier>,
    /// The new port.
    #[serde(default)]
    pub port: Option<i32>,
    /// 302 (the default) or 301.
    #[serde(default)]
    pub status_code: Option<i32>,
}

/// `URLRewrite`: the request reaches the backend with another host or path.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UrlRewrite {
    /// The new `Host`.
    #[serde(default)]
    pub hostname: Option<String>,
    /// The new path.
    #[serde(default)]
    pub path: Option<PathModifier>,
}

/// How a redirect or rewrite changes the path.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PathModifier {
    /// `ReplaceFullPath` or `ReplacePrefixMatch`.
    #[serde(default, rename = "type")]
    pub type_: String,
    /// For `ReplaceFullPath`.
    #[serde(default)]
    pub replace_full_path: Option<String>,
    /// For `ReplacePrefixMatch`.
    #[serde(default)]
    pub replace_prefix_match: Option<String>,
}

/// A backend of a rule.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackendRef {
    /// `""` (core) by default.
    #[serde(default)]
    pub group: Option<String>,
    /// `Service` by default.
    #[serde(default)]
    pub kind: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// The route's namespace by default; another needs a ReferenceGrant.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The Service port (required for a Service).
    #[serde(default)]
    pub port: Option<i32>,
    /// Share of the traffic, 1 by default; 0 sends it nothing.
    #[serde(default)]
    pub weight: Option<i32>,
}

/// A GRPCRoute: gRPC services and methods to backends.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrpcRoute {
    /// Name, namespace, creation timestamp.
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Parents, hostnames, rules.
    #[serde(default)]
    pub spec: GrpcRouteSpec,
}

/// `GRPCRoute.spec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrpcRouteSpec {
    /// The Gateways (and listeners) the route attaches to.
    #[serde(default)]
    pub parent_refs: Vec<ParentReference>,
    /// The hosts it serves.
    #[serde(default)]
    pub hostnames: Vec<String>,
    /// The rules.
    #[serde(default)]
    pub rules: Vec<GrpcRouteRule>,
}

/// A rule of a GRPCRoute.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrpcRouteRule {
    /// Any of these selects the rule; every request when empty.
    #[serde(default)]
    pub matches: Vec<GrpcRouteMatch>,
    /// Where matching calls go.
    #[serde(default)]
    pub backend_refs: Vec<BackendRef>,
}

/// One match of a GRPCRoute rule.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrpcRouteMatch {
    /// The service and method.
    #[serde(default)]
    pub method: Option<GrpcMethodMatch>,
    /// Headers, all of which must match.
    #[serde(default)]
    pub headers: Vec<HttpHeaderMatch>,
}

/// `matches[].method` of a GRPCRoute.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrpcMethodMatch {
    /// `Exact` (the default) or `RegularExpression`.
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    /// The fully qualified service (`package.Service`); any when absent.
    #[serde(default)]
    pub service: Option<String>,
    /// The method; any when absent.
    #[serde(default)]
    pub method: Option<String>,
}

/// A ReferenceGrant: lets objects of other namespaces refer to objects of its own.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceGrant {
    /// Name and namespace (the namespace of the referents).
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Who may refer to what.
    #[serde(default)]
    pub spec: ReferenceGrantSpec,
}

/// `ReferenceGrant.spec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceGrantSpec {
    /// The referrers: group, kind and namespace.
    #[serde(default)]
    pub from: Vec<ReferenceGrantFrom>,
    /// The referents: group, kind and optional name.
    #[serde(default)]
    pub to: Vec<ReferenceGrantTo>,
}

/// `ReferenceGrant.spec.from[]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceGrantFrom {
    /// Group of the referrer.
    #[serde(default)]
    pub group: String,
    /// Kind of the referrer.
    #[serde(default)]
    pub kind: String,
    /// Namespace of the referrer.
    #[serde(default)]
    pub namespace: String,
}

/// `ReferenceGrant.spec.to[]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceGrantTo {
    /// Group of the referent (`""` for Services and Secrets).
    #[serde(default)]
    pub group: String,
    /// Kind of the referent.
    #[serde(default)]
    pub kind: String,
    /// Only this name; any when absent.
    #[serde(default)]
    pub name: Option<String>,
}

/// One Gateway API object, as the loader hands it over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum GatewayApiObject {
    GatewayClass(GatewayClass),
    Gateway(Gateway),
    HttpRoute(HttpRoute),
    GrpcRoute(GrpcRoute),
    ReferenceGrant(ReferenceGrant),
    TlsRoute(StreamRoute),
    TcpRoute(StreamRoute),
    UdpRoute(StreamRoute),
}

impl GatewayApiObject {
    /// The Kubernetes `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            GatewayApiObject::GatewayClass(_) => "GatewayClass",
            GatewayApiObject::Gateway(_) => "Gateway",
            GatewayApiObject::HttpRoute(_) => "HTTPRoute",
            GatewayApiObject::GrpcRoute(_) => "GRPCRoute",
            GatewayApiObject::ReferenceGrant(_) => "ReferenceGrant",
            GatewayApiObject::TlsRoute(_) => "TLSRoute",
            GatewayApiObject::TcpRoute(_) => "TCPRoute",
            GatewayApiObject::UdpRoute(_) => "UDPRoute",
        }
    }

    /// Whether objects of this kind live in a namespace (all but GatewayClass).
    pub fn is_namespaced(&self) -> bool {
        !matches!(self, GatewayApiObject::GatewayClass(_))
    }

    /// The object's metadata.
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            GatewayApiObject::GatewayClass(o) => &o.metadata,
            GatewayApiObject::Gateway(o) => &o.metadata,
            GatewayApiObject::HttpRoute(o) => &o.metadata,
            GatewayApiObject::GrpcRoute(o) => &o.metadata,
            GatewayApiObject::ReferenceGrant(o) => &o.metadata,
            GatewayApiObject::TlsRoute(o) | GatewayApiObject::TcpRoute(o) | GatewayApiObject::UdpRoute(o) => {
                &o.metadata
            }
        }
    }

    /// The object's metadata, to default its namespace.
    pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
        match self {
            GatewayApiObject::GatewayClass(o) => &mut o.metadata,
            GatewayApiObject::Gateway(o) => &mut o.metadata,
            GatewayApiObject::HttpRoute(o) => &mut o.metadata,
            GatewayApiObject::GrpcRoute(o) => &mut o.metadata,
            GatewayApiObject::ReferenceGrant(o) => &mut o.metadata,
            GatewayApiObject::TlsRoute(o) | GatewayApiObject::TcpRoute(o) | GatewayApiObject::UdpRoute(o) => {
                &mut o.metadata
            }
        }
    }
}

/// A TLSRoute, TCPRoute or UDPRoute: the three share their shape
/// (TCPRoute and UDPRoute have no `hostnames`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamRoute {
    /// Name, namespace, creation timestamp (the tie-breaker of conflicts).
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Parents, SNI hostnames, rules.
    #[serde(default)]
    pub spec: StreamRouteSpec,
}

/// `TLSRoute.spec`, `TCPRoute.spec`, `UDPRoute.spec`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamRouteSpec {
    /// The Gateways (and listeners) the route attaches to.
    #[serde(default)]
    pub parent_refs: Vec<ParentReference>,
    /// SNI names (TLSRoute only); every name the listener takes when empty.
    #[serde(default)]
    pub hostnames: Vec<String>,
    /// The rules: each only a list of backends.
    #[serde(default)]
    pub rules: Vec<StreamRouteRule>,
}

/// A rule of a TLSRoute, TCPRoute or UDPRoute.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamRouteRule {
    /// Its name (optional).
    #[serde(default)]
    pub name: Option<String>,
    /// Where connections go, by weight.
    #[serde(default)]
    pub backend_refs: Vec<BackendRef>,
}

/// The Gateway API objects of a cluster.
#[derive(Debug, Clone, Default)]
pub struct GatewayApi {
    /// GatewayClasses, by name.
    pub classes: Vec<Object<GatewayClass>>,
    /// Gateways, by namespace and name.
    pub gateways: Vec<Object<Gateway>>,
    /// HTTPRoutes, by namespace and name.
    pub http_routes: Vec<Object<HttpRoute>>,
    /// GRPCRoutes, by namespace and name.
    pub grpc_routes: Vec<Object<GrpcRoute>>,
    /// ReferenceGrants, by namespace and name.
    pub reference_grants: Vec<Object<ReferenceGrant>>,
    /// TLSRoutes, by namespace and name.
    pub tls_routes: Vec<Object<StreamRoute>>,
    /// TCPRoutes (experimental channel), by namespace and name.
    pub tcp_routes: Vec<Object<StreamRoute>>,
    /// UDPRoutes (experimental channel), by namespace and name.
    pub udp_routes: Vec<Object<StreamRoute>>,
}

impl GatewayApi {
    /// Files `object` under its kind.
    pub fn add(&mut self, object: GatewayApiObject, origin: Origin) {
        match object {
            GatewayApiObject::GatewayClass(value) => self.classes.push(Object { value, origin }),
            GatewayApiObject::Gateway(value) => self.gateways.push(Object { value, origin }),
            GatewayApiObject::HttpRoute(value) => self.http_routes.push(Object { value, origin }),
            GatewayApiObject::GrpcRoute(value) => self.grpc_routes.push(Object { value, origin }),
            GatewayApiObject::ReferenceGrant(value) => self.reference_grants.push(Object { value, origin }),
            GatewayApiObject::TlsRoute(value) => self.tls_routes.push(Object { value, origin }),
            GatewayApiObject::TcpRoute(value) => self.tcp_routes.push(Object { value, origin }),
            GatewayApiObject::UdpRoute(value) => self.udp_routes.push(Object { value, origin }),
        }
    }

    /// Whether the input holds no Gateway API object.
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
            && self.gateways.is_empty()
            && self.http_routes.is_empty()
            && self.grpc_routes.is_empty()
            && self.reference_grants.is_empty()
            && self.tls_routes.is_empty()
            && self.tcp_routes.is_empty()
            && self.udp_routes.is_empty()
    }
}
