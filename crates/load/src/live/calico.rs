//! Calico's policies are served in two forms: `projectcalico.org/v3` by the
//! Calico API server, and `crd.projectcalico.org/v1`, the CRDs of its
//! Kubernetes datastore, which are all a cluster without the API server has
//! (<https://docs.tigera.io/calico/latest/operations/install-apiserver>).
//! Both are listed; when the v3 form of a kind has objects, they are the
//! same policies and its CRD copies are dropped, so each policy is read once.

use std::collections::BTreeSet;

use serde_json::Value;

use super::LiveObject;

/// The CRD storage form's `apiVersion`.
const CRD_API_VERSION: &str = "crd.projectcalico.org/v1";

/// The API server's form.
const API_VERSION: &str = "projectcalico.org/v3";

/// Drops the `crd.projectcalico.org/v1` objects of each kind the
/// `projectcalico.org/v3` lists returned objects of.
pub(super) fn keep_one_calico_form(objects: &mut Vec<LiveObject>) {
    let field = |value: &Value, name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    let served: BTreeSet<String> = objects
        .iter()
        .filter(|o| field(&o.value, "apiVersion").as_deref() == Some(API_VERSION))
        .filter_map(|o| field(&o.value, "kind"))
        .collect();
    if served.is_empty() {
        return;
    }
    objects.retain(|o| {
        field(&o.value, "apiVersion").as_deref() != Some(CRD_API_VERSION)
            || !field(&o.value, "kind").is_some_and(|kind| served.contains(&kind))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::test_objects::{names, object};

    #[test]
    fn the_api_servers_form_wins_kind_by_kind() {
        let mut objects = vec![
            object(API_VERSION, "NetworkPolicy", "a"),
            object(CRD_API_VERSION, "NetworkPolicy", "default.a"),
            object(CRD_API_VERSION, "Tier", "security"),
            object("networking.k8s.io/v1", "NetworkPolicy", "k"),
        ];
        keep_one_calico_form(&mut objects);
        assert_eq!(
            names(&objects),
            [
                "\"projectcalico.org/v3\" \"a\"",
                "\"crd.projectcalico.org/v1\" \"security\"",
                "\"networking.k8s.io/v1\" \"k\"",
            ]
        );
    }

    #[test]
    fn without_the_api_server_the_crds_are_kept() {
        let mut objects =
            vec![object(CRD_API_VERSION, "NetworkPolicy", "default.a"), object(CRD_API_VERSION, "Tier", "t")];
        keep_one_calico_form(&mut objects);
        assert_eq!(objects.len(), 2);
    }
}
