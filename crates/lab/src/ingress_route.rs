//! What the lab's ingress controller does with one request: the core's
//! answer, with the lab's addresses. Pure, so it is tested without root.
//!
//! Routing is the core's ingress layer, never re-derived here:
//! [`ingress::route`] (class, host exact and wildcard, `Exact`/`Prefix`/
//! `ImplementationSpecific` paths, longest match, `defaultBackend`, the
//! controller's own default), [`ingress::ingress_class_of`] (which
//! controller's pods serve an Ingress), [`ingress::check_backend`] (the
//! backend Service port, by number or name), [`ingress::check_tls`] and
//! [`behaviour::plain_http`] (ingress-nginx's 308 redirect of plain
//! HTTP to a host a `spec.tls` entry covers,
//! <https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#server-side-https-enforcement-through-redirect>).
//!
//! Like ingress-nginx, the controller sends to the backend Service's
//! endpoints directly (its Lua balancer picks among the EndpointSlices'
//! addresses; the core's trace says the same), from the controller pod's
//! own network namespace, so the policies of both pods judge the
//! connection as they judge any pod's. Its answers when it cannot: 404
//! from its default backend when no rule of its classes matches, 503 when
//! the backend Service, its port or its endpoints are missing, 502 when the
//! endpoint refuses, 504 when the connection times out (a policy drop).

use std::net::SocketAddrV4;

use k8s_openapi::api::networking::v1::Ingress;
use kubereach_core::ingress::behaviour::{self, PlainHttp};
use kubereach_core::ingress::{
    self, BackendRef, BackendSite, BackendStatus, ClassRoute, IngressRef, RouteTarget, TlsStatus,
};
use kubereach_core::model::{Object, PodId};
use kubereach_core::Cluster;

use crate::plan::Plan;

/// How the request came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scheme {
    /// Plain HTTP (the controller's port 80).
    Http,
    /// HTTPS (its port 443).
    Https,
}

/// What the controller does with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Proxy to one of these endpoints of Service `service` (`namespace/name`).
    Proxy {
        /// The backend Service.
        service: String,
        /// Its endpoints for the backend port, in the lab: pod address and
        /// target port, with the pod's `namespace/name`.
        endpoints: Vec<(SocketAddrV4, String)>,
    },
    /// Redirect to `location` with status `code`.
    Redirect {
        /// The status (308 for ingress-nginx).
        code: u16,
        /// The `Location` header.
        location: String,
    },
    /// No rule of the controller's classes matches: its default backend's 404.
    NotFound,
    /// The backend Service, its port or its endpoints are missing: 503.
    Unavailable {
        /// Why, for the response body.
        why: String,
    },
}

/// The Ingresses whose controller includes pod `controller`.
pub fn served_by(cluster: &Cluster, controller: PodId) -> Vec<&Object<Ingress>> {
    cluster
        .ingresses()
        .iter()
        .filter(|ingress| {
            ingress::ingress_class_of(cluster, &ingress.value)
                .controller
                .is_some_and(|info| info.pods.contains(&controller))
        })
        .collect()
}

/// Whether pod `pod` is the controller of some Ingress of `cluster`.
pub fn is_controller(cluster: &Cluster, pod: PodId) -> bool {
    !served_by(cluster, pod).is_empty()
}

/// What controller pod `controller` does with a request for `host` (no
/// port) and `path` (query included) over `scheme`.
pub fn decide(
    cluster: &Cluster,
    plan: &Plan,
    controller: PodId,
    scheme: Scheme,
    host: &str,
    path: &str,
) -> Decision {
    let host = host.to_ascii_lowercase();
    let ours = served_by(cluster, controller);
    let routes = ingress::route(cluster, &host, path);
    let Some((route, ingress)) = routes.iter().find_map(|route| {
        let wanted = target_ingress(route)?;
        let found = ours.iter().find(|i| IngressRef::of(&i.value) == *wanted)?;
        Some((route, *found))
    }) else {
        return Decision::NotFound;
    };
    if scheme == Scheme::Http {
        let covered = ingress::check_tls(cluster, ingress, &host).status != TlsStatus::NotConfigured;
        if let PlainHttp::Redirect { code } = behaviour::plain_http(route.controller, &ingress.value, covered)
        {
            return Decision::Redirect { code, location: format!("https://{host}{path}") };
        }
    }
    let site = match &route.target {
        RouteTarget::Rule(candidate) => candidate.site,
        _ => BackendSite::DefaultBackend,
    };
    backend(cluster, plan, ingress, site)
}

