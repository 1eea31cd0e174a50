//! The wording of a block a policy intends ([`crate::policy::denial_intent`]):
//! no `fix`, since nothing is broken, but the policy that means it and the
//! smallest change that would allow the connection if it should be allowed.

use super::text::{at, code};
use super::text::{policy_name, rule_name};
use crate::model::Cluster;
use crate::policy::{denial_intent, DenialIntent, Direction, DirectionExplanation};
use crate::ports::Protocol;

/// The evidence lines for a denial of `protocol`/`port` in `direction` that
/// a policy intends, or `None` when nothing shows it is intended.
/// `allow_fix` is the change that would admit the connection when a new
/// policy rule can (a default deny, unlike an admin `Deny`).
pub(super) fn intended_block(
    cluster: &Cluster,
    direction: &DirectionExplanation,
    protocol: Protocol,
    port: u16,
    allow_fix: &str,
) -> Option<Vec<String>> {
    let (which, peer) = match direction.direction {
        Direction::Egress => ("egress", "allows this destination"),
        Direction::Ingress => ("ingress", "admits this client"),
    };
    let lines = match denial_intent(cluster, direction, protocol, port)? {
        DenialIntent::OtherPorts { rules, allowed } => {
            let (policy, rule, location) = &rules[0];
            let rule = rule_name(*rule, None, policy);
            let location = at(location.as_ref().unwrap_or(&policy.location));
            vec![
                format!("the block looks intended: {rule}{location} {peer} only on {allowed}"),
                format!("if it should be allowed: add {protocol} {port} to the `ports` of {rule}{location}"),
            ]
        }
        DenialIntent::DefaultDeny { policies } => {
            let named: Vec<String> =
                policies.iter().map(|p| format!("{}{}", policy_name(p), at(&p.location))).collect();
            vec![
                format!(
                    "the block looks intended: {} {} all {which} not allowed by another policy (a default deny)",
                    named.join(", "),
                    if named.len() == 1 { "denies" } else { "deny" }
                ),
                format!("if it should be allowed: {allow_fix}"),
            ]
        }
        DenialIntent::AdminDeny { policy, rule, rule_name: name, location } => {
            let rule = rule_name(rule, name.as_deref(), &policy);
            let location = at(location.as_ref().unwrap_or(&policy.location));
            vec![
                format!("the block looks intended: {rule}{location} denies it, and no NetworkPolicy can override an AdminNetworkPolicy `Deny`"),
                format!(
                    "if it should be allowed: narrow {rule}, or put an `Allow` rule for it before that rule (or in an AdminNetworkPolicy with a lower {})",
                    code("priority")
                ),
            ]
        }
    };
    Some(lines)
}
