//! Traces over small clusters, layer by layer. Each test states the
//! Kubernetes behaviour it checks, with the page that documents it.

use serde_json::{json, Value};

use super::*;
use crate::cni::{behaviour, PluginOverrides, PolicyView};
use crate::policy::PolicyOptions;
use crate::testing::cluster;

// ---- fixtures ----

/// A Deployment `namespace/name` whose pods are labelled `app: name`.
fn deployment(namespace: &str, name: &str, replicas: u32, ports: Value) -> Value {
    json!({
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": name, "image": format!("{name}:1"), "ports": ports}]}}},
    })
}

fn service(namespace: &str, name: &str, spec: Value) -> Value {
    json!({"kind": "Service", "metadata": {"name": name, "namespace": namespace}, "spec": spec})
}

fn policy(namespace: &str, name: &str, spec: Value) -> Value {
    json!({"kind": "NetworkPolicy", "metadata": {"name": name, "namespace": namespace}, "spec": spec})
}

/// A running pod with a status, as a dump has it.
fn pod(namespace: &str, name: &str, labels: Value, ports: Value, ip: &str, ready: bool, node: &str) -> Value {
    json!({
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "c:1", "ports": ports}]},
        "status": {"phase": "Running", "podIP": ip,
                   "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]},
    })
}

fn node(name: &str, address: &str) -> Value {
    json!({"kind": "Node", "metadata": {"name": name},
           "status": {"addresses": [{"type": "InternalIP", "address": address}]}})
}

