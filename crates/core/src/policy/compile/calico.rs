//! Calico's policies compiled into the engine's rules
//! (<https://docs.tigera.io/calico/latest/reference/resources/networkpolicy>,
//! <https://docs.tigera.io/calico/latest/reference/resources/tier>).
//!
//! - Tiers are sorted by `order` (absent last), then name; the `default`
//!   tier holds the policies that name none and, at order 1000, Kubernetes
//!   NetworkPolicies. Policies within a tier are sorted by `order` (absent
//!   last), then name; rules in order. The engine then evaluates them as
//!   Calico does (`eval.rs`): the first rule that matches decides (`Allow`,
//!   `Deny`) or goes to the next tier (`Pass`); `Log` only logs; a tier
//!   that has a policy for the pod but decides nothing denies
//!   ("If the Tier applies to the endpoint, but takes no action on the
//!   packet the packet is dropped"), unless its `defaultAction` is `Pass`.
//! - A policy selects, with its `selector` (default `all()`), the workload
//!   endpoints of its namespace (NetworkPolicy) or of the namespaces its
//!   `namespaceSelector` selects (GlobalNetworkPolicy), further narrowed by
//!   `serviceAccountSelector`. `types` defaults from the rules present.
//!   Policies with `doNotTrack`, `preDNAT` or `applyOnForward` apply to host
//!   endpoints only: outside the pod model.
//! - A rule's `source` (ingress) or `destination` (egress) is the peer;
//!   its other side narrows which of the policy's pods the rule applies
//!   to. Every field of an entity rule must match: `nets`/`notNets` match
//!   addresses, pods' included; `selector`/`notSelector`/`namespaceSelector`
//!   and `serviceAccounts` match pods (in the policy's namespace for a
//!   NetworkPolicy without `namespaceSelector`). `ports` are numbers,
//!   `"from:to"` ranges or names; they need `protocol` (TCP, UDP, SCTP:
//!   ICMP and other protocols are outside the model and match nothing).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{
    BitSet, Builder, CalicoTier, Direction, IpRange, PeerSet, PolicyKind, PolicyMeta, Rule, RuleCaveat,
    RulePorts, RuleTier,
};
use crate::admin_policy::AdminPolicyAction;
use crate::calico::{self, CalicoObject, CalicoPolicy, EntityRule, Selector};
use crate::labels::Labels;
use crate::model::Object;
use crate::policy::INGRESS_CONTROLLER_NAMESPACE;
use crate::ports::{ConnectionSet, PortSet, Protocol};

/// A Calico policy, placed in evaluation order.
pub(crate) struct NativePolicy<'c> {
    object: &'c Object<CalicoObject>,
    policy: &'c CalicoPolicy,
    global: bool,
    tier: u32,
    /// Whether it comes before Kubernetes NetworkPolicies (a lower tier, or
    /// a lower order in the `default` tier).
    pub before_kubernetes: bool,
}

/// The address cuts Calico's `nets` make: `(sources, destinations)`.
pub(super) fn cuts(
    objects: &[Object<CalicoObject>],
    sources: &mut Vec<IpRange>,
    destinations: &mut Vec<IpRange>,
) {
    let nets = |entity: Option<&EntityRule>, out: &mut Vec<IpRange>| {
        let Some(entity) = entity else { return };
        for net in entity.nets.iter().flatten().chain(entity.not_nets.iter().flatten()) {
            out.extend(IpRange::parse_cidr(net));
        }
    };
    for object in objects {
        let (CalicoObject::NetworkPolicy(policy) | CalicoObject::GlobalNetworkPolicy(policy)) = &object.value
        else {
            continue;
        };
        for rule in policy.spec.ingress.iter().flatten() {
            nets(rule.source.as_ref(), sources);
        }
        for rule in policy.spec.egress.iter().flatten() {
            nets(rule.destination.as_ref(), destinations);
        }
    }
}

/// The order of a policy or tier: absent is last.
fn order(order: Option<f64>) -> f64 {
    order.filter(|o| o.is_finite()).unwrap_or(f64::INFINITY)
}

