//! Rules about how requests are routed among Ingresses: the same host and
//! path claimed twice, and an `Exact` root path that catches only `/`.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::Ingress;

use crate::check::{declare_rule, Context, Emitter, Subject};
use crate::ingress::{
    ingress_class_of, route, rule_conflicts, BackendRef, BackendSite, IngressRef, PathType, RouteTarget,
};
use crate::model::{Cluster, Object};

declare_rule! {
    /// ## What it does
    /// Finds host and path pairs (with the same `pathType`) that several
    /// Ingresses of the same class route to different backends.
    ///
    /// ## Why does this break traffic?
    /// A controller merges the Ingresses of its class into one routing
    /// table, where a host and path can go to one backend only. Which
    /// Ingress wins is the controller's choice (ingress-nginx: the oldest
    /// Ingress); requests meant for the other backend never reach it, and a
    /// re-creation of an Ingress can silently switch the winner.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: shop
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - path: /api
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: api
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: shop-v2
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - path: /api
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: api-v2
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api-v2
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// Use instead (one Ingress per host and path):
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: shop
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - path: /api
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: api
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: shop-v2
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - path: /v2/api
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: api-v2
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: api-v2
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// ## Known problems
    /// Controllers with canary annotations (ingress-nginx
    /// `nginx.ingress.kubernetes.io/canary`) split such traffic on purpose:
    /// suppress the rule on the canary Ingress. Paths are compared as
    /// written, so `/api` and a regular expression that matches it are not
    /// seen as a conflict.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#multiple-matches>
    /// - <https://kubernetes.github.io/ingress-nginx/how-it-works/#building-the-nginx-model>
    pub struct IngressRuleConflict {
        code: "KR206",
        name: "ingress-rule-conflict",
        severity: Warning,
        summary: "host and path pairs that several Ingresses route to different backends",
        check: ingress_rule_conflict,
    }
}

fn ingress_rule_conflict(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    for conflict in rule_conflicts(cluster) {
        let Some(winner) = conflict.claims.first() else { continue };
        let backends: BTreeSet<&BackendRef> = conflict.claims.iter().map(|c| &c.backend).collect();
        if backends.len() < 2 {
            continue;
        }
        let host = conflict.host.as_deref().unwrap_or("any host");
        for claim in &conflict.claims[1..] {
            if claim.ingress == winner.ingress || claim.backend == winner.backend {
                continue;
            }
            let Some(ingress) = find_ingress(cluster, &claim.ingress) else { continue };
            let BackendSite::Path { rule, path } = claim.site else { continue };
            out.emit(
                &Subject::object("Ingress", &ingress.value.metadata, ingress),
                &format!("spec.rules[{rule}].http.paths[{path}]"),
                format!(
                    "`{host}` `{}` (`{:?}`) is also routed by Ingress `{}` to {}: the controller uses only one \
                     of them",
                    conflict.path,
                    conflict.path_type,
                    winner.ingress.id(),
                    backend_text(&winner.backend),
                ),
                "route each host and path from one Ingress only: merge the two, or change one's path or host"
                    .to_owned(),
            );
        }
    }
}

fn backend_text(backend: &BackendRef) -> String {
    match backend {
        BackendRef::Service { service, port: Some(port) } => format!("`{}:{port}`", service.name),
        BackendRef::Service { service, port: None } => format!("`{}`", service.name),
        BackendRef::Resource { kind, name, .. } => format!("{kind} `{name}`"),
        BackendRef::None => "no backend".to_owned(),
    }
}

fn find_ingress<'c>(cluster: &'c Cluster, reference: &IngressRef) -> Option<&'c Object<Ingress>> {
    cluster.ingresses().iter().find(|i| IngressRef::of(&i.value) == *reference)
}

declare_rule! {
    /// ## What it does
    /// Finds Ingress paths `path: /` with `pathType: Exact` when nothing
    /// else routes the host's other paths: no other path of the host in the
    /// Ingresses of the class, and no default backend.
    ///
    /// ## Why does this break traffic?
    /// `Exact` matches the request path exactly: `path: /` matches `/` and
    /// nothing else. Every other page and asset of the host (`/login`,
    /// `/assets/app.js`) matches no rule and gets the controller's default
    /// backend, a 404. It is almost always meant as `Prefix`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: admin
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: admin.example.com
    ///       http:
    ///         paths:
    ///           - path: /
    ///             pathType: Exact
    ///             backend:
    ///               service:
    ///                 name: admin
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: admin
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata:
    ///   name: admin
    ///   namespace: shop
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///     - host: admin.example.com
    ///       http:
    ///         paths:
    ///           - path: /
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: admin
    ///                 port:
    ///                   number: 80
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: admin
    ///   namespace: shop
    /// spec:
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// ## Known problems
    /// A host that deliberately serves only its root page (a redirect, a
    /// landing page) is reported: suppress the rule on that Ingress.
    ///
    /// ## References
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#path-types>
    /// - <https://kubernetes.io/docs/concepts/services-networking/ingress/#examples>
    pub struct IngressExactRootPath {
        code: "KR207",
        name: "ingress-exact-root-path",
        severity: Warning,
        summary: "`pathType: Exact` on `path: /` that leaves the rest of a host unrouted",
        check: ingress_exact_root_path,
    }
}

fn ingress_exact_root_path(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    let cluster = ctx.cluster;
    // Every path of every host, per class: (class, host) -> (type, path).
    type ClassHost = (Option<String>, Option<String>);
    let mut paths: BTreeMap<ClassHost, Vec<(PathType, String)>> = BTreeMap::new();
    let mut roots = Vec::new();
    for ingress in cluster.ingresses() {
        let class = ingress_class_of(cluster, &ingress.value).class;
        let rules = ingress.value.spec.iter().flat_map(|s| s.rules.iter().flatten()).enumerate();
        for (r, rule) in rules {
            let host = rule.host.clone().filter(|h| !h.is_empty()).map(|h| h.to_ascii_lowercase());
            for (p, path) in rule.http.iter().flat_map(|h| h.paths.iter()).enumerate() {
                let written = path.path.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "/".to_owned());
                let path_type = PathType::parse(&path.path_type);
                if path_type == PathType::Exact && written == "/" {
                    roots.push((ingress, class.clone(), host.clone(), r, p));
                }
                paths.entry((class.clone(), host.clone())).or_default().push((path_type, written));
            }
        }
    }
    for (ingress, class, host, r, p) in roots {
        let all = &paths[&(class.clone(), host.clone())];
        if all.iter().any(|(t, path)| *t != PathType::Exact || path != "/") {
            continue;
        }
        // Whatever else would answer another path of the host (rules without
        // host, wildcards, default backends): the routing layer decides.
        let request_host = match host.as_deref() {
            Some(h) => h.strip_prefix("*.").map_or_else(|| h.to_owned(), |rest| format!("www.{rest}")),
            None => "example.invalid".to_owned(),
        };
        let routed = route(cluster, &request_host, "/index.html")
            .into_iter()
            .filter(|r| r.class == class)
            .any(|r| !matches!(r.target, RouteTarget::ControllerDefault));
        if routed {
            continue;
        }
        let shown = host.as_deref().map_or_else(|| "the Ingress's hosts".to_owned(), |h| format!("`{h}`"));
        out.emit(
            &Subject::object("Ingress", &ingress.value.metadata, ingress),
            &format!("spec.rules[{r}].http.paths[{p}].pathType"),
            format!(
                "`pathType: Exact` with `path: /` matches only the request path `/`: every other path of {shown} \
                 gets the controller's 404"
            ),
            "use `pathType: Prefix` to route the whole host".to_owned(),
        );
    }
}
