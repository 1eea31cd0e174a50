//! The `service-type` and `service-port` layers.

use super::*;

// ClusterIP is reachable from inside the cluster only, by design
// (https://kubernetes.io/docs/concepts/services-networking/service/#type-clusterip).
#[test]
fn cluster_ip_from_outside() {
    check(
        base(),
        "external",
        "svc/prod/api:80",
        "pass source\nfail service-type\n=> blocked at service-type",
        &[
            (
                Layer::ServiceType,
                "`prod/api` is `ClusterIP`: reachable only from inside the cluster, by design",
            ),
            (Layer::ServiceType, "`type: LoadBalancer`"),
        ],
    );
    check(
        base(),
        "external",
        "http://10.96.1.1/",
        "pass source\nfail service-type\n=> blocked at service-type",
        &[(Layer::ServiceType, "by design")],
    );
    check(
        base(),
        "external",
        "http://api.prod/",
        "pass source\nfail dns\n=> blocked at dns",
        &[(Layer::Dns, "a cluster DNS name (Service `prod/api`): it does not resolve outside the cluster")],
    );
    // externalIPs make nodes accept traffic for any Service type
    // (https://kubernetes.io/docs/concepts/services-networking/service/#external-ips).
    let external_ips = replace(
        base(),
        service(
            "prod",
            "api",
            json!({"clusterIP": "10.96.1.1", "externalIPs": ["198.51.100.20"], "selector": {"app": "api"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}),
        ),
    );
    check(
        external_ips,
        "external",
        "http://198.51.100.20/",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::ServiceType, "lists `198.51.100.20` in `externalIPs`")],
    );
}

// A LoadBalancer needs a provisioner; in a dump, an empty
// status.loadBalancer means none has acted, and a manifest gets an address
// only where the input shows a provisioner; its node ports still work
// (https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer).
#[test]
fn pending_load_balancers() {
    let pending = json!({"kind": "Service", "metadata": {"name": "lb", "namespace": "prod"},
                         "spec": {"type": "LoadBalancer", "selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080}]},
                         "status": {"loadBalancer": {}}});
    check(
        with(vec![pending.clone()]),
        "external",
        "svc/prod/lb:80",
        "pass source\nfail service-type\n=> blocked at service-type",
        &[
            (Layer::ServiceType, "pending: no provisioner has published an address"),
            (Layer::ServiceType, "node port 30080 still works on every node"),
        ],
    );
    let mut manifest = pending;
    manifest.as_object_mut().unwrap().remove("status");
    check(
        with(vec![manifest.clone()]),
        "external",
        "svc/prod/lb:80",
        "pass source\nfail service-type\n=> blocked at service-type",
        &[(Layer::ServiceType, "the input shows no load-balancer provisioner")],
    );
    let cloud =
        json!({"kind": "Node", "metadata": {"name": "n1"}, "spec": {"providerID": "gce://project/zone/n1"}});
    check(
        with(vec![manifest, cloud]),
        "external",
        "svc/prod/lb:80",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::ServiceType, "the `gce` cloud provider gives it an address at creation")],
    );
}

// ExternalName is a CNAME: no proxying, no ports, no policy on the Service
// (https://kubernetes.io/docs/concepts/services-networking/service/#externalname).
#[test]
fn external_name_services() {
    let objects = with(vec![
        service("web", "db", json!({"type": "ExternalName", "externalName": "db.example.com"})),
        service("web", "api", json!({"type": "ExternalName", "externalName": "api.prod.svc.cluster.local"})),
    ]);
    check(
        objects.clone(),
        "web/client",
        "db:5432",
        "pass source\npass dns\npass service-type\npass network-policy-egress\npass cni\n=> allowed",
        &[
            (Layer::ServiceType, "a DNS CNAME to `db.example.com`; no proxying, no ports"),
            (Layer::ServicePort, "no ports"),
        ],
    );
    check(
        objects.clone(),
        "web/client",
        "http://api/",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Dns, "CNAME to `api.prod.svc.cluster.local`"), (Layer::ServiceType, "is Service `prod/api`")],
    );
    check(
        objects,
        "external",
        "svc/web/db:5432",
        "pass source\nfail service-type\n=> blocked at service-type",
        &[(Layer::ServiceType, "connect to `db.example.com` directly")],
    );
}