/// Calico's protocol names and numbers for the model's protocols; `None`
/// for the others (ICMP, UDPLite, …), which the model does not carry.
fn protocol(value: &IntOrString) -> Option<Protocol> {
    match value {
        IntOrString::Int(6) => Some(Protocol::Tcp),
        IntOrString::Int(17) => Some(Protocol::Udp),
        IntOrString::Int(132) => Some(Protocol::Sctp),
        IntOrString::Int(_) => None,
        IntOrString::String(name) => Protocol::parse(&name.to_ascii_uppercase()),
    }
}

/// The ports a rule matches: its protocol (or every protocol but
/// `notProtocol`), the `ports` of `entity`, less its `notPorts`.
fn rule_ports(rule: &calico::Rule, entity: Option<&EntityRule>) -> RulePorts {
    let all = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];
    let protocols: Vec<Protocol> = match (&rule.protocol, &rule.not_protocol) {
        (Some(p), _) => protocol(p).into_iter().collect(),
        (None, Some(not)) => all.into_iter().filter(|p| protocol(not) != Some(*p)).collect(),
        (None, None) => all.to_vec(),
    };
    let mut numeric = ConnectionSet::none();
    let mut named = Vec::new();
    let ports = entity.and_then(|e| e.ports.as_deref()).filter(|p| !p.is_empty());
    for &protocol in &protocols {
        let Some(ports) = ports else {
            numeric = numeric.union(&ConnectionSet::protocol(protocol));
            continue;
        };
        for port in ports {
            match port_range(port) {
                Some(Ok((from, to))) => {
                    numeric = numeric.union(&ConnectionSet::from_ports(protocol, PortSet::range(from, to)))
                }
                Some(Err(name)) => named.push((Some(protocol), name)),
                None => {}
            }
        }
    }
    for port in entity.and_then(|e| e.not_ports.as_deref()).unwrap_or_default() {
        if let Some(Ok((from, to))) = port_range(port) {
            for &protocol in &protocols {
                numeric = numeric.difference(&ConnectionSet::from_ports(protocol, PortSet::range(from, to)));
            }
        }
    }
    named.sort();
    named.dedup();
    RulePorts { numeric, named }
}

/// A port: `Ok((from, to))` for a number or `"from:to"`, `Err(name)` for a
/// name; `None` when malformed.
fn port_range(port: &IntOrString) -> Option<Result<(i64, i64), String>> {
    match port {
        IntOrString::Int(n) => Some(Ok((i64::from(*n), i64::from(*n)))),
        IntOrString::String(text) => {
            if let Some((from, to)) = text.split_once(':') {
                let (from, to) = (from.trim().parse().ok()?, to.trim().parse().ok()?);
                return (from <= to).then_some(Ok((from, to)));
            }
            match text.trim().parse::<i64>() {
                Ok(n) => Some(Ok((n, n))),
                Err(_) if !text.is_empty() => Some(Err(text.clone())),
                Err(_) => None,
            }
        }
    }
}

/// A selector as written, or `None` when absent; a malformed one selects
/// nothing (`check` reports it).
fn parse(text: Option<&str>) -> Option<Option<Selector>> {
    text.map(|t| Selector::parse(t).ok())
}

impl<'c> Builder<'c> {
    /// The labels Calico's selectors see on each class's pods.
    fn calico_labels(&mut self) -> Vec<Labels> {
        if self.calico_labels.len() != self.classes.len() {
            self.calico_labels = (0..self.classes.len())
                .map(|class| {
                    let (pod_labels, namespace, namespace_labels, account) = self.class_facts(class);
                    calico::endpoint_labels(&pod_labels, &namespace, &namespace_labels, &account)
                })
                .collect();
        }
        self.calico_labels.clone()
    }

    /// The namespaces (by index) a Calico `namespaceSelector` selects.
    fn calico_namespaces(&self, selector: &Selector) -> BitSet {
        let mut set = BitSet::new(self.namespaces.len());
        for index in 0..self.namespaces.len() {
            let name = self.namespace_names.get(index).copied().unwrap_or(INGRESS_CONTROLLER_NAMESPACE);
            let labels = self.cluster.namespace(name).map(|n| n.labels.clone()).unwrap_or_default();
            if selector.matches(&calico::namespace_labels(name, &labels)) {
                set.insert(index);
            }
        }
        set
    }

