//! From a parsed document to typed objects: `kind`/`apiVersion` dispatch,
//! `List` unwrapping, and deserialization into `k8s-openapi` types with the
//! failing field's line.

use serde::de::DeserializeOwned;
use serde_json::Value;

use kubereach_core::admin_policy::{AdminNetworkPolicy, BaselineAdminNetworkPolicy};
use kubereach_core::{ClusterBuilder, Diagnostic, Origin, PreparedObject, Resource};

/// What became of one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentOutcome {
    /// One or more objects were added (a `List` adds its items).
    Loaded,
    /// The document was empty or of a kind the model does not use.
    Skipped,
    /// The document was broken; a diagnostic says why.
    Failed,
}

/// Adds the object(s) of one parsed document to `builder`.
pub fn lower_document(value: Value, origin: Origin, builder: &mut ClusterBuilder) -> DocumentOutcome {
    lower_item(value, origin, None, builder)
}

/// Where lowered objects go: the builder itself, or a [`Recorded`] list that
/// a file-parsing thread fills and the builder takes in file order.
pub(crate) trait Sink {
    fn add(&mut self, resource: Resource, origin: Origin);
    /// An object a parsing thread prepared ([`Recorded`]).
    fn add_prepared(&mut self, object: PreparedObject) {
        let (resource, origin) = object.into_parts();
        self.add(resource, origin);
    }
    fn diagnostic(&mut self, diagnostic: Diagnostic);
    fn skip_object(&mut self, kind: &str, api_version: &str, name: (Option<&str>, &str), origin: Origin);
    fn unmodelled_route(&mut self, route: kubereach_core::unmodelled::UnmodelledRoute, origin: Origin);
}

impl Sink for ClusterBuilder {
    fn add(&mut self, resource: Resource, origin: Origin) {
        ClusterBuilder::add(self, resource, origin);
    }
    fn add_prepared(&mut self, object: PreparedObject) {
        ClusterBuilder::add_prepared(self, object);
    }
    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        ClusterBuilder::diagnostic(self, diagnostic);
    }
    fn skip_object(&mut self, kind: &str, api_version: &str, name: (Option<&str>, &str), origin: Origin) {
        ClusterBuilder::skip_object(self, kind, api_version, name, origin);
    }
    fn unmodelled_route(&mut self, route: kubereach_core::unmodelled::UnmodelledRoute, origin: Origin) {
        ClusterBuilder::unmodelled_route(self, route, origin);
    }
}

/// What lowering one file gave, in order, to be replayed into the builder.
#[derive(Default)]
pub(crate) struct Recorded(Vec<Recording>);

enum Recording {
    /// Prepared here, on the parsing thread: boxed once, at its kind's size.
    Add(PreparedObject),
    Diagnostic(Diagnostic),
    SkipObject {
        kind: String,
        api_version: String,
        namespace: Option<String>,
        name: String,
        origin: Origin,
    },
    UnmodelledRoute(kubereach_core::unmodelled::UnmodelledRoute, Origin),
}

impl Recorded {
    /// Hands everything recorded to `builder`, in the order it came.
    pub(crate) fn replay(self, builder: &mut impl Sink) {
        for recording in self.0 {
            match recording {
                Recording::Add(object) => {
                    builder.add_prepared(object);
                }
                Recording::Diagnostic(diagnostic) => {
                    builder.diagnostic(diagnostic);
                }
                Recording::SkipObject { kind, api_version, namespace, name, origin } => {
                    builder.skip_object(&kind, &api_version, (namespace.as_deref(), &name), origin);
                }
                Recording::UnmodelledRoute(route, origin) => {
                    builder.unmodelled_route(route, origin);
                }
            };
        }
    }
}

impl Sink for Recorded {
    fn add(&mut self, resource: Resource, origin: Origin) {
        self.0.push(Recording::Add(PreparedObject::new(resource, origin)));
    }
    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.0.push(Recording::Diagnostic(diagnostic));
    }
    fn skip_object(&mut self, kind: &str, api_version: &str, name: (Option<&str>, &str), origin: Origin) {
        self.0.push(Recording::SkipObject {
            kind: kind.to_owned(),
            api_version: api_version.to_owned(),
            namespace: name.0.map(str::to_owned),
            name: name.1.to_owned(),
            origin,
        });
    }
    fn unmodelled_route(&mut self, route: kubereach_core::unmodelled::UnmodelledRoute, origin: Origin) {
        self.0.push(Recording::UnmodelledRoute(route, origin));
    }
}

