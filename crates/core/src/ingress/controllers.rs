//! Ingress controllers: which implementation an IngressClass's
//! `spec.controller` names, how each reads what the API leaves to it, and
//! which pods of the input proxy its traffic (found by image, labels and
//! the class flags each project documents; the profiles cite them).

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Container;
use k8s_openapi::api::networking::v1::IngressClass;
use serde::Serialize;

use super::PathMatch;
use crate::cni::{container_words, flag_bool, flag_value, image_is, repository_is};
use crate::model::{Cluster, Object, Pod, PodId, WorkloadRef};

/// An Ingress controller implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ControllerKind {
    /// The Kubernetes project's ingress-nginx (`k8s.io/ingress-nginx`).
    IngressNginx,
    /// F5 NGINX Ingress Controller (`nginx.org/ingress-controller`).
    NginxInc,
    /// Traefik (`traefik.io/ingress-controller`).
    Traefik,
    /// HAProxy Technologies' controller (`haproxy.org/ingress-controller/…`).
    Haproxy,
    /// The community HAProxy Ingress (`haproxy-ingress.github.io/controller`).
    HaproxyIngress,
    /// Contour with Envoy (`projectcontour.io/ingress-controller`).
    Contour,
    /// Kong (`ingress-controllers.konghq.com/kong`).
    Kong,
    /// Istio's ingress gateway (`istio.io/ingress-controller`).
    Istio,
    /// GKE's load balancer controller (class `gce` or `gce-internal`), outside the cluster.
    Gce,
    /// The AWS Load Balancer Controller (`ingress.k8s.aws/alb`): an ALB outside the cluster.
    AwsLoadBalancer,
    /// The Application Gateway Ingress Controller (`azure/application-gateway`):
    /// an Azure Application Gateway outside the cluster.
    AzureApplicationGateway,
    /// A controller this model does not know.
    Other,
}

/// The controller that owns an Ingress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControllerInfo {
    /// Which implementation.
    pub kind: ControllerKind,
    /// The IngressClass's `spec.controller`, when there is an IngressClass.
    pub controller: Option<String>,
    /// Whether the proxy that forwards the traffic runs as pods of the
    /// cluster (`false` for cloud load balancers, whose traffic comes from
    /// outside); `None` for an unknown controller.
    pub in_cluster: Option<bool>,
    /// The pods that proxy the traffic (Envoy for Contour, the gateway for
    /// Istio), found by image, labels and class flags. Empty for cloud
    /// controllers and when the input has none.
    pub pods: Vec<PodId>,
    /// What those pods stand for, sorted.
    pub workloads: Vec<WorkloadRef>,
}

impl ControllerKind {
    /// The controller an IngressClass's `spec.controller` names.
    pub fn from_controller(controller: &str) -> ControllerKind {
        match controller {
            "k8s.io/ingress-nginx" => ControllerKind::IngressNginx,
            "nginx.org/ingress-controller" => ControllerKind::NginxInc,
            "traefik.io/ingress-controller" => ControllerKind::Traefik,
            c if c.starts_with("haproxy.org/ingress-controller") => ControllerKind::Haproxy,
            c if c.starts_with("haproxy-ingress.github.io/controller") => ControllerKind::HaproxyIngress,
            "projectcontour.io/ingress-controller" => ControllerKind::Contour,
            "ingress-controllers.konghq.com/kong" => ControllerKind::Kong,
            "istio.io/ingress-controller" => ControllerKind::Istio,
            "k8s.io/ingress-gce" | "networking.gke.io/ingress-gce" => ControllerKind::Gce,
            "ingress.k8s.aws/alb" | "eks.amazonaws.com/alb" => ControllerKind::AwsLoadBalancer,
            "azure/application-gateway" => ControllerKind::AzureApplicationGateway,
            _ => ControllerKind::Other,
        }
    }

