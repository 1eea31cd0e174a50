//! Each test names the Kubernetes (or CNI) documentation of the behaviour.

use serde_json::{json, Value};

use super::*;
use crate::testing::cluster;

fn lb(spec: Value, status: Option<Value>) -> Value {
    let mut spec = spec;
    spec["type"] = json!("LoadBalancer");
    spec["selector"] = json!({"app": "web"});
    let mut service =
        json!({"kind": "Service", "metadata": {"name": "web", "namespace": "prod"}, "spec": spec});
    if let Some(status) = status {
        service["status"] = status;
    }
    service
}

fn node(name: &str, address: &str, provider_id: Option<&str>) -> Value {
    let mut node = json!({"kind": "Node", "metadata": {"name": name},
                          "status": {"addresses": [{"type": "InternalIP", "address": address}]}});
    if let Some(id) = provider_id {
        node["spec"] = json!({"providerID": id});
    }
    node
}

fn pod(name: &str, node: &str, ports: Value, host_network: bool) -> Value {
    json!({"kind": "Pod", "metadata": {"name": name, "namespace": "prod", "labels": {"app": "web"}},
           "spec": {"nodeName": node, "hostNetwork": host_network,
                    "containers": [{"name": "c", "image": "c:1", "ports": ports}]},
           "status": {"phase": "Running", "podIP": "10.0.0.5"}})
}

fn reach(objects: Vec<Value>) -> LoadBalancerReach {
    let cluster = cluster(objects);
    load_balancer_reach(&cluster, &cluster.services()[0].value).expect("a LoadBalancer Service")
}

// "The actual creation of the load balancer happens asynchronously, and
// information about the provisioned balancer is published in the Service's
// `.status.loadBalancer` field"; without a provisioner nothing fills it
// (https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer).
#[test]
fn load_balancer_addresses_come_only_from_a_detected_provisioner() {
    let ports = json!({"ports": [{"port": 443, "nodePort": 31443}]});
    let provisioned = json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}});
    assert!(matches!(
        reach(vec![lb(ports.clone(), Some(provisioned))]),
        LoadBalancerReach::Provisioned { .. }
    ));

    // A manifest, and nothing in the input provisions addresses: pending.
    let pending = reach(vec![lb(ports.clone(), None)]);
    let LoadBalancerReach::Pending { has_status: false, provisioners, node_ports } = pending else {
        panic!("{pending:?}")
    };
    assert!(provisioners.is_empty());
    assert_eq!(node_ports, vec![(443, NodePortState::Assigned { node_port: 31443 })]);

    // A manifest in a cloud cluster: the cloud's controller gives an address at creation.
    let cloud =
        reach(vec![lb(ports.clone(), None), node("n1", "10.1.0.1", Some("aws:///eu-west-1a/i-0abc"))]);
    assert_eq!(
        cloud,
        LoadBalancerReach::AtCreation {
            provisioners: vec![LoadBalancerProvisioner::Cloud { provider: "aws".to_owned() }]
        }
    );

    // A dump whose status is empty is pending, provisioner or not.
    let dump = reach(vec![
        lb(ports, Some(json!({"loadBalancer": {}}))),
        node("n1", "10.1.0.1", Some("aws:///eu-west-1a/i-0abc")),
    ]);
    assert!(matches!(dump, LoadBalancerReach::Pending { has_status: true, .. }), "{dump:?}");
}

// "You can optionally disable node port allocation for a Service of
// type: LoadBalancer, by setting the field spec.allocateLoadBalancerNodePorts
// to false" (https://kubernetes.io/docs/concepts/services-networking/service/#load-balancer-nodeport-allocation).
#[test]
fn pending_load_balancers_keep_their_node_ports_unless_disabled() {
    let spec = json!({"allocateLoadBalancerNodePorts": false, "ports": [{"port": 80}]});
    let LoadBalancerReach::Pending { node_ports, .. } = reach(vec![lb(spec, None)]) else { panic!() };
    assert_eq!(node_ports, vec![(80, NodePortState::None)]);
    let LoadBalancerReach::Pending { node_ports, .. } =
        reach(vec![lb(json!({"ports": [{"port": 80}]}), None)])
    else {
        panic!()
    };
    assert_eq!(node_ports, vec![(80, NodePortState::Unallocated)]);
}

