//! `-l/--selector`, kubectl's label query: its text form, and the labels of
//! the objects it filters.
//!
//! The syntax is apimachinery's `labels.Parse`
//! (<https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors>,
//! "equality-based" and "set-based" requirements): requirements joined by
//! commas, all of which must hold; `key=value` (or `==`), `key!=value`,
//! `key in (a,b)`, `key notin (a,b)`, `key`, `!key`. `!=` and `notin` also
//! hold for objects without the key, as `NotIn` does in a `LabelSelector`.
//! As with `kubectl get -l`, an object's own labels are matched: a
//! Deployment's `metadata.labels`, not its pod template's.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use crate::labels::{selector_matches, Labels};
use crate::model::Cluster;

/// Reads a `-l` selector into a `LabelSelector` of `matchExpressions`.
/// The error is a sentence for the user, lowercase, the input in backticks.
pub fn parse_selector(text: &str) -> Result<LabelSelector, String> {
    let mut requirements = Vec::new();
    for part in split_requirements(text) {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!("`{text}` has an empty requirement"));
        }
        requirements.push(requirement(part).map_err(|reason| format!("{reason} (in `{text}`)"))?);
    }
    Ok(LabelSelector { match_labels: None, match_expressions: Some(requirements) })
}

/// The labels of the object `kind` `namespace/name` (no namespace for a
/// Namespace), for the kinds the model keeps; `None` when it is not in the
/// input. A workload's pods stand for it only when it is a bare pod.
pub fn object_labels(cluster: &Cluster, kind: &str, namespace: Option<&str>, name: &str) -> Option<Labels> {
    let namespace_of = |meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
        meta.namespace.as_deref() == namespace && meta.name.as_deref() == Some(name)
    };
    let labels = |meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
        meta.labels.clone().unwrap_or_default()
    };
    match kind {
        "Namespace" => cluster.namespace(name).map(|n| n.labels.clone()),
        "Pod" => cluster
            .pods()
            .iter()
            .find(|p| !p.is_representative() && Some(p.namespace.as_str()) == namespace && p.name == name)
            .map(|p| p.labels.clone()),
        "Service" => cluster
            .services()
            .iter()
            .find(|o| namespace_of(&o.value.metadata))
            .map(|o| labels(&o.value.metadata)),
        "Ingress" => cluster
            .ingresses()
            .iter()
            .find(|o| namespace_of(&o.value.metadata))
            .map(|o| labels(&o.value.metadata)),
        "NetworkPolicy" => cluster
            .network_policies()
            .iter()
            .find(|o| namespace_of(&o.value.metadata))
            .map(|o| labels(&o.value.metadata)),
        _ => cluster
            .workloads()
            .iter()
            .find(|w| w.kind.as_str() == kind && Some(w.namespace.as_str()) == namespace && w.name == name)
            .map(|w| labels(&w.metadata)),
    }
}

/// `NAMESPACE/NAME` of what `selector` picks among the ends of connections:
/// top-level workloads (by their own labels) and bare pods, or with `pods`
/// every pod (a workload's template stands for its pods when they are not
/// in the input). Sorted.
pub fn labelled(cluster: &Cluster, selector: &LabelSelector, pods: bool) -> Vec<String> {
    let mut names: Vec<String> = cluster
        .pods()
        .iter()
        .filter(|pod| {
            (pods || cluster.workload_ref(pod).kind == "Pod") && selector_matches(selector, &pod.labels)
        })
        .map(|pod| format!("{}/{}", pod.namespace, pod.name))
        .collect();
    if !pods {
        names.extend(
            cluster
                .workloads()
                .iter()
                .filter(|w| w.owner.is_none())
                .filter(|w| selector_matches(selector, w.metadata.labels.as_ref().unwrap_or(&Labels::new())))
                .map(|w| format!("{}/{}", w.namespace, w.name)),
        );
    }
    names.sort();
    names.dedup();
    names
}

