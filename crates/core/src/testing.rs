//! Clusters built from Kubernetes objects written as JSON, for the unit
//! tests of every layer.

use serde_json::Value;

use crate::calico::CalicoObject;
use crate::cilium::{CiliumKind, CiliumObject};
use crate::gateway::GatewayApiObject;
use crate::model::{Cluster, ClusterBuilder, Resource};
use crate::origin::Origin;

/// A cluster holding `objects`, each a Kubernetes object with its `kind`;
/// kinds the model does not read are counted as skipped, as the loader does.
pub(crate) fn cluster(objects: impl IntoIterator<Item = Value>) -> Cluster {
    let mut builder = ClusterBuilder::new();
    for object in objects {
        match resource(object) {
            Ok(resource) => builder.add(resource, Origin::synthetic()),
            Err(kind) => builder.skip(&kind),
        };
    }
    builder.build()
}

/// One object as a [`Resource`], or its kind when the model does not read it.
pub(crate) fn resource(object: Value) -> Result<Resource, String> {
    fn parse<T: serde::de::DeserializeOwned>(object: Value) -> T {
        serde_json::from_value(object).expect("valid test object")
    }
    let kind = object["kind"].as_str().expect("test objects have a kind").to_owned();
    Ok(match kind.as_str() {
        "Namespace" => Resource::Namespace(parse(object)),
        "Node" => Resource::Node(parse(object)),
        "Pod" => Resource::Pod(parse(object)),
        "Deployment" => Resource::Deployment(parse(object)),
        "StatefulSet" => Resource::StatefulSet(parse(object)),
        "DaemonSet" => Resource::DaemonSet(parse(object)),
        "ReplicaSet" => Resource::ReplicaSet(parse(object)),
        "ReplicationController" => Resource::ReplicationController(parse(object)),
        "Job" => Resource::Job(parse(object)),
        "CronJob" => Resource::CronJob(parse(object)),
        "Service" => Resource::Service(parse(object)),
        "Endpoints" => Resource::Endpoints(parse(object)),
        "EndpointSlice" => Resource::EndpointSlice(parse(object)),
        "Ingress" => Resource::Ingress(parse(object)),
        "IngressClass" => Resource::IngressClass(parse(object)),
        "Route" => Resource::Route(parse(object)),
        "GatewayClass" => Resource::GatewayApi(GatewayApiObject::GatewayClass(parse(object))),
        "Gateway" => Resource::GatewayApi(GatewayApiObject::Gateway(parse(object))),
        "HTTPRoute" => Resource::GatewayApi(GatewayApiObject::HttpRoute(parse(object))),
        "GRPCRoute" => Resource::GatewayApi(GatewayApiObject::GrpcRoute(parse(object))),
        "ReferenceGrant" => Resource::GatewayApi(GatewayApiObject::ReferenceGrant(parse(object))),
        "TLSRoute" => Resource::GatewayApi(GatewayApiObject::TlsRoute(parse(object))),
        "TCPRoute" => Resource::GatewayApi(GatewayApiObject::TcpRoute(parse(object))),
        "UDPRoute" => Resource::GatewayApi(GatewayApiObject::UdpRoute(parse(object))),
        "NetworkPolicy" if object["apiVersion"].as_str().is_some_and(|v| v.contains("projectcalico.org")) => {
            Resource::Calico(CalicoObject::NetworkPolicy(parse(object)))
        }
        "GlobalNetworkPolicy" => Resource::Calico(CalicoObject::GlobalNetworkPolicy(parse(object))),
        "Tier" => Resource::Calico(CalicoObject::Tier(parse(object))),
        "CiliumNetworkPolicy" => {
            Resource::Cilium(CiliumObject { kind: CiliumKind::NetworkPolicy, policy: parse(object) })
        }
        "CiliumClusterwideNetworkPolicy" => Resource::Cilium(CiliumObject {
            kind: CiliumKind::ClusterwideNetworkPolicy,
            policy: parse(object),
        }),
        "NetworkPolicy" => Resource::NetworkPolicy(parse(object)),
        "AdminNetworkPolicy" => Resource::AdminNetworkPolicy(parse(object)),
        "BaselineAdminNetworkPolicy" => Resource::BaselineAdminNetworkPolicy(parse(object)),
        "Secret" => Resource::Secret(parse(object)),
        "ConfigMap" => Resource::ConfigMap(parse(object)),
        _ => return Err(kind),
    })
}
