//! Where a request goes among the Ingresses of one class (`ingress-rule`):
//! controllers merge the Ingresses of their class, so precedence (more
//! specific host, longest path, `Exact` before `Prefix`, then the older
//! Ingress) runs across all of them
//! (<https://kubernetes.io/docs/concepts/services-networking/ingress/#multiple-matches>),
//! then an Ingress's `defaultBackend`, then the controller's own 404.

use std::collections::BTreeSet;

use k8s_openapi::api::networking::v1::{HTTPIngressPath, Ingress};
use serde::Serialize;

use super::backend::backend_ref;
use super::class::{classes, find_class};
use super::controllers::controller_for;
use super::{
    host_matches, path_matches, BackendRef, BackendSite, ControllerKind, HostMatch, IngressRef, PathMatch,
    PathType,
};
use crate::ingress::behaviour::default_target;
use crate::model::{Cluster, Object};
use crate::origin::Location;

/// Where a request goes among the Ingresses of one class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassRoute {
    /// The class; `None` for Ingresses without one.
    pub class: Option<String>,
    /// The controller of the class, when known.
    pub controller: Option<ControllerKind>,
    /// The answer.
    pub target: RouteTarget,
    /// Every other rule path that matched, in precedence order, with why it lost.
    pub alternatives: Vec<Alternative>,
    /// Caveats about how the answer was reached, sorted.
    pub notes: Vec<RouteNote>,
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "target", rename_all = "kebab-case")]
pub enum RouteTarget {
    /// A rule path matched.
    Rule(Candidate),
    /// No rule path matched: the `defaultBackend` of an Ingress of the class.
    DefaultBackend {
        /// The Ingress.
        ingress: IngressRef,
        /// Its default backend.
        backend: BackendRef,
        /// Where it is written.
        location: Location,
    },
    /// Nothing matched: the controller's own default backend answers (a 404).
    ControllerDefault,
}

/// A rule path that matches a request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Candidate {
    /// The Ingress.
    pub ingress: IngressRef,
    /// Where the path is.
    pub site: BackendSite,
    /// The rule's host as written; `None` for a rule without host.
    pub host: Option<String>,
    /// How the host matched.
    pub host_match: HostMatch,
    /// The rule path as written (`/` when empty).
    pub path: String,
    /// Its `pathType`.
    pub path_type: PathType,
    /// How it was matched (tells how `ImplementationSpecific` was read).
    pub path_match: PathMatch,
    /// The backend.
    pub backend: BackendRef,
    /// Where the path is written.
    pub location: Location,
}

/// A rule path that matched but lost.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Alternative {
    /// The path.
    pub candidate: Candidate,
    /// Why it lost.
    pub reason: LossReason,
}

/// Why a matching rule path lost to the chosen one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum LossReason {
    /// The winner's host is more specific (exact, then wildcard, then none).
    LessSpecificHost,
    /// The winner's path is longer.
    ShorterPath,
    /// Same length; the winner is `Exact`.
    ExactPreferred,
    /// Same host, length and type: the older Ingress (`creationTimestamp`,
    /// then namespace and name), or the earlier rule and path, wins.
    Tie,
    /// The controller chose the more specific host `host` for this request
    /// and serves only that host's paths, none of which matched.
    ShadowedByHost {
        /// The host the controller chose.
        host: String,
    },
}

/// A caveat about a route.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "note", rename_all = "kebab-case")]
pub enum RouteNote {
    /// ingress-nginx reads this Ingress's paths as regular expressions
    /// (`use-regex` or `rewrite-target` annotations); they were matched as
    /// string prefixes.
    RegexPaths {
        /// The Ingress.
        ingress: IngressRef,
    },
    /// The `defaultBackend` of this Ingress is not a catch-all on this
    /// controller, because the Ingress has rules
    /// ([`crate::ingress::behaviour::DefaultBackendScope`]).
    DefaultBackendNotCatchAll {
        /// The Ingress.
        ingress: IngressRef,
    },
    /// Whether this Ingress's `defaultBackend` answers hosts and paths its
    /// rules do not match depends on the controller, which the model does not know.
    DefaultBackendDependsOnController {
        /// The Ingress.
        ingress: IngressRef,
    },
}

