//! Which class an Ingress has (`ingress-class`): `spec.ingressClassName`, the
//! deprecated `kubernetes.io/ingress.class` annotation, or the default
//! IngressClass that admission assigns, and what is wrong with it
//! (<https://kubernetes.io/docs/concepts/services-networking/ingress/#ingress-class>).
//! Which controller then implements the class is `controllers.rs`.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde::Serialize;

use super::controllers::controller_for;
use super::{ControllerInfo, ControllerKind, IngressRef};
use crate::model::{Cluster, Object};
use crate::origin::Location;

/// The deprecated annotation that named an Ingress's class before `ingressClassName`.
pub const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";
/// The IngressClass annotation that makes it the cluster's default.
pub const DEFAULT_CLASS_ANNOTATION: &str = "ingressclass.kubernetes.io/is-default-class";

/// Where an Ingress's class comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClassSource {
    /// `spec.ingressClassName`.
    Field,
    /// The deprecated `kubernetes.io/ingress.class` annotation.
    Annotation,
    /// The default IngressClass, which admission assigns to a new Ingress
    /// that names none.
    Default,
    /// No class and no default, but a controller takes Ingresses without a
    /// class (ingress-nginx `--watch-ingress-without-class`).
    WithoutClass,
    /// No class at all.
    None,
}

/// Which controller owns an Ingress, and how that was decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassResolution {
    /// The class name, if any.
    pub class: Option<String>,
    /// Where it comes from.
    pub source: ClassSource,
    /// The IngressClass object, when the input has it.
    pub ingress_class: Option<Location>,
    /// The controller, when known.
    pub controller: Option<ControllerInfo>,
    /// What is wrong or worth noting, sorted.
    pub problems: Vec<ClassProblem>,
}

/// A problem with an Ingress's class.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum ClassProblem {
    /// No class, no default IngressClass, and no controller that takes
    /// Ingresses without a class: no controller acts on it.
    NoClass,
    /// `ingressClassName` (or the default) names an IngressClass that is not
    /// in the input; controllers ignore such an Ingress.
    ClassNotFound {
        /// The class name.
        name: String,
    },
    /// The annotation names a class that no IngressClass, usual class name
    /// or running controller matches.
    UnknownClass {
        /// The class name.
        name: String,
    },
    /// Field and annotation differ (the API server rejects this on
    /// creation; controllers read the annotation).
    AnnotationConflict {
        /// `spec.ingressClassName`.
        field: String,
        /// The annotation's value.
        annotation: String,
    },
    /// The deprecated annotation is used.
    DeprecatedAnnotation,
    /// Several IngressClasses are marked default; the newest is used.
    SeveralDefaults {
        /// All of them, sorted.
        classes: Vec<String>,
        /// The one admission picks.
        chosen: String,
    },
    /// The IngressClass's `spec.controller` is not a known controller, and no
    /// pod in the input claims it.
    UnknownController {
        /// The controller string.
        controller: String,
    },
    /// The controller runs in the cluster, but the input has none of its pods.
    ControllerNotFound {
        /// The controller.
        kind: ControllerKind,
    },
}

/// Which controller owns `ingress`: its class (field, annotation or
/// default), the IngressClass's controller, and that controller's pods.
pub fn ingress_class_of(cluster: &Cluster, ingress: &Ingress) -> ClassResolution {
    let (class, source, mut problems) = class_name(cluster, ingress);
    let Some(name) = class else {
        if let Some(controller) = controller_for(cluster, None) {
            return ClassResolution {
                class: None,
                source: ClassSource::WithoutClass,
                ingress_class: None,
                controller: Some(controller),
                problems,
            };
        }
        problems.push(ClassProblem::NoClass);
        problems.sort();
        return ClassResolution { class: None, source, ingress_class: None, controller: None, problems };
    };
    let object = find_class(cluster, &name);
    let controller = match (object, source) {
        (Some(object), _) => controller_for(cluster, Some((&name, Some(object)))),
        (None, ClassSource::Annotation) => controller_for(cluster, Some((&name, None))),
        (None, _) => {
            problems.push(ClassProblem::ClassNotFound { name: name.clone() });
            None
        }
    };
    match &controller {
        Some(info) if info.kind == ControllerKind::Other && info.pods.is_empty() => {
            problems.push(ClassProblem::UnknownController {
                controller: info.controller.clone().unwrap_or_default(),
            })
        }
        Some(info) if info.in_cluster == Some(true) && info.pods.is_empty() => {
            problems.push(ClassProblem::ControllerNotFound { kind: info.kind })
        }
        None if object.is_none() && source == ClassSource::Annotation => {
            problems.push(ClassProblem::UnknownClass { name: name.clone() })
        }
        _ => {}
    }
    problems.sort();
    ClassResolution {
        class: Some(name),
        source,
        ingress_class: object.map(|o| o.origin.location()),
        controller,
        problems,
    }
}