/// [`lower_document`] into any [`Sink`].
pub(crate) fn lower_document_into(value: Value, origin: Origin, sink: &mut impl Sink) -> DocumentOutcome {
    lower_item(value, origin, None, sink)
}

/// `list_kind` is the `kind` and `apiVersion` implied by a typed list
/// (`PodList` items may omit their own, as `kubectl get -o yaml` writes them).
fn lower_item(
    value: Value,
    origin: Origin,
    list_kind: Option<(&str, &str)>,
    builder: &mut impl Sink,
) -> DocumentOutcome {
    let mut map = match value {
        Value::Object(map) => map,
        other => return lower_non_object(&other, &origin, builder),
    };
    if let Some((kind, api_version)) = list_kind {
        map.entry("kind").or_insert_with(|| Value::String(kind.to_owned()));
        map.entry("apiVersion").or_insert_with(|| Value::String(api_version.to_owned()));
    }
    let Some(kind) = map.get("kind").and_then(Value::as_str).map(str::to_owned) else {
        builder.diagnostic(Diagnostic::error(origin.location(), "document has no `kind`"));
        return DocumentOutcome::Failed;
    };
    if kind == "List" || (kind.ends_with("List") && map.get("items").is_some_and(Value::is_array)) {
        return lower_list(&kind, map, &origin, builder);
    }
    let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or("").to_owned();
    let Some(target) = target_kind(&kind, &api_version) else {
        lower_unmodelled(&kind, &api_version, map, origin, builder);
        return DocumentOutcome::Skipped;
    };
    if !accept_api_version(&target, (&kind, &api_version), &mut map, &origin, builder)
        || !has_name(&kind, &map, &origin, builder)
    {
        return DocumentOutcome::Failed;
    }
    if kind == "Secret" {
        // Secret values are dropped before typing, so no error message can quote them.
        for field in ["data", "stringData"] {
            map.remove(field);
        }
    }
    let mut value = Value::Object(map);
    remove_nulls(&mut value);
    match (target.deserialize)(value) {
        Ok(resource) => {
            builder.add(resource, origin);
            DocumentOutcome::Loaded
        }
        Err(error) => {
            let path = error.path().to_string();
            let location = origin.field_location(&path);
            let message = type_error_text(&error.into_inner().to_string());
            builder.diagnostic(Diagnostic::error(location, format!("{kind} `{path}`: {message}")));
            DocumentOutcome::Failed
        }
    }
}

/// A document that is not a mapping: empty (skipped), a bare list (skipped
/// with a warning) or a scalar (an error).
fn lower_non_object(value: &Value, origin: &Origin, builder: &mut impl Sink) -> DocumentOutcome {
    if value.is_null() {
        return DocumentOutcome::Skipped;
    }
    if value.is_array() {
        builder.diagnostic(Diagnostic::warning(
            origin.location(),
            "skipped a document that is a list, not a Kubernetes object (use `kind: List` with `items`)",
        ));
        return DocumentOutcome::Skipped;
    }
    builder.diagnostic(Diagnostic::error(
        origin.location(),
        format!("expected a Kubernetes object (a mapping), found {}", value_kind(value)),
    ));
    DocumentOutcome::Failed
}

/// A `List` (or typed list such as `PodList`): each item lowered on its own.
fn lower_list(
    kind: &str,
    mut map: serde_json::Map<String, Value>,
    origin: &Origin,
    builder: &mut impl Sink,
) -> DocumentOutcome {
    let Some(Value::Array(items)) = map.remove("items") else {
        builder.diagnostic(Diagnostic::error(
            origin.field_location("items"),
            format!("`{kind}` without an `items` list"),
        ));
        return DocumentOutcome::Failed;
    };
    let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or("v1");
    let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty()).map(|k| (k, api_version));
    let mut outcome = DocumentOutcome::Skipped;
    for (index, item) in items.into_iter().enumerate() {
        let item_origin = sub_origin(origin, &format!("items[{index}]"));
        match lower_item(item, item_origin, item_kind, builder) {
            DocumentOutcome::Failed => outcome = DocumentOutcome::Failed,
            DocumentOutcome::Loaded if outcome == DocumentOutcome::Skipped => {
                outcome = DocumentOutcome::Loaded
            }
            _ => {}
        }
    }
    outcome
}

