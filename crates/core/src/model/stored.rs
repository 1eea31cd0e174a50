//! How the builder holds objects until `build`: each boxed at its own size.
//! A [`Resource`] is as large as its largest kind (about 3 KB, a Deployment
//! or a Pod); most objects are far smaller (a NetworkPolicy about 500 bytes,
//! a Service 800), and a large cluster has hundreds of thousands of them.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Namespace as K8sNamespace, Node, Pod as K8sPod, ReplicationController, Secret,
    Service,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass, NetworkPolicy};

use super::{Object, Origin, Resource};
use crate::admin_policy::{AdminNetworkPolicy, BaselineAdminNetworkPolicy};

/// An object as the builder keeps it.
#[derive(Debug)]
pub(super) struct StoredObject {
    value: Compact,
    /// Where it came from.
    pub(super) origin: Origin,
}

impl StoredObject {
    pub(super) fn new(resource: Resource, origin: Origin) -> StoredObject {
        StoredObject { value: Compact::from(resource), origin }
    }

    /// The object, unboxed.
    pub(super) fn into_object(self) -> Object<Resource> {
        Object { value: Resource::from(self.value), origin: self.origin }
    }
}

/// Declares `Compact`, [`Resource`] with each variant's value boxed.
macro_rules! compact {
    ($($variant:ident($type:ty)),* $(,)?) => {
        #[derive(Debug)]
        enum Compact {
            $($variant(Box<$type>),)*
        }

        impl From<Resource> for Compact {
            fn from(resource: Resource) -> Compact {
                match resource {
                    $(Resource::$variant(value) => Compact::$variant(Box::new(value)),)*
                }
            }
        }

        impl From<Compact> for Resource {
            fn from(compact: Compact) -> Resource {
                match compact {
                    $(Compact::$variant(value) => Resource::$variant(*value),)*
                }
            }
        }
    };
}

compact!(
    Namespace(K8sNamespace),
    Node(Node),
    Pod(K8sPod),
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
    Route(crate::model::openshift_route::Route),
    GatewayApi(crate::model::gateway_api::GatewayApiObject),
    Cilium(crate::cilium::CiliumObject),
    Calico(crate::calico::CalicoObject),
    Secret(Secret),
    ConfigMap(ConfigMap),
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_object_comes_back_as_it_went_in() {
        let policy: NetworkPolicy = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "deny", "namespace": "shop"}, "spec": {"podSelector": {}}
        }))
        .unwrap();
        let origin = Origin { line: 7, ..Origin::default() };
        let object = StoredObject::new(Resource::NetworkPolicy(policy.clone()), origin.clone()).into_object();
        assert_eq!((object.value, object.origin), (Resource::NetworkPolicy(policy), origin));
        assert!(std::mem::size_of::<Compact>() <= 16, "each kind is boxed");
    }
}