/// Where a request for `host` and `path` goes, for each class whose
/// controller receives it (a rule's host matches it, rules without host
/// included, or an Ingress of the class has a `defaultBackend`), sorted by
/// class. A query string in `path` is ignored.
pub fn route(cluster: &Cluster, host: &str, path: &str) -> Vec<ClassRoute> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = if path.is_empty() { "/" } else { path };
    classes(cluster)
        .into_iter()
        .filter_map(|(class, ingresses)| {
            let kind =
                controller_for(cluster, class.as_deref().map(|name| (name, find_class(cluster, name))))
                    .map(|info| info.kind);
            route_class(class, kind, &ingresses, host, path)
        })
        .collect()
}

/// The annotations ingress-nginx reads paths as regular expressions under.
const NGINX_REGEX_ANNOTATIONS: [&str; 2] =
    ["nginx.ingress.kubernetes.io/use-regex", "nginx.ingress.kubernetes.io/rewrite-target"];

/// Every rule path of `ingress` with its site and rule host.
pub(super) fn paths_of(
    ingress: &Ingress,
) -> impl Iterator<Item = (BackendSite, Option<&str>, &HTTPIngressPath)> {
    let rules = ingress.spec.iter().flat_map(|s| s.rules.iter().flatten()).enumerate();
    rules.flat_map(|(r, rule)| {
        let host = rule.host.as_deref();
        rule.http
            .iter()
            .flat_map(|h| h.paths.iter())
            .enumerate()
            .map(move |(p, path)| (BackendSite::Path { rule: r, path: p }, host, path))
    })
}

pub(super) fn path_field(site: BackendSite) -> String {
    match site {
        BackendSite::DefaultBackend => "spec.defaultBackend".to_owned(),
        BackendSite::Path { rule, path } => format!("spec.rules[{rule}].http.paths[{path}]"),
    }
}

/// The precedence key of a candidate: more specific host, longer path,
/// `Exact` first, then older Ingress and earlier position.
fn precedence(candidate: &Candidate, age: usize) -> impl Ord {
    let exact = candidate.path_type != PathType::Exact;
    (
        std::cmp::Reverse(candidate.host_match),
        std::cmp::Reverse(candidate.path.len()),
        exact,
        age,
        candidate.site,
    )
}

fn route_class(
    class: Option<String>,
    kind: Option<ControllerKind>,
    ingresses: &[&Object<Ingress>],
    host: &str,
    path: &str,
) -> Option<ClassRoute> {
    let (best_host, concerned) = best_rule_host(ingresses, host);
    let mut candidates: Vec<(Candidate, usize)> = Vec::new();
    let mut notes = BTreeSet::new();
    for (age, ingress) in ingresses.iter().enumerate() {
        let matched = matching_paths(ingress, kind, host, path);
        if !matched.is_empty() && kind == Some(ControllerKind::IngressNginx) && regex_paths(&ingress.value) {
            notes.insert(RouteNote::RegexPaths { ingress: IngressRef::of(&ingress.value) });
        }
        candidates.extend(matched.into_iter().map(|candidate| (candidate, age)));
    }
    candidates.sort_by_key(|(candidate, age)| precedence(candidate, *age));
    let falls_back = kind.is_none_or(ControllerKind::falls_back_to_less_specific_hosts);
    let chosen_tier = best_host.as_ref().map_or(HostMatch::Any, |(tier, _)| *tier);
    let (eligible, shadowed): (Vec<_>, Vec<_>) =
        candidates.into_iter().partition(|(c, _)| falls_back || c.host_match == chosen_tier);

    let mut alternatives = Vec::new();
    let mut eligible = eligible.into_iter().map(|(c, _)| c);
    let target = match eligible.next() {
        Some(winner) => {
            for candidate in eligible {
                let reason = loss_reason(&winner, &candidate);
                alternatives.push(Alternative { candidate, reason });
            }
            RouteTarget::Rule(winner)
        }
        None => {
            let server = best_host.as_ref().map(|(_, host)| host.as_str());
            let (target, note) = default_target(kind, ingresses, server, concerned)?;
            notes.extend(note);
            target
        }
    };
    let chosen_host = best_host.map(|(_, host)| host).unwrap_or_default();
    for (candidate, _) in shadowed {
        alternatives.push(Alternative {
            candidate,
            reason: LossReason::ShadowedByHost { host: chosen_host.clone() },
        });
    }
    Some(ClassRoute { class, controller: kind, target, alternatives, notes: notes.into_iter().collect() })
}