    /// Whether the proxy runs as pods in the cluster; `None` when unknown.
    pub fn in_cluster(self) -> Option<bool> {
        match self {
            ControllerKind::Gce
            | ControllerKind::AwsLoadBalancer
            | ControllerKind::AzureApplicationGateway => Some(false),
            ControllerKind::Other => None,
            _ => Some(true),
        }
    }

    /// How the controller reads `ImplementationSpecific` paths.
    pub fn implementation_specific(self) -> PathMatch {
        match self {
            ControllerKind::IngressNginx => PathMatch::StringPrefix,
            _ => PathMatch::Prefix,
        }
    }

    /// Whether a request whose host matches a rule host, but none of that
    /// host's paths, may still match a less specific host's rules (rules
    /// without host, wildcards). Server-based controllers choose the host
    /// first (an nginx `server`, an Envoy virtual host, a URL map host rule);
    /// route-based ones match host and path together.
    pub fn falls_back_to_less_specific_hosts(self) -> bool {
        !matches!(
            self,
            ControllerKind::IngressNginx
                | ControllerKind::NginxInc
                | ControllerKind::Contour
                | ControllerKind::Istio
                | ControllerKind::Gce
                | ControllerKind::AzureApplicationGateway
        )
    }
}

/// How to find a controller's pods and tell which classes they serve.
struct Profile {
    kind: ControllerKind,
    /// Images of the controller container (repository suffixes).
    images: &'static [&'static str],
    /// Images of a separate proxy (data plane); empty when the controller proxies.
    proxy_images: &'static [&'static str],
    /// Labels that all mark a controller pod, for mirrored images.
    labels: &'static [(&'static str, &'static str)],
    /// Flags that set the `spec.controller` value the controller answers to.
    controller_flags: &'static [&'static str],
    /// Flags that set the class names the controller answers to.
    class_flags: &'static [&'static str],
    /// Environment variables that set the class name.
    class_env: &'static [&'static str],
    /// The `spec.controller` value it answers to without flags.
    default_controller: Option<&'static str>,
    /// The class name it answers to without flags (`None`: any).
    default_class: Option<&'static str>,
    /// Whether a class flag also filters IngressClasses by name.
    filters_by_name: bool,
}

