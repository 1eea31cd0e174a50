//! IP address ranges and the disjoint blocks that policy CIDRs cut the
//! address space into.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Serialize, Serializer};

/// An inclusive range of IPv4 or IPv6 addresses. IPv4 ranges sort first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IpRange {
    /// IPv4 addresses `first..=last`.
    V4 {
        /// First address.
        first: u32,
        /// Last address.
        last: u32,
    },
    /// IPv6 addresses `first..=last`.
    V6 {
        /// First address.
        first: u128,
        /// Last address.
        last: u128,
    },
}

impl IpRange {
    /// Every IPv4 address, `0.0.0.0/0`.
    pub const ALL_V4: IpRange = IpRange::V4 { first: 0, last: u32::MAX };
    /// Every IPv6 address, `::/0`.
    pub const ALL_V6: IpRange = IpRange::V6 { first: 0, last: u128::MAX };

    /// Parses `a.b.c.d/n`, `x::/n` or a bare address (a host). Host bits
    /// are cleared, as Go's `net.ParseCIDR` does. `None` when malformed.
    pub fn parse_cidr(text: &str) -> Option<IpRange> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix.parse::<u32>().ok()?)),
            None => (text, None),
        };
        match address.parse::<IpAddr>().ok()? {
            IpAddr::V4(v4) => {
                let prefix = prefix.unwrap_or(32);
                if prefix > 32 {
                    return None;
                }
                let host_bits = 32 - prefix;
                let mask = if host_bits == 32 { 0 } else { u32::MAX << host_bits };
                let first = u32::from(v4) & mask;
                Some(IpRange::V4 { first, last: first | !mask })
            }
            IpAddr::V6(v6) => {
                let prefix = prefix.unwrap_or(128);
                if prefix > 128 {
                    return None;
                }
                let host_bits = 128 - prefix;
                let mask = if host_bits == 128 { 0 } else { u128::MAX << host_bits };
                let first = u128::from(v6) & mask;
                Some(IpRange::V6 { first, last: first | !mask })
            }
        }
    }

    /// The range holding one address.
    pub fn from_addr(address: IpAddr) -> IpRange {
        match address {
            IpAddr::V4(v4) => IpRange::V4 { first: v4.into(), last: v4.into() },
            IpAddr::V6(v6) => IpRange::V6 { first: v6.into(), last: v6.into() },
        }
    }

    /// Whether `other` lies within `self`.
    pub fn contains(&self, other: &IpRange) -> bool {
        match (*self, *other) {
            (IpRange::V4 { first, last }, IpRange::V4 { first: f, last: l }) => first <= f && l <= last,
            (IpRange::V6 { first, last }, IpRange::V6 { first: f, last: l }) => first <= f && l <= last,
            _ => false,
        }
    }

    /// Whether the two ranges share an address.
    pub fn overlaps(&self, other: &IpRange) -> bool {
        match (*self, *other) {
            (IpRange::V4 { first, last }, IpRange::V4 { first: f, last: l }) => first <= l && f <= last,
            (IpRange::V6 { first, last }, IpRange::V6 { first: f, last: l }) => first <= l && f <= last,
            _ => false,
        }
    }

    /// Whether this is an IPv6 range.
    pub fn is_v6(&self) -> bool {
        matches!(self, IpRange::V6 { .. })
    }

    /// The range as one CIDR (`10.0.0.0/8`), if it is exactly one.
    pub fn cidr(&self) -> Option<String> {
        match *self {
            IpRange::V4 { first, last } => {
                let size = u64::from(last - first) + 1;
                if !size.is_power_of_two() || u64::from(first) % size != 0 {
                    return None;
                }
                Some(format!("{}/{}", Ipv4Addr::from(first), 32 - size.trailing_zeros()))
            }
            IpRange::V6 { first, last } => {
                if first == 0 && last == u128::MAX {
                    return Some("::/0".to_owned());
                }
                let size = last - first + 1;
                if !size.is_power_of_two() || first % size != 0 {
                    return None;
                }
                Some(format!("{}/{}", Ipv6Addr::from(first), 128 - size.trailing_zeros()))
            }
        }
    }

    /// The node id of the matrix contract: the CIDR when the range is exactly
    /// one, else `first-last`.
    pub fn id(&self) -> String {
        self.cidr().unwrap_or_else(|| self.to_string())
    }

    fn bounds(&self) -> (bool, u128, u128) {
        match *self {
            IpRange::V4 { first, last } => (false, u128::from(first), u128::from(last)),
            IpRange::V6 { first, last } => (true, first, last),
        }
    }

    fn from_bounds(v6: bool, first: u128, last: u128) -> IpRange {
        if v6 {
            IpRange::V6 { first, last }
        } else {
            // Bounds of an IPv4 range fit in 32 bits.
            IpRange::V4 { first: first as u32, last: last as u32 }
        }
    }
}

