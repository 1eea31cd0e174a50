//! Which Gateways take a request for a host: the listener of each Gateway
//! that takes it ([`super::listener::listener_for`]) and the routes
//! attached there that serve the host.

use crate::model::{Cluster, Object};

use super::attach::attached_routes;
use super::listener::{hostname_matches, listener_for, listener_hostname, HostnameMatch, RequestProtocol};
use super::types::Gateway;
use super::AnyRoute;

/// A Gateway that takes a request.
#[derive(Debug, Clone)]
pub struct Claim<'c> {
    /// The Gateway.
    pub gateway: &'c Object<Gateway>,
    /// The listener that takes the request (index in `spec.listeners`).
    pub listener: usize,
    /// How precisely the listener's hostname matches the host.
    pub precision: HostnameMatch,
    /// The routes attached to the listener, with the hostnames each serves there.
    pub routes: Vec<(AnyRoute<'c>, Vec<String>)>,
    /// Whether the host is named: by the listener's hostname, or by an
    /// attached route's. A listener without hostname whose routes name no
    /// host takes every request, which is a weaker claim than an Ingress rule's.
    pub named: bool,
    /// Whether an attached route names the host.
    pub route_names_host: bool,
}

/// The Gateways whose listeners take a request for `host` on `port`: those
/// with a route that names the host first, then by the precision of the
/// listener's hostname, then by namespace and name. Each Gateway has its
/// own address, so public DNS decides which one clients reach; the first
/// is the one most likely meant.
pub fn claims<'c>(cluster: &'c Cluster, host: &str, port: i32, protocol: RequestProtocol) -> Vec<Claim<'c>> {
    let mut claims: Vec<Claim<'c>> = cluster
        .gateway_api()
        .gateways
        .iter()
        .filter_map(|gateway| {
            let (listener, l) = listener_for(&gateway.value, port, host, protocol)?;
            let precision = hostname_matches(listener_hostname(l, protocol), host)?;
            let routes = attached_routes(cluster, gateway, listener);
            let route_names = routes.iter().any(|(route, _)| {
                route.hostnames().iter().any(|name| hostname_matches(Some(name), host).is_some())
            });
            let named = precision != HostnameMatch::Any || route_names;
            Some(Claim { gateway, listener, precision, routes, named, route_names_host: route_names })
        })
        .collect();
    claims.sort_by_key(|c| (std::cmp::Reverse((c.route_names_host, c.precision)), !c.named));
    claims
}

/// The Gateway that takes a request, among `claims` (in [`claims`]'
/// order), given whether an Ingress serves the host too: one whose listener
/// or routes name the host takes it before an Ingress does; one that takes
/// every host only when no Ingress serves the host. `trace` and `routes`
/// both follow this choice.
pub fn taking_claim<'a, 'c>(claims: &'a [Claim<'c>], ingress_serves: bool) -> Option<&'a Claim<'c>> {
    claims.iter().find(|c| c.named).or(if ingress_serves { None } else { claims.first() })
}
