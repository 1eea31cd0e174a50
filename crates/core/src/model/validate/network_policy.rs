//! A NetworkPolicy as `ValidateNetworkPolicySpec` checks it
//! (kubernetes/kubernetes `pkg/apis/networking/validation/validation.go`):
//! selectors, ports and `endPort`, `ipBlock`s and `policyTypes`.

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{int_or_name, names, protocol, quote, selector, Invalid, Violations};
use crate::ip::IpRange;

pub(super) fn validate(policy: &NetworkPolicy, out: &mut Violations) {
    let Some(spec) = &policy.spec else { return };
    if let Some(pod_selector) = &spec.pod_selector {
        selector(pod_selector, "spec.podSelector", out);
    }
    for (index, rule) in spec.ingress.iter().flatten().enumerate() {
        let at = format!("spec.ingress[{index}]");
        ports(rule.ports.as_deref().unwrap_or_default(), &at, out);
        peers(rule.from.as_deref().unwrap_or_default(), &format!("{at}.from"), out);
    }
    for (index, rule) in spec.egress.iter().flatten().enumerate() {
        let at = format!("spec.egress[{index}]");
        ports(rule.ports.as_deref().unwrap_or_default(), &at, out);
        peers(rule.to.as_deref().unwrap_or_default(), &format!("{at}.to"), out);
    }
    for (index, policy_type) in spec.policy_types.iter().flatten().enumerate() {
        if !matches!(policy_type.as_str(), "Ingress" | "Egress") {
            out.unsupported(
                Invalid::PolicyType,
                format!("spec.policyTypes[{index}]"),
                policy_type,
                &["Egress", "Ingress"],
            );
        }
    }
}

fn ports(ports: &[NetworkPolicyPort], rule: &str, out: &mut Violations) {
    for (index, port) in ports.iter().enumerate() {
        let at = format!("{rule}.ports[{index}]");
        protocol(port.protocol.as_deref(), format!("{at}.protocol"), out);
        if let Some(number) = &port.port {
            int_or_name(number, format!("{at}.port"), out);
        }
        let Some(end_port) = port.end_port else { continue };
        let field = format!("{at}.endPort");
        match &port.port {
            Some(IntOrString::Int(start)) if end_port < *start => {
                out.push(
                    Invalid::Port,
                    field,
                    &end_port.to_string(),
                    "must be greater than or equal to `port`",
                );
            }
            Some(IntOrString::Int(_)) => super::port_number(end_port, field, out),
            Some(IntOrString::String(_)) => {
                out.push(
                    Invalid::Port,
                    field,
                    &end_port.to_string(),
                    "may not be specified when `port` is non-numeric",
                );
            }
            None => out.push(
                Invalid::Port,
                field,
                &end_port.to_string(),
                "may not be specified when `port` is not specified",
            ),
        }
    }
}

fn peers(peers: &[NetworkPolicyPeer], field: &str, out: &mut Violations) {
    for (index, peer) in peers.iter().enumerate() {
        let at = format!("{field}[{index}]");
        if let Some(pod_selector) = &peer.pod_selector {
            selector(pod_selector, &format!("{at}.podSelector"), out);
        }
        if let Some(namespace_selector) = &peer.namespace_selector {
            selector(namespace_selector, &format!("{at}.namespaceSelector"), out);
        }
        let Some(block) = &peer.ip_block else { continue };
        let cidr = match names::cidr(&block.cidr) {
            Ok(cidr) => Some(cidr),
            Err(reason) => {
                out.push(Invalid::Cidr, format!("{at}.ipBlock.cidr"), &quote(&block.cidr), &reason);
                None
            }
        };
        for (except_index, except) in block.except.iter().flatten().enumerate() {
            let field = format!("{at}.ipBlock.except[{except_index}]");
            match (names::cidr(except), cidr) {
                (Err(reason), _) => out.push(Invalid::Cidr, field, &quote(except), &reason),
                (Ok(except_range), Some(cidr)) if !strict_subset(except_range, cidr) => {
                    out.push(Invalid::Cidr, field, &quote(except), "must be a strict subset of `cidr`");
                }
                _ => {}
            }
        }
    }
}

fn strict_subset(inner: IpRange, outer: IpRange) -> bool {
    match (inner, outer) {
        (IpRange::V4 { first: a, last: b }, IpRange::V4 { first: c, last: d }) => {
            c <= a && b <= d && (a, b) != (c, d)
        }
        (IpRange::V6 { first: a, last: b }, IpRange::V6 { first: c, last: d }) => {
            c <= a && b <= d && (a, b) != (c, d)
        }
        _ => false,
    }
}