/// An object of a kind the model does not read: kept aside when it routes
/// traffic (its hosts), else counted as skipped.
fn lower_unmodelled(
    kind: &str,
    api_version: &str,
    map: serde_json::Map<String, Value>,
    origin: Origin,
    builder: &mut impl Sink,
) {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let field = |name: &str| map.get("metadata").and_then(|m| m.get(name)).and_then(Value::as_str);
    let name = (field("namespace").map(str::to_owned), field("name").unwrap_or_default().to_owned());
    match kubereach_core::unmodelled::read(kind, group, Value::Object(map)) {
        Some(route) => builder.unmodelled_route(route, origin),
        None => builder.skip_object(kind, api_version, (name.0.as_deref(), &name.1), origin),
    }
}

/// Whether `api_version` is one the model reads `kind` at; a removed version
/// is rewritten to the current one with a note, an unknown one is an error.
fn accept_api_version(
    target: &TargetKind,
    (kind, api_version): (&str, &str),
    map: &mut serde_json::Map<String, Value>,
    origin: &Origin,
    builder: &mut impl Sink,
) -> bool {
    match target.accepts(api_version) {
        Accepted::Yes => true,
        Accepted::Legacy(current) => {
            builder.diagnostic(Diagnostic::note(
                origin.field_location("apiVersion"),
                format!("`{api_version}` {kind} is a removed API version: read as `{current}`"),
            ));
            map.insert("apiVersion".to_owned(), Value::String(current.to_owned()));
            true
        }
        Accepted::No(hint) => {
            let message = if api_version.is_empty() {
                format!("{kind} has no `apiVersion`: expected `{}`", target.api_version)
            } else {
                format!("unsupported apiVersion `{api_version}` for {kind}: {hint}")
            };
            builder.diagnostic(Diagnostic::error(origin.field_location("apiVersion"), message));
            false
        }
    }
}

/// Whether the object has a `metadata.name`; an error says why not.
fn has_name(
    kind: &str,
    map: &serde_json::Map<String, Value>,
    origin: &Origin,
    builder: &mut impl Sink,
) -> bool {
    let metadata = map.get("metadata");
    if metadata.and_then(|m| m.get("name")).and_then(Value::as_str).is_some_and(|n| !n.is_empty()) {
        return true;
    }
    let message = if metadata.and_then(|m| m.get("generateName")).is_some() {
        format!("{kind} has `metadata.generateName` but no `metadata.name`: the API server picks the name at creation, so it cannot be referenced; give it a name")
    } else {
        format!("{kind} has no `metadata.name`")
    };
    builder.diagnostic(Diagnostic::error(origin.field_location("metadata"), message));
    false
}

type DeserializeResult = Result<Resource, serde_path_to_error::Error<serde_json::Error>>;

/// A kind the model reads, with its current apiVersion and the removed
/// versions whose schema is compatible for the fields kubereach reads.
struct TargetKind {
    api_version: &'static str,
    legacy: &'static [&'static str],
    hint: &'static str,
    deserialize: fn(Value) -> DeserializeResult,
}