/// Controller profiles, from each project's install manifests and flag reference.
const PROFILES: &[Profile] = &[
    // https://kubernetes.github.io/ingress-nginx/user-guide/k8s-122-migration/
    // (--controller-class, --ingress-class, --watch-ingress-without-class).
    Profile {
        kind: ControllerKind::IngressNginx,
        images: &["ingress-nginx/controller", "ingress-nginx/controller-chroot", "nginx-ingress-controller"],
        proxy_images: &[],
        labels: &[("app.kubernetes.io/name", "ingress-nginx"), ("app.kubernetes.io/component", "controller")],
        controller_flags: &["controller-class"],
        class_flags: &["ingress-class"],
        class_env: &[],
        default_controller: Some("k8s.io/ingress-nginx"),
        default_class: Some("nginx"),
        filters_by_name: false,
    },
    // https://docs.nginx.com/nginx-ingress-controller/configuration/global-configuration/command-line-arguments/
    Profile {
        kind: ControllerKind::NginxInc,
        images: &["nginx/nginx-ingress", "nginx-ic/nginx-plus-ingress"],
        proxy_images: &[],
        labels: &[],
        controller_flags: &[],
        class_flags: &["ingress-class"],
        class_env: &[],
        default_controller: Some("nginx.org/ingress-controller"),
        default_class: Some("nginx"),
        filters_by_name: true,
    },
    // https://doc.traefik.io/traefik/providers/kubernetes-ingress/#ingressclass
    Profile {
        kind: ControllerKind::Traefik,
        images: &["traefik"],
        proxy_images: &[],
        labels: &[("app.kubernetes.io/name", "traefik")],
        controller_flags: &[],
        class_flags: &["providers.kubernetesingress.ingressclass"],
        class_env: &[],
        default_controller: Some("traefik.io/ingress-controller"),
        default_class: None,
        filters_by_name: true,
    },
    // https://www.haproxy.com/documentation/kubernetes-ingress/community/configuration-reference/controller/
    Profile {
        kind: ControllerKind::Haproxy,
        images: &["haproxytech/kubernetes-ingress"],
        proxy_images: &[],
        labels: &[],
        controller_flags: &[],
        class_flags: &["ingress.class"],
        class_env: &[],
        default_controller: None,
        default_class: None,
        filters_by_name: true,
    },
    // https://haproxy-ingress.github.io/docs/configuration/command-line/
    Profile {
        kind: ControllerKind::HaproxyIngress,
        images: &["jcmoraisjr/haproxy-ingress"],
        proxy_images: &[],
        labels: &[],
        controller_flags: &[],
        class_flags: &["ingress-class"],
        class_env: &[],
        default_controller: None,
        default_class: Some("haproxy"),
        filters_by_name: true,
    },
    // https://projectcontour.io/docs/main/config/ingress/ (--ingress-class-name);
    // Envoy pods proxy the traffic.
    Profile {
        kind: ControllerKind::Contour,
        images: &["projectcontour/contour"],
        proxy_images: &["envoyproxy/envoy", "envoyproxy/envoy-distroless"],
        labels: &[],
        controller_flags: &[],
        class_flags: &["ingress-class-name"],
        class_env: &[],
        default_controller: Some("projectcontour.io/ingress-controller"),
        default_class: None,
        filters_by_name: true,
    },
    // https://docs.konghq.com/kubernetes-ingress-controller/latest/concepts/ingress/
    // (--ingress-class or CONTROLLER_INGRESS_CLASS, default kong); the kong
    // container proxies.
    Profile {
        kind: ControllerKind::Kong,
        images: &["kong/kubernetes-ingress-controller"],
        proxy_images: &["kong", "kong-gateway", "kong/kong-gateway"],
        labels: &[],
        controller_flags: &[],
        class_flags: &["ingress-class"],
        class_env: &["CONTROLLER_INGRESS_CLASS"],
        default_controller: Some("ingress-controllers.konghq.com/kong"),
        default_class: Some("kong"),
        filters_by_name: true,
    },
    // https://istio.io/latest/docs/tasks/traffic-management/ingress/kubernetes-ingress/:
    // the gateway selected by meshConfig.ingressSelector (default `ingressgateway`).
    Profile {
        kind: ControllerKind::Istio,
        images: &[],
        proxy_images: &[],
        labels: &[("istio", "ingressgateway")],
        controller_flags: &[],
        class_flags: &[],
        class_env: &[],
        default_controller: Some("istio.io/ingress-controller"),
        default_class: Some("istio"),
        filters_by_name: false,
    },
];

/// The environment variables whose values the model reads (a controller's
/// class): what reads a live cluster keeps of these and drops every other
/// value, which may be a credential.
pub fn environment_variables_read() -> impl Iterator<Item = &'static str> {
    PROFILES.iter().flat_map(|profile| profile.class_env.iter().copied())
}

/// Usual class names of controllers, for the annotation without an IngressClass.
fn conventional_kinds(class: &str) -> &'static [ControllerKind] {
    match class {
        "nginx" => &[ControllerKind::IngressNginx, ControllerKind::NginxInc],
        "traefik" => &[ControllerKind::Traefik],
        "haproxy" => &[ControllerKind::Haproxy, ControllerKind::HaproxyIngress],
        "contour" => &[ControllerKind::Contour],
        "kong" => &[ControllerKind::Kong],
        "istio" => &[ControllerKind::Istio],
        "gce" | "gce-internal" => &[ControllerKind::Gce],
        "alb" => &[ControllerKind::AwsLoadBalancer],
        "azure/application-gateway" => &[ControllerKind::AzureApplicationGateway],
        _ => &[],
    }
}

