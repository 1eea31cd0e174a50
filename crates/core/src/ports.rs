//! Connection sets: which protocols and ports a connection may use.
//!
//! A [`PortSet`] is a sorted list of disjoint, non-adjacent inclusive port
//! intervals over `1..=65535`; a [`ConnectionSet`] holds one per
//! [`Protocol`]. Both are canonical, so `==` is set equality.
//!
//! A connection set may also hold named ports that could not be resolved to a
//! number: a NetworkPolicy egress rule with `port: http` towards an address
//! outside the cluster has no container to look the name up in, so the set
//! keeps `TCP http` by name, as netpol-analyzer prints it.

use std::fmt;

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

/// The lowest port number.
pub const MIN_PORT: u16 = 1;
/// The highest port number.
pub const MAX_PORT: u16 = 65535;

/// A transport protocol a NetworkPolicy can name. The order (`SCTP`, `TCP`,
/// `UDP`) is the alphabetical order connection sets are printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Protocol {
    /// `SCTP`.
    #[serde(rename = "SCTP")]
    Sctp,
    /// `TCP`, the default wherever Kubernetes lets the protocol out.
    #[serde(rename = "TCP")]
    Tcp,
    /// `UDP`.
    #[serde(rename = "UDP")]
    Udp,
}

impl Protocol {
    /// Every protocol, in printing order.
    pub const ALL: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

    /// Parses a Kubernetes protocol string, ignoring case (`tcp`, `TCP`).
    pub fn parse(text: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(text))
    }

    /// The Kubernetes spelling: `TCP`, `UDP` or `SCTP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Sctp => "SCTP",
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of port numbers in `1..=65535`, as sorted disjoint inclusive
/// intervals with no two intervals adjacent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortSet {
    ranges: Vec<(u16, u16)>,
}

impl PortSet {
    /// No port.
    pub fn empty() -> PortSet {
        PortSet { ranges: Vec::new() }
    }

    /// Every port, `1-65535`.
    pub fn all() -> PortSet {
        PortSet { ranges: vec![(MIN_PORT, MAX_PORT)] }
    }

    /// The ports `first..=last`, clamped to `1..=65535`; empty when
    /// `first > last` (an `endPort` below `port`, which the API rejects).
    pub fn range(first: i64, last: i64) -> PortSet {
        let first = first.max(i64::from(MIN_PORT));
        let last = last.min(i64::from(MAX_PORT));
        if first > last {
            return PortSet::empty();
        }
        // Both bounds are within 1..=65535 here.
        PortSet { ranges: vec![(first as u16, last as u16)] }
    }

    /// One port; empty when `port` is outside `1..=65535`.
    pub fn single(port: i64) -> PortSet {
        PortSet::range(port, port)
    }

    /// The intervals, sorted and disjoint.
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }

    /// Whether there is no port.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether every port is in the set.
    pub fn is_all(&self) -> bool {
        self.ranges.as_slice() == [(MIN_PORT, MAX_PORT)]
    }

    /// Whether `port` is in the set.
    pub fn contains(&self, port: u16) -> bool {
        let i = self.ranges.partition_point(|&(_, last)| last < port);
        self.ranges.get(i).is_some_and(|&(first, _)| first <= port)
    }

    /// Whether every port of `other` is in `self`.
    pub fn is_superset(&self, other: &PortSet) -> bool {
        other.difference(self).is_empty()
    }

    /// The ports in either set.
    pub fn union(&self, other: &PortSet) -> PortSet {
        if other.ranges.is_empty() || self.is_all() {
            return self.clone();
        }
        if self.ranges.is_empty() || other.is_all() {
            return other.clone();
        }
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(self.ranges.len() + other.ranges.len());
        let (mut a, mut b) = (self.ranges.iter().peekable(), other.ranges.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => {
                    if x.0 <= y.0 {
                        a.next()
                    } else {
                        b.next()
                    }
                }
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            let &(first, last) = next.expect("peeked");
            match merged.last_mut() {
                Some(previous) if u32::from(first) <= u32::from(previous.1) + 1 => {
                    previous.1 = previous.1.max(last);
                }
                _ => merged.push((first, last)),
            }
        }
        PortSet { ranges: merged }
    }

    /// The ports in both sets.
    pub fn intersection(&self, other: &PortSet) -> PortSet {
        if self.is_all() {
            return other.clone();
        }
        if other.is_all() {
            return self.clone();
        }
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a0, a1) = self.ranges[i];
            let (b0, b1) = other.ranges[j];
            let first = a0.max(b0);
            let last = a1.min(b1);
            if first <= last {
                out.push((first, last));
            }
            if a1 < b1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        PortSet { ranges: out }
    }

    /// The ports in `self` but not in `other`.
    pub fn difference(&self, other: &PortSet) -> PortSet {
        if other.ranges.is_empty() || self.ranges.is_empty() {
            return self.clone();
        }
        if other.is_all() {
            return PortSet::empty();
        }
        let mut out = Vec::new();
        let mut j = 0;
        for &(first, last) in &self.ranges {
            let mut start = u32::from(first);
            let end = u32::from(last);
            while j < other.ranges.len() && u32::from(other.ranges[j].1) < start {
                j += 1;
            }
            let mut k = j;
            while start <= end && k < other.ranges.len() && u32::from(other.ranges[k].0) <= end {
                let (b0, b1) = (u32::from(other.ranges[k].0), u32::from(other.ranges[k].1));
                if b0 > start {
                    out.push((start as u16, (b0 - 1) as u16));
                }
                start = start.max(b1 + 1);
                k += 1;
            }
            if start <= end {
                out.push((start as u16, end as u16));
            }
        }
        PortSet { ranges: out }
    }
}

