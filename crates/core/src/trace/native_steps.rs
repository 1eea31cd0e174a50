//! What the policy layers say about Cilium's and Calico's own policies: a
//! denial by a Cilium deny rule, a Calico `Deny` rule or the end of a
//! Calico tier (why, and a fix that would change the verdict: no allow rule
//! overrides a Cilium deny, and a Calico rule must come first to win), and
//! the parts an L3/L4 model cannot evaluate (L7 rules, `toFQDNs`), which
//! turn a verdict into a warning.

use super::text::rule_name;
use super::text::{at, code};
use crate::policy::{Caveat, DirectionExplanation, Verdict};
use crate::ports::Protocol;

/// Why a native policy denied `protocol`/`port`, and what to change.
pub(super) struct NativeDenial {
    pub because: String,
    pub fix: String,
}

/// The denial of `protocol`/`port` in `direction`, when a Cilium or Calico
/// policy made it.
pub(super) fn native_denial(
    direction: &DirectionExplanation,
    protocol: Protocol,
    port: u16,
) -> Option<NativeDenial> {
    let step = direction.deciding_step(protocol, port)?;
    if step.verdict != Verdict::Deny {
        return None;
    }
    match (&step.policy, &step.calico_tier) {
        (Some(policy), _) if policy.kind.is_cilium() => {
            let rule = rule_name(step.rule, step.rule_name.as_deref(), policy);
            let location = at(step.location.as_ref().unwrap_or(&policy.location));
            Some(NativeDenial {
                because: format!("denied by {rule}{location}: Cilium's deny rules win over every allow rule"),
                fix: format!(
                    "narrow {rule}{location} so that it no longer matches this traffic: no allow rule can override it"
                ),
            })
        }
        (Some(policy), _) if policy.kind.is_calico() => {
            let rule = rule_name(step.rule, step.rule_name.as_deref(), policy);
            let location = at(step.location.as_ref().unwrap_or(&policy.location));
            Some(NativeDenial {
                because: format!("denied by {rule}{location}, the first rule of its tier that matches"),
                fix: format!(
                    "narrow the `Deny` of {rule}{location}, or allow the traffic in a rule Calico evaluates before it (a lower `order`, or an earlier tier)"
                ),
            })
        }
        (None, Some(tier)) => Some(NativeDenial {
            because: format!("no rule of the Calico tier {} decides it, and the end of the tier denies", code(tier)),
            fix: format!(
                "add an `Allow` (or `Pass`) rule for this traffic to a policy of tier {} that selects the pod",
                code(tier)
            ),
        }),
        _ => None,
    }
}

/// A rule with L7 rules that allowed `protocol`/`port`: the verdict holds
/// for some requests only.
pub(super) fn l7_caveat(direction: &DirectionExplanation, protocol: Protocol, port: u16) -> Option<String> {
    direction.steps.iter().find_map(|step| {
        let Some(Caveat::L7 { protocols }) = &step.caveat else { return None };
        let policy = step.policy.as_ref()?;
        if step.verdict != Verdict::Allow || !step.connections.contains(protocol, port) {
            return None;
        }
        let rule = rule_name(step.rule, step.rule_name.as_deref(), policy);
        let location = at(step.location.as_ref().unwrap_or(&policy.location));
        let kinds: Vec<String> = protocols.iter().map(code).collect();
        Some(format!(
            "{rule}{location} has L7 rules ({}) on {protocol} {port}: only the requests they match get through, which an L3/L4 model cannot see",
            kinds.join(", ")
        ))
    })
}

/// The `toFQDNs` rules of the source's egress, for a destination outside
/// the cluster: `(matches host, evidence)`. `host` is the name traced, when
/// a name was.
pub(super) fn fqdn_caveat(direction: &DirectionExplanation, host: Option<&str>) -> Option<(bool, String)> {
    let mut matched = false;
    let mut lines = Vec::new();
    for (policy, location, caveat) in &direction.caveats {
        let Caveat::Fqdns { names } = caveat else { continue };
        let hit = host.is_some_and(|h| names.iter().any(|n| fqdn_matches(n, h)));
        matched |= hit;
        let shown: Vec<String> = names.iter().map(code).collect();
        let location = at(location.as_ref().unwrap_or(&policy.location));
        lines.push(format!(
            "{} {}{location} allows `toFQDNs` {}",
            policy.kind.as_str(),
            code(policy.id()),
            shown.join(", ")
        ));
    }
    if lines.is_empty() {
        return None;
    }
    let tail = if matched {
        "the name traced is one of them: Cilium allows its addresses once it has resolved it, on the rule's ports"
    } else {
        "Cilium allows the addresses those names resolve to at run time, which the model cannot know"
    };
    Some((matched, format!("{}; {tail}", lines.join("; "))))
}

/// Cilium's `matchName` (exact) and `matchPattern` (`*` matches within and
/// across labels, as Cilium's FQDN pattern does: `*.example.com`), without
/// the final dot and ignoring case.
fn fqdn_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    glob(pattern.as_bytes(), host.as_bytes())
}

/// `*` matches any run of characters, iteratively (no recursion).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::fqdn_matches;

    // https://docs.cilium.io/en/stable/security/policy/language/#dns-based:
    // `matchName` is exact; `matchPattern` `*` is a wildcard.
    #[test]
    fn fqdn_patterns() {
        assert!(fqdn_matches("api.stripe.com", "API.stripe.com."));
        assert!(!fqdn_matches("api.stripe.com", "stripe.com"));
        assert!(fqdn_matches("*.stripe.com", "api.stripe.com"));
        assert!(!fqdn_matches("*.stripe.com", "stripe.com"));
        assert!(fqdn_matches("*", "anything.example"));
        assert!(fqdn_matches("api-*.example.com", "api-v2.example.com"));
    }
}
