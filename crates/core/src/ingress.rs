//! The Ingress layers: which controller owns an Ingress (`ingress-class`),
//! and where a request for a host and path goes among the Ingresses of that
//! controller (`ingress-rule`), with the backend Service port and TLS checks.
//!
//! <https://kubernetes.io/docs/concepts/services-networking/ingress/>:
//!
//! - An Ingress names its class with `spec.ingressClassName`, the name of an
//!   IngressClass whose `spec.controller` says which controller implements
//!   it. Before Kubernetes 1.18 the `kubernetes.io/ingress.class` annotation
//!   did that; it is deprecated but still honoured by controllers. The API
//!   server rejects a new Ingress whose annotation and field differ
//!   (`ValidateIngressCreate`: "must match `ingressClassName` when both are
//!   specified"); controllers read the annotation first.
//! - An IngressClass annotated `ingressclass.kubernetes.io/is-default-class:
//!   "true"` is the default: the `DefaultIngressClass` admission plugin sets
//!   it on new Ingresses that name no class. With several defaults it picks
//!   the newest (kubernetes/kubernetes#110974, Kubernetes ≥ 1.25; before that
//!   it rejected such Ingresses).
//! - Hosts: a precise host matches the `Host` header exactly; `*.foo.com`
//!   matches exactly one more DNS label (`bar.foo.com`, not `baz.bar.foo.com`
//!   nor `foo.com`); a rule without host matches every request.
//! - Paths: `Exact` matches the path exactly, case-sensitively; `Prefix`
//!   matches element-wise on `/`-separated elements, ignoring a trailing
//!   slash (`/foo/bar` matches `/foo/bar/baz`, not `/foo/barbaz`);
//!   `ImplementationSpecific` is up to the controller: ingress-nginx writes
//!   it as an nginx prefix `location`, a plain string prefix
//!   (<https://kubernetes.github.io/ingress-nginx/user-guide/ingress-path-matching/>);
//!   the others are modelled as `Prefix`, and results say which was used.
//! - "In some cases, multiple paths within an Ingress will match a request.
//!   In those cases precedence will be given first to the longest matching
//!   path. If two paths are still equally matched, precedence will be given
//!   to paths with an exact path type over prefix path type." Controllers
//!   merge the Ingresses of their class, so precedence runs across all of
//!   them; host rules come before rules without host, then the
//!   `defaultBackend` of an Ingress of the class, then the controller's own
//!   default (a 404). Server-based controllers (ingress-nginx, NGINX Inc,
//!   Contour, Istio, GCE, Azure Application Gateway) choose the host first
//!   and never fall back to a less specific host's paths; route-based ones
//!   (Traefik, Kong, the AWS Load Balancer Controller, and unknown ones) do.
//! - A backend is a Service port, by number or name — not a container port.
//! - TLS: `spec.tls[].secretName` is a Secret of type `kubernetes.io/tls` in
//!   the Ingress's namespace, for the hosts in `spec.tls[].hosts`.
//!   cert-manager's `cert-manager.io/cluster-issuer` and
//!   `cert-manager.io/issuer` annotations ask it to create that Secret
//!   (<https://cert-manager.io/docs/usage/ingress/>).
//!
//! One file per idea: `class` (which class an Ingress has),
//! `controllers` (which controller implements it and its pods),
//! `matching` (host and path matching), `routing` (precedence across the
//! Ingresses of a class), `conflicts`, `backend` (backend Service ports),
//! `tls`, and `controller_backends` (every backend's container ports, for
//! `matrix`). Everything public is re-exported here.

mod backend;
pub mod behaviour;
mod class;
mod conflicts;
mod controller_backends;
mod controllers;
mod matching;
mod routing;
#[cfg(test)]
mod test_support;
mod tls;

use k8s_openapi::api::networking::v1::Ingress;
use serde::Serialize;

pub(crate) use backend::backend_ref;
pub use backend::{check_backend, check_backends, BackendCheck, BackendRef, BackendSite, BackendStatus};
pub use class::{
    ingress_class_of, ClassProblem, ClassResolution, ClassSource, DEFAULT_CLASS_ANNOTATION,
    INGRESS_CLASS_ANNOTATION,
};
pub use conflicts::{rule_conflicts, Claim, Conflict};
pub use controller_backends::{controller_backends, ControllerBackend};
pub use controllers::{environment_variables_read, ControllerInfo, ControllerKind};
pub use matching::{host_matches, path_matches, HostMatch, PathMatch, PathType};
pub use routing::{
    regex_paths, route, Alternative, Candidate, ClassRoute, LossReason, RouteNote, RouteTarget,
};
pub use tls::{
    check_tls, CertIssuer, TlsCheck, TlsStatus, CLUSTER_ISSUER_ANNOTATION, ISSUER_ANNOTATION,
    TLS_ACME_ANNOTATION, TLS_SECRET_TYPE,
};

/// An Ingress by namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct IngressRef {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl IngressRef {
    /// The identifier of `ingress` (`default` when the namespace is unset).
    pub fn of(ingress: &Ingress) -> IngressRef {
        IngressRef {
            namespace: ingress.metadata.namespace.clone().unwrap_or_else(|| "default".to_owned()),
            name: ingress.metadata.name.clone().unwrap_or_default(),
        }
    }

    /// `namespace/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::cluster;

    use crate::ingress::test_support::*;
    #[test]
    fn serialized_shapes() {
        let site = serde_json::to_value(BackendSite::Path { rule: 1, path: 2 }).unwrap();
        assert_eq!(site, json!({"site": "path", "rule": 1, "path": 2}));
        assert_eq!(
            BackendSite::Path { rule: 1, path: 2 }.field_path(),
            "spec.rules[1].http.paths[2].backend"
        );
        let problem = serde_json::to_value(ClassProblem::ClassNotFound { name: "x".to_owned() }).unwrap();
        assert_eq!(problem, json!({"problem": "class-not-found", "name": "x"}));
        // Every result type serializes (internally tagged enums fail only at run time).
        let cluster = cluster(vec![
            ingress_class("nginx", "k8s.io/ingress-nginx", true),
            hosted(
                "web",
                "nginx",
                Some("a.test"),
                vec![path("/", "Prefix", "api"), path("/", "Exact", "api")],
            ),
            hosted("copy", "nginx", Some("a.test"), vec![path("/", "Prefix", "api")]),
            api_service(json!([{"port": 80}])),
        ]);
        let web = &cluster.ingresses()[1];
        let route = serde_json::to_value(route(&cluster, "a.test", "/")).unwrap();
        assert_eq!(route[0]["target"]["target"], json!("rule"));
        assert_eq!(route[0]["target"]["backend"]["type"], json!("service"));
        assert_eq!(route[0]["alternatives"][0]["reason"], json!({"reason": "exact-preferred"}));
        serde_json::to_value(ingress_class_of(&cluster, &web.value)).unwrap();
        serde_json::to_value(check_backends(&cluster, web)).unwrap();
        serde_json::to_value(check_tls(&cluster, web, "a.test")).unwrap();
        assert_eq!(serde_json::to_value(rule_conflicts(&cluster)).unwrap().as_array().map(Vec::len), Some(1));
    }
}
