//! Cilium's policies compiled into the engine's rules
//! (<https://docs.cilium.io/en/stable/security/policy/language/>).
//!
//! - Each rule of a policy (`spec`, `specs[i]`) applies to the pods its
//!   `endpointSelector` selects (in the policy's namespace for a
//!   `CiliumNetworkPolicy`); `hostNetwork` pods are host endpoints, which
//!   only `nodeSelector` (the host firewall, outside the pod model) selects.
//! - A rule puts its pods in default deny for a direction when it has rules
//!   in that direction (allow or deny), unless `enableDefaultDeny` says
//!   otherwise ("If not specified, the default is true for each traffic
//!   direction that has rules"). Cilium merges its policies with
//!   Kubernetes NetworkPolicies: allowed is the union of every allow rule,
//!   minus every deny rule ("Deny policies take precedence over allow
//!   policies, regardless of whether they are a Cilium Network Policy, a
//!   Clusterwide Cilium Network Policy or even a Kubernetes Network
//!   Policy", <https://docs.cilium.io/en/stable/security/policy/deny/>).
//! - A rule's peers are the union of its `fromEndpoints`/`toEndpoints`
//!   (restricted to the policy's namespace unless the selector names
//!   `k8s:io.kubernetes.pod.namespace`), entities, CIDRs (which never
//!   match pods or nodes, only addresses outside the cluster) and
//!   `toServices`. A rule with no peer field but `toPorts` matches every
//!   peer on those ports; an empty rule `{}` matches nothing (the docs'
//!   "default deny" example).
//! - `toPorts` ports default to every port of protocol `ANY` (TCP, UDP and
//!   SCTP); port `0` is every port. L7 rules and `toFQDNs` are kept as
//!   caveats: the model cannot evaluate them.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{
    BitSet, Builder, Direction, IpRange, PeerSet, PolicyKind, PolicyMeta, Rule, RuleCaveat, RulePorts,
    RuleTier,
};
use crate::admin_policy::AdminPolicyAction;
use crate::cilium::{self, CidrRule, CiliumKind, CiliumObject, CiliumRule, Entity, PortRule};
use crate::labels::{selector_matches, Labels};
use crate::model::Object;
use crate::ports::{ConnectionSet, PortSet, Protocol};

/// The peer fields of an ingress or egress rule, read alike.
struct Peers<'a> {
    endpoints: Option<&'a [LabelSelector]>,
    entities: Option<&'a [String]>,
    cidrs: Option<&'a [String]>,
    cidr_sets: Option<&'a [CidrRule]>,
    services: Option<&'a [cilium::ServiceSelector]>,
    fqdns: Option<&'a [cilium::FqdnSelector]>,
    /// Fields the model has no peer for (`fromNodes`, `fromGroups`, …).
    unmodelled: bool,
    ports: Option<&'a [PortRule]>,
    icmps: bool,
}