/// Cluster DNS, Calico, and an `api` behind `prod/api` and a `frontend` in
/// `prod`, a `client` in `web`.
fn base() -> Vec<Value> {
    vec![
        json!({"kind": "Deployment", "metadata": {"name": "coredns", "namespace": "kube-system"},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        "template": {"metadata": {"labels": {"k8s-app": "kube-dns"}},
                                     "spec": {"dnsPolicy": "Default", "containers": [{"name": "coredns", "image": "coredns/coredns:1.11.3",
                                              "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                                        {"name": "dns-tcp", "containerPort": 53}]}]}}}}),
        service(
            "kube-system",
            "kube-dns",
            json!({"clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"},
                   "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53}]}),
        ),
        json!({"kind": "DaemonSet", "metadata": {"name": "calico-node", "namespace": "kube-system"},
               "spec": {"selector": {"matchLabels": {"k8s-app": "calico-node"}},
                        "template": {"metadata": {"labels": {"k8s-app": "calico-node"}},
                                     "spec": {"hostNetwork": true, "containers": [{"name": "calico-node", "image": "calico/node:v3.28.0"}]}}}}),
        deployment("prod", "api", 3, json!([{"name": "http", "containerPort": 8080}])),
        service(
            "prod",
            "api",
            json!({"clusterIP": "10.96.1.1", "selector": {"app": "api"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}),
        ),
        deployment("prod", "frontend", 2, json!([{"name": "web", "containerPort": 3000}])),
        deployment("web", "client", 1, json!([])),
    ]
}

fn with(extra: Vec<Value>) -> Vec<Value> {
    let mut objects = base();
    objects.extend(extra);
    objects
}

/// Replaces the object of `kind` called `name` in `objects`.
fn replace(objects: Vec<Value>, object: Value) -> Vec<Value> {
    let same = |o: &Value| o["kind"] == object["kind"] && o["metadata"]["name"] == object["metadata"]["name"];
    let mut objects: Vec<Value> = objects.into_iter().filter(|o| !same(o)).collect();
    objects.push(object);
    objects
}

fn run(objects: Vec<Value>, source: &str, destination: &str, cni: Option<&str>, protocol: Protocol) -> Trace {
    let cluster = cluster(objects);
    let overrides = PluginOverrides { cni: cni.map(str::to_owned), ..PluginOverrides::default() };
    let engine = PolicyEngine::for_plugin(&cluster, behaviour(&cluster, &overrides), PolicyView::AsWritten);
    let options = TraceOptions { protocol, http: Default::default() };
    trace(
        &cluster,
        &engine,
        &TraceSource::parse(source).unwrap(),
        &TraceDestination::parse(destination).unwrap(),
        &options,
    )
}

/// The statuses of the layers that are not skipped, then the verdict.
fn statuses(trace: &Trace) -> String {
    let mut lines: Vec<String> = trace
        .steps
        .iter()
        .filter(|s| s.status != Status::Skip)
        .map(|s| format!("{:?} {}", s.status, s.layer).to_lowercase())
        .collect();
    lines.push(match trace.blocked_at {
        Some(layer) => format!("=> blocked at {layer}"),
        None => "=> allowed".to_owned(),
    });
    lines.join("\n")
}

/// Traces `source` → `destination` and compares the statuses; then each
/// `(layer, text)` of `says` must appear in that step's summary, evidence or fix.
#[track_caller]
fn check(objects: Vec<Value>, source: &str, destination: &str, expect: &str, says: &[(Layer, &str)]) {
    check_with(objects, source, destination, None, Protocol::Tcp, expect, says);
}

#[track_caller]
fn check_with(
    objects: Vec<Value>,
    source: &str,
    destination: &str,
    cni: Option<&str>,
    protocol: Protocol,
    expect: &str,
    says: &[(Layer, &str)],
) {
    let trace = run(objects, source, destination, cni, protocol);
    let dump = serde_json::to_string_pretty(&trace).unwrap();
    assert_eq!(statuses(&trace), expect.trim(), "\n{dump}");
    for (layer, text) in says {
        let step = trace.steps.iter().find(|s| s.layer == *layer).unwrap();
        let found = step.summary.contains(text)
            || step.fix.contains(text)
            || step.evidence.iter().any(|e| e.contains(text));
        assert!(found, "{layer} does not say {text:?}:\n{dump}");
    }
    assert_eq!(trace.steps.len(), 12, "every layer has a step:\n{dump}");
    for step in &trace.steps {
        let first = step.summary.chars().next().unwrap_or('a');
        assert!(
            !first.is_uppercase() && !step.summary.ends_with('.'),
            "wording of {:?}:\n{dump}",
            step.summary
        );
    }
}

// ---- the three patterns ----

// Pod → Service: DNS name → ClusterIP → service port → targetPort → endpoints
// (https://kubernetes.io/docs/concepts/services-networking/service/).
#[test]
fn pod_to_service_through_every_layer() {
    check(
        base(),
        "prod/frontend",
        "http://api.prod/healthz",
        "
pass source
pass dns
pass service-type
pass service-port
pass endpoints
pass readiness
pass network-policy-egress
pass network-policy-ingress
pass cni
pass destination
=> allowed",
        &[
            (Layer::Dns, "`api.prod` resolves to Service `prod/api` at `10.96.1.1`"),
            (Layer::Dns, "query 1: `api.prod.prod.svc.cluster.local` A → NXDOMAIN"),
            (Layer::ServicePort, "port 80 (`http`, TCP) → targetPort `http` = 8080 on the pods"),
            (Layer::Readiness, "3 of 3 endpoints ready (assumed: the input has no pod status)"),
            (Layer::Cni, "`calico` enforces NetworkPolicy"),
            (Layer::Destination, "`prod/api` serves TCP 8080 (`http`)"),
        ],
    );
}

// Pod → pod: every pod reaches every pod without NAT
// (https://kubernetes.io/docs/concepts/services-networking/#the-kubernetes-network-model).
#[test]
fn pod_to_pod_by_name_and_named_port() {
    check(
        base(),
        "web/client",
        "prod/api:http",
        "
pass source
pass readiness
pass network-policy-egress
pass network-policy-ingress
pass cni
pass destination
=> allowed",
        &[(Layer::ServiceType, "pod to pod: no Service, no NAT"), (Layer::Destination, "TCP 8080")],
    );
    check(
        base(),
        "web/client",
        "prod/nope:80",
        "
pass source
fail destination
=> blocked at destination",
        &[(Layer::Destination, "no pod or workload `prod/nope` in the input")],
    );
    check(
        base(),
        "web/client",
        "prod/api:grpc",
        "
pass source
pass readiness
fail destination
=> blocked at destination",
        &[(Layer::Destination, "no container port named `grpc` (TCP) on `prod/api`")],
    );
}

// External → Service: node ports on every node in 30000–32767, load
// balancers built on them
// (https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport).
#[test]
fn external_to_node_port_and_load_balancer() {
    let exposed = with(vec![
        node("n1", "192.168.0.11"),
        service(
            "prod",
            "api-public",
            json!({"type": "NodePort", "selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080}]}),
        ),
        json!({"kind": "Service", "metadata": {"name": "api-lb", "namespace": "prod"},
               "spec": {"type": "LoadBalancer", "selector": {"app": "api"}, "ports": [{"port": 443, "targetPort": 8080}]},
               "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.5"}]}}}),
    ]);
    check(
        exposed.clone(),
        "external",
        "192.168.0.11:30080",
        "
pass source
pass service-type
pass service-port
pass endpoints
pass readiness
pass network-policy-ingress
pass cni
pass destination
=> allowed",
        &[
            (Layer::ServiceType, "`192.168.0.11` is node `n1`"),
            (Layer::ServicePort, "port 80 (TCP) → targetPort 8080"),
        ],
    );
    check(
        exposed.clone(),
        "external:198.51.100.7",
        "https://203.0.113.5/",
        "
pass source
pass service-type
pass service-port
pass endpoints
pass readiness
pass network-policy-ingress
pass cni
pass destination
=> allowed",
        &[(Layer::ServiceType, "`prod/api-lb` is `LoadBalancer`, provisioned at `203.0.113.5`")],
    );
    // A node port on an address the input does not show: assumed a node.
    check(
        exposed,
        "external",
        "10.1.2.3:30080",
        "
pass source
pass service-type
pass service-port
pass endpoints
pass readiness
pass network-policy-ingress
pass cni
pass destination
=> allowed",
        &[(Layer::ServiceType, "`10.1.2.3` is not a node of the input: assumed to be one")],
    );
}

// ---- source ----

#[test]
fn missing_sources_suggest_close_names() {
    check(
        base(),
        "prod/frontnd",
        "http://api.prod/",
        "fail source\n=> blocked at source",
        &[(Layer::Source, "did you mean `prod/frontend`?")],
    );
    check(
        base(),
        "staging/client",
        "http://api.prod/",
        "fail source\n=> blocked at source",
        &[(Layer::Source, "namespace `staging` is not in the input"), (Layer::Source, "`web/client` exists")],
    );
}

// A pod in phase Succeeded or Failed runs no containers
// (https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-phase).
#[test]
fn finished_sources_open_no_connections() {
    let mut done = pod("web", "batch", json!({"app": "batch"}), json!([]), "10.244.2.2", false, "n1");
    done["status"]["phase"] = json!("Succeeded");
    check(
        with(vec![done]),
        "web/batch",
        "http://api.prod/",
        "fail source\n=> blocked at source",
        &[(Layer::Source, "has finished (Succeeded)")],
    );
}

// ---- dns ----

// A short name resolves in the pod's own namespace only; `name.namespace`
// from elsewhere (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#namespaces-of-services).
#[test]
fn names_from_another_namespace_need_the_namespace() {
    check(
        base(),
        "web/client",
        "http://api/",
        "pass source\nfail dns\n=> blocked at dns",
        &[
            (Layer::Dns, "`api` does not resolve: no Service of that name in the pod's namespace"),
            (Layer::Dns, "use `api.prod`"),
        ],
    );
    check(
        base(),
        "web/client",
        "http://api-svc.prod/",
        "pass source\nfail dns\n=> blocked at dns",
        &[(Layer::Dns, "use `api.prod`")],
    );
}

// Pods resolve through the DNS Service: egress isolation must allow UDP and
// TCP 53 to its pods
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic).
#[test]
fn egress_default_deny_without_dns() {
    let deny = policy("web", "deny-egress", json!({"podSelector": {}, "policyTypes": ["Egress"]}));
    check(
        with(vec![deny.clone()]),
        "web/client",
        "http://api.prod/",
        "pass source\nfail dns\n=> blocked at dns",
        &[
            (Layer::Dns, "cannot reach cluster DNS `kube-system/kube-dns`: policies deny UDP and TCP 53"),
            (Layer::Dns, "isolated for egress by NetworkPolicy `web/deny-egress`"),
            (Layer::Dns, "to namespace `kube-system` pods `k8s-app=kube-dns` on UDP and TCP 53"),
        ],
    );
    // UDP allowed, TCP not: a warning (truncated answers retry over TCP).
    let udp_only = policy(
        "web",
        "dns",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"ports": [{"protocol": "UDP", "port": 53}]}]}),
    );
    check(
        with(vec![deny.clone(), udp_only]),
        "web/client",
        "http://api.prod/",
        "pass source\nwarn dns\npass service-type\npass service-port\npass endpoints\npass readiness\nfail network-policy-egress\n=> blocked at network-policy-egress",
        &[(Layer::Dns, "TCP 53 is denied")],
    );
    // An address needs no DNS.
    check(
        with(vec![deny]),
        "web/client",
        "10.96.1.1:80",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\nfail network-policy-egress\n=> blocked at network-policy-egress",
        &[(Layer::Dns, "`10.96.1.1` is an address: no lookup")],
    );
}

#[test]
fn dns_server_without_ready_endpoints() {
    let broken = replace(
        base(),
        service(
            "kube-system",
            "kube-dns",
            json!({"clusterIP": "10.96.0.10", "selector": {"k8s-app": "coredns"},
                   "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53}]}),
        ),
    );
    check(
        broken,
        "web/client",
        "http://api.prod/",
        "pass source\nfail dns\n=> blocked at dns",
        &[(Layer::Dns, "cluster DNS `kube-system/kube-dns` has no ready endpoints")],
    );
    // Without the DNS Service in the input, the labelled `kube-system` pods
    // are the DNS pods, judged by the same policies.
    let without: Vec<Value> = base().into_iter().filter(|o| o["metadata"]["name"] != "kube-dns").collect();
    check(
        without,
        "web/client",
        "http://api.prod/",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Dns, "the cluster DNS Service is not in the input: its pods are taken to be the `kube-system` pods")],
    );
}

// `dnsPolicy: Default` uses the node's resolver, which knows no cluster
// names (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy).
#[test]
fn default_dns_policy_does_not_resolve_cluster_names() {
    let mut client = deployment("web", "client", 1, json!([]));
    client["spec"]["template"]["spec"]["dnsPolicy"] = json!("Default");
    check(
        replace(base(), client),
        "web/client",
        "http://api.prod.svc.cluster.local/",
        "pass source\nfail dns\n=> blocked at dns",
        &[(Layer::Dns, "`dnsPolicy: ClusterFirst`")],
    );
}

// Names outside the cluster domain go upstream; only the client's egress applies
// (https://kubernetes.io/docs/tasks/administer-cluster/dns-custom-nameservers/).
#[test]
fn names_outside_the_cluster() {
    check(
        base(),
        "web/client",
        "https://example.com/",
        "pass source\npass dns\npass network-policy-egress\npass cni\n=> allowed",
        &[
            (Layer::Dns, "`example.com` is outside the cluster domain `cluster.local`: cluster DNS forwards it upstream"),
            (Layer::Dns, "query 1: `example.com.web.svc.cluster.local` A → NXDOMAIN"),
            (Layer::Destination, "outside the cluster"),
        ],
    );
    let only_internal = policy(
        "web",
        "internal-only",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [
            {"to": [{"namespaceSelector": {}}]},
            {"to": [{"ipBlock": {"cidr": "192.0.2.0/24"}}], "ports": [{"port": 443}]}]}),
    );
    check(
        with(vec![only_internal]),
        "web/client",
        "https://example.com/",
        "pass source\npass dns\nwarn network-policy-egress\npass cni\n=> allowed",
        &[(Layer::NetworkPolicyEgress, "only to `192.0.2.0/24`")],
    );
}