/// The class name, where it comes from, and the problems found on the way.
fn class_name(cluster: &Cluster, ingress: &Ingress) -> (Option<String>, ClassSource, Vec<ClassProblem>) {
    let mut problems = Vec::new();
    let field = ingress.spec.as_ref().and_then(|s| s.ingress_class_name.clone()).filter(|c| !c.is_empty());
    let annotation = ingress
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(INGRESS_CLASS_ANNOTATION))
        .filter(|c| !c.is_empty())
        .cloned();
    if annotation.is_some() {
        problems.push(ClassProblem::DeprecatedAnnotation);
    }
    match (field, annotation) {
        (Some(field), Some(annotation)) if field != annotation => {
            problems.push(ClassProblem::AnnotationConflict { field, annotation: annotation.clone() });
            (Some(annotation), ClassSource::Annotation, problems)
        }
        (Some(field), _) => (Some(field), ClassSource::Field, problems),
        (None, Some(annotation)) => (Some(annotation), ClassSource::Annotation, problems),
        (None, None) => {
            let defaults = default_classes(cluster);
            let Some(chosen) = defaults.first() else { return (None, ClassSource::None, problems) };
            let chosen = chosen.value.metadata.name.clone().unwrap_or_default();
            if defaults.len() > 1 {
                let mut classes: Vec<String> =
                    defaults.iter().map(|c| c.value.metadata.name.clone().unwrap_or_default()).collect();
                classes.sort();
                problems.push(ClassProblem::SeveralDefaults { classes, chosen: chosen.clone() });
            }
            (Some(chosen), ClassSource::Default, problems)
        }
    }
}

/// IngressClasses marked default, the one admission picks first: newest
/// `creationTimestamp`, then name (`getDefaultClass` in
/// `plugin/pkg/admission/network/defaultingressclass`).
fn default_classes(cluster: &Cluster) -> Vec<&Object<IngressClass>> {
    let mut defaults: Vec<&Object<IngressClass>> = cluster
        .ingress_classes()
        .iter()
        .filter(|c| {
            c.value
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(DEFAULT_CLASS_ANNOTATION))
                .map(String::as_str)
                == Some("true")
        })
        .collect();
    defaults.sort_by(|a, b| {
        let (a, b) = (&a.value.metadata, &b.value.metadata);
        b.creation_timestamp.cmp(&a.creation_timestamp).then_with(|| a.name.cmp(&b.name))
    });
    defaults
}

pub(super) fn find_class<'a>(cluster: &'a Cluster, name: &str) -> Option<&'a Object<IngressClass>> {
    cluster.ingress_classes().iter().find(|c| c.value.metadata.name.as_deref() == Some(name))
}

/// Ingresses grouped by class name, each group oldest first.
pub(super) fn classes(cluster: &Cluster) -> BTreeMap<Option<String>, Vec<&Object<Ingress>>> {
    let mut groups: BTreeMap<Option<String>, Vec<&Object<Ingress>>> = BTreeMap::new();
    for ingress in cluster.ingresses() {
        let (class, _, _) = class_name(cluster, &ingress.value);
        groups.entry(class).or_default().push(ingress);
    }
    for ingresses in groups.values_mut() {
        ingresses.sort_by(|a, b| age_key(&a.value).cmp(&age_key(&b.value)));
    }
    groups
}

/// Oldest first: Ingresses with a `creationTimestamp` (from a live cluster)
/// before those without (manifests, not created yet), then by namespace and name.
fn age_key(ingress: &Ingress) -> (bool, Option<&Time>, IngressRef) {
    let created = ingress.metadata.creation_timestamp.as_ref();
    (created.is_none(), created, IngressRef::of(ingress))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ingress::test_support::*;

    // ingressClassName names an IngressClass whose controller is ingress-nginx
    // (https://kubernetes.io/docs/concepts/services-networking/ingress/#ingress-class).
    #[test]
    fn class_by_field() {
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "nginx"})),
                ingress_class("nginx", "k8s.io/ingress-nginx", false),
                nginx_controller(&["/nginx-ingress-controller", "--controller-class=k8s.io/ingress-nginx"]),
            ],
            "