impl<'a> Peers<'a> {
    fn ingress(rule: &'a cilium::IngressRule) -> Peers<'a> {
        Peers {
            endpoints: rule.from_endpoints.as_deref(),
            entities: rule.from_entities.as_deref(),
            cidrs: rule.from_cidr.as_deref(),
            cidr_sets: rule.from_cidr_set.as_deref(),
            services: None,
            fqdns: None,
            unmodelled: rule.from_nodes.is_some() || rule.from_groups.is_some(),
            ports: rule.to_ports.as_deref(),
            icmps: rule.icmps.as_ref().is_some_and(|i| !i.is_empty()),
        }
    }

    fn egress(rule: &'a cilium::EgressRule) -> Peers<'a> {
        Peers {
            endpoints: rule.to_endpoints.as_deref(),
            entities: rule.to_entities.as_deref(),
            cidrs: rule.to_cidr.as_deref(),
            cidr_sets: rule.to_cidr_set.as_deref(),
            services: rule.to_services.as_deref(),
            fqdns: rule.to_fqdns.as_deref(),
            unmodelled: rule.to_nodes.is_some() || rule.to_groups.is_some(),
            ports: rule.to_ports.as_deref(),
            icmps: rule.icmps.as_ref().is_some_and(|i| !i.is_empty()),
        }
    }

    /// Whether a peer field is present at all.
    fn has_l3(&self) -> bool {
        self.endpoints.is_some()
            || self.entities.is_some()
            || self.cidrs.is_some()
            || self.cidr_sets.is_some()
            || self.services.is_some()
            || self.fqdns.is_some()
            || self.unmodelled
    }
}

/// The CIDRs of a rule with their excepts.
fn cidr_ranges(peers: &Peers<'_>) -> Vec<(IpRange, Vec<IpRange>)> {
    let mut ranges: Vec<(IpRange, Vec<IpRange>)> = peers
        .cidrs
        .unwrap_or_default()
        .iter()
        .filter_map(|c| IpRange::parse_cidr(c))
        .map(|r| (r, Vec::new()))
        .collect();
    for set in peers.cidr_sets.unwrap_or_default() {
        let Some(cidr) = set.cidr.as_deref().and_then(IpRange::parse_cidr) else { continue };
        let except = set.except.iter().flatten().filter_map(|e| IpRange::parse_cidr(e)).collect();
        ranges.push((cidr, except));
    }
    ranges
}

/// The address cuts Cilium's CIDR rules make: `(sources, destinations)`.
pub(super) fn cuts(
    objects: &[Object<CiliumObject>],
    sources: &mut Vec<IpRange>,
    destinations: &mut Vec<IpRange>,
) {
    for object in objects {
        for (_, rule) in object.value.policy.rules() {
            let ingress = rule.ingress.iter().flatten().chain(rule.ingress_deny.iter().flatten());
            for peers in ingress.map(Peers::ingress) {
                for (cidr, except) in cidr_ranges(&peers) {
                    sources.extend(crate::policy::ip::block_ranges(cidr, &except));
                }
            }
            let egress = rule.egress.iter().flatten().chain(rule.egress_deny.iter().flatten());
            for peers in egress.map(Peers::egress) {
                for (cidr, except) in cidr_ranges(&peers) {
                    destinations.extend(crate::policy::ip::block_ranges(cidr, &except));
                }
            }
        }
    }
}

/// A selector with Cilium's source prefixes removed from its keys (`k8s:app`
/// is `app`); keys of other sources (`reserved:host`) become a key no pod has.
fn normalized(selector: &LabelSelector) -> LabelSelector {
    let key = |k: &str| cilium::selector_key(k).map_or_else(|| format!("\u{0}{k}"), str::to_owned);
    LabelSelector {
        match_labels: selector
            .match_labels
            .as_ref()
            .map(|labels| labels.iter().map(|(k, v)| (key(k), v.clone())).collect()),
        match_expressions: selector.match_expressions.as_ref().map(|expressions| {
            expressions.iter().map(|e| LabelSelectorRequirement { key: key(&e.key), ..e.clone() }).collect()
        }),
    }
}

/// Whether a (normalized) selector names the namespace label.
fn names_namespace(selector: &LabelSelector) -> bool {
    selector.match_labels.iter().flatten().any(|(k, _)| k == cilium::NAMESPACE_LABEL)
        || selector.match_expressions.iter().flatten().any(|e| e.key == cilium::NAMESPACE_LABEL)
}

/// `toPorts`: every port of every protocol when absent; the union of the
/// entries otherwise. The L7 protocols of their `rules`, if any.
fn ports(rules: Option<&[PortRule]>, icmps: bool) -> (RulePorts, Vec<String>) {
    let Some(rules) = rules.filter(|r| !r.is_empty()) else {
        // ICMP-only rules match none of TCP, UDP and SCTP.
        let numeric = if icmps { ConnectionSet::none() } else { ConnectionSet::all() };
        return (RulePorts { numeric, named: Vec::new() }, Vec::new());
    };
    let mut numeric = ConnectionSet::none();
    let mut named = Vec::new();
    let mut l7: Vec<String> = Vec::new();
    for rule in rules {
        l7.extend(rule.rules.iter().flatten().filter(|(_, v)| !is_empty(v)).map(|(k, _)| k.clone()));
        let entries = rule.ports.as_deref().unwrap_or_default();
        if entries.is_empty() {
            numeric = ConnectionSet::all();
            continue;
        }
        for entry in entries {
            let protocol = entry.protocol.as_deref().unwrap_or("ANY").to_ascii_uppercase();
            let protocols: Vec<Protocol> = match protocol.as_str() {
                "ANY" => vec![Protocol::Tcp, Protocol::Udp, Protocol::Sctp],
                other => Protocol::parse(other).into_iter().collect(),
            };
            let number = match &entry.port {
                None => Some(0),
                Some(IntOrString::Int(n)) => Some(i64::from(*n)),
                Some(IntOrString::String(text)) => match text.parse::<i64>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        // `ANY` names a port whatever its protocol.
                        let protocol = if protocols.len() == 1 { protocols.first().copied() } else { None };
                        named.push((protocol, text.clone()));
                        None
                    }
                },
            };
            let Some(number) = number else { continue };
            for protocol in protocols {
                let set = if number == 0 {
                    ConnectionSet::protocol(protocol)
                } else {
                    let last = entry.end_port.map_or(number, i64::from).max(number);
                    ConnectionSet::from_ports(protocol, PortSet::range(number, last))
                };
                numeric = numeric.union(&set);
            }
        }
    }
    named.sort();
    named.dedup();
    l7.sort();
    l7.dedup();
    (RulePorts { numeric, named }, l7)
}