// ---- service-type ----

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

// ---- endpoints ----

// A Service sends to the pods its selector matches
// (https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/#does-the-service-have-any-endpointslices).
#[test]
fn selector_typo() {
    let typo = replace(
        base(),
        service(
            "prod",
            "api",
            json!({"clusterIP": "10.96.1.1", "selector": {"app": "apj"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}),
        ),
    );
    check(
        typo,
        "web/client",
        "http://api.prod/",
        "pass source\npass dns\npass service-type\npass service-port\nfail endpoints\n=> blocked at endpoints",
        &[
            (Layer::Endpoints, "the selector `app=apj` of `prod/api` selects no pods in `prod`"),
            (Layer::Endpoints, "Deployment `prod/api` has `app=api`, not `app=apj`"),
            (Layer::Endpoints, "set the selector of `prod/api` to `app=api`"),
        ],
    );
}

// Without a selector, endpoints are managed by hand
// (https://kubernetes.io/docs/concepts/services-networking/service/#services-without-selectors).
#[test]
fn services_without_selector() {
    let bare = vec![service("prod", "ext", json!({"ports": [{"port": 5432}]}))];
    check(
        with(bare.clone()),
        "web/client",
        "svc/prod/ext:5432",
        "pass source\npass service-type\npass service-port\nfail endpoints\n=> blocked at endpoints",
        &[(Layer::Endpoints, "has no selector, and the input has no EndpointSlices for it")],
    );
    let mut objects = with(bare);
    objects.push(json!({"kind": "EndpointSlice", "metadata": {"name": "ext-1", "namespace": "prod", "labels": {"kubernetes.io/service-name": "ext"}},
                        "addressType": "IPv4", "ports": [{"port": 5432}], "endpoints": [{"addresses": ["192.0.2.40"]}]}));
    check(
        objects,
        "web/client",
        "svc/prod/ext:5432",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass cni\n=> allowed",
        &[(Layer::Endpoints, "from EndpointSlice `ext-1`"), (Layer::Endpoints, "`192.0.2.40` → port 5432")],
    );
}

// ---- readiness ----

// Only ready endpoints receive Service traffic
// (https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions).
#[test]
fn not_ready_pods() {
    let objects = with(vec![
        service(
            "prod",
            "db",
            json!({"clusterIP": "10.96.2.2", "selector": {"app": "db"}, "ports": [{"port": 5432}]}),
        ),
        pod(
            "prod",
            "db-0",
            json!({"app": "db"}),
            json!([{"containerPort": 5432}]),
            "10.244.1.10",
            false,
            "n1",
        ),
        pod(
            "prod",
            "db-1",
            json!({"app": "db"}),
            json!([{"containerPort": 5432}]),
            "10.244.1.11",
            false,
            "n2",
        ),
    ]);
    check(
        objects.clone(),
        "web/client",
        "db.prod:5432",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\nfail readiness\n=> blocked at readiness",
        &[(Layer::Readiness, "0 of 2 endpoints ready"), (Layer::Readiness, "`prod/db-0`: not ready")],
    );
    let mut one_ready = objects.clone();
    one_ready.push(pod(
        "prod",
        "db-2",
        json!({"app": "db"}),
        json!([{"containerPort": 5432}]),
        "10.244.1.12",
        true,
        "n2",
    ));
    check(
        one_ready,
        "web/client",
        "db.prod:5432",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Readiness, "1 of 3 endpoints ready")],
    );
    // publishNotReadyAddresses: every endpoint counts as ready.
    let publish = replace(
        objects,
        service(
            "prod",
            "db",
            json!({"clusterIP": "10.96.2.2", "publishNotReadyAddresses": true, "selector": {"app": "db"}, "ports": [{"port": 5432}]}),
        ),
    );
    check(
        publish,
        "web/client",
        "db.prod:5432",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Readiness, "`publishNotReadyAddresses: true`")],
    );
}