/// The most specific rule host (exact, then wildcard) that matches `host`
/// among `ingresses`, and whether any rule's host matches at all (rules
/// without host included): then the class's controller receives the request.
fn best_rule_host(ingresses: &[&Object<Ingress>], host: &str) -> (Option<(HostMatch, String)>, bool) {
    let mut best_host: Option<(HostMatch, String)> = None;
    let mut concerned = false;
    let rules = ingresses.iter().flat_map(|i| i.value.spec.iter().flat_map(|s| s.rules.iter().flatten()));
    for rule in rules {
        let Some(host_match) = host_matches(rule.host.as_deref(), host) else { continue };
        concerned = true;
        if host_match != HostMatch::Any && best_host.as_ref().is_none_or(|(best, _)| host_match > *best) {
            best_host = Some((host_match, rule.host.clone().unwrap_or_default()));
        }
    }
    (best_host, concerned)
}

/// The rule paths of `ingress` whose host and path match the request, as
/// `kind`'s controller reads their `pathType`, in the order written.
fn matching_paths(
    ingress: &Object<Ingress>,
    kind: Option<ControllerKind>,
    host: &str,
    path: &str,
) -> Vec<Candidate> {
    let value = &ingress.value;
    let mut candidates = Vec::new();
    for (site, rule_host, http_path) in paths_of(value) {
        let Some(host_match) = host_matches(rule_host, host) else { continue };
        let path_type = PathType::parse(&http_path.path_type);
        let how = PathMatch::of(path_type, kind);
        let written = http_path.path.clone().filter(|p| !p.is_empty()).unwrap_or_else(|| "/".to_owned());
        if !path_matches(how, &written, path) {
            continue;
        }
        candidates.push(Candidate {
            ingress: IngressRef::of(value),
            site,
            host: rule_host.filter(|h| !h.is_empty()).map(str::to_owned),
            host_match,
            path: written,
            path_type,
            path_match: how,
            backend: backend_ref(value, &http_path.backend),
            location: ingress.origin.field_location(&path_field(site)),
        });
    }
    candidates
}

fn loss_reason(winner: &Candidate, loser: &Candidate) -> LossReason {
    if loser.host_match < winner.host_match {
        LossReason::LessSpecificHost
    } else if loser.path.len() < winner.path.len() {
        LossReason::ShorterPath
    } else if winner.path_type == PathType::Exact && loser.path_type != PathType::Exact {
        LossReason::ExactPreferred
    } else {
        LossReason::Tie
    }
}

