//! Test helpers shared by the live modules that pick among listed objects
//! (`calico.rs`, `gateway_versions.rs`).

use std::sync::Arc;

use serde_json::json;

use super::LiveObject;

/// A listed object with `apiVersion`, `kind` and `metadata.name` only.
pub(super) fn object(api_version: &str, kind: &str, name: &str) -> LiveObject {
    LiveObject {
        list_url: Arc::from("https://cluster/apis"),
        value: json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}),
    }
}

/// Each object as `"API_VERSION" "NAME"` (the JSON strings), in order.
pub(super) fn names(objects: &[LiveObject]) -> Vec<String> {
    objects.iter().map(|o| format!("{} {}", o.value["apiVersion"], o.value["metadata"]["name"])).collect()
}
