//! The same host, path and type claimed by several Ingresses of one class:
//! the controller merges them and only one wins.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::backend::backend_ref;
use super::class::classes;
use super::routing::{path_field, paths_of};
use super::{BackendRef, BackendSite, IngressRef, PathType};
use crate::model::Cluster;
use crate::origin::Location;

/// The same host, path and type claimed by several Ingresses of one class.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Conflict {
    /// The class.
    pub class: Option<String>,
    /// The host; `None` for rules without host.
    pub host: Option<String>,
    /// The path (for `Prefix`, without trailing slash).
    pub path: String,
    /// The type.
    pub path_type: PathType,
    /// The claims, in precedence order: the first wins.
    pub claims: Vec<Claim>,
}

/// One Ingress's claim on a host and path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Claim {
    /// The Ingress.
    pub ingress: IngressRef,
    /// Where the path is.
    pub site: BackendSite,
    /// Its backend.
    pub backend: BackendRef,
    /// Where it is written.
    pub location: Location,
}

/// Host, path and type combinations claimed by more than one Ingress of
/// the same class, sorted by class, host, path and type.
pub fn rule_conflicts(cluster: &Cluster) -> Vec<Conflict> {
    let mut conflicts = Vec::new();
    for (class, ingresses) in classes(cluster) {
        type Key = (Option<String>, String, PathType);
        let mut claims: BTreeMap<Key, Vec<Claim>> = BTreeMap::new();
        for ingress in &ingresses {
            for (site, host, path) in paths_of(&ingress.value) {
                let path_type = PathType::parse(&path.path_type);
                let written = path.path.clone().unwrap_or_default();
                let normalized = match path_type {
                    PathType::Prefix if written.len() > 1 => written.trim_end_matches('/').to_owned(),
                    _ if written.is_empty() => "/".to_owned(),
                    _ => written,
                };
                let host = host.filter(|h| !h.is_empty()).map(str::to_ascii_lowercase);
                claims.entry((host, normalized, path_type)).or_default().push(Claim {
                    ingress: IngressRef::of(&ingress.value),
                    site,
                    backend: backend_ref(&ingress.value, &path.backend),
                    location: ingress.origin.field_location(&path_field(site)),
                });
            }
        }
        for ((host, path, path_type), claims) in claims {
            let distinct: BTreeSet<&IngressRef> = claims.iter().map(|c| &c.ingress).collect();
            if distinct.len() > 1 {
                conflicts.push(Conflict { class: class.clone(), host, path, path_type, claims });
            }
        }
    }
    conflicts.sort();
    conflicts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingress::test_support::*;
    use crate::testing::cluster;

    #[test]
    fn conflicts_within_a_class() {
        let cluster = cluster(vec![
            hosted("a", "nginx", Some("shop.test"), vec![path("/api", "Prefix", "a")]),
            hosted(
                "b",
                "nginx",
                Some("shop.test"),
                vec![path("/api/", "Prefix", "b"), path("/api", "Exact", "b")],
            ),
            hosted("c", "traefik", Some("shop.test"), vec![path("/api", "Prefix", "c")]),
        ]);
        let conflicts = rule_conflicts(&cluster);
        let lines: Vec<String> = conflicts
            .iter()
            .map(|c| {
                let claims: Vec<String> = c.claims.iter().map(|claim| claim.ingress.id()).collect();
                format!("{:?} {:?} {:?} {} [{}]", c.class, c.host, c.path_type, c.path, claims.join(", "))
            })
            .collect();
        assert_eq!(lines, ["Some(\"nginx\") Some(\"shop.test\") Prefix /api [shop/a, shop/b]"]);
    }
}