/// The class an Ingress asks for, before looking for its controller.
#[derive(Clone, Copy)]
struct Wanted<'a> {
    /// `None`: an Ingress without class.
    class: Option<&'a str>,
    /// The IngressClass's `spec.controller`, when there is an IngressClass.
    controller: Option<&'a str>,
    /// Only pods whose flags name the class explicitly count.
    explicit: bool,
}

/// The controller of a class (`None`: Ingresses without class), and its pods.
pub(super) fn controller_for(
    cluster: &Cluster,
    class: Option<(&str, Option<&Object<IngressClass>>)>,
) -> Option<ControllerInfo> {
    let info = |kind: ControllerKind, controller: Option<String>, pods: Vec<PodId>| {
        let mut workloads: Vec<WorkloadRef> =
            pods.iter().map(|id| cluster.workload_ref(cluster.pod(*id))).collect();
        workloads.sort();
        workloads.dedup();
        let in_cluster = kind.in_cluster().or_else(|| (!pods.is_empty()).then_some(true));
        Some(ControllerInfo { kind, controller, in_cluster, pods, workloads })
    };
    let Some((name, object)) = class else {
        // Only ingress-nginx can be told to take Ingresses without class.
        let wanted = Wanted { class: None, controller: None, explicit: false };
        let profile = profile(ControllerKind::IngressNginx)?;
        let pods = find_pods(cluster, profile, wanted);
        return if pods.is_empty() { None } else { info(ControllerKind::IngressNginx, None, pods) };
    };
    if let Some(object) = object {
        let controller = object.value.spec.as_ref().and_then(|s| s.controller.clone()).unwrap_or_default();
        let wanted = Wanted { class: Some(name), controller: Some(&controller), explicit: false };
        let mut kind = ControllerKind::from_controller(&controller);
        if kind == ControllerKind::Other {
            // A custom controller value: the controller whose pods' controller
            // flag (ingress-nginx `--controller-class`) names it.
            let claims = |profile: &Profile| {
                controller_candidates(cluster, profile).into_iter().any(|id| {
                    let Some(containers) = controller_containers(cluster.pod(id), profile) else {
                        return false;
                    };
                    let words: Vec<&str> = containers.iter().flat_map(|c| container_words(c)).collect();
                    profile
                        .controller_flags
                        .iter()
                        .any(|flag| flag_value(&words, flag) == Some(controller.as_str()))
                })
            };
            if let Some(profile) = PROFILES.iter().find(|p| claims(p)) {
                kind = profile.kind;
            }
        }
        let pods = profile(kind).map(|p| find_pods(cluster, p, wanted)).unwrap_or_default();
        return info(kind, Some(controller), pods);
    }
    // The annotation without IngressClass: the usual names, then pods whose
    // class flag names it.
    let wanted = Wanted { class: Some(name), controller: None, explicit: false };
    let kinds = conventional_kinds(name);
    let with_pods = kinds.iter().find_map(|kind| {
        let pods = find_pods(cluster, profile(*kind)?, wanted);
        (!pods.is_empty()).then_some((*kind, pods))
    });
    if let Some((kind, pods)) = with_pods {
        return info(kind, None, pods);
    }
    if let Some(kind) = kinds.first() {
        return info(*kind, None, Vec::new());
    }
    let explicit = Wanted { explicit: true, ..wanted };
    PROFILES.iter().find_map(|p| {
        let pods = find_pods(cluster, p, explicit);
        if pods.is_empty() {
            None
        } else {
            info(p.kind, None, pods)
        }
    })
}

fn profile(kind: ControllerKind) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.kind == kind)
}

