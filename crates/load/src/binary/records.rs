//! What a binary snapshot holds: the loader's output for the builder, one
//! record per call ([`crate::kinds::Sink`]), in the order the calls came.
//! Written from borrowed values ([`RecordRef`]) and read into owned ones
//! ([`Record`]); both are declared by one macro so their encodings agree.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Namespace, Node, Pod, ReplicationController, Secret, Service,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass, NetworkPolicy};
use serde::{Deserialize, Serialize};

use kubereach_core::admin_policy::{AdminNetworkPolicy, BaselineAdminNetworkPolicy};
use kubereach_core::calico::{CalicoObject, CalicoPolicy, Installation, Tier};
use kubereach_core::cilium::{CiliumKind, CiliumObject, CiliumPolicy};
use kubereach_core::diagnostic::Severity;
use kubereach_core::gateway::stream::StreamRoute;
use kubereach_core::gateway::types::{GatewayClass, GrpcRoute, HttpRoute, ReferenceGrant};
use kubereach_core::gateway::GatewayApiObject;
use kubereach_core::origin::{FieldLines, Location};
use kubereach_core::unmodelled::UnmodelledRoute;
use kubereach_core::{Diagnostic, Origin, Resource};

/// Declares the object enums, borrowed and owned, with one variant per
/// kind the model reads (the sub-kinds of Gateway API, Cilium and Calico
/// flattened), and the conversions from and to [`Resource`].
macro_rules! objects {
    ($($variant:ident($type:ty)),* $(,)?) => {
        /// An object to write.
        #[derive(Serialize)]
        pub(super) enum ObjectRef<'a> {
            $($variant(&'a $type),)*
        }

        /// An object read back. Moved once into a [`Resource`], as large:
        /// boxing would buy nothing.
        #[derive(Deserialize)]
        #[allow(clippy::large_enum_variant)]
        pub(super) enum Object {
            $($variant($type),)*
        }
    };
}

objects!(
    Namespace(Namespace),
    Node(Node),
    Pod(Pod),
    Deployment(Deployment),
    StatefulSet(StatefulSet),
    DaemonSet(DaemonSet),
    ReplicaSet(ReplicaSet),
    ReplicationController(ReplicationController),
    Job(Job),
    CronJob(CronJob),
    Service(Service),
    Endpoints(Endpoints),
    EndpointSlice(EndpointSlice),
    Ingress(Ingress),
    IngressClass(IngressClass),
    NetworkPolicy(NetworkPolicy),
    AdminNetworkPolicy(AdminNetworkPolicy),
    BaselineAdminNetworkPolicy(BaselineAdminNetworkPolicy),
    Route(kubereach_core::route::Route),
    GatewayClass(GatewayClass),
    Gateway(kubereach_core::gateway::types::Gateway),
    HttpRoute(HttpRoute),
    GrpcRoute(GrpcRoute),
    ReferenceGrant(ReferenceGrant),
    TlsRoute(StreamRoute),
    TcpRoute(StreamRoute),
    UdpRoute(StreamRoute),
    CiliumNetworkPolicy(CiliumPolicy),
    CiliumClusterwideNetworkPolicy(CiliumPolicy),
    CalicoNetworkPolicy(CalicoPolicy),
    CalicoGlobalNetworkPolicy(CalicoPolicy),
    CalicoTier(Tier),
    CalicoInstallation(Installation),
    Secret(Secret),
    ConfigMap(ConfigMap),
);

impl<'a> ObjectRef<'a> {
    /// The record of `resource`. A kind added to [`Resource`] fails to
    /// compile here until it has a variant above.
    pub(super) fn of(resource: &'a Resource) -> ObjectRef<'a> {
        use GatewayApiObject as G;
        match resource {
            Resource::Namespace(o) => ObjectRef::Namespace(o),
            Resource::Node(o) => ObjectRef::Node(o),
            Resource::Pod(o) => ObjectRef::Pod(o),
            Resource::Deployment(o) => ObjectRef::Deployment(o),
            Resource::StatefulSet(o) => ObjectRef::StatefulSet(o),
            Resource::DaemonSet(o) => ObjectRef::DaemonSet(o),
            Resource::ReplicaSet(o) => ObjectRef::ReplicaSet(o),
            Resource::ReplicationController(o) => ObjectRef::ReplicationController(o),
            Resource::Job(o) => ObjectRef::Job(o),
            Resource::CronJob(o) => ObjectRef::CronJob(o),
            Resource::Service(o) => ObjectRef::Service(o),
            Resource::Endpoints(o) => ObjectRef::Endpoints(o),
            Resource::EndpointSlice(o) => ObjectRef::EndpointSlice(o),
            Resource::Ingress(o) => ObjectRef::Ingress(o),
            Resource::IngressClass(o) => ObjectRef::IngressClass(o),
            Resource::NetworkPolicy(o) => ObjectRef::NetworkPolicy(o),
            Resource::AdminNetworkPolicy(o) => ObjectRef::AdminNetworkPolicy(o),
            Resource::BaselineAdminNetworkPolicy(o) => ObjectRef::BaselineAdminNetworkPolicy(o),
            Resource::Route(o) => ObjectRef::Route(o),
            Resource::GatewayApi(G::GatewayClass(o)) => ObjectRef::GatewayClass(o),
            Resource::GatewayApi(G::Gateway(o)) => ObjectRef::Gateway(o),
            Resource::GatewayApi(G::HttpRoute(o)) => ObjectRef::HttpRoute(o),
            Resource::GatewayApi(G::GrpcRoute(o)) => ObjectRef::GrpcRoute(o),
            Resource::GatewayApi(G::ReferenceGrant(o)) => ObjectRef::ReferenceGrant(o),
            Resource::GatewayApi(G::TlsRoute(o)) => ObjectRef::TlsRoute(o),
            Resource::GatewayApi(G::TcpRoute(o)) => ObjectRef::TcpRoute(o),
            Resource::GatewayApi(G::UdpRoute(o)) => ObjectRef::UdpRoute(o),
            Resource::Cilium(o) => match o.kind {
                CiliumKind::NetworkPolicy => ObjectRef::CiliumNetworkPolicy(&o.policy),
                CiliumKind::ClusterwideNetworkPolicy => ObjectRef::CiliumClusterwideNetworkPolicy(&o.policy),
            },
            Resource::Calico(CalicoObject::NetworkPolicy(o)) => ObjectRef::CalicoNetworkPolicy(o),
            Resource::Calico(CalicoObject::GlobalNetworkPolicy(o)) => ObjectRef::CalicoGlobalNetworkPolicy(o),
            Resource::Calico(CalicoObject::Tier(o)) => ObjectRef::CalicoTier(o),
            Resource::Calico(CalicoObject::Installation(o)) => ObjectRef::CalicoInstallation(o),
            Resource::Secret(o) => ObjectRef::Secret(o),
            Resource::ConfigMap(o) => ObjectRef::ConfigMap(o),
        }
    }
}

impl Object {
    /// The [`Resource`] this record holds.
    pub(super) fn into_resource(self) -> Resource {
        use GatewayApiObject as G;
        let cilium = |kind, policy| Resource::Cilium(CiliumObject { kind, policy });
        match self {
            Object::Namespace(o) => Resource::Namespace(o),
            Object::Node(o) => Resource::Node(o),
            Object::Pod(o) => Resource::Pod(o),
            Object::Deployment(o) => Resource::Deployment(o),
            Object::StatefulSet(o) => Resource::StatefulSet(o),
            Object::DaemonSet(o) => Resource::DaemonSet(o),
            Object::ReplicaSet(o) => Resource::ReplicaSet(o),
            Object::ReplicationController(o) => Resource::ReplicationController(o),
            Object::Job(o) => Resource::Job(o),
            Object::CronJob(o) => Resource::CronJob(o),
            Object::Service(o) => Resource::Service(o),
            Object::Endpoints(o) => Resource::Endpoints(o),
            Object::EndpointSlice(o) => Resource::EndpointSlice(o),
            Object::Ingress(o) => Resource::Ingress(o),
            Object::IngressClass(o) => Resource::IngressClass(o),
            Object::NetworkPolicy(o) => Resource::NetworkPolicy(o),
            Object::AdminNetworkPolicy(o) => Resource::AdminNetworkPolicy(o),
            Object::BaselineAdminNetworkPolicy(o) => Resource::BaselineAdminNetworkPolicy(o),
            Object::Route(o) => Resource::Route(o),
            Object::GatewayClass(o) => Resource::GatewayApi(G::GatewayClass(o)),
            Object::Gateway(o) => Resource::GatewayApi(G::Gateway(o)),
            Object::HttpRoute(o) => Resource::GatewayApi(G::HttpRoute(o)),
            Object::GrpcRoute(o) => Resource::GatewayApi(G::GrpcRoute(o)),
            Object::ReferenceGrant(o) => Resource::GatewayApi(G::ReferenceGrant(o)),
            Object::TlsRoute(o) => Resource::GatewayApi(G::TlsRoute(o)),
            Object::TcpRoute(o) => Resource::GatewayApi(G::TcpRoute(o)),
            Object::UdpRoute(o) => Resource::GatewayApi(G::UdpRoute(o)),
            Object::CiliumNetworkPolicy(o) => cilium(CiliumKind::NetworkPolicy, o),
            Object::CiliumClusterwideNetworkPolicy(o) => cilium(CiliumKind::ClusterwideNetworkPolicy, o),
            Object::CalicoNetworkPolicy(o) => Resource::Calico(CalicoObject::NetworkPolicy(o)),
            Object::CalicoGlobalNetworkPolicy(o) => Resource::Calico(CalicoObject::GlobalNetworkPolicy(o)),
            Object::CalicoTier(o) => Resource::Calico(CalicoObject::Tier(o)),
            Object::CalicoInstallation(o) => Resource::Calico(CalicoObject::Installation(o)),
            Object::Secret(o) => Resource::Secret(o),
            Object::ConfigMap(o) => Resource::ConfigMap(o),
        }
    }
}

/// One call of the loader to the builder, to write.
#[derive(Serialize)]
pub(super) enum RecordRef<'a> {
    Add(ObjectRef<'a>, OriginRef),
    Diagnostic(DiagnosticRecord<'a>),
    SkipObject(SkipRecord<'a>, OriginRef),
    UnmodelledRoute(UnmodelledRecord<'a>, OriginRef),
}

/// One call of the loader to the builder, read back: strings borrow from
/// the file's bytes until they become the builder's.
#[derive(Deserialize)]
#[allow(clippy::large_enum_variant)]
pub(super) enum Record<'a> {
    Add(Object, #[serde(borrow)] OriginRecord<'a>),
    Diagnostic(#[serde(borrow)] DiagnosticRecord<'a>),
    SkipObject(#[serde(borrow)] SkipRecord<'a>, #[serde(borrow)] OriginRecord<'a>),
    UnmodelledRoute(#[serde(borrow)] UnmodelledRecord<'a>, #[serde(borrow)] OriginRecord<'a>),
}

/// An [`Origin`] to write: the file by its index in the snapshot's file table.
#[derive(Serialize)]
pub(super) struct OriginRef {
    file: Option<u32>,
    line: u32,
    /// Field paths in path order, with their lines and columns.
    fields: Vec<(String, u32, u32)>,
}

/// An [`OriginRef`] read back, its paths borrowed from the file's bytes.
#[derive(Deserialize)]
pub(super) struct OriginRecord<'a> {
    file: Option<u32>,
    line: u32,
    #[serde(borrow)]
    fields: Vec<(&'a str, u32, u32)>,
}

/// A [`Diagnostic`], column included.
#[derive(Serialize, Deserialize)]
pub(super) struct DiagnosticRecord<'a> {
    #[serde(borrow)]
    file: Option<std::borrow::Cow<'a, str>>,
    line: u32,
    column: u32,
    /// 0 note, 1 warning, 2 error.
    severity: u8,
    #[serde(borrow)]
    message: std::borrow::Cow<'a, str>,
}

/// An object of a kind the model does not use.
#[derive(Serialize, Deserialize)]
pub(super) struct SkipRecord<'a> {
    #[serde(borrow)]
    pub(super) kind: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    pub(super) api_version: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    pub(super) namespace: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    pub(super) name: std::borrow::Cow<'a, str>,
}

/// An [`UnmodelledRoute`].
#[derive(Serialize, Deserialize)]
pub(super) struct UnmodelledRecord<'a> {
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
    namespace: String,
    name: String,
    hosts: Vec<String>,
}

/// The files origins name, each stored once.
#[derive(Default)]
pub(super) struct FileTable {
    names: Vec<Arc<str>>,
    index: std::collections::HashMap<Arc<str>, u32>,
}

impl FileTable {
    /// The table read back.
    pub(super) fn from_names(names: Vec<String>) -> FileTable {
        FileTable { names: names.into_iter().map(Arc::from).collect(), index: Default::default() }
    }

    /// The names, in index order.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|name| &**name)
    }

    fn intern(&mut self, file: &Arc<str>) -> u32 {
        if let Some(&index) = self.index.get(file) {
            return index;
        }
        let index = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(file.clone());
        self.index.insert(file.clone(), index);
        index
    }
}

impl OriginRef {
    pub(super) fn of(origin: &Origin, files: &mut FileTable) -> OriginRef {
        OriginRef {
            file: origin.file.as_ref().map(|file| files.intern(file)),
            line: origin.line,
            fields: origin.fields.to_triples(),
        }
    }
}

impl OriginRecord<'_> {
    /// The origin, or why the record is not one (a file index past the table).
    pub(super) fn into_origin(self, files: &FileTable) -> Result<Origin, String> {
        let file = match self.file {
            None => None,
            Some(index) => Some(
                files
                    .names
                    .get(index as usize)
                    .cloned()
                    .ok_or_else(|| format!("file number {index} is not in its file table"))?,
            ),
        };
        let fields = FieldLines::from_sorted_with_columns(self.fields.iter().copied());
        Ok(Origin { file, line: self.line, fields: Arc::new(fields) })
    }
}

impl<'a> DiagnosticRecord<'a> {
    pub(super) fn of(diagnostic: &'a Diagnostic) -> DiagnosticRecord<'a> {
        let location = &diagnostic.location;
        DiagnosticRecord {
            file: location.file.as_deref().map(Into::into),
            line: location.line,
            column: location.column,
            severity: match diagnostic.severity {
                Severity::Note => 0,
                Severity::Warning => 1,
                Severity::Error => 2,
            },
            message: diagnostic.message.as_str().into(),
        }
    }

    pub(super) fn into_diagnostic(self) -> Result<Diagnostic, String> {
        let severity = match self.severity {
            0 => Severity::Note,
            1 => Severity::Warning,
            2 => Severity::Error,
            other => return Err(format!("unknown severity {other}")),
        };
        let location = Location { file: self.file.map(Into::into), line: self.line, column: self.column };
        Ok(Diagnostic { location, severity, message: self.message.into() })
    }
}

impl<'a> UnmodelledRecord<'a> {
    pub(super) fn of(route: &UnmodelledRoute) -> UnmodelledRecord<'a> {
        UnmodelledRecord {
            kind: route.kind.into(),
            namespace: route.namespace.clone(),
            name: route.name.clone(),
            hosts: route.hosts.clone(),
        }
    }

    pub(super) fn into_route(self) -> Result<UnmodelledRoute, String> {
        let kind = kubereach_core::unmodelled::kind_named(&self.kind)
            .ok_or_else(|| format!("unknown routing kind `{}`", self.kind))?;
        Ok(UnmodelledRoute { kind, namespace: self.namespace, name: self.name, hosts: self.hosts })
    }
}
