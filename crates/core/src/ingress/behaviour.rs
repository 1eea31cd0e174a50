//! What the Ingress API leaves to the controller, per controller: where a
//! `defaultBackend` applies, whether plain HTTP to a host with TLS is
//! redirected, and what HTTPS to a host without a certificate gets. Each
//! entry of the table names its source; a controller (or a behaviour) the
//! table does not know is `Unknown`, and answers say it depends on the
//! controller.
//!
//! - ingress-nginx: an Ingress "with a backend but no rule" configures the
//!   catch-all server; an Ingress with rules and a `defaultBackend` uses it
//!   "as default upstream for all its rules", that is for the unmatched
//!   paths of the hosts whose server it creates (the oldest Ingress naming
//!   a host creates it); any other host gets the controller's default
//!   backend, a 404 (`createServers` in
//!   `internal/ingress/controller/controller.go`;
//!   <https://kubernetes.github.io/ingress-nginx/user-guide/default-backend/>).
//!   "By default the controller redirects (308) to HTTPS if TLS is enabled
//!   for that ingress"; `nginx.ingress.kubernetes.io/ssl-redirect: "false"`
//!   turns it off, `nginx.ingress.kubernetes.io/force-ssl-redirect: "true"`
//!   forces it without TLS
//!   (<https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#server-side-https-enforcement-through-redirect>).
//!   A host without a usable certificate is served with the controller's
//!   default, self-signed certificate ("Kubernetes Ingress Controller Fake
//!   Certificate",
//!   <https://kubernetes.github.io/ingress-nginx/user-guide/tls/#default-ssl-certificate>).
//! - Traefik: only an Ingress without rules makes its `defaultBackend` a
//!   catch-all router (`PathPrefix(/)`, lowest priority; a second one is
//!   dropped with "The default backend already exists."); the
//!   `defaultBackend` of an Ingress with rules is not used (`loadConfigurationFromIngresses`
//!   in `pkg/provider/kubernetes/ingress/kubernetes.go`;
//!   <https://doc.traefik.io/traefik/providers/kubernetes-ingress/>).
//! - Contour serves plain HTTP for a host with TLS unless the Ingress sets
//!   `ingress.kubernetes.io/force-ssl-redirect: "true"`
//!   (<https://projectcontour.io/docs/main/config/annotations/>).
//! - HAProxy Technologies' controller redirects HTTP to HTTPS when the
//!   Ingress has a TLS secret (`haproxy.org/ssl-redirect`, status
//!   `ssl-redirect-code`, 302 by default;
//!   <https://www.haproxy.com/documentation/kubernetes-ingress/community/configuration-reference/ingress/>).
//! - F5 NGINX Ingress Controller redirects (301) when TLS is configured
//!   (`ssl-redirect`, default true; annotation
//!   `ingress.kubernetes.io/ssl-redirect`;
//!   <https://docs.nginx.com/nginx-ingress-controller/configuration/ingress-resources/advanced-configuration-with-annotations/>).

use k8s_openapi::api::networking::v1::Ingress;
use serde::Serialize;

use crate::ingress::{backend_ref, BackendRef, ControllerKind, IngressRef, RouteNote, RouteTarget};
use crate::model::Object;

/// ingress-nginx's per-Ingress switch of the HTTPS redirect.
pub const NGINX_SSL_REDIRECT: &str = "nginx.ingress.kubernetes.io/ssl-redirect";
/// ingress-nginx's switch that redirects even without TLS on the Ingress.
pub const NGINX_FORCE_SSL_REDIRECT: &str = "nginx.ingress.kubernetes.io/force-ssl-redirect";
/// Contour's (and the old ingress-nginx) switch that redirects HTTP to HTTPS.
pub const FORCE_SSL_REDIRECT: &str = "ingress.kubernetes.io/force-ssl-redirect";
/// HAProxy Technologies' controller's switch of the HTTPS redirect.
pub const HAPROXY_SSL_REDIRECT: &str = "haproxy.org/ssl-redirect";
/// F5 NGINX Ingress Controller's switch of the HTTPS redirect.
pub const NGINX_INC_SSL_REDIRECT: &str = "ingress.kubernetes.io/ssl-redirect";

/// Where an Ingress's `spec.defaultBackend` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DefaultBackendScope {
    /// A catch-all only from an Ingress without rules; an Ingress with rules
    /// uses it for the unmatched paths of the hosts it serves first
    /// (ingress-nginx).
    RulelessCatchAllAndOwnHosts,
    /// A catch-all only from an Ingress without rules; otherwise unused (Traefik).
    RulelessCatchAll,
    /// Not known for this controller: read as a catch-all of the class.
    Unknown,
}