/// The pods of `profile`'s controller that serve `wanted`, or, for
/// controllers with a separate proxy, the proxy pods beside them.
fn find_pods(cluster: &Cluster, profile: &Profile, wanted: Wanted) -> Vec<PodId> {
    let mut any_controller = false;
    let mut serving = Vec::new();
    for id in controller_candidates(cluster, profile) {
        let Some(containers) = controller_containers(cluster.pod(id), profile) else { continue };
        any_controller = true;
        if serves(profile, &containers, wanted) {
            serving.push(id);
        }
    }
    if profile.proxy_images.is_empty() {
        return serving;
    }
    if any_controller && serving.is_empty() {
        return Vec::new();
    }
    // The proxies beside the serving controllers, or every proxy when the
    // input has no controller pod to tell which class they serve.
    let namespaces: BTreeSet<&str> = serving.iter().map(|id| cluster.pod(*id).namespace.as_str()).collect();
    let is_proxy = |pod: &Pod| {
        pod.spec.containers.iter().any(|c| {
            c.image.as_deref().is_some_and(|image| profile.proxy_images.iter().any(|p| image_is(image, p)))
        })
    };
    let proxies =
        cluster.index().pods_with_image(|r| profile.proxy_images.iter().any(|p| repository_is(r, p)));
    proxies
        .into_iter()
        .filter(|id| {
            let pod = cluster.pod(*id);
            is_proxy(pod) && (!any_controller || namespaces.contains(pod.namespace.as_str()))
        })
        .collect()
}

/// The pods that may run `profile`'s controller, sorted by id: those with
/// one of its images or its first label ([`controller_containers`] decides),
/// from the cluster's index rather than a walk over every pod.
fn controller_candidates(cluster: &Cluster, profile: &Profile) -> Vec<PodId> {
    let index = cluster.index();
    let mut pods = index.pods_with_image(|r| profile.images.iter().any(|i| repository_is(r, i)));
    if let Some((key, value)) = profile.labels.first() {
        pods.extend_from_slice(index.pods_with_label(key, value));
        pods.sort_unstable();
        pods.dedup();
    }
    pods
}

/// The containers of `pod` that run `profile`'s controller (by image), or
/// all of them when its labels mark it; `None` when it is not one.
fn controller_containers<'a>(pod: &'a Pod, profile: &Profile) -> Option<Vec<&'a Container>> {
    let by_image: Vec<&Container> = pod
        .spec
        .containers
        .iter()
        .filter(|c| c.image.as_deref().is_some_and(|image| profile.images.iter().any(|i| image_is(image, i))))
        .collect();
    if !by_image.is_empty() {
        return Some(by_image);
    }
    let labelled = !profile.labels.is_empty()
        && profile.labels.iter().all(|(key, value)| pod.labels.get(*key).map(String::as_str) == Some(*value));
    labelled.then(|| pod.spec.containers.iter().collect())
}

/// Whether a controller with these containers serves the class `wanted`.
fn serves(profile: &Profile, containers: &[&Container], wanted: Wanted) -> bool {
    let words: Vec<&str> = containers.iter().flat_map(|c| container_words(c)).collect();
    let Some(name) = wanted.class else {
        return profile.kind == ControllerKind::IngressNginx
            && flag_bool(&words, "watch-ingress-without-class") == Some(true);
    };
    let env = containers
        .iter()
        .flat_map(|c| c.env.iter().flatten())
        .find_map(|e| profile.class_env.contains(&e.name.as_str()).then_some(e.value.as_deref()).flatten());
    let classes: Option<Vec<&str>> = profile
        .class_flags
        .iter()
        .find_map(|flag| flag_value(&words, flag))
        .or(env)
        .map(|value| value.split(',').map(str::trim).collect());
    if wanted.explicit {
        return classes.is_some_and(|c| c.contains(&name));
    }
    if let Some(controller) = wanted.controller {
        let own = profile.controller_flags.iter().find_map(|flag| flag_value(&words, flag));
        if own.or(profile.default_controller).is_some_and(|own| own != controller) {
            return false;
        }
        return !profile.filters_by_name || classes.is_none_or(|c| c.contains(&name));
    }
    match classes {
        Some(classes) => classes.contains(&name),
        None => profile.default_class.is_none_or(|default| default == name),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::ingress::test_support::*;
    use crate::ingress::INGRESS_CLASS_ANNOTATION;

    // Two ingress-nginx installations tell their classes apart by
    // --controller-class (https://kubernetes.github.io/ingress-nginx/user-guide/multiple-ingress/).
    #[test]
    fn controller_class_flags_pick_the_installation() {
        let internal = deployment(
            "internal",
            "internal-controller",
            json!({"app": "internal"}),
            "registry.k8s.io/ingress-nginx/controller:v1.11.2",
            &["--controller-class=k8s.io/internal-nginx", "--ingress-class=internal"],
        );
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "internal"})),
                ingress_class("internal", "k8s.io/internal-nginx", false),
                ingress_class("nginx", "k8s.io/ingress-nginx", false),
                nginx_controller(&[]),
                internal,
            ],
            "