/// The Ingress whose backend `route` chose; `None` for the controller's default.
fn target_ingress(route: &ClassRoute) -> Option<&IngressRef> {
    match &route.target {
        RouteTarget::Rule(candidate) => Some(&candidate.ingress),
        RouteTarget::DefaultBackend { ingress, .. } => Some(ingress),
        RouteTarget::ControllerDefault => None,
    }
}

/// Where the backend at `site` of `ingress` sends, in the lab.
fn backend(cluster: &Cluster, plan: &Plan, ingress: &Object<Ingress>, site: BackendSite) -> Decision {
    let unavailable = |why: String| Decision::Unavailable { why };
    let Some(check) = ingress::check_backend(cluster, ingress, site) else {
        return unavailable("no backend".into());
    };
    let BackendRef::Service { service, .. } = &check.backend else {
        return unavailable("the backend is not a Service".into());
    };
    let id = format!("{}/{}", service.namespace, service.name);
    let port = match check.status {
        BackendStatus::Ok { port } => port,
        BackendStatus::ServiceNotFound => return unavailable(format!("no Service {id}")),
        BackendStatus::ExternalName { .. } => {
            return unavailable(format!(
                "{id} is an ExternalName Service; the lab proxies to nothing outside it"
            ))
        }
        _ => return unavailable(format!("Service {id} has no such TCP port")),
    };
    let lab_port = plan
        .services
        .iter()
        .filter(|s| {
            (s.namespace.as_str(), s.name.as_str()) == (service.namespace.as_str(), service.name.as_str())
        })
        .flat_map(|s| &s.ports)
        .find(|p| i32::from(p.port) == port.port && p.protocol == port.protocol);
    let endpoints: Vec<(SocketAddrV4, String)> = lab_port
        .into_iter()
        .flat_map(|p| &p.endpoints)
        .filter_map(|e| {
            let pod = plan.topology.pod(PodId(e.pod))?;
            Some((SocketAddrV4::new(e.address, e.port), format!("{}/{}", pod.namespace, pod.name)))
        })
        .collect();
    if endpoints.is_empty() {
        return unavailable(format!("service {id} has no endpoints for port {}", port.port));
    }
    Decision::Proxy { service: id, endpoints }
}