// A headless Service has no virtual IP: DNS returns the ready pods, and the
// client connects to them on the port it asked for
// (https://kubernetes.io/docs/concepts/services-networking/service/#headless-services).
#[test]
fn headless_services_go_straight_to_pods() {
    let objects = with(vec![service(
        "prod",
        "api-headless",
        json!({"clusterIP": "None", "selector": {"app": "api"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}),
    )]);
    check(
        objects.clone(),
        "prod/frontend",
        "api-headless:8080",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::ServicePort, "no port translation, the client connects to port 8080"), (Layer::Destination, "TCP 8080")],
    );
    // Port 80 is the Service port: without a proxy nothing translates it.
    check(
        objects,
        "prod/frontend",
        "api-headless:80",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\nwarn destination\n=> allowed",
        &[(Layer::Destination, "does not declare TCP 80")],
    );
}

// ---- service-port ----

// A client connects to the Service port; targetPort is where the pod
// listens (https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service).
#[test]
fn service_ports_by_number_and_name() {
    check(
        base(),
        "web/client",
        "svc/prod/api:http",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[],
    );
    check(
        base(),
        "web/client",
        "http://api.prod:8080/",
        "pass source\npass dns\npass service-type\nfail service-port\n=> blocked at service-port",
        &[
            (Layer::ServicePort, "8080 is the container port behind Service port 80 (`http`)"),
            (Layer::ServicePort, "connect to the Service port, 80"),
        ],
    );
    check_with(
        base(),
        "web/client",
        "svc/kube-system/kube-dns:dns",
        None,
        Protocol::Tcp,
        "pass source\npass service-type\nfail service-port\n=> blocked at service-port",
        &[(Layer::ServicePort, "`dns` is a UDP port: trace with `--protocol udp`")],
    );
}

// The destination's listening sockets are checked with the tool for the
// protocol traced: UDP listeners are not in `netstat -ltn`'s TCP list
// (ss(8): `-u` UDP sockets, `-l` listening).
#[test]
fn udp_destinations_suggest_ss_lun() {
    let trace = run(base(), "web/client", "svc/kube-system/kube-dns:dns", None, Protocol::Udp);
    let destination = trace.steps.iter().find(|s| s.layer == Layer::Destination).unwrap();
    assert_eq!(destination.status, Status::Pass, "{destination:#?}");
    assert!(destination.kubectl.as_deref().is_some_and(|k| k.ends_with("-- ss -lun")), "{destination:#?}");
    let tcp = run(base(), "web/client", "http://api.prod/", None, Protocol::Tcp);
    let destination = tcp.steps.iter().find(|s| s.layer == Layer::Destination).unwrap();
    assert!(
        destination.kubectl.as_deref().is_some_and(|k| k.ends_with("-- netstat -ltn")),
        "{destination:#?}"
    );
}

// A named targetPort resolves per pod; a pod without that port name is not
// an endpoint (https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports).
#[test]
fn named_target_port_missing() {
    let typo = replace(
        base(),
        service(
            "prod",
            "api",
            json!({"clusterIP": "10.96.1.1", "selector": {"app": "api"}, "ports": [{"name": "http", "port": 80, "targetPort": "htpp"}]}),
        ),
    );
    check(
        typo,
        "web/client",
        "http://api.prod/",
        "pass source\npass dns\npass service-type\nfail service-port\n=> blocked at service-port",
        &[
            (
                Layer::ServicePort,
                "targetPort `htpp` of `prod/api` port 80 is not a TCP container port of the selected pods",
            ),
            (Layer::ServicePort, "`http` (8080)"),
        ],
    );
}

#[test]
fn node_ports_out_of_range() {
    let objects = with(vec![service(
        "prod",
        "np",
        json!({"type": "NodePort", "selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": 8080, "nodePort": 80}]}),
    )]);
    check(
        objects,
        "external",
        "svc/prod/np:80",
        "pass source\nfail service-type\n=> blocked at service-type",
        &[
            // The API server rejects the Service (ValidateService: "provided
            // port is not in the valid range"), so it does not exist.
            (Layer::ServiceType, "Service `prod/np` is not in the cluster: the API server rejects it"),
            (
                Layer::ServiceType,
                "spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range",
            ),
            (Layer::ServiceType, "fix `spec.ports[0].nodePort` of Service `prod/np`"),
        ],
    );
}

// Named directly, a headless Service's port is a Service port: its
// targetPort on each pod (the EndpointSlice ports,
// https://kubernetes.io/docs/concepts/services-networking/service/#headless-services).
#[test]
fn headless_services_named_directly() {
    let objects = with(vec![service(
        "prod",
        "api-headless",
        json!({"clusterIP": "None", "selector": {"app": "api"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}),
    )]);
    check(
        objects,
        "prod/frontend",
        "svc/prod/api-headless:80",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::ServicePort, "port `80` stands for targetPort `http` on each pod"), (Layer::Destination, "TCP 8080")],
    );
}