// internalTrafficPolicy/externalTrafficPolicy Local keep traffic on the node
// it arrives at (https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-policies).
#[test]
fn local_traffic_policies() {
    let objects = with(vec![
        node("n1", "192.168.0.11"),
        node("n2", "192.168.0.12"),
        service(
            "prod",
            "cache",
            json!({"type": "NodePort", "clusterIP": "10.96.3.3", "internalTrafficPolicy": "Local", "externalTrafficPolicy": "Local",
                                         "selector": {"app": "cache"}, "ports": [{"port": 6379, "nodePort": 30379}]}),
        ),
        pod(
            "prod",
            "cache-0",
            json!({"app": "cache"}),
            json!([{"containerPort": 6379}]),
            "10.244.2.10",
            true,
            "n2",
        ),
        pod("prod", "caller", json!({"app": "caller"}), json!([]), "10.244.1.20", true, "n1"),
        pod("prod", "neighbour", json!({"app": "caller"}), json!([]), "10.244.2.20", true, "n2"),
    ]);
    check(
        objects.clone(),
        "prod/caller",
        "cache:6379",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\nfail readiness\n=> blocked at readiness",
        &[(Layer::Readiness, "no ready endpoint on node `n1`: the `Local` traffic policy drops the traffic")],
    );
    check(
        objects.clone(),
        "prod/neighbour",
        "cache:6379",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[],
    );
    check(
        objects.clone(),
        "external",
        "192.168.0.11:30379",
        "pass source\npass service-type\npass service-port\npass endpoints\nfail readiness\n=> blocked at readiness",
        &[(Layer::Readiness, "`externalTrafficPolicy: Local`: node `n1` forwards only to its own endpoints")],
    );
    check(
        objects,
        "external",
        "192.168.0.12:30379",
        "pass source\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[],
    );
}

// ---- ingress ----

fn ingress_objects(extra: Vec<Value>) -> Vec<Value> {
    let mut objects = with(vec![
        json!({"kind": "IngressClass", "metadata": {"name": "nginx", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
               "spec": {"controller": "k8s.io/ingress-nginx"}}),
        json!({"kind": "Deployment", "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
               "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}},
                        "template": {"metadata": {"labels": {"app.kubernetes.io/name": "ingress-nginx"}},
                                     "spec": {"containers": [{"name": "controller", "image": "registry.k8s.io/ingress-nginx/controller:v1.11.2",
                                              "args": ["/nginx-ingress-controller", "--ingress-class=nginx"],
                                              "ports": [{"name": "http", "containerPort": 80}, {"name": "https", "containerPort": 443}]}]}}}}),
    ]);
    objects.extend(extra);
    objects
}

