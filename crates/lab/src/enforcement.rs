//! What the lab's policy compilers share (`policy.rs` for NetworkPolicy,
//! `admin.rs` for the admin tiers, `native_policy.rs` for Cilium's and
//! Calico's own policies): which tiers the plugin enforces, the direction a
//! chain judges, and CIDRs as nftables matches them.

/// A direction, as the compiler needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Ingress,
    Egress,
}

/// Which policy tiers the plugin enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enforced {
    /// NetworkPolicy.
    pub network_policy: bool,
    /// AdminNetworkPolicy.
    pub admin: bool,
    /// BaselineAdminNetworkPolicy.
    pub baseline: bool,
}

/// An IPv4 CIDR in canonical form (host bits cleared, as the API server's
/// validation of newer versions requires and older ones silently mean);
/// `None` for IPv6 (the lab is IPv4 only) and garbage.
pub(crate) fn v4(cidr: &str) -> Option<String> {
    let (address, prefix) = cidr.split_once('/')?;
    let address: std::net::Ipv4Addr = address.parse().ok()?;
    let prefix: u32 = prefix.parse().ok().filter(|p| *p <= 32)?;
    let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
    Some(format!("{}/{prefix}", std::net::Ipv4Addr::from(u32::from(address) & mask)))
}