class Some(\"internal\") via Field
controller IngressNginx Some(\"k8s.io/internal-nginx\") in-cluster Some(true) [Deployment/internal/internal-controller]",
        );
    }

    // A custom controller value is claimed by the pods whose
    // --controller-class names it (AKS app routing runs ingress-nginx so).
    #[test]
    fn custom_controller_value_claimed_by_pods() {
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "webapprouting.kubernetes.azure.com"})),
                ingress_class("webapprouting.kubernetes.azure.com", "approuting.kubernetes.azure.com/nginx", false),
                nginx_controller(&["--controller-class=approuting.kubernetes.azure.com/nginx"]),
            ],
            "
class Some(\"webapprouting.kubernetes.azure.com\") via Field
controller IngressNginx Some(\"approuting.kubernetes.azure.com/nginx\") in-cluster Some(true) [Deployment/ingress-nginx/ingress-nginx-controller]",
        );
    }

    // Controllers without a controller flag never claim a custom value; the
    // annotation `nginx` goes to whichever nginx controller runs (both
    // projects default to that class name); Traefik's
    // --providers.kubernetesingress.ingressclass filters IngressClasses by name
    // (https://doc.traefik.io/traefik/providers/kubernetes-ingress/#ingressclass).
    #[test]
    fn controllers_tell_their_classes_apart() {
        let haproxy = deployment(
            "haproxy",
            "haproxy",
            json!({"app": "haproxy"}),
            "haproxytech/kubernetes-ingress:3.0",
            &[],
        );
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "corp"})),
                ingress_class("corp", "corp.example/proxy", false),
                haproxy,
            ],
            "