class Some(\"nginx\") via Field
controller IngressNginx Some(\"k8s.io/ingress-nginx\") in-cluster Some(true) [Deployment/ingress-nginx/ingress-nginx-controller]",
        );
    }

    // The deprecated annotation still selects the controller
    // (https://kubernetes.io/docs/concepts/services-networking/ingress/#deprecated-annotation);
    // without an IngressClass, ingress-nginx answers to its --ingress-class (default nginx).
    #[test]
    fn class_by_annotation() {
        let web = json!({"kind": "Ingress", "metadata": {"name": "web", "namespace": "shop",
                          "annotations": {INGRESS_CLASS_ANNOTATION: "nginx"}}, "spec": {}});
        check_class(
            vec![web.clone(), nginx_controller(&[])],
            "
class Some(\"nginx\") via Annotation
controller IngressNginx None in-cluster Some(true) [Deployment/ingress-nginx/ingress-nginx-controller]
problem DeprecatedAnnotation",
        );
        // Not running in the input.
        check_class(
            vec![web],
            "
class Some(\"nginx\") via Annotation
controller IngressNginx None in-cluster Some(true) []
problem DeprecatedAnnotation
problem ControllerNotFound { kind: IngressNginx }",
        );
    }

    // The API server rejects a new Ingress whose annotation and field differ
    // (ValidateIngressCreate); on older objects controllers read the annotation.
    #[test]
    fn annotation_conflicting_with_field() {
        let web = json!({"kind": "Ingress", "metadata": {"name": "web", "namespace": "shop",
                          "annotations": {INGRESS_CLASS_ANNOTATION: "traefik"}},
                          "spec": {"ingressClassName": "nginx"}});
        check_class(
            vec![web],
            "
class Some(\"traefik\") via Annotation
controller Traefik None in-cluster Some(true) []
problem AnnotationConflict { field: \"nginx\", annotation: \"traefik\" }
problem DeprecatedAnnotation
problem ControllerNotFound { kind: Traefik }",
        );
    }

    // The default IngressClass is assigned to Ingresses without class
    // (https://kubernetes.io/docs/concepts/services-networking/ingress/#default-ingress-class);
    // with several defaults the newest wins (kubernetes/kubernetes#110974).
    #[test]
    fn default_class() {
        let web = ingress("web", json!({}));
        check_class(
            vec![
                web.clone(),
                ingress_class("traefik", "traefik.io/ingress-controller", true),
                deployment("traefik", "traefik", json!({"app": "traefik"}), "docker.io/traefik:v3.1", &[]),
            ],
            "
class Some(\"traefik\") via Default
controller Traefik Some(\"traefik.io/ingress-controller\") in-cluster Some(true) [Deployment/traefik/traefik]",
        );
        let mut older = ingress_class("a-old", "k8s.io/ingress-nginx", true);
        older["metadata"]["creationTimestamp"] = json!("2023-01-01T00:00:00Z");
        let mut newer = ingress_class("z-new", "traefik.io/ingress-controller", true);
        newer["metadata"]["creationTimestamp"] = json!("2024-01-01T00:00:00Z");
        check_class(
            vec![web.clone(), older, newer],
            "
class Some(\"z-new\") via Default
controller Traefik Some(\"traefik.io/ingress-controller\") in-cluster Some(true) []
problem SeveralDefaults { classes: [\"a-old\", \"z-new\"], chosen: \"z-new\" }
problem ControllerNotFound { kind: Traefik }",
        );
        // Without timestamps (manifests), the first name wins.
        check_class(
            vec![
                web,
                ingress_class("b", "k8s.io/ingress-nginx", true),
                ingress_class("a", "ingress.k8s.aws/alb", true),
            ],
            "
class Some(\"a\") via Default
controller AwsLoadBalancer Some(\"ingress.k8s.aws/alb\") in-cluster Some(false) []
problem SeveralDefaults { classes: [\"a\", \"b\"], chosen: \"a\" }",
        );
    }

    // No class and no default: nothing acts on it, unless ingress-nginx runs
    // with --watch-ingress-without-class
    // (https://kubernetes.github.io/ingress-nginx/user-guide/k8s-122-migration/#what-is-the-flag-watch-ingress-without-class).
    #[test]
    fn no_class() {
        check_class(vec![ingress("web", json!({}))], "class None via None\nproblem NoClass");
        check_class(
            vec![ingress("web", json!({})), nginx_controller(&["--watch-ingress-without-class=true"])],
            "
class None via WithoutClass
controller IngressNginx None in-cluster Some(true) [Deployment/ingress-nginx/ingress-nginx-controller]",
        );
    }

    #[test]
    fn missing_and_unknown_classes() {
        // ingressClassName must name an IngressClass.
        check_class(
            vec![ingress("web", json!({"ingressClassName": "nginx"}))],
            "class Some(\"nginx\") via Field\nproblem ClassNotFound { name: \"nginx\" }",
        );
        check_class(
            vec![
                ingress("web", json!({"ingressClassName": "corp"})),
                ingress_class("corp", "corp.example/proxy", false),
            ],
            "
class Some(\"corp\") via Field
controller Other Some(\"corp.example/proxy\") in-cluster None []
problem UnknownController { controller: \"corp.example/proxy\" }",
        );
        let annotated = json!({"kind": "Ingress", "metadata": {"name": "web", "namespace": "shop",
                                "annotations": {INGRESS_CLASS_ANNOTATION: "corp"}}, "spec": {}});
        check_class(
            vec![annotated.clone()],
            "
class Some(\"corp\") via Annotation
problem UnknownClass { name: \"corp\" }
problem DeprecatedAnnotation",
        );
        // A controller whose flag names the class explicitly claims it.
        check_class(
            vec![annotated, nginx_controller(&["--ingress-class=corp"])],
            "
class Some(\"corp\") via Annotation
controller IngressNginx None in-cluster Some(true) [Deployment/ingress-nginx/ingress-nginx-controller]
problem DeprecatedAnnotation",
        );
    }
}