/// What plain HTTP to a host the Ingress serves with TLS gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "answer", rename_all = "kebab-case")]
pub enum PlainHttp {
    /// A redirect to HTTPS with this status code.
    Redirect {
        /// The HTTP status.
        code: u16,
    },
    /// Served over HTTP.
    Served,
    /// Not known for this controller.
    Unknown,
}

/// What HTTPS to a host without a usable certificate on its Ingress gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HttpsWithoutCertificate {
    /// Served, with the controller's default (self-signed) certificate:
    /// clients that verify certificates fail.
    DefaultCertificate,
    /// Not known for this controller.
    Unknown,
}

/// The row of the table for one controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ControllerBehaviour {
    /// Where `defaultBackend` applies.
    pub default_backend: DefaultBackendScope,
    /// Plain HTTP to a host with TLS, without annotations.
    pub plain_http_on_tls_host: PlainHttp,
    /// HTTPS to a host without a usable certificate.
    pub https_without_certificate: HttpsWithoutCertificate,
    /// The documentation (or source) the row follows.
    pub source: &'static str,
}

/// The table: what `kind` (`None`: an unknown controller) does.
pub fn behaviour(kind: Option<ControllerKind>) -> ControllerBehaviour {
    match kind {
        Some(ControllerKind::IngressNginx) => ControllerBehaviour {
            default_backend: DefaultBackendScope::RulelessCatchAllAndOwnHosts,
            plain_http_on_tls_host: PlainHttp::Redirect { code: 308 },
            https_without_certificate: HttpsWithoutCertificate::DefaultCertificate,
            source: "https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/",
        },
        Some(ControllerKind::Traefik) => ControllerBehaviour {
            default_backend: DefaultBackendScope::RulelessCatchAll,
            plain_http_on_tls_host: PlainHttp::Unknown,
            https_without_certificate: HttpsWithoutCertificate::Unknown,
            source: "https://doc.traefik.io/traefik/providers/kubernetes-ingress/",
        },
        Some(ControllerKind::Haproxy) => ControllerBehaviour {
            default_backend: DefaultBackendScope::Unknown,
            plain_http_on_tls_host: PlainHttp::Redirect { code: 302 },
            https_without_certificate: HttpsWithoutCertificate::Unknown,
            source: "https://www.haproxy.com/documentation/kubernetes-ingress/community/configuration-reference/ingress/",
        },
        Some(ControllerKind::NginxInc) => ControllerBehaviour {
            default_backend: DefaultBackendScope::Unknown,
            plain_http_on_tls_host: PlainHttp::Redirect { code: 301 },
            https_without_certificate: HttpsWithoutCertificate::Unknown,
            source: "https://docs.nginx.com/nginx-ingress-controller/configuration/ingress-resources/advanced-configuration-with-annotations/",
        },
        Some(ControllerKind::Contour) => ControllerBehaviour {
            default_backend: DefaultBackendScope::Unknown,
            plain_http_on_tls_host: PlainHttp::Served,
            https_without_certificate: HttpsWithoutCertificate::Unknown,
            source: "https://projectcontour.io/docs/main/config/annotations/",
        },
        _ => ControllerBehaviour {
            default_backend: DefaultBackendScope::Unknown,
            plain_http_on_tls_host: PlainHttp::Unknown,
            https_without_certificate: HttpsWithoutCertificate::Unknown,
            source: "",
        },
    }
}

/// The annotation that turns `kind`'s HTTPS redirect off (set to `"false"`).
pub fn ssl_redirect_annotation(kind: Option<ControllerKind>) -> Option<&'static str> {
    match kind? {
        ControllerKind::IngressNginx => Some(NGINX_SSL_REDIRECT),
        ControllerKind::Haproxy => Some(HAPROXY_SSL_REDIRECT),
        ControllerKind::NginxInc => Some(NGINX_INC_SSL_REDIRECT),
        _ => None,
    }
}