impl fmt::Display for IpRange {
    /// `first-last`, as netpol-analyzer prints external peers
    /// (`0.0.0.0-255.255.255.255`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            IpRange::V4 { first, last } => write!(f, "{}-{}", Ipv4Addr::from(first), Ipv4Addr::from(last)),
            IpRange::V6 { first, last } => write!(f, "{}-{}", Ipv6Addr::from(first), Ipv6Addr::from(last)),
        }
    }
}

impl Serialize for IpRange {
    /// As [`IpRange::id`].
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.id())
    }
}

/// Cuts the address space into the coarsest disjoint blocks such that every
/// range in `cuts` is a union of blocks. The IPv4 space is always covered;
/// the IPv6 space only when some cut is IPv6. Blocks are sorted.
pub(crate) fn partition(cuts: &[IpRange]) -> Vec<IpRange> {
    let mut blocks = Vec::new();
    for v6 in [false, true] {
        let max = if v6 { u128::MAX } else { u128::from(u32::MAX) };
        let mut starts: Vec<u128> = vec![0];
        let mut any = false;
        for cut in cuts.iter().filter(|c| c.is_v6() == v6) {
            any = true;
            let (_, first, last) = cut.bounds();
            starts.push(first);
            if last < max {
                starts.push(last + 1);
            }
        }
        if v6 && !any {
            continue;
        }
        starts.sort_unstable();
        starts.dedup();
        for (i, &first) in starts.iter().enumerate() {
            let last = starts.get(i + 1).map_or(max, |next| next - 1);
            blocks.push(IpRange::from_bounds(v6, first, last));
        }
    }
    blocks
}

/// The addresses of an `ipBlock`: `cidr` without its `except`s, as maximal
/// ranges. Cutting the address space at these (not at each `except` on its
/// own) gives the canonical blocks netpol-analyzer prints: two adjacent
/// excepts that behave alike stay one block (`10.0.0.0/9` and
/// `10.128.0.0/9` are `10.0.0.0-10.255.255.255`).
pub(crate) fn block_ranges(cidr: IpRange, excepts: &[IpRange]) -> Vec<IpRange> {
    let (v6, first, last) = cidr.bounds();
    let mut holes: Vec<(u128, u128)> = excepts
        .iter()
        .filter(|e| e.is_v6() == v6 && e.overlaps(&cidr))
        .map(|e| {
            let (_, f, l) = e.bounds();
            (f.max(first), l.min(last))
        })
        .collect();
    holes.sort_unstable();
    let mut ranges = Vec::new();
    let mut next = Some(first);
    for (hole_first, hole_last) in holes {
        let Some(start) = next else { break };
        if hole_first > start {
            ranges.push(IpRange::from_bounds(v6, start, hole_first - 1));
        }
        if hole_last >= start {
            next = hole_last.checked_add(1).filter(|n| *n <= last);
        }
    }
    if let Some(start) = next {
        ranges.push(IpRange::from_bounds(v6, start, last));
    }
    ranges
}

/// The indices of the `blocks` (sorted, disjoint, from [`partition`]) that
/// overlap `range`.
pub(crate) fn blocks_overlapping(blocks: &[IpRange], range: &IpRange) -> std::ops::Range<usize> {
    let start = blocks.partition_point(|b| b < range && !b.overlaps(range));
    let mut end = start;
    while end < blocks.len() && blocks[end].overlaps(range) {
        end += 1;
    }
    start..end
}