impl fmt::Display for PortSet {
    /// `80,8080-8090`; an empty set prints nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(first, last)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if first == last {
                write!(f, "{first}")?;
            } else {
                write!(f, "{first}-{last}")?;
            }
        }
        Ok(())
    }
}

/// The protocols and ports a connection may use: a [`PortSet`] per protocol,
/// plus named ports that could not be resolved to numbers.
///
/// Canonical: a named port is dropped when its protocol already has every
/// port, so `==` is set equality.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionSet {
    ports: [PortSet; 3],
    named: Vec<(Protocol, String)>,
}

impl ConnectionSet {
    /// Every protocol and port.
    pub fn all() -> ConnectionSet {
        ConnectionSet { ports: [PortSet::all(), PortSet::all(), PortSet::all()], named: Vec::new() }
    }

    /// Nothing.
    pub fn none() -> ConnectionSet {
        ConnectionSet::default()
    }

    /// `ports` of `protocol`, nothing else.
    pub fn from_ports(protocol: Protocol, ports: PortSet) -> ConnectionSet {
        let mut set = ConnectionSet::none();
        set.ports[protocol.index()] = ports;
        set
    }

    /// Every port of `protocol`.
    pub fn protocol(protocol: Protocol) -> ConnectionSet {
        ConnectionSet::from_ports(protocol, PortSet::all())
    }

    /// The unresolved named port `name` of `protocol`.
    pub fn named(protocol: Protocol, name: &str) -> ConnectionSet {
        let mut set = ConnectionSet::none();
        set.named.push((protocol, name.to_owned()));
        set
    }

    /// The numeric ports of `protocol`.
    pub fn ports(&self, protocol: Protocol) -> &PortSet {
        &self.ports[protocol.index()]
    }

