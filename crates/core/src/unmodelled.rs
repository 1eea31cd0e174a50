//! Routing objects of other projects that kubereach does not model, read
//! only for the hosts they claim, so that a trace never answers as if they
//! were absent: Istio `VirtualService` and `Gateway`
//! (`networking.istio.io`), Contour `HTTPProxy` (`projectcontour.io`),
//! Traefik `IngressRoute` (`traefik.io`, formerly `traefik.containo.us`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;

pub use crate::model::unmodelled_route::UnmodelledRoute;

#[derive(Deserialize)]
struct Object<S> {
    #[serde(default)]
    metadata: ObjectMeta,
    #[serde(default)]
    spec: Option<S>,
}

#[derive(Deserialize, Default)]
struct VirtualServiceSpec {
    #[serde(default)]
    hosts: Vec<String>,
}

#[derive(Deserialize, Default)]
struct IstioGatewaySpec {
    #[serde(default)]
    servers: Vec<IstioServer>,
}

#[derive(Deserialize, Default)]
struct IstioServer {
    /// `namespace/host` or `host`.
    #[serde(default)]
    hosts: Vec<String>,
}

#[derive(Deserialize, Default)]
struct HttpProxySpec {
    #[serde(default)]
    virtualhost: Option<VirtualHost>,
}

#[derive(Deserialize, Default)]
struct VirtualHost {
    #[serde(default)]
    fqdn: String,
}

#[derive(Deserialize, Default)]
struct IngressRouteSpec {
    #[serde(default)]
    routes: Vec<TraefikRoute>,
}

#[derive(Deserialize, Default)]
struct TraefikRoute {
    /// A rule such as ``Host(`a.example.com`) && PathPrefix(`/api`)``.
    #[serde(rename = "match", default)]
    match_: String,
}

/// The kinds [`read`] knows, as [`UnmodelledRoute::kind`] names them.
pub const KINDS: [&str; 4] =
    ["Istio VirtualService", "Istio Gateway", "Contour HTTPProxy", "Traefik IngressRoute"];

/// The [`UnmodelledRoute::kind`] named `name`, if [`read`] gives it (a
/// kind read back from a stored form).
pub fn kind_named(name: &str) -> Option<&'static str> {
    KINDS.iter().copied().find(|kind| *kind == name)
}

/// The hosts claimed by `value`, a `kind` of API `group`, if it is one of
/// the routing kinds above; `None` for other kinds or unreadable objects.
pub fn read(kind: &str, group: &str, value: serde_json::Value) -> Option<UnmodelledRoute> {
    let (kind, meta, hosts): (&'static str, ObjectMeta, Vec<String>) = match (kind, group) {
        ("VirtualService", "networking.istio.io") => {
            let o: Object<VirtualServiceSpec> = serde_json::from_value(value).ok()?;
            (KINDS[0], o.metadata, o.spec.unwrap_or_default().hosts)
        }
        ("Gateway", "networking.istio.io") => {
            let o: Object<IstioGatewaySpec> = serde_json::from_value(value).ok()?;
            let hosts = o.spec.unwrap_or_default().servers.into_iter().flat_map(|s| s.hosts);
            let hosts = hosts.map(|h| h.rsplit_once('/').map_or(h.clone(), |(_, host)| host.to_owned()));
            (KINDS[1], o.metadata, hosts.collect())
        }
        ("HTTPProxy", "projectcontour.io") => {
            let o: Object<HttpProxySpec> = serde_json::from_value(value).ok()?;
            let fqdn = o.spec.and_then(|s| s.virtualhost).map(|v| v.fqdn).filter(|f| !f.is_empty());
            (KINDS[2], o.metadata, fqdn.into_iter().collect())
        }
        ("IngressRoute", "traefik.io" | "traefik.containo.us") => {
            let o: Object<IngressRouteSpec> = serde_json::from_value(value).ok()?;
            let hosts =
                o.spec.unwrap_or_default().routes.iter().flat_map(|r| traefik_hosts(&r.match_)).collect();
            (KINDS[3], o.metadata, hosts)
        }
        _ => return None,
    };
    Some(UnmodelledRoute {
        kind,
        namespace: meta.namespace.unwrap_or_else(|| "default".to_owned()),
        name: meta.name.unwrap_or_default(),
        hosts,
    })
}

/// The hosts of ``Host(`a`, `b`)`` in a Traefik rule.
fn traefik_hosts(rule: &str) -> Vec<String> {
    let mut hosts = Vec::new();
    for part in rule.split("Host(").skip(1) {
        let arguments = part.split(')').next().unwrap_or_default();
        hosts.extend(
            arguments.split(',').map(|h| h.trim().trim_matches('`').to_owned()).filter(|h| !h.is_empty()),
        );
    }
    hosts
}

impl UnmodelledRoute {
    /// The plain `kind` (`Istio VirtualService` → `VirtualService`).
    pub fn plain_kind(&self) -> &'static str {
        self.kind.rsplit_once(' ').map_or(self.kind, |(_, kind)| kind)
    }

    /// Whether it claims `host` (`*` claims every host).
    pub fn claims(&self, host: &str) -> bool {
        self.hosts.iter().any(|pattern| {
            pattern == "*" || crate::gateway::listener::hostname_matches(Some(pattern), host).is_some()
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn hosts_of_each_kind() {
        let vs = json!({"metadata": {"name": "old", "namespace": "legacy"}, "spec": {"hosts": ["old.example.com"]}});
        let route = read("VirtualService", "networking.istio.io", vs).unwrap();
        assert_eq!(
            (route.kind, route.hosts.clone()),
            ("Istio VirtualService", vec!["old.example.com".to_owned()])
        );
        assert!(route.claims("OLD.example.com") && !route.claims("new.example.com"));
        let gw = json!({"metadata": {"name": "g"}, "spec": {"servers": [{"hosts": ["web/*.example.com", "a.org"]}]}});
        assert_eq!(read("Gateway", "networking.istio.io", gw).unwrap().hosts, ["*.example.com", "a.org"]);
        let proxy = json!({"metadata": {"name": "p"}, "spec": {"virtualhost": {"fqdn": "p.example.com"}}});
        assert_eq!(read("HTTPProxy", "projectcontour.io", proxy).unwrap().hosts, ["p.example.com"]);
        let ir = json!({"metadata": {"name": "t"}, "spec": {"routes": [{"match": "Host(`t.example.com`, `u.example.com`) && PathPrefix(`/`)"}]}});
        assert_eq!(read("IngressRoute", "traefik.io", ir).unwrap().hosts, ["t.example.com", "u.example.com"]);
        assert!(read("Gateway", "gateway.networking.k8s.io", json!({})).is_none());
    }
}