fn is_empty(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => true,
        serde_json::Value::Array(items) => items.is_empty(),
        serde_json::Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

impl<'c> Builder<'c> {
    /// The labels Cilium's selectors see on each class's pods.
    fn cilium_labels(&mut self) -> &[Labels] {
        if self.cilium_labels.len() != self.classes.len() {
            let labels: Vec<Labels> = (0..self.classes.len())
                .map(|class| {
                    let (pod_labels, namespace, namespace_labels, account) = self.class_facts(class);
                    cilium::endpoint_labels(&pod_labels, &namespace, &namespace_labels, &account)
                })
                .collect();
            self.cilium_labels = labels;
        }
        &self.cilium_labels
    }

    /// The endpoint classes (not `hostNetwork`) a Cilium selector selects,
    /// within `namespace` when given.
    fn cilium_select(&mut self, selector: &LabelSelector, namespace: Option<&str>) -> BitSet {
        let selector = normalized(selector);
        let count = self.classes.len();
        let mut set = BitSet::new(count);
        let labels = self.cilium_labels().to_vec();
        for (class, labels) in labels.iter().enumerate() {
            if self.classes[class].host_network {
                continue;
            }
            if namespace.is_some_and(|ns| labels.get(cilium::NAMESPACE_LABEL).map(String::as_str) != Some(ns))
            {
                continue;
            }
            if selector_matches(&selector, labels) {
                set.insert(class);
            }
        }
        set
    }

    /// Compiles one Cilium policy: one policy entry per rule of it.
    pub(super) fn compile_cilium(
        &mut self,
        object: &'c Object<CiliumObject>,
        policies: &mut Vec<PolicyMeta<'c>>,
        rules: &mut Vec<Rule>,
        subjects: &mut Vec<[Option<Vec<u32>>; 2]>,
    ) {
        let value = &object.value;
        let namespace = match value.kind {
            CiliumKind::NetworkPolicy => value.policy.metadata.namespace.as_deref(),
            CiliumKind::ClusterwideNetworkPolicy => None,
        };
        let kind = match value.kind {
            CiliumKind::NetworkPolicy => PolicyKind::CiliumNetworkPolicy,
            CiliumKind::ClusterwideNetworkPolicy => PolicyKind::CiliumClusterwideNetworkPolicy,
        };
        for (path, rule) in value.policy.rules() {
            let policy = policies.len() as u32;
            // A host policy (`nodeSelector`) selects nodes, not pods.
            let subject = match (&rule.endpoint_selector, &rule.node_selector) {
                (Some(selector), _) => super::ids(&self.cilium_select(selector, namespace)),
                _ => Vec::new(),
            };
            let has = |allow: bool, deny: bool| allow || deny;
            let ingress_rules = has(
                rule.ingress.as_ref().is_some_and(|r| !r.is_empty()),
                rule.ingress_deny.as_ref().is_some_and(|r| !r.is_empty()),
            );
            let egress_rules = has(
                rule.egress.as_ref().is_some_and(|r| !r.is_empty()),
                rule.egress_deny.as_ref().is_some_and(|r| !r.is_empty()),
            );
            let defaults = rule.enable_default_deny.unwrap_or_default();
            let isolates =
                [defaults.ingress.unwrap_or(ingress_rules), defaults.egress.unwrap_or(egress_rules)];
            policies.push(PolicyMeta {
                kind,
                namespace,
                name: value.policy.metadata.name.as_deref().unwrap_or_default(),
                origin: &object.origin,
                calico_tier: None,
                isolates,
            });
            self.cilium_rules(rule, &path, policy, namespace, rules);
            subjects.push([
                (ingress_rules || isolates[0]).then(|| subject.clone()),
                (egress_rules || isolates[1]).then_some(subject),
            ]);
        }
    }

    fn cilium_rules(
        &mut self,
        rule: &CiliumRule,
        path: &str,
        policy: u32,
        namespace: Option<&str>,
        rules: &mut Vec<Rule>,
    ) {
        let lists: [(&str, Direction, AdminPolicyAction, Vec<Peers<'_>>); 4] = [
            (
                "ingress",
                Direction::Ingress,
                AdminPolicyAction::Allow,
                rule.ingress.iter().flatten().map(Peers::ingress).collect(),
            ),
            (
                "ingressDeny",
                Direction::Ingress,
                AdminPolicyAction::Deny,
                rule.ingress_deny.iter().flatten().map(Peers::ingress).collect(),
            ),
            (
                "egress",
                Direction::Egress,
                AdminPolicyAction::Allow,
                rule.egress.iter().flatten().map(Peers::egress).collect(),
            ),
            (
                "egressDeny",
                Direction::Egress,
                AdminPolicyAction::Deny,
                rule.egress_deny.iter().flatten().map(Peers::egress).collect(),
            ),
        ];
        for (list, direction, action, entries) in lists {
            for (index, peers) in entries.iter().enumerate() {
                let set = self.cilium_peers(peers, namespace);
                let id = self.intern_peer_set(set);
                let (ports, l7) = ports(peers.ports, peers.icmps);
                let mut compiled =
                    Rule::new(RuleTier::Cilium, action, policy, direction, index as u32, None, id, ports);
                compiled.path = Some(format!("{path}.{list}[{index}]"));
                if let Some(fqdns) = peers.fqdns.filter(|f| !f.is_empty()) {
                    compiled.caveat =
                        Some(RuleCaveat::Fqdns(fqdns.iter().map(|f| f.text().to_owned()).collect()));
                } else if !l7.is_empty() {
                    compiled.caveat = Some(RuleCaveat::L7(l7));
                }
                rules.push(compiled);
            }
        }
    }

    /// The peers of one rule: the union of its peer fields.
    fn cilium_peers(&mut self, peers: &Peers<'_>, namespace: Option<&str>) -> PeerSet {
        if !peers.has_l3() {
            // L4-only rules apply to every peer; an empty rule to none.
            return if peers.ports.is_some() || peers.icmps {
                self.everything_set()
            } else {
                self.empty_peer_set()
            };
        }
        let mut set = self.empty_peer_set();
        for selector in peers.endpoints.unwrap_or_default() {
            // A CiliumNetworkPolicy's selectors stay in its namespace unless
            // they name one.
            let within = if names_namespace(&normalized(selector)) { None } else { namespace };
            set.classes.union_with(&self.cilium_select(selector, within));
        }
        for entity in peers.entities.unwrap_or_default() {
            self.add_entity(&mut set, Entity::parse(entity));
        }
        let ranges = cidr_ranges(peers);
        for (cidr, except) in &ranges {
            // CIDR rules never match cluster endpoints (pods or nodes).
            set.blocks.union_with(&self.blocks_in(&[*cidr], except));
        }
        for service in peers.services.unwrap_or_default() {
            self.add_service(&mut set, service, namespace);
        }
        set
    }

    fn add_entity(&mut self, set: &mut PeerSet, entity: Option<Entity>) {
        match entity {
            Some(Entity::All) => {
                let all = self.everything_set();
                set.classes.union_with(&all.classes);
                set.blocks.union_with(&all.blocks);
                set.everything = true;
                set.nodes = true;
            }
            Some(Entity::World) => {
                set.blocks.union_with(&BitSet::full(self.blocks.len()));
                set.everything = true;
            }
            Some(Entity::Cluster) => {
                set.classes.union_with(&BitSet::full(self.classes.len()));
                set.nodes = true;
            }
            Some(Entity::Node) => {
                set.nodes = true;
                for (class, info) in self.classes.iter().enumerate() {
                    if info.host_network {
                        set.classes.insert(class);
                    }
                }
            }
            Some(Entity::Unmodelled) | None => {}
        }
    }

    /// `toServices`: a Service without a selector stands for the addresses
    /// of its Endpoints; one with a selector, from Cilium 1.17, for the pods
    /// it selects (cilium/cilium#34208), before that for nothing
    /// (cilium/cilium#25864: "ToService rules only apply to services
    /// without selectors"). An unknown version is read as recent.
    fn add_service(&mut self, set: &mut PeerSet, service: &cilium::ServiceSelector, namespace: Option<&str>) {
        let cluster = self.cluster;
        let recent = self.native.cilium_version.is_none_or(|v| v >= (1, 17));
        let matches = |object: &crate::model::Object<k8s_openapi::api::core::v1::Service>| {
            let meta = &object.value.metadata;
            let ns = meta.namespace.as_deref().unwrap_or("default");
            if let Some(by_name) = &service.k8s_service {
                let wanted_ns = by_name.namespace.as_deref().or(namespace).unwrap_or("default");
                return meta.name == by_name.service_name && ns == wanted_ns;
            }
            if let Some(by_labels) = &service.k8s_service_selector {
                let wanted_ns = by_labels.namespace.as_deref().or(namespace);
                let labels: Labels = meta.labels.clone().unwrap_or_default();
                return wanted_ns.is_none_or(|w| w == ns) && selector_matches(&by_labels.selector, &labels);
            }
            false
        };
        for object in cluster.services().iter().filter(|s| matches(s)) {
            let ns = object.value.metadata.namespace.clone().unwrap_or_else(|| "default".to_owned());
            let selector: Option<BTreeMap<String, String>> =
                object.value.spec.as_ref().and_then(|s| s.selector.clone()).filter(|s| !s.is_empty());
            match selector {
                Some(labels) if recent => {
                    let selector = LabelSelector { match_labels: Some(labels), match_expressions: None };
                    set.classes.union_with(&self.cilium_select(&selector, Some(&ns)));
                }
                Some(_) => {}
                None => {
                    let name = object.value.metadata.name.clone().unwrap_or_default();
                    let ranges: Vec<IpRange> =
                        service_addresses(cluster, &ns, &name).into_iter().map(IpRange::from_addr).collect();
                    set.blocks.union_with(&self.blocks_in(&ranges, &[]));
                }
            }
        }
    }
}

/// The addresses of a Service's own Endpoints and EndpointSlices.
pub(super) fn service_addresses(
    cluster: &crate::Cluster,
    namespace: &str,
    name: &str,
) -> Vec<std::net::IpAddr> {
    let mut addresses = Vec::new();
    for endpoints in cluster.endpoints() {
        let meta = &endpoints.value.metadata;
        if meta.namespace.as_deref() != Some(namespace) || meta.name.as_deref() != Some(name) {
            continue;
        }
        for subset in endpoints.value.subsets.iter().flatten() {
            addresses.extend(
                subset.addresses.iter().flatten().filter_map(|a| a.ip.parse::<std::net::IpAddr>().ok()),
            );
        }
    }
    for slice in cluster.endpoint_slices() {
        let meta = &slice.value.metadata;
        let owner = meta.labels.as_ref().and_then(|l| l.get("kubernetes.io/service-name"));
        if meta.namespace.as_deref() != Some(namespace) || owner.map(String::as_str) != Some(name) {
            continue;
        }
        for endpoint in &slice.value.endpoints {
            addresses.extend(endpoint.addresses.iter().filter_map(|a| a.parse::<std::net::IpAddr>().ok()));
        }
    }
    addresses.sort();
    addresses.dedup();
    addresses
}

/// The destinations `toServices` adds to the address cuts: the addresses of
/// Services without a selector.
pub(super) fn service_cuts(
    cluster: &crate::Cluster,
    objects: &[Object<CiliumObject>],
    destinations: &mut Vec<IpRange>,
) {
    for object in objects {
        let namespace = object.value.policy.metadata.namespace.as_deref();
        for (_, rule) in object.value.policy.rules() {
            for egress in rule.egress.iter().flatten().chain(rule.egress_deny.iter().flatten()) {
                for service in egress.to_services.iter().flatten() {
                    let Some(by_name) = &service.k8s_service else { continue };
                    let ns = by_name.namespace.as_deref().or(namespace).unwrap_or("default");
                    let name = by_name.service_name.as_deref().unwrap_or_default();
                    destinations
                        .extend(service_addresses(cluster, ns, name).into_iter().map(IpRange::from_addr));
                }
            }
        }
    }
}