// "If specified and supported by the platform, this will restrict traffic
// through the cloud-provider load-balancer to the specified client IPs"
// (API reference, ServiceSpec.loadBalancerSourceRanges); the beta
// annotation is the older spelling
// (https://kubernetes.io/docs/tasks/access-application-cluster/configure-cloud-provider-firewall/).
#[test]
fn source_ranges_drop_other_clients() {
    let cluster = cluster(vec![lb(
        json!({"ports": [{"port": 80}], "loadBalancerSourceRanges": ["203.0.113.0/24", "198.51.100.7/32"]}),
        None,
    )]);
    let service = &cluster.services()[0].value;
    let check = |ip: &str| check_source_range(service, Some(ip.parse().unwrap()));
    assert_eq!(check("203.0.113.9"), SourceRangeCheck::Admitted { range: "203.0.113.0/24".to_owned() });
    assert_eq!(check("198.51.100.7"), SourceRangeCheck::Admitted { range: "198.51.100.7/32".to_owned() });
    assert!(matches!(check("192.0.2.1"), SourceRangeCheck::Dropped { .. }));
    assert!(matches!(check_source_range(service, None), SourceRangeCheck::Restricted { .. }));

    let mut annotated = lb(json!({"ports": [{"port": 80}]}), None);
    annotated["metadata"]["annotations"] = json!({SOURCE_RANGES_ANNOTATION: "10.0.0.0/8, 192.0.2.0/24"});
    let cluster = crate::testing::cluster(vec![annotated]);
    let service = &cluster.services()[0].value;
    assert_eq!(load_balancer_source_ranges(service), vec!["10.0.0.0/8", "192.0.2.0/24"]);
    assert!(matches!(
        check_source_range(service, Some("192.0.2.5".parse().unwrap())),
        SourceRangeCheck::Admitted { .. }
    ));

    let open = crate::testing::cluster(vec![lb(json!({"ports": [{"port": 80}]}), None)]);
    assert_eq!(check_source_range(&open.services()[0].value, None), SourceRangeCheck::Unrestricted);
}

// "packets sent to Services with Type=NodePort are source NAT'd by
// default"; with `externalTrafficPolicy: Local` "the client_address is
// always the correct client IP"
// (https://kubernetes.io/docs/tutorials/services/source-ip/).
#[test]
fn cluster_policy_shows_a_node_address_to_the_pods() {
    let nodes = vec![node("n1", "192.168.0.11", None), node("n2", "192.168.0.12", None)];
    let mut objects = nodes.clone();
    objects.push(lb(json!({"ports": [{"port": 80}]}), None));
    let cluster = crate::testing::cluster(objects);
    let service = &cluster.services()[0].value;
    let n1 = ("n1".to_owned(), "192.168.0.11".parse().unwrap());
    let n2 = ("n2".to_owned(), "192.168.0.12".parse().unwrap());
    assert_eq!(
        source_at_pods(&cluster, service, Arrival::NodePort { node: Some("n2") }),
        SourceAtPods::Node { addresses: vec![n2.clone()] }
    );
    assert_eq!(
        source_at_pods(&cluster, service, Arrival::LoadBalancer),
        SourceAtPods::Node { addresses: vec![n1, n2] }
    );

    let mut objects = nodes;
    objects.push(lb(json!({"ports": [{"port": 80}], "externalTrafficPolicy": "Local"}), None));
    let cluster = crate::testing::cluster(objects);
    let service = &cluster.services()[0].value;
    assert_eq!(source_at_pods(&cluster, service, Arrival::ExternalIp), SourceAtPods::Client);

    // No nodes in the input: a node address, unknown.
    let cluster = crate::testing::cluster(vec![lb(json!({"ports": [{"port": 80}]}), None)]);
    let service = &cluster.services()[0].value;
    assert_eq!(
        source_at_pods(&cluster, service, Arrival::LoadBalancer),
        SourceAtPods::Node { addresses: Vec::new() }
    );
}

// portmap: "forward traffic from one or more ports on the host to the
// container" (https://www.cni.dev/plugins/current/meta/portmap/); a
// hostNetwork pod uses the node's network namespace.
#[test]
fn host_ports_bind_on_the_pods_node_only() {
    let cluster = cluster(vec![
        pod("a", "n1", json!([{"containerPort": 8080, "hostPort": 80}]), false),
        pod("b", "n2", json!([{"containerPort": 9100}]), true),
        pod("c", "n2", json!([{"containerPort": 53, "hostPort": 53, "protocol": "UDP"}]), false),
    ]);
    let on = |node: Option<&str>, port: i32, protocol: Protocol| {
        node_bindings(&cluster, node, port, protocol)
            .into_iter()
            .map(|b| (cluster.pod(b.pod).name.clone(), b.container_port, b.how))
            .collect::<Vec<_>>()
    };
    assert_eq!(on(Some("n1"), 80, Protocol::Tcp), vec![("a".to_owned(), 8080, Binding::HostPort)]);
    assert_eq!(on(Some("n2"), 80, Protocol::Tcp), vec![]);
    assert_eq!(on(Some("n2"), 9100, Protocol::Tcp), vec![("b".to_owned(), 9100, Binding::HostNetwork)]);
    assert_eq!(on(None, 53, Protocol::Tcp), vec![]);
    assert_eq!(on(None, 53, Protocol::Udp), vec![("c".to_owned(), 53, Binding::HostPort)]);
}