/// Whether ingress-nginx reads `ingress`'s paths as regular expressions
/// (<https://kubernetes.github.io/ingress-nginx/user-guide/ingress-path-matching/>).
pub fn regex_paths(ingress: &Ingress) -> bool {
    let Some(annotations) = &ingress.metadata.annotations else { return false };
    annotations.get(NGINX_REGEX_ANNOTATIONS[0]).is_some_and(|v| v == "true")
        || annotations.get(NGINX_REGEX_ANNOTATIONS[1]).is_some()
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::ingress::test_support::*;
    use crate::testing::cluster;

    /// Routes `request` through one Ingress of `paths` ((type, path) pairs)
    /// with a default backend, and gives the winner as `Type path`, or
    /// `default backend`.
    fn check_paths(paths: &[(&str, &str)], request: &str, expect: &str) {
        let paths: Vec<Value> = paths.iter().map(|(kind, p)| path(p, kind, "svc")).collect();
        let cluster = cluster(vec![ingress(
            "web",
            json!({"defaultBackend": backend("fallback", json!({"number": 80})), "rules": [{"http": {"paths": paths}}]}),
        )]);
        let routes = route(&cluster, "example.com", request);
        assert_eq!(routes.len(), 1);
        let actual = match &routes[0].target {
            RouteTarget::Rule(c) => format!("{:?} {}", c.path_type, c.path),
            RouteTarget::DefaultBackend { .. } => "default backend".to_owned(),
            RouteTarget::ControllerDefault => "controller default".to_owned(),
        };
        assert_eq!(actual, expect, "{paths:?} for {request}");
    }

    // Every row of the "Examples" table of
    // https://kubernetes.io/docs/concepts/services-networking/ingress/#examples
    #[test]
    fn path_matching_examples_table() {
        // Prefix | / | (all paths) | Yes
        for request in ["/", "/foo", "/aaa/bbb/ccc", "/x/"] {
            check_paths(&[("Prefix", "/")], request, "Prefix /");
        }
        // Exact | /foo | /foo | Yes
        check_paths(&[("Exact", "/foo")], "/foo", "Exact /foo");
        // Exact | /foo | /bar | No
        check_paths(&[("Exact", "/foo")], "/bar", "default backend");
        // Exact | /foo | /foo/ | No
        check_paths(&[("Exact", "/foo")], "/foo/", "default backend");
        // Exact | /foo/ | /foo | No
        check_paths(&[("Exact", "/foo/")], "/foo", "default backend");
        // Prefix | /foo | /foo, /foo/ | Yes
        check_paths(&[("Prefix", "/foo")], "/foo", "Prefix /foo");
        check_paths(&[("Prefix", "/foo")], "/foo/", "Prefix /foo");
        // Prefix | /foo/ | /foo, /foo/ | Yes
        check_paths(&[("Prefix", "/foo/")], "/foo", "Prefix /foo/");
        check_paths(&[("Prefix", "/foo/")], "/foo/", "Prefix /foo/");
        // Prefix | /aaa/bb | /aaa/bbb | No
        check_paths(&[("Prefix", "/aaa/bb")], "/aaa/bbb", "default backend");
        // Prefix | /aaa/bbb | /aaa/bbb | Yes
        check_paths(&[("Prefix", "/aaa/bbb")], "/aaa/bbb", "Prefix /aaa/bbb");
        // Prefix | /aaa/bbb/ | /aaa/bbb | Yes, ignores trailing slash
        check_paths(&[("Prefix", "/aaa/bbb/")], "/aaa/bbb", "Prefix /aaa/bbb/");
        // Prefix | /aaa/bbb | /aaa/bbb/ | Yes, matches trailing slash
        check_paths(&[("Prefix", "/aaa/bbb")], "/aaa/bbb/", "Prefix /aaa/bbb");
        // Prefix | /aaa/bbb | /aaa/bbb/ccc | Yes, matches subpath
        check_paths(&[("Prefix", "/aaa/bbb")], "/aaa/bbb/ccc", "Prefix /aaa/bbb");
        // Prefix | /aaa/bbb | /aaa/bbbxyz | No, does not match string prefix
        check_paths(&[("Prefix", "/aaa/bbb")], "/aaa/bbbxyz", "default backend");
        // Prefix | /, /aaa | /aaa/ccc | Yes, matches /aaa prefix
        check_paths(&[("Prefix", "/"), ("Prefix", "/aaa")], "/aaa/ccc", "Prefix /aaa");
        // Prefix | /, /aaa, /aaa/bbb | /aaa/bbb | Yes, matches /aaa/bbb prefix
        check_paths(
            &[("Prefix", "/"), ("Prefix", "/aaa"), ("Prefix", "/aaa/bbb")],
            "/aaa/bbb",
            "Prefix /aaa/bbb",
        );
        // Prefix | /, /aaa, /aaa/bbb | /ccc | Yes, matches / prefix
        check_paths(&[("Prefix", "/"), ("Prefix", "/aaa"), ("Prefix", "/aaa/bbb")], "/ccc", "Prefix /");
        // Prefix | /aaa | /ccc | No, uses default backend
        check_paths(&[("Prefix", "/aaa")], "/ccc", "default backend");
        // Mixed | /foo (Prefix), /foo (Exact) | /foo | Yes, prefers Exact
        check_paths(&[("Prefix", "/foo"), ("Exact", "/foo")], "/foo", "Exact /foo");
        check_paths(&[("Exact", "/foo"), ("Prefix", "/foo")], "/foo", "Exact /foo");
    }

    // ImplementationSpecific is read per controller: ingress-nginx as a
    // string prefix, others as Prefix; the result says which
    // (https://kubernetes.github.io/ingress-nginx/user-guide/ingress-path-matching/).
    #[test]
    fn implementation_specific_per_controller() {
        let objects = |class: &str, controller: &str| {
            vec![
                ingress(
                    "web",
                    json!({"ingressClassName": class,
                           "rules": [{"http": {"paths": [path("/api", "ImplementationSpecific", "api")]}}]}),
                ),
                ingress_class(class, controller, false),
            ]
        };
        let nginx = cluster(objects("nginx", "k8s.io/ingress-nginx"));
        let routes = route(&nginx, "example.com", "/apiv1");
        let RouteTarget::Rule(candidate) = &routes[0].target else { panic!("{routes:?}") };
        assert_eq!(
            (candidate.path_type, candidate.path_match),
            (PathType::ImplementationSpecific, PathMatch::StringPrefix)
        );
        let traefik = cluster(objects("traefik", "traefik.io/ingress-controller"));
        assert_eq!(route(&traefik, "example.com", "/apiv1")[0].target, RouteTarget::ControllerDefault);
        let routes = route(&traefik, "example.com", "/api/v1");
        let RouteTarget::Rule(candidate) = &routes[0].target else { panic!("{routes:?}") };
        assert_eq!(candidate.path_match, PathMatch::Prefix);
        assert_eq!(PathType::parse(""), PathType::ImplementationSpecific);
    }

    /// Routes host and path across `objects`; one line per class route:
    /// the target, then each alternative with its reason.
    fn check_route(objects: Vec<Value>, host: &str, request: &str, expect: &str) {
        let cluster = cluster(objects);
        let routes = route(&cluster, host, request);
        let describe = |c: &Candidate| {
            let host = c.host.as_deref().unwrap_or("*");
            format!("{} {host} {:?} {}", c.ingress.id(), c.path_type, c.path)
        };
        let mut lines = Vec::new();
        for route in &routes {
            let target = match &route.target {
                RouteTarget::Rule(c) => {
                    let backend = match &c.backend {
                        BackendRef::Service { service, port } => format!(
                            "{}:{}",
                            service.name,
                            port.as_ref().map(|p| p.to_string()).unwrap_or_default()
                        ),
                        other => format!("{other:?}"),
                    };
                    format!("{} -> {backend}", describe(c))
                }
                RouteTarget::DefaultBackend { ingress, .. } => format!("default backend of {}", ingress.id()),
                RouteTarget::ControllerDefault => "controller default".to_owned(),
            };
            lines.push(format!("class {:?}: {target}", route.class));
            for alternative in &route.alternatives {
                lines.push(format!("  lost {} {:?}", describe(&alternative.candidate), alternative.reason));
            }
            for note in &route.notes {
                lines.push(format!("  note {note:?}"));
            }
        }
        assert_eq!(lines.join("\n"), expect.trim(), "\n{routes:#?}");
    }

    // Precedence runs across all Ingresses of a class: longest path first
    // (https://kubernetes.io/docs/concepts/services-networking/ingress/#multiple-matches).
    #[test]
    fn longest_path_across_ingresses() {
        check_route(
            vec![
                ingress_class("nginx", "k8s.io/ingress-nginx", false),
                hosted("site", "nginx", Some("shop.example.com"), vec![path("/", "Prefix", "frontend")]),
                hosted(
                    "api",
                    "nginx",
                    Some("shop.example.com"),
                    vec![path("/api", "Prefix", "api"), path("/api/v1/users", "Exact", "users")],
                ),
            ],
            "shop.example.com",
            "/api/v1/orders?x=1",
            "
class Some(\"nginx\"): shop/api shop.example.com Prefix /api -> api:80
  lost shop/site shop.example.com Prefix / ShorterPath",
        );
    }

    // Exact host before wildcard before no host; a server-based controller
    // (ingress-nginx) never falls back to a less specific host's paths, a
    // route-based one (Traefik) does.
    #[test]
    fn host_precedence_and_fallback() {
        let objects = |class: &str, controller: &str| {
            vec![
                ingress_class(class, controller, false),
                hosted("exact", class, Some("api.example.com"), vec![path("/v1", "Prefix", "exact")]),
                hosted(
                    "wild",
                    class,
                    Some("*.example.com"),
                    vec![path("/v1", "Prefix", "wild"), path("/v2", "Prefix", "wild")],
                ),
                hosted("any", class, None, vec![path("/v3", "Prefix", "any")]),
            ]
        };
        check_route(
            objects("nginx", "k8s.io/ingress-nginx"),
            "api.example.com",
            "/v1/x",
            "
class Some(\"nginx\"): shop/exact api.example.com Prefix /v1 -> exact:80
  lost shop/wild *.example.com Prefix /v1 ShadowedByHost { host: \"api.example.com\" }",
        );
        check_route(
            objects("nginx", "k8s.io/ingress-nginx"),
            "api.example.com",
            "/v3",
            "
class Some(\"nginx\"): controller default
  lost shop/any * Prefix /v3 ShadowedByHost { host: \"api.example.com\" }",
        );
        check_route(
            objects("nginx", "k8s.io/ingress-nginx"),
            "www.example.com",
            "/v2",
            "class Some(\"nginx\"): shop/wild *.example.com Prefix /v2 -> wild:80",
        );
        check_route(
            objects("traefik", "traefik.io/ingress-controller"),
            "api.example.com",
            "/v1",
            "
class Some(\"traefik\"): shop/exact api.example.com Prefix /v1 -> exact:80
  lost shop/wild *.example.com Prefix /v1 LessSpecificHost",
        );
        check_route(
            objects("traefik", "traefik.io/ingress-controller"),
            "api.example.com",
            "/v3",
            "class Some(\"traefik\"): shop/any * Prefix /v3 -> any:80",
        );
        // A host no rule names reaches only the rules without host.
        check_route(
            objects("nginx", "k8s.io/ingress-nginx"),
            "other.test",
            "/v3",
            "class Some(\"nginx\"): shop/any * Prefix /v3 -> any:80",
        );
    }

    // Classes are separate controllers; a class none of whose rules or
    // default backends concern the request is left out. The same host and
    // path in two Ingresses of a class: the older one wins.
    #[test]
    fn classes_and_ties() {
        let mut old = hosted("old", "nginx", Some("a.test"), vec![path("/", "Prefix", "old")]);
        old["metadata"]["creationTimestamp"] = json!("2023-01-01T00:00:00Z");
        let mut new = hosted("new", "nginx", Some("a.test"), vec![path("/", "Prefix", "new")]);
        new["metadata"]["creationTimestamp"] = json!("2024-01-01T00:00:00Z");
        check_route(
            vec![
                ingress_class("nginx", "k8s.io/ingress-nginx", false),
                ingress_class("traefik", "traefik.io/ingress-controller", false),
                new,
                old,
                hosted("elsewhere", "traefik", Some("b.test"), vec![path("/", "Prefix", "b")]),
                ingress(
                    "fallback",
                    json!({"ingressClassName": "traefik", "defaultBackend": backend("catch", json!({"number": 80}))}),
                ),
            ],
            "a.test",
            "/",
            "
class Some(\"nginx\"): shop/old a.test Prefix / -> old:80
  lost shop/new a.test Prefix / Tie
class Some(\"traefik\"): default backend of shop/fallback",
        );
        assert!(route(&cluster(vec![hosted("x", "nginx", Some("b.test"), vec![])]), "a.test", "/").is_empty());
    }

    #[test]
    fn regex_annotations_are_noted_for_ingress_nginx() {
        let mut web = hosted("web", "nginx", None, vec![path("/api", "ImplementationSpecific", "api")]);
        web["metadata"]["annotations"] = json!({"nginx.ingress.kubernetes.io/use-regex": "true"});
        check_route(
            vec![ingress_class("nginx", "k8s.io/ingress-nginx", false), web],
            "a.test",
            "/api/x",
            "
class Some(\"nginx\"): shop/web * ImplementationSpecific /api -> api:80
  note RegexPaths { ingress: IngressRef { namespace: \"shop\", name: \"web\" } }",
        );
    }
}