/// What plain HTTP to a host of `ingress` gets from `kind`, given whether a
/// `spec.tls` entry of the Ingress covers the host: the table's answer,
/// changed by the controller's annotations on the Ingress.
pub fn plain_http(kind: Option<ControllerKind>, ingress: &Ingress, tls_covers_host: bool) -> PlainHttp {
    let annotation = |name: &str| {
        ingress.metadata.annotations.as_ref().and_then(|a| a.get(name)).map(|v| v.trim().to_ascii_lowercase())
    };
    match kind {
        Some(ControllerKind::IngressNginx) => {
            if annotation(NGINX_FORCE_SSL_REDIRECT).as_deref() == Some("true") {
                return PlainHttp::Redirect { code: 308 };
            }
            if !tls_covers_host || annotation(NGINX_SSL_REDIRECT).as_deref() == Some("false") {
                return PlainHttp::Served;
            }
            PlainHttp::Redirect { code: 308 }
        }
        Some(ControllerKind::Contour) if annotation(FORCE_SSL_REDIRECT).as_deref() == Some("true") => {
            PlainHttp::Redirect { code: 301 }
        }
        Some(ControllerKind::Haproxy) if annotation(HAPROXY_SSL_REDIRECT).as_deref() == Some("false") => {
            PlainHttp::Served
        }
        Some(ControllerKind::Haproxy) if annotation(HAPROXY_SSL_REDIRECT).as_deref() == Some("true") => {
            PlainHttp::Redirect { code: 302 }
        }
        Some(ControllerKind::NginxInc) if annotation(NGINX_INC_SSL_REDIRECT).as_deref() == Some("false") => {
            PlainHttp::Served
        }
        _ if !tls_covers_host => PlainHttp::Served,
        _ => behaviour(kind).plain_http_on_tls_host,
    }
}

/// Where a request goes when no rule path of the class matches it, and the
/// caveat to say; `None` when the class's controller does not receive it.
/// `ingresses` are the class's, oldest first; `server` is the most specific
/// rule host matching the request (not a rule without host); `concerned`
/// says whether any rule's host matches it.
pub(crate) fn default_target(
    kind: Option<ControllerKind>,
    ingresses: &[&Object<Ingress>],
    server: Option<&str>,
    concerned: bool,
) -> Option<(RouteTarget, Option<RouteNote>)> {
    let spec = |ingress: &Object<Ingress>| ingress.value.spec.clone().unwrap_or_default();
    let has_default = |ingress: &&&Object<Ingress>| spec(ingress).default_backend.is_some();
    let ruleless = |ingress: &&&Object<Ingress>| spec(ingress).rules.is_none_or(|rules| rules.is_empty());
    let first_default = ingresses.iter().find(has_default);
    let catch_all = ingresses.iter().filter(has_default).find(ruleless);
    let not_catch_all = |ingress: &Object<Ingress>| RouteNote::DefaultBackendNotCatchAll {
        ingress: IngressRef::of(&ingress.value),
    };
    match behaviour(kind).default_backend {
        DefaultBackendScope::Unknown => match first_default {
            Some(ingress) => {
                let note = (!ruleless(&ingress)).then(|| RouteNote::DefaultBackendDependsOnController {
                    ingress: IngressRef::of(&ingress.value),
                });
                Some((default_backend(ingress), note))
            }
            None if concerned => Some((RouteTarget::ControllerDefault, None)),
            None => None,
        },
        DefaultBackendScope::RulelessCatchAllAndOwnHosts if server.is_some() => {
            // The host's server is made by the oldest Ingress naming the
            // host; its `defaultBackend` (or the controller's) answers the
            // paths no rule matches.
            let host = server.unwrap_or_default();
            let owner = ingresses.iter().find(|ingress| {
                let rules = spec(ingress).rules.unwrap_or_default();
                rules.iter().any(|rule| rule.host.as_deref().is_some_and(|h| h.eq_ignore_ascii_case(host)))
            });
            match owner.filter(has_default) {
                Some(ingress) => Some((default_backend(ingress), None)),
                None => Some((RouteTarget::ControllerDefault, None)),
            }
        }
        DefaultBackendScope::RulelessCatchAllAndOwnHosts | DefaultBackendScope::RulelessCatchAll => {
            if let Some(ingress) = catch_all {
                return Some((default_backend(ingress), None));
            }
            match first_default {
                Some(ingress) => Some((RouteTarget::ControllerDefault, Some(not_catch_all(ingress)))),
                None if concerned => Some((RouteTarget::ControllerDefault, None)),
                None => None,
            }
        }
    }
}

