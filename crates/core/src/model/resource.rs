//! What every [`Resource`] has: its kind, whether it is namespaced, its metadata.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Resource;

impl Resource {
    /// The Kubernetes `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Resource::Namespace(_) => "Namespace",
            Resource::Node(_) => "Node",
            Resource::Pod(_) => "Pod",
            Resource::Deployment(_) => "Deployment",
            Resource::StatefulSet(_) => "StatefulSet",
            Resource::DaemonSet(_) => "DaemonSet",
            Resource::ReplicaSet(_) => "ReplicaSet",
            Resource::ReplicationController(_) => "ReplicationController",
            Resource::Job(_) => "Job",
            Resource::CronJob(_) => "CronJob",
            Resource::Service(_) => "Service",
            Resource::Endpoints(_) => "Endpoints",
            Resource::EndpointSlice(_) => "EndpointSlice",
            Resource::Ingress(_) => "Ingress",
            Resource::Route(_) => "Route",
            Resource::GatewayApi(o) => o.kind(),
            Resource::Cilium(o) => o.kind.as_str(),
            // Keyed apart from the Kubernetes kinds of the same name.
            Resource::Calico(o) => match o {
                crate::calico::CalicoObject::NetworkPolicy(_) => "NetworkPolicy.projectcalico.org",
                crate::calico::CalicoObject::GlobalNetworkPolicy(_) => "GlobalNetworkPolicy",
                crate::calico::CalicoObject::Tier(_) => "Tier",
                crate::calico::CalicoObject::Installation(_) => "Installation",
            },
            Resource::IngressClass(_) => "IngressClass",
            Resource::NetworkPolicy(_) => "NetworkPolicy",
            Resource::AdminNetworkPolicy(_) => "AdminNetworkPolicy",
            Resource::BaselineAdminNetworkPolicy(_) => "BaselineAdminNetworkPolicy",
            Resource::Secret(_) => "Secret",
            Resource::ConfigMap(_) => "ConfigMap",
        }
    }

    /// Whether objects of this kind live in a namespace.
    pub fn is_namespaced(&self) -> bool {
        if let Resource::GatewayApi(o) = self {
            return o.is_namespaced();
        }
        if let Resource::Calico(o) = self {
            return o.is_namespaced();
        }
        if let Resource::Cilium(o) = self {
            return o.kind == crate::cilium::CiliumKind::NetworkPolicy;
        }
        !matches!(
            self,
            Resource::Namespace(_)
                | Resource::Node(_)
                | Resource::IngressClass(_)
                | Resource::AdminNetworkPolicy(_)
                | Resource::BaselineAdminNetworkPolicy(_)
        )
    }

    /// The object's metadata.
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Resource::Namespace(o) => &o.metadata,
            Resource::Node(o) => &o.metadata,
            Resource::Pod(o) => &o.metadata,
            Resource::Deployment(o) => &o.metadata,
            Resource::StatefulSet(o) => &o.metadata,
            Resource::DaemonSet(o) => &o.metadata,
            Resource::ReplicaSet(o) => &o.metadata,
            Resource::ReplicationController(o) => &o.metadata,
            Resource::Job(o) => &o.metadata,
            Resource::CronJob(o) => &o.metadata,
            Resource::Service(o) => &o.metadata,
            Resource::Endpoints(o) => &o.metadata,
            Resource::EndpointSlice(o) => &o.metadata,
            Resource::Ingress(o) => &o.metadata,
            Resource::Route(o) => &o.metadata,
            Resource::GatewayApi(o) => o.metadata(),
            Resource::Cilium(o) => &o.policy.metadata,
            Resource::Calico(o) => o.metadata(),
            Resource::IngressClass(o) => &o.metadata,
            Resource::NetworkPolicy(o) => &o.metadata,
            Resource::AdminNetworkPolicy(o) => &o.metadata,
            Resource::BaselineAdminNetworkPolicy(o) => &o.metadata,
            Resource::Secret(o) => &o.metadata,
            Resource::ConfigMap(o) => &o.metadata,
        }
    }

    pub(super) fn metadata_mut(&mut self) -> &mut ObjectMeta {
        match self {
            Resource::Namespace(o) => &mut o.metadata,
            Resource::Node(o) => &mut o.metadata,
            Resource::Pod(o) => &mut o.metadata,
            Resource::Deployment(o) => &mut o.metadata,
            Resource::StatefulSet(o) => &mut o.metadata,
            Resource::DaemonSet(o) => &mut o.metadata,
            Resource::ReplicaSet(o) => &mut o.metadata,
            Resource::ReplicationController(o) => &mut o.metadata,
            Resource::Job(o) => &mut o.metadata,
            Resource::CronJob(o) => &mut o.metadata,
            Resource::Service(o) => &mut o.metadata,
            Resource::Endpoints(o) => &mut o.metadata,
            Resource::EndpointSlice(o) => &mut o.metadata,
            Resource::Ingress(o) => &mut o.metadata,
            Resource::Route(o) => &mut o.metadata,
            Resource::GatewayApi(o) => o.metadata_mut(),
            Resource::Cilium(o) => &mut o.policy.metadata,
            Resource::Calico(o) => o.metadata_mut(),
            Resource::IngressClass(o) => &mut o.metadata,
            Resource::NetworkPolicy(o) => &mut o.metadata,
            Resource::AdminNetworkPolicy(o) => &mut o.metadata,
            Resource::BaselineAdminNetworkPolicy(o) => &mut o.metadata,
            Resource::Secret(o) => &mut o.metadata,
            Resource::ConfigMap(o) => &mut o.metadata,
        }
    }
}