// A client reaches an ingress controller only on the ports its Service
// (or its hostPorts) expose
// (https://kubernetes.github.io/ingress-nginx/deploy/baremetal/).
#[test]
fn controller_exposure_is_the_union_of_its_services_and_host_ports() {
    let cluster = cluster(vec![
        pod("controller", "n1", json!([{"containerPort": 80}, {"containerPort": 443}]), false),
        lb(
            json!({"ports": [{"name": "http", "port": 80, "nodePort": 30080}, {"name": "https", "port": 443}]}),
            None,
        ),
    ]);
    let pods: Vec<PodId> = vec![PodId(0)];
    let exposure = pods_exposure(&cluster, &pods);
    assert!(exposure.accepts(80) && exposure.accepts(443) && exposure.accepts(30080));
    assert!(!exposure.accepts(8080));
    assert_eq!(exposure.ports().into_iter().collect::<Vec<_>>(), vec![80, 443]);

    let daemon = crate::testing::cluster(vec![pod(
        "controller",
        "n1",
        json!([{"containerPort": 80, "hostPort": 80}, {"containerPort": 443, "hostPort": 443}]),
        false,
    )]);
    let exposure = pods_exposure(&daemon, &[PodId(0)]);
    assert!(exposure.accepts(443) && !exposure.accepts(8080));

    let hidden =
        crate::testing::cluster(vec![pod("controller", "n1", json!([{"containerPort": 80}]), false)]);
    assert!(pods_exposure(&hidden, &[PodId(0)]).is_unknown());
}

// How a connection from outside arrives at the controller's Service, by
// the one rule `accepts` and `exposing_port` share: a `LoadBalancer`'s
// address and `externalIPs` take the Service ports, every node takes the
// node ports, and a `NodePort` Service's own port is only on its cluster IP
// (https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport,
// `#external-ips`; ingress-nginx on bare metal: clients use the node port,
// https://kubernetes.github.io/ingress-nginx/deploy/baremetal/#over-a-nodeport-service).
#[test]
fn a_node_port_services_own_port_is_not_reached_from_outside() {
    let node_port = |extra: Value| {
        let mut spec = json!({"type": "NodePort", "selector": {"app": "web"},
                              "ports": [{"name": "http", "port": 80, "nodePort": 30080}]});
        spec.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        cluster(vec![
            pod("controller", "n1", json!([{"containerPort": 80}]), false),
            json!({"kind": "Service", "metadata": {"name": "web", "namespace": "prod"}, "spec": spec}),
        ])
    };
    let plain = node_port(json!({}));
    let exposure = pods_exposure(&plain, &[PodId(0)]);
    assert!(!exposure.accepts(80) && exposure.accepts(30080));
    assert_eq!(exposure.ports().into_iter().collect::<Vec<_>>(), vec![30080]);
    assert!(exposing_port(&plain, &[PodId(0)], 80).is_none());
    let at_node = exposing_port(&plain, &[PodId(0)], 30080).expect("the node port");
    assert_eq!((at_node.port.port, at_node.arrival), (80, Arrival::NodePort { node: None }));

    // With `externalIPs`, the Service port is reached at those addresses.
    let external = node_port(json!({"externalIPs": ["198.51.100.10"]}));
    assert!(pods_exposure(&external, &[PodId(0)]).accepts(80));
    let at_ip = exposing_port(&external, &[PodId(0)], 80).expect("the external IP");
    assert_eq!((at_ip.port.port, at_ip.arrival), (80, Arrival::ExternalIp));

    // A `LoadBalancer`: its address on the Service port, the nodes on the node port.
    let balanced = cluster(vec![
        pod("controller", "n1", json!([{"containerPort": 80}]), false),
        lb(json!({"ports": [{"name": "http", "port": 80, "nodePort": 30080}]}), None),
    ]);
    let arrival = |port| exposing_port(&balanced, &[PodId(0)], port).map(|a| (a.port.port, a.arrival));
    assert_eq!(arrival(80), Some((80, Arrival::LoadBalancer)));
    assert_eq!(arrival(30080), Some((80, Arrival::NodePort { node: None })));
    assert_eq!(arrival(8080), None);
}