fn ingress(name: &str, spec: Value) -> Value {
    json!({"kind": "Ingress", "metadata": {"name": name, "namespace": "prod"}, "spec": spec})
}

fn rule(host: &str, path: &str, path_type: &str, service: &str, port: Value) -> Value {
    json!({"host": host, "http": {"paths": [{"path": path, "pathType": path_type,
                                             "backend": {"service": {"name": service, "port": port}}}]}})
}

// External → Ingress host → controller → backend Service's pods, with the
// controller as the policy source
// (https://kubernetes.io/docs/concepts/services-networking/ingress/).
#[test]
fn external_through_an_ingress() {
    let objects = ingress_objects(vec![ingress(
        "shop",
        json!({"rules": [rule("shop.example.com", "/api", "Prefix", "api", json!({"number": 80}))]}),
    )]);
    check(
        objects.clone(),
        "external",
        "http://shop.example.com/api/users",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[
            (Layer::IngressClass, "`prod/shop` has `nginx` (from the default IngressClass), served by ingress-nginx"),
            (Layer::IngressRule, "host `shop.example.com` path `/api` of `prod/shop` matches `/api/users`"),
            (Layer::NetworkPolicyEgress, "`ingress-nginx/ingress-nginx-controller`"),
        ],
    );
    let steps = run(objects, "external", "http://shop.example.com/api", None, Protocol::Tcp).steps;
    let layers: Vec<Layer> = steps.iter().map(|s| s.layer).collect();
    assert_eq!(&layers[..4], &[Layer::Source, Layer::Dns, Layer::IngressClass, Layer::IngressRule]);
    // The backend pods must admit the controller's pods.
    let deny = policy("prod", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]}));
    check(
        ingress_objects(vec![ingress("shop", json!({"rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"name": "http"}))]})), deny]),
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[(Layer::NetworkPolicyIngress, "from namespace `ingress-nginx` pods `app.kubernetes.io/name=ingress-nginx` on TCP 8080 (`http`)")],
    );
}

// Without ingressClassName and without a default IngressClass, no
// controller takes the Ingress
// (https://kubernetes.io/docs/concepts/services-networking/ingress/#default-ingress-class).
#[test]
fn ingress_without_a_class_and_several_controllers() {
    let mut objects = ingress_objects(vec![
        json!({"kind": "IngressClass", "metadata": {"name": "traefik"}, "spec": {"controller": "traefik.io/ingress-controller"}}),
        ingress(
            "shop",
            json!({"rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
        ),
    ]);
    objects = replace(
        objects,
        json!({"kind": "IngressClass", "metadata": {"name": "nginx"}, "spec": {"controller": "k8s.io/ingress-nginx"}}),
    );
    check(
        objects,
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\nfail ingress-class\n=> blocked at ingress-class",
        &[
            (
                Layer::IngressClass,
                "names no class, no IngressClass is the default, and 2 controllers could serve it",
            ),
            (Layer::IngressClass, "set `spec.ingressClassName` to `nginx` or `traefik`"),
        ],
    );
    let misspelt = ingress_objects(vec![ingress(
        "shop",
        json!({"ingressClassName": "ngnix", "rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
    )]);
    check(
        misspelt,
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\nfail ingress-class\n=> blocked at ingress-class",
        &[(Layer::IngressClass, "did you mean `nginx`?")],
    );
}

// Exact matches the path exactly; Prefix matches by path element
// (https://kubernetes.io/docs/concepts/services-networking/ingress/#path-types).
#[test]
fn exact_versus_prefix() {
    let objects = ingress_objects(vec![
        ingress(
            "admin",
            json!({"rules": [rule("admin.example.com", "/", "Exact", "frontend-svc", json!({"number": 80}))]}),
        ),
        service(
            "prod",
            "frontend-svc",
            json!({"selector": {"app": "frontend"}, "ports": [{"port": 80, "targetPort": "web"}]}),
        ),
    ]);
    check(
        objects.clone(),
        "external",
        "http://admin.example.com/users",
        "pass source\npass dns\npass ingress-class\nfail ingress-rule\n=> blocked at ingress-rule",
        &[
            (Layer::IngressRule, "no path of host `admin.example.com` matches `/users`: the controller's default backend answers (404)"),
            (Layer::IngressRule, "use `pathType: Prefix` for `/` in `prod/admin`"),
        ],
    );
    check(
        objects,
        "external",
        "http://admin.example.com/",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[],
    );
}

// `*.foo.com` matches exactly one more DNS label
// (https://kubernetes.io/docs/concepts/services-networking/ingress/#hostname-wildcards).
#[test]
fn wildcard_hosts() {
    let objects = ingress_objects(vec![ingress(
        "shop",
        json!({"rules": [rule("*.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
    )]);
    check(
        objects.clone(),
        "external",
        "http://eu.shop.example.com/",
        "pass source\npass dns\nfail ingress-rule\n=> blocked at ingress-rule",
        &[(Layer::IngressRule, "`*.example.com` of `prod/shop` matches exactly one label before `example.com`: not `eu.shop.example.com`")],
    );
    check(
        objects.clone(),
        "external",
        "http://example.com/",
        "pass source\npass dns\nfail ingress-rule\n=> blocked at ingress-rule",
        &[(Layer::IngressRule, "no Ingress rule matches host `example.com`")],
    );
    check(
        objects,
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[],
    );
}

// An Ingress backend names a Service port, not a container port
// (https://kubernetes.io/docs/reference/kubernetes-api/service-resources/ingress-v1/#IngressBackend).
#[test]
fn ingress_backend_names_the_container_port() {
    let objects = ingress_objects(vec![ingress(
        "shop",
        json!({"rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 8080}))]}),
    )]);
    check(
        objects,
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\npass ingress-class\nfail ingress-rule\n=> blocked at ingress-rule",
        &[
            (
                Layer::IngressRule,
                "backend port `8080` is a container port of the pods, not a port of `prod/api`",
            ),
            (Layer::IngressRule, "set the backend's port to 80 (`http`)"),
        ],
    );
}

// HTTPS needs a `spec.tls` entry with a kubernetes.io/tls Secret
// (https://kubernetes.io/docs/concepts/services-networking/ingress/#tls);
// cert-manager creates it from an issuer annotation
// (https://cert-manager.io/docs/usage/ingress/).
#[test]
fn ingress_tls() {
    let plain = ingress(
        "shop",
        json!({"rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
    );
    check(
        ingress_objects(vec![plain]),
        "external",
        "https://shop.example.com/",
        "pass source\npass dns\npass ingress-class\nwarn ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[
            (Layer::IngressRule, "no `spec.tls` entry of `prod/shop` covers `shop.example.com`"),
            (Layer::IngressRule, "default self-signed certificate, so clients that verify certificates fail"),
        ],
    );
    let mut managed = ingress(
        "shop",
        json!({"tls": [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}],
                                             "rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
    );
    managed["metadata"]["annotations"] = json!({"cert-manager.io/cluster-issuer": "letsencrypt"});
    check(
        ingress_objects(vec![managed.clone()]),
        "external",
        "https://shop.example.com/",
        "pass source\npass dns\npass ingress-class\nwarn ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::IngressRule, "cert-manager creates it from ClusterIssuer `letsencrypt`")],
    );
    let secret = json!({"kind": "Secret", "metadata": {"name": "shop-tls", "namespace": "prod"}, "type": "kubernetes.io/tls"});
    check(
        ingress_objects(vec![managed, secret]),
        "external",
        "https://shop.example.com/",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::IngressRule, "TLS: Secret `shop-tls`")],
    );
}

// ---- network policy ----

// Policies see the pod and its container port after the Service's DNAT, not
// the Service port (https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-range-of-ports
// and the NetworkPolicyPort reference: "a numerical or named port on a pod").
#[test]
fn policy_on_the_service_port_instead_of_the_pod_port() {
    let objects = with(vec![policy(
        "prod",
        "allow-frontend",
        json!({"podSelector": {"matchLabels": {"app": "api"}}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}], "ports": [{"port": 80}]}]}),
    )]);
    check(
        objects,
        "prod/frontend",
        "http://api/",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[
            (Layer::NetworkPolicyIngress, "allows TCP 80, the Service port; after the Service's DNAT the pod receives TCP 8080"),
            (Layer::NetworkPolicyIngress, "in NetworkPolicy `prod/allow-frontend`, allow `port: http` (TCP 8080), the pod's port, instead of 80"),
        ],
    );
}

// Egress isolation applies to Service traffic after DNAT too: the rule must
// name the pods, not the Service.
#[test]
fn egress_denied_to_the_endpoints() {
    let objects = with(vec![policy(
        "web",
        "egress",
        json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}]}]}),
    )]);
    check(
        objects,
        "web/client",
        "http://api.prod/",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\nfail network-policy-egress\n=> blocked at network-policy-egress",
        &[(Layer::NetworkPolicyEgress, "allow egress from pods `app=client` in `web` to namespace `prod` pods `app=api` on TCP 8080")],
    );
}

// A Service whose endpoints differ: some admit the client, some do not.
#[test]
fn some_endpoints_reachable() {
    let objects = with(vec![
        service(
            "prod",
            "db",
            json!({"clusterIP": "10.96.2.2", "selector": {"app": "db"}, "ports": [{"port": 5432}]}),
        ),
        pod(
            "prod",
            "db-0",
            json!({"app": "db", "zone": "a"}),
            json!([{"containerPort": 5432}]),
            "10.244.1.10",
            true,
            "n1",
        ),
        pod(
            "prod",
            "db-1",
            json!({"app": "db", "zone": "a"}),
            json!([{"containerPort": 5432}]),
            "10.244.1.11",
            true,
            "n1",
        ),
        pod(
            "prod",
            "db-2",
            json!({"app": "db", "zone": "b"}),
            json!([{"containerPort": 5432}]),
            "10.244.1.12",
            true,
            "n2",
        ),
        policy(
            "prod",
            "zone-b-locked",
            json!({"podSelector": {"matchLabels": {"zone": "b"}}, "policyTypes": ["Ingress"]}),
        ),
    ]);
    check(
        objects,
        "web/client",
        "db.prod:5432",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\nwarn network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::NetworkPolicyIngress, "2 of 3 endpoints reachable"), (Layer::NetworkPolicyIngress, "`prod/db-2` does not admit it")],
    );
}

// An ipBlock admits some outside addresses: from an unknown client the
// answer depends on its address.
#[test]
fn external_clients_and_ip_blocks() {
    let objects = with(vec![
        service(
            "prod",
            "api-public",
            json!({"type": "LoadBalancer", "externalTrafficPolicy": "Local", "selector": {"app": "api"}, "ports": [{"port": 80, "targetPort": 8080}]}),
        ),
        json!({"kind": "Node", "metadata": {"name": "n1"}, "spec": {"providerID": "aws:///eu-west-1a/i-0abc"}}),
        policy(
            "prod",
            "office",
            json!({"podSelector": {"matchLabels": {"app": "api"}}, "ingress": [{"from": [{"ipBlock": {"cidr": "198.51.100.0/24"}}]}]}),
        ),
    ]);
    let expect_warn = "pass source\npass service-type\npass service-port\npass endpoints\nwarn readiness\nwarn network-policy-ingress\npass cni\npass destination\n=> allowed";
    check(
        objects.clone(),
        "external",
        "svc/prod/api-public:80",
        expect_warn,
        &[(Layer::NetworkPolicyIngress, "admitted only from `198.51.100.0/24`")],
    );
    let expect_pass = "pass source\npass service-type\npass service-port\npass endpoints\nwarn readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed";
    check(objects.clone(), "external:198.51.100.9", "svc/prod/api-public:80", expect_pass, &[]);
    check(
        objects,
        "external:203.0.113.9",
        "svc/prod/api-public:80",
        "pass source\npass service-type\npass service-port\npass endpoints\nwarn readiness\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[(Layer::NetworkPolicyIngress, "`ipBlock` `203.0.113.9/32`")],
    );
}

// ---- cni ----

// Flannel does not implement NetworkPolicy: policies exist in the API and
// have no effect (https://kubernetes.io/docs/concepts/services-networking/network-policies/#prerequisites).
#[test]
fn flannel_does_not_enforce() {
    let flannel = json!({"kind": "DaemonSet", "metadata": {"name": "kube-flannel-ds", "namespace": "kube-flannel"},
                         "spec": {"selector": {"matchLabels": {"app": "flannel"}},
                                  "template": {"metadata": {"labels": {"app": "flannel"}},
                                               "spec": {"hostNetwork": true, "containers": [{"name": "kube-flannel", "image": "flannel/flannel:v0.25.1"}]}}}});
    let deny = policy("prod", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]}));
    let objects: Vec<Value> =
        with(vec![flannel, deny]).into_iter().filter(|o| o["metadata"]["name"] != "calico-node").collect();
    check(
        objects.clone(),
        "web/client",
        "http://api.prod/",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\nwarn network-policy-ingress\nwarn cni\npass destination\n=> allowed",
        &[
            (Layer::NetworkPolicyIngress, "; but `flannel` does not enforce NetworkPolicy"),
            (Layer::Cni, "`flannel` does not enforce NetworkPolicy: the denials at `network-policy-ingress` are stored in the API but have no effect"),
        ],
    );
    // `--cni` overrides detection.
    check_with(
        objects,
        "web/client",
        "http://api.prod/",
        Some("calico"),
        Protocol::Tcp,
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[],
    );
}