    /// The unresolved named ports, sorted by protocol then name.
    pub fn named_ports(&self) -> impl Iterator<Item = (Protocol, &str)> + '_ {
        self.named.iter().map(|(p, n)| (*p, n.as_str()))
    }

    /// Whether `port` of `protocol` is in the set.
    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        self.ports[protocol.index()].contains(port)
    }

    /// Whether every protocol and port is in the set.
    pub fn is_all(&self) -> bool {
        self.ports.iter().all(PortSet::is_all)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.named.is_empty() && self.ports.iter().all(PortSet::is_empty)
    }

    /// The connections in either set.
    pub fn union(&self, other: &ConnectionSet) -> ConnectionSet {
        if other.is_empty() || self.is_all() {
            return self.clone();
        }
        if self.is_empty() || other.is_all() {
            return other.clone();
        }
        let ports = std::array::from_fn(|i| self.ports[i].union(&other.ports[i]));
        let mut named = self.named.clone();
        named.extend(other.named.iter().cloned());
        ConnectionSet::normalized(ports, named)
    }

    /// The connections in both sets. A named port survives when the other
    /// set has the same name or every port of that protocol.
    pub fn intersection(&self, other: &ConnectionSet) -> ConnectionSet {
        if self.is_all() || other.is_empty() {
            return other.clone();
        }
        if other.is_all() || self.is_empty() {
            return self.clone();
        }
        let ports = std::array::from_fn(|i| self.ports[i].intersection(&other.ports[i]));
        let keep = |named: &(Protocol, String), other: &ConnectionSet| {
            other.ports[named.0.index()].is_all() || other.named.contains(named)
        };
        let mut named: Vec<_> = self.named.iter().filter(|n| keep(n, other)).cloned().collect();
        named.extend(other.named.iter().filter(|n| keep(n, self)).cloned());
        ConnectionSet::normalized(ports, named)
    }

    /// The connections in `self` but not in `other`.
    pub fn difference(&self, other: &ConnectionSet) -> ConnectionSet {
        if other.is_empty() || self.is_empty() {
            return self.clone();
        }
        if other.is_all() {
            return ConnectionSet::none();
        }
        let ports = std::array::from_fn(|i| self.ports[i].difference(&other.ports[i]));
        let named = self
            .named
            .iter()
            .filter(|n| !other.ports[n.0.index()].is_all() && !other.named.contains(n))
            .cloned()
            .collect();
        ConnectionSet::normalized(ports, named)
    }

    /// Whether every connection of `other` is in `self`.
    pub fn is_superset(&self, other: &ConnectionSet) -> bool {
        other.difference(self).is_empty()
    }

    fn normalized(ports: [PortSet; 3], mut named: Vec<(Protocol, String)>) -> ConnectionSet {
        named.retain(|(protocol, _)| !ports[protocol.index()].is_all());
        named.sort();
        named.dedup();
        ConnectionSet { ports, named }
    }

    /// The set as `protocol`/`from`/`to` entries (named ports as
    /// `protocol`/`name`), protocols in printing order.
    pub fn entries(&self) -> Vec<PortEntry> {
        let mut entries = Vec::new();
        for protocol in Protocol::ALL {
            for &(from, to) in self.ports(protocol).ranges() {
                entries.push(PortEntry { protocol, from: Some(from), to: Some(to), name: None });
            }
            for (_, name) in self.named.iter().filter(|(p, _)| *p == protocol) {
                entries.push(PortEntry { protocol, from: None, to: None, name: Some(name.clone()) });
            }
        }
        entries
    }
}

/// One entry of a connection set in the JSON contract:
/// `{"protocol": "TCP", "from": 80, "to": 81}`, or
/// `{"protocol": "TCP", "name": "http"}` for an unresolved named port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortEntry {
    /// The protocol.
    pub protocol: Protocol,
    /// First port of the range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<u16>,
    /// Last port of the range, inclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<u16>,
    /// The unresolved port name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Serialize for ConnectionSet {
    /// A list of [`PortEntry`]: all ports are one `1`–`65535` entry per protocol.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = self.entries();
        let mut seq = serializer.serialize_seq(Some(entries.len()))?;
        for entry in &entries {
            seq.serialize_element(entry)?;
        }
        seq.end()
    }
}

