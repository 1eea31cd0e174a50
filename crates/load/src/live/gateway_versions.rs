//! A Gateway API kind can be served at several versions at once (TLSRoute
//! at `v1` since Gateway API v1.5, and at `v1alpha3` and `v1alpha2` while a
//! cluster still serves them): the API server returns the same objects
//! from each (<https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definition-versioning/>).
//! Every version is listed, since any of them may be the only one served;
//! the objects of the newest version that returned any are kept, so each
//! route is read once.

use serde_json::Value;

use super::LiveObject;

/// Kinds listed at several versions, newest first.
const VERSIONS: &[(&str, &[&str])] = &[(
    "TLSRoute",
    &[
        "gateway.networking.k8s.io/v1",
        "gateway.networking.k8s.io/v1alpha3",
        "gateway.networking.k8s.io/v1alpha2",
    ],
)];

/// Drops, for each kind of [`VERSIONS`], the objects of the versions older
/// than the newest one with objects.
pub(super) fn keep_one_gateway_version(objects: &mut Vec<LiveObject>) {
    let field = |value: &Value, name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    for (kind, versions) in VERSIONS {
        let of_kind = |o: &LiveObject| field(&o.value, "kind").as_deref() == Some(*kind);
        let Some(newest) = versions.iter().find(|v| {
            objects.iter().any(|o| of_kind(o) && field(&o.value, "apiVersion").as_deref() == Some(**v))
        }) else {
            continue;
        };
        objects.retain(|o| !of_kind(o) || field(&o.value, "apiVersion").as_deref() == Some(*newest));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::test_objects::{names, object};

    // A cluster serving TLSRoute at v1alpha3 and v1alpha2 (Gateway API
    // v1.2 to v1.4, experimental channel) returns each route twice.
    #[test]
    fn the_newest_served_version_is_kept() {
        let mut objects = vec![
            object("gateway.networking.k8s.io/v1alpha2", "TLSRoute", "db"),
            object("gateway.networking.k8s.io/v1alpha3", "TLSRoute", "db"),
            object("gateway.networking.k8s.io/v1alpha2", "TCPRoute", "raw"),
        ];
        keep_one_gateway_version(&mut objects);
        assert_eq!(
            names(&objects),
            [
                "\"gateway.networking.k8s.io/v1alpha3\" \"db\"",
                "\"gateway.networking.k8s.io/v1alpha2\" \"raw\""
            ]
        );
    }

    #[test]
    fn one_version_is_kept_whole() {
        let mut objects = vec![object("gateway.networking.k8s.io/v1alpha2", "TLSRoute", "db")];
        keep_one_gateway_version(&mut objects);
        assert_eq!(names(&objects), ["\"gateway.networking.k8s.io/v1alpha2\" \"db\""]);
    }
}