enum Accepted {
    Yes,
    Legacy(&'static str),
    No(&'static str),
}

impl TargetKind {
    fn accepts(&self, api_version: &str) -> Accepted {
        if api_version == self.api_version {
            Accepted::Yes
        } else if self.legacy.contains(&api_version) {
            Accepted::Legacy(self.api_version)
        } else {
            Accepted::No(self.hint)
        }
    }
}

/// Types `value` as `T`. `serde_path_to_error` records every field's path
/// as it goes, which costs an allocation per key: it is run only on a
/// document that failed, to say where (it fails at the same place).
fn typed<T: DeserializeOwned>(value: Value, wrap: fn(T) -> Resource) -> DeserializeResult {
    match T::deserialize(&value) {
        Ok(object) => Ok(wrap(object)),
        Err(_) => serde_path_to_error::deserialize(&value).map(wrap),
    }
}

const APPS_LEGACY: &[&str] = &["apps/v1beta1", "apps/v1beta2", "extensions/v1beta1"];

fn target_kind(kind: &str, api_version: &str) -> Option<TargetKind> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let target =
        |api_version, legacy, hint, deserialize| Some(TargetKind { api_version, legacy, hint, deserialize });
    match kind {
        "Namespace" => target("v1", &[], "use `v1`", |v| typed(v, Resource::Namespace)),
        "Node" => target("v1", &[], "use `v1`", |v| typed(v, Resource::Node)),
        "Pod" => target("v1", &[], "use `v1`", |v| typed(v, Resource::Pod)),
        "Service" => target("v1", &[], "use `v1`", |v| typed(v, Resource::Service)),
        "Endpoints" => target("v1", &[], "use `v1`", |v| typed(v, Resource::Endpoints)),
        "Secret" => target("v1", &[], "use `v1`", |v| typed(v, Resource::Secret)),
        "ConfigMap" => target("v1", &[], "use `v1`", |v| typed(v, Resource::ConfigMap)),
        "ReplicationController" => {
            target("v1", &[], "use `v1`", |v| typed(v, Resource::ReplicationController))
        }
        "Deployment" => target("apps/v1", APPS_LEGACY, "use `apps/v1`", |v| typed(v, Resource::Deployment)),
        "StatefulSet" => target("apps/v1", APPS_LEGACY, "use `apps/v1`", |v| typed(v, Resource::StatefulSet)),
        "DaemonSet" => target("apps/v1", APPS_LEGACY, "use `apps/v1`", |v| typed(v, Resource::DaemonSet)),
        "ReplicaSet" => target("apps/v1", APPS_LEGACY, "use `apps/v1`", |v| typed(v, Resource::ReplicaSet)),
        "Job" => target("batch/v1", &[], "use `batch/v1`", |v| typed(v, Resource::Job)),
        "CronJob" => target("batch/v1", &["batch/v1beta1"], "use `batch/v1`", |v| typed(v, Resource::CronJob)),
        "EndpointSlice" => target(
            "discovery.k8s.io/v1",
            &[],
            "use `discovery.k8s.io/v1` (v1beta1 was removed in Kubernetes 1.25)",
            |v| typed(v, Resource::EndpointSlice),
        ),
        "Ingress" => target(
            "networking.k8s.io/v1",
            &[],
            "use `networking.k8s.io/v1` (the v1beta1 schema with `serviceName`/`servicePort` was removed in Kubernetes 1.22)",
            |v| typed(v, Resource::Ingress),
        ),
        "IngressClass" => target(
            "networking.k8s.io/v1",
            &[],
            "use `networking.k8s.io/v1`",
            |v| typed(v, Resource::IngressClass),
        ),
        // Calico's kinds share names with Kubernetes' (`NetworkPolicy`): the
        // group tells them apart, so they come first.
        _ if group == CALICO_GROUP || group == CALICO_CRD_GROUP => calico_kind(kind, api_version),
        _ if group == CILIUM_GROUP => cilium_kind(kind),
        "Installation" if group == "operator.tigera.io" => target(
            "operator.tigera.io/v1",
            &[],
            "use `operator.tigera.io/v1`",
            |v| typed(v, |o| Resource::Calico(kubereach_core::calico::CalicoObject::Installation(o))),
        ),
        "NetworkPolicy" => target(
            "networking.k8s.io/v1",
            &["extensions/v1beta1"],
            "use `networking.k8s.io/v1`",
            |v| typed(v, Resource::NetworkPolicy),
        ),
        // Custom resources: the network-policy-api group and OpenShift Routes.
        "Route" if group == "route.openshift.io" => {
            target("route.openshift.io/v1", &[], "use `route.openshift.io/v1`", |v| typed(v, Resource::Route))
        }
        "AdminNetworkPolicy" if group == "policy.networking.k8s.io" => target(
            "policy.networking.k8s.io/v1alpha1",
            &[],
            "use `policy.networking.k8s.io/v1alpha1`",
            |v| typed::<AdminNetworkPolicy>(v, Resource::AdminNetworkPolicy),
        ),
        "BaselineAdminNetworkPolicy" if group == "policy.networking.k8s.io" => target(
            "policy.networking.k8s.io/v1alpha1",
            &[],
            "use `policy.networking.k8s.io/v1alpha1`",
            |v| typed::<BaselineAdminNetworkPolicy>(v, Resource::BaselineAdminNetworkPolicy),
        ),
        _ if group == GATEWAY_GROUP => gateway_api_kind(kind, api_version),
        _ => None,
    }
}

const GATEWAY_GROUP: &str = kubereach_core::gateway::GROUP;

/// Gateway API kinds: every version the standard channel serves is read
/// (their schemas agree on the fields kubereach reads), so none is "legacy".
fn gateway_api_kind(kind: &str, api_version: &str) -> Option<TargetKind> {
    use kubereach_core::gateway::GatewayApiObject as G;
    let (served, deserialize): (&'static [&'static str], fn(Value) -> DeserializeResult) = match kind {
        "GatewayClass" => (&["gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"], |v| {
            typed(v, |o| Resource::GatewayApi(G::GatewayClass(o)))
        }),
        "Gateway" => (&["gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"], |v| {
            typed(v, |o| Resource::GatewayApi(G::Gateway(o)))
        }),
        "HTTPRoute" => (&["gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"], |v| {
            typed(v, |o| Resource::GatewayApi(G::HttpRoute(o)))
        }),
        "GRPCRoute" => {
            (&["gateway.networking.k8s.io/v1"], |v| typed(v, |o| Resource::GatewayApi(G::GrpcRoute(o))))
        }
        "ReferenceGrant" => (&["gateway.networking.k8s.io/v1beta1", "gateway.networking.k8s.io/v1"], |v| {
            typed(v, |o| Resource::GatewayApi(G::ReferenceGrant(o)))
        }),
        // TLSRoute is in the standard channel at v1 since Gateway API v1.5;
        // TCPRoute and UDPRoute only in the experimental channel.
        "TLSRoute" => (
            &[
                "gateway.networking.k8s.io/v1",
                "gateway.networking.k8s.io/v1alpha3",
                "gateway.networking.k8s.io/v1alpha2",
            ],
            |v| typed(v, |o| Resource::GatewayApi(G::TlsRoute(o))),
        ),
        "TCPRoute" => {
            (&["gateway.networking.k8s.io/v1alpha2"], |v| typed(v, |o| Resource::GatewayApi(G::TcpRoute(o))))
        }
        "UDPRoute" => {
            (&["gateway.networking.k8s.io/v1alpha2"], |v| typed(v, |o| Resource::GatewayApi(G::UdpRoute(o))))
        }
        _ => return None,
    };
    let api_version = served.iter().copied().find(|v| *v == api_version).unwrap_or(served[0]);
    let hint = match kind {
        "TCPRoute" | "UDPRoute" => "use `gateway.networking.k8s.io/v1alpha2`",
        _ => "use `gateway.networking.k8s.io/v1`",
    };
    Some(TargetKind { api_version, legacy: &[], hint, deserialize })
}

