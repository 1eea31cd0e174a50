//! Label selectors, as `metav1.LabelSelector` defines them.
//!
//! <https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors>:
//! `matchLabels` and `matchExpressions` are ANDed; an empty selector matches
//! everything; `NotIn` and `DoesNotExist` match objects without the key.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// Labels of an object.
pub type Labels = BTreeMap<String, String>;

/// Whether `selector` selects an object with `labels`.
///
/// An unknown operator selects nothing, as the API server would reject the
/// object (`validation.ValidateLabelSelector`).
pub fn selector_matches(selector: &LabelSelector, labels: &Labels) -> bool {
    let labels_match =
        selector.match_labels.iter().flatten().all(|(key, value)| labels.get(key) == Some(value));
    labels_match
        && selector.match_expressions.iter().flatten().all(|requirement| {
            let values = requirement.values.as_deref().unwrap_or_default();
            let value = labels.get(&requirement.key);
            match requirement.operator.as_str() {
                "In" => value.is_some_and(|v| values.contains(v)),
                "NotIn" => value.is_none_or(|v| !values.contains(v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        })
}

/// Whether a `map<string,string>` selector (Service, ReplicationController)
/// selects `labels`. An empty map selects everything.
pub fn map_selector_matches(selector: &Labels, labels: &Labels) -> bool {
    selector.iter().all(|(key, value)| labels.get(key) == Some(value))
}

/// Whether `selector` is the empty selector `{}`, which selects everything.
pub fn selects_everything(selector: &LabelSelector) -> bool {
    selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && selector.match_expressions.as_ref().is_none_or(Vec::is_empty)
}

/// A selector written as `k=v,k2 in (a,b),!k3`, the `kubectl -l` form.
pub fn display_selector(selector: &LabelSelector) -> String {
    let mut parts: Vec<String> =
        selector.match_labels.iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
    for requirement in selector.match_expressions.iter().flatten() {
        let values = requirement.values.as_deref().unwrap_or_default().join(",");
        parts.push(match requirement.operator.as_str() {
            "In" => format!("{} in ({values})", requirement.key),
            "NotIn" => format!("{} notin ({values})", requirement.key),
            "Exists" => requirement.key.clone(),
            "DoesNotExist" => format!("!{}", requirement.key),
            other => format!("{} {other} ({values})", requirement.key),
        });
    }
    if parts.is_empty() {
        "{}".to_owned()
    } else {
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn expression(key: &str, operator: &str, values: &[&str]) -> LabelSelector {
        LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: key.into(),
                operator: operator.into(),
                values: Some(values.iter().map(|v| v.to_string()).collect()),
            }]),
            ..Default::default()
        }
    }

    fn check(selector: &LabelSelector, pod: &[(&str, &str)], expect: bool) {
        assert_eq!(selector_matches(selector, &labels(pod)), expect, "{selector:?} on {pod:?}");
    }

    #[test]
    fn empty_selector_selects_everything() {
        check(&LabelSelector::default(), &[], true);
        check(&LabelSelector::default(), &[("a", "b")], true);
    }

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let mut selector = expression("tier", "In", &["web", "api"]);
        selector.match_labels = Some(labels(&[("app", "shop")]));
        check(&selector, &[("app", "shop"), ("tier", "web")], true);
        check(&selector, &[("app", "shop"), ("tier", "db")], false);
        check(&selector, &[("tier", "web")], false);
    }

    // NotIn and DoesNotExist select objects that lack the key:
    // https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#set-based-requirement
    #[test]
    fn set_based_operators() {
        check(&expression("env", "NotIn", &["prod"]), &[], true);
        check(&expression("env", "NotIn", &["prod"]), &[("env", "prod")], false);
        check(&expression("env", "DoesNotExist", &[]), &[], true);
        check(&expression("env", "DoesNotExist", &[]), &[("env", "x")], false);
        check(&expression("env", "Exists", &[]), &[("env", "")], true);
        check(&expression("env", "In", &["a"]), &[], false);
        check(&expression("env", "Bogus", &["a"]), &[("env", "a")], false);
    }

    #[test]
    fn displays_like_kubectl() {
        let mut selector = expression("tier", "NotIn", &["db"]);
        selector.match_labels = Some(labels(&[("app", "api")]));
        assert_eq!(display_selector(&selector), "app=api,tier notin (db)");
        assert_eq!(display_selector(&LabelSelector::default()), "{}");
    }
}
