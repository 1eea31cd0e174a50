//! Which of the lab's nftables rules a connection went through: the
//! kernel's side of a disagreement's explanation.
//!
//! Every rule of the lab's rulesets that ends in a verdict or a NAT
//! statement (`accept`, `drop`, `reject`, `return`, `jump`, `goto`, `dnat`,
//! `masquerade`) carries a `counter` ([`counted`]); verdict-map dispatches
//! (`… vmap …`) do not, as a counter there would count every packet looked
//! up rather than those that matched, and the chain they lead to shows the
//! match anyway. `lab probe` reads the counters of every node namespace
//! ([`snapshot`]) before and after sending one disagreeing probe alone;
//! the rules whose packet counts grew ([`matched`]) are the path the
//! kernel took: the DNAT that chose an endpoint, the policy chain's
//! `return` that allowed or `drop` that dropped, kube-proxy's `reject`.

use std::io;
use std::process::{Command, Stdio};

/// The words that end a rule: a counter goes just before the first of them.
const VERDICTS: [&str; 8] = ["accept", "drop", "reject", "return", "jump", "goto", "dnat", "masquerade"];

/// `ruleset` with a `counter` on every rule of every chain that ends in a
/// verdict or NAT statement (not on verdict-map dispatches, declarations
/// or comments).
pub fn counted(ruleset: &str) -> String {
    let mut out = String::with_capacity(ruleset.len() + ruleset.len() / 4);
    let mut in_chain = false;
    let mut base_chain = false;
    for line in ruleset.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("chain ") {
            in_chain = true;
            base_chain = false;
        } else if trimmed == "}" {
            in_chain = false;
        } else if trimmed.starts_with("type ") && trimmed.contains(" hook ") {
            base_chain = true;
        } else if in_chain && !plumbing(trimmed, base_chain) {
            let indent = &line[..line.len() - trimmed.len()];
            out.push_str(indent);
            out.push_str(&with_counter(trimmed));
            out.push('\n');
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Whether a rule is taken by nearly every packet, so its counter would
/// only add noise to a connection's path: a base chain's dispatch that
/// matches no address or interface (`jump services`, `ct state …`), and
/// the masquerade mark's bookkeeping.
fn plumbing(rule: &str, base_chain: bool) -> bool {
    (base_chain && !rule.contains("addr") && !rule.contains("ifname")) || rule.starts_with("meta mark")
}

/// One rule with a `counter` before its verdict; unchanged when it is a
/// declaration (`type … hook …`), a comment, a verdict map or has no verdict.
pub fn with_counter(rule: &str) -> String {
    if rule.starts_with('#')
        || rule.starts_with("type ")
        || rule.contains("vmap ")
        || rule.contains("counter")
    {
        return rule.to_owned();
    }
    let mut offset = 0;
    for word in rule.split(' ') {
        if VERDICTS.contains(&word) {
            return format!("{}counter {}", &rule[..offset], &rule[offset..]);
        }
        offset += word.len() + 1;
    }
    rule.to_owned()
}

/// The packet counts of the counted rules of one namespace, in listing
/// order: (`netns`, `table chain: rule`, packets).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    entries: Vec<(String, u64)>,
}

/// The counters of every table in `netns`, as `nft list ruleset` shows them.
pub fn snapshot(netns: &str) -> io::Result<Counters> {
    let output = Command::new("ip")
        .args(["netns", "exec", netns, "nft", "list", "ruleset"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!("`nft list ruleset` failed in {netns}")));
    }
    Ok(parse(netns, &String::from_utf8_lossy(&output.stdout)))
}

/// Reads the rules with counters out of `nft list ruleset` text.
pub fn parse(netns: &str, listing: &str) -> Counters {
    let mut entries = Vec::new();
    let mut table = "";
    let mut chain = "";
    for line in listing.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("table ") {
            table = rest.trim_end_matches(" {").rsplit(' ').next().unwrap_or_default();
        } else if let Some(rest) = trimmed.strip_prefix("chain ") {
            chain = rest.trim_end_matches(" {");
        } else if let Some((before, after)) = trimmed.split_once("counter packets ") {
            let mut words = after.splitn(4, ' ');
            let packets = words.next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
            // `N bytes M rest…`: skip `bytes` and its count.
            let rest = words.nth(2).unwrap_or_default();
            let rule = format!("{before}{rest}");
            entries.push((format!("{netns} {table} {chain}: {}", rule.trim()), packets));
        }
    }
    Counters { entries }
}

