//! Route attachment: which listeners of which Gateways a route's
//! `parentRefs` attach it to, and why a parentRef attaches to none — the
//! reasons of the route's `Accepted` condition
//! (<https://gateway-api.sigs.k8s.io/reference/spec/#routeconditionreason>:
//! `NotAllowedByListeners`, `NoMatchingListenerHostname`,
//! `NoMatchingParent`).
//!
//! `ParentReference` reference: `sectionName` names a listener, `port`
//! selects the listeners on that port, both must hold when both are set,
//! and with neither the route attaches to every listener that allows it;
//! `namespace` defaults to the route's.

use crate::model::{Cluster, Object};

use super::listener::{intersect_hostnames, route_allowed, NotAllowed};
use super::types::{Gateway, ParentReference, GROUP};
use super::AnyRoute;

/// What became of one `parentRef`.
#[derive(Debug, Clone)]
pub struct ParentAttachment<'c> {
    /// Index in `spec.parentRefs`.
    pub index: usize,
    /// The reference.
    pub parent_ref: &'c ParentReference,
    /// The Gateway's namespace.
    pub namespace: String,
    /// The outcome.
    pub outcome: Attachment<'c>,
}

/// Whether a parentRef attaches.
#[derive(Debug, Clone, PartialEq)]
pub enum Attachment<'c> {
    /// To these listeners (index in `spec.listeners`), with the hostnames
    /// the route serves on each (empty: every host the listener takes).
    Attached {
        /// The Gateway.
        gateway: &'c Object<Gateway>,
        /// `(listener index, hostnames)`.
        listeners: Vec<(usize, Vec<String>)>,
    },
    /// The parent is not a Gateway (a Service: GAMMA mesh routing, not modelled).
    NotAGateway {
        /// Its kind.
        kind: String,
    },
    /// No Gateway of that name in the input.
    GatewayNotFound,
    /// `sectionName` / `port` name no listener of the Gateway.
    NoMatchingParent {
        /// The Gateway.
        gateway: &'c Object<Gateway>,
    },
    /// The listeners exclude the route's namespace or kind.
    NotAllowedByListeners {
        /// The Gateway.
        gateway: &'c Object<Gateway>,
        /// Why, from the first listener that refused it.
        reason: NotAllowed,
    },
    /// The route's hostnames intersect no listener's.
    NoMatchingListenerHostname {
        /// The Gateway.
        gateway: &'c Object<Gateway>,
    },
}

/// Where each parentRef of `route` attaches it.
pub fn attachments<'c>(cluster: &'c Cluster, route: AnyRoute<'c>) -> Vec<ParentAttachment<'c>> {
    route
        .parent_refs()
        .iter()
        .enumerate()
        .map(|(index, parent_ref)| {
            let namespace = parent_ref.namespace.clone().unwrap_or_else(|| route.namespace().to_owned());
            let outcome = attach(cluster, route, parent_ref, &namespace);
            ParentAttachment { index, parent_ref, namespace, outcome }
        })
        .collect()
}

fn attach<'c>(
    cluster: &'c Cluster,
    route: AnyRoute<'c>,
    parent_ref: &ParentReference,
    namespace: &str,
) -> Attachment<'c> {
    let group = parent_ref.group.as_deref().unwrap_or(GROUP);
    let kind = parent_ref.kind.as_deref().unwrap_or("Gateway");
    if group != GROUP || kind != "Gateway" {
        return Attachment::NotAGateway { kind: kind.to_owned() };
    }
    let Some(gateway) = cluster.gateway_api().gateway(namespace, &parent_ref.name) else {
        return Attachment::GatewayNotFound;
    };
    let candidates: Vec<(usize, &super::types::Listener)> = gateway
        .value
        .spec
        .listeners
        .iter()
        .enumerate()
        .filter(|(_, l)| parent_ref.section_name.as_deref().is_none_or(|s| s == l.name))
        .filter(|(_, l)| parent_ref.port.is_none_or(|p| p == l.port))
        .collect();
    if candidates.is_empty() {
        return Attachment::NoMatchingParent { gateway };
    }
    let mut refused = None;
    let mut hostname_mismatch = false;
    let mut listeners = Vec::new();
    for (index, listener) in candidates {
        if let Err(reason) = route_allowed(cluster, namespace, listener, route.kind(), route.namespace()) {
            refused.get_or_insert(reason);
            continue;
        }
        match intersect_hostnames(listener.hostname.as_deref(), route.hostnames()) {
            Some(hostnames) => listeners.push((index, hostnames)),
            None => hostname_mismatch = true,
        }
    }
    match (listeners.is_empty(), hostname_mismatch, refused) {
        (false, _, _) => Attachment::Attached { gateway, listeners },
        (true, true, _) => Attachment::NoMatchingListenerHostname { gateway },
        (true, false, Some(reason)) => Attachment::NotAllowedByListeners { gateway, reason },
        (true, false, None) => Attachment::NoMatchingParent { gateway },
    }
}