class Some(\"corp\") via Field
controller Other Some(\"corp.example/proxy\") in-cluster None []
problem UnknownController { controller: \"corp.example/proxy\" }",
        );
        let annotated = json!({"kind": "Ingress", "metadata": {"name": "web", "namespace": "shop",
                                "annotations": {INGRESS_CLASS_ANNOTATION: "nginx"}}, "spec": {}});
        check_class(
            vec![
                annotated,
                deployment(
                    "nginx-ingress",
                    "nginx-ingress",
                    json!({"app": "nic"}),
                    "nginx/nginx-ingress:3.6.0",
                    &[],
                ),
            ],
            "
class Some(\"nginx\") via Annotation
controller NginxInc None in-cluster Some(true) [Deployment/nginx-ingress/nginx-ingress]
problem DeprecatedAnnotation",
        );
        let traefik = |class_flag: &str| {
            deployment(
                "traefik",
                "traefik",
                json!({"app": "traefik"}),
                "traefik:v3.1",
                &[
                    "--providers.kubernetesingress",
                    &format!("--providers.kubernetesingress.ingressclass={class_flag}"),
                ],
            )
        };
        let objects = |flag: &str| {
            vec![
                ingress("web", json!({"ingressClassName": "public"})),
                ingress_class("public", "traefik.io/ingress-controller", false),
                traefik(flag),
            ]
        };
        check_class(
            objects("public"),
            "
class Some(\"public\") via Field
controller Traefik Some(\"traefik.io/ingress-controller\") in-cluster Some(true) [Deployment/traefik/traefik]",
        );
        check_class(
            objects("internal"),
            "
class Some(\"public\") via Field
controller Traefik Some(\"traefik.io/ingress-controller\") in-cluster Some(true) []
problem ControllerNotFound { kind: Traefik }",
        );
    }

    // Cloud controllers run outside the cluster: no pods to look for
    // (https://github.com/kubernetes-sigs/aws-load-balancer-controller,
    // https://learn.microsoft.com/azure/application-gateway/ingress-controller-overview,
    // https://cloud.google.com/kubernetes-engine/docs/concepts/ingress).
    #[test]
    fn cloud_controllers_are_outside() {
        for (controller, kind) in [
            ("ingress.k8s.aws/alb", "AwsLoadBalancer"),
            ("azure/application-gateway", "AzureApplicationGateway"),
        ] {
            check_class(
                vec![ingress("web", json!({"ingressClassName": "cloud"})), ingress_class("cloud", controller, false)],
                &format!("class Some(\"cloud\") via Field\ncontroller {kind} Some(\"{controller}\") in-cluster Some(false) []"),
            );
        }
        let gce = json!({"kind": "Ingress", "metadata": {"name": "web", "namespace": "shop",
                          "annotations": {INGRESS_CLASS_ANNOTATION: "gce"}}, "spec": {}});
        check_class(
            vec![gce],
            "
class Some(\"gce\") via Annotation
controller Gce None in-cluster Some(false) []
problem DeprecatedAnnotation",
        );
    }

    // Controllers with a separate proxy: Contour's Envoy, Kong's proxy,
    // Istio's ingress gateway.
    #[test]
    fn proxies_of_split_controllers() {
        let envoy = json!({
            "kind": "DaemonSet", "metadata": {"name": "envoy", "namespace": "projectcontour"},
            "spec": {"selector": {"matchLabels": {"app": "envoy"}},
                     "template": {"metadata": {"labels": {"app": "envoy"}},
                                  "spec": {"containers": [{"name": "envoy", "image": "docker.io/envoyproxy/envoy:v1.31.0"}]}}},
        });
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "contour"})),
                ingress_class("contour", "projectcontour.io/ingress-controller", false),
                deployment("projectcontour", "contour", json!({"app": "contour"}), "ghcr.io/projectcontour/contour:v1.30.0", &["serve", "--ingress-class-name=contour"]),
                envoy,
            ],
            "
class Some(\"contour\") via Field
controller Contour Some(\"projectcontour.io/ingress-controller\") in-cluster Some(true) [DaemonSet/projectcontour/envoy]",
        );
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "istio"})),
                ingress_class("istio", "istio.io/ingress-controller", false),
                deployment("istio-system", "istio-ingressgateway", json!({"istio": "ingressgateway"}), "docker.io/istio/proxyv2:1.23.0", &[]),
                deployment("shop", "api", json!({"app": "api"}), "docker.io/istio/proxyv2:1.23.0", &[]),
            ],
            "
class Some(\"istio\") via Field
controller Istio Some(\"istio.io/ingress-controller\") in-cluster Some(true) [Deployment/istio-system/istio-ingressgateway]",
        );
        let kong = json!({
            "kind": "Deployment", "metadata": {"name": "kong", "namespace": "kong"},
            "spec": {"selector": {"matchLabels": {"app": "kong"}},
                     "template": {"metadata": {"labels": {"app": "kong"}},
                                  "spec": {"containers": [
                                      {"name": "ingress-controller", "image": "kong/kubernetes-ingress-controller:3.3",
                                       "env": [{"name": "CONTROLLER_INGRESS_CLASS", "value": "kong"}]},
                                      {"name": "proxy", "image": "kong:3.8"}]}}},
        });
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "kong"})),
                ingress_class("kong", "ingress-controllers.konghq.com/kong", false),
                kong,
            ],
            "
class Some(\"kong\") via Field
controller Kong Some(\"ingress-controllers.konghq.com/kong\") in-cluster Some(true) [Deployment/kong/kong]",
        );
    }
}