/// The rules whose packet counts grew from `before` to `after` (the same
/// namespace, the same ruleset), in listing order.
pub fn matched(before: &Counters, after: &Counters) -> Vec<String> {
    after
        .entries
        .iter()
        .enumerate()
        .filter(|(index, (rule, packets))| {
            let old = match before.entries.get(*index) {
                Some((old_rule, old_packets)) if old_rule == rule => *old_packets,
                _ => before.entries.iter().find(|(r, _)| r == rule).map_or(0, |(_, p)| *p),
            };
            *packets > old
        })
        .map(|(_, (rule, _))| rule.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_go_before_the_verdict_and_never_on_verdict_maps() {
        assert_eq!(with_counter("ip saddr 10.0.0.1 return"), "ip saddr 10.0.0.1 counter return");
        assert_eq!(
            with_counter("meta l4proto tcp dnat to 10.244.0.2:8080"),
            "meta l4proto tcp counter dnat to 10.244.0.2:8080"
        );
        assert_eq!(with_counter("drop"), "counter drop");
        assert_eq!(
            with_counter("oifname \"kp1\" jump ingress-pod1"),
            "oifname \"kp1\" counter jump ingress-pod1"
        );
        assert_eq!(
            with_counter("ip daddr . meta l4proto . th dport vmap @service-ips"),
            "ip daddr . meta l4proto . th dport vmap @service-ips"
        );
        assert_eq!(with_counter("meta mark set meta mark | 0x4000"), "meta mark set meta mark | 0x4000");
        assert_eq!(with_counter("# a/b ingress"), "# a/b ingress");
        // A chain called `mark-for-masquerade` is no verdict word.
        assert_eq!(
            with_counter("ip saddr 10.244.0.2 jump mark-for-masquerade"),
            "ip saddr 10.244.0.2 counter jump mark-for-masquerade"
        );
    }

    #[test]
    fn only_deciding_rules_inside_chains_are_counted() {
        let ruleset = "table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t}\n\tchain c {\n\t\ttype filter hook forward priority 0; policy accept;\n\t\tct state established accept\n\t\tip saddr 10.0.0.1 drop\n\t}\n\tchain d {\n\t\tdrop\n\t}\n}\n";
        assert_eq!(
            counted(ruleset),
            "table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t}\n\tchain c {\n\t\ttype filter hook forward priority 0; policy accept;\n\t\tct state established accept\n\t\tip saddr 10.0.0.1 counter drop\n\t}\n\tchain d {\n\t\tcounter drop\n\t}\n}\n"
        );
    }

    /// `nft list ruleset` output as nftables 1.0 prints it.
    const BEFORE: &str = "table ip kubereach-policy {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related counter packets 10 bytes 600 accept
		oifname \"kp5\" counter packets 2 bytes 120 jump ingress-pod5
	}
	chain np-ingress-pod5 {
		ip saddr { 10.244.1.2 } tcp dport 8080 counter packets 1 bytes 60 return
		counter packets 1 bytes 60 drop
	}
}
";

    #[test]
    fn the_rules_whose_counters_grew_are_the_path() {
        let after = BEFORE
            .replace("packets 2 bytes 120 jump", "packets 3 bytes 180 jump")
            .replace("packets 1 bytes 60 drop", "packets 2 bytes 120 drop");
        let rules = matched(&parse("kr-t-node1", BEFORE), &parse("kr-t-node1", &after));
        assert_eq!(
            rules,
            [
                "kr-t-node1 kubereach-policy forward: oifname \"kp5\" jump ingress-pod5",
                "kr-t-node1 kubereach-policy np-ingress-pod5: drop",
            ]
        );
    }
}