impl fmt::Display for ConnectionSet {
    /// netpol-analyzer's form: `All Connections`, `No Connections`, or
    /// `SCTP 9003,TCP 80,8080-8090,http,UDP 53`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("All Connections");
        }
        if self.is_empty() {
            return f.write_str("No Connections");
        }
        let mut first_protocol = true;
        for protocol in Protocol::ALL {
            let ports = self.ports(protocol);
            let mut names = self.named.iter().filter(|(p, _)| *p == protocol).map(|(_, n)| n);
            let first_name = names.next();
            if ports.is_empty() && first_name.is_none() {
                continue;
            }
            if !first_protocol {
                f.write_str(",")?;
            }
            first_protocol = false;
            write!(f, "{protocol} {ports}")?;
            let mut need_comma = !ports.is_empty();
            for name in first_name.into_iter().chain(names) {
                if need_comma {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                need_comma = true;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports(ranges: &[(i64, i64)]) -> PortSet {
        ranges.iter().fold(PortSet::empty(), |acc, &(a, b)| acc.union(&PortSet::range(a, b)))
    }

    fn check(actual: impl fmt::Display, expect: &str) {
        assert_eq!(actual.to_string(), expect);
    }

    #[test]
    fn protocols_parse_ignoring_case() {
        assert_eq!(Protocol::parse("tcp"), Some(Protocol::Tcp));
        assert_eq!(Protocol::parse("Sctp"), Some(Protocol::Sctp));
        assert_eq!(Protocol::parse("UDP"), Some(Protocol::Udp));
        assert_eq!(Protocol::parse("ICMP"), None);
    }

    #[test]
    fn port_sets_merge_adjacent_and_overlapping_ranges() {
        check(ports(&[(80, 80), (81, 81), (90, 100), (95, 120)]), "80-81,90-120");
        check(ports(&[(5, 5), (1, 3)]), "1-3,5");
        check(ports(&[(1, 65535)]), "1-65535");
        assert!(ports(&[(1, 100), (101, 65535)]).is_all());
        assert!(PortSet::range(10, 1).is_empty(), "endPort below port is empty");
        assert!(PortSet::single(0).is_empty());
        assert!(PortSet::single(70000).is_empty());
    }

    #[test]
    fn port_set_algebra() {
        let a = ports(&[(1, 100), (200, 300)]);
        let b = ports(&[(50, 250)]);
        check(a.intersection(&b), "50-100,200-250");
        check(a.difference(&b), "1-49,251-300");
        check(b.difference(&a), "101-199");
        check(a.union(&b), "1-300");
        check(PortSet::all().difference(&PortSet::single(80)), "1-79,81-65535");
        check(PortSet::all().difference(&ports(&[(1, 1), (65535, 65535)])), "2-65534");
        assert!(a.contains(1) && a.contains(250) && !a.contains(150) && !a.contains(301));
        assert!(a.is_superset(&ports(&[(10, 20)])));
        assert!(!a.is_superset(&b));
    }

    #[test]
    fn connection_sets_print_like_netpol_analyzer() {
        check(ConnectionSet::all(), "All Connections");
        check(ConnectionSet::none(), "No Connections");
        let set = ConnectionSet::from_ports(Protocol::Udp, PortSet::single(5353))
            .union(&ConnectionSet::from_ports(Protocol::Tcp, PortSet::single(8080)))
            .union(&ConnectionSet::from_ports(Protocol::Sctp, PortSet::single(9003)));
        check(&set, "SCTP 9003,TCP 8080,UDP 5353");
        let all_but_80 = ConnectionSet::protocol(Protocol::Tcp)
            .difference(&ConnectionSet::from_ports(Protocol::Tcp, PortSet::single(80)));
        check(&all_but_80, "TCP 1-79,81-65535");
        check(ConnectionSet::protocol(Protocol::Tcp), "TCP 1-65535");
        let named = ConnectionSet::named(Protocol::Tcp, "http")
            .union(&ConnectionSet::from_ports(Protocol::Tcp, PortSet::single(80)));
        check(&named, "TCP 80,http");
        check(ConnectionSet::named(Protocol::Tcp, "http"), "TCP http");
    }

    #[test]
    fn named_ports_meet_numbers_by_protocol() {
        let http = ConnectionSet::named(Protocol::Tcp, "http");
        assert_eq!(http.intersection(&ConnectionSet::all()), http);
        assert_eq!(ConnectionSet::protocol(Protocol::Tcp).intersection(&http), http);
        assert!(ConnectionSet::protocol(Protocol::Udp).intersection(&http).is_empty());
        assert!(http.difference(&ConnectionSet::protocol(Protocol::Tcp)).is_empty());
        assert_eq!(http.difference(&ConnectionSet::protocol(Protocol::Udp)), http);
        // A protocol with every port absorbs its named ports.
        assert!(http.union(&ConnectionSet::all()).is_all());
        assert!(!http.is_empty());
    }

    #[test]
    fn serializes_as_protocol_ranges() {
        let set = ConnectionSet::from_ports(Protocol::Tcp, PortSet::range(80, 81))
            .union(&ConnectionSet::named(Protocol::Tcp, "http"));
        assert_eq!(
            serde_json::to_string(&set).unwrap(),
            r#"[{"protocol":"TCP","from":80,"to":81},{"protocol":"TCP","name":"http"}]"#
        );
        assert_eq!(
            serde_json::to_string(&ConnectionSet::all()).unwrap(),
            concat!(
                r#"[{"protocol":"SCTP","from":1,"to":65535},"#,
                r#"{"protocol":"TCP","from":1,"to":65535},"#,
                r#"{"protocol":"UDP","from":1,"to":65535}]"#
            )
        );
    }
}