/// The certificate the controller serves for `host` (the TLS server name):
/// `Some(host)` when a `spec.tls` entry of one of its Ingresses covers the
/// host with a usable Secret (the lab issues the certificate from its CA),
/// `None` for its fake certificate (ingress-nginx's "Kubernetes Ingress
/// Controller Fake Certificate" when the Secret is absent or the host not
/// covered).
pub fn certificate_for(cluster: &Cluster, controller: PodId, host: &str) -> Option<String> {
    let host = host.to_ascii_lowercase();
    served_by(cluster, controller)
        .into_iter()
        .map(|ingress| ingress::check_tls(cluster, ingress, &host))
        .find(|check| check.entry.is_some())
        .filter(|check| check.status == TlsStatus::Ok)
        .map(|_| host)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An ingress-nginx controller, a Service and pod, and Ingresses of two classes.
    pub(crate) const CLUSTER: &str = "
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  selector: {matchLabels: {app: ctl}}
  template:
    metadata: {labels: {app: ctl}}
    spec:
      containers:
      - name: controller
        image: registry.k8s.io/ingress-nginx/controller:v1.11.2
        args: [/nginx-ingress-controller, --ingress-class=nginx]
        ports: [{containerPort: 80}, {containerPort: 443}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  containers: [{name: c, image: web, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Secret
metadata: {name: shop-tls, namespace: shop}
type: kubernetes.io/tls
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: shop}
spec:
  ingressClassName: nginx
  tls: [{hosts: [shop.test], secretName: shop-tls}, {hosts: [nocert.test], secretName: absent}]
  rules:
  - host: shop.test
    http:
      paths:
      - {path: /app, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
      - {path: /exact, pathType: Exact, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /pod-port, pathType: Exact, backend: {service: {name: web, port: {number: 8080}}}}
  - host: plain.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: other, namespace: shop}
spec:
  ingressClassName: traefik
  rules:
  - host: other.test
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
";

    fn check(scheme: Scheme, host: &str, path: &str) -> String {
        let cluster = crate::test_cluster(CLUSTER);
        let plan = crate::plan::build(&cluster, "t", None).unwrap();
        let controller = plan.topology.pod_named("ingress-nginx", "ingress-nginx-controller").unwrap();
        match decide(&cluster, &plan, PodId(controller.pod), scheme, host, path) {
            Decision::Proxy { service, endpoints } => {
                let to: Vec<String> = endpoints.iter().map(|(a, p)| format!("{p}@{}", a.port())).collect();
                format!("proxy {service} {}", to.join(","))
            }
            Decision::Redirect { code, location } => format!("{code} {location}"),
            Decision::NotFound => "404".into(),
            Decision::Unavailable { .. } => "503".into(),
        }
    }

    // Prefix matches element-wise, Exact only the path itself
    // (https://kubernetes.io/docs/concepts/services-networking/ingress/#examples);
    // the backend names the Service port, by name or number, and the
    // controller reaches the pod on the target port (8080).
    #[test]
    fn requests_follow_the_cores_routes() {
        assert_eq!(check(Scheme::Https, "shop.test", "/app/x"), "proxy shop/web shop/web@8080");
        assert_eq!(check(Scheme::Https, "SHOP.test", "/exact"), "proxy shop/web shop/web@8080");
        assert_eq!(check(Scheme::Https, "shop.test", "/exact/x"), "404");
        assert_eq!(check(Scheme::Https, "shop.test", "/appx"), "404");
        // A backend naming the pod's port, not the Service's: ingress-nginx
        // finds no such Service port and answers 503.
        assert_eq!(check(Scheme::Https, "shop.test", "/pod-port"), "503");
        assert_eq!(check(Scheme::Http, "plain.test", "/"), "proxy shop/web shop/web@8080");
        // Another class's Ingress is not this controller's.
        assert_eq!(check(Scheme::Http, "other.test", "/"), "404");
    }

    // "By default the controller redirects (308) to HTTPS if TLS is enabled
    // for that ingress" (ingress-nginx annotations, server-side HTTPS enforcement).
    #[test]
    fn plain_http_to_a_tls_host_is_redirected() {
        assert_eq!(check(Scheme::Http, "shop.test", "/app?q=1"), "308 https://shop.test/app?q=1");
    }

    // ingress-nginx serves its fake certificate when the Secret is missing
    // (https://kubernetes.github.io/ingress-nginx/user-guide/tls/#default-ssl-certificate).
    #[test]
    fn the_certificate_is_the_labs_only_with_the_secret() {
        let cluster = crate::test_cluster(CLUSTER);
        let plan = crate::plan::build(&cluster, "t", None).unwrap();
        let controller =
            PodId(plan.topology.pod_named("ingress-nginx", "ingress-nginx-controller").unwrap().pod);
        assert_eq!(certificate_for(&cluster, controller, "shop.test").as_deref(), Some("shop.test"));
        assert_eq!(certificate_for(&cluster, controller, "nocert.test"), None);
        assert_eq!(certificate_for(&cluster, controller, "plain.test"), None);
        assert!(is_controller(&cluster, controller));
    }
}