    /// The tiers, sorted, and the policies in evaluation order.
    pub(super) fn calico_policies(&mut self) -> Vec<NativePolicy<'c>> {
        let cluster = self.cluster;
        let mut tiers: BTreeMap<String, (f64, bool)> = BTreeMap::new();
        tiers.insert(calico::DEFAULT_TIER.to_owned(), (calico::DEFAULT_TIER_ORDER, false));
        let mut found = Vec::new();
        for object in cluster.calico_objects() {
            match &object.value {
                CalicoObject::Tier(tier) => {
                    let pass = tier.spec.default_action.as_deref() == Some("Pass");
                    let name = tier.metadata.name.clone().unwrap_or_default();
                    tiers.insert(name, (order(tier.spec.order), pass));
                }
                CalicoObject::NetworkPolicy(policy) => found.push((object, policy, false)),
                CalicoObject::GlobalNetworkPolicy(policy) => found.push((object, policy, true)),
                CalicoObject::Installation(_) => {}
            }
        }
        for (_, policy, _) in &found {
            // A tier no object defines: the API server requires one, so
            // this comes from a partial dump; it sorts last.
            tiers.entry(policy.spec.tier_name().to_owned()).or_insert((f64::INFINITY, false));
        }
        let mut sorted: Vec<(String, (f64, bool))> = tiers.into_iter().collect();
        sorted.sort_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then_with(|| a.0.cmp(&b.0)));
        self.calico_tiers = sorted
            .iter()
            .map(|(name, (_, pass))| CalicoTier { name: name.clone(), pass_by_default: *pass })
            .collect();
        let tier_of = |name: &str| sorted.iter().position(|(n, _)| n == name).unwrap_or(0) as u32;
        let default_tier = tier_of(calico::DEFAULT_TIER);
        let mut policies: Vec<(u32, f64, &str, NativePolicy<'c>)> = found
            .into_iter()
            .filter(|(_, policy, _)| {
                let spec = &policy.spec;
                !(spec.do_not_track == Some(true)
                    || spec.pre_dnat == Some(true)
                    || spec.apply_on_forward == Some(true))
            })
            .map(|(object, policy, global)| {
                let tier = tier_of(policy.spec.tier_name());
                let position = order(policy.spec.order);
                let name = policy.name();
                let before_kubernetes = tier < default_tier
                    || (tier == default_tier
                        && (position < calico::KUBERNETES_POLICY_ORDER
                            || (position == calico::KUBERNETES_POLICY_ORDER && name < "knp.default.")));
                (tier, position, name, NativePolicy { object, policy, global, tier, before_kubernetes })
            })
            .collect();
        policies.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then_with(|| a.2.cmp(b.2)));
        policies.into_iter().map(|(_, _, _, p)| p).collect()
    }

    /// The endpoint classes (not `hostNetwork`) in `namespaces` whose
    /// Calico labels `selector` matches.
    fn calico_select(&mut self, namespaces: Option<&BitSet>, selector: &Selector) -> BitSet {
        let labels = self.calico_labels();
        let mut set = BitSet::new(self.classes.len());
        for (class, labels) in labels.iter().enumerate() {
            let info = &self.classes[class];
            if info.host_network || namespaces.is_some_and(|n| !n.contains(info.namespace as usize)) {
                continue;
            }
            if selector.matches(labels) {
                set.insert(class);
            }
        }
        set
    }

    /// The namespaces a policy's selectors look in: the `namespaceSelector`
    /// when given, else the policy's namespace (NetworkPolicy), else all.
    fn calico_scope(
        &self,
        namespace_selector: Option<&str>,
        policy_namespace: Option<&str>,
    ) -> Option<BitSet> {
        match parse(namespace_selector) {
            Some(Some(selector)) => Some(self.calico_namespaces(&selector)),
            Some(None) => Some(BitSet::new(self.namespaces.len())),
            None => policy_namespace.map(|ns| self.one_namespace(Some(ns))),
        }
    }

    /// The peers (or subjects) an entity rule matches; `None` when it
    /// constrains nothing.
    fn calico_entity(&mut self, entity: &EntityRule, policy_namespace: Option<&str>) -> Option<PeerSet> {
        let endpoint_fields = entity.selector.is_some()
            || entity.namespace_selector.is_some()
            || entity.service_accounts.is_some()
            || entity.services.is_some();
        if !endpoint_fields
            && entity.not_selector.is_none()
            && entity.nets.is_none()
            && entity.not_nets.is_none()
        {
            return None;
        }
        let mut set = self.everything_set();
        if endpoint_fields {
            let scope = self.calico_scope(entity.namespace_selector.as_deref(), policy_namespace);
            let selector = match parse(entity.selector.as_deref()) {
                Some(Some(selector)) => selector,
                Some(None) => return Some(self.empty_peer_set()),
                None => Selector::all(),
            };
            let mut classes = self.calico_select(scope.as_ref(), &selector);
            if let Some(accounts) = &entity.service_accounts {
                classes.intersect_with(&self.service_accounts(accounts, scope.as_ref()));
            }
            if let Some(service) = &entity.services {
                classes.intersect_with(&self.service_pods(service, policy_namespace));
            }
            set.classes.intersect_with(&classes);
            set.blocks = BitSet::new(self.blocks.len());
            set.everything = false;
            set.nodes = false;
        }
        if let Some(Some(not)) = parse(entity.not_selector.as_deref()) {
            let scope = self.calico_scope(entity.namespace_selector.as_deref(), policy_namespace);
            let excluded = self.calico_select(scope.as_ref(), &not);
            set.classes.subtract(&excluded);
        }
        if let Some(nets) = &entity.nets {
            let ranges: Vec<IpRange> = nets.iter().filter_map(|n| IpRange::parse_cidr(n)).collect();
            let blocks = self.blocks_in(&ranges, &[]);
            set.classes.intersect_with(&self.addressed_in(&blocks));
            set.blocks.intersect_with(&blocks);
            set.everything = false;
            set.nodes = false;
        }
        if let Some(not_nets) = &entity.not_nets {
            let ranges: Vec<IpRange> = not_nets.iter().filter_map(|n| IpRange::parse_cidr(n)).collect();
            let blocks = self.blocks_in(&ranges, &[]);
            set.classes.subtract(&self.addressed_in(&blocks));
            set.blocks.subtract(&blocks);
            set.nodes = false;
        }
        Some(set)
    }

    /// Classes running as one of `accounts`' service accounts (by name; a
    /// selector sees only the `projectcalico.org/name` label, as the model
    /// has no ServiceAccount objects).
    fn service_accounts(&mut self, accounts: &calico::ServiceAccountMatch, scope: Option<&BitSet>) -> BitSet {
        let selector = match parse(accounts.selector.as_deref()) {
            Some(Some(selector)) => Some(selector),
            Some(None) => return BitSet::new(self.classes.len()),
            None => None,
        };
        let names = accounts.names.as_deref().filter(|n| !n.is_empty());
        let mut set = BitSet::new(self.classes.len());
        for class in 0..self.classes.len() {
            if scope.is_some_and(|s| !s.contains(self.classes[class].namespace as usize)) {
                continue;
            }
            let (_, _, _, account) = self.class_facts(class);
            let by_name = names.is_none_or(|n| n.contains(&account));
            let labels = Labels::from([(calico::NAME_LABEL.to_owned(), account)]);
            if by_name && selector.as_ref().is_none_or(|s| s.matches(&labels)) {
                set.insert(class);
            }
        }
        set
    }

    /// The pods of a Service's selector (`services`).
    fn service_pods(&mut self, service: &calico::ServiceMatch, policy_namespace: Option<&str>) -> BitSet {
        let namespace = service.namespace.as_deref().or(policy_namespace).unwrap_or("default").to_owned();
        let found = self.cluster.services().iter().find(|s| {
            s.value.metadata.name.as_deref() == Some(service.name.as_str())
                && s.value.metadata.namespace.as_deref() == Some(namespace.as_str())
        });
        let selector = found.and_then(|s| s.value.spec.as_ref()).and_then(|s| s.selector.clone());
        let Some(selector) = selector.filter(|s| !s.is_empty()) else {
            return BitSet::new(self.classes.len());
        };
        let scope = self.one_namespace(Some(&namespace));
        let mut set = BitSet::new(self.classes.len());
        let labels = self.calico_labels();
        for (class, class_labels) in labels.iter().enumerate() {
            let info = &self.classes[class];
            if !info.host_network
                && scope.contains(info.namespace as usize)
                && selector.iter().all(|(k, v)| class_labels.get(k) == Some(v))
            {
                set.insert(class);
            }
        }
        set
    }

    /// Compiles one Calico policy in its place.
    pub(super) fn compile_calico(
        &mut self,
        native: &NativePolicy<'c>,
        policies: &mut Vec<PolicyMeta<'c>>,
        rules: &mut Vec<Rule>,
        subjects: &mut Vec<[Option<Vec<u32>>; 2]>,
    ) {
        let policy_id = policies.len() as u32;
        let spec = &native.policy.spec;
        let namespace = if native.global { None } else { native.policy.metadata.namespace.as_deref() };
        let scope = if native.global {
            self.calico_scope(spec.namespace_selector.as_deref(), None)
        } else {
            Some(self.one_namespace(namespace))
        };
        let mut subject = match parse(spec.selector.as_deref()) {
            Some(None) => BitSet::new(self.classes.len()),
            Some(Some(selector)) => self.calico_select(scope.as_ref(), &selector),
            None => self.calico_select(scope.as_ref(), &Selector::all()),
        };
        if let Some(text) = &spec.service_account_selector {
            let accounts = calico::ServiceAccountMatch { names: None, selector: Some(text.clone()) };
            subject.intersect_with(&self.service_accounts(&accounts, scope.as_ref()));
        }
        let subject = super::ids(&subject);
        let (ingress, egress) = spec.effective_types();
        policies.push(PolicyMeta {
            kind: if native.global {
                PolicyKind::CalicoGlobalNetworkPolicy
            } else {
                PolicyKind::CalicoNetworkPolicy
            },
            namespace,
            name: native.policy.metadata.name.as_deref().unwrap_or_default(),
            origin: &native.object.origin,
            calico_tier: Some(native.tier),
            isolates: [ingress, egress],
        });
        let lists = [
            (ingress, Direction::Ingress, spec.ingress.as_deref().unwrap_or_default()),
            (egress, Direction::Egress, spec.egress.as_deref().unwrap_or_default()),
        ];
        for (applies, direction, list) in lists {
            if !applies {
                continue;
            }
            for (index, rule) in list.iter().enumerate() {
                if let Some(compiled) = self.calico_rule(rule, direction, index, policy_id, namespace) {
                    rules.push(compiled);
                }
            }
        }
        subjects.push([ingress.then(|| subject.clone()), egress.then_some(subject)]);
    }

    fn calico_rule(
        &mut self,
        rule: &calico::Rule,
        direction: Direction,
        index: usize,
        policy: u32,
        namespace: Option<&str>,
    ) -> Option<Rule> {
        let action = match rule.action.as_str() {
            "Allow" => AdminPolicyAction::Allow,
            "Deny" => AdminPolicyAction::Deny,
            "Pass" => AdminPolicyAction::Pass,
            // `Log` logs and goes on; an unknown action is rejected by the API server.
            _ => return None,
        };
        let (peer, local) = match direction {
            Direction::Ingress => (rule.source.as_ref(), rule.destination.as_ref()),
            Direction::Egress => (rule.destination.as_ref(), rule.source.as_ref()),
        };
        // Source ports are the client's, ephemeral: a rule that names them
        // is outside the model and matches nothing.
        let source_ports = rule.source.as_ref().is_some_and(|s| s.ports.is_some() || s.not_ports.is_some());
        let peers = match (source_ports, peer) {
            (true, _) => self.empty_peer_set(),
            (false, Some(entity)) => match self.calico_entity(entity, namespace) {
                Some(set) => set,
                None => self.everything_set(),
            },
            (false, None) => self.everything_set(),
        };
        let peers = self.intern_peer_set(peers);
        let ports = rule_ports(rule, rule.destination.as_ref());
        let mut compiled =
            Rule::new(RuleTier::Calico, action, policy, direction, index as u32, None, peers, ports);
        compiled.subjects =
            local.and_then(|entity| self.calico_entity(entity, namespace)).map(|set| set.classes);
        if rule.http.is_some() {
            compiled.caveat = Some(RuleCaveat::L7(vec!["http".to_owned()]));
        }
        Some(compiled)
    }
}