const CILIUM_GROUP: &str = kubereach_core::cilium::GROUP;
const CALICO_GROUP: &str = kubereach_core::calico::GROUP;
const CALICO_CRD_GROUP: &str = kubereach_core::calico::CRD_GROUP;

/// Cilium's policies (`cilium.io/v2`, the version both kinds are served at).
fn cilium_kind(kind: &str) -> Option<TargetKind> {
    use kubereach_core::cilium::{CiliumKind, CiliumObject};
    let deserialize: fn(Value) -> DeserializeResult = match kind {
        "CiliumNetworkPolicy" => {
            |v| typed(v, |policy| Resource::Cilium(CiliumObject { kind: CiliumKind::NetworkPolicy, policy }))
        }
        "CiliumClusterwideNetworkPolicy" => |v| {
            typed(v, |policy| {
                Resource::Cilium(CiliumObject { kind: CiliumKind::ClusterwideNetworkPolicy, policy })
            })
        },
        _ => return None,
    };
    Some(TargetKind { api_version: "cilium.io/v2", legacy: &[], hint: "use `cilium.io/v2`", deserialize })
}

/// Calico's policies and tiers: `projectcalico.org/v3` (the API server's
/// form) and `crd.projectcalico.org/v1` (the CRD datastore's, as a dump of
/// the CRDs shows them), which share their `spec`.
fn calico_kind(kind: &str, api_version: &str) -> Option<TargetKind> {
    use kubereach_core::calico::CalicoObject as C;
    let deserialize: fn(Value) -> DeserializeResult = match kind {
        "NetworkPolicy" => |v| typed(v, |o| Resource::Calico(C::NetworkPolicy(o))),
        "GlobalNetworkPolicy" => |v| typed(v, |o| Resource::Calico(C::GlobalNetworkPolicy(o))),
        "Tier" => |v| typed(v, |o| Resource::Calico(C::Tier(o))),
        _ => return None,
    };
    let served: &[&'static str] = &["projectcalico.org/v3", "crd.projectcalico.org/v1"];
    let api_version = served.iter().copied().find(|v| *v == api_version).unwrap_or(served[0]);
    Some(TargetKind { api_version, legacy: &[], hint: "use `projectcalico.org/v3`", deserialize })
}

/// Removes `null` fields. Kubernetes decodes `null` as the field's zero
/// value (Go's encoding/json), so `from: null` means no peers, as if absent.
fn remove_nulls(value: &mut Value) {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Object(map) => {
                map.retain(|_, v| !v.is_null());
                stack.extend(map.values_mut());
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
}

/// The origin of `prefix` inside `origin`'s document (a `List` item).
fn sub_origin(origin: &Origin, prefix: &str) -> Origin {
    let line = origin.line_of(prefix);
    Origin { file: origin.file.clone(), line, fields: origin.fields.below(prefix).into() }
}

/// serde's type errors in the user's terms (issue #15): the type found,
/// never the value (`integer \`98765432\``, `string "…"`: the value may be
/// long, or a secret in the wrong field), and Kubernetes' names for the type
/// expected instead of Rust's (`i32`).
fn type_error_text(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        let Some(rest) = message.strip_prefix(prefix) else { continue };
        let Some((found, expected)) = rest.split_once(", expected ") else { continue };
        let found_kind = match found.split([' ', '`', '"']).next().unwrap_or("") {
            "string" => "a string",
            "integer" if prefix == "invalid value: " => "an integer out of range",
            "integer" => "an integer",
            "floating" => "a number with a fraction",
            "boolean" => "a boolean",
            "map" => "a mapping",
            "sequence" => "a list",
            "null" | "unit" => "null",
            "character" | "char" => "a character",
            _ => return message.to_owned(),
        };
        let expected = match expected {
            "i8" | "i16" | "i32" => "a 32-bit integer",
            "i64" | "i128" | "isize" => "a 64-bit integer",
            "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a non-negative integer",
            "f32" | "f64" => "a number",
            "bool" | "a boolean" => "a boolean (`true` or `false`)",
            "String" | "a string" => "a string",
            other => other,
        };
        return format!("{prefix}expected {expected}, found {found_kind}");
    }
    message.to_owned()
}

fn value_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Whether `kind` in `api_version` is one the loader turns into an object.
#[cfg(test)]
pub(crate) fn target_kind_known(kind: &str, api_version: &str) -> bool {
    target_kind(kind, api_version).is_some_and(|target| target.api_version == api_version)
}

#[cfg(test)]
mod tests {
    use super::type_error_text;

    /// A document that fails to type is typed again with paths tracked:
    /// the error names the field, as when every document was tracked.
    #[test]
    fn a_document_that_fails_to_type_names_the_field() {
        let mut builder = kubereach_core::ClusterBuilder::new();
        let document = serde_json::json!({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"ports": [{"port": 80}, {"port": "eighty"}]}
        });
        let outcome = super::lower_document(document, kubereach_core::Origin::default(), &mut builder);
        assert_eq!(outcome, super::DocumentOutcome::Failed);
        let cluster = builder.build();
        let messages: Vec<&str> = cluster.diagnostics().iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            ["Service `spec.ports[1].port`: invalid type: expected a 32-bit integer, found a string"]
        );
    }

    #[test]
    fn type_errors_name_types_never_values_or_rust_types() {
        for (serde, ours) in [
            (
                "invalid value: integer `98765432100`, expected i32",
                "invalid value: expected a 32-bit integer, found an integer out of range",
            ),
            (
                "invalid type: string \"hunter2\", expected i32",
                "invalid type: expected a 32-bit integer, found a string",
            ),
            (
                "invalid type: boolean `true`, expected a string",
                "invalid type: expected a string, found a boolean",
            ),
            (
                "invalid type: floating point `1.5`, expected i32",
                "invalid type: expected a 32-bit integer, found a number with a fraction",
            ),
            ("invalid type: map, expected a sequence", "invalid type: expected a sequence, found a mapping"),
            (
                "invalid type: sequence, expected u16",
                "invalid type: expected a non-negative integer, found a list",
            ),
            (
                "unknown variant `Sideways`, expected one of `Ingress`, `Egress`",
                "unknown variant `Sideways`, expected one of `Ingress`, `Egress`",
            ),
        ] {
            assert_eq!(type_error_text(serde), ours, "{serde}");
        }
    }
}