/// The index of the block holding `address`.
pub(crate) fn block_of(blocks: &[IpRange], address: IpAddr) -> Option<usize> {
    let range = IpRange::from_addr(address);
    let found = blocks_overlapping(blocks, &range);
    (!found.is_empty()).then_some(found.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cuts: &[&str], expect: &[&str]) {
        let cuts: Vec<IpRange> = cuts.iter().map(|c| IpRange::parse_cidr(c).unwrap()).collect();
        let blocks: Vec<String> = partition(&cuts).iter().map(ToString::to_string).collect();
        assert_eq!(blocks, expect);
    }

    // netpol-analyzer's canonical blocks: an ipBlock is its cidr without its
    // excepts, so adjacent excepts make one hole
    // (np-guard/netpol-analyzer's IPBlock; the issue's
    // `0.0.0.0/0 except [10.0.0.0/9, 10.128.0.0/9]`).
    #[test]
    fn ip_block_ranges_merge_adjacent_excepts() {
        let cidr = |c: &str| IpRange::parse_cidr(c).unwrap();
        let ranges = |cidr: IpRange, excepts: &[IpRange]| -> Vec<String> {
            block_ranges(cidr, excepts).iter().map(ToString::to_string).collect()
        };
        let all = cidr("0.0.0.0/0");
        assert_eq!(
            ranges(all, &[cidr("10.128.0.0/9"), cidr("10.0.0.0/9")]),
            ["0.0.0.0-9.255.255.255", "11.0.0.0-255.255.255.255"]
        );
        let blocks: Vec<String> = partition(&block_ranges(all, &[cidr("10.0.0.0/9"), cidr("10.128.0.0/9")]))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(blocks, ["0.0.0.0-9.255.255.255", "10.0.0.0-10.255.255.255", "11.0.0.0-255.255.255.255"]);
        assert_eq!(ranges(cidr("10.0.0.0/8"), &[cidr("10.0.0.0/8")]), Vec::<String>::new());
        assert_eq!(ranges(cidr("10.0.0.0/8"), &[cidr("10.255.0.0/16")]), ["10.0.0.0-10.254.255.255"]);
        assert_eq!(ranges(cidr("10.0.0.0/8"), &[]), ["10.0.0.0-10.255.255.255"]);
        assert_eq!(ranges(all, &[cidr("255.255.255.0/24")]), ["0.0.0.0-255.255.254.255"]);
    }

    #[test]
    fn parses_cidrs_and_clears_host_bits() {
        let range = IpRange::parse_cidr("10.1.2.3/8").unwrap();
        assert_eq!(range.to_string(), "10.0.0.0-10.255.255.255");
        assert_eq!(range.cidr().as_deref(), Some("10.0.0.0/8"));
        assert_eq!(IpRange::parse_cidr("0.0.0.0/0").unwrap(), IpRange::ALL_V4);
        assert_eq!(IpRange::parse_cidr("1.2.3.4").unwrap().id(), "1.2.3.4/32");
        assert_eq!(IpRange::parse_cidr("fd00::/8").unwrap().id(), "fd00::/8");
        assert_eq!(IpRange::parse_cidr("::/0").unwrap(), IpRange::ALL_V6);
        assert_eq!(IpRange::parse_cidr("10.0.0.0/33"), None);
        assert_eq!(IpRange::parse_cidr("bogus"), None);
        let odd = IpRange::V4 {
            first: u32::from(Ipv4Addr::new(11, 0, 0, 0)),
            last: u32::from(Ipv4Addr::new(172, 20, 255, 255)),
        };
        assert_eq!(odd.id(), "11.0.0.0-172.20.255.255");
    }

    // The blocks netpol-analyzer prints for `cidr: 0.0.0.0/0` with
    // `except: [10.0.0.0/8, 172.21.0.0/16, 172.30.0.0/16]` (its `ipblockstest`).
    #[test]
    fn partitions_by_cidr_and_except_bounds() {
        check(&[], &["0.0.0.0-255.255.255.255"]);
        check(
            &["0.0.0.0/0", "10.0.0.0/8", "172.21.0.0/16", "172.30.0.0/16"],
            &[
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.255.255.255",
                "11.0.0.0-172.20.255.255",
                "172.21.0.0-172.21.255.255",
                "172.22.0.0-172.29.255.255",
                "172.30.0.0-172.30.255.255",
                "172.31.0.0-255.255.255.255",
            ],
        );
        check(
            &["fd00::/8"],
            &[
                "0.0.0.0-255.255.255.255",
                "::-fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "fe00::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ],
        );
    }

    #[test]
    fn finds_blocks_of_addresses_and_ranges() {
        let cuts = [IpRange::parse_cidr("10.0.0.0/8").unwrap()];
        let blocks = partition(&cuts);
        assert_eq!(block_of(&blocks, "10.1.1.1".parse().unwrap()), Some(1));
        assert_eq!(block_of(&blocks, "192.168.0.1".parse().unwrap()), Some(2));
        assert_eq!(block_of(&blocks, "::1".parse().unwrap()), None);
        assert_eq!(blocks_overlapping(&blocks, &IpRange::parse_cidr("8.0.0.0/7").unwrap()), 0..1);
        assert_eq!(blocks_overlapping(&blocks, &IpRange::parse_cidr("10.0.0.0/7").unwrap()), 1..3);
        assert_eq!(blocks_overlapping(&blocks, &IpRange::ALL_V4), 0..3);
    }
}
