//! The API server's checks of single values: names, label keys and values,
//! port names, CIDRs and Ingress hosts, with its messages
//! (k8s.io/apimachinery `pkg/util/validation/validation.go`).

use crate::ip::IpRange;

/// The most characters of a DNS-1123 label and of a label value.
const LABEL_MAX: usize = 63;

/// The most characters of a DNS-1123 subdomain.
const SUBDOMAIN_MAX: usize = 253;

/// `IsDNS1123Subdomain`: the names of most objects.
pub(super) fn dns1123_subdomain(value: &str) -> Option<String> {
    if value.len() > SUBDOMAIN_MAX {
        return Some(format!("must be no more than {SUBDOMAIN_MAX} characters"));
    }
    // The subdomain pattern limits the whole name, not each label.
    let valid = value.split('.').all(is_dns1123_label_format);
    (!valid).then(|| {
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', \
         and must start and end with an alphanumeric character"
            .to_owned()
    })
}

/// `IsDNS1123Label`: the names of Namespaces.
pub(super) fn dns1123_label(value: &str) -> Option<String> {
    if value.len() > LABEL_MAX {
        return Some(format!("must be no more than {LABEL_MAX} characters"));
    }
    (!is_dns1123_label(value)).then(|| {
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must \
         start and end with an alphanumeric character"
            .to_owned()
    })
}

/// `IsDNS1035Label`: the names of Services, which become DNS labels.
pub(super) fn dns1035_label(value: &str) -> Option<String> {
    if value.len() > LABEL_MAX {
        return Some(format!("must be no more than {LABEL_MAX} characters"));
    }
    let valid = is_dns1123_label(value) && value.starts_with(|c: char| c.is_ascii_lowercase());
    (!valid).then(|| {
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an \
         alphabetic character, and end with an alphanumeric character"
            .to_owned()
    })
}

fn is_dns1123_label(value: &str) -> bool {
    value.len() <= LABEL_MAX && is_dns1123_label_format(value)
}

fn is_dns1123_label_format(value: &str) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// `IsQualifiedName`: a label key, `[prefix/]name`.
pub(super) fn label_key(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Some("prefix part must be non-empty".to_owned());
        }
        if let Some(reason) = dns1123_subdomain(prefix) {
            return Some(format!("prefix part {reason}"));
        }
    }
    if name.is_empty() {
        return Some("name part must be non-empty".to_owned());
    }
    if name.len() > LABEL_MAX {
        return Some(format!("name part must be no more than {LABEL_MAX} characters"));
    }
    (!is_qualified_name_part(name)).then(|| {
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with \
         an alphanumeric character"
            .to_owned()
    })
}

/// `IsValidLabelValue`.
pub(super) fn label_value(value: &str) -> Option<String> {
    if value.len() > LABEL_MAX {
        return Some(format!("must be no more than {LABEL_MAX} characters"));
    }
    (!value.is_empty() && !is_qualified_name_part(value)).then(|| {
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', \
         and must start and end with an alphanumeric character"
            .to_owned()
    })
}

fn is_qualified_name_part(value: &str) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
}

/// `IsValidPortName`: an IANA service name. A quoted number (`"8080"`) is
/// a name, and not a valid one.
pub fn port_name(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() > 15 {
        return Some("must be no more than 15 characters".to_owned());
    }
    if !bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-') {
        return Some("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".to_owned());
    }
    if name.contains("--") {
        return Some("must not contain consecutive hyphens".to_owned());
    }
    if !bytes.iter().any(u8::is_ascii_lowercase) {
        return Some("must contain at least one letter (a-z)".to_owned());
    }
    (bytes[0] == b'-' || bytes[bytes.len() - 1] == b'-')
        .then(|| "must not begin or end with a hyphen".to_owned())
}

/// `ValidateCIDR` of an `ipBlock`: an address, a slash and a prefix length.
pub(super) fn cidr(value: &str) -> Result<IpRange, String> {
    let parsed = value.contains('/').then(|| IpRange::parse_cidr(value)).flatten();
    parsed.ok_or_else(|| "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)".to_owned())
}

/// An Ingress rule's `host`: a DNS-1123 subdomain, or a wildcard whose
/// `*` is the whole first label (`*.example.com`), never an IP address.
pub(super) fn ingress_host(host: &str) -> Option<String> {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Some("must be a DNS name, not an IP address".to_owned());
    }
    if let Some(rest) = host.strip_prefix("*.") {
        return dns1123_subdomain(rest).map(|_| {
            "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which \
             must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric \
             character"
                .to_owned()
        });
    }
    if host.contains('*') {
        return Some(
            "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain: `*` \
             must be the whole first label"
                .to_owned(),
        );
    }
    dns1123_subdomain(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Cases from k8s.io/apimachinery/pkg/util/validation/validation_test.go.
    #[test]
    fn names() {
        let long_label = "a".repeat(64);
        for good in ["a", "ab", "a-b", "0", "a.b", "a--b", "1.2.3.4", "api-service.prod", &long_label] {
            assert_eq!(dns1123_subdomain(good), None, "{good}");
        }
        for bad in ["", "A", "a_b", "-a", "a-", ".a", "a..b", "Api", "api service", &"a".repeat(254)] {
            assert!(dns1123_subdomain(bad).is_some(), "{bad}");
        }
        assert!(dns1123_label("a.b").is_some());
        assert!(dns1035_label("1abc").is_some());
        assert_eq!(dns1035_label("abc-1"), None);
    }

    #[test]
    fn label_keys_and_values() {
        for good in ["app", "app.kubernetes.io/name", "k8s-app", "A_b.c", "a/b"] {
            assert_eq!(label_key(good), None, "{good}");
        }
        for bad in ["", "/a", "a/", "-a", "a b", "Example.com/a", "a/b/c", &"a".repeat(64)] {
            assert!(label_key(bad).is_some(), "{bad}");
        }
        for good in ["", "v1", "a-b_c.d", "1"] {
            assert_eq!(label_value(good), None, "{good}");
        }
        for bad in ["-a", "a ", "a/b", "ü", &"a".repeat(64)] {
            assert!(label_value(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn port_names() {
        for good in ["http", "h2c", "metrics-9090", "a"] {
            assert_eq!(port_name(good), None, "{good}");
        }
        assert_eq!(port_name("8080").as_deref(), Some("must contain at least one letter (a-z)"));
        for bad in ["HTTP", "-http", "http-", "ht--tp", "a-very-long-port-name", "http_s", ""] {
            assert!(port_name(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn cidrs_and_hosts() {
        assert!(cidr("10.0.0.0/8").is_ok());
        assert!(cidr("2001:db8::/64").is_ok());
        for bad in ["10.0.0.0/33", "10.0.0.0", "10.0.0/8", "banana", "::/129"] {
            assert!(cidr(bad).is_err(), "{bad}");
        }
        for good in ["foo.com", "*.foo.com", "a.b.c"] {
            assert_eq!(ingress_host(good), None, "{good}");
        }
        for bad in ["foo.*.com", "*foo.com", "*", "10.0.0.1", "Foo.com"] {
            assert!(ingress_host(bad).is_some(), "{bad}");
        }
    }
}