/// The routes attached to listener `listener` of `gateway`, with the
/// hostnames each serves there.
pub fn attached_routes<'c>(
    cluster: &'c Cluster,
    gateway: &Object<Gateway>,
    listener: usize,
) -> Vec<(AnyRoute<'c>, Vec<String>)> {
    cluster
        .gateway_api()
        .routes()
        .filter_map(|route| {
            attachments(cluster, route).into_iter().find_map(|a| match a.outcome {
                Attachment::Attached { gateway: g, listeners } if std::ptr::eq(g, gateway) => listeners
                    .into_iter()
                    .find(|(index, _)| *index == listener)
                    .map(|(_, hostnames)| (route, hostnames)),
                _ => None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::testing::cluster;

    fn gateway() -> Value {
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": "infra"},
        "spec": {"gatewayClassName": "eg", "listeners": [
            {"name": "http", "port": 80, "protocol": "HTTP", "hostname": "*.example.com",
             "allowedRoutes": {"namespaces": {"from": "All"}}},
            {"name": "internal", "port": 8080, "protocol": "HTTP"}
        ]}})
    }

    fn route(namespace: &str, parent: Value, hostnames: Value) -> Value {
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
            "metadata": {"name": "r", "namespace": namespace},
            "spec": {"parentRefs": [parent], "hostnames": hostnames, "rules": []}})
    }

    fn outcome(parent: Value, namespace: &str, hostnames: Value) -> String {
        let c = cluster(vec![gateway(), route(namespace, parent, hostnames)]);
        let r = c.gateway_api().routes().next().unwrap();
        let a = attachments(&c, r).remove(0);
        match a.outcome {
            Attachment::Attached { listeners, .. } => format!("attached {listeners:?}"),
            Attachment::NotAllowedByListeners { reason, .. } => format!("not allowed {reason:?}"),
            other => format!("{other:?}").split_whitespace().next().unwrap().to_owned(),
        }
    }

    // ParentReference: "When unspecified (empty string), this will reference
    // the entire resource" and the route attaches to every listener that
    // allows it; here `internal` allows only `infra` (from: Same).
    #[test]
    fn without_section_name_every_allowing_listener() {
        assert_eq!(
            outcome(json!({"name": "gw", "namespace": "infra"}), "shop", json!(["a.example.com"])),
            "attached [(0, [\"a.example.com\"])]"
        );
        assert_eq!(
            outcome(json!({"name": "gw"}), "infra", json!([])),
            "attached [(0, [\"*.example.com\"]), (1, [])]"
        );
    }

    // sectionName and port must both name the listener.
    #[test]
    fn section_name_and_port_select_listeners() {
        assert_eq!(
            outcome(json!({"name": "gw", "namespace": "infra", "sectionName": "web"}), "shop", json!([])),
            "NoMatchingParent"
        );
        assert_eq!(
            outcome(
                json!({"name": "gw", "namespace": "infra", "sectionName": "http", "port": 8080}),
                "shop",
                json!([])
            ),
            "NoMatchingParent"
        );
        assert_eq!(
            outcome(json!({"name": "gw", "namespace": "infra", "port": 80}), "shop", json!([])),
            "attached [(0, [\"*.example.com\"])]"
        );
    }

    // RouteConditionReason: NotAllowedByListeners, NoMatchingListenerHostname.
    #[test]
    fn reasons_a_route_does_not_attach() {
        assert!(outcome(
            json!({"name": "gw", "namespace": "infra", "sectionName": "internal"}),
            "shop",
            json!([])
        )
        .starts_with("not allowed Namespace"));
        assert_eq!(
            outcome(
                json!({"name": "gw", "namespace": "infra", "sectionName": "http"}),
                "shop",
                json!(["example.org"])
            ),
            "NoMatchingListenerHostname"
        );
        assert_eq!(
            outcome(json!({"name": "nope", "namespace": "infra"}), "shop", json!([])),
            "GatewayNotFound"
        );
        assert!(outcome(json!({"name": "svc", "kind": "Service", "group": ""}), "shop", json!([]))
            .starts_with("NotAGateway"));
    }
}
