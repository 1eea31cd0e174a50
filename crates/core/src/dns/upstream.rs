//! What cluster DNS's upstream answers for a name outside the cluster
//! domain.
//!
//! CoreDNS forwards such names (the kubeadm Corefile's `forward .
//! /etc/resolv.conf`), and what comes back is beyond the model, with one
//! exception it can decide: a name under a top-level label the DNS root does
//! not delegate gets NXDOMAIN from any resolver that follows the public root
//! (RFC 1034 §4.3.2: the root's authoritative answer for a name below no
//! delegation is a name error). That is what a typo namespace (`api.backnd`,
//! tried as is after the search list) and another cluster's domain
//! (`svc.cluster.local` when this cluster's domain is not `cluster.local`;
//! `.local` is reserved for multicast DNS by RFC 6762 and never delegated)
//! get. So a name meant for the cluster is never "forwarded upstream" with an
//! unknown answer.
//!
//! The delegated top-level labels are those of the ICANN section of the
//! Public Suffix List (<https://publicsuffix.org/list/>), whose ICANN section
//! lists every TLD of the IANA root zone database
//! (<https://www.iana.org/domains/root/db>), in ASCII (punycode) form, in
//! `root_zone.txt` (from the list of 2023-02-09: a TLD delegated since would
//! wrongly be NXDOMAIN; regenerate the file from a newer list). Two kinds of names stay unknown even so: top-level labels
//! that site resolvers commonly serve themselves (`internal`, reserved for
//! private use by ICANN in 2024 and served by cloud resolvers, e.g.
//! `metadata.google.internal` and `ec2.internal`, and the `corp`, `home`,
//! `lan` family of RFC 6762 appendix G), and zones the Corefile sends to a
//! server of their own (stub domains).

use super::Answer;
use crate::model::Cluster;

/// The top-level labels the root zone delegates, one per line, lowercase.
const ROOT_ZONE: &str = include_str!("root_zone.txt");

/// Top-level labels not in the root that site resolvers commonly answer
/// (RFC 6762 appendix G, and `internal`, reserved for private use).
const PRIVATE_USE: [&str; 7] = ["internal", "corp", "home", "lan", "intranet", "private", "localdomain"];

/// What the upstream resolver answers for the absolute `name` (lowercase,
/// without the final dot), which is outside the cluster domain:
/// [`Answer::NxDomain`] when its top-level label is not delegated by the
/// root, else [`Answer::External`] (unknown to the model).
pub(super) fn upstream_answer(cluster: &Cluster, name: &str) -> Answer {
    let name = name.trim_end_matches('.');
    let Some(top) = name.rsplit('.').next().filter(|t| !t.is_empty()) else { return Answer::External };
    // A label written in Unicode is resolved in its punycode form, which
    // the list holds; the model does not convert it.
    if !top.is_ascii() {
        return Answer::External;
    }
    if delegated(top) || PRIVATE_USE.contains(&top) || in_stub_zone(cluster, name) {
        return Answer::External;
    }
    Answer::NxDomain
}

/// Whether the root zone delegates the top-level label `top`.
fn delegated(top: &str) -> bool {
    ROOT_ZONE.lines().any(|line| line.eq_ignore_ascii_case(top))
}

/// Whether `name` lies in a zone the Corefile serves with a server block of
/// its own (`consul:53 { forward . 10.0.0.9 }`), other than the root.
fn in_stub_zone(cluster: &Cluster, name: &str) -> bool {
    let corefile =
        cluster.coredns_config().and_then(|c| c.value.data.as_ref()).and_then(|d| d.get("Corefile"));
    let Some(corefile) = corefile else { return false };
    let mut depth = 0usize;
    for line in corefile.lines().map(|l| l.split('#').next().unwrap_or_default().trim()) {
        if depth == 0 && line.ends_with('{') {
            let zones = line.trim_end_matches('{').split_whitespace();
            let zones = zones.map(|z| {
                let z = z.split_once("://").map_or(z, |(_, rest)| rest);
                z.split(':').next().unwrap_or_default().trim_end_matches('.').to_ascii_lowercase()
            });
            if zones.filter(|z| !z.is_empty()).any(|zone| super::in_zone(name, &zone)) {
                return true;
            }
        }
        depth += line.matches('{').count();
        depth = depth.saturating_sub(line.matches('}').count());
    }
    false
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::cluster;

    fn check(corefile: Option<&str>, name: &str, expect: Answer) {
        let objects = corefile.map(|c| {
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "coredns", "namespace": "kube-system"},
                   "data": {"Corefile": c}})
        });
        let cluster = cluster(objects);
        assert_eq!(upstream_answer(&cluster, name), expect, "{name}");
    }

    /// RFC 1034 §4.3.2: below no delegation of the root, a name error.
    #[test]
    fn undelegated_top_level_labels_are_nxdomain() {
        check(None, "api.backnd", Answer::NxDomain);
        check(None, "db-0.db", Answer::NxDomain);
        check(None, "api", Answer::NxDomain);
        // RFC 6762: `.local` is link-local multicast DNS, never delegated.
        check(None, "api.prod.svc.cluster.local", Answer::NxDomain);
    }

    #[test]
    fn delegated_and_private_use_names_are_unknown() {
        check(None, "example.com", Answer::External);
        check(None, "api.dev", Answer::External);
        check(None, "xn--p1ai", Answer::External);
        check(None, "metadata.google.internal", Answer::External);
        check(None, "ldap.corp", Answer::External);
    }

    #[test]
    fn stub_domains_of_the_corefile_are_unknown() {
        let corefile = ".:53 {\n    kubernetes cluster.local {\n    }\n    forward . /etc/resolv.conf\n}\nconsul:53 {\n    forward . 10.150.0.1\n}\n";
        check(Some(corefile), "web.service.consul", Answer::External);
        check(Some(corefile), "web.service.consol", Answer::NxDomain);
    }
}