#[test]
fn unknown_plugins_are_assumed_to_enforce() {
    let deny = policy("prod", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]}));
    let objects: Vec<Value> =
        with(vec![deny]).into_iter().filter(|o| o["metadata"]["name"] != "calico-node").collect();
    check(
        objects.clone(),
        "web/client",
        "prod/frontend:3000",
        "pass source\npass readiness\npass network-policy-egress\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[],
    );
    let open: Vec<Value> = base().into_iter().filter(|o| o["metadata"]["name"] != "calico-node").collect();
    check(
        open,
        "web/client",
        "prod/frontend:3000",
        "pass source\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Cni, "no policy applies to this connection (the network plugin is not known)")],
    );
}

// ---- destination ----

// Declared container ports are informational: "Not specifying a port here
// DOES NOT prevent that port from being exposed"
// (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#ports).
#[test]
fn undeclared_ports_warn() {
    check(
        base(),
        "prod/frontend",
        "web/client:9000",
        "pass source\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\nwarn destination\n=> allowed",
        &[(Layer::Destination, "`web/client` does not declare TCP 9000"), (Layer::Destination, "declares no container ports")],
    );
}

// ---- contract ----

#[test]
fn json_contract() {
    let trace = run(base(), "prod/frontend", "http://api.prod/", None, Protocol::Tcp);
    let value = serde_json::to_value(&trace).unwrap();
    assert_eq!(value["schema"], "kubereach.trace/v1");
    assert_eq!(value["verdict"], "allowed");
    assert_eq!(value["blocked_at"], Value::Null);
    let layers: Vec<&str> =
        value["steps"].as_array().unwrap().iter().map(|s| s["layer"].as_str().unwrap()).collect();
    assert_eq!(layers, super::PATH_ORDER.iter().map(|l| l.as_str()).collect::<Vec<_>>());
    for step in value["steps"].as_array().unwrap() {
        assert!(["pass", "fail", "skip", "warn"].contains(&step["status"].as_str().unwrap()));
        assert!(step["summary"].is_string() && step["fix"].is_string() && step["evidence"].is_array());
    }
}