fn default_backend(ingress: &Object<Ingress>) -> RouteTarget {
    let backend = ingress.value.spec.as_ref().and_then(|s| s.default_backend.as_ref());
    RouteTarget::DefaultBackend {
        ingress: IngressRef::of(&ingress.value),
        backend: backend.map_or(BackendRef::None, |b| backend_ref(&ingress.value, b)),
        location: ingress.origin.field_location("spec.defaultBackend"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ingress(annotations: serde_json::Value) -> Ingress {
        serde_json::from_value(json!({"metadata": {"name": "web", "annotations": annotations}})).unwrap()
    }

    // "By default the controller redirects (308) to HTTPS if TLS is enabled
    // for that ingress … you can use the nginx.ingress.kubernetes.io/ssl-redirect:
    // "false" annotation"; force-ssl-redirect "enforce[s] a redirect to HTTPS
    // even when there is no TLS certificate available"
    // (https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#server-side-https-enforcement-through-redirect).
    #[test]
    fn ingress_nginx_redirects_http_on_tls_hosts() {
        let nginx = Some(ControllerKind::IngressNginx);
        assert_eq!(plain_http(nginx, &ingress(json!({})), true), PlainHttp::Redirect { code: 308 });
        assert_eq!(plain_http(nginx, &ingress(json!({})), false), PlainHttp::Served);
        let off = ingress(json!({NGINX_SSL_REDIRECT: "false"}));
        assert_eq!(plain_http(nginx, &off, true), PlainHttp::Served);
        let forced = ingress(json!({NGINX_FORCE_SSL_REDIRECT: "true"}));
        assert_eq!(plain_http(nginx, &forced, false), PlainHttp::Redirect { code: 308 });
    }

    // Contour: "ingress.kubernetes.io/force-ssl-redirect: Requires TLS/HTTPS
    // if set to true" (https://projectcontour.io/docs/main/config/annotations/);
    // without it both are served. HAProxy redirects when TLS is configured
    // (haproxy.org/ssl-redirect, ssl-redirect-code 302), F5 NGINX too
    // (ssl-redirect, 301). Unknown controllers depend on their configuration.
    #[test]
    fn other_controllers_redirect_only_where_known() {
        let contour = Some(ControllerKind::Contour);
        assert_eq!(plain_http(contour, &ingress(json!({})), true), PlainHttp::Served);
        assert_eq!(
            plain_http(contour, &ingress(json!({FORCE_SSL_REDIRECT: "true"})), true),
            PlainHttp::Redirect { code: 301 }
        );
        assert_eq!(plain_http(Some(ControllerKind::Kong), &ingress(json!({})), true), PlainHttp::Unknown);
        let haproxy = Some(ControllerKind::Haproxy);
        assert_eq!(plain_http(haproxy, &ingress(json!({})), true), PlainHttp::Redirect { code: 302 });
        assert_eq!(
            plain_http(haproxy, &ingress(json!({HAPROXY_SSL_REDIRECT: "false"})), true),
            PlainHttp::Served
        );
        let nginx_inc = Some(ControllerKind::NginxInc);
        assert_eq!(plain_http(nginx_inc, &ingress(json!({})), true), PlainHttp::Redirect { code: 301 });
        assert_eq!(
            plain_http(nginx_inc, &ingress(json!({NGINX_INC_SSL_REDIRECT: "false"})), true),
            PlainHttp::Served
        );
        assert_eq!(plain_http(None, &ingress(json!({})), false), PlainHttp::Served);
    }

    fn ingress_object(
        name: &str,
        class: &str,
        default: Option<&str>,
        rules: serde_json::Value,
    ) -> serde_json::Value {
        let mut spec = json!({"ingressClassName": class, "rules": rules});
        if let Some(service) = default {
            spec["defaultBackend"] = json!({"service": {"name": service, "port": {"number": 80}}});
        }
        json!({"kind": "Ingress", "metadata": {"name": name, "namespace": "web"}, "spec": spec})
    }

    fn classes() -> Vec<serde_json::Value> {
        vec![
            json!({"kind": "IngressClass", "metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}}),
            json!({"kind": "IngressClass", "metadata": {"name": "traefik"}, "spec": {"controller": "traefik.io/ingress-controller"}}),
            json!({"kind": "IngressClass", "metadata": {"name": "other"}, "spec": {"controller": "example.com/other"}}),
        ]
    }

    fn rule(host: &str, path: &str) -> serde_json::Value {
        json!([{"host": host, "http": {"paths": [{"path": path, "pathType": "Prefix",
            "backend": {"service": {"name": "app", "port": {"number": 80}}}}]}}])
    }

    /// Where `host` and `path` go in `class`: the target and the notes.
    fn answer(objects: Vec<serde_json::Value>, class: &str, host: &str, path: &str) -> String {
        let mut all = classes();
        all.extend(objects);
        let cluster = crate::testing::cluster(all);
        let routes = crate::ingress::route(&cluster, host, path);
        let Some(route) = routes.iter().find(|r| r.class.as_deref() == Some(class)) else {
            return "not received".to_owned();
        };
        let target = match &route.target {
            RouteTarget::Rule(candidate) => format!("rule of {}", candidate.ingress.id()),
            RouteTarget::DefaultBackend { ingress, .. } => format!("default backend of {}", ingress.id()),
            RouteTarget::ControllerDefault => "controller default".to_owned(),
        };
        let notes: Vec<String> = route
            .notes
            .iter()
            .map(|note| match note {
                RouteNote::DefaultBackendNotCatchAll { ingress } => {
                    format!("not a catch-all: {}", ingress.id())
                }
                RouteNote::DefaultBackendDependsOnController { ingress } => {
                    format!("depends on the controller: {}", ingress.id())
                }
                RouteNote::RegexPaths { .. } => "regex".to_owned(),
            })
            .collect();
        [vec![target], notes].concat().join("; ")
    }

    // ingress-nginx: "Ingress %q defines a backend but no rule. Using it to
    // configure the catch-all server"; with rules, "Using its backend as
    // default upstream for all its rules" (controller.go, createServers).
    #[test]
    fn ingress_nginx_default_backend_is_a_catch_all_only_without_rules() {
        let with_rules = ingress_object("site", "nginx", Some("errors"), rule("main.example.com", "/app"));
        // Its own host, an unmatched path: its default backend.
        assert_eq!(
            answer(vec![with_rules.clone()], "nginx", "main.example.com", "/other"),
            "default backend of web/site"
        );
        // Another host: the controller's default backend (404), not the Ingress's.
        assert_eq!(
            answer(vec![with_rules.clone()], "nginx", "other.example.com", "/"),
            "controller default; not a catch-all: web/site"
        );
        // An Ingress without rules is the catch-all.
        let catch_all = ingress_object("fallback", "nginx", Some("errors"), json!([]));
        assert_eq!(
            answer(vec![with_rules, catch_all], "nginx", "other.example.com", "/"),
            "default backend of web/fallback"
        );
    }

    // Traefik: `len(ingress.Spec.Rules) == 0 && ingress.Spec.DefaultBackend != nil`
    // makes the catch-all router; other default backends are not used
    // (pkg/provider/kubernetes/ingress/kubernetes.go).
    #[test]
    fn traefik_uses_only_ruleless_default_backends() {
        let with_rules = ingress_object("site", "traefik", Some("errors"), rule("main.example.com", "/app"));
        assert_eq!(
            answer(vec![with_rules.clone()], "traefik", "main.example.com", "/other"),
            "controller default; not a catch-all: web/site"
        );
        let catch_all = ingress_object("fallback", "traefik", Some("errors"), json!([]));
        assert_eq!(
            answer(vec![with_rules, catch_all], "traefik", "main.example.com", "/other"),
            "default backend of web/fallback"
        );
    }

    // The Ingress API: "defaultBackend is the backend that should handle
    // requests that don't match any rule" — how controllers scope it is
    // theirs to decide; unknown controllers are read as the API says, with a caveat.
    #[test]
    fn unknown_controllers_depend_on_the_controller() {
        let with_rules = ingress_object("site", "other", Some("errors"), rule("main.example.com", "/app"));
        assert_eq!(
            answer(vec![with_rules], "other", "x.example.com", "/"),
            "default backend of web/site; depends on the controller: web/site"
        );
    }

    // The table has a source for every known row.
    #[test]
    fn known_rows_cite_a_source() {
        let known = [
            ControllerKind::IngressNginx,
            ControllerKind::Traefik,
            ControllerKind::Contour,
            ControllerKind::Haproxy,
            ControllerKind::NginxInc,
        ];
        for kind in known {
            assert!(behaviour(Some(kind)).source.starts_with("https://"), "{kind:?}");
        }
        assert_eq!(behaviour(None).default_backend, DefaultBackendScope::Unknown);
        assert_eq!(
            behaviour(Some(ControllerKind::IngressNginx)).https_without_certificate,
            HttpsWithoutCertificate::DefaultCertificate
        );
    }
}