/// Cuts at the commas outside parentheses (`a in (x,y),b`).
fn split_requirements(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn requirement(part: &str) -> Result<LabelSelectorRequirement, String> {
    let make = |key: &str, operator: &str, values: Option<Vec<String>>| -> Result<_, String> {
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) || key.contains(['=', '!', '(', ')']) {
            return Err(format!("`{key}` is not a label key"));
        }
        for value in values.iter().flatten() {
            if value.contains(char::is_whitespace) || value.contains(['=', '!', '(', ')', ',']) {
                return Err(format!("`{value}` is not a label value"));
            }
        }
        Ok(LabelSelectorRequirement { key: key.to_owned(), operator: operator.to_owned(), values })
    };
    if let Some(key) = part.strip_prefix('!') {
        return make(key, "DoesNotExist", None);
    }
    if let Some((key, value)) = part.split_once("!=") {
        return make(key, "NotIn", Some(vec![value.trim().to_owned()]));
    }
    if let Some((key, value)) = part.split_once("==").or_else(|| part.split_once('=')) {
        return make(key, "In", Some(vec![value.trim().to_owned()]));
    }
    if part.contains(['<', '>']) {
        return Err("`<` and `>` compare numbers in node selectors, not in label queries".to_owned());
    }
    let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
    if let [key, rest] = words[..] {
        let rest = rest.trim_start();
        let (operator, set) = if let Some(set) = rest.strip_prefix("notin") {
            ("NotIn", set)
        } else if let Some(set) = rest.strip_prefix("in") {
            ("In", set)
        } else {
            return Err(format!("`{part}` is not a requirement: use `=`, `!=`, `in` or `notin`"));
        };
        let set = set.trim();
        let Some(inner) = set.strip_prefix('(').and_then(|s| s.strip_suffix(')')) else {
            return Err(format!("`{set}` is not a set: write `(a,b)`"));
        };
        let values: Vec<String> = inner.split(',').map(|v| v.trim().to_owned()).collect();
        return make(key, operator, Some(values));
    }
    make(part, "Exists", None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::display_selector;

    fn check(selector: &str, expect: &str) {
        let got = match parse_selector(selector) {
            Ok(parsed) => display_selector(&parsed),
            Err(error) => format!("error: {error}"),
        };
        assert_eq!(got, expect, "{selector}");
    }

    // The examples of the label selector documentation
    // (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors).
    #[test]
    fn syntax() {
        check(
            "environment = production,tier != frontend",
            "environment in (production),tier notin (frontend)",
        );
        check("environment==production", "environment in (production)");
        check("environment in (production, qa)", "environment in (production,qa)");
        check("tier notin (frontend,backend)", "tier notin (frontend,backend)");
        check("partition", "partition");
        check("!partition", "!partition");
        check("app=api,partition,!canary", "app in (api),partition,!canary");
        check("a=", "a in ()");
        check("a=b,,c", "error: `a=b,,c` has an empty requirement");
        check("a in b", "error: `b` is not a set: write `(a,b)` (in `a in b`)");
        check("a is b", "error: `a is b` is not a requirement: use `=`, `!=`, `in` or `notin` (in `a is b`)");
        check("a>1", "error: `<` and `>` compare numbers in node selectors, not in label queries (in `a>1`)");
    }

    #[test]
    fn semantics() {
        let labels: Labels =
            [("app", "api"), ("tier", "backend")].map(|(k, v)| (k.to_owned(), v.to_owned())).into();
        let matches = |text: &str| selector_matches(&parse_selector(text).unwrap(), &labels);
        assert!(matches("app=api"));
        assert!(matches("app=api,tier in (backend, web)"));
        assert!(matches("env!=prod"), "`!=` holds without the key");
        assert!(matches("env notin (prod)"));
        assert!(matches("!env"));
        assert!(!matches("app=api,!tier"));
        assert!(!matches("app!=api"));
        assert!(!matches("env"));
    }

    // A Deployment is matched by its own labels, as `kubectl get deploy -l`
    // matches it; a bare pod by its labels.
    #[test]
    fn labelled_workloads_and_pods() {
        let cluster = crate::testing::cluster([
            serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "api", "namespace": "prod", "labels": {"team": "shop"}},
                "spec": {"selector": {"matchLabels": {"app": "api"}},
                         "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "c"}]}}}}),
            serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "debug", "namespace": "prod", "labels": {"team": "shop"}},
                "spec": {"containers": [{"name": "c"}]}}),
        ]);
        let labelled = |text: &str, pods: bool| labelled(&cluster, &parse_selector(text).unwrap(), pods);
        assert_eq!(labelled("team=shop", false), ["prod/api", "prod/debug"]);
        assert_eq!(labelled("app=api", false), Vec::<String>::new(), "not by the template's labels");
        assert_eq!(labelled("app=api", true).len(), 1, "with --pods, the pods' labels");
    }
}