// ---- more edge cases ----

// Terminating endpoints receive traffic only when no endpoint is ready and
// they still serve
// (https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-to-terminating-endpoints).
#[test]
fn terminating_endpoints_as_a_fallback() {
    let mut leaving = pod(
        "prod",
        "db-0",
        json!({"app": "db"}),
        json!([{"containerPort": 5432}]),
        "10.244.1.10",
        true,
        "n1",
    );
    leaving["metadata"]["deletionTimestamp"] = json!("2024-05-01T10:00:00Z");
    let objects = with(vec![
        service(
            "prod",
            "db",
            json!({"clusterIP": "10.96.2.2", "selector": {"app": "db"}, "ports": [{"port": 5432}]}),
        ),
        leaving,
    ]);
    check(
        objects,
        "web/client",
        "db.prod:5432",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\nwarn readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Readiness, "no endpoint is ready: traffic goes to 1 terminating endpoint still serving")],
    );
}

// A cloud load balancer (GCE) is the controller: it runs outside the
// cluster, so the backend pods see traffic from outside
// (https://cloud.google.com/kubernetes-engine/docs/concepts/ingress).
#[test]
fn out_of_cluster_controllers_connect_from_outside() {
    let objects = with(vec![
        json!({"kind": "IngressClass", "metadata": {"name": "gce"}, "spec": {"controller": "k8s.io/ingress-gce"}}),
        ingress(
            "shop",
            json!({"ingressClassName": "gce", "rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]}),
        ),
        policy(
            "prod",
            "same-namespace",
            json!({"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}),
        ),
    ]);
    check(
        objects,
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\npass ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[
            (Layer::IngressClass, "a load balancer outside the cluster"),
            (Layer::NetworkPolicyEgress, "the client is outside the cluster"),
            (Layer::NetworkPolicyIngress, "`ipBlock` `0.0.0.0/0`"),
        ],
    );
}

// An in-cluster controller whose pods are not in the input: a policy may
// admit them by labels the trace cannot see, so a denial only warns.
#[test]
fn controller_pods_missing() {
    let objects: Vec<Value> = ingress_objects(vec![
        ingress("shop", json!({"rules": [rule("shop.example.com", "/", "Prefix", "api", json!({"number": 80}))]})),
        policy("prod", "from-nginx", json!({"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]}]})),
    ])
    .into_iter()
    .filter(|o| o["metadata"]["name"] != "ingress-nginx-controller")
    .collect();
    check(
        objects,
        "external",
        "http://shop.example.com/",
        "pass source\npass dns\nwarn ingress-class\npass ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\nwarn network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[
            (Layer::IngressClass, "the input has no pods of the ingress-nginx controller"),
            (Layer::NetworkPolicyIngress, "unless a rule admits the controller's pods, which are not in the input"),
        ],
    );
}

// No rule path matches, but an Ingress of the class has a defaultBackend
// (https://kubernetes.io/docs/concepts/services-networking/ingress/#default-backend).
#[test]
fn default_backends_answer_the_rest() {
    let objects = ingress_objects(vec![ingress(
        "shop",
        json!({"defaultBackend": {"service": {"name": "api", "port": {"number": 80}}},
               "rules": [rule("shop.example.com", "/admin", "Exact", "api", json!({"number": 80}))]}),
    )]);
    check(
        objects,
        "external",
        "http://shop.example.com/other",
        "pass source\npass dns\npass ingress-class\nwarn ingress-rule\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::IngressRule, "no rule path matches `/other`: the `defaultBackend` of `prod/shop` answers")],
    );
}

// Pod addresses are not routable from outside on most networks.
#[test]
fn external_to_a_pod() {
    check(
        base(),
        "external:198.51.100.1",
        "prod/api:8080",
        "pass source\nwarn service-type\npass readiness\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::ServiceType, "usually they are not")],
    );
}

// hostNetwork pods carry the node's address: NetworkPolicy does not isolate
// them (https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods).
#[test]
fn host_network_sources() {
    let mut agent = deployment("web", "agent", 1, json!([]));
    agent["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
    agent["spec"]["template"]["spec"]["dnsPolicy"] = json!("ClusterFirstWithHostNet");
    let deny = policy("web", "deny-egress", json!({"podSelector": {}, "policyTypes": ["Egress"]}));
    check(
        with(vec![agent, deny]),
        "web/agent",
        "http://api.prod/",
        "pass source\npass dns\npass service-type\npass service-port\npass endpoints\npass readiness\npass network-policy-egress\npass network-policy-ingress\npass cni\npass destination\n=> allowed",
        &[(Layer::Source, "`hostNetwork: true`"), (Layer::NetworkPolicyEgress, "uses the node's network")],
    );
}

#[test]
fn unknown_plugin_names() {
    let deny = policy("prod", "deny", json!({"podSelector": {}, "policyTypes": ["Ingress"]}));
    check_with(
        with(vec![deny]),
        "web/client",
        "prod/frontend:3000",
        Some("mystery-net"),
        Protocol::Tcp,
        "pass source\npass readiness\npass network-policy-egress\nfail network-policy-ingress\n=> blocked at network-policy-ingress",
        &[(Layer::Cni, "not checked")],
    );
}

#[test]
fn dns_server_step_on_its_own() {
    let deny = policy("web", "deny-egress", json!({"podSelector": {}, "policyTypes": ["Egress"]}));
    let cluster = cluster(with(vec![deny]));
    let engine = PolicyEngine::new(&cluster, PolicyOptions { ip_blocks_match_pods: false });
    let client = find_pod(&cluster, "web", "client").unwrap();
    let step = dns_server_step(&cluster, &engine, client);
    assert_eq!(step.status, Status::Fail, "{step:#?}");
    let open = find_pod(&cluster, "prod", "api").unwrap();
    assert_eq!(dns_server_step(&cluster, &engine, open).summary, "the pod reaches cluster DNS");
    assert_eq!(
        find_pod(&cluster, "web", "clinet").unwrap_err().hint().as_deref(),
        Some("did you mean `web/client`?")
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

// Fidelity at the edges of Services and Ingress controllers.
#[path = "edges_tests.rs"]
mod edges;
